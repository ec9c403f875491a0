"""VAETransformer: a transformer and a density estimator with honest log-likelihoods."""


import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from skgen import VAETransformer

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_torch_thread")]


def _vae(**params):
    return VAETransformer(**{"hidden_layer_sizes": (16,), "max_iter": 5, "device": "cpu",
                             "random_state": 0, **params})


@pytest.fixture(scope="module")
def gaussian():
    """Rows of a known 3-D Gaussian: a rank-2 part plus isotropic noise (a PPCA model)."""
    rng = np.random.RandomState(0)
    A = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 1.5]])
    cov = A.T @ A + 0.2 * np.eye(3)
    mean = np.array([10.0, -3.0, 0.5])
    X = rng.multivariate_normal(mean, cov, size=3000)
    return X[:2000], X[2000:], multivariate_normal(mean, cov)


@pytest.fixture(scope="module")
def curve():
    """A noisy parabola in 3-D, in small units (a 1-D nonlinear manifold)."""
    rng = np.random.RandomState(1)
    t = rng.normal(size=600)
    X = np.c_[t, t**2 - 1, 0.5 * t] + 0.05 * rng.normal(size=(600, 3))
    return 0.01 * X


# ----------------------------------------------------------------- the density


def test_held_out_score_approaches_the_true_log_density(gaussian):
    X_train, X_test, truth = gaussian
    vae = _vae(n_components=2, max_iter=10).fit(X_train)
    true_mean = truth.logpdf(X_test).mean()
    score = vae.score(X_test)
    assert score == pytest.approx(true_mean, abs=0.05)
    assert score < true_mean + 0.02  # a lower bound never clearly exceeds the truth
    error = np.abs(vae.score_samples(X_test) - truth.logpdf(X_test))
    assert error.mean() < 0.1 and error.max() < 1.0


def test_scaling_x_shifts_the_score_by_the_log_jacobian(gaussian):
    X_train, X_test, _ = gaussian
    c = 1000.0
    a = _vae().fit(X_train)
    b = _vae().fit(c * X_train)
    shift = b.score_samples(c * X_test) - a.score_samples(X_test)
    np.testing.assert_allclose(shift, -3 * np.log(c), atol=1e-3)


@pytest.mark.parametrize("scaling", ["standard", "global", None])
def test_score_is_in_the_units_of_x_whatever_the_scaling(gaussian, scaling):
    X_train, X_test, truth = gaussian
    vae = _vae(n_components=2, max_iter=10, scaling=scaling).fit(X_train)
    assert vae.score(X_test) == pytest.approx(truth.logpdf(X_test).mean(), abs=0.1)


def test_bound_tightens_with_more_importance_samples(curve):
    """Tighter with K, and converging.

    The draws are shared by all rows, so a small K is a noisy estimate for the
    whole data set (not monotone draw by draw); we compare K=1 with large K.
    """
    vae = _vae(n_components=1, hidden_layer_sizes=(32,), batch_size=32, max_iter=20).fit(curve)
    s1, s100, s1000 = (vae.set_params(n_importance_samples=k).score(curve) for k in (1, 100, 1000))
    assert s1 < s1000 and s1 < s100
    assert abs(s100 - s1000) < abs(s1 - s1000)


def test_score_uses_the_importance_samples_fixed_at_fit(curve):
    vae = _vae(n_components=1, n_importance_samples=20).fit(curve)
    assert vae.importance_draws_.shape == (20, 1)
    draws = vae.importance_draws_
    np.testing.assert_array_equal(draws[1::2], -draws[::2])  # antithetic pairs
    eps = vae.importance_draws_.copy()
    first = vae.score_samples(curve)
    np.testing.assert_array_equal(vae.score_samples(curve), first)
    vae.partial_fit(curve)
    np.testing.assert_array_equal(vae.importance_draws_, eps)  # continuing keeps them
    # more samples extend the same draws
    vae.set_params(n_importance_samples=40)
    np.testing.assert_array_equal(vae._importance_samples()[:20], eps)
    assert vae.importance_draws_.shape == (20, 1)  # scoring never mutates the estimator


def test_score_is_the_mean_of_score_samples(curve):
    vae = _vae(n_components=1).fit(curve)
    assert isinstance(vae.score(curve), float)
    assert vae.score(curve) == pytest.approx(vae.score_samples(curve).mean(), rel=1e-12)


def test_grid_search_picks_the_best_density_model_by_held_out_likelihood(curve):
    """PCA, GaussianMixture and VAETransformer as alternatives of one step.

    The data lie near a parabola, in units of 0.01: the VAE must win on
    held-out log-likelihood, which it does only if its scores are in the same
    units as PCA's and GaussianMixture's (the log-Jacobian of its internal
    scaling, here +3 log(100), is accounted for).
    """
    pipe = Pipeline([("model", PCA())])
    grid = [
        {"model": [PCA(n_components=1)]},
        {"model": [GaussianMixture(n_components=1, covariance_type="full", random_state=0)]},
        {"model": [VAETransformer(n_components=1, hidden_layer_sizes=(32,), batch_size=32,
                                  max_iter=20, device="cpu", random_state=0)]},
    ]
    search = GridSearchCV(pipe, grid, cv=3).fit(curve)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    assert isinstance(search.best_estimator_["model"], VAETransformer), scores
    assert scores[2] > scores[1] + 0.2 and scores[2] > scores[0] + 0.2
    # the PCA column is PCA's own held-out log-likelihood
    folds = np.array_split(np.arange(len(curve)), 3)
    pca = [PCA(1).fit(np.delete(curve, te, 0)).score(curve[te]) for te in folds]
    assert scores[0] == pytest.approx(np.mean(pca))


def test_grid_search_chooses_between_a_mixture_and_typed_vae_on_pixels(digits):
    """Digits in [0, 1]: held-out rows hold pixel levels their column never took in the
    training folds; they are points of the column's lattice, unusual and not impossible,
    so every fold's score is finite and the search can compare the two models."""
    X = digits[0] / 16
    grid = [
        {"model": [GaussianMixture(n_components=1, covariance_type="diag", reg_covar=1e-2)]},
        {"model": [VAETransformer(n_components=4, hidden_layer_sizes=(16,), max_iter=2,
                                  n_importance_samples=4, device="cpu", random_state=0)]},
    ]
    search = GridSearchCV(Pipeline([("model", PCA())]), grid, cv=3).fit(X)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # the premise: rows holding a level their column lacked in training score finitely
    vae = clone(grid[1]["model"][0]).fit(X[:600])
    unseen = ~np.all([np.isin(X[600:, j], vae.levels_[j]) for j in range(X.shape[1])], axis=0)
    assert unseen.sum() > 10
    assert np.all(np.isfinite(vae.score_samples(X[600:][unseen])))


# ------------------------------------------------------------------- sampling


def test_sample_reproduces_mean_and_covariance(gaussian):
    X_train, _, _ = gaussian
    vae = _vae(n_components=2, max_iter=10).fit(X_train)
    S = vae.sample(20000, random_state=0)
    assert S.shape == (20000, 3) and S.dtype == np.float64
    std = X_train.std(0)
    np.testing.assert_allclose(S.mean(0), X_train.mean(0), atol=0.05 * std.max())
    cov_s, cov_x = np.cov(S.T), np.cov(X_train.T)
    assert np.linalg.norm(cov_s - cov_x) / np.linalg.norm(cov_x) < 0.05


def test_latent_decoder_variance_fits_noise_that_depends_on_z():
    """Noise 20x larger on one side of the latent line: a z-dependent variance scores higher."""
    rng = np.random.RandomState(0)
    t = rng.normal(size=(1600, 1))
    scale = np.where(t < 0, 0.05, 1.0)
    X = np.hstack([t, t, t]) + scale * rng.normal(size=(1600, 3))
    X_train, X_test = X[:1200], X[1200:]
    params = {"n_components": 1, "hidden_layer_sizes": (32,), "max_iter": 200,
              "learning_rate_init": 3e-3}
    per_feature = _vae(**params).fit(X_train)
    per_latent = _vae(decoder_variance="latent", **params).fit(X_train)
    assert per_latent.score(X_test) > per_feature.score(X_test) + 0.3


@pytest.fixture(scope="module")
def bounded():
    """Rows in [0, 1]^2: a skewed Beta column and a U-shaped one."""
    rng = np.random.RandomState(0)
    return np.c_[rng.beta(2, 5, 2000), rng.beta(0.7, 0.7, 2000)]


def test_bounds_keep_a_normalized_density_in_the_units_of_x(bounded):
    """exp(score_samples) integrates to about 1 over the support: the logit's Jacobian is in."""
    vae = _vae(n_components=2, bounds=(0, 1), hidden_layer_sizes=(32,), max_iter=100)
    vae.fit(bounded)
    margin = 0.05 / 0.9  # the support reaches a / (1 - 2a) of the range past each bound
    grid = np.linspace(-margin, 1 + margin, 241)
    cell = (grid[1] - grid[0]) ** 2
    points = np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
    assert np.exp(vae.score_samples(points)).sum() * cell == pytest.approx(1.0, abs=0.05)
    unbounded = _vae(n_components=2, hidden_layer_sizes=(32,), max_iter=100).fit(bounded)
    assert vae.score(bounded) > unbounded.score(bounded) + 0.1


def test_bounds_keep_samples_and_reconstructions_in_range(bounded):
    margin = 0.05 / 0.9
    vae = _vae(n_components=2, bounds=(0, 1), max_iter=20).fit(bounded)
    for X in (vae.sample(2000, random_state=0), vae.inverse_transform(vae.transform(bounded))):
        assert X.min() > -margin and X.max() < 1 + margin
    unbounded = _vae(n_components=2, max_iter=20).fit(bounded)
    S = unbounded.sample(2000, random_state=0)
    assert np.mean((S < -margin) | (S > 1 + margin)) > 0.02  # plain Gaussian noise spills over


def test_bounds_scores_rows_outside_the_support_minus_inf(bounded):
    vae = _vae(bounds=([0, 0], [1, 2]), max_iter=2).fit(bounded)
    scores = vae.score_samples(np.array([[0.5, 0.5], [0.5, 2.5], [-1.0, 0.5]]))
    assert np.isfinite(scores[0]) and np.all(scores[1:] == -np.inf)
    assert np.all(np.isfinite(vae.transform([[0.5, 2.5]])))  # other methods clip


def test_bounds_errors(bounded, pixels):
    with pytest.raises(ValueError, match=r"outside bounds in 1 feature\(s\): feature 1"):
        _vae(bounds=(0, [1, 0.5])).fit(bounded)
    with pytest.raises(ValueError, match="finite low < high"):
        _vae(bounds=(1, 0)).fit(bounded)
    with pytest.raises(ValueError, match=r"pair \(low, high\)"):
        _vae(bounds=(0, 1, 2)).fit(bounded)
    with pytest.raises(ValueError, match="likelihood='gaussian' only"):
        _vae(likelihood="bernoulli", bounds=(0, 1)).fit(pixels)


@pytest.fixture(scope="module")
def clusters():
    """Two tight, distant 2-D clusters of unequal size: an aggregate posterior far from N(0, I)."""
    rng = np.random.RandomState(0)
    centers = np.array([[-3.0, 0.0], [3.0, 1.0]])
    labels = (rng.uniform(size=1500) < 0.3).astype(int)
    return centers[labels] + 0.3 * rng.normal(size=(1500, 2))


def test_mixture_prior_samples_the_clusters_and_not_the_gap(clusters):
    """N(0, I) codes fall between the clusters; the mixture fitted on the codes does not."""
    X_train, X_test = clusters[:1000], clusters[1000:]
    params = {"n_components": 2, "hidden_layer_sizes": (32,), "max_iter": 60}
    mixture = _vae(**params).fit(X_train)
    normal = _vae(prior="normal", **params).fit(X_train)
    assert isinstance(mixture.prior_, GaussianMixture) and normal.prior_ is None
    assert mixture.prior_.n_components >= 2  # BIC sees the clusters in the codes
    # same seed, same training: only the prior differs
    for a, b in zip(mixture.module_.parameters(), normal.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)

    def in_gap(S):
        return np.mean(np.abs(S[:, 0]) < 1.5)

    assert in_gap(X_train) == 0
    assert in_gap(normal.sample(4000, random_state=0)) > 0.05
    assert in_gap(mixture.sample(4000, random_state=0)) < 0.5 * in_gap(
        normal.sample(4000, random_state=0))
    share = np.mean(mixture.sample(4000, random_state=1)[:, 0] > 0)
    assert share == pytest.approx(0.3, abs=0.05)
    # the prior is part of the model that score_samples scores, and it fits better
    assert mixture.score(X_test) > normal.score(X_test) + 0.1


def test_mixture_prior_keeps_a_normalized_density(clusters):
    """exp(score_samples) integrates to about 1: the bound uses the mixture as p(z)."""
    vae = _vae(n_components=2, hidden_layer_sizes=(32,), max_iter=60).fit(clusters)
    assert vae.prior_.n_components >= 2
    gx, gy = np.linspace(-6, 6, 241), np.linspace(-3, 4, 141)
    cell = (gx[1] - gx[0]) * (gy[1] - gy[0])
    points = np.array(np.meshgrid(gx, gy)).reshape(2, -1).T
    assert np.exp(vae.score_samples(points)).sum() * cell == pytest.approx(1.0, abs=0.05)


def test_mixture_prior_is_reproducible_and_refitted_by_partial_fit(clusters):
    a = _vae(n_components=2).fit(clusters)
    b = _vae(n_components=2).fit(clusters)
    np.testing.assert_array_equal(a.prior_.means_, b.prior_.means_)
    np.testing.assert_array_equal(a.sample(50, random_state=0), b.sample(50, random_state=0))
    np.testing.assert_array_equal(a.score_samples(clusters), b.score_samples(clusters))
    before = a.prior_
    a.partial_fit(clusters[:300])
    assert a.prior_ is not before and a.prior_.n_features_in_ == 2
    a.set_params(prior="normal").partial_fit(clusters[:300])
    assert a.prior_ is None


def test_sample_noise_none_gives_the_decoder_means_of_the_same_codes(curve):
    vae = _vae(n_components=1, decoder_variance="feature").fit(curve)
    drawn = vae.sample(5000, random_state=0)
    means = vae.set_params(sample_noise="none").sample(5000, random_state=0)
    # the same codes: what the decoder draw adds is its own Gaussian noise, in the units of X
    noise = drawn - means
    std = np.sqrt(np.exp(vae.module_.decoder_log_var().detach().numpy())) * vae.scale_
    np.testing.assert_allclose(noise.std(axis=0), std, rtol=0.05)
    np.testing.assert_allclose(noise.mean(axis=0), 0, atol=0.05 * std.max())
    codes = vae._draw_codes(np.random.RandomState(
        np.random.RandomState(0).randint(np.iinfo(np.int32).max)), 5000)
    np.testing.assert_allclose(means, vae.inverse_transform(codes))


def test_sampling_setting_cannot_change_the_grid_search_score(clusters):
    """GridSearchCV with no scoring ranks by held-out log-likelihood; sample_noise is no part of it.

    The prior is: it changes the model, so it changes the score.
    """
    vae = _vae(n_components=2, hidden_layer_sizes=(32,), max_iter=30)
    grid = {"sample_noise": ["decoder", "none"], "prior": ["mixture", "normal"]}
    search = GridSearchCV(vae, grid, cv=KFold(3)).fit(clusters)
    scores = dict(zip(((p["prior"], p["sample_noise"]) for p in search.cv_results_["params"]),
                      search.cv_results_["mean_test_score"]))
    assert scores["mixture", "decoder"] == scores["mixture", "none"]
    assert scores["normal", "decoder"] == scores["normal", "none"]
    assert scores["mixture", "decoder"] > scores["normal", "decoder"]
    assert search.best_params_["prior"] == "mixture"
    # the default scoring is the held-out mean of score_samples
    manual = np.mean([_vae(n_components=2, hidden_layer_sizes=(32,), max_iter=30)
                      .fit(clusters[tr]).score(clusters[te]) for tr, te in KFold(3).split(clusters)])
    assert scores["mixture", "decoder"] == pytest.approx(manual, rel=1e-12)


def test_sample_random_state(curve):
    vae = _vae(n_components=1).fit(curve)
    np.testing.assert_array_equal(vae.sample(5, random_state=3), vae.sample(5, random_state=3))
    assert not np.array_equal(vae.sample(5, random_state=3), vae.sample(5, random_state=4))
    state = np.random.get_state()  # noqa: NPY002
    assert vae.sample(1).shape == (1, 3)
    assert np.array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002
    for bad in (0, -1, 2.5, "3"):
        with pytest.raises(ValueError, match="n_samples"):
            vae.sample(bad)
    # what scikit-learn users pass: int, RandomState, Generator, None
    np.testing.assert_array_equal(vae.sample(5, random_state=np.random.default_rng(7)),
                                  vae.sample(5, random_state=np.random.default_rng(7)))
    np.testing.assert_array_equal(vae.sample(5, random_state=np.random.RandomState(7)),
                                  vae.sample(5, random_state=np.random.RandomState(7)))
    generator = np.random.default_rng(7)
    assert not np.array_equal(vae.sample(5, random_state=generator),
                              vae.sample(5, random_state=generator))  # advanced by each call
    assert vae.sample(2, random_state=np.int64(3)).shape == (2, 3)
    with pytest.raises(ValueError, match="random_state must be None, an int"):
        vae.sample(2, random_state="seed")
    with pytest.raises(NotFittedError):
        _vae().sample(2)


# --------------------------------------------------------------- transformer


def test_transform_is_the_deterministic_posterior_mean(curve):
    vae = _vae(n_components=1).fit(curve)
    Z = vae.transform(curve)
    np.testing.assert_array_equal(Z, vae.transform(curve))
    with torch.no_grad():
        mu, _ = vae.module_.double().encode(torch.from_numpy((curve - vae.mean_) / vae.scale_))
    np.testing.assert_allclose(Z, mu.numpy(), rtol=1e-10, atol=1e-12)


def test_inverse_transform_is_in_the_units_of_x(curve):
    vae = _vae(n_components=1, hidden_layer_sizes=(32,), max_iter=40).fit(curve)
    X_rec = vae.inverse_transform(vae.transform(curve))
    r2 = 1 - ((curve - X_rec) ** 2).sum() / ((curve - curve.mean(0)) ** 2).sum()
    assert r2 > 0.9
    pca_rec = PCA(1).fit(curve)
    r2_pca = 1 - ((curve - pca_rec.inverse_transform(pca_rec.transform(curve))) ** 2).sum() / (
        (curve - curve.mean(0)) ** 2).sum()
    assert r2 > r2_pca  # the nonlinear decoder follows the parabola
    with pytest.raises(ValueError, match="n_components=1"):
        vae.inverse_transform(np.zeros((2, 3)))


def test_kl_warmup_starts_from_beta_zero(curve):
    params = {"n_components": 1, "max_iter": 3, "early_stopping": False}
    warm = _vae(kl_warmup_epochs=4, **params).fit(curve)
    no_kl = _vae(beta=0.0, **params).fit(curve)
    full = _vae(**params).fit(curve)
    assert warm.loss_curve_[0] == no_kl.loss_curve_[0]  # epoch 0 trains with beta = 0
    assert warm.loss_curve_[1] != no_kl.loss_curve_[1]
    assert warm.loss_curve_[0] < full.loss_curve_[0]


# ------------------------------------------------------------------ bernoulli


@pytest.fixture(scope="module")
def pixels():
    from sklearn.datasets import load_digits

    X = load_digits().data[:400] / 16.0
    return (X > 0.5).astype(np.float64)


def test_bernoulli_likelihood_on_binary_pixels(pixels):
    vae = _vae(likelihood="bernoulli", n_components=4, hidden_layer_sizes=(32,), batch_size=32,
               max_iter=10).fit(pixels)
    assert np.all(vae.scale_ == 1) and np.all(vae.mean_ == 0)
    scores = vae.score_samples(pixels)
    assert np.all(np.isfinite(scores)) and np.all(scores < 0)
    # better than independent pixels with the training frequencies
    p = pixels.mean(0).clip(1e-3, 1 - 1e-3)
    baseline = (pixels * np.log(p) + (1 - pixels) * np.log(1 - p)).sum(1).mean()
    assert scores.mean() > baseline
    means = vae.inverse_transform(vae.transform(pixels))
    assert means.min() >= 0 and means.max() <= 1
    S = vae.sample(50, random_state=0)
    assert set(np.unique(S)) <= {0.0, 1.0}


def test_bernoulli_errors(pixels):
    # the range of the continuous columns (binary ones have their own head)
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\]"):
        _vae(likelihood="bernoulli", column_types="continuous").fit(pixels * 2)
    vae = _vae(likelihood="bernoulli", column_types="continuous").fit(pixels)
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\]"):
        vae.score_samples(pixels - 0.5)
    with pytest.raises(ValueError, match="scaling must be 'auto' or None"):
        _vae(likelihood="bernoulli", scaling="standard").fit(pixels)



# --------------------------------------------------------------- column types


@pytest.fixture(scope="module")
def mixed():
    """A table of every kind of column, as an array: what 'auto' must tell apart."""
    rng = np.random.RandomState(0)
    n = 400
    z = rng.normal(size=n)
    return np.c_[
        z + 0.1 * rng.normal(size=n),                          # continuous
        (z + rng.normal(size=n) > 0).astype(float),            # binary
        np.clip(np.round(2 * z + 3), 0, 6),                    # discrete: 7 levels
        np.full(n, 4.0),                                       # constant
        np.clip(np.round(rng.normal(size=n), 1), -1.5, 1.5) * 0.7 + 5,  # 31 levels, not integers
    ]


@pytest.fixture(scope="module")
def frame():
    """A DataFrame with string, category and bool columns beside numeric ones."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    n = 300
    kind = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    size = np.where(kind == "a", 1.0, 3.0) + 0.3 * rng.normal(size=n)
    return pd.DataFrame({
        "kind": kind,
        "size": size,
        "grade": pd.Categorical(rng.choice(["low", "high", "mid"], size=n),
                                categories=["low", "mid", "high", "unused"], ordered=True),
        "flag": size > 2,
        "count": rng.poisson(2, size=n).astype(np.int64),
    })


def test_auto_column_types_follow_the_values(mixed):
    vae = _vae().fit(mixed)
    assert list(vae.column_types_) == ["continuous", "binary", "discrete", "discrete",
                                       "discrete"]
    assert vae.levels_[0] is None
    np.testing.assert_array_equal(vae.levels_[1], [0.0, 1.0])
    np.testing.assert_array_equal(vae.levels_[2], np.arange(7.0))
    np.testing.assert_array_equal(vae.levels_[3], [4.0])
    # a measured column (every value once) is continuous even on a few rows
    assert list(_vae().fit(mixed[:30, [0, 0]]).column_types_) == ["continuous"] * 2


def test_auto_column_types_of_a_dataframe(frame):
    vae = _vae().fit(frame)
    assert list(vae.column_types_) == ["categorical", "continuous", "categorical", "binary",
                                       "discrete"]
    np.testing.assert_array_equal(vae.levels_[0], ["a", "b", "c"])
    np.testing.assert_array_equal(vae.levels_[2], ["high", "low", "mid"])  # the seen ones
    np.testing.assert_array_equal(vae.feature_names_in_, frame.columns)


def test_column_types_parameter_overrides_auto(mixed, frame):
    by_position = _vae(column_types={2: "categorical", -1: "continuous"}).fit(mixed)
    assert list(by_position.column_types_) == ["continuous", "binary", "categorical",
                                               "discrete", "continuous"]
    by_name = _vae(column_types={"count": "continuous", "kind": "categorical"}).fit(frame)
    assert by_name.column_types_[4] == "continuous"
    as_list = _vae(column_types=["continuous"] * 5).fit(mixed)
    assert set(as_list.column_types_) == {"continuous"}
    # one type for all: the numeric columns; string columns stay categorical/binary
    everything = _vae(column_types="continuous").fit(frame)
    assert list(everything.column_types_) == ["categorical", "continuous", "categorical",
                                              "binary", "continuous"]


@pytest.mark.parametrize("column_types, match", [
    ({"nope": "discrete"}, "names a column 'nope'"),
    ({"kind": "continuous"}, "is not numeric"),
    ({"count": "binary"}, "cannot be 'binary'"),
    ({"size": "ordinal"}, "Unknown column type 'ordinal'"),
    (["auto"] * 3, "has 3 entries, but X has 5 columns"),
])
def test_column_types_errors_name_the_problem(frame, column_types, match):
    with pytest.raises(ValueError, match=match):
        _vae(column_types=column_types).fit(frame)


def test_all_continuous_data_keeps_the_continuous_model(curve):
    """'auto' on measured columns is the model of column_types='continuous', bit for bit."""
    auto = _vae(n_components=1).fit(curve)
    continuous = _vae(n_components=1, column_types="continuous").fit(curve)
    assert set(auto.column_types_) == {"continuous"}
    for name in ("transform", "score_samples"):
        np.testing.assert_array_equal(getattr(auto, name)(curve),
                                      getattr(continuous, name)(curve))
    np.testing.assert_array_equal(auto.sample(20, random_state=0),
                                  continuous.sample(20, random_state=0))


def test_sample_holds_only_fitted_levels(mixed):
    vae = _vae(n_components=2, max_iter=20).fit(mixed)
    S = vae.sample(500, random_state=0)
    for j in (1, 2, 3, 4):
        assert set(np.unique(S[:, j])) <= set(vae.levels_[j])
    assert len(np.unique(S[:, 0])) == 500  # the continuous column is continuous
    # the continuous model samples between the levels
    plain = _vae(n_components=2, max_iter=20, column_types="continuous").fit(mixed)
    assert not set(np.unique(plain.sample(500, random_state=0)[:, 2])) <= set(range(7))


def test_point_masses_of_a_continuous_column():
    """60% exact zeros and a spread of positive values: a probability for 0, a density else."""
    rng = np.random.RandomState(0)
    z = rng.normal(size=1000)
    amount = np.where(z > -0.25, 0.0, np.exp(z + rng.normal(size=1000)))
    X = np.c_[z, amount]
    vae = _vae(n_components=1, hidden_layer_sizes=(16,), max_iter=60,
               learning_rate_init=3e-3).fit(X)
    assert list(vae.column_types_) == ["continuous", "continuous"]
    assert vae.levels_[0] is None
    np.testing.assert_array_equal(vae.levels_[1], [0.0])
    S = vae.sample(4000, random_state=0)
    assert np.mean(S[:, 1] == 0) == pytest.approx(np.mean(amount == 0), abs=0.05)
    assert len(np.unique(S[S[:, 1] != 0, 1])) == np.sum(S[:, 1] != 0)  # the rest: a density
    assert np.corrcoef(S[:, 0], S[:, 1] == 0)[0, 1] > 0.2  # zeros where z is high
    rebuilt = vae.inverse_transform(vae.transform(X))
    assert np.mean((rebuilt[:, 1] == 0) == (amount == 0)) > 0.8
    scores = vae.score_samples(X[:50])
    assert np.all(np.isfinite(scores))
    # a zero row's score is a mass in that column: rescaling X leaves that term alone
    # (five epochs, as in test_scaling_x_shifts_the_score_by_the_log_jacobian)
    a = _vae(n_components=1).fit(X)
    b = _vae(n_components=1).fit(X * [1, 10])
    at_zero, elsewhere = X[:50, 1] == 0, X[:50, 1] != 0
    shift = b.score_samples(X[:50] * [1, 10]) - a.score_samples(X[:50])
    np.testing.assert_allclose(shift[at_zero], 0, atol=1e-3)
    np.testing.assert_allclose(shift[elsewhere], -np.log(10), atol=1e-3)
    plain = _vae(n_components=1, column_types="continuous").fit(X)
    assert plain.levels_[1] is None and np.mean(plain.sample(500, random_state=0)[:, 1] == 0) == 0


def test_sample_of_a_dataframe_has_its_columns_and_dtypes(frame):
    vae = _vae(max_iter=20).fit(frame)
    S = vae.sample(200, random_state=0)
    assert list(S.columns) == list(frame.columns)
    assert S.dtypes.to_dict() == frame.dtypes.to_dict()  # category with all its categories
    assert list(S["grade"].cat.categories) == ["low", "mid", "high", "unused"]
    assert S["grade"].cat.ordered
    assert set(S["kind"]) <= {"a", "b", "c"} and "unused" not in set(S["grade"])
    assert set(S["count"]) <= set(frame["count"])
    # the decoder ties kind to size: 'a' rows are small
    assert S.loc[S["kind"] == "a", "size"].mean() < S.loc[S["kind"] != "a", "size"].mean()
    np.testing.assert_array_equal(vae.sample(5, random_state=1).to_numpy(),
                                  vae.sample(5, random_state=1).to_numpy())


def test_inverse_transform_gives_the_most_likely_levels(frame):
    vae = _vae(max_iter=30).fit(frame)
    rebuilt = vae.inverse_transform(vae.transform(frame))
    assert list(rebuilt.columns) == list(frame.columns)
    assert rebuilt.dtypes.to_dict() == frame.dtypes.to_dict()
    assert np.mean(rebuilt["kind"] == frame["kind"]) > 0.6  # "a" alone would be 0.5
    assert set(rebuilt["count"]) <= set(frame["count"])
    # sample_noise='none' draws the same: the most likely rows of the drawn codes
    codes = vae._draw_codes(np.random.RandomState(
        np.random.RandomState(0).randint(np.iinfo(np.int32).max)), 10)
    means = vae.set_params(sample_noise="none").sample(10, random_state=0)
    assert means.equals(vae.inverse_transform(codes))


def test_typed_score_samples_is_a_probability_mass():
    """Two discrete columns: exp(score_samples) over every pair of levels sums to about 1."""
    rng = np.random.RandomState(0)
    a = rng.choice(3, size=600, p=[0.6, 0.3, 0.1])
    X = np.c_[a, (a + rng.choice(2, size=600)) % 3].astype(float)
    vae = _vae(n_components=2, hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=1e-2,
               n_importance_samples=500).fit(X)
    assert list(vae.column_types_) == ["discrete", "discrete"]
    grid = np.array([[i, j] for i in range(3) for j in range(3)], dtype=float)
    p = np.exp(vae.score_samples(grid))
    assert p.sum() == pytest.approx(1.0, abs=0.03)
    counts = np.array([np.mean((X == row).all(1)) for row in grid])
    np.testing.assert_allclose(p, counts, atol=0.05)  # it learned the frequencies
    # the integers never seen get the little mass the seen levels leave: the sum over
    # the lattice stays about 1, and the unseen ones weigh less than 1/n each
    lattice = np.arange(-30, 33, dtype=float)
    wide = np.array([[i, j] for i in lattice for j in lattice])
    scores = vae.score_samples(wide)
    assert np.all(np.isfinite(scores))
    p_wide = np.exp(scores)
    assert p_wide.sum() == pytest.approx(p.sum(), abs=0.005) and p_wide.sum() < 1.03
    unseen = ~np.isin(wide, [0, 1, 2]).all(1)
    assert p_wide[unseen].max() < 1 / len(X)


def test_values_never_seen_at_fit(mixed, frame):
    vae = _vae().fit(mixed)
    new = mixed[:3].copy()
    new[0, 2] = 2.5  # not a level of the discrete column, nor on its lattice
    new[1, 1] = 2.0  # not a level of the binary column, on its lattice
    scores = vae.score_samples(new)
    assert np.all(np.isfinite(scores))  # unusual, not impossible
    assert np.all(scores[:2] < vae.score_samples(mixed[:2]) - 2)
    assert np.all(np.isfinite(vae.transform(new)))  # the encoder reads numbers
    with pytest.raises(ValueError, match=r"Column 1 holds 1 value\(s\) never seen at fit"):
        vae.partial_fit(new)  # a level the model has no head for cannot be trained on
    typed = _vae().fit(frame)
    odd = frame.iloc[:3].copy()
    odd["kind"] = ["a", "zzz", "b"]
    with pytest.raises(ValueError, match=r"Column 'kind' holds 1 value\(s\) never seen.*'zzz'"):
        typed.transform(odd)
    scores = typed.score_samples(odd)
    assert scores[1] == -np.inf and np.all(np.isfinite(scores[[0, 2]]))


def test_wrong_column_types_at_inference_are_clear(frame):
    vae = _vae().fit(frame)
    numeric_kind = frame.assign(kind=np.arange(len(frame), dtype=float))
    with pytest.raises(ValueError, match="Column 'kind' was non-numeric at fit but is numeric"):
        vae.transform(numeric_kind)
    with pytest.raises(ValueError, match="needs a pandas DataFrame"):
        vae.transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="column 'kind' has 1 missing"):
        _vae().fit(frame.assign(kind=frame["kind"].where(frame.index != 3)))


def test_inference_reads_the_fitted_model_not_the_parameters(curve):
    """Parameters changed after fit take effect at the next fit, as PCA's do."""
    vae = _vae(n_components=1).fit(curve)
    before = {"sample": vae.sample(20, random_state=0), "transform": vae.transform(curve),
              "score": vae.score_samples(curve)}
    before["inverse"] = vae.inverse_transform(before["transform"])
    vae.set_params(likelihood="bernoulli", n_components=3, column_types="discrete",
                   bounds=(-10, 10), prior="normal")
    np.testing.assert_array_equal(vae.sample(20, random_state=0), before["sample"])
    np.testing.assert_array_equal(vae.transform(curve), before["transform"])
    np.testing.assert_array_equal(vae.inverse_transform(before["transform"]),
                                  before["inverse"])
    np.testing.assert_array_equal(vae.score_samples(curve), before["score"])
    assert vae.get_feature_names_out().shape == (1,)


def test_score_samples_decodes_within_its_memory_budget(monkeypatch, mixed):
    """Draws x rows x width per decoded block stays under the budget, whatever the width."""
    from skgen import _vae as vae_module

    vae = _vae(n_importance_samples=8).fit(mixed)
    rows = mixed[:40]
    expected = vae.score_samples(rows)
    budget_bytes = 8 * 3 * vae.module_.decoded_width()  # float64: three row-draws a block
    monkeypatch.setattr(vae_module, "_SCORE_BYTES", budget_bytes)
    seen = []
    decode = type(vae.module_).decode

    def recording(module, z):
        seen.append(z.shape[0])
        return decode(module, z)

    monkeypatch.setattr(type(vae.module_), "decode", recording)
    np.testing.assert_allclose(vae.score_samples(rows), expected, rtol=1e-12)
    assert max(seen) <= 3 and len(seen) >= len(rows) * 8 // 3


def test_typed_fit_is_reproducible_and_atomic(frame):
    a = _vae(random_state=3).fit(frame)
    b = _vae(random_state=3).fit(frame)
    assert a.sample(30, random_state=0).equals(b.sample(30, random_state=0))
    np.testing.assert_array_equal(a.score_samples(frame), b.score_samples(frame))
    state = dict(vars(a))
    missing = frame.assign(kind=frame["kind"].where(frame.index != 0))
    with pytest.raises(ValueError, match="column 'kind' has 1 missing"):
        a.fit(missing)
    assert vars(a).keys() == state.keys()
    assert a.column_types_ is state["column_types_"] and a.levels_ is state["levels_"]


def test_typed_digits_samples_match_the_pixel_levels(digits):
    """On digits every pixel is one of 17 levels: typed samples keep their frequencies."""
    X = digits[0][:600]
    vae = _vae(n_components=4, hidden_layer_sizes=(64,), max_iter=30).fit(X)
    assert set(vae.column_types_) <= {"discrete", "binary"}
    S = vae.sample(3000, random_state=0)
    share_zero = np.abs((S == 0).mean(0) - (X == 0).mean(0))
    assert share_zero.max() < 0.1
    assert np.all(np.isin(S, np.arange(17)))


def test_an_object_column_of_numbers_is_numeric(frame):
    """pandas keeps numbers in an object column at times: they are numbers, not levels."""
    as_object = frame.assign(size=frame["size"].astype(object))
    vae = _vae().fit(as_object)
    assert vae.column_types_[1] == "continuous"
    np.testing.assert_array_equal(vae.transform(as_object), _vae().fit(frame).transform(frame))


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint8", "uint16", "UInt8", "Int16"])
def test_integer_columns_are_clipped_to_their_dtype_never_wrapped(dtype):
    """An integer column modelled as continuous: draws beyond the dtype's range are its
    bounds (as numpy.clip), not values wrapped around (130 as int8 is -126) or a crash."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    numpy_dtype = pd.api.types.pandas_dtype(dtype)
    info = np.iinfo(getattr(numpy_dtype, "numpy_dtype", numpy_dtype))
    top = rng.randint(0, 126, size=500) + info.max - 125  # the range's top
    wide = pd.DataFrame({"x": rng.normal(size=500), "v": top.astype(np.int64)})
    narrow = wide.astype({"v": dtype})
    a, b = _vae().fit(wide), _vae().fit(narrow)
    assert a.column_types_[1] == "continuous"
    codes = a.transform(wide) * 20  # far out: the decoder's means leave the range too
    beyond = 0
    for method, args in (("sample", (400,)), ("inverse_transform", (codes,))):
        kw = {"random_state": 0} if method == "sample" else {}
        unclipped = getattr(a, method)(*args, **kw)["v"]
        beyond += (unclipped > info.max).sum()
        got = getattr(b, method)(*args, **kw)["v"]
        assert got.dtype == narrow["v"].dtype
        np.testing.assert_array_equal(got.to_numpy(np.int64),
                                      unclipped.clip(info.min, info.max).to_numpy(np.int64))
    assert beyond > 0  # the premise: values beyond the dtype's range to clip


def test_integers_beyond_2_53_are_refused_not_merged():
    """float64 merges 64-bit codes above 2**53: three codes would become two, and samples
    codes no row holds. An error naming the column, at fit and at inference."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    codes = np.array([9007199254740993, 9007199254740995, 9007199254740997])
    df = pd.DataFrame({"x": rng.normal(size=300), "code": rng.choice(codes, size=300)})
    with pytest.raises(ValueError, match=r"Column 'code' holds integers beyond 2\*\*53"):
        _vae().fit(df)
    with pytest.raises(ValueError, match=r"Column 1 holds integers beyond 2\*\*53"):
        _vae().fit(df.to_numpy(np.int64))
    small = df.assign(code=rng.choice(3, size=300))
    vae = _vae().fit(small)
    with pytest.raises(ValueError, match=r"Column 'code' holds integers beyond 2\*\*53"):
        vae.score_samples(df)
    as_strings = _vae().fit(df.astype({"code": str}))  # the way out the message gives
    assert as_strings.column_types_[1] == "categorical"


def test_object_integers_and_arrow_strings_keep_their_types():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    df = pd.DataFrame({
        "x": rng.normal(size=300),
        "o": pd.Series(rng.randint(1, 4, size=300).tolist(), dtype=object),
        "big": pd.Series((rng.randint(0, 300, size=300) * 7).tolist(), dtype=object),
        "s": pd.Series(rng.choice(list("abc"), size=300), dtype="string[pyarrow]")})
    vae = _vae().fit(df)
    assert list(vae.column_types_) == ["continuous", "discrete", "continuous", "categorical"]
    for out in (vae.sample(20, random_state=0), vae.inverse_transform(vae.transform(df[:20]))):
        assert out.dtypes.equals(df.dtypes)
        assert out.dtypes["s"].storage == "pyarrow"  # (its repr differs in pandas 2 and 3)
        for name in ("o", "big"):
            assert all(type(v) is int for v in out[name])
        assert set(out["o"]) <= {1, 2, 3}


def test_float32_rows_read_the_levels_of_a_float64_fit():
    """float32(0.1) is the level 0.1: same scores to float32 precision, same codes."""
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(size=400), rng.choice([0.1, 0.2, 0.3, 0.7], size=400)]
    vae = _vae().fit(X)
    assert vae.column_types_[1] == "discrete"
    np.testing.assert_allclose(vae.score_samples(X[:20].astype(np.float32)),
                               vae.score_samples(X[:20]), rtol=1e-5)
    cat = _vae(column_types={1: "categorical"}).fit(X)
    np.testing.assert_allclose(cat.transform(X[:20].astype(np.float32)), cat.transform(X[:20]),
                               rtol=1e-4, atol=1e-5)
    # and the other way round: a float32 fit scores float64 copies of its rows
    fit32 = _vae().fit(X.astype(np.float32))
    np.testing.assert_allclose(fit32.score_samples(X[:20].astype(np.float32).astype(np.float64)),
                               fit32.score_samples(X[:20].astype(np.float32)), rtol=1e-5)


def test_inverse_transform_of_a_dataframe_keeps_its_index(frame):
    """Reconstructions line up with their rows under pandas' alignment."""
    vae = _vae().set_output(transform="pandas").fit(frame)
    held_out = frame.iloc[::-3]
    Z = vae.transform(held_out)
    rebuilt = vae.inverse_transform(Z)
    assert rebuilt.index.equals(held_out.index)
    pd = pytest.importorskip("pandas")
    pd.testing.assert_frame_equal(rebuilt.reset_index(drop=True),
                                  vae.inverse_transform(Z.to_numpy()))


@pytest.mark.parametrize("columns, match", [
    (["kind", "size", "grade", "flag", "count", "extra"], "Feature names unseen at fit time"),
    (["size", "kind", "grade", "flag", "count"], "must be in the same order"),
    (["kind", "grade", "flag", "count"], "seen at fit time, yet now missing"),
])
def test_inference_checks_names_and_order_first(frame, columns, match):
    """scikit-learn's messages about names, before the columns' types or levels are read."""
    vae = _vae().fit(frame)
    X = frame.assign(extra=1.0)[columns]
    for method in ("transform", "score_samples"):
        with pytest.raises(ValueError, match=match):
            getattr(vae, method)(X)
    numeric = _vae().fit(frame[["size", "count"]])
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        numeric.transform(frame[["size", "count", "kind"]])


def test_bernoulli_checks_the_range_of_the_continuous_columns_only():
    """Pixels in [0, 1] beside a count: the count has its own categorical head."""
    rng = np.random.RandomState(0)
    X = np.c_[rng.random_sample((300, 2)), rng.randint(0, 5, size=300)]
    vae = _vae(likelihood="bernoulli", column_types={2: "discrete"}).fit(X)
    assert list(vae.column_types_) == ["continuous", "continuous", "discrete"]
    assert set(np.unique(vae.sample(200, random_state=0)[:, 2])) <= set(range(5))
    with pytest.raises(ValueError, match="needs X in \\[0, 1\\]"):
        vae.transform(X * [2, 1, 1])


def test_an_identifier_column_is_named_in_a_warning():
    """Most rows hold a level seen once: the Good-Turing rule of numeric columns."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    df = pd.DataFrame({"x": rng.normal(size=300), "id": [f"c{i:05d}" for i in range(300)],
                       "kind": rng.choice(list("abc"), size=300)})
    with pytest.warns(UserWarning, match=r"Column 1 \('id'\) has 300 levels.*100% of the rows"):
        _vae(max_iter=1).fit(df)
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        _vae(max_iter=1).fit(df.drop(columns="id"))


def test_a_polars_frame_with_string_columns_is_read_as_pandas(frame):
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    plain = frame.assign(grade=frame["grade"].astype(str))
    vae = _vae().fit(pl.from_pandas(plain))
    assert list(vae.column_types_) == list(_vae().fit(plain).column_types_)
    np.testing.assert_array_equal(vae.transform(pl.from_pandas(plain)),
                                  _vae().fit(plain).transform(plain))
