"""The variational autoencoder module and its probabilistic pieces.

Nothing here imports scikit-learn: :class:`VAE` is a plain :class:`torch.nn.Module`
with a Gaussian encoder ``q(z|x) = N(mu(x), diag(exp(log_var(x))))``, a standard
normal prior and either a Gaussian decoder or a Bernoulli decoder (logits). The
Gaussian decoder's variance is learned per feature, and with
``decoder_variance='latent'`` also depends on ``z``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._custom import custom_pair
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


#: A continuous column's value is its point mass when they differ by at most this,
#: relative to the point mass's standardized value (at least 1): float32 rounding.
SPIKE_TOLERANCE = 1e-5

#: The column types of :class:`VAE`, each with its head: a Gaussian (or, with
#: ``likelihood='bernoulli'``, a cross-entropy) for 'continuous', a Bernoulli for
#: 'binary', a categorical over the levels for 'discrete' and 'categorical'.
COLUMN_TYPES = ("continuous", "binary", "discrete", "categorical")


class VAE(nn.Module):
    """A variational autoencoder with an MLP encoder and decoder, and a head per column type.

    Parameters
    ----------
    n_features : int
        Number of columns of the (standardized) rows the module reads.
    n_components : int
        Dimension of the latent space.
    hidden_layer_sizes : tuple of int
        Encoder hidden widths, outermost first; the decoder mirrors them.
    activation : str
        Hidden activation.
    likelihood : {'gaussian', 'bernoulli'}
        The head of the continuous columns. 'gaussian': the decoder gives the
        mean of ``p(x|z)`` and a learned log-variance (per feature, see
        ``decoder_variance``) gives its variance, bounded below by the
        ``log_var_floor`` buffer. 'bernoulli': the decoder gives logits
        (cross-entropy on values in [0, 1]).
    residual : bool, default=True
        Give encoder and decoder a parallel linear path, so that
        :func:`init_ppca` can start the model at probabilistic PCA.
    decoder_variance : {'feature', 'latent'}, default='feature'
        Gaussian likelihood only. 'feature': one learned variance per
        continuous feature. 'latent': the per-feature log-variance plus the
        output of a second MLP of ``z`` (``variance_decoder``), so the variance
        of each feature depends on the latent point; the decoder output then
        holds the heads and that offset side by side.
    column_types : sequence of str or None, default=None
        The type of each column, among :data:`COLUMN_TYPES` (None: all
        'continuous'). A 'binary' or 'discrete' column holds one of its levels
        (their standardized values, whose midpoints go in the ``level_edges``
        buffer); a 'categorical' column holds the code ``0..L-1`` of its level,
        which the encoder reads one-hot.
    n_levels : sequence of int or None, default=None
        The number of levels of each column: 2 for a binary one; for a
        continuous one, its number of point masses (values that many rows hold
        exactly, in the ``spike_values`` buffer): each gets a probability, and
        the other values a density, weighted by the probability of "none of
        them" (0: a Gaussian alone).
    encoder, decoder : ModuleSpec or None, default=None
        A user's module in place of the MLP (see :mod:`skgen.nn._custom`): the
        encoder maps ``(batch, *input_shape)`` to ``2 * n_components`` values
        per row (the means, then the log-variances) or a ``(mean, log_var)``
        tuple, the decoder ``n_components`` to the heads' ``n_outputs``.
    input_shape : tuple of int or None, default=None
        What a row looks like to a user's encoder; its product is the
        encoder's input width (``n_features`` without categorical columns).
    n_classes : int, default=0
        A conditional VAE when positive: the decoder reads a one-hot class label
        beside the code, ``p(x|z, y)``, and :meth:`decode`, :meth:`forward`,
        :meth:`negative_elbo` and :meth:`iwae_log_likelihood` take the class
        indices ``y``. The encoder never reads ``y``: ``q(z|x)`` codes a row
        without its label.

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

    A continuous column, a binary one and a categorical one of three levels:

    >>> typed = VAE(3, 2, (8,), column_types=("continuous", "binary", "categorical"),
    ...             n_levels=(0, 2, 3))
    >>> typed.decode(torch.zeros(1, 2)).shape  # a mean, a logit and three logits
    torch.Size([1, 5])
    """

    def __init__(self, n_features, n_components, hidden_layer_sizes=(), activation="relu",
                 likelihood="gaussian", residual=True, decoder_variance="feature",
                 column_types=None, n_levels=None, encoder=None, decoder=None,
                 input_shape=None, n_classes=0):
        super().__init__()
        if likelihood not in ("gaussian", "bernoulli"):
            raise ValueError(f"likelihood must be 'gaussian' or 'bernoulli', got {likelihood!r}.")
        if decoder_variance not in ("feature", "latent"):
            raise ValueError("decoder_variance must be 'feature' or 'latent', got "
                             f"{decoder_variance!r}.")
        types = ("continuous",) * n_features if column_types is None else tuple(column_types)
        levels = (0,) * n_features if n_levels is None else tuple(int(n) for n in n_levels)
        if len(types) != n_features or len(levels) != n_features:
            raise ValueError(f"column_types and n_levels need one entry per feature "
                             f"({n_features}), got {len(types)} and {len(levels)}.")
        unknown = set(types) - set(COLUMN_TYPES)
        if unknown:
            raise ValueError(f"Unknown column types {sorted(unknown)}; use {COLUMN_TYPES}.")
        hidden = tuple(hidden_layer_sizes)
        block = Residual if residual and hidden else make_mlp
        self.n_features = n_features
        self.n_components = n_components
        self.n_classes = int(n_classes)
        self.likelihood = likelihood
        self._layout(types, levels)
        n_decoded = n_components + self.n_classes  # the code, and the label one-hot
        if decoder is not None and self.n_classes:
            raise ValueError("A decoder of your own cannot be conditional: a conditional VAE's "
                             "decoder reads the code and the class label. Pass decoder=None "
                             "(an encoder of your own works) or conditional=False.")
        self.encoder, self.decoder = custom_pair(
            encoder, decoder, n_features=n_features, n_components=n_components,
            n_outputs=(2 * n_components, self.n_outputs), input_shape=input_shape,
            in_width=self.n_inputs,
            expected=(f"2 * n_components = {2 * n_components}: the means, then the "
                      "log-variances, or a (mean, log_var) tuple",
                      f"n_outputs={self.n_outputs}, the parameters of the heads"))
        if self.encoder is None:
            self.encoder = block((self.n_inputs, *hidden, 2 * n_components), activation)
        if self.decoder is None:
            self.decoder = block((n_decoded, *hidden[::-1], self.n_outputs), activation)
        self.variance_decoder = None
        if likelihood == "gaussian":
            self.raw_log_var = nn.Parameter(torch.zeros(self.n_continuous))
            self.register_buffer("log_var_floor",
                                 torch.full((self.n_continuous,), math.log(1e-3)))
            if decoder_variance == "latent":
                self.variance_decoder = make_mlp(
                    (n_decoded, *hidden[::-1], self.n_continuous), activation)
                with torch.no_grad():  # starts at the per-feature variance
                    self.variance_decoder[-1].weight.zero_()
                    self.variance_decoder[-1].bias.zero_()

    def _layout(self, types, levels):
        """Where each column's head lives in the decoder output, and its buffers."""
        self.column_types = types
        self.typed = any(kind != "continuous" for kind in types)
        columns = {kind: [j for j, k in enumerate(types) if k == kind] for kind in COLUMN_TYPES}
        thresholded = sorted(columns["binary"] + columns["discrete"])
        spiky = [j for j in columns["continuous"] if levels[j] > 0]
        softmax = sorted(columns["discrete"] + columns["categorical"] + spiky)
        self.n_continuous = len(columns["continuous"])
        self.n_binary = len(columns["binary"])
        self.typed = self.typed or bool(spiky)
        # a continuous column's point masses, and one more level: "none of them"
        softmax_levels = [levels[j] + (types[j] == "continuous") for j in softmax]
        categorical_levels = [levels[j] for j in columns["categorical"]]
        self.n_inputs = (self.n_features - len(columns["categorical"])
                         + sum(categorical_levels))
        self.n_outputs = self.n_continuous + self.n_binary + sum(softmax_levels)

        def index(values):
            return torch.tensor(values, dtype=torch.long)

        def buffer(name, values):
            self.register_buffer(name, index(values), persistent=False)

        buffer("continuous_index", columns["continuous"])
        buffer("categorical_index", columns["categorical"])
        buffer("plain_index", [j for j, k in enumerate(types) if k != "categorical"])
        buffer("thresholded_index", thresholded)
        # among the thresholded columns, which are binary and which discrete
        buffer("binary_among_thresholded", [i for i, j in enumerate(thresholded)
                                           if types[j] == "binary"])
        buffer("discrete_among_thresholded", [i for i, j in enumerate(thresholded)
                                             if types[j] == "discrete"])
        # where the discrete and the categorical columns go among the softmax heads
        buffer("discrete_among_softmax", [i for i, j in enumerate(softmax)
                                         if types[j] == "discrete"])
        buffer("categorical_among_softmax", [i for i, j in enumerate(softmax)
                                            if types[j] == "categorical"])
        buffer("spiky_index", spiky)
        buffer("spiky_among_softmax", [softmax.index(j) for j in spiky])
        buffer("spiky_among_continuous", [columns["continuous"].index(j) for j in spiky])
        if spiky:  # the point masses' standardized values, padded with NaN (never matched)
            width = max(levels[j] for j in spiky)
            self.register_buffer("spike_values", torch.full((len(spiky), width), math.nan))
        offsets = np.cumsum([0, *categorical_levels[:-1]]).tolist()
        buffer("one_hot_offsets", offsets)
        if thresholded:  # midpoints between the standardized levels, padded with +inf
            width = max(max(levels[j] for j in thresholded) - 1, 1)
            self.register_buffer("level_edges", torch.full((len(thresholded), width), math.inf))
        # the softmax logits, padded to (n_softmax, max_levels) by an index into the
        # flat logits; the last index points at a -inf pad
        self.max_levels = max(softmax_levels, default=0)
        start = self.n_continuous + self.n_binary
        pad = self.n_outputs
        rows, first = [], start
        for n_levels in softmax_levels:
            rows.append(list(range(first, first + n_levels))
                        + [pad] * (self.max_levels - n_levels))
            first += n_levels
        buffer("softmax_index", rows if rows else np.zeros((0, 0), dtype=np.int64))
        buffer("softmax_columns", softmax)

    # ----------------------------------------------------------- distributions

    def encoder_input(self, x):
        """What the encoder reads: the rows, with the categorical columns one-hot."""
        if self.categorical_index.numel() == 0:
            return x
        codes = x[..., self.categorical_index].round().long() + self.one_hot_offsets
        one_hot = x.new_zeros((*x.shape[:-1], self.n_inputs - self.plain_index.numel()))
        one_hot.scatter_(-1, codes, 1.0)
        return torch.cat([x[..., self.plain_index], one_hot], dim=-1)

    def encode(self, x):
        """``(mu, log_var)`` of ``q(z|x)``, each of shape ``(n, n_components)``."""
        h = self.encoder(self.encoder_input(x))
        mu, log_var = h[..., : self.n_components], h[..., self.n_components:]
        return mu, log_var.clamp(*ENCODER_LOG_VAR_RANGE)

    def decode(self, z, y=None):
        """Decoder output: the heads of ``p(x|z)`` (``p(x|z, y)``) side by side.

        The continuous columns' means (Gaussian) or logits (Bernoulli), then a
        logit per binary column, then the logits of each discrete or
        categorical column's levels. With ``decoder_variance='latent'`` the
        continuous columns' log-variance offsets follow (read them through
        :meth:`decoder_log_var`). ``y``: with ``n_classes``, the class index of
        each code (a tensor of the codes' leading shape, or one int for all).
        """
        z = self.decoder_input(z, y)
        out = self.decoder(z)
        if self.variance_decoder is not None:
            out = torch.cat([out, self.variance_decoder(z)], dim=-1)
        return out

    def decoder_input(self, z, y=None):
        """What the decoder reads: the codes, and with ``n_classes`` the labels one-hot."""
        if not self.n_classes:
            return z
        if y is None:
            raise ValueError(f"This VAE is conditioned on {self.n_classes} classes: decode "
                             "needs the class index y of each code.")
        y = torch.as_tensor(y, device=z.device).round().long().expand(z.shape[:-1])
        return torch.cat([z, F.one_hot(y, self.n_classes).to(z.dtype)], dim=-1)

    def decoder_log_var(self, out=None):
        """Log-variance of the Gaussian head of the continuous columns, softly floored.

        Per feature; with ``decoder_variance='latent'`` it also depends on the
        latent point, through the decoder output ``out``.
        """
        raw = self.raw_log_var
        if self.variance_decoder is not None and out is not None:
            raw = raw + out[..., self.n_outputs:]
        floor = self.log_var_floor
        return floor + F.softplus(LOG_VAR_GAIN * raw - floor)

    def mean(self, out):
        """The mean of the continuous columns' ``p(x|z)`` from the decoder output."""
        head = out[..., : self.n_continuous]
        return torch.sigmoid(head) if self.likelihood == "bernoulli" else head

    def binary_logits(self, out):
        """The logit of the upper level of each binary column."""
        return out[..., self.n_continuous: self.n_continuous + self.n_binary]

    def softmax_logits(self, out):
        """The logits of the discrete and categorical columns, ``(..., n_softmax, max_levels)``.

        A column with fewer levels than ``max_levels`` is padded with ``-inf``.
        """
        padded = torch.cat([out[..., : self.n_outputs],
                            out.new_full((*out.shape[:-1], 1), -math.inf)], dim=-1)
        return padded[..., self.softmax_index]

    def _spikes(self, x):
        """Which point mass each spiky column's value is (``-1``: none), ``(..., n_spiky)``."""
        values = x[..., self.spiky_index, None]
        spikes = self.spike_values.to(x.dtype)
        hit = (values - spikes).abs() <= SPIKE_TOLERANCE * spikes.abs().clamp_min(1.0)
        return torch.where(hit.any(-1), hit.to(x.dtype).argmax(-1), -1)

    def targets(self, x):
        """``(bits, codes)``: the level of each binary column (0. or 1.) and softmax column.

        A continuous column with point masses has the code of its value's point
        mass, or one past the last for any other value.
        """
        thresholded = x[..., self.thresholded_index]
        if thresholded.shape[-1]:
            index = (thresholded[..., None] > self.level_edges.to(x.dtype)).sum(-1)
        else:
            index = thresholded.long()
        bits = index[..., self.binary_among_thresholded].to(x.dtype)
        codes = x.new_zeros((*x.shape[:-1], self.softmax_index.shape[0]), dtype=torch.long)
        codes[..., self.discrete_among_softmax] = index[..., self.discrete_among_thresholded]
        codes[..., self.categorical_among_softmax] = (
            x[..., self.categorical_index].round().long())
        if self.spiky_index.numel():
            spike = self._spikes(x)
            n_spikes = self._spike_counts()
            codes[..., self.spiky_among_softmax] = torch.where(spike >= 0, spike, n_spikes)
        return bits, codes

    def _spike_counts(self):
        """The number of point masses of each spiky column."""
        return (~torch.isnan(self.spike_values)).sum(-1)

    def reconstruct(self, out):
        """Each column's most likely value given ``z``, ``(..., n_features)``.

        The mean for a continuous column (in its standardized units); the index
        of the most likely level for the other columns.
        """
        rows = out.new_empty((*out.shape[:-1], self.n_features))
        rows[..., self.continuous_index] = self.mean(out)
        if self.spiky_index.numel():  # the most likely point mass, unless "none of them"
            code = self.softmax_logits(out)[..., self.spiky_among_softmax, :].argmax(-1)
            n_spikes = self._spike_counts()
            spikes = self.spike_values.to(out.dtype).expand(*code.shape, -1)
            at_spike = spikes.gather(-1, code.clamp_max(spikes.shape[-1] - 1)[..., None])[..., 0]
            rows[..., self.spiky_index] = torch.where(code < n_spikes, at_spike,
                                                      rows[..., self.spiky_index])
        thresholded = self.thresholded_index
        binary = thresholded[self.binary_among_thresholded]
        rows[..., binary] = (self.binary_logits(out) > 0).to(out.dtype)
        levelled = torch.sort(torch.cat([thresholded[self.discrete_among_thresholded],
                                         self.categorical_index])).values
        if levelled.numel():
            among = torch.sort(torch.cat([self.discrete_among_softmax,
                                          self.categorical_among_softmax])).values
            rows[..., levelled] = self.softmax_logits(out)[..., among, :].argmax(-1).to(out.dtype)
        return rows

    def log_likelihood(self, x, out, observed=None):
        """``log p(x|z)`` summed over features, from the decoder output ``out``.

        A probability density for continuous columns (Gaussian head) and a
        probability mass for the others. ``observed`` (a bool tensor shaped like
        ``x``, or None for all) leaves out the terms of the values it marks False:
        the likelihood of the other columns, the marked ones marginalized out.
        """
        def kept(terms, index):  # the terms of the observed values, zeros elsewhere
            return terms if observed is None else torch.where(observed[..., index], terms, 0.0)

        log_lik = 0.0
        if self.n_continuous:
            xc = x if not self.typed else x[..., self.continuous_index]
            head = out[..., : self.n_continuous]
            if self.likelihood == "bernoulli":
                log_lik = -torch.sum(kept(F.binary_cross_entropy_with_logits(
                    head, xc.expand_as(head), reduction="none"), self.continuous_index), dim=-1)
            else:
                log_var = self.decoder_log_var(out)
                residual = xc - head
                terms = -0.5 * (_LOG_2PI + log_var + residual**2 * torch.exp(-log_var))
                if self.spiky_index.numel():  # a point mass has no density term
                    at_spike = x.new_zeros(xc.shape, dtype=torch.bool)
                    at_spike[..., self.spiky_among_continuous] = self._spikes(x) >= 0
                    terms = torch.where(at_spike, 0.0, terms)
                log_lik = torch.sum(kept(terms, self.continuous_index), dim=-1)
        if not self.typed:
            return log_lik
        bits, codes = self.targets(x)
        if self.n_binary:
            logits = self.binary_logits(out)
            log_lik = log_lik - torch.sum(kept(F.binary_cross_entropy_with_logits(
                logits, bits.expand_as(logits), reduction="none"),
                self.thresholded_index[self.binary_among_thresholded]), dim=-1)
        if codes.shape[-1]:
            log_p = torch.log_softmax(self.softmax_logits(out), dim=-1)
            codes = codes.expand(*log_p.shape[:-1])
            log_lik = log_lik + kept(log_p.gather(-1, codes[..., None])[..., 0],
                                     self.softmax_columns).sum(-1)
        return log_lik

    def forward(self, x, eps, y=None):
        """Reparametrized pass: returns ``(decoder output, mu, log_var)``.

        ``z = mu + exp(log_var / 2) * eps`` is differentiable in the encoder's
        outputs, so gradients of the reconstruction term reach the encoder.
        ``y``: the rows' class indices, for a module with ``n_classes``.
        """
        mu, log_var = self.encode(x)
        z = mu + torch.exp(0.5 * log_var) * eps
        return self.decode(z, y), mu, log_var

    def negative_elbo(self, x, eps, beta=1.0, y=None):
        """Per-row ``-log p(x|z) + beta * KL(q(z|x) || N(0, I))`` with one sample ``eps``
        (``p(x|z, y)`` with the rows' class indices ``y`` for a module with ``n_classes``)."""
        out, mu, log_var = self(x, eps, y)
        return -self.log_likelihood(x, out) + beta * gaussian_kl(mu, log_var)

    def decoded_width(self):
        """Numbers held per row and draw while a code is decoded and scored (for memory budgets).

        The widest of the hidden layers and the decoder output with its padded
        softmax logits and the row itself.
        """
        hidden = [layer.out_features for layer in self.decoder.modules()
                  if isinstance(layer, nn.Linear)] + [getattr(self.decoder, "row_values", 0)]
        scored = (self.n_outputs + self.softmax_index.numel() * 2 + self.n_features
                  + (self.n_continuous if self.variance_decoder is not None else 0))
        return max([scored, *hidden])

    def iwae_log_likelihood(self, x, eps, max_elements=2**22, log_prior=None, observed=None,
                            y=None):
        """Importance-weighted estimate of ``log p(x)`` per row.

        ``log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)`` with ``z_k = mu + sigma * eps[k]``:
        a lower bound on ``log p(x)`` in expectation, tightening as ``K`` grows.
        The same ``eps`` (shape ``(K, n_components)``) serves every row, so a
        row's estimate does not depend on the other rows. ``log_prior`` maps
        codes of shape ``(..., n_components)`` to ``log p(z)``; None is the
        standard normal prior the model is trained with. The draws are decoded
        in chunks of at most ``max_elements`` numbers (``draws * rows *``
        :meth:`decoded_width`, at least one draw), so memory is bounded.
        ``observed`` (bool, shaped like ``x``) leaves the values it marks False
        out of ``p(x|z)`` (:meth:`log_likelihood`). ``y``: for a module with
        ``n_classes``, the class (one int, or one per row) whose ``log p(x|y)``
        is estimated, ``log_prior`` then being that class's ``log p(z|y)``.

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
        chunk = max(1, max_elements // max(n * self.decoded_width(), 1))
        log_w = []
        for start in range(0, eps.shape[0], chunk):
            e = eps[start:start + chunk]
            z = mu[None] + sigma[None] * e[:, None, :]  # (c, n, k)
            if y is None:
                out = self.decode(z.reshape(-1, k))
            else:
                labels = torch.as_tensor(y, device=z.device).expand(z.shape[:-1]).reshape(-1)
                out = self.decode(z.reshape(-1, k), labels)
            out = out.reshape(e.shape[0], n, -1)
            log_lik = (self.log_likelihood(x[None], out) if observed is None
                       else self.log_likelihood(x[None], out, observed[None]))
            log_w.append(log_lik + log_prior(z))
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
    E = module.encoder_input(X)
    n, d = E.shape
    k = module.n_components
    mean = E.mean(dim=0)
    _, s, vh = torch.linalg.svd(E - mean, full_matrices=False)
    eig = s**2 / max(n - 1, 1)
    eig = torch.cat([eig, eig.new_zeros(max(d - eig.numel(), 0))])
    floor = torch.exp(module.log_var_floor.to(torch.float64))
    rows = min(k, vh.shape[0])
    if k < d:
        noise = eig[k:].mean()
    else:
        noise = 0.5 * eig[rows - 1]
    # the continuous columns' floor; without any, a small positive noise
    noise = torch.maximum(noise, floor.max()) if floor.numel() else noise.clamp_min(1e-6)
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
    # the continuous columns' means are PPCA's; the other heads start from their
    # marginal frequencies (init_level_frequencies)
    continuous = torch.searchsorted(module.plain_index, module.continuous_index)
    n_continuous = module.n_continuous
    dec_w = dec_lin.weight.to(torch.float64).clone()
    dec_w.mul_(1e-3 / dec_w.norm(dim=0, keepdim=True).clamp_min(1e-12))
    dec_w[:n_continuous, :rows] = W[continuous]
    dec_b = dec_lin.bias.to(torch.float64).clone()
    dec_b[:n_continuous] = mean[continuous]
    dec_lin.weight.copy_(dec_w)
    dec_lin.bias.copy_(dec_b)
    for last in (enc_last, dec_last):
        if last is not None:
            last.weight.zero_()
            last.bias.zero_()
    # softplus(gain * raw - floor) = log(noise) - floor
    floor = module.log_var_floor.to(torch.float64)
    target = torch.log(noise) - floor
    module.raw_log_var.copy_((floor + torch.log(torch.expm1(target.clamp_min(1e-6)))) / LOG_VAR_GAIN)
    init_level_frequencies(module, X)


@torch.no_grad()
def init_bernoulli(module, X):
    """Start a Bernoulli :class:`VAE` near independent columns with their frequencies in ``X``.

    The bias of the decoder's linear path becomes the logits of the continuous
    columns' means (clipped to [1e-3, 1 - 1e-3]) and the last layer of its
    nonlinear branch is zeroed, so that a code decodes to the training
    frequencies plus what the linear path's small initial weights add; the
    other heads start at their columns' frequencies
    (:func:`init_level_frequencies`).

    Parameters
    ----------
    module : VAE
        With ``likelihood='bernoulli'``.
    X : Tensor of shape (n_samples, n_features)
        Training rows in the model's input units, in [0, 1].
    """
    p = X[:, module.continuous_index].to(torch.float64).mean(dim=0)
    p = p.clamp(1e-3, 1 - 1e-3)
    linear, last = _linear_and_last(module.decoder)
    linear.bias[:module.n_continuous] = torch.log(p / (1 - p))
    if last is not None:
        last.weight.zero_()
        last.bias.zero_()
    init_level_frequencies(module, X)


@torch.no_grad()
def init_level_frequencies(module, X):
    """Start the binary, discrete and categorical heads at their columns' frequencies in ``X``.

    The decoder's bias of each level is set to the log of its share of the rows
    (at least 1e-4), so that before training every such column is drawn with its
    marginal distribution. A module without such columns is left as it is.
    """
    if not module.typed:
        return
    bits, codes = module.targets(X)
    linear, _ = _linear_and_last(module.decoder)
    bias = linear.bias
    start = module.n_continuous
    if module.n_binary:
        p = bits.to(torch.float64).mean(dim=0).clamp(1e-4, 1 - 1e-4)
        bias[start:start + module.n_binary] = torch.log(p / (1 - p)).to(bias.dtype)
    for column, index in enumerate(module.softmax_index):
        index = index[index < module.n_outputs]
        counts = torch.bincount(codes[:, column], minlength=index.numel())[:index.numel()]
        share = (counts.to(torch.float64) / max(codes.shape[0], 1)).clamp_min(1e-4)
        bias[index] = torch.log(share).to(bias.dtype)
