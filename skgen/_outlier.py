"""AEOutlierDetector: unsupervised anomaly detection with autoencoders.

A row's anomaly score has three parts: its reconstruction error, the robust
Mahalanobis distance of its code from the training codes, and its distance to its
nearest training codes; with ``experts='all'`` it is the mean surprisal of three experts,
those three parts, the distance to its nearest training rows (local) and to the nearest
tenth of them (broad).
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn import config_context
from sklearn.base import OutlierMixin

from . import _outlier_shape as shape
from ._base import BaseTorchEstimator
from ._compat import Interval, RealNotInt, StrOptions, wrap_output
from ._data import SPECTRUM_ROWS, spectrum_rows, torch_float_type
from ._statistics import (
    ExhaustiveNeighbors,
    block_diagonal,
    distinct,
    every_kth,
    fit_surprisal,
    neighbour_search,
    robust_gaussian,
    robust_spread,
    row_keys,
    surprisal_ramps,
    typical_size,
)
from ._utils import restoring_grad_mode, torch_defaults, torch_threads
from .nn import AutoencoderEnsemble

#: The spectrum of the scaled X comes from at most this many evenly spaced rows (fewer
#: when they are wide: :func:`~skgen._data.spectrum_rows`).
_SPECTRUM_ROWS = SPECTRUM_ROWS
#: Robust z-score of the anomaly score above which ``contamination="auto"`` flags a row
#: (see :class:`AEOutlierDetector`).
AUTO_THRESHOLD = 4.0
#: The 'auto' threshold corrects the training rows' reconstruction part for the
#: autoencoders' fit to them when at least this many rows were held out of training
#: (:meth:`AEOutlierDetector._fit_optimism`).
_MIN_HELD_OUT = 5
#: Floor of the per-feature error scale, in standardized units (variance 1).
_FEATURE_SCALE_FLOOR = 1e-2
#: The statistics of the score (``feature_error_scale_``, the codes' standardization and
#: Gaussian, the reference rows and codes) come from at most this many training rows,
#: evenly spaced: as many as the autoencoders train on (``AUTO_MAX_SAMPLES``), so that a
#: large X costs no per-entry copy and the fit stops growing with the table. 100,000 cost
#: a fit on 200,000 rows of 10_cover 15% more with the same ROC-AUC on average (scratch,
#: seeds 0-2: 10_cover -0.004, 16_http 0.000, 34_smtp +0.003 for 20,000).
_STATS_ROWS = 20_000
#: The typical sizes of the parts, the 'auto' threshold and the baselines of
#: ``feature_contributions`` come from at most this many of them (distinct, evenly spaced).
_SIZE_ROWS = 5_000
#: The density part of the score: mean squared distance of a row's standardized code
#: to its ``_N_NEIGHBORS`` nearest codes among at most ``_REFERENCE_ROWS`` training rows.
_N_NEIGHBORS = 50
_REFERENCE_ROWS = 10_000
#: :meth:`AEOutlierDetector.feature_contributions` measures each row against the nearest of at
#: most this many typical training rows, and integrates the score's gradient along the path
#: from there to the row at this many points (the midpoint rule), this many rows at a time.
_BASELINE_ROWS = 500
_PATH_STEPS = 32
#: Scaled entries beyond this are clipped to it before they are explained: a float64 row
#: of about 1e155 overflows a squared distance, whose gradient would be NaN.
_EXPLAIN_LIMIT = 1e100
_EXPLAIN_BATCH = 64
#: ``max_samples="auto"``: the autoencoders train on at most this many rows (a random
#: subset), as IsolationForest's trees on 256, so that the cost of a fit stops growing
#: with the table; the statistics of the score still read up to ``_STATS_ROWS`` rows.
AUTO_MAX_SAMPLES = 20_000
#: Working memory (MiB) of one batch's neighbour search, scikit-learn's ``working_memory``.
_NEIGHBOR_MEMORY_MIB = 64
#: The local part: mean distance of a scaled row to its ``_LOCAL_NEIGHBORS`` nearest
#: ``reference_rows_`` (the reference codes' rows, scaled).
_LOCAL_NEIGHBORS = 5
#: The broad part: mean distance to the nearest ``_BROAD_SHARE`` of at most ``_BROAD_ROWS``
#: evenly spaced reference rows, a neighbourhood larger than any plausible cluster of
#: anomalies, read on a subsample (as isolation does) so that it stays cheap.
_BROAD_ROWS = 1_000
_BROAD_SHARE = 0.1
#: The experts whose surprisals make the score (see :meth:`AEOutlierDetector.score_samples`).
EXPERTS = ("autoencoder", "local", "broad")


class AEOutlierDetector(OutlierMixin, BaseTorchEstimator):
    """Unsupervised anomaly detection with robust autoencoders.

    Rows are scaled and an autoencoder (or a small ensemble, ``n_estimators``)
    is trained to reconstruct them. A row is scored on three counts: how badly
    it is reconstructed (rows off the data's manifold, like the SPE statistic
    of PCA monitoring), how far its code lies from the training codes in the
    Mahalanobis distance of a robustly fitted Gaussian (like Hotelling's
    T-squared, or scikit-learn's :class:`~sklearn.covariance.MinCovDet` on
    the codes) and how far it lies from its 50 nearest training codes. Each
    count is divided by its typical size over the training rows and the three
    are averaged, so a typical training row scores about -1; with fewer
    training rows than columns the last two count less (``part_weights_``).
    These counts see *global* anomalies.

    With ``experts='all'`` the autoencoder is one of three experts of
    different principles: a **local** expert (the mean distance of the scaled
    row to its 5 nearest training rows: rows far from their own neighbours in
    a region where the global picture sees nothing wrong) and a **broad**
    expert (the mean distance to the nearest tenth of at most 1,000 training
    rows: a neighbourhood wider than a plausible cluster of anomalies, which a
    tight cluster cannot mask). Each expert's value becomes its *surprisal*
    on the training rows, ``-log`` of the share of them that score at least as
    high (their quantiles, extended past the 99th percentile by an
    exponential tail), and the score is minus the mean of the three; no
    weight is fitted to labelled data. On ADBench's synthetic local and
    dependency anomalies and on the digits it ranks better, on the ADBench
    tables and embedding sets worse (``docs/outliers.md``), which is why it
    is not the default.

    The training data may hold anomalies, and every statistic is chosen to
    survive them: each autoencoder starts at the PCA solution (when it has
    hidden layers) and its loss ignores the ``trim_fraction``
    worst-reconstructed rows of every batch, so it does not learn to
    reconstruct them; the Gaussian of the codes is a reweighted minimum
    covariance determinant estimate, which anomalies do not widen; and the
    typical sizes and the 'auto' threshold count each distinct row once and
    ignore ties, so a table that is mostly one repeated row does not make
    every other row look extreme. :meth:`feature_contributions` says which
    columns make a row abnormal. The outlier API follows
    :class:`sklearn.ensemble.IsolationForest`: :meth:`score_samples` is higher
    for more normal rows, ``decision_function = score_samples - offset_`` and
    :meth:`predict` returns +1 for inliers and -1 for outliers.

    A pandas (or polars) DataFrame's string, ``category`` and ``bool`` columns
    are read as they are (``column_types``): the autoencoders read each one-hot
    over its levels seen in training and reconstruct it with a softmax over
    them, whose cross-entropy is that column's reconstruction error (the
    squared error's place); the neighbour parts measure the one-hot rows. A
    level never seen in training has the error ``log(n_samples + 1)`` nats,
    the cross-entropy of a level of probability ``1 / (n_samples + 1)``
    (rarer than one training row), so that the row reads as abnormal, never
    typical.
    :meth:`feature_contributions` gives one value per original column. A
    numeric table is modelled exactly as without column types.

    Parameters
    ----------
    contamination : 'auto' or float, default='auto'
        How ``offset_`` is set from the training scores. A float in (0, 0.5]
        sets it at that percentile of the training scores, so that this share
        of the training rows is flagged. 'auto' needs no known outlier share:
        a row is flagged when its anomaly score (minus :meth:`score_samples`)
        exceeds the median training score by more than ``AUTO_THRESHOLD = 4``
        robust standard deviations (1.4826 times the median absolute deviation
        of the training scores; each distinct row counted once, and scored as a
        new row would be: left out of the neighbour parts' references, of which
        it is its own nearest, and, if the autoencoders trained on it, with its
        reconstruction part scaled by how much worse the rows held out of
        training (at least 5: early stopping's, and those beyond
        ``max_samples``) are reconstructed; when more than half of the scores
        tie, the spread is read from the gap between the median and a higher
        percentile instead). The scores have a heavy
        right tail, so the share flagged depends on the data: the ``AE auto
        %`` column of ``benchmarks/results/outliers.md`` gives it for each
        ADBench set.
    column_types : 'auto', str, dict or list, default='auto'
        The type of each column: 'continuous' (squared error), or 'binary',
        'discrete' or 'categorical' (one-hot inputs, a softmax over the levels
        seen in training, the cross-entropy as error). 'auto' types a
        DataFrame's string, ``category`` and ``bool`` columns ('binary' with
        two levels, else 'categorical') and leaves numeric columns
        continuous. A dict maps column positions or feature names to types
        (the others 'auto'), a list gives one per column; one type for all
        applies to the numeric columns.
    n_components : int or 'auto', default='auto'
        Bottleneck width of each autoencoder. 'auto' reads it from the
        spectrum of the scaled X (at most 2,000 evenly spaced rows): the
        number of principal axes that explain ``AUTO_VARIANCE = 0.9`` of the
        variance, at most a third of the columns (so that the reconstruction
        error keeps two thirds of the dimensions to measure) and at least
        ``ceil(sqrt(n_features))``. A 6-column table gets 3 codes, a
        512-column embedding up to 170 (``n_components_``).
    n_estimators : int, default=1
        Number of autoencoders, differently initialised, whose errors are
        averaged and whose codes are concatenated. The default is a single
        autoencoder: on the ADBench tables more members cost fit and score
        time in proportion without raising the ROC-AUC (compare
        ``benchmarks/results/outliers_n_estimators_3.md`` with
        ``benchmarks/results/outliers.md``).
    trim_fraction : float in [0, 0.5), default=0.1
        Share of the worst-reconstructed rows of each batch left out of the
        loss (a trimmed mean), which keeps anomalies in the training data from
        being learned. 0 gives the plain mean squared error.
    experts : {'autoencoder', 'all'}, default='autoencoder'
        'autoencoder': the score is the autoencoder's three counts.
        'all': the mean surprisal of the autoencoder, local and broad experts
        (see above; ``experts_``, ``surprisal_knots_``).
    max_samples : 'auto', int or float, default='auto'
        How many training rows the autoencoders train on: a random subset of
        that many (drawn with ``random_state``; the early-stopping rows come
        out of it), as :class:`~sklearn.ensemble.IsolationForest`'s trees
        train on a subsample. An int is a number of rows, a float in (0, 1] a
        share of them; 'auto' means ``min(n_samples, 20_000)``, so that the
        cost of a fit stops growing with the table (``AUTO_MAX_SAMPLES``). The
        statistics of the score read every row up to 20,000 (see
        ``feature_error_scale_``), whatever this is.
    hidden_layer_sizes : tuple of int, default=(64,)
        Widths of the encoder's hidden layers; the decoder mirrors them.
    activation : str, default='relu'
        Activation of the hidden layers.
    alpha : float, default=1e-5
        L2 penalty on the weight matrices.
    batch_size : int or 'auto', default='auto'
        Rows per minibatch; 'auto' means ``max(256, n_samples / 20)`` (at
        most 20 steps an epoch), capped at ``n_samples``.
    learning_rate_init : float, default=1e-3
        Adam's step size.
    max_iter : int or 'auto', default='auto'
        Maximum number of epochs. 'auto' gives about 300 optimizer steps
        (``ceil(300 / steps_per_epoch)`` epochs, from 10 to 200): 15 epochs
        of a large table's 20 steps, 200 epochs of a small table's single
        step, so that the training cost grows no faster than the rows.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss that counts as an improvement.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows and stop when their
        (trimmed) loss stops improving, restoring the best weights.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    warm_start : bool, default=False
        Continue from the current weights on ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the validation split.
    verbose : int, default=0
        Progress output while fitting. 0: none. 1 shows a progress bar when
        tqdm is installed (``pip install skgen[progress]``) and the output is
        a terminal or notebook, else a line per epoch; 2 a line per epoch
        (with loss and time).
    device : str or torch.device, default='auto'
        Where to train and infer; the resolved device is ``device_``.
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
        How X is scaled inside the estimator; errors are measured in these
        units. 'auto' picks 'global' (one scale shared by all columns) when at
        least half of the varying columns span exactly the same ``[min, max]``
        (pixels, sensor grids) and 'standard' (per-column) otherwise; the choice
        is in ``scaling_``. On image-like tables per-column scaling blows up
        rare pixels: compare the optdigits and pendigits rows of
        ``benchmarks/results/outliers_scaling_standard.md`` with
        ``benchmarks/results/outliers.md`` (``docs/outliers.md``).
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
        ``input_shape``) and returns ``(batch, n_components)``; each of the
        ``n_estimators`` autoencoders builds its own. None is the MLP of
        ``hidden_layer_sizes``, which starts at PCA. See
        ``docs/custom_modules.md``.
    decoder : same as encoder, default=None
        A network of your own in place of the MLP's decoder: it receives
        ``(batch, n_components)`` and returns anything that reshapes to
        ``(batch, n_outputs)``, with ``n_outputs`` the number of columns.
    input_shape : tuple of int or None, default=None
        The shape of a row as your encoder reads it, such as ``(1, 8, 8)`` for
        8x8 images: X stays a 2-D table and each row is reshaped inside. Its
        product must be the number of columns.

    Attributes
    ----------
    column_types_ : ndarray of str of shape (`n_features_in_`,)
        The type of each column (``column_types`` with 'auto' resolved).
    levels_ : list of (ndarray or None) of length `n_features_in_`
        The sorted levels seen in training of each binary, discrete and
        categorical column (numbers, or a DataFrame column's values such as
        strings); None for a continuous column. With typed columns the
        module, ``mean_``, ``scale_`` and the reference and baseline rows have
        one entry per input (one per level of a level column, which is not
        scaled).
    offset_ : float
        Threshold on :meth:`score_samples`; ``decision_function`` is the score
        minus ``offset_``.
    n_components_ : int
        The bottleneck width used.
    n_scored_components_ : int
        Leading code units of each autoencoder that the latent and density
        parts of the score use: ``ceil(sqrt(n_features))``, at most
        ``n_components_``. Distances in many dimensions say little about
        density, so a wide code feeds the reconstruction part only.
    feature_error_scale_ : ndarray of shape (`n_features_in_`,)
        Mean squared reconstruction error of each column on the training rows
        the loss kept; each column's error is divided by it when scoring, so
        hard-to-reconstruct columns do not dominate. Above 20,000 training
        rows this and every other statistic of the score come from evenly
        spaced rows (every ``ceil(n_samples / 20_000)``-th), so memory stays
        bounded; the typical sizes of the parts and the 'auto' threshold from
        at most 5,000 evenly spaced distinct ones among them.
    code_mean_, code_scale_ : ndarray of shape (n_estimators * `n_scored_components_`,)
        Mean and standard deviation of the members' codes on the kept training
        rows, which standardize the codes in the score.
    code_location_ : ndarray of shape (n_estimators * `n_scored_components_`,)
        Robust centre of the standardized codes (one Gaussian per autoencoder).
    code_whitening_ : ndarray of shape (n_estimators * `n_scored_components_`,) * 2
        Block-diagonal matrix, one block per autoencoder, that whitens the
        standardized codes: ``(z - code_location_) @ code_whitening_`` has
        unit covariance on the training rows the robust fit keeps.
    reference_codes_ : ndarray of shape (n_reference, n_estimators * `n_scored_components_`)
        Standardized codes of at most 10,000 evenly spaced training rows the
        trimmed loss kept, against which the density part is measured.
    n_neighbors_ : int
        Neighbours of the density part: 50, or fewer for a small X.
    neighbors_ : object
        The neighbour search over ``reference_codes_``: a k-d tree (SciPy's,
        whose ``kneighbors(X, n_neighbors)`` gives distances and indices) for
        codes of up to 15 units, else
        :class:`sklearn.neighbors.NearestNeighbors`.
    experts_ : tuple of str
        The experts of the score: ``('autoencoder',)``, or with
        ``experts='all'`` ``('autoencoder', 'local', 'broad')``; the
        attributes below down to ``surprisal_tails_`` (but for the density
        part's) exist with 'all' only.
    reference_rows_ : ndarray of shape (n_reference_rows, `n_features_in_`)
        At most 10,000 evenly spaced training rows (all of them, not only the
        ones the loss keeps), scaled: the local expert's neighbours.
    broad_rows_ : ndarray of shape (n_broad_rows, `n_features_in_`)
        At most 1,000 evenly spaced ``reference_rows_``: the broad expert's.
    n_local_neighbors_, n_broad_neighbors_ : int
        Neighbours of the local (5) and broad (a tenth of ``broad_rows_``)
        experts, fewer for a tiny X.
    local_neighbors_ : object
        The neighbour search over ``reference_rows_``, as ``neighbors_``
        (``broad_rows_`` are few, and searched exhaustively).
    reconstruction_scale_, latent_scale_, density_scale_, local_scale_, broad_scale_ : float
        Typical sizes of the five parts of the score over the training rows,
        which divide them (see :meth:`score_parts`): medians of the values
        that do not tie at zero, each neighbour part's with every row leaving
        itself out; the reconstruction part's is at least a tenth of its mean
        over the rows the loss keeps.
    surprisal_knots_ : ndarray of shape (3, 100)
        Each expert's values on at most 5,000 evenly spaced reference rows
        (each leaving itself out of its neighbours) at the quantiles 0, 0.01,
        ..., 0.99: its surprisal is ``-log(1 - q)`` at the ``q`` quantile,
        linear in between.
    surprisal_tails_ : ndarray of shape (3,)
        Past the 0.99 quantile, each expert's surprisal grows by this much per
        unit: one over the mean excess of its training values above their 0.9
        quantile (an exponential tail).
    baseline_rows_ : ndarray of shape (n_baselines, `n_features_in_`)
        At most 500 typical training rows (scoring above the median), scaled,
        from which :meth:`feature_contributions` measures each row.
    part_weights_ : ndarray of shape (3,)
        Weights of the reconstruction, latent and density parts in the score,
        summing to 1: equal (1/3 each) when the rows the statistics come from
        are at least as many as the columns. With fewer rows, the latent and
        density parts each weigh ``min(1, n_samples / n_features)`` against
        the reconstruction part's 1 before normalization: a few rows in many
        dimensions say little about where codes lie, while the reconstruction
        error still measures what the autoencoder cannot explain.
    module_ : skgen.nn.AutoencoderEnsemble
        The trained torch module.
    mean_, scale_ : ndarray of shape (`n_features_in_`,)
        The scaling of X, ``(X - mean_) / scale_``: the column means (zeros
        with ``scaling=None``) and, by ``scaling_``, the columns' standard
        deviations ('standard'), one scale shared by all columns ('global') or
        ones (None), as for :class:`AutoencoderTransformer`.
    scaling_ : {'standard', 'global'} or None
        The scaling used, ``scaling`` with 'auto' resolved.
    n_iter_, loss_curve_, validation_loss_curve_, best_loss_, device_ :
        Training history and device, as in :class:`AutoencoderTransformer`.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    sklearn.ensemble.IsolationForest : Tree-based anomaly detection.
    AutoencoderTransformer : The autoencoder as a transformer.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen import AEOutlierDetector
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 8))
    >>> det = AEOutlierDetector(random_state=0).fit(X)
    >>> det.predict(50 + X[:2])
    array([-1, -1])
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "n_components": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "trim_fraction": [Interval(Real, 0, 0.5, closed="left")],
        "experts": [StrOptions({"autoencoder", "all"})],
        "max_samples": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"),
                        Interval(RealNotInt, 0, 1, closed="right")],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        contamination="auto",
        column_types="auto",
        n_components="auto",
        n_estimators=1,
        trim_fraction=0.1,
        experts="autoencoder",
        max_samples="auto",
        hidden_layer_sizes=(64,),
        activation="relu",
        alpha=1e-5,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter="auto",
        tol=1e-4,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=5,
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
        self.contamination = contamination
        self.column_types = column_types
        self.n_components = n_components
        self.n_estimators = n_estimators
        self.trim_fraction = trim_fraction
        self.experts = experts
        self.max_samples = max_samples
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

    # ------------------------------------------------------------------ hooks

    def _inspect_data(self, X):
        if self.n_components == "auto":
            rows = spectrum_rows(X, self.mean_, self.scale_, max_rows=_SPECTRUM_ROWS)
            self.n_components_ = shape.auto_components(rows)
        else:
            self.n_components_ = self.n_components
        # the latent and density parts use the leading units of the code only
        self.n_scored_components_ = min(shape.scored_components(X.shape[1]),
                                        self.n_components_)

    def _module_spec(self, n_features):
        # "auto" is the width chosen from the data by the first fit (_inspect_data), which
        # partial_fit and warm_start keep
        return AutoencoderEnsemble, {
            "n_features": n_features,
            "n_components": (self.n_components_ if self.n_components == "auto"
                             else self.n_components),
            "hidden_layer_sizes": self._check_hidden_layer_sizes(),
            "activation": self.activation,
            "n_estimators": self.n_estimators,
            "residual": True,
            **self._custom_modules(),
        }

    def _initialize_module(self, module, X_train):
        module.init_pca(X_train)

    def _auto_batch_size(self, n_samples):
        return shape.auto_batch_size(n_samples)

    def _max_training_rows(self, n_samples):
        if self.max_samples == "auto":
            return min(n_samples, AUTO_MAX_SAMPLES)
        if isinstance(self.max_samples, Integral):
            return min(n_samples, int(self.max_samples))
        return max(1, int(self.max_samples * n_samples))

    def _max_epochs(self, n_train):
        if self.max_iter != "auto":
            return self.max_iter
        return shape.auto_max_epochs(n_train, self._batch_size(n_train))

    def _loss(self, module, batch, generator):
        if self._typed is None:
            errors = module.squared_errors(batch).mean(dim=-1)  # (n_estimators, n_rows)
        else:  # each column's loss of its type
            errors = self._typed_columns().loss(module(batch), batch)
        n_rows = errors.shape[1]
        keep = n_rows - int(self.trim_fraction * n_rows)
        if keep < n_rows:
            errors = torch.topk(errors, keep, dim=1, largest=False, sorted=False).values
        return errors.mean()

    _fit_end_reads_rows = True  # the threshold, references and scales

    def _on_fit_end(self, X):
        """The detector's own fitting, after the autoencoders are trained: the statistics
        that standardize the score, the neighbour searches, each part's scale, the experts'
        surprisal maps, the threshold and the baselines of :meth:`feature_contributions`.

        They come from at most ``_STATS_ROWS`` evenly spaced training rows (see
        :meth:`_fit_scales_and_maps` for the sizes of the parts and the surprisal maps), the
        'auto' threshold and the baselines from at most ``_SIZE_ROWS`` evenly spaced distinct
        ones (see :func:`~skgen._statistics.distinct`); a ``contamination`` share is the
        percentile of the scores of every training row. After ``partial_fit``, X is the
        sample of every call's rows that :meth:`_rows_seen` keeps.
        """
        step = math.ceil(X.shape[0] / _STATS_ROWS)
        rows = X[::step]
        entry_errors, z, kept = self._fit_error_and_code_statistics(rows)
        # the reconstruction part of each row, before its scale
        reconstruction = np.mean(entry_errors / self.feature_error_scale_, axis=1)
        held_out = self._fit_optimism(X, rows, reconstruction, step)
        self.experts_ = EXPERTS if self.experts == "all" else EXPERTS[:1]
        positions = self._fit_references(rows, z, kept)
        sizing = every_kth(np.flatnonzero(distinct(rows)), _SIZE_ROWS)
        # after partial_fit X is a sample of the rows seen; the weights follow all of them
        n_rows = max(X.shape[0], getattr(self, "_partial_seen", 0))
        self.part_weights_ = shape.part_weights(n_rows, X.shape[1])
        parts, left_out = self._fit_scales_and_maps(rows, reconstruction, z, kept, sizing,
                                                    positions)
        rows = rows[sizing]
        scores = self._training_scores(parts)
        if self.contamination == "auto":  # median anomaly score + AUTO_THRESHOLD robust SDs
            # of the training rows as new rows would score them: each left out of the
            # neighbour references, where it is its own nearest at distance 0 (read as a
            # reference it looked more typical than any new row: twice as many new rows were
            # flagged with experts='all'), and the trained rows' reconstruction part scaled
            # to the held-out rows' (_fit_optimism)
            left_out[:, 0] *= np.where(held_out[sizing], 1.0, self._reconstruction_optimism)
            new_rows = self._training_scores(left_out)
            spread = robust_spread(new_rows)
            if spread > 0:
                self.offset_ = float(np.median(new_rows) - AUTO_THRESHOLD * spread)
            else:  # most rows tie: the threshold is their score (in score_samples' own
                # arithmetic), less the rounding of float32, so that no rounding between
                # X's float types flags every one of them
                tie = float(np.median(self._score(rows)))
                self.offset_ = max(tie - 1e-6 * abs(tie), float(np.finfo(np.float64).min))
        else:
            self.offset_ = float(np.percentile(self._score(X), 100.0 * self.contamination))
        self._fit_baseline_rows(rows, scores)

    def _fit_optimism(self, X, rows, reconstruction, step):
        """``_reconstruction_optimism``: how much better the autoencoders reconstruct the rows
        they trained on than others, by which the 'auto' threshold scales the training rows'
        reconstruction part (as new rows would have it).

        The ratio of the reconstruction part's median over the rows held out of a new
        module's training (early stopping's, and those beyond ``max_samples``; a row with a
        copy among the trained ones is not held out) to its median over the trained rows,
        at least 1; 1 with fewer than ``_MIN_HELD_OUT`` held-out rows. A continued fit
        (``partial_fit``, ``warm_start``) holds no rows out of a new training and keeps the
        first fit's ratio. An autoencoder fits its own rows more closely than new ones, a
        little on a large table and by several times on a small one (100 digits), where the
        threshold read off them flagged half of the digits it never saw. Returns the mask of
        held-out ``rows`` (none for a continued fit).
        """
        trained = getattr(self, "_trained_rows", None)
        if trained is None or len(trained) != X.shape[0]:  # a continued fit
            self._reconstruction_optimism = getattr(self, "_reconstruction_optimism", 1.0)
            return np.zeros(len(rows), dtype=bool)
        trained = trained[::step]
        keys = row_keys(rows)
        held_out = ~trained & ~keys.isin(set(keys[trained])).to_numpy()
        self._reconstruction_optimism = 1.0
        if held_out.sum() >= _MIN_HELD_OUT and trained.any():
            fitted = float(np.median(reconstruction[trained]))
            if fitted > 0:
                self._reconstruction_optimism = max(
                    1.0, float(np.median(reconstruction[held_out])) / fitted)
        return held_out

    def _fit_error_and_code_statistics(self, rows):
        """Set ``feature_error_scale_``, ``code_mean_``, ``code_scale_``, ``code_location_``
        and ``code_whitening_`` from the training ``rows``.

        The error scales and the code standardization come from the rows that the trimmed
        loss keeps; the Gaussian of the codes is fitted robustly to all of them
        (:func:`~skgen._statistics.robust_gaussian`). Returns each row's per-entry squared
        errors, its standardized code, and the mask of kept rows: as many as the loss keeps
        (all of fewer than ``1 / trim_fraction`` rows), not the worst ones.
        """
        n_units = self.n_scored_components_
        column_errors = self._column_errors()
        n_features = self.n_features_in_  # one error per column, typed or not
        errors_and_codes = self._apply_in_batches(rows, lambda m, x: torch.cat(
            m.errors_and_codes(x, n_units, column_errors), dim=1))  # one pass of the ensemble
        errors_and_codes = errors_and_codes.astype(np.float64, copy=False)
        entry_errors, codes = errors_and_codes[:, :n_features], errors_and_codes[:, n_features:]
        row_errors = entry_errors.mean(axis=1)
        n_kept = len(row_errors) - int(self.trim_fraction * len(row_errors))
        kept = np.zeros(len(row_errors), dtype=bool)
        kept[np.argsort(row_errors, kind="stable")[:n_kept]] = True
        self.feature_error_scale_ = np.maximum(entry_errors[kept].mean(axis=0),
                                               _FEATURE_SCALE_FLOOR)
        self.code_mean_ = codes[kept].mean(axis=0)
        self.code_scale_ = np.maximum(codes[kept].std(axis=0), 1e-6)
        z = (codes - self.code_mean_) / self.code_scale_
        # one Gaussian per autoencoder: the members' codes are nearly collinear (they start
        # from the same PCA), so a joint covariance would whiten their tiny differences
        members = [robust_gaussian(block, 1.0 - self.trim_fraction)
                   for block in np.split(z, self.n_estimators, axis=1)]
        self.code_location_ = np.concatenate([location for location, _ in members])
        self.code_whitening_ = block_diagonal([whitening for _, whitening in members])
        return entry_errors, z, kept

    def _fit_references(self, rows, z, kept):
        """The rows the neighbour parts measure against, with their neighbour counts and
        searches: the standardized codes of at most ``_REFERENCE_ROWS`` evenly spaced kept
        rows (``reference_codes_``, the density part), at most ``_REFERENCE_ROWS`` evenly
        spaced rows, scaled (``reference_rows_``, the local part), and at most
        ``_BROAD_ROWS`` evenly spaced ones among those (``broad_rows_``, the broad part).

        The local and broad parts read every row, not only the ones the trimmed loss keeps:
        normal rows the autoencoder reconstructs badly are still normal neighbours, and the
        anomalies among the training rows cannot mask a cluster of them from the broad
        part, whose neighbourhood is wider than any plausible cluster. Returns the
        positions in ``rows`` of the reference codes, rows and broad rows.
        """
        positions = (every_kth(np.flatnonzero(kept), _REFERENCE_ROWS),)
        self.reference_codes_ = z[positions[0]]
        self.n_neighbors_ = max(1, min(_N_NEIGHBORS, len(positions[0]) - 1))
        if len(self.experts_) > 1:  # the local and broad experts
            positions += (every_kth(np.arange(len(rows)), _REFERENCE_ROWS),)
            positions += (every_kth(positions[1], _BROAD_ROWS),)
            self.reference_rows_ = ((np.asarray(rows[positions[1]], dtype=np.float64)
                                     - self.mean_) / self.scale_)
            self.broad_rows_ = every_kth(self.reference_rows_, _BROAD_ROWS)
            n_rows, n_broad = len(positions[1]), len(positions[2])
            self.n_local_neighbors_ = max(1, min(_LOCAL_NEIGHBORS, n_rows - 1))
            self.n_broad_neighbors_ = max(1, min(math.ceil(_BROAD_SHARE * n_broad),
                                                 n_broad - 1))
        self._rebuild_derived()
        return positions

    # the neighbour searches are not saved (skops would have to trust their trees): they are
    # rebuilt from the reference rows and codes, which gives the same searches
    _derived_attributes = ("neighbors_", "local_neighbors_", "broad_neighbors_")

    def _rebuild_derived(self):
        self.neighbors_ = neighbour_search(self.reference_codes_, self.n_neighbors_)
        if len(self.experts_) > 1:
            self.local_neighbors_ = neighbour_search(self.reference_rows_,
                                                     self.n_local_neighbors_)
            # a tenth of at most 1,000 rows: a matrix product and a partial sort
            self.broad_neighbors_ = ExhaustiveNeighbors(self.n_broad_neighbors_).fit(
                self.broad_rows_)

    def _neighbour_distances(self, at, rows, z, positions, *, parts=3):
        """The density, local and broad parts (before their scales) of the training rows at
        positions ``at`` of ``rows`` (``z`` their standardized codes), the first ``parts`` of
        them, read two ways from one search: each row left out of the references it is one
        of (``positions``, from :meth:`_fit_references`), as their sizes need, and each row
        as :meth:`score_samples` measures it, its own distance counted.

        Returns ``(left_out, as_scored)``, each a list of ``parts`` arrays.
        """
        searches = ((self.neighbors_, z[at], self.n_neighbors_, 2),)
        if parts > 1:
            scaled = (np.asarray(rows[at], dtype=np.float64) - self.mean_) / self.scale_
            searches += ((self.local_neighbors_, scaled, self.n_local_neighbors_, 1),
                         (self.broad_neighbors_, scaled, self.n_broad_neighbors_, 1))
        left_out, as_scored = [], []
        with config_context(working_memory=_NEIGHBOR_MEMORY_MIB):
            for (search, queries, k, power), where in zip(searches[:parts], positions):
                n_reference = search.n_samples_fit_
                distances = search.kneighbors(queries, n_neighbors=min(k + 1, n_reference))[0]
                distances = distances**power
                # the k nearest, a member's own distance 0 among them: the scored part
                as_scored.append(np.mean(distances[:, :k], axis=1))
                if distances.shape[1] > k:  # a member's nearest is itself (or a copy of it)
                    member = np.isin(at, where)[:, None]
                    distances = np.where(member, distances[:, 1:], distances[:, :k])
                # else too few rows to leave one out: all of them
                left_out.append(np.mean(distances, axis=1))
        return left_out, as_scored

    def _fit_scales_and_maps(self, rows, reconstruction, z, kept, sizing, positions):
        """Each part's typical size (:func:`~skgen._statistics.typical_size`), which divides
        it, and each expert's surprisal map (:func:`~skgen._statistics.fit_surprisal`).

        The reconstruction and latent parts' sizes come from the distinct rows ``sizing``,
        the density part's from at most ``_SIZE_ROWS`` evenly spaced reference codes, the
        local and broad parts' and the maps from at most ``_SIZE_ROWS`` evenly spaced
        reference rows; every row leaves itself out of the references it is one of.
        Returns the parts of the rows ``sizing`` from the same searches (one search of all
        the rows these need, a part at a time), twice: as :meth:`score_parts` gives them
        (each row's own distance among its neighbours), and as a new row's would be (each
        row left out of the references).
        ``reconstruction`` is each row's reconstruction part before its scale.
        """
        # at least a tenth of the mean over the rows the loss keeps (which the column scales
        # make at most 1): a tiny X is reconstructed exactly but for the rows held out for
        # early stopping, whose errors would otherwise be magnified without bound
        self.reconstruction_scale_ = max(typical_size(reconstruction[sizing]),
                                         0.1 * float(np.mean(reconstruction[kept])))
        def latent(rows_at):  # of the rows asked for only (z holds up to _STATS_ROWS rows)
            return np.mean(((z[rows_at] - self.code_location_) @ self.code_whitening_) ** 2,
                           axis=1)

        self.latent_scale_ = typical_size(latent(sizing))
        self.density_scale_ = self.local_scale_ = self.broad_scale_ = 1.0
        n_parts = 1 if len(self.experts_) == 1 else 3
        at = [every_kth(where, _SIZE_ROWS) for where in positions[:2]][:n_parts]
        union = np.unique(np.concatenate([*at, sizing]))
        left_out, as_scored = self._neighbour_distances(union, rows, z, positions,
                                                        parts=n_parts)
        def of(values, rows_at):  # the values of the rows at positions rows_at
            return values[np.searchsorted(union, rows_at)]

        if len(positions[0]) > 1:
            density = of(left_out[0], at[0])
            if not np.any(density > 0):  # the reference codes are one repeated row's:
                # size the part on the distinct rows, which are not all that row
                density = of(left_out[0], sizing)
            self.density_scale_ = typical_size(density)
        def sizing_parts(neighbours):  # the parts of the rows `sizing`, given theirs
            scales = (self.density_scale_, self.local_scale_, self.broad_scale_)
            return np.stack([reconstruction[sizing] / self.reconstruction_scale_,
                             latent(sizing) / self.latent_scale_,
                             *(of(values, sizing) / scale
                               for values, scale in zip(neighbours, scales))], axis=1)

        if len(self.experts_) == 1:  # the autoencoder's score is the score
            return sizing_parts(as_scored), sizing_parts(left_out)
        density, local, broad = (of(values, at[1]) for values in left_out)
        if len(positions[1]) > 1:
            self.local_scale_, self.broad_scale_ = typical_size(local), typical_size(broad)
        at_parts = np.stack([reconstruction[at[1]] / self.reconstruction_scale_,
                             latent(at[1]) / self.latent_scale_, density / self.density_scale_],
                            axis=1)
        experts = (at_parts @ self.part_weights_, local / self.local_scale_,
                   broad / self.broad_scale_)
        maps = [fit_surprisal(values) for values in experts]
        self.surprisal_knots_ = np.stack([knots for knots, _ in maps])
        self.surprisal_tails_ = np.array([tail for _, tail in maps])
        return sizing_parts(as_scored), sizing_parts(left_out)

    def _training_scores(self, parts):
        """:meth:`score_samples` of training rows whose :meth:`score_parts` are ``parts``."""
        combine = self._combine_function(torch.float64, torch.device("cpu"))
        with torch.inference_mode():
            return -combine(torch.as_tensor(parts, dtype=torch.float64)).numpy()

    def _column_errors(self):
        """Each column's reconstruction error of its type with typed columns (the losses of
        :class:`~skgen.nn.TypedColumns`), else None: the squared error of each entry."""
        return None if self._typed is None else self._typed_columns().column_errors

    def _fit_baseline_rows(self, rows, scores):
        """``baseline_rows_``: at most ``_BASELINE_ROWS`` evenly spaced ``rows`` among those
        scoring above the median (the more typical half), scaled."""
        typical = every_kth(np.flatnonzero(scores >= np.median(scores)), _BASELINE_ROWS)
        self.baseline_rows_ = (np.asarray(rows[typical], dtype=np.float64) - self.mean_) / self.scale_

    # ---------------------------------------------------------------- public API

    def score_samples(self, X):
        """Negative anomaly score of each row: lower means more abnormal.

        The anomaly score is computed in the estimator's scaled units from the
        parts of :meth:`score_parts` (the first two averaged over the
        autoencoders), the last two with ``experts='all'`` only:

        - reconstruction: the mean over columns of each column's squared
          reconstruction error divided by ``feature_error_scale_``, divided
          by ``reconstruction_scale_``;
        - latent: the mean over the leading ``n_scored_components_`` code
          units of the squared whitened code, ``((z - code_location_) @
          code_whitening_) ** 2`` with ``z = (code - code_mean_) /
          code_scale_`` (a Mahalanobis distance), divided by
          ``latent_scale_``;
        - density: the mean squared distance of the standardized code (all
          members' codes side by side) to its ``n_neighbors_`` nearest
          ``reference_codes_``, divided by ``density_scale_``;
        - local: the mean distance of the scaled row to its
          ``n_local_neighbors_`` nearest ``reference_rows_``, divided by
          ``local_scale_``;
        - broad: the mean distance of the scaled row to its
          ``n_broad_neighbors_`` nearest ``broad_rows_``, divided by
          ``broad_scale_``.

        By default the anomaly score is the first three weighted by
        ``part_weights_``; the scales are the parts' typical sizes on the
        training rows, so a typical training row scores about -1.

        With ``experts='all'`` that weighted mean is the autoencoder expert and
        the local and broad experts are their parts. Each expert's value ``s``
        becomes its surprisal, about ``-log`` of the share of training rows
        with a value above ``s``: linear between the ``surprisal_knots_`` (the
        quantiles 0, 0.01, ..., 0.99 of its training values, where it is
        ``-log(1 - q)``) and growing by ``surprisal_tails_`` per unit past the
        last; the anomaly score is the mean of the three surprisals, so a row
        like the training rows scores about ``-log 2``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, with the columns of the training data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Finite: a row whose score overflows X's float type gets the lowest
            float64.
        """
        X = self._validate_for_inference(X)
        return self._score(X)

    def _score(self, X):
        """:meth:`score_samples` of validated rows, reduced batch by batch so that a long X
        costs one number per row."""
        anomaly = self._anomaly_function(torch_float_type(X))
        scores = self._apply_in_batches(X, lambda m, x: -anomaly(m, x)).astype(
            np.float64, copy=False)
        # a row too far out for X's float type (float32 rows against a constant training X,
        # or whose code overflows to inf - inf = NaN) scores lowest, not -inf or NaN, which
        # scikit-learn's metrics refuse
        nan = np.flatnonzero(np.isnan(scores))
        if nan.size:
            # X is finite: a NaN is an overflow only where a scaled entry, in X's float type
            # as the module reads it, is not finite or can overflow a square; elsewhere the
            # module computed it (a user's module)
            dtype = X.dtype
            with np.errstate(all="ignore"):
                scaled = np.abs((np.asarray(X[nan], dtype=dtype) - self.mean_.astype(dtype))
                                / self.scale_.astype(dtype))
            scaled[~np.isfinite(scaled)] = np.inf
            huge = scaled.max(axis=1, initial=0.0) >= np.sqrt(np.finfo(dtype).max)
            if not huge.all():
                raise ValueError(
                    f"{type(self).__name__}'s model gave a NaN score for {np.sum(~huge)} "
                    f"finite row(s) of ordinary size (the first at position {nan[~huge][0]}): "
                    "its module computes NaN there.")
            scores[nan] = -np.inf
        return np.maximum(scores, np.finfo(np.float64).min, out=scores)

    def _anomaly_function(self, dtype, *, differentiable=False):
        """``fn(module, x)`` giving a batch's anomaly score: the mean of its experts'
        surprisals (see :meth:`score_samples`)."""
        parts = self._parts_function(dtype, differentiable=differentiable)
        combine = self._combine_function(dtype, self.device_)
        return lambda m, x: combine(parts(m, x))

    def _combine_function(self, dtype, device):
        """``fn(parts)``: the anomaly score of rows whose :meth:`score_parts` are the columns
        of the tensor ``parts``."""
        weights = torch.as_tensor(self.part_weights_, dtype=dtype, device=device)
        if len(self.experts_) == 1:  # the autoencoder's weighted parts
            return lambda p: p @ weights
        knots = torch.as_tensor(self.surprisal_knots_, dtype=dtype, device=device)
        tails = torch.as_tensor(self.surprisal_tails_, dtype=dtype, device=device)
        ramps = [tuple(torch.as_tensor(a, dtype=dtype, device=device)
                       for a in surprisal_ramps(k)) for k in self.surprisal_knots_]

        def combine(p):
            experts = (p[:, :3] @ weights, p[:, 3], p[:, 4])
            surprisals = [
                torch.clamp((e[:, None] - starts) / widths, 0.0, 1.0) @ rises
                + tails[i] * torch.clamp(e - knots[i, -1], min=0.0)
                for i, (e, (starts, widths, rises)) in enumerate(zip(experts, ramps))]
            return torch.stack(surprisals, dim=1).mean(dim=1)

        return combine

    def _parts_function(self, dtype, *, differentiable=False):
        """``fn(module, x)`` giving a batch's score parts as columns (see :meth:`score_parts`).

        The neighbour parts ask the fitted searches (SciPy's k-d tree, or scikit-learn's
        search for wide rows); with ``differentiable`` they search
        the reference rows and codes exhaustively in torch instead, so that the parts have a
        gradient in ``x`` (:meth:`feature_contributions`).
        """
        def tensor(a):
            return torch.as_tensor(a, dtype=dtype, device=self.device_)

        weight, code_mean, code_scale = (tensor(1.0 / self.feature_error_scale_),
                                         tensor(self.code_mean_), tensor(self.code_scale_))
        location, whitening = tensor(self.code_location_), tensor(self.code_whitening_)
        column_errors = self._column_errors()
        searches = ((self.neighbors_, self.reference_codes_, self.n_neighbors_, 2,
                     self.density_scale_),)
        if len(self.experts_) > 1:
            searches += ((self.local_neighbors_, self.reference_rows_, self.n_local_neighbors_,
                          1, self.local_scale_),
                         (self.broad_neighbors_, self.broad_rows_, self.n_broad_neighbors_, 1,
                          self.broad_scale_))
        if differentiable:
            references = [tensor(reference) for _, reference, *_ in searches]

            def neighbour_parts(z, x):
                out = []
                for q, reference, (_, _, k, power, size) in zip((z, x, x), references,
                                                                 searches):
                    nearest = torch.topk(torch.cdist(q, reference), k, dim=1,
                                         largest=False).values
                    out.append((nearest**power).mean(dim=1) / size)
                return out
        else:
            def neighbour_parts(z, x):
                out = []
                # the neighbour searches run batch by batch, so their memory stays bounded
                with config_context(working_memory=_NEIGHBOR_MEMORY_MIB):
                    for q, (search, _, _, power, size) in zip((z, x, x), searches):
                        q = np.asarray(q.cpu(), dtype=np.float64)
                        # a row whose code overflowed (float32 rows of 3e38) is infinitely
                        # far from every reference, not an error of the search
                        finite = np.isfinite(q).all(axis=1)
                        part = np.full(len(q), np.inf)
                        if finite.any():
                            distances = search.kneighbors(q[finite])[0]
                            part[finite] = np.mean(distances**power, axis=1)
                        out.append(torch.as_tensor(part / size, dtype=dtype, device=x.device))
                return out

        def parts(m, x):
            errors, codes = m.errors_and_codes(x, self.n_scored_components_, column_errors)
            reconstruction = (errors * weight).mean(dim=1)
            z = (codes - code_mean) / code_scale
            latent = (((z - location) @ whitening) ** 2).mean(dim=1)
            return torch.stack([reconstruction / self.reconstruction_scale_,
                                latent / self.latent_scale_, *neighbour_parts(z, x)], dim=1)

        return parts

    def score_parts(self, X):
        """The parts of each row's anomaly score, each divided by its typical size.

        The columns are, in this order: the reconstruction, latent and density parts of the
        autoencoder, then with ``experts='all'`` the local and broad parts (see
        :meth:`score_samples`). A
        large part says which count flags a row: badly reconstructed, far from the centre
        of the training codes, far from its nearest training codes, far from its nearest
        training rows, or far from the nearest tenth of them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows whose parts to compute, with the columns of the training data.

        Returns
        -------
        parts : ndarray of shape (n_samples, 3) or (n_samples, 5)
            About 1 for a typical training row.
        """
        X = self._validate_for_inference(X)
        parts = self._apply_in_batches(X, self._parts_function(torch_float_type(X))).astype(
            np.float64, copy=False)
        # finite, as score_samples is: a part too large for X's float type is the largest
        return np.minimum(parts, np.finfo(np.float64).max, out=parts)

    @restoring_grad_mode
    def feature_contributions(self, X):
        """How much each column adds to each row's anomaly score.

        Integrated gradients (Sundararajan et al., 2017) of the anomaly score
        (minus :meth:`score_samples`) along the straight path, in the scaled
        units, from a baseline to the row: the baseline is the nearest (in
        Euclidean distance between scaled rows) of ``baseline_rows_``, typical
        training rows. Column ``j`` gets the difference between the row and
        its baseline in that column times the score's gradient along the path
        (averaged over 32 points), so the contributions of a row add up to its
        anomaly score minus its baseline's, up to the error of that average
        (a few percent on a typical row: the neighbour parts have kinks where
        one neighbour takes another's place). A large positive value names a
        column whose value makes the row abnormal; a column equal to the
        baseline's gets 0. The score is written in torch for this, the
        neighbour parts as exact searches of their reference rows and codes,
        so the sums match :meth:`score_samples` up to rounding and the path
        average. Rows go in batches sized to scikit-learn's
        ``working_memory``.

        With ``set_output(transform="pandas")`` (or "polars", or the global
        ``transform_output`` setting) the result is a DataFrame whose columns
        are the feature names.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to explain, with the columns of the training data.

        With typed columns the path runs between one-hot rows, and a column's
        contribution is the sum of its one-hot inputs': one value per original
        column, named after it.

        Returns
        -------
        contributions : ndarray or DataFrame of shape (n_samples, n_features)
            In X's floating dtype (computed in float64, so that a float32 row
            holding a huge finite value, a fill value such as netCDF's 9.97e36,
            gets finite contributions; one beyond float32's range is clipped
            to it, and a scaled entry beyond 1e100, whose square float64
            cannot hold, is clipped to 1e100 before it is explained); rank a
            row's columns by it to see what flags it.
        """
        X_in = X
        X = self._validate_for_inference(X)
        out = np.empty(X.shape, dtype=np.float64)
        with (torch.inference_mode(False), torch.enable_grad(), torch_defaults(),
              torch_threads(self.n_jobs)):
            dtype = torch.float64
            module = self._inference_module(dtype)
            module.eval()
            anomaly = self._anomaly_function(dtype, differentiable=True)
            device = self.device_
            mean = torch.as_tensor(self.mean_, dtype=dtype, device=device)
            scale = torch.as_tensor(self.scale_, dtype=dtype, device=device)
            baselines = torch.as_tensor(self.baseline_rows_, dtype=dtype, device=device)
            steps = (torch.arange(_PATH_STEPS, dtype=dtype, device=device) + 0.5) / _PATH_STEPS
            batch = self._explain_rows(module, X.shape[1], 8)
            for start in range(0, X.shape[0], batch):
                # a writable copy: pandas 3 hands out read-only views, which torch warns of
                block = np.require(X[start:start + batch], dtype=np.float64, requirements=["W"])
                x = torch.clamp((torch.as_tensor(block, device=device) - mean) / scale,
                                -_EXPLAIN_LIMIT, _EXPLAIN_LIMIT)
                base = baselines[torch.cdist(x, baselines).argmin(dim=1)]
                path = (base[:, None, :] + steps[None, :, None] * (x - base)[:, None, :])
                path = path.reshape(-1, x.shape[1]).requires_grad_(True)
                (gradient,) = torch.autograd.grad(anomaly(module, path).sum(), path)
                average = gradient.reshape(x.shape[0], _PATH_STEPS, -1).mean(dim=1)
                out[start:start + x.shape[0]] = ((x - base) * average).detach().cpu().numpy()
        if self._typed is not None:  # a column's one-hot inputs add up
            out = np.add.reduceat(out, self._typed_columns().first_inputs.cpu().numpy(), axis=1)
        if X.dtype != np.float64:
            largest = np.finfo(X.dtype).max
            out = np.clip(out, -largest, largest).astype(X.dtype)
        return wrap_output(self, out, X_in, self._feature_names())

    def _explain_rows(self, module, n_features, itemsize):
        """Rows per batch of :meth:`feature_contributions`: at most ``_EXPLAIN_BATCH``, and as
        many as keep a batch's path points (``_PATH_STEPS`` a row) within scikit-learn's
        ``working_memory``. A path point takes the network's values (as an inference row
        does) and, with its gradient, its distances to every reference row, code and
        baseline, about four values each."""
        references = sum(len(getattr(self, name, ())) for name in (
            "reference_codes_", "reference_rows_", "broad_rows_", "baseline_rows_"))
        points = self._inference_rows(module, n_features, itemsize,
                                      max_rows=_EXPLAIN_BATCH * _PATH_STEPS,
                                      row_values=4 * references)
        return max(1, points // _PATH_STEPS)

    def _feature_names(self):
        if hasattr(self, "feature_names_in_"):
            return np.asarray(self.feature_names_in_, dtype=object)
        return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)

    def set_output(self, *, transform=None):
        """Set the container :meth:`feature_contributions` returns, as transformers do.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            "pandas" or "polars": a DataFrame whose columns are the feature
            names; "default": a NumPy array; None leaves the setting
            unchanged. Until it is set, scikit-learn's global
            ``transform_output`` setting decides, as for transformers.

        Returns
        -------
        self : AEOutlierDetector
        """
        if transform is not None:
            self._sklearn_output_config = {**getattr(self, "_sklearn_output_config", {}),
                                           "transform": transform}
        return self

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers, non-negative for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, with the columns of the training data.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each row: +1 for an inlier, -1 for an outlier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to label, with the columns of the training data.

        Returns
        -------
        labels : ndarray of shape (n_samples,) of int
        """
        return np.where(self.decision_function(X) >= 0, 1, -1)

