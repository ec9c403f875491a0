"""skgen.plotting: the displays draw what the estimator computes and reject wrong input."""

import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

from skgen import AEOutlierDetector, AutoencoderTransformer, DenoisingAutoencoder, VAETransformer
from skgen.plotting import (
    FeatureContributionDisplay,
    ImageGridDisplay,
    LatentGridDisplay,
    LatentSpaceDisplay,
    LossCurveDisplay,
    OutlierScoreDisplay,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (16,), "max_iter": 3, "device": "cpu", "random_state": 0}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def ae2(data):
    return AutoencoderTransformer(2, **FAST).fit(data[0])


@pytest.fixture(scope="module")
def vae2(data):
    return VAETransformer(2, n_importance_samples=5, **FAST).fit(data[0])


@pytest.fixture(scope="module")
def ae3(data):
    return AutoencoderTransformer(3, **FAST).fit(data[0])


# ----------------------------------------------------------------- LatentSpaceDisplay


def test_latent_space_draws_the_codes_coloured_by_class(ae2, data):
    X, y = data
    disp = LatentSpaceDisplay.from_estimator(ae2, X, y)
    assert isinstance(disp.figure_, matplotlib.figure.Figure)
    assert disp.ax_.figure is disp.figure_
    assert (disp.ax_.get_xlabel(), disp.ax_.get_ylabel()) == ("z1", "z2")
    assert "AutoencoderTransformer" in disp.ax_.get_title()
    assert len(disp.scatter_) == len(np.unique(y))
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == [str(c) for c in range(10)]
    # the points are the codes of transform, grouped by class
    plotted = np.vstack([s.get_offsets() for s in disp.scatter_])
    expected = np.vstack([ae2.transform(X[y == c]) for c in np.unique(y)])
    assert_allclose(plotted, expected, rtol=1e-6)


def test_latent_space_without_labels_and_with_continuous_values(ae2, data):
    X, _ = data
    disp = LatentSpaceDisplay.from_estimator(ae2, X)
    assert len(disp.scatter_) == 1 and disp.colorbar_ is None
    assert disp.ax_.get_legend() is None
    disp = LatentSpaceDisplay.from_estimator(ae2, X, np.linspace(0, 1, len(X)))
    assert disp.colorbar_ is not None


def test_latent_space_uses_given_axes_and_draws_the_box(ae2, data):
    fig, ax = plt.subplots()
    disp = LatentSpaceDisplay.from_estimator(ae2, data[0], ax=ax, extent=(-1, 2, -3, 4))
    assert disp.ax_ is ax and disp.figure_ is fig
    (box,) = ax.patches
    assert (box.get_x(), box.get_y(), box.get_width(), box.get_height()) == (-1, -3, 3, 7)


def test_latent_space_works_with_pca_and_picks_components(ae3, data):
    X, y = data
    pca = PCA(n_components=2).fit(X)
    disp = LatentSpaceDisplay.from_estimator(pca, X, y)
    assert_allclose(np.vstack([s.get_offsets() for s in disp.scatter_]),
                    np.vstack([pca.transform(X[y == c]) for c in np.unique(y)]), rtol=1e-6)
    disp = LatentSpaceDisplay.from_estimator(ae3, X, components=(0, 2))
    assert_allclose(disp.scatter_[0].get_offsets(), ae3.transform(X)[:, [0, 2]], rtol=1e-6)


def test_latent_space_rejects_wrong_input(ae3, data):
    X, y = data
    with pytest.raises(ValueError, match="2-D latent space.*encodes to 3 components"):
        LatentSpaceDisplay.from_estimator(ae3, X)
    with pytest.raises(ValueError, match="components must be two indices below 3"):
        LatentSpaceDisplay.from_estimator(ae3, X, components=(0, 3))
    with pytest.raises(TypeError, match=r"components\[1\] must be an instance of int, not bool"):
        LatentSpaceDisplay.from_estimator(ae3, X, components=(0, True))
    with pytest.raises(ValueError, match="y has 5 entries"):
        LatentSpaceDisplay(np.zeros((10, 2)), y=np.arange(5)).plot()
    detector = AEOutlierDetector(**FAST).fit(X)
    with pytest.raises(ValueError, match="needs an estimator with transform"):
        LatentSpaceDisplay.from_estimator(detector, X)


def test_latent_space_accepts_matplotlib_colour_keywords():
    codes = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    red = matplotlib.colors.to_rgba("red", alpha=0.8)
    for key in ("color", "c"):  # one colour for every point, under either name
        disp = LatentSpaceDisplay(codes).plot(**{key: "red"})
        assert_allclose(disp.scatter_[0].get_facecolor(), [red])
    # values are mapped through cmap, as matplotlib's c does
    disp = LatentSpaceDisplay(codes).plot(c=[0.0, 0.5, 1.0], cmap="plasma")
    assert disp.scatter_[0].get_cmap().name == "plasma"
    assert_allclose(disp.scatter_[0].get_array(), [0.0, 0.5, 1.0])
    # other aliases are resolved too, and the defaults give way to the user's value
    disp = LatentSpaceDisplay(codes).plot(ec="blue", s=20, alpha=1.0)
    assert_allclose(disp.scatter_[0].get_edgecolor(), [matplotlib.colors.to_rgba("blue")])
    assert_allclose(disp.scatter_[0].get_sizes(), [20])


def test_latent_space_cmap_colours_continuous_and_discrete_y():
    codes = np.random.RandomState(0).normal(size=(30, 2))
    disp = LatentSpaceDisplay(codes, y=np.linspace(0, 1, 30)).plot(cmap="plasma")
    assert disp.scatter_[0].get_cmap().name == "plasma"
    assert disp.colorbar_.cmap.name == "plasma"
    disp = LatentSpaceDisplay(codes, y=np.linspace(0, 1, 30)).plot()
    assert disp.scatter_[0].get_cmap().name == "viridis"
    disp = LatentSpaceDisplay(codes, y=np.arange(30) % 3).plot(cmap="Set1")
    for i, points in enumerate(disp.scatter_):
        assert_allclose(points.get_facecolor()[0, :3], matplotlib.colormaps["Set1"](i)[:3])


def test_latent_space_rejects_colour_keywords_that_clash_with_y():
    codes, y = np.zeros((4, 2)), [0, 1, 0, 1]
    for kwargs in ({"color": "red"}, {"c": "red"}, {"label": "codes"}):
        with pytest.raises(ValueError, match="y colours the points.*pass y=None"):
            LatentSpaceDisplay(codes, y=y).plot(**kwargs)
    with pytest.raises(ValueError, match="y colours the points"):  # continuous y too
        LatentSpaceDisplay(np.zeros((30, 2)), y=np.linspace(0, 1, 30)).plot(c="red")
    with pytest.raises(TypeError, match="Got both c and color"):
        LatentSpaceDisplay(codes).plot(c="red", color="blue")


def test_latent_space_components_must_be_integers(ae3, data):
    with pytest.raises(TypeError, match=r"components\[1\] must be an instance of int"):
        LatentSpaceDisplay.from_estimator(ae3, data[0], components=(0, 1.5))


# ------------------------------------------------------------------ LatentGridDisplay


def test_latent_grid_decodes_the_grid_in_place(vae2):
    disp = LatentGridDisplay.from_estimator(vae2, image_shape=(8, 8), n_grid=5,
                                            extent=(-1, 1, -2, 2))
    assert disp.images.shape == (5, 5, 8, 8)
    assert (disp.ax_.get_xlabel(), disp.ax_.get_ylabel()) == ("z1", "z2")
    assert "VAETransformer" in disp.ax_.get_title()
    # top-left image is decoded from (left, top), bottom-right from (right, bottom)
    assert_allclose(disp.images[0, 0].ravel(), vae2.inverse_transform([[-1.0, 2.0]])[0],
                    rtol=1e-6)
    assert_allclose(disp.images[-1, -1].ravel(), vae2.inverse_transform([[1.0, -2.0]])[0],
                    rtol=1e-6)
    # each image is centred on its code: the picture extends half a cell beyond the grid
    assert_allclose(disp.image_.get_extent(), (-1.25, 1.25, -2.5, 2.5))


def test_latent_grid_default_extent_and_square_shape(ae2):
    disp = LatentGridDisplay.from_estimator(ae2)
    assert disp.images.shape == (11, 11, 8, 8)
    assert disp.extent == (-1.5, 1.5, -1.5, 1.5)


def test_latent_grid_rejects_wrong_input(ae2, ae3, data):
    with pytest.raises(ValueError, match="image_shape=\\(4, 4\\) does not match the 64"):
        LatentGridDisplay.from_estimator(ae2, image_shape=(4, 4))
    with pytest.raises(ValueError, match="encodes to 3 components"):
        LatentGridDisplay.from_estimator(ae3)
    ae_10 = AutoencoderTransformer(2, **FAST).fit(data[0][:, :10])
    with pytest.raises(ValueError, match="not a square number.*image_shape"):
        LatentGridDisplay.from_estimator(ae_10)
    LatentGridDisplay.from_estimator(ae_10, image_shape=(2, 5))  # explicit shape is fine


def test_latent_grid_n_grid_is_not_truncated(ae2):
    with pytest.raises(TypeError, match="n_grid must be an instance of int, not float"):
        LatentGridDisplay.from_estimator(ae2, n_grid=2.7)
    with pytest.raises(ValueError, match="n_grid == 0, must be >= 1"):
        LatentGridDisplay.from_estimator(ae2, n_grid=0)
    with pytest.raises(TypeError, match="n_grid must be an instance of int, not bool"):
        LatentGridDisplay.from_estimator(ae2, n_grid=True)  # not a grid of 1
    disp = LatentGridDisplay.from_estimator(ae2, n_grid=np.int64(3))
    assert disp.images.shape == (3, 3, 8, 8)


# ------------------------------------------------------------------- ImageGridDisplay


def test_image_grid_reconstructions(ae2, data):
    X = data[0]
    disp = ImageGridDisplay.from_estimator(ae2, X, n_images=6)
    assert disp.images.shape == (2, 6, 64)
    assert_allclose(disp.images[0], X[:6])
    assert_allclose(disp.images[1], ae2.inverse_transform(ae2.transform(X[:6])), rtol=1e-6)
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["original", "reconstruction"]
    assert disp.ax_.get_title() == "AutoencoderTransformer: reconstructions"
    assert disp.image_.get_array().shape == (2 * 10, 6 * 10)  # 8x8 images, 1-pixel frames


def test_image_grid_denoiser_reconstruction_is_its_transform(data):
    X = data[0].copy()
    X[0, 0] = np.nan
    dae = DenoisingAutoencoder(**FAST).fit(X)
    disp = ImageGridDisplay.from_estimator(dae, X, n_images=4)
    assert_allclose(disp.images[1], dae.transform(X[:4]), rtol=1e-6)


def test_image_grid_samples_of_vae_and_gaussian_mixture(vae2, data):
    disp = ImageGridDisplay.from_estimator(vae2, kind="samples", n_images=15, random_state=0)
    assert disp.images.shape == (2, 10, 64)
    assert_allclose(disp.images.reshape(20, 64)[:15], vae2.sample(15, random_state=0))
    assert np.isnan(disp.images.reshape(20, 64)[15:]).all()  # empty cells stay blank
    assert disp.ax_.get_title() == "VAETransformer: samples"
    gmm = GaussianMixture(2, covariance_type="diag", random_state=0).fit(data[0])
    disp = ImageGridDisplay.from_estimator(gmm, kind="samples", n_images=4)
    assert disp.images.shape == (1, 4, 64)


def test_image_grid_from_arrays():
    rows = [np.zeros((12, 6)), np.ones((12, 6))]
    disp = ImageGridDisplay.from_arrays(*rows, image_shape=(2, 3), n_images=5,
                                        row_labels=["a", "b"], title="t")
    assert disp.images.shape == (2, 5, 6)
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["a", "b"]
    assert disp.ax_.get_title() == "t"


def test_image_grid_rejects_wrong_input(ae2, data):
    X = data[0]
    with pytest.raises(ValueError, match="kind must be one of"):
        ImageGridDisplay.from_estimator(ae2, X, kind="latent")
    with pytest.raises(ValueError, match="needs X"):
        ImageGridDisplay.from_estimator(ae2)
    with pytest.raises(ValueError, match="needs an estimator with sample"):
        ImageGridDisplay.from_estimator(ae2, kind="samples")
    with pytest.raises(ValueError, match="image_shape=\\(7, 9\\) does not match the 64"):
        ImageGridDisplay.from_estimator(ae2, X, image_shape=(7, 9))
    detector = AEOutlierDetector(**FAST).fit(X)
    with pytest.raises(ValueError, match="needs an estimator with transform and"):
        ImageGridDisplay.from_estimator(detector, X)
    with pytest.raises(ValueError, match="same number of columns"):
        ImageGridDisplay.from_arrays(np.zeros((3, 4)), np.zeros((3, 9)))
    with pytest.raises(ValueError, match="3 row_labels for 1 rows"):
        ImageGridDisplay(np.zeros((1, 2, 4)), image_shape=(2, 2), row_labels="abc").plot()


def test_image_grid_integer_arguments_are_not_truncated(ae2, data):
    X = data[0]
    with pytest.raises(TypeError, match="n_images must be an instance of int, not float"):
        ImageGridDisplay.from_estimator(ae2, X, n_images=2.7)
    with pytest.raises(TypeError, match="n_images must be an instance of int, not float"):
        ImageGridDisplay.from_arrays(X, n_images=2.7)
    with pytest.raises(ValueError, match="n_images == 0, must be >= 1"):
        ImageGridDisplay.from_estimator(ae2, X, n_images=0)
    with pytest.raises(TypeError, match=r"image_shape\[0\] must be an instance of int"):
        ImageGridDisplay.from_estimator(ae2, X, image_shape=(8.0, 8))
    with pytest.raises(ValueError, match="image_shape must be a pair"):
        ImageGridDisplay.from_arrays(X, image_shape=64)


# ------------------------------------------------------------------- LossCurveDisplay


def test_loss_curves_with_and_without_validation(data):
    X = data[0]
    est = AutoencoderTransformer(2, **{**FAST, "max_iter": 4}).fit(X)
    disp = LossCurveDisplay.from_estimator(est, log_scale=True)
    train, val = disp.lines_
    assert (train.get_label(), val.get_label()) == ("training loss", "validation loss")
    assert_allclose(train.get_ydata(), est.loss_curve_)
    assert_allclose(val.get_ydata(), est.validation_loss_curve_)
    assert_allclose(train.get_xdata(), np.arange(1, est.n_iter_ + 1))
    assert (disp.ax_.get_xlabel(), disp.ax_.get_ylabel()) == ("epoch", "loss")
    assert disp.ax_.get_yscale() == "log"
    best = int(np.argmin(est.validation_loss_curve_)) + 1
    assert any(t.get_text() == f"best epoch {best}" for t in disp.ax_.texts)

    est = AutoencoderTransformer(2, early_stopping=False, **FAST).fit(X)
    disp = LossCurveDisplay.from_estimator(est)
    assert [line.get_label() for line in disp.lines_] == ["training loss"]


def test_loss_curve_rejects_wrong_input(data):
    with pytest.raises(ValueError, match="needs an estimator with loss_curve_"):
        LossCurveDisplay.from_estimator(PCA(2).fit(data[0]))
    with pytest.raises(ValueError, match="loss_curve is empty"):
        LossCurveDisplay([]).plot()


def test_loss_curve_accepts_line_aliases_and_rejects_label():
    disp = LossCurveDisplay([1.0, 0.5], validation_loss_curve=[1.2, 0.7]).plot(c="k", lw=3)
    for line in disp.lines_:
        assert (line.get_color(), line.get_linewidth()) == ("k", 3)
    with pytest.raises(TypeError, match="Got both lw and linewidth"):
        LossCurveDisplay([1.0, 0.5]).plot(lw=1, linewidth=2)
    with pytest.raises(ValueError, match="sets label itself.*training loss"):
        LossCurveDisplay([1.0, 0.5]).plot(label="AE")


# ---------------------------------------------------------------- OutlierScoreDisplay


@pytest.fixture(scope="module")
def shuffled_digits(data):
    """Digits plus 15 rows whose pixels were permuted, labelled 1."""
    X = data[0]
    rng = np.random.RandomState(0)
    bad = np.array([row[rng.permutation(64)] for row in X[:15]])
    return np.vstack([X, bad]), np.r_[np.zeros(len(X)), np.ones(15)]


def test_outlier_scores_split_by_label_with_threshold(shuffled_digits):
    X, y = shuffled_digits
    det = AEOutlierDetector(**{**FAST, "n_estimators": 1}).fit(X)
    disp = OutlierScoreDisplay.from_estimator(det, X, y, bins=20)
    scores = det.score_samples(X)
    assert list(disp.bars_) == ["normal rows", "anomalies"]
    normal, anomalies = disp.bars_.values()
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == [
        "normal rows", "anomalies", "offset_"]
    assert sum(p.get_height() for p in normal) == (y == 0).sum()
    assert sum(p.get_height() for p in anomalies) == (y == 1).sum()
    assert disp.line_.get_xdata()[0] == pytest.approx(-np.log10(-det.offset_))
    assert disp.roc_auc_ == pytest.approx(roc_auc_score(y, -scores))
    assert disp.ax_.get_title() == f"AEOutlierDetector: ROC-AUC {disp.roc_auc_:.3f}"
    assert disp.ax_.get_yscale() == "log"
    # +1/-1 labels as predict returns them mean the same thing
    again = OutlierScoreDisplay(scores, labels=np.where(y == 1, -1, 1), offset=det.offset_).plot()
    assert again.roc_auc_ == pytest.approx(disp.roc_auc_)


def test_outlier_scores_without_labels_or_log_scale():
    scores = np.array([-3.0, -1.0, 0.5, 2.0])
    disp = OutlierScoreDisplay(scores, offset=0.0).plot(log_scale=False, bins=4)
    assert list(disp.bars_) == ["rows"]
    (bars,) = disp.bars_.values()
    assert [p.get_height() for p in bars] == [1, 1, 1, 1]
    assert disp.roc_auc_ is None and disp.line_.get_xdata()[0] == 0.0
    with pytest.raises(ValueError, match="needs negative scores"):
        OutlierScoreDisplay(scores).plot()


def test_outlier_scores_reject_wrong_input(data):
    with pytest.raises(ValueError, match="needs an estimator with score_samples"):
        OutlierScoreDisplay.from_estimator(StandardScaler().fit(data[0]), data[0])
    with pytest.raises(ValueError, match="3 labels for 2 scores"):
        OutlierScoreDisplay([-1.0, -2.0], labels=[0, 1, 0]).plot()
    with pytest.raises(ValueError, match="labels must be 0/1"):
        OutlierScoreDisplay([-1.0, -2.0], labels=[2, 3]).plot()
    with pytest.raises(ValueError, match="finite numbers"):
        OutlierScoreDisplay([-1.0, np.nan]).plot()


def test_feature_contributions_draw_the_largest_columns_of_one_row():
    import pandas as pd

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)) @ rng.normal(size=(3, 6)),
                     columns=["age", "dose", "pulse", "weight", "height", "sugar"])
    det = AEOutlierDetector(**{**FAST, "max_iter": 20}).fit(X)
    rows = X.iloc[:4].copy()
    rows.iloc[2, 3] += 10 * X["weight"].std()
    disp = FeatureContributionDisplay.from_estimator(det, rows, row=2, max_features=4)
    contributions = det.feature_contributions(rows)[2]
    order = np.argsort(-contributions)[:4]
    assert disp.features_ == [X.columns[i] for i in order] and disp.features_[0] == "weight"
    assert [bar.get_width() for bar in disp.bars_] == pytest.approx(contributions[order])
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert labels[0] == f"weight = {rows.iloc[2, 3]:.4g}"
    assert disp.bars_[0].get_y() == max(bar.get_y() for bar in disp.bars_)  # drawn on top
    assert disp.ax_.get_title() == "AEOutlierDetector: largest contributions"
    # from arrays: the names the detector was fitted with (and scikit-learn's warning that
    # the array has none, as PCA gives it)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        again = FeatureContributionDisplay.from_estimator(det, rows.to_numpy(), row=2)
    assert again.features_[0] == "weight" and len(again.features_) == 6


def test_feature_contributions_reject_wrong_input(data):
    det = AEOutlierDetector(**FAST).fit(data[0])
    with pytest.raises(ValueError, match="needs an estimator with feature_contributions"):
        FeatureContributionDisplay.from_estimator(StandardScaler().fit(data[0]), data[0])
    with pytest.raises(ValueError, match="row=5 is not a position among the 3 rows"):
        FeatureContributionDisplay.from_estimator(det, data[0][:3], row=5)
    # a bool is not a position (reliability.md), though Python counts it an int
    for flag in [True, False, np.True_]:
        with pytest.raises(ValueError, match=f"row={flag!r} is not a position among"):
            FeatureContributionDisplay.from_estimator(det, data[0][:3], row=flag)
    with pytest.raises(ValueError, match="2 feature names for 3 contributions"):
        FeatureContributionDisplay([1.0, 2.0, 3.0], feature_names=["a", "b"]).plot()
    with pytest.raises(ValueError, match="finite numbers"):
        FeatureContributionDisplay([1.0, np.inf]).plot()


# --------------------------------------------------------------------- all displays


@pytest.mark.parametrize("make", [
    lambda est, X: LatentSpaceDisplay.from_estimator(est, X),
    lambda est, X: LatentGridDisplay.from_estimator(est),
    lambda est, X: ImageGridDisplay.from_estimator(est, X),
    lambda est, X: LossCurveDisplay.from_estimator(est),
    lambda est, X: OutlierScoreDisplay.from_estimator(est, X),
    lambda est, X: FeatureContributionDisplay.from_estimator(AEOutlierDetector(), X),
], ids=["latent_space", "latent_grid", "image_grid", "loss_curve", "outlier_scores",
        "feature_contributions"])
def test_unfitted_estimator_raises_not_fitted(make, data):
    with pytest.raises(NotFittedError):
        make(AutoencoderTransformer(2), data[0])


@pytest.mark.parametrize("disp", [
    LatentSpaceDisplay(np.zeros((3, 2))),
    LatentGridDisplay(np.zeros((2, 2, 2, 2)), extent=(0, 1, 0, 1)),
    ImageGridDisplay(np.zeros((1, 2, 4)), image_shape=(2, 2)),
    LossCurveDisplay([1.0, 0.5]),
    OutlierScoreDisplay([-1.0, -0.5]),
    FeatureContributionDisplay([1.0, -0.5]),
], ids=lambda d: type(d).__name__)
def test_missing_matplotlib_names_the_extra(disp, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"needs matplotlib.*pip install skgen\[plots\]"):
        disp.plot()
