"""Quantile normalization: a bijection with a log-Jacobian, and the VAE's marginals with it."""

import numpy as np
import pytest
from scipy.stats import ks_2samp

from skgen import VAETransformer
from skgen._quantile import (
    fit_quantile_knots,
    quantile_inverse,
    quantile_log_jacobian,
    quantile_map,
)

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture(scope="module")
def skewed():
    rng = np.random.RandomState(0)
    return np.column_stack([rng.exponential(size=1500), rng.normal(size=1500)])


def test_the_map_is_a_bijection_to_normal_scores(skewed):
    knots = fit_quantile_knots(skewed)
    U = quantile_map(skewed, knots)
    np.testing.assert_allclose(U.mean(0), 0, atol=0.05)
    np.testing.assert_allclose(U.std(0), 1, atol=0.05)
    grid = np.linspace(-20, 40, 1001)[:, None].repeat(2, axis=1)  # far beyond the data too
    mapped = quantile_map(grid, knots)
    assert np.all(np.diff(mapped, axis=0) > 0)
    np.testing.assert_allclose(quantile_inverse(mapped, knots), grid, atol=1e-9)
    # the Jacobian is the map's slope
    h = 1e-7
    slope = (quantile_map(grid + h, knots) - quantile_map(grid, knots)) / h
    np.testing.assert_allclose(np.exp(quantile_log_jacobian(grid + h / 2, knots)),
                               slope.prod(1), rtol=1e-4)
    # a constant column, or one too short for two knots, maps as it is
    flat = fit_quantile_knots(np.ones((50, 1)))
    np.testing.assert_array_equal(quantile_map(np.array([[3.0]]), flat), [[3.0]])


def test_vae_density_stays_normalized_in_the_units_of_x(skewed):
    vae = VAETransformer(n_components=1, normalization="quantile", hidden_layer_sizes=(32,),
                         random_state=0, device="cpu").fit(skewed[:, :1])
    assert vae.quantile_knots_ is not None
    grid = np.linspace(-1, 15, 40001)[:, None]
    mass = np.exp(vae.score_samples(grid)).sum() * (grid[1, 0] - grid[0, 0])
    assert mass == pytest.approx(1.0, abs=0.02)


def test_samples_follow_a_skewed_marginal(skewed):
    params = {"n_components": 2, "hidden_layer_sizes": (32,), "random_state": 0,
              "device": "cpu"}
    plain = VAETransformer(**params).fit(skewed)
    normalized = VAETransformer(normalization="quantile", **params).fit(skewed)
    S = normalized.sample(3000, random_state=0)
    assert S[:, 0].min() > -0.1  # the Gaussian head alone spills below 0
    assert (ks_2samp(S[:, 0], skewed[:, 0]).statistic
            < ks_2samp(plain.sample(3000, random_state=0)[:, 0], skewed[:, 0]).statistic)
    Z = normalized.transform(skewed[:5])
    assert normalized.inverse_transform(Z).shape == (5, 2)


def test_point_masses_and_bounds_with_the_map():
    rng = np.random.RandomState(0)
    x = np.where(rng.uniform(size=1000) < 0.3, 0.0, rng.exponential(size=1000))
    X = np.column_stack([x, rng.normal(size=1000)])
    vae = VAETransformer(n_components=2, normalization="quantile", bounds=(-10, 30),
                         hidden_layer_sizes=(32,), max_iter=30, random_state=0,
                         device="cpu").fit(X)
    S = vae.sample(2000, random_state=0)
    assert np.mean(S[:, 0] == 0.0) == pytest.approx(0.3, abs=0.06)
    assert S.min() >= -10 and S.max() <= 30
    assert np.isfinite(vae.score_samples(X[:50])).all()


def test_quantile_needs_the_gaussian_likelihood():
    X = np.random.RandomState(0).uniform(size=(50, 3))
    with pytest.raises(ValueError, match="normalization='quantile' applies to"):
        VAETransformer(likelihood="bernoulli", normalization="quantile").fit(X)
