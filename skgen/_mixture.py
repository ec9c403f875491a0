"""The Gaussian mixture prior over a VAE's codes: fitting it, drawing from it, its density.

:class:`~skgen.VAETransformer` with ``prior='mixture'`` replaces the standard
normal prior of training by a full-covariance
:class:`~sklearn.mixture.GaussianMixture` fitted to codes of the training rows
(:func:`fit_code_mixture`, its size chosen by BIC). :meth:`~skgen.VAETransformer.sample`
draws codes from it (:func:`draw_from_mixture`) and
:meth:`~skgen.VAETransformer.score_samples` integrates over it
(:func:`mixture_log_density`, in torch beside the decoder). The mixture is a
fitted scikit-learn estimator and is saved with the model as it is.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
import warnings

import numpy as np
import torch
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

_LOG_2PI = math.log(2 * math.pi)


def _mixture_size(n_components):
    """Free parameters of one full-covariance Gaussian component in ``n_components`` dims."""
    return 1 + n_components + n_components * (n_components + 1) // 2


def fit_code_mixture(Z, seed):
    """A full-covariance GaussianMixture on codes ``Z``, its size chosen by BIC.

    The number of components doubles from 1 while the BIC improves, the fit
    succeeds and the mixture has fewer free parameters than there are codes;
    the best one is returned.
    """
    n, k = Z.shape
    best, n_mixture = None, 1
    while n_mixture == 1 or n_mixture * _mixture_size(k) < n:
        gmm = GaussianMixture(n_mixture, covariance_type="full", reg_covar=1e-6, n_init=1,
                              random_state=seed)
        # the codes are NumPy arrays of the estimator's own, whatever the caller's config
        with warnings.catch_warnings(), config_context(array_api_dispatch=False):
            warnings.simplefilter("ignore", ConvergenceWarning)
            try:
                gmm.fit(Z)
            except ValueError:  # a collapsed component: more components fit no better
                if best is None:
                    raise
                break
            bic = gmm.bic(Z)
        if best is not None and bic >= best[0]:
            break
        best = (bic, gmm)
        n_mixture *= 2
    return best[1]


def draw_from_mixture(gmm, rng, n_samples):
    """``n_samples`` codes drawn from the fitted full-covariance mixture ``gmm`` with the
    :class:`numpy.random.RandomState` ``rng``: the components first, then the noise."""
    component = rng.choice(len(gmm.weights_), size=n_samples, p=gmm.weights_)
    noise = rng.standard_normal((n_samples, gmm.means_.shape[1]))
    cov_chol = np.linalg.cholesky(gmm.covariances_)
    return gmm.means_[component] + np.einsum("nij,nj->ni", cov_chol[component], noise)


def gaussian_mixture_log_prob(z, weights, means, precisions_cholesky):
    """``log sum_c w_c N(z; m_c, S_c)`` of a full-covariance Gaussian mixture.

    The parametrization is scikit-learn's: ``precisions_cholesky[c]`` is a
    matrix ``P`` with ``P @ P.T`` the inverse of ``S_c``, so that
    ``(z - m_c) @ P`` is standard normal under component ``c``.

    Parameters
    ----------
    z : Tensor of shape (..., n_components)
    weights : Tensor of shape (n_mixture,)
    means : Tensor of shape (n_mixture, n_components)
    precisions_cholesky : Tensor of shape (n_mixture, n_components, n_components)

    Returns
    -------
    Tensor of shape (...)

    Examples
    --------
    One standard normal component is the standard normal prior:

    >>> import torch
    >>> from skgen._mixture import gaussian_mixture_log_prob
    >>> from skgen.nn._vae import standard_normal_log_prob
    >>> z = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    >>> mixture = gaussian_mixture_log_prob(z, torch.ones(1), torch.zeros(1, 3), torch.eye(3)[None])
    >>> bool(torch.allclose(mixture, standard_normal_log_prob(z)))
    True
    """
    y = torch.einsum("...k,ckj->...cj", z, precisions_cholesky) - torch.einsum(
        "ck,ckj->cj", means, precisions_cholesky)
    log_det = torch.log(torch.diagonal(precisions_cholesky, dim1=-2, dim2=-1)).sum(-1)
    log_prob = -0.5 * torch.sum(y**2, dim=-1) - 0.5 * z.shape[-1] * _LOG_2PI + log_det
    return torch.logsumexp(log_prob + torch.log(weights), dim=-1)


def mixture_log_density(gmm, device):
    """``log_prior(z)``: the log-density of the fitted mixture ``gmm`` at torch codes ``z``,
    in their dtype, its parameters held on ``device`` (for
    :meth:`skgen.nn.VAE.iwae_log_likelihood`)."""
    weights, means, chol = (torch.as_tensor(a, device=device) for a in (
        gmm.weights_, gmm.means_, gmm.precisions_cholesky_))

    def log_prior(z):
        return gaussian_mixture_log_prob(z, weights.to(z.dtype), means.to(z.dtype),
                                         chol.to(z.dtype))

    return log_prior
