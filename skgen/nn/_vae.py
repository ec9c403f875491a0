"""The variational autoencoder module and its probabilistic pieces.

Nothing here imports scikit-learn: :class:`VAE` is a plain :class:`torch.nn.Module`
with a Gaussian encoder ``q(z|x) = N(mu(x), diag(exp(log_var(x))))``, a standard
normal prior and either a Gaussian decoder or a Bernoulli decoder (logits). The
Gaussian decoder's variance is learned per feature, and with
``decoder_variance='latent'`` also depends on ``z``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import torch
from torch import nn
from torch.nn import functional as F

from ._mlp import Residual, make_mlp

#: Bounds of the encoder's log-variance: keeps ``exp`` finite in float32.
ENCODER_LOG_VAR_RANGE = (-16.0, 8.0)

_LOG_2PI = math.log(2 * math.pi)

#: The decoder's log-variance is ``LOG_VAR_GAIN * raw_log_var`` (softly floored): with
#: Adam's step of about ``learning_rate`` per parameter, a gain of 1 would need
#: thousands of steps to move the variance by the factor of 100 a good fit often asks.
LOG_VAR_GAIN = 10.0


def gaussian_kl(mu, log_var):
    """``KL(N(mu, diag(exp(log_var))) || N(0, I))`` in closed form, summed over the last axis.

    The divergence of a diagonal Gaussian from the standard normal is
    ``0.5 * sum(mu**2 + exp(log_var) - 1 - log_var)``: the VAE's regularisation term.

    Parameters
    ----------
    mu : Tensor of shape (..., n_components)
        Means of the Gaussian.
    log_var : Tensor of shape (..., n_components)
        Log-variances of the Gaussian.

    Returns
    -------
    Tensor of shape (...)
        The divergence in nats.

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import gaussian_kl
    >>> gaussian_kl(torch.zeros(1, 2), torch.zeros(1, 2))  # q is the prior itself
    tensor([0.])
    >>> gaussian_kl(torch.tensor([[1.0]]), torch.tensor([[0.0]]))  # mean moved by 1
    tensor([0.5000])
    """
    return 0.5 * torch.sum(mu**2 + torch.exp(log_var) - 1.0 - log_var, dim=-1)


def standard_normal_log_prob(z):
    """``log N(z; 0, I)`` summed over the last axis."""
    return -0.5 * torch.sum(z**2, dim=-1) - 0.5 * z.shape[-1] * _LOG_2PI


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
    >>> from skgen.nn._vae import gaussian_mixture_log_prob, standard_normal_log_prob
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


class VAE(nn.Module):
    """A variational autoencoder with an MLP encoder and decoder.

    Parameters
    ----------
    n_features : int
    n_components : int
        Dimension of the latent space.
    hidden_layer_sizes : tuple of int
        Encoder hidden widths, outermost first; the decoder mirrors them.
    activation : str
        Hidden activation.
    likelihood : {'gaussian', 'bernoulli'}
        'gaussian': the decoder gives the mean of ``p(x|z)`` and a learned
        log-variance (per feature, see ``decoder_variance``) gives its
        variance, bounded below by the ``log_var_floor`` buffer. 'bernoulli':
        the decoder gives logits.
    residual : bool, default=True
        Give encoder and decoder a parallel linear path, so that
        :func:`init_ppca` can start the model at probabilistic PCA.
    decoder_variance : {'feature', 'latent'}, default='feature'
        Gaussian likelihood only. 'feature': one learned variance per
        feature. 'latent': the per-feature log-variance plus the output of a
        second MLP of ``z`` (``variance_decoder``), so the variance of each
        feature depends on the latent point; the decoder output then holds
        the mean and that offset side by side.

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import VAE
    >>> vae = VAE(n_features=64, n_components=2, hidden_layer_sizes=(32,))
    >>> x = torch.randn(5, 64)
    >>> mu, log_var = vae.encode(x)
    >>> mu.shape
    torch.Size([5, 2])
    >>> vae.negative_elbo(x, torch.randn(5, 2)).shape  # one value per row
    torch.Size([5])
    """

    def __init__(self, n_features, n_components, hidden_layer_sizes=(), activation="relu",
                 likelihood="gaussian", residual=True, decoder_variance="feature"):
        super().__init__()
        if likelihood not in ("gaussian", "bernoulli"):
            raise ValueError(f"likelihood must be 'gaussian' or 'bernoulli', got {likelihood!r}.")
        if decoder_variance not in ("feature", "latent"):
            raise ValueError("decoder_variance must be 'feature' or 'latent', got "
                             f"{decoder_variance!r}.")
        hidden = tuple(hidden_layer_sizes)
        block = Residual if residual and hidden else make_mlp
        self.n_features = n_features
        self.n_components = n_components
        self.likelihood = likelihood
        self.encoder = block((n_features, *hidden, 2 * n_components), activation)
        self.decoder = block((n_components, *hidden[::-1], n_features), activation)
        self.variance_decoder = None
        if likelihood == "gaussian":
            self.raw_log_var = nn.Parameter(torch.zeros(n_features))
            self.register_buffer("log_var_floor", torch.full((n_features,), math.log(1e-3)))
            if decoder_variance == "latent":
                self.variance_decoder = make_mlp((n_components, *hidden[::-1], n_features),
                                                 activation)
                with torch.no_grad():  # starts at the per-feature variance
                    self.variance_decoder[-1].weight.zero_()
                    self.variance_decoder[-1].bias.zero_()

    # ----------------------------------------------------------- distributions

    def encode(self, x):
        """``(mu, log_var)`` of ``q(z|x)``, each of shape ``(n, n_components)``."""
        h = self.encoder(x)
        mu, log_var = h[..., : self.n_components], h[..., self.n_components:]
        return mu, log_var.clamp(*ENCODER_LOG_VAR_RANGE)

    def decode(self, z):
        """Decoder output: the mean of ``p(x|z)`` (Gaussian) or its logits (Bernoulli).

        With ``decoder_variance='latent'`` the log-variance offsets follow the
        mean in the last axis (read them through :meth:`decoder_log_var`).
        """
        out = self.decoder(z)
        if self.variance_decoder is not None:
            out = torch.cat([out, self.variance_decoder(z)], dim=-1)
        return out

    def decoder_log_var(self, out=None):
        """Log-variance of the Gaussian decoder, softly floored.

        Per feature; with ``decoder_variance='latent'`` it also depends on the
        latent point, through the decoder output ``out``.
        """
        raw = self.raw_log_var
        if self.variance_decoder is not None and out is not None:
            raw = raw + out[..., self.n_features:]
        floor = self.log_var_floor
        return floor + F.softplus(LOG_VAR_GAIN * raw - floor)

    def mean(self, out):
        """The mean of ``p(x|z)`` from the decoder output."""
        if self.likelihood == "bernoulli":
            return torch.sigmoid(out)
        return out[..., : self.n_features]

    def log_likelihood(self, x, out):
        """``log p(x|z)`` summed over features, from the decoder output ``out``."""
        if self.likelihood == "bernoulli":
            return -torch.sum(F.binary_cross_entropy_with_logits(out, x.expand_as(out),
                                                                 reduction="none"), dim=-1)
        log_var = self.decoder_log_var(out)
        residual = x - self.mean(out)
        return -0.5 * torch.sum(_LOG_2PI + log_var + residual**2 * torch.exp(-log_var), dim=-1)

    def forward(self, x, eps):
        """Reparametrized pass: returns ``(decoder output, mu, log_var)``.

        ``z = mu + exp(log_var / 2) * eps`` is differentiable in the encoder's
        outputs, so gradients of the reconstruction term reach the encoder.
        """
        mu, log_var = self.encode(x)
        z = mu + torch.exp(0.5 * log_var) * eps
        return self.decode(z), mu, log_var

    def negative_elbo(self, x, eps, beta=1.0):
        """Per-row ``-log p(x|z) + beta * KL(q(z|x) || N(0, I))`` with one sample ``eps``."""
        out, mu, log_var = self(x, eps)
        return -self.log_likelihood(x, out) + beta * gaussian_kl(mu, log_var)

    def iwae_log_likelihood(self, x, eps, max_rows=32768, log_prior=None):
        """Importance-weighted estimate of ``log p(x)`` per row.

        ``log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)`` with ``z_k = mu + sigma * eps[k]``:
        a lower bound on ``log p(x)`` in expectation, tightening as ``K`` grows.
        The same ``eps`` (shape ``(K, n_components)``) serves every row, so a
        row's estimate does not depend on the other rows. ``log_prior`` maps
        codes of shape ``(..., n_components)`` to ``log p(z)``; None is the
        standard normal prior the model is trained with.

        Returns
        -------
        Tensor of shape (n,)
        """
        log_prior = standard_normal_log_prob if log_prior is None else log_prior
        mu, log_var = self.encode(x)
        sigma = torch.exp(0.5 * log_var)
        n, k = mu.shape
        # log q(z|x) needs only eps: -|eps|^2/2 - sum(log sigma) - k/2 log(2 pi)
        log_q = standard_normal_log_prob(eps)[:, None] - 0.5 * log_var.sum(-1)[None, :]
        chunk = max(1, max_rows // max(n, 1))
        log_w = []
        for start in range(0, eps.shape[0], chunk):
            e = eps[start:start + chunk]
            z = mu[None] + sigma[None] * e[:, None, :]  # (c, n, k)
            out = self.decode(z.reshape(-1, k)).reshape(e.shape[0], n, -1)
            log_w.append(self.log_likelihood(x[None], out) + log_prior(z))
        log_w = torch.cat(log_w) - log_q
        return torch.logsumexp(log_w, dim=0) - math.log(eps.shape[0])


def _linear_and_last(block):
    """The linear path of a block and the last layer of its nonlinear branch (or None)."""
    if isinstance(block, Residual):
        return block.linear, block.mlp[-1]
    return block[0], None


@torch.no_grad()
def init_ppca(module, X, max_rows=20000):
    """Start a Gaussian :class:`VAE` at the probabilistic PCA solution of ``X``.

    With the nonlinear branches' last layers zeroed, the encoder returns PPCA's
    exact posterior and the decoder its linear-Gaussian likelihood, so the
    ELBO starts at PPCA's log-likelihood (the posterior is exact) and training
    only adds what the linear model misses. Requires a single-layer or
    residual encoder and decoder.

    Parameters
    ----------
    module : VAE
        With ``likelihood='gaussian'``.
    X : Tensor of shape (n_samples, n_features)
        Training rows in the model's input units; at most ``max_rows`` are used.
    max_rows : int, default=20000
        Number of leading rows of ``X`` used for the SVD.

    Examples
    --------
    The posterior is then exact, so a single importance sample already gives
    PPCA's log-likelihood, the one :meth:`sklearn.decomposition.PCA.score_samples`
    computes:

    >>> import numpy as np
    >>> import torch
    >>> from sklearn.decomposition import PCA
    >>> from skgen.nn import VAE, init_ppca
    >>> X = torch.randn(500, 6, generator=torch.Generator().manual_seed(0))
    >>> vae = VAE(6, 2, hidden_layer_sizes=(8,))
    >>> init_ppca(vae, X)
    >>> log_lik = vae.iwae_log_likelihood(X, torch.zeros(1, 2)).detach().numpy()
    >>> reference = PCA(n_components=2).fit(X.double().numpy()).score_samples(X.double().numpy())
    >>> bool(np.allclose(log_lik, reference, atol=1e-4))
    True
    """
    X = X[:max_rows].to(torch.float64)
    n, d = X.shape
    k = module.n_components
    mean = X.mean(dim=0)
    _, s, vh = torch.linalg.svd(X - mean, full_matrices=False)
    eig = s**2 / max(n - 1, 1)
    eig = torch.cat([eig, eig.new_zeros(max(d - eig.numel(), 0))])
    floor = torch.exp(module.log_var_floor.to(torch.float64))
    rows = min(k, vh.shape[0])
    if k < d:
        noise = eig[k:].mean()
    else:
        noise = 0.5 * eig[rows - 1]
    noise = torch.maximum(noise, floor.max())
    lam = torch.maximum(eig[:rows], noise)
    U = vh[:rows].T  # (d, rows)
    W = U * torch.sqrt(lam - noise)  # decoder loadings
    A = (torch.sqrt(lam - noise) / lam)[:, None] * U.T  # posterior mean map
    enc_lin, enc_last = _linear_and_last(module.encoder)
    dec_lin, dec_last = _linear_and_last(module.decoder)
    enc_w = enc_lin.weight.to(torch.float64).clone()
    enc_w[:k] *= 1e-3 / enc_w[:k].norm(dim=1, keepdim=True).clamp_min(1e-12)
    enc_w[:rows] = A
    enc_w[k:] = 0.0
    enc_b = torch.zeros(2 * k, dtype=torch.float64)
    enc_b[:k] = -enc_w[:k] @ mean
    enc_b[k:rows + k] = torch.log(noise / lam)
    enc_lin.weight.copy_(enc_w)
    enc_lin.bias.copy_(enc_b)
    dec_w = dec_lin.weight.to(torch.float64).clone()
    dec_w.mul_(1e-3 / dec_w.norm(dim=0, keepdim=True).clamp_min(1e-12))
    dec_w[:, :rows] = W
    dec_lin.weight.copy_(dec_w)
    dec_lin.bias.copy_(mean)
    for last in (enc_last, dec_last):
        if last is not None:
            last.weight.zero_()
            last.bias.zero_()
    # softplus(gain * raw - floor) = log(noise) - floor
    floor = module.log_var_floor.to(torch.float64)
    target = torch.log(noise) - floor
    module.raw_log_var.copy_((floor + torch.log(torch.expm1(target.clamp_min(1e-6)))) / LOG_VAR_GAIN)
