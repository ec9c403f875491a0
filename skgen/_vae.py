"""VAETransformer: a variational autoencoder as a transformer and a density estimator."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from scipy.special import logsumexp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, DensityMixin, TransformerMixin
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.multiclass import check_classification_targets

from . import _columns as columns
from ._base import BaseTorchEstimator, MeanScoreMixin
from ._compat import Interval, StrOptions, check_is_fitted
from ._data import (
    SPECTRUM_ROWS,
    fit_scaling,
    logistic_map,
    logit_log_jacobian,
    logit_map,
    spectrum_rows,
    torch_float_type,
)
from ._mixture import draw_from_mixture, fit_code_mixture, mixture_log_density
from ._outlier_shape import variance_components
from ._quantile import fit_quantile_knots, quantile_inverse, quantile_log_jacobian, quantile_map
from ._utils import draw_seed
from .nn import VAE, init_bernoulli, init_ppca
from .nn._custom import has_custom_blocks

#: The Gaussian decoder's variance floor, as a share of each column's variance
#: in the model's units (plus an absolute 1e-6 for constant columns).
_VARIANCE_FLOOR = 1e-3


#: ``n_components='auto'``: the leading principal axes of the scaled rows (categorical
#: columns one-hot) that explain this share of their variance, read from at most
#: ``_SPECTRUM_ROWS`` evenly spaced rows; at least 2. Governed by the tune/confirm
#: protocol of ``benchmarks/bench_vae_defaults.py`` (step a).
_AUTO_VARIANCE = 0.99
_SPECTRUM_ROWS = SPECTRUM_ROWS


#: ``prior='mixture'`` is fitted on at most this many codes, and draws at most
#: ``_PRIOR_DRAWS`` of them from ``q(z|x)`` per training row (a random subset of the
#: rows when there are more than ``_PRIOR_CODES``). The aggregate posterior is a known
#: mixture of one Gaussian per row: more draws than rows let BIC resolve more of it.
_PRIOR_CODES = 20_000
_PRIOR_DRAWS = 4

#: :meth:`VAETransformer.score_samples` decodes its importance samples in blocks of
#: at most this many bytes (draws x rows x the module's ``decoded_width()``), so that
#: its memory grows with the columns only through the block's shape, never past it.
_SCORE_BYTES = 32 * 2**20


def _decoded(module, c):
    """``module.decode`` of packed codes: with a conditional module each row of ``c``
    holds the code and then its class index (see :meth:`VAETransformer._with_labels`)."""
    if not module.n_classes:
        return module.decode(c)
    return module.decode(c[:, :module.n_components], c[:, module.n_components])


def _importance_draws(seed, n_samples, n_components):
    """Antithetic standard normal draws ``eps, -eps, ...``; the first rows never change with n."""
    half = np.random.RandomState(seed).standard_normal(((n_samples + 1) // 2, n_components))
    return np.stack([half, -half], axis=1).reshape(-1, n_components)[:n_samples]


class VAETransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, MeanScoreMixin,
                     DensityMixin, BaseTorchEstimator):
    """Variational autoencoder: latent codes, samples and log-likelihoods.

    The encoder maps each row to the mean ``mu`` and log-variance of a Gaussian
    posterior ``q(z|x)`` over ``n_components`` latent units; the decoder maps a
    code back to the parameters of ``p(x|z)``. Training minimises the negative
    evidence lower bound, ``-E_q[log p(x|z)] + beta * KL(q(z|x) || N(0, I))``,
    with one reparametrized sample ``z = mu + sigma * eps`` per row and the KL
    term in closed form. At the end of fit, the generative model's prior
    ``p(z)`` becomes, by default, a Gaussian mixture fitted on the training
    codes (``prior``), which :meth:`sample` draws from and
    :meth:`score_samples` integrates over.

    Each column of X gets a head of its type (``column_types``, learned at
    fit into ``column_types_``): a Gaussian with a learned per-feature
    variance for a continuous column, a Bernoulli for a binary one, a
    categorical over the levels seen in training for a discrete or
    categorical one. A pandas DataFrame's string, ``category`` and ``bool``
    columns are read as they are (categorical columns one-hot inside), and
    :meth:`sample` and :meth:`inverse_transform` then return a DataFrame with
    its columns and dtypes. :meth:`score_samples` is a log-likelihood: a
    log-density in the continuous columns and a log-probability in the others.
    The model starts at the probabilistic PCA solution (its linear paths are
    set from the SVD of the training data) and training adds what the linear
    model misses. With ``likelihood='bernoulli'`` the decoder gives
    probabilities for the continuous columns, for data in [0, 1] such as
    images.

    Every method after ``fit`` reads the fitted model (``module_``,
    ``column_types_``, ``levels_``, ``prior_``, ``bounds_``...), never the
    parameters, which take effect at the next fit; only ``sample_noise`` and
    ``n_importance_samples`` are read at call time, by :meth:`sample` and
    :meth:`score_samples`.

    Parameters
    ----------
    n_components : int or 'auto', default='auto'
        Number of latent units. 'auto' reads it from the spectrum of the
        scaled training rows (categorical columns one-hot; at most 2,000
        evenly spaced rows): the number of principal axes that explain 99% of
        their variance, at least 2 (``n_components_``; 41 on digits, 4 to 44
        on the tables of ``benchmarks/results/vae_defaults_a.md``, where it
        lowered the mean C2ST of samples from 0.76 to 0.71 and from 0.67 to
        0.58 on the two halves). Latent units the data do not need fall back
        to the prior, but they cost fit time, and mpg's 44 units sampled worse
        than 2. Pass 2 for codes to plot.
    column_types : 'auto', str, dict or list, default='auto'
        The type of each column, which decides its likelihood head:

        - 'continuous': a Gaussian density (``likelihood``);
        - 'binary': two levels, a Bernoulli;
        - 'discrete': a number that takes one of a few levels, a categorical
          over the levels seen in training (the encoder reads the number),
          with a small mass kept for the other values (:meth:`score_samples`);
        - 'categorical': any values, a categorical over the levels seen in
          training (the encoder reads them one-hot);
        - 'auto': detected from the training data. A DataFrame's non-numeric
          (string, object, ``category``) column is 'binary' with two levels,
          else 'categorical'; a numeric one with two distinct values is
          'binary', with one 'discrete'; with at most 100 distinct values of
          which at most 1% of the rows hold one seen once (the Good-Turing
          estimate of the chance that a new row holds a value never seen), it
          is 'discrete', else 'continuous'. A continuous column found by
          'auto' also gets its *point masses*: the values that each hold at
          least 1% of its rows exactly (an exact 0, a cap) get a probability,
          and the other values the Gaussian density.

        One type for all columns (e.g. 'continuous': Gaussians alone, the
        model without column types) applies to the numeric columns, a list
        gives one per column, a dict maps column positions or feature names
        to types (the others 'auto'). A DataFrame's non-numeric columns can
        only be 'binary' or 'categorical', its ``bool`` ones not
        'continuous'.
    beta : float, default=1.0
        Weight of the KL term (1 is the true ELBO; other values give a beta-VAE,
        and :meth:`score_samples` is then no longer the bound the model was
        trained for).
    likelihood : {'gaussian', 'bernoulli'}, default='gaussian'
        The head of the continuous columns. 'gaussian': mean from the decoder
        and a learned per-feature variance, floored at 1e-3 times the column's
        variance (in the model's units) so that near-constant columns cannot
        make the likelihood blow up. 'bernoulli': for data in [0, 1]; a
        continuous column outside [0, 1] is an error (binary, discrete and
        categorical columns have heads of their own). For grey levels rather than binary data its
        likelihood is the usual cross-entropy, not a normalized density (give
        the levels of such data their own head with 'auto' and the Gaussian
        likelihood instead).
    decoder_variance : {'feature', 'latent'}, default='feature'
        Gaussian likelihood only. 'feature': one learned variance per feature,
        the same for every latent point. 'latent': each feature's variance also
        depends on ``z`` (a second decoder MLP adds to its log), so that, for
        example, a pixel that is blank for one kind of digit gets little noise
        there and more elsewhere; same floor.
    bounds : (low, high) or None, default=None
        Gaussian likelihood only: the range of X, scalars or one value per
        feature, for bounded data such as pixels; it applies to the continuous
        columns (the others have their levels). Each value is mapped to the
        real line by ``logit(a + (1 - 2a) (x - low) / (high - low))`` with
        ``a = 0.05`` (as in RealNVP) before scaling, and the model is fitted
        there. Generated rows then stay inside the data's range instead of
        spilling Gaussian noise past it, and :meth:`score_samples` adds the
        map's log-Jacobian, so it is still a log-density in the units of X.
        Fitting on X outside ``[low, high]`` is an error, checked when a fit
        starts afresh (``fit``, or the first ``partial_fit``); a ``warm_start``
        fit or a later ``partial_fit`` keeps that fit's ``bounds_`` and treats
        X like inference input. The model's support
        is the open interval the map covers, which reaches ``a / (1 - 2a)``
        (5.6%) of ``high - low`` beyond each bound, so that values exactly at
        a bound (blank pixels) keep a finite density; rows beyond it score
        ``-inf``, and other methods clip them to it. With ``bounds``,
        :meth:`inverse_transform` maps the decoder's mean through the inverse
        map (the median of ``p(x|z)`` in the units of X, not its mean), and
        ``fit`` makes one mapped copy of X (a large memmap is not streamed).
    prior : {'mixture', 'normal'}, default='mixture'
        The distribution of the codes in the generative model, used by
        :meth:`sample` and :meth:`score_samples`. Training always pulls the
        codes toward ``N(0, I)``, but the codes the encoder actually uses (the
        aggregate posterior) do not fill that ball: they gather in clusters,
        and draws from ``N(0, I)`` between the clusters decode to rows that
        look like no training row. 'mixture': at the end of every fit a
        full-covariance :class:`~sklearn.mixture.GaussianMixture` is fitted to
        draws of ``q(z|x)`` of the training rows (four per row, at most 20,000
        codes), its number of components chosen by BIC (doubling from 1 while the BIC
        improves and the mixture has fewer parameters than there are codes),
        and becomes the prior (``prior_``). 'normal': the standard normal
        prior of training. Either way :meth:`score_samples` is the bound of
        the model that :meth:`sample` draws from.
    sample_noise : {'decoder', 'none'}, default='decoder'
        What :meth:`sample` returns for each drawn code ``z``. 'decoder': a
        draw from ``p(x|z)``, the model's own distribution. 'none': the most
        likely row, as :meth:`inverse_transform` gives it (the decoder's mean
        of a continuous column, its median in the units of X with ``bounds``;
        for ``likelihood='bernoulli'`` the probabilities; the most likely level
        of the other columns), smoother rows that are not draws from the
        model. Only :meth:`sample` reads it, so it never changes
        :meth:`score_samples`.
    n_importance_samples : int, default=100
        Number of importance samples ``K`` of the bound in :meth:`score_samples`.
        Larger is tighter and slower (cost grows linearly).
    conditional : bool, default=False
        Learn a model of the rows given class labels: ``fit(X, y)`` trains a
        conditional VAE whose decoder reads the one-hot label beside the
        code, ``p(x|z, y)``, and whose prior is one per class, ``p(z|y)``
        (``prior``, fitted on the codes of that class's rows);
        ``sample(n, y=...)`` then draws rows of the classes asked for, and
        without ``y`` draws the classes in their training proportions
        (``class_prior_``). The encoder never reads ``y``, so
        :meth:`transform` needs no labels; :meth:`score_samples` is the
        marginal ``log sum_y p(y) p(x|y)`` and :meth:`inverse_transform`
        decodes each code with its most probable class,
        ``argmax_y p(y) p(z|y)``. Off by default: a Pipeline hands y to every
        step's ``fit``, and a VAE before a classifier must keep codes that
        carry the class, which a decoder handed y no longer needs them to do.
        With False, a ``y`` given to ``fit`` is ignored.
    normalization : {'quantile'} or None, default=None
        Gaussian likelihood only. 'quantile': each continuous column is
        modelled through a monotone map fitted on its training values (point
        masses aside) that sends their empirical distribution to the standard
        normal, piecewise linear between up to 1,000 quantiles and extended
        linearly beyond them, so that the decoder's Gaussian can match skewed
        and multimodal marginals; :meth:`sample` and :meth:`inverse_transform`
        map back, and :meth:`score_samples` adds the map's log-Jacobian
        (``quantile_knots_``), so it stays a density in the units of X. It is
        applied after the logit map of ``bounds``. None: the columns as they
        are (scaled by ``scaling``).
    kl_warmup_epochs : int, default=0
        KL annealing: epoch ``e`` (counted from 1, as in ``loss_curve_`` and
        :class:`~skgen.plotting.LossCurveDisplay`) trains with
        ``beta * min(1, (e - 1) / kl_warmup_epochs)``, so ``beta`` rises
        linearly from 0 at the first epoch to its full value at epoch
        ``kl_warmup_epochs + 1`` (0: no warm-up). The validation
        loss used by early stopping always uses the full ``beta``.
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Widths of the encoder's hidden layers, outermost first; the decoder
        mirrors them.
    activation : {'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', 'elu', \
'gelu', 'silu'}, default='relu'
        Activation of the hidden layers.
    alpha : float, default=1e-5
        L2 penalty on the weight matrices, as Adam's ``weight_decay``.
    batch_size : int or 'auto', default='auto'
        Rows per minibatch; 'auto' means ``min(128, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's step size.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss (negative ELBO per feature, in
        nats) that counts as an improvement.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows, stop when their loss has
        not improved by ``tol`` for ``n_iter_no_change`` epochs and restore the
        best weights.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    warm_start : bool, default=False
        When True, ``fit`` continues from the current weights.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, the validation split, the training
        noise and the importance samples of :meth:`score_samples`. An int gives
        bit-identical results on the CPU; global generators are never advanced.
    verbose : int, default=0
        Progress output while fitting. 0: none. 1 shows a progress bar when
        tqdm is installed (``pip install skgen[progress]``) and the output is
        a terminal or notebook, else a line per epoch; 2 a line per epoch
        (with loss and time).
    device : str or torch.device, default='auto'
        Where to train and infer; 'auto' uses CUDA when available.
    n_jobs : int or None, default=None
        Threads each call (``fit``, ``transform``, scoring, ...) gives torch
        and the BLAS and OpenMP pools of NumPy, SciPy and scikit-learn, the
        caller's coming back after it: None means 1 (unless in a
        :func:`joblib.parallel_backend` context), -1 all cores. These small
        networks lose more than they gain from threads (``docs/scaling.md``).
        Sums split over threads add in another order, so the same
        ``random_state`` with another ``n_jobs`` trains a slightly different
        model.
    scaling : {'auto', 'standard', 'global'} or None, default='auto'
        How X is scaled inside the estimator. With the Gaussian likelihood
        'auto' picks 'global' (one shared scale) when at least half of the
        varying columns span exactly the same ``[min, max]`` (image-like data)
        and 'standard' (per-column) otherwise; with the Bernoulli one it means
        None, as that likelihood needs X in [0, 1] as it is ('standard' or
        'global' with 'bernoulli' is an error). The choice is in ``scaling_``.
        The scaling never changes the units of the outputs:
        :meth:`inverse_transform` and :meth:`sample` return rows in the units
        of X, and :meth:`score_samples` a log-density in the units of X (the
        log-Jacobian of the scaling is accounted for).
    encoder : nn.Module subclass, function, nn.Module instance, ModuleSpec or None, \
default=None
        A network of your own in place of the MLP's encoder: a class or a
        module-level function returning a module, called with whichever of
        ``n_features``, ``n_components``, ``n_outputs`` and ``input_shape`` its
        signature names; an instance (a template, copied and re-initialised on
        every fit, never trained itself); or a :class:`skgen.nn.ModuleSpec`
        holding the factory's own parameters, which are then nested parameters
        (``encoder__channels``) for ``set_params`` and ``GridSearchCV``. It
        receives ``(batch, *input_shape)`` (``(batch, n_features)`` without
        ``input_shape``) and returns ``(batch, 2 * n_components)``, the means
        then the log-variances of ``q(z|x)``, or a ``(mean, log_var)`` tuple.
        None is the MLP of ``hidden_layer_sizes``, which starts at probabilistic
        PCA. See ``docs/custom_modules.md``.
    decoder : same as encoder, default=None
        A network of your own in place of the MLP's decoder: it receives
        ``(batch, n_components)`` and returns anything that reshapes to
        ``(batch, n_outputs)``, the parameters of the heads of ``p(x|z)``
        (``n_outputs``: one per continuous column, more for typed ones, see
        :class:`skgen.nn.VAE`).
    input_shape : tuple of int or None, default=None
        The shape of a row as your encoder reads it, such as ``(1, 8, 8)`` for
        8x8 images: X stays a 2-D table and each row is reshaped inside. Its
        product must be the number of columns.

    Attributes
    ----------
    column_types_ : ndarray of str of shape (`n_features_in_`,)
        The type of each column: 'continuous', 'binary', 'discrete' or
        'categorical' (``column_types`` with 'auto' resolved).
    levels_ : list of (ndarray or None) of length `n_features_in_`
        The sorted levels seen in training of each binary, discrete and
        categorical column (numbers, or a DataFrame column's values such as
        strings); the point masses of a continuous column, or None when it has
        none. :meth:`sample` draws only these levels. Another value of a
        numeric binary or discrete column is unusual, not impossible: it gets
        a share of the small mass the column keeps for values never seen (a
        point of the levels' lattice a probability, any other value a
        density; :meth:`score_samples`). A categorical column's value, or a
        non-numeric binary one's, that is not a level has probability 0
        (:meth:`score_samples` gives ``-inf``) and cannot be encoded (an
        error); ``partial_fit`` refuses any value that is not a level.
    n_components_ : int
        The number of latent units: ``n_components``, or the one 'auto' read
        from the data.
    module_ : skgen.nn.VAE
        The trained torch module (float32, in eval mode).
    prior_ : sklearn.mixture.GaussianMixture, list of them, or None
        With ``prior='mixture'``, the mixture over codes that :meth:`sample`
        draws from and :meth:`score_samples` uses as ``p(z)``; None with
        ``prior='normal'``. After ``partial_fit`` it is refitted on the codes
        of that call's rows. With ``conditional=True``, one mixture per class
        of ``classes_``, ``p(z|y)``, fitted on the codes of that class's rows.
    classes_ : ndarray of shape (n_classes,)
        With ``conditional=True``, the sorted class labels seen in ``fit``.
    class_prior_ : ndarray of shape (n_classes,)
        With ``conditional=True``, each class's share of the training rows.
    importance_draws_ : ndarray of shape (n_importance_samples, n_components)
        Standard normal draws, fixed at fit time from ``random_state`` and
        shared by all rows, used by :meth:`score_samples` (antithetic pairs
        ``eps, -eps``). If ``n_importance_samples`` is changed after fitting,
        the draws are extended (or cut) from the same seed.
    quantile_knots_ : list of (ndarray, ndarray) or None
        With ``normalization='quantile'``, the knots ``(x, u)`` of each
        continuous column's map (values after the logit map of ``bounds``,
        and their normal scores); None otherwise.
    bounds_ : ndarray of shape (2, `n_features_in_`) or None
        ``bounds`` as per-feature ``low`` and ``high`` rows (None without bounds).
    mean_ : ndarray of shape (`n_features_in_`,)
        Per-column mean subtracted from X, after the logit map of ``bounds``
        (zeros with ``scaling=None``, with the Bernoulli likelihood, and for
        categorical columns, whose level codes go to the encoder one-hot).
    scaling_ : {'standard', 'global'} or None
        The scaling used, ``scaling`` with 'auto' resolved.
    scale_ : ndarray of shape (`n_features_in_`,)
        Divisor of each column in ``(X - mean_) / scale_``: its standard
        deviation with ``scaling_='standard'``; one value shared by all
        columns with 'global' (the root mean square of the varying columns'
        standard deviations); ones with None and with the Bernoulli
        likelihood, and for categorical columns. Under 'standard' a constant
        column gets that shared value, so that outputs on ``X * c`` are ``c``
        times those on X.
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Mean training loss (negative ELBO per feature) of each epoch.
    validation_loss_curve_ : list of float or None
        Validation loss of each epoch when ``early_stopping`` is True.
    best_loss_ : float
        Best monitored loss.
    device_ : torch.device
        The device the module lives on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    AutoencoderTransformer : A deterministic autoencoder.
    sklearn.decomposition.PCA : Linear model; its ``score`` is the PPCA log-likelihood.
    sklearn.mixture.GaussianMixture : Another density estimator with ``score``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skgen import VAETransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> # a quick, coarse fit: stop once 3 epochs gain less than 0.01 of held-out loss
    >>> vae = VAETransformer(n_components=8, tol=1e-2, n_iter_no_change=3, random_state=0)
    >>> Z = vae.fit_transform(X)
    >>> Z.shape
    (1797, 8)
    >>> vae.sample(3, random_state=0).shape
    (3, 64)
    >>> type(vae.prior_).__name__  # over the codes; its number of components chosen by BIC
    'GaussianMixture'
    >>> vae.score_samples(X[:2]).shape
    (2,)
    >>> sorted(set(vae.column_types_))  # pixels are one of 17 integer levels
    ['binary', 'discrete']
    >>> bool(set(vae.sample(5, random_state=0).ravel()) <= set(range(17)))
    True

    A DataFrame's string columns are typed too, and samples keep its dtypes:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"size": X[:, 20] + X[:, 21] / 17,
    ...                    "ink": pd.Series(X[:, 36] > 8).map({True: "dark", False: "light"})})
    >>> vae = VAETransformer(tol=1e-2, n_iter_no_change=3, random_state=0).fit(df)
    >>> list(vae.column_types_)
    ['continuous', 'binary']
    >>> vae.sample(3, random_state=0).dtypes.equals(df.dtypes)
    True
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "beta": [Interval(Real, 0, None, closed="left")],
        "likelihood": [StrOptions({"gaussian", "bernoulli"})],
        "decoder_variance": [StrOptions({"feature", "latent"})],
        "bounds": ["array-like", None],
        "prior": [StrOptions({"mixture", "normal"})],
        "sample_noise": [StrOptions({"decoder", "none"})],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
        "kl_warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "conditional": ["boolean"],
        "normalization": [StrOptions({"quantile"}), None],
    }

    _resume_params = ("column_types", "normalization")

    def __init__(
        self,
        n_components="auto",
        *,
        column_types="auto",
        beta=1.0,
        likelihood="gaussian",
        decoder_variance="feature",
        bounds=None,
        prior="mixture",
        sample_noise="decoder",
        n_importance_samples=100,
        kl_warmup_epochs=0,
        conditional=False,
        normalization=None,
        hidden_layer_sizes=(256, 128),
        activation="relu",
        alpha=1e-5,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=200,
        tol=1e-4,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        random_state=None,
        verbose=0,
        device="auto",
        n_jobs=None,
        scaling="auto",
        encoder=None,
        decoder=None,
        input_shape=None,
    ):
        self.n_components = n_components
        self.column_types = column_types
        self.beta = beta
        self.likelihood = likelihood
        self.decoder_variance = decoder_variance
        self.bounds = bounds
        self.prior = prior
        self.sample_noise = sample_noise
        self.n_importance_samples = n_importance_samples
        self.kl_warmup_epochs = kl_warmup_epochs
        self.conditional = conditional
        self.normalization = normalization
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.n_jobs = n_jobs
        self.scaling = scaling
        self.encoder = encoder
        self.decoder = decoder
        self.input_shape = input_shape

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.conditional  # fit(X, y): the class labels
        return tags

    # ------------------------------------------------------------------ hooks

    def _fit_input(self, X):
        """Learn the columns of X (types, levels, a DataFrame's dtypes), check ``bounds``
        against them and fit the scaling of the model rows; return the model rows.

        Categorical columns, whose level codes go to the encoder one-hot, are not
        scaled; nor is anything with the Bernoulli likelihood, which models X in
        [0, 1] as it is.
        """
        X = self._fit_columns(X)
        self.bounds_ = self._check_bounds(X)
        self.quantile_knots_ = None
        X = self._model_rows(X)
        if self.normalization == "quantile":
            if self.likelihood != "gaussian":
                raise ValueError("normalization='quantile' applies to likelihood='gaussian' "
                                 "only. Set normalization=None.")
            continuous = self._continuous()
            spikes = [self._model_point_masses(j) for j in np.flatnonzero(continuous)]
            self.quantile_knots_ = fit_quantile_knots(X[:, continuous], exclude=spikes)
            X = self._quantile_rows(X if self.bounds_ is not None else X.copy())
        if self.likelihood == "bernoulli":
            if self.scaling not in ("auto", None):
                raise ValueError(
                    f"likelihood='bernoulli' models X in [0, 1] as it is, so scaling must be "
                    f"'auto' or None, got scaling={self.scaling!r}."
                )
            n_features = X.shape[1]
            self.scaling_, self.mean_, self.scale_ = None, np.zeros(n_features), np.ones(n_features)
        else:
            self.scaling_, self.mean_, self.scale_ = fit_scaling(
                X, self.scaling, names=getattr(self, "feature_names_in_", None))
            self.mean_[self._coded], self.scale_[self._coded] = 0.0, 1.0
        return X

    def _fit_columns(self, X):
        """Learn the column types (``column_types_``, ``levels_``, ``_coded``) and a
        DataFrame's dtypes (``_frame``) from the training X, numeric columns typed by their
        values too; return its validated values (:meth:`_numeric_values`)."""
        X = super()._fit_columns(X, auto_numeric=True,
                                 point_masses_too=self.likelihood == "gaussian")
        X = self._numeric_values(X, self.likelihood)[0]
        self._smoothing = columns.fit_smoothing(X, self.column_types_, self.levels_, self._coded)
        return X

    def _numeric_values(self, X, likelihood, unknown="error"):
        """The values the model reads from validated X, read with the fitted columns: level
        codes in the coded columns, numbers elsewhere; and the mask of rows holding a level
        never seen at fit (an error unless ``unknown='mark'``). The Bernoulli ``likelihood``
        needs the numbers in [0, 1]."""
        X, unknown_codes = columns.numeric_codes(
            X, self.column_types_, self.levels_, self._coded, self._frame_levels(),
            unknown=unknown, names=getattr(self, "feature_names_in_", None))
        # the Bernoulli head of the continuous columns; the others have heads of their own
        continuous = self._continuous()
        plain = X if continuous.all() else X[:, continuous]
        if likelihood == "bernoulli" and plain.size and (plain.min() < 0 or plain.max() > 1):
            raise ValueError(
                "likelihood='bernoulli' needs X in [0, 1], but X ranges from "
                f"{plain.min():.6g} to {plain.max():.6g}. Rescale it (for 8-bit pixels, X / 255) "
                "or use likelihood='gaussian'."
            )
        return X, unknown_codes

    def _check_bounds(self, X):
        """``bounds`` as a (2, n_features) array; the training rows must lie inside."""
        if self.bounds is None:
            return None
        if self.likelihood != "gaussian":
            raise ValueError("bounds applies to likelihood='gaussian' only; 'bernoulli' "
                             "already models X in [0, 1]. Set bounds=None.")
        try:
            low, high = (np.broadcast_to(np.asarray(b, dtype=np.float64), (X.shape[1],))
                         for b in self.bounds)
        except (TypeError, ValueError):
            raise ValueError(
                "bounds must be a pair (low, high) of numbers or of arrays of length "
                f"n_features={X.shape[1]}, got {self.bounds!r}."
            ) from None
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and np.all(low < high)):
            raise ValueError(
                f"bounds needs finite low < high for every feature, got {self.bounds!r}.")
        outside = (X.min(axis=0) < low) | (X.max(axis=0) > high)
        bad = np.flatnonzero(outside & self._continuous())  # bounds map continuous columns
        if bad.size:
            j = bad[0]
            raise ValueError(
                f"X lies outside bounds in {bad.size} feature(s): feature {j} ranges from "
                f"{X[:, j].min():.6g} to {X[:, j].max():.6g}, outside [{low[j]:.6g}, "
                f"{high[j]:.6g}]. Widen bounds or set bounds=None."
            )
        return np.stack([low, high])

    def _continuous(self):
        """Mask of the continuous columns."""
        return self.column_types_ == "continuous"

    def _model_rows(self, X, *, check_levels=True):
        """The rows the model sees: with ``bounds``, the logit map of the continuous columns.

        ``check_levels`` (training) makes a value that is not a level of its
        binary or discrete column an error: the model has no head for it.
        """
        if check_levels:
            bad = columns.unseen_rows(X, self.column_types_, self.levels_, self._coded)
            if bad.any():
                j = next(j for j, kind in enumerate(self.column_types_)
                         if kind in ("binary", "discrete") and not self._coded[j]
                         and not np.isin(X[bad, j], self.levels_[j]).all())
                columns.codes_of(X[:, j], self.levels_[j], f"{j}")  # raises, naming them
        if self.bounds_ is None:
            return X if self._knots is None else self._quantile_rows(X.copy())
        continuous = self._continuous()
        if continuous.all() and self._knots is None:
            return logit_map(X, self.bounds_)
        X = X.copy()
        X[:, continuous] = logit_map(X[:, continuous], self.bounds_[:, continuous])
        return X if self._knots is None else self._quantile_rows(X)

    @property
    def _knots(self):
        """``quantile_knots_``, None for a model saved before it existed."""
        return getattr(self, "quantile_knots_", None)

    def _quantile_rows(self, X):
        """X (a copy of the model's own) with its continuous columns quantile-mapped in place."""
        continuous = self._continuous()
        X[:, continuous] = quantile_map(X[:, continuous], self._knots)
        return X

    def _model_point_masses(self, j):
        """Column j's point masses in the units of the logit map (None without any)."""
        values = self.levels_[j]
        if values is None or self.bounds_ is None:
            return values
        return logit_map(values[:, None], self.bounds_[:, [j]])[:, 0]

    def _from_model_units(self, values):
        """Continuous columns in model units (unscaled) back in the units of X."""
        if self._knots is not None:
            values = quantile_inverse(values, self._knots)
        return values if self.bounds_ is None else logistic_map(
            values, self.bounds_[:, self._continuous()])

    def _validate_X(self, X, *, training=False):
        """X read with the fitted columns; a level never seen at fit is an error, in a
        resumed fit (``training``) too."""
        return self._validate_rows(X)[0]

    def _validate_rows(self, X, *, unknown="error"):
        """The validated values of X read with the fitted columns (codes for coded columns),
        and its rows of unknown levels.

        A level never seen at fit in a coded column is an error, or with
        ``unknown='mark'`` a row marked in the returned mask.
        """
        X, unknown_rows = self._read_columns(X, unknown=unknown)
        X, unknown_codes = self._numeric_values(X, self.module_.likelihood, unknown=unknown)
        return X, unknown_rows | unknown_codes

    def _inspect_data(self, X):
        if self.n_components != "auto":
            self.n_components_ = self.n_components
            return
        n_features = len(self.column_types_)  # without the labels' column (conditional)
        rows = spectrum_rows(X, self.mean_, self.scale_, n_features, max_rows=_SPECTRUM_ROWS)
        if self._coded.any():  # categorical level codes, one-hot
            rows = np.hstack([rows[:, ~self._coded]] + [
                np.eye(len(self.levels_[j]))[rows[:, j].astype(np.int64)]
                for j in np.flatnonzero(self._coded)])
        self.n_components_ = max(min(2, rows.shape[1]),
                                 variance_components(rows, _AUTO_VARIANCE))

    def _module_spec(self, n_features):
        n_features = len(self.column_types_)  # the rows' width, without a label column
        typed = not self._continuous().all() or self._point_masses().any()
        return VAE, {
            "n_features": n_features,
            # "auto" is the size read from the data at the first fit, which resumed fits keep
            "n_components": (self.n_components_ if self.n_components == "auto"
                             else self.n_components),
            "hidden_layer_sizes": self._check_hidden_layer_sizes(),
            "activation": self.activation,
            "likelihood": self.likelihood,
            "residual": True,
            **self._custom_modules(),
            "decoder_variance": self.decoder_variance,
            **({"column_types": tuple(self.column_types_),
                "n_levels": tuple(0 if lv is None else len(lv) for lv in self.levels_)}
               if typed else {}),
            **({"n_classes": len(getattr(self, "classes_", ()))} if self.conditional else {}),
        }

    def _point_masses(self):
        """Mask of the continuous columns with point masses."""
        return np.array([kind == "continuous" and lv is not None
                         for kind, lv in zip(self.column_types_, self.levels_)], dtype=bool)

    @torch.no_grad()
    def _initialize_module(self, module, X_train):
        if module.n_classes:
            X_train = X_train[:, :-1]  # the labels' column
        for i, edges in enumerate(self._level_edges()):
            module.level_edges[i, :len(edges)] = torch.as_tensor(edges)
        for i, spikes in enumerate(self._standardized_point_masses()):
            module.spike_values[i, :len(spikes)] = torch.as_tensor(spikes)
        if self.likelihood == "gaussian":
            if module.n_continuous:
                var = X_train[:, module.continuous_index].to(torch.float64).var(
                    dim=0, unbiased=False)
                module.log_var_floor.copy_(torch.log(_VARIANCE_FLOOR * var + 1e-6))
            if not has_custom_blocks(module):  # a user's module: its own initialisation
                init_ppca(module, X_train)
        elif not has_custom_blocks(module):
            init_bernoulli(module, X_train)

    def _level_edges(self):
        """Midpoints between the standardized levels of each binary and discrete column."""
        values = columns.level_values(self.column_types_, self.levels_, self._coded)
        edges = []
        for j, kind in enumerate(self.column_types_):
            if kind in ("binary", "discrete"):
                v = (values[j] - self.mean_[j]) / self.scale_[j]
                edges.append((v[1:] + v[:-1]) / 2)
        return edges

    def _standardized_point_masses(self):
        """Each spiky column's point masses as the module sees them (logit map, scaling)."""
        out = []
        among = np.cumsum(self._continuous()) - 1  # a column's place among the continuous
        for j in np.flatnonzero(self._point_masses()):
            values = self._model_point_masses(j)
            if self._knots is not None:
                values = quantile_map(values[:, None], [self._knots[among[j]]])[:, 0]
            out.append((values - self.mean_[j]) / self.scale_[j])
        return out

    def _loss(self, module, batch, generator):
        beta = self._current_beta() if module.training else self.beta
        x, y = (batch[:, :-1], batch[:, -1]) if module.n_classes else (batch, None)
        eps = torch.randn((x.shape[0], module.n_components), generator=generator,
                          device=x.device, dtype=x.dtype)
        return torch.mean(module.negative_elbo(x, eps, beta, y)) / x.shape[1]

    def _current_beta(self):
        warmup = self.kl_warmup_epochs
        if not warmup:
            return self.beta
        return self.beta * min(1.0, self._history.n_iter / warmup)

    def _with_targets(self, X, y, *, fresh):
        """With ``conditional=True``, X and a last column of the class indices of y."""
        if not fresh and self.conditional != bool(self.module_.n_classes):
            raise ValueError(
                f"conditional={self.conditional!r} but the fitted model was fitted with "
                f"conditional={not self.conditional!r}: set it back, or call fit with "
                "warm_start=False to fit a new model.")
        if not self.conditional:
            return X  # y is ignored, as a Pipeline passes it to every step
        if y is None:
            raise ValueError(
                f"{type(self).__name__}(conditional=True) requires y to be passed, but the "
                "target y is None: it learns the rows given their class, fit(X, y).")
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        check_classification_targets(y)
        if fresh:
            self.classes_, codes = np.unique(y, return_inverse=True)
            self.class_prior_ = np.bincount(codes) / len(y)
        else:
            codes = self._class_indices(y)
        return np.hstack([X, codes[:, None].astype(X.dtype)])

    def _training_scaling(self):
        if not self.conditional:
            return self.mean_, self.scale_
        return np.r_[self.mean_, 0.0], np.r_[self.scale_, 1.0]  # the labels as they are

    def _class_indices(self, y):
        """The index in ``classes_`` of each label of y; a label never seen is an error."""
        y = np.asarray(y)
        index = pd.Index(self.classes_).get_indexer(y.ravel())
        if (index < 0).any():
            bad = list(dict.fromkeys(y.ravel()[index < 0].tolist()))
            raise ValueError(f"Unknown class label(s) {bad[:5]}: the model was fitted on the "
                             f"classes {self.classes_.tolist()}.")
        return index.reshape(y.shape)

    def _with_labels(self, Z, labels):
        """Codes packed for :func:`_decoded`: with a conditional model each with its class."""
        if not self.module_.n_classes:
            return Z
        return np.hstack([Z, np.asarray(labels, dtype=Z.dtype)[:, None]])

    @property
    def _fit_end_reads_rows(self):  # the mixture prior is fitted to the rows' codes
        return self.prior == "mixture"

    def _on_fit_end(self, X):
        labels = None
        if self.module_.n_classes:
            X, labels = X[:, :-1], X[:, -1].astype(np.int64)
        if not hasattr(self, "importance_draws_"):  # drawn once, kept by partial_fit/warm_start
            self._importance_seed = int(self._rng.randint(np.iinfo(np.int32).max))
            self.importance_draws_ = _importance_draws(self._importance_seed,
                                                       self.n_importance_samples,
                                                       self.module_.n_components)
        self.prior_ = self._fit_prior(X, labels) if self.prior == "mixture" else None

    def _fit_prior(self, X, labels=None):
        """The mixture prior: a GaussianMixture on draws of ``q(z|x)`` of the training rows;
        with class ``labels`` one per class, on the codes of its rows."""
        seed = int(self._rng.randint(np.iinfo(np.int32).max))
        rng = np.random.RandomState(seed)
        if X.shape[0] > _PRIOR_CODES:
            keep = rng.choice(X.shape[0], _PRIOR_CODES, replace=False)
            if labels is not None:  # every class keeps a row at least
                keep = np.union1d(keep, np.unique(labels, return_index=True)[1])
            keep = np.sort(keep)
            X, labels = X[keep], None if labels is None else labels[keep]
        n_draws = max(1, min(_PRIOR_DRAWS, _PRIOR_CODES // X.shape[0]))

        def posterior(m, x):
            mu, log_var = m.encode(x)
            return torch.cat([mu, log_var], dim=1)

        mu, log_var = np.split(self._apply_in_batches(X, posterior).astype(np.float64), 2, axis=1)
        eps = rng.standard_normal((n_draws, *mu.shape))
        codes = (mu + np.exp(0.5 * log_var) * eps).reshape(-1, mu.shape[1])
        if labels is None:
            return fit_code_mixture(codes, seed)
        labels = np.tile(labels, n_draws)  # the draws' rows, draw by draw
        # a class that partial_fit's sample of rows has lost keeps the mixture it had
        return [fit_code_mixture(codes[labels == c], seed) if np.any(labels == c)
                else self.prior_[c] for c in range(len(self.classes_))]

    # ---------------------------------------------------------------- public API

    @property
    def _n_features_out(self):
        """The code width of the fitted module, for :meth:`get_feature_names_out`."""
        return self.module_.n_components

    def transform(self, X):
        """Posterior means ``mu`` of the rows of X (deterministic, never a sample).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to encode, with the columns of the training data. A binary or
            discrete column may hold values that are not among its levels (the
            encoder reads numbers); a categorical column may not.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            In X's floating dtype.
        """
        X = self._model_rows(self._validate_for_inference(X), check_levels=False)
        return self._apply_in_batches(X, lambda m, x: m.encode(x)[0])

    def inverse_transform(self, X):
        """The most likely row of each latent code, in the data's values and types.

        A continuous column gets the decoder's mean (with ``bounds`` the mean
        in logit space mapped back: the median of ``p(x|z)`` in the units of
        X); a binary, discrete or categorical column gets its most likely
        level, one of ``levels_``. With ``conditional=True`` each code is
        decoded with its most probable class, ``argmax_y p(y) p(z|y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Latent codes.

        Returns
        -------
        X_original : ndarray or DataFrame of shape (n_samples, `n_features_in_`)
            A pandas DataFrame with the training columns and dtypes when the
            model was fitted on one, else an ndarray in the codes' dtype.
        """
        index = X.index if columns.is_pandas_frame(X) else None  # rows labelled like Z
        Z = self._validate_codes(X)
        return self._most_likely_rows(Z, self._likeliest_classes(Z), index=index)

    def _likeliest_classes(self, Z):
        """With a conditional model, the class of each code of largest ``p(y) p(z|y)``."""
        if not self.module_.n_classes:
            return None
        log_joint = np.log(self.class_prior_) + np.zeros((Z.shape[0], 1))
        if self.prior_ is not None:
            Z = np.asarray(Z, dtype=np.float64)
            log_joint += np.column_stack([gmm.score_samples(Z) for gmm in self.prior_])
        return log_joint.argmax(1)

    def _most_likely_rows(self, Z, labels, index=None):
        """:meth:`inverse_transform` of codes Z (of classes ``labels``, conditional)."""
        Z = self._with_labels(Z, labels)
        if not self.module_.typed and self._frame is None:
            X_mean = self._apply_in_batches(Z, lambda m, z: m.mean(_decoded(m, z)),
                                            standardize=False, unstandardize=True)
            return self._from_model_units(X_mean)
        rows = self._apply_in_batches(Z, lambda m, z: m.reconstruct(_decoded(m, z)),
                                      standardize=False)
        return self._output_rows(rows, index=index)

    def _output_rows(self, rows, index=None):
        """Rows from the module (standardized continuous values, level indices) in X's values."""
        continuous = self._continuous()
        values = rows.copy()
        mean, scale = self.mean_[continuous], self.scale_[continuous]
        values[:, continuous] = rows[:, continuous] * scale + mean
        if continuous.any():
            values[:, continuous] = self._from_model_units(values[:, continuous])
        for j, level_values in enumerate(columns.level_values(
                self.column_types_, self.levels_, self._coded)):
            if level_values is not None:
                values[:, j] = level_values[rows[:, j].astype(np.int64)]
        for j in np.flatnonzero(self._point_masses()):  # exactly, not up to rounding
            spikes = self.levels_[j]
            nearest = spikes[np.abs(values[:, j, None] - spikes).argmin(1)]
            close = np.abs(values[:, j] - nearest) <= 1e-6 * np.maximum(np.abs(nearest),
                                                                        self.scale_[j])
            values[close, j] = nearest[close]
        return columns.decode_rows(values, self.column_types_, self.levels_, self._coded,
                                   frame=self._frame, index=index)

    def sample(self, n_samples=1, random_state=None, *, y=None):
        """Draw rows from the model: ``z ~ p(z)``, then ``x ~ p(x|z)``.

        ``p(z)`` is the mixture ``prior_`` (``prior='mixture'``) or ``N(0, I)``.
        With ``conditional=True``: ``y ~ p(y)`` (``class_prior_``) unless
        ``y`` gives the classes, then ``z ~ p(z|y)`` and ``x ~ p(x|z, y)``.
        With ``sample_noise='decoder'``: a continuous column gets the decoder
        mean plus Gaussian noise with the learned variance, in the units of X
        (with ``bounds``, drawn in logit space and mapped back, so the rows
        stay inside the model's support; with ``likelihood='bernoulli'``, 0/1
        draws with the decoder's probabilities); a binary, discrete or
        categorical column a level drawn with the decoder's probabilities,
        always one of ``levels_``. With ``sample_noise='none'``: the most likely
        rows of the drawn codes, as :meth:`inverse_transform` gives them.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance, Generator instance or None, default=None
            An int gives the same rows on every call; a RandomState or a
            Generator is advanced by one draw (a seed). None draws fresh
            entropy; the global generators are never advanced.
        y : label or array-like of shape (n_samples,), default=None
            With ``conditional=True``, the class of the rows: one label of
            ``classes_`` for all, or one per row. None draws the classes in
            their training proportions.

        Returns
        -------
        X : ndarray or DataFrame of shape (n_samples, `n_features_in_`)
            A pandas DataFrame with the training columns and dtypes when the
            model was fitted on one, else a float64 ndarray.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        labels = self._sample_labels(y, n_samples)
        rng = np.random.RandomState(draw_seed(random_state))
        if self.module_.n_classes and labels is None:
            labels = rng.choice(len(self.classes_), size=n_samples, p=self.class_prior_)
        z = self._draw_codes(rng, n_samples, labels)
        if self.sample_noise == "none":
            return self._most_likely_rows(z, labels)
        module = self.module_
        z = self._with_labels(z, labels)
        if not module.typed and self._frame is None:
            return self._sample_continuous(rng, z)
        n_continuous, n_binary = module.n_continuous, module.n_binary
        n_softmax, max_levels = module.softmax_index.shape

        def heads(m, c):
            out = _decoded(m, c)
            parts = [m.mean(out)]
            if m.likelihood == "gaussian":
                parts.append(torch.exp(0.5 * m.decoder_log_var(out)).expand(
                    c.shape[0], n_continuous))
            parts.append(torch.sigmoid(m.binary_logits(out)))
            parts.append(torch.softmax(m.softmax_logits(out), dim=-1).flatten(-2))
            return torch.cat(parts, dim=1)

        drawn = self._apply_in_batches(z, heads, standardize=False).astype(np.float64)
        widths = [n_continuous] * (2 if module.likelihood == "gaussian" else 1) + [n_binary]
        parts = np.split(drawn, np.cumsum(widths), axis=1)
        rows = np.empty((n_samples, self.n_features_in_))
        if module.likelihood == "gaussian":
            mean, std = parts[0], parts[1]
            rows[:, self._continuous()] = mean + std * rng.standard_normal(mean.shape)
        else:
            rows[:, self._continuous()] = rng.uniform(size=parts[0].shape) < parts[0]
        thresholded = module.thresholded_index.numpy()
        binary = thresholded[module.binary_among_thresholded.numpy()]
        rows[:, binary] = rng.uniform(size=(n_samples, n_binary)) < parts[-2]
        if n_softmax:
            probs = parts[-1].reshape(n_samples, n_softmax, max_levels)
            below = np.cumsum(probs, axis=-1)[..., :-1]
            u = rng.uniform(size=(n_samples, n_softmax, 1))
            codes = np.minimum((below < u).sum(-1), (probs > 0).sum(-1) - 1)
            spiky = self._point_masses()
            softmax = np.isin(self.column_types_, ("discrete", "categorical")) | spiky
            levelled = ~spiky[softmax]
            rows[:, softmax & ~spiky] = codes[:, levelled]
            # a continuous column's point mass, unless its code is "none of them"
            for spikes, j, code in zip(self._standardized_point_masses(), np.flatnonzero(spiky),
                                       codes[:, ~levelled].T):
                at = code < len(spikes)
                rows[at, j] = spikes[code[at]]
        return self._output_rows(rows)

    def _sample_labels(self, y, n_samples):
        """The class indices that :meth:`sample` is asked for (None: none asked)."""
        if not self.module_.n_classes:
            if y is not None:
                raise ValueError(f"y gives the classes of the rows of a model fitted with "
                                 f"conditional=True; this {type(self).__name__} was fitted "
                                 "with conditional=False. Leave y=None.")
            return None
        if y is None:
            return None
        labels = self._class_indices(y)
        if labels.ndim == 0:
            return np.full(n_samples, labels)
        if labels.shape != (n_samples,):
            raise ValueError(f"y must be one label or an array of n_samples={n_samples} "
                             f"labels, got shape {labels.shape}.")
        return labels

    def _draw_codes(self, rng, n_samples, labels=None):
        """``n_samples`` codes from the prior: ``N(0, I)`` or the mixture ``prior_``; with
        class ``labels``, each from its class's mixture, the classes in order."""
        if self.prior_ is None:
            return rng.standard_normal((n_samples, self.module_.n_components))
        if labels is None:
            return draw_from_mixture(self.prior_, rng, n_samples)
        z = np.empty((n_samples, self.module_.n_components))
        for c in np.unique(labels):
            z[labels == c] = draw_from_mixture(self.prior_[c], rng, int(np.sum(labels == c)))
        return z

    def _sample_continuous(self, rng, z):
        """:meth:`sample` of a model of continuous columns only, fitted on an array."""
        n_samples, n_features = z.shape[0], self.n_features_in_  # z: packed codes
        if self.module_.likelihood == "bernoulli":
            p = self._apply_in_batches(z, lambda m, c: m.mean(_decoded(m, c)),
                                       standardize=False)
            return (rng.uniform(size=(n_samples, n_features)) < p).astype(np.float64)

        def mean_and_std(m, c):
            out = _decoded(m, c)
            std = torch.exp(0.5 * m.decoder_log_var(out)).expand(c.shape[0], n_features)
            return torch.cat([m.mean(out), std], dim=1)

        mean, std = np.split(self._apply_in_batches(z, mean_and_std, standardize=False), 2, axis=1)
        noise = rng.standard_normal((n_samples, n_features))
        return self._from_model_units((mean + std * noise) * self.scale_ + self.mean_)

    def score_samples(self, X):
        """Per-row estimate of ``log p(x)`` in nats, in the units of X.

        An importance-weighted (IWAE) lower bound with ``n_importance_samples``
        samples, of the model :meth:`sample` draws from (its prior is
        ``prior_`` with ``prior='mixture'``); the samples are fixed at fit time
        (``importance_draws_``) and shared by all rows, so a row's score never
        depends on its batch. It is a log-density in the continuous columns
        and a log-probability (mass) in the binary, discrete and categorical
        ones. With the Gaussian likelihood the internal scaling is undone by
        its log-Jacobian, ``-sum(log(scale_))`` over the continuous columns
        (plus that of the logit map of ``bounds``), so scores compare with
        those of PCA or GaussianMixture fitted on the same X when every column
        is continuous without point masses (see the user guide for typed
        columns). A value at a continuous column's point mass (``levels_``) is
        a log-probability, and one that differs from it at all, even by
        rounding, is scored by the density.

        A numeric binary or discrete column keeps ``1 - eps`` of its mass for
        its ``levels_`` and gives ``eps`` to every other value, where ``eps``
        is the Good-Turing estimate ``(n1 + 1) / (n + 1)`` of the chance of a
        value never seen (``n1`` levels seen once among ``n`` training rows,
        at most 1/2): half of it to the unseen points of the lattice its levels
        lie on (``first level + k * step``, the same weight between the first
        and the last level, decaying geometrically beyond them), half as a
        density to the values off the lattice. So every finite row scores
        finitely, except one holding a level never seen in a categorical
        column, or a non-numeric binary one (probability 0, ``-inf``), or,
        with ``bounds``, a row outside the model's support (``-inf``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, with the columns of the training data.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X, unknown = self._validate_rows(X, unknown="mark")
        # a value that is not a level of its binary or discrete numeric column: its
        # smoothing mass, and the other columns' likelihood from the model
        observed, log_mass = columns.smoothing_log_mass(
            X, self.column_types_, self.levels_, self._coded, getattr(self, "_smoothing", None))
        continuous = self._continuous()
        log_jacobian = (np.zeros(X.shape[0]) if self.bounds_ is None
                        else logit_log_jacobian(X[:, continuous], self.bounds_[:, continuous]))
        log_jacobian -= np.sum(np.log(self.scale_[continuous]))
        knots = self._knots
        if knots is not None:  # of the quantile map, at the logit-mapped values
            logits = (X[:, continuous] if self.bounds_ is None else
                      logit_map(X[:, continuous], self.bounds_[:, continuous]))
            log_jacobian += quantile_log_jacobian(logits, knots)
        among = np.cumsum(continuous) - 1
        # a value at a point mass has a probability, with no density and so no Jacobian
        for j in np.flatnonzero(self._point_masses()):
            at = columns.match_levels(X[:, j], self.levels_[j]) >= 0
            log_jacobian[at] += np.log(self.scale_[j])
            if self.bounds_ is not None:
                log_jacobian[at] -= logit_log_jacobian(X[at][:, [j]], self.bounds_[:, [j]])
            if knots is not None:
                log_jacobian[at] -= quantile_log_jacobian(logits[at, among[j]][:, None],
                                                          [knots[among[j]]])
        X = self._model_rows(X, check_levels=False)
        eps = torch.as_tensor(self._importance_samples(), dtype=torch_float_type(X),
                              device=self.device_)
        budget = _SCORE_BYTES // X.dtype.itemsize
        rows = max(1, budget // self.module_.decoded_width())
        if not observed.all():  # the mask travels beside the rows, batched with them
            n_features = X.shape[1]
            mean, scale = (torch.as_tensor(a, dtype=eps.dtype, device=self.device_)
                           for a in (self.mean_, self.scale_))
            X_observed = np.hstack([X, observed.astype(X.dtype)])

        def iwae(prior, label=None):
            """The bound with the mixture ``prior`` (None: the standard normal) as ``p(z)``."""
            log_prior = None if prior is None else mixture_log_density(prior, self.device_)
            if observed.all():
                return self._apply_in_batches(
                    X, lambda m, x: m.iwae_log_likelihood(x, eps, max_elements=budget,
                                                          log_prior=log_prior, y=label),
                    batch_size=rows)

            def masked(m, xo):
                x, seen = (xo[:, :n_features] - mean) / scale, xo[:, n_features:] > 0
                return m.iwae_log_likelihood(x, eps, max_elements=budget,
                                             log_prior=log_prior, observed=seen, y=label)

            return self._apply_in_batches(X_observed, masked, standardize=False,
                                          batch_size=rows)

        if not self.module_.n_classes:
            scores = iwae(self.prior_).astype(np.float64, copy=False)
        else:  # log sum_y p(y) p(x|y)
            priors = self.prior_ or [None] * len(self.classes_)
            scores = logsumexp([np.log(p) + iwae(prior, c).astype(np.float64)
                                for c, (p, prior) in enumerate(zip(self.class_prior_, priors))],
                               axis=0)
        scores = scores + log_jacobian + log_mass
        # a value so far off its levels that the network's arithmetic overflows (inf - inf):
        # probability 0 in float64, as such rows scored before they had a mass
        unknown |= np.isnan(scores) & ~observed.all(axis=1)
        scores[unknown] = -np.inf
        return scores

    def _importance_samples(self):
        if self.importance_draws_.shape[0] == self.n_importance_samples:
            return self.importance_draws_
        return _importance_draws(self._importance_seed, self.n_importance_samples,
                                 self.module_.n_components)
