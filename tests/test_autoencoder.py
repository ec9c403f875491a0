"""AutoencoderTransformer: what it computes, not just that it runs."""

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgen import AutoencoderTransformer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _ae(**params):
    defaults = {"hidden_layer_sizes": (32,), "max_iter": 60, "device": "cpu", "random_state": 0}
    return AutoencoderTransformer(**{**defaults, **params})


def _mse(a, b):
    return float(np.mean((a - b) ** 2))


@pytest.fixture
def curve():
    """A noisy curve embedded in 5-D: one latent unit suffices nonlinearly, not linearly."""
    rng = np.random.RandomState(0)
    t = rng.uniform(-2, 2, size=600)
    Z = np.c_[t, t**2 - 4 / 3, np.sin(2 * t)] + 0.01 * rng.normal(size=(600, 3))
    return Z @ rng.normal(size=(3, 5))


def test_beats_pca_on_a_nonlinear_manifold(curve):
    X_train, X_test = train_test_split(curve, random_state=0)
    pca = PCA(n_components=1).fit(X_train)
    pca_mse = _mse(pca.inverse_transform(pca.transform(X_test)), X_test)
    ae = _ae(n_components=1, max_iter=300, hidden_layer_sizes=(64, 32)).fit(X_train)
    ae_mse = _mse(ae.inverse_transform(ae.transform(X_test)), X_test)
    assert ae_mse < 0.5 * pca_mse


def test_starts_at_pca(digits):
    """The residual linear path starts the model at PCA in its scaled units."""
    X = digits[0]
    ae = _ae(n_components=4, max_iter=1, learning_rate_init=1e-12, early_stopping=False).fit(X)
    Xs = (X - ae.mean_) / ae.scale_
    pca = PCA(n_components=4).fit(Xs)
    expected = pca.inverse_transform(pca.transform(Xs)) * ae.scale_ + ae.mean_
    np.testing.assert_allclose(ae.inverse_transform(ae.transform(X)), expected, atol=1e-3)


def test_ends_on_the_epoch_best_on_validation_not_the_last(digits):
    """With early stopping the fit keeps the weights of its best epoch on the validation
    rows: never worse there than any epoch it trained. (Only epochs: the start, PCA, is
    not evaluated, so a fit whose every epoch is worse than PCA ends worse than PCA.)

    Which epoch is best depends on the machine's floating point, so the fits below use
    a learning rate large enough that the validation loss jumps about, and every fit
    is checked whatever its curve; the restore itself is exercised by the fits whose
    best epoch is not the last (most of them on the machines we have seen).
    """
    X = digits[0][:600]
    restored = 0
    for learning_rate, seed in [(0.2, 0), (0.2, 1), (0.2, 2), (0.5, 0), (0.5, 1), (0.5, 2)]:
        params = {"n_components": 4, "learning_rate_init": learning_rate, "early_stopping": True,
                  "n_iter_no_change": 100, "random_state": seed}
        full = _ae(max_iter=8, **params).fit(X)
        curve = full.validation_loss_curve_
        best = int(np.argmin(curve))
        assert full.best_loss_ == min(curve)
        # the same fit stopped after its best epoch: same split, same batches up to there
        stopped = _ae(max_iter=best + 1, **params).fit(X)
        assert stopped.validation_loss_curve_ == curve[:best + 1]
        Z = full.transform(X)
        np.testing.assert_array_equal(Z, stopped.transform(X))
        np.testing.assert_array_equal(full.inverse_transform(Z), stopped.inverse_transform(Z))
        restored += best < len(curve) - 1
    if not restored:  # the assertions above held, but only on fits that ended on their best
        pytest.skip("no fit's validation loss rose after its best epoch on this machine, so "
                    "the restore of the best weights was not exercised")


def test_columns_on_wildly_different_scales_are_all_reconstructed(blobs):
    """Without internal standardization the 1e-3 column would be ignored."""
    ae = _ae(n_components=2, max_iter=200).fit(blobs)
    X_hat = ae.inverse_transform(ae.transform(blobs))
    r2 = 1 - ((X_hat - blobs) ** 2).mean(0) / blobs.var(0)
    assert r2.min() > 0.9, r2
    np.testing.assert_allclose(ae.scale_, blobs.std(0), rtol=1e-10)


def test_constant_column_is_handled():
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(size=(100, 3)), np.full(100, 7.5)]
    ae = _ae(n_components=2).fit(X)
    assert ae.mean_[3] == 7.5
    # scaled by the typical scale of the others: the one scale that 'global' shares
    std = X[:, :3].std(axis=0)
    assert std.min() < ae.scale_[3] < std.max()
    shared = _ae(n_components=2, max_iter=1, scaling="global").fit(X).scale_
    assert ae.scale_[3] == pytest.approx(shared[0], rel=1e-12)
    X_hat = ae.inverse_transform(ae.transform(X))
    assert np.all(np.isfinite(X_hat))
    np.testing.assert_allclose(X_hat[:, 3], 7.5, atol=0.05)


@pytest.mark.parametrize("scaling", ["global", None])
def test_scaling_options(digits, scaling):
    X = digits[0][:300]
    ae = _ae(n_components=3, max_iter=3, scaling=scaling).fit(X)
    if scaling is None:
        np.testing.assert_array_equal(ae.mean_, 0)
        np.testing.assert_array_equal(ae.scale_, 1)
    else:
        np.testing.assert_allclose(ae.mean_, X.mean(0))
        assert np.unique(ae.scale_).size == 1
    assert ae.inverse_transform(ae.transform(X)).shape == X.shape


def test_auto_scaling_is_global_for_pixels_and_standard_for_mixed_units(digits):
    X = digits[0][:300]
    assert _ae(max_iter=1).fit(X).scaling_ == "global"
    rng = np.random.RandomState(0)
    mixed = rng.normal(size=(300, 3)) * [1e-3, 1.0, 1e5]
    ae = _ae(max_iter=1).fit(mixed)
    assert ae.scaling_ == "standard"
    np.testing.assert_allclose(ae.scale_, mixed.std(0))
    # Stretching half of the pixel columns breaks the shared range.
    stretched = X * np.r_[np.ones(32), np.full(32, 3.0)]
    assert _ae(max_iter=1).fit(stretched).scaling_ == "standard"


def test_score_is_mean_of_score_samples_and_prefers_clean_rows(curve):
    ae = _ae(n_components=1, max_iter=100).fit(curve)
    scores = ae.score_samples(curve)
    assert scores.shape == (len(curve),) and scores.dtype == np.float64
    assert ae.score(curve) == pytest.approx(scores.mean())
    noisy = curve + np.random.RandomState(1).normal(scale=curve.std(0), size=curve.shape)
    assert ae.score(curve) > ae.score(noisy)
    Xs = (curve - ae.mean_) / ae.scale_
    recon = (ae.inverse_transform(ae.transform(curve)) - ae.mean_) / ae.scale_
    np.testing.assert_allclose(scores, -((recon - Xs) ** 2).mean(1), rtol=1e-6, atol=1e-9)


def test_gridsearch_tunes_without_scoring(curve):
    search = GridSearchCV(_ae(max_iter=40), {"n_components": [1, 3]}, cv=2).fit(curve)
    assert search.best_params_ == {"n_components": 3}


def test_pipeline_and_feature_names(digits):
    X = pd.DataFrame(digits[0][:200], columns=[f"px{i}" for i in range(64)])
    pipe = make_pipeline(StandardScaler(), _ae(n_components=3, max_iter=3))
    out = pipe.set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == [f"autoencodertransformer{i}" for i in range(3)]
    assert out.index.equals(X.index)
    ae = pipe[-1]
    assert list(ae.feature_names_in_) == list(X.columns)


def test_inverse_transform_checks_the_code_width(digits):
    ae = _ae(n_components=3, max_iter=2).fit(digits[0][:100])
    with pytest.raises(ValueError, match="Z has 2 columns, but .* n_components=3"):
        ae.inverse_transform(np.zeros((4, 2)))


def test_float32_input_runs_float32_and_matches_float64(digits):
    X = digits[0][:200]
    ae = _ae(n_components=3, max_iter=5).fit(X)
    z64 = ae.transform(X)
    z32 = ae.transform(X.astype(np.float32))
    assert z32.dtype == np.float32
    np.testing.assert_allclose(z32, z64, rtol=1e-4, atol=1e-4)
    assert ae.inverse_transform(z32).dtype == np.float32
