"""The mixture prior on its own: its size by BIC, its draws and its log-density."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.mixture import GaussianMixture

from skgen._mixture import (
    draw_from_mixture,
    fit_code_mixture,
    gaussian_mixture_log_prob,
    mixture_log_density,
)


def _two_clusters(n=600, seed=0):
    rng = np.random.RandomState(seed)
    return np.r_[rng.normal(size=(n // 2, 2)) - 5, 0.5 * rng.normal(size=(n // 2, 2)) + 5]


def test_the_size_is_chosen_by_bic():
    rng = np.random.RandomState(0)
    assert fit_code_mixture(rng.normal(size=(600, 2)), seed=0).n_components == 1
    two = fit_code_mixture(_two_clusters(), seed=0)
    assert two.n_components == 2  # four fit no better
    assert_allclose(np.sort(two.means_[:, 0]), [-5, 5], atol=0.3)
    again = fit_code_mixture(_two_clusters(), seed=0)
    assert_array_equal(again.means_, two.means_)


def test_the_mixture_has_fewer_parameters_than_codes():
    """A component in 2 dimensions has 6 free parameters: 11 codes allow one component only,
    however clustered they are."""
    Z = _two_clusters()[::55]
    assert len(Z) == 11
    assert fit_code_mixture(Z, seed=0).n_components == 1


def test_draws_follow_the_weights_and_the_components():
    gmm = GaussianMixture(2, covariance_type="full", random_state=0).fit(_two_clusters())
    Z = draw_from_mixture(gmm, np.random.RandomState(0), 20_000)
    assert Z.shape == (20_000, 2)
    right = Z[:, 0] > 0
    assert right.mean() == pytest.approx(gmm.weights_[np.argmax(gmm.means_[:, 0])], abs=0.02)
    for side, component in ((right, np.argmax(gmm.means_[:, 0])),
                            (~right, np.argmin(gmm.means_[:, 0]))):
        assert_allclose(Z[side].mean(axis=0), gmm.means_[component], atol=0.05)
        assert_allclose(np.cov(Z[side].T), gmm.covariances_[component], atol=0.05)
    assert_array_equal(draw_from_mixture(gmm, np.random.RandomState(0), 20_000), Z)


def test_gaussian_mixture_log_prob_matches_scikit_learn():
    rng = np.random.RandomState(0)
    Z = np.r_[rng.normal(size=(200, 3)) @ rng.normal(size=(3, 3)), rng.normal(size=(100, 3)) + 4]
    gmm = GaussianMixture(3, covariance_type="full", random_state=0).fit(Z)
    params = [torch.from_numpy(a) for a in (gmm.weights_, gmm.means_, gmm.precisions_cholesky_)]
    got = gaussian_mixture_log_prob(torch.from_numpy(Z[:, None]), *params)  # extra batch axis
    assert got.shape == (300, 1)
    assert_allclose(got[:, 0].numpy(), gmm.score_samples(Z), rtol=1e-10)


@pytest.mark.parametrize("dtype, rtol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_the_log_density_is_the_mixtures_in_the_dtype_of_the_codes(dtype, rtol):
    Z = _two_clusters()
    gmm = GaussianMixture(2, covariance_type="full", random_state=0).fit(Z)
    log_prior = mixture_log_density(gmm, torch.device("cpu"))
    got = log_prior(torch.as_tensor(Z, dtype=dtype))
    assert got.dtype == dtype
    assert_allclose(got.numpy(), gmm.score_samples(Z), rtol=rtol)
