"""VAETransformer: a transformer and a density estimator with honest log-likelihoods."""


import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from skgen import VAETransformer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny networks gain nothing from threads; on a busy machine two were 50x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\]"):
        _vae(likelihood="bernoulli").fit(pixels * 2)
    vae = _vae(likelihood="bernoulli").fit(pixels)
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\]"):
        vae.score_samples(pixels - 0.5)
    with pytest.raises(ValueError, match="scaling must be 'auto' or None"):
        _vae(likelihood="bernoulli", scaling="standard").fit(pixels)

