"""VAETransformer(conditional=True): rows drawn given their class, a marginal density."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skgen import VAETransformer

from .conftest import fitted_state

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_torch_thread")]


def _vae(**params):
    return VAETransformer(**{"n_components": 2, "hidden_layer_sizes": (32,), "max_iter": 60,
                             "device": "cpu", "random_state": 0, "conditional": True,
                             **params})


@pytest.fixture(scope="module")
def labelled():
    """Two distant 2-D clusters, 30% and 70% of the rows, labelled by their cluster."""
    rng = np.random.RandomState(0)
    centers = np.array([[-3.0, 0.0], [3.0, 1.0]])
    y = (rng.uniform(size=1500) < 0.3).astype(int)
    return centers[y] + 0.3 * rng.normal(size=(1500, 2)), y


@pytest.fixture(scope="module")
def fitted(labelled):
    X, y = labelled
    return _vae().fit(X, np.array(["left", "right"])[y])  # string labels


def test_sample_draws_the_requested_class(fitted):
    assert list(fitted.classes_) == ["left", "right"]
    np.testing.assert_allclose(fitted.class_prior_, [0.7, 0.3], atol=0.03)
    assert len(fitted.prior_) == 2
    left = fitted.sample(500, random_state=0, y="left")
    right = fitted.sample(500, random_state=0, y="right")
    assert np.mean(left[:, 0] < 0) >= 0.95 and np.mean(right[:, 0] > 0) >= 0.95
    labels = np.array(["left", "right"] * 250)
    mixed = fitted.sample(500, random_state=1, y=labels)
    assert np.mean((mixed[:, 0] < 0) == (labels == "left")) >= 0.95


def test_sample_without_y_draws_the_training_proportions(fitted):
    S = fitted.sample(4000, random_state=0)
    assert np.mean(S[:, 0] > 0) == pytest.approx(0.3, abs=0.04)
    np.testing.assert_array_equal(S, fitted.sample(4000, random_state=0))
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(S, fitted.sample(4000, random_state=1))


def test_score_samples_is_the_marginal_density(fitted):
    """exp(score_samples) integrates to about 1: sum over classes weighted by p(y)."""
    gx, gy = np.linspace(-6, 6, 121), np.linspace(-3, 4, 71)
    cell = (gx[1] - gx[0]) * (gy[1] - gy[0])
    points = np.array(np.meshgrid(gx, gy)).reshape(2, -1).T
    assert np.exp(fitted.score_samples(points)).sum() * cell == pytest.approx(1.0, abs=0.06)


def test_transform_and_inverse_transform_need_no_labels(fitted, labelled):
    X, _ = labelled
    Z = fitted.transform(X[:20])
    assert Z.shape == (20, 2)
    back = fitted.inverse_transform(Z)
    assert back.shape == (20, 2)
    # each code decoded with its most probable class: near the row it came from
    assert np.mean(np.sign(back[:, 0]) == np.sign(X[:20, 0])) >= 0.95


def test_sample_noise_none_and_the_normal_prior(labelled):
    X, y = labelled
    for params in ({"sample_noise": "none"}, {"prior": "normal"}):
        vae = _vae(**params).fit(X, y)
        S = vae.sample(200, random_state=0, y=0)
        assert S.shape == (200, 2) and np.mean(S[:, 0] < 0) >= 0.9
        assert np.isfinite(vae.score_samples(X[:5])).all()


def test_a_dataframe_with_typed_columns(labelled):
    X, y = labelled
    frame = pd.DataFrame({"x": X[:, 0], "side": np.where(X[:, 1] > 0.5, "up", "down")})
    vae = _vae(max_iter=20).fit(frame, y)
    S = vae.sample(100, random_state=0, y=[0, 1] * 50)
    assert list(S.columns) == ["x", "side"] and set(S["side"]) <= {"up", "down"}
    assert np.isfinite(vae.score_samples(frame[:10])).all()


def test_conditional_false_ignores_y(labelled):
    X, y = labelled
    plain = _vae(conditional=False, max_iter=5).fit(X)
    with_y = _vae(conditional=False, max_iter=5).fit(X, y)
    assert not hasattr(with_y, "classes_")
    np.testing.assert_array_equal(plain.sample(20, random_state=0),
                                  with_y.sample(20, random_state=0))
    pipe = Pipeline([("scale", StandardScaler()), ("vae", _vae(conditional=False, max_iter=5))])
    assert pipe.fit(X, y).transform(X[:3]).shape == (3, 2)
    with pytest.raises(ValueError, match="conditional=True.*Leave y=None"):
        plain.sample(3, y=0)


def test_errors_name_the_problem(fitted, labelled):
    X, y = labelled
    with pytest.raises(ValueError, match="requires y to be passed"):
        clone(fitted).fit(X)
    with pytest.raises(ValueError, match="Unknown label type"):
        clone(fitted).fit(X, X[:, 0])  # continuous targets are not classes
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clone(fitted).fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"Unknown class label\(s\) \['middle'\].*'left'"):
        fitted.sample(3, y=["left", "middle", "left"])
    with pytest.raises(ValueError, match="n_samples=3 labels"):
        fitted.sample(3, y=["left", "right"])


def test_a_failed_call_leaves_the_model_as_it_was(fitted, labelled):
    X, _ = labelled
    vae = pickle.loads(pickle.dumps(fitted))
    before = fitted_state(vae)
    with pytest.raises(ValueError):
        vae.fit(X)
    with pytest.raises(ValueError, match="Unknown class label"):
        vae.partial_fit(X[:10], ["left"] * 9 + ["up"])
    with pytest.raises(ValueError, match="conditional=False but the fitted model"):
        vae.set_params(conditional=False).partial_fit(X[:10])
    assert fitted_state(vae) == before


def test_reproducible_saved_and_resumed(fitted, labelled):
    X, y = labelled
    labels = np.array(["left", "right"])[y]
    again = _vae().fit(X, labels)
    np.testing.assert_array_equal(again.sample(30, random_state=0),
                                  fitted.sample(30, random_state=0))
    np.testing.assert_array_equal(again.score_samples(X[:30]), fitted.score_samples(X[:30]))
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.sample(30, random_state=0, y="left"),
                                  fitted.sample(30, random_state=0, y="left"))
    loaded.partial_fit(X[:300], labels[:300])  # resumed with the same classes
    assert len(loaded.prior_) == 2 and np.mean(loaded.sample(200, random_state=0,
                                                             y="right")[:, 0] > 0) >= 0.9


# ------------------------------------------------------- n_components='auto'


def test_auto_latent_size_follows_the_spectrum():
    """Rows on a 3-D subspace of 10 columns (and a categorical column of 4 levels, whose
    one-hot spans 3 more directions): the size holds the axes the data use."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(600, 3)) @ rng.normal(size=(3, 10)) + 1e-3 * rng.normal(size=(600, 10))
    vae = _vae(conditional=False, n_components="auto", max_iter=2).fit(X)
    assert vae.n_components_ == 3 and vae.transform(X[:5]).shape == (5, 3)
    frame = pd.DataFrame(X).assign(kind=rng.choice(list("abcd"), size=600))
    frame.columns = frame.columns.astype(str)
    assert _vae(conditional=False, n_components="auto", max_iter=2).fit(frame).n_components_ == 6
    # a resumed fit keeps the size; another size is refused
    vae.partial_fit(X[:100])
    assert vae.module_.n_components == 3
    with pytest.raises(ValueError, match="n_components was 3 and is now 5"):
        vae.set_params(n_components=5).partial_fit(X[:100])
    # one column: one unit at least, never more than the data have
    assert _vae(conditional=False, n_components="auto", max_iter=2).fit(
        X[:, :1]).n_components_ == 1
