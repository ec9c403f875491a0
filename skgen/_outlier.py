"""AEOutlierDetector: unsupervised anomaly detection with autoencoders.

A row's anomaly score has three parts: its reconstruction error, the robust
Mahalanobis distance of its code from the training codes, and its distance to its
nearest training codes.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn import config_context
from sklearn.base import OutlierMixin
from sklearn.neighbors import NearestNeighbors

from . import _outlier_shape as shape
from ._base import BaseTorchEstimator
from ._compat import Interval, StrOptions, wrap_output
from ._data import rows_within, torch_float_type
from ._statistics import (
    block_diagonal,
    distinct,
    every_kth,
    robust_gaussian,
    robust_spread,
    typical_size,
)
from ._utils import restoring_grad_mode, torch_defaults, torch_threads
from .nn import AutoencoderEnsemble

#: The spectrum of the scaled X comes from at most this many evenly spaced rows, and
#: no more than ``_SPECTRUM_BYTES`` hold as float64 (fewer rows when they are wide).
_SPECTRUM_ROWS = 2000
_SPECTRUM_BYTES = 128 * 2**20
#: Robust z-score of the anomaly score above which ``contamination="auto"`` flags a row
#: (see :class:`AEOutlierDetector`).
AUTO_THRESHOLD = 4.0
#: Floor of the per-feature error scale, in standardized units (variance 1).
_FEATURE_SCALE_FLOOR = 1e-2
#: ``feature_error_scale_``, ``code_mean_`` and ``code_scale_`` come from at most
#: about this many training rows (evenly spaced), so that a large X costs no
#: per-entry copy; ``offset_`` always comes from the scores of every row.
_STATS_ROWS = 100_000
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
_EXPLAIN_BATCH = 64
#: Working memory (MiB) of one batch's neighbour search, scikit-learn's ``working_memory``.
_NEIGHBOR_MEMORY_MIB = 64


class AEOutlierDetector(OutlierMixin, BaseTorchEstimator):
    """Unsupervised anomaly detection with robust autoencoders.

    Rows are scaled and an autoencoder (or a small ensemble, ``n_estimators``)
    is trained to reconstruct them. A row is scored on three counts: how badly
    it is reconstructed (rows off the data's manifold, like the SPE statistic
    of PCA monitoring), how far its code lies from the training codes in the
    Mahalanobis distance of a robustly fitted Gaussian (like Hotelling's
    T-squared, or scikit-learn's :class:`~sklearn.covariance.MinCovDet` on
    the codes) and how far it lies from its nearest training codes (rows in
    sparse places between clusters of the data). Each count is divided by its
    typical size over the training rows and the three are averaged, so a
    typical training row scores about -1; with fewer training rows than
    columns the last two count less (``part_weights_``).

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

    Parameters
    ----------
    contamination : 'auto' or float, default='auto'
        How ``offset_`` is set from the training scores. A float in (0, 0.5]
        sets it at that percentile of the training scores, so that this share
        of the training rows is flagged. 'auto' needs no known outlier share:
        a row is flagged when its anomaly score (minus :meth:`score_samples`)
        exceeds the median training score by more than ``AUTO_THRESHOLD = 4``
        robust standard deviations (1.4826 times the median absolute deviation
        of the training scores; each distinct row counted once, and when more
        than half of the scores tie, the spread is read from the gap between
        the median and a higher percentile instead). The scores have a heavy
        right tail, so the share flagged depends on the data: the ``AE auto
        %`` column of ``benchmarks/results/outliers.md`` gives it for each
        ADBench set.
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
    scaling : {'auto', 'standard', 'global'} or None, default='auto'
        How X is scaled inside the estimator; errors are measured in these
        units. 'auto' picks 'global' (one scale shared by all columns) when at
        least half of the varying columns span exactly the same ``[min, max]``
        (pixels, sensor grids) and 'standard' (per-column) otherwise; the choice
        is in ``scaling_``. On image-like tables per-column scaling blows up
        rare pixels: compare the optdigits and pendigits rows of
        ``benchmarks/results/outliers_scaling_standard.md`` with
        ``benchmarks/results/outliers.md`` (``docs/outliers.md``).

    Attributes
    ----------
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
        hard-to-reconstruct columns do not dominate. Above 100,000 training
        rows this and every other statistic of the score come from evenly
        spaced rows (every ``ceil(n_samples / 100_000)``-th), so memory stays
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
    neighbors_ : sklearn.neighbors.NearestNeighbors
        The neighbour search over ``reference_codes_``.
    reconstruction_scale_, latent_scale_, density_scale_ : float
        Typical sizes of the three parts of the score over the distinct
        training rows, which divide them (see :meth:`score_samples`): medians
        of the values that do not tie at zero; the reconstruction part's is at
        least a tenth of its mean over the rows the loss keeps.
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
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        contamination="auto",
        n_components="auto",
        n_estimators=1,
        trim_fraction=0.1,
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
    ):
        self.contamination = contamination
        self.n_components = n_components
        self.n_estimators = n_estimators
        self.trim_fraction = trim_fraction
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

    # ------------------------------------------------------------------ hooks

    def _inspect_data(self, X):
        if self.n_components == "auto":
            # a float64 copy of at most _SPECTRUM_ROWS rows, scaled in place
            n_rows = rows_within(_SPECTRUM_ROWS, X.shape[1], _SPECTRUM_BYTES)
            rows = np.array(X[::math.ceil(X.shape[0] / n_rows)], dtype=np.float64)
            rows -= self.mean_
            rows /= self.scale_
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
        }

    def _initialize_module(self, module, X_train):
        module.init_pca(X_train)

    def _auto_batch_size(self, n_samples):
        return shape.auto_batch_size(n_samples)

    def _max_epochs(self, n_train):
        if self.max_iter != "auto":
            return self.max_iter
        return shape.auto_max_epochs(n_train, self._batch_size(n_train))

    def _loss(self, module, batch, generator):
        errors = module.squared_errors(batch).mean(dim=-1)  # (n_estimators, n_rows)
        n_rows = errors.shape[1]
        keep = n_rows - int(self.trim_fraction * n_rows)
        if keep < n_rows:
            errors = torch.topk(errors, keep, dim=1, largest=False, sorted=False).values
        return errors.mean()

    def _on_fit_end(self, X):
        """The detector's own fitting, after the autoencoders are trained: the statistics
        that standardize the score, the neighbour search, each part's scale, the threshold
        and the baselines of :meth:`feature_contributions`.

        They come from at most ``_STATS_ROWS`` evenly spaced training rows, the sizes of
        the parts, the 'auto' threshold and the baselines from at most ``_SIZE_ROWS``
        evenly spaced distinct ones among them (see :func:`~skgen._statistics.distinct`); a
        ``contamination`` share is the percentile of the scores of every training row.
        """
        rows = X[::math.ceil(X.shape[0] / _STATS_ROWS)]
        entry_errors, z, kept = self._fit_error_and_code_statistics(rows)
        self._fit_reference_codes(z[kept])
        sizing = every_kth(np.flatnonzero(distinct(rows)), _SIZE_ROWS)
        self._fit_part_scales(entry_errors, z, kept, sizing)
        self.part_weights_ = shape.part_weights(*X.shape)
        rows = rows[sizing]
        scores = self._score(rows)
        if self.contamination == "auto":  # median anomaly score + AUTO_THRESHOLD robust SDs
            self.offset_ = float(np.median(scores) - AUTO_THRESHOLD * robust_spread(scores))
        else:
            self.offset_ = float(np.percentile(self._score(X), 100.0 * self.contamination))
        self._fit_baseline_rows(rows, scores)

    def _fit_error_and_code_statistics(self, rows):
        """Set ``feature_error_scale_``, ``code_mean_``, ``code_scale_``, ``code_location_``
        and ``code_whitening_`` from the training ``rows``.

        The error scales and the code standardization come from the rows that the trimmed
        loss keeps; the Gaussian of the codes is fitted robustly to all of them
        (:func:`~skgen._statistics.robust_gaussian`). Returns each row's per-entry squared
        errors, its standardized code, and the mask of kept rows: as many as the loss keeps
        (all of fewer than ``1 / trim_fraction`` rows), not the worst ones.
        """
        n_features, n_units = rows.shape[1], self.n_scored_components_
        errors_and_codes = self._apply_in_batches(rows, lambda m, x: torch.cat(
            m.errors_and_codes(x, n_units), dim=1))  # one pass of the ensemble
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

    def _fit_reference_codes(self, kept_codes):
        """The density part's ``reference_codes_`` (at most ``_REFERENCE_ROWS`` evenly spaced
        standardized codes of kept rows), ``n_neighbors_`` and the neighbour search."""
        self.reference_codes_ = every_kth(kept_codes, _REFERENCE_ROWS)
        self.n_neighbors_ = max(1, min(_N_NEIGHBORS, len(self.reference_codes_) - 1))
        self._rebuild_derived()

    # the neighbour search is not saved (skops would have to trust sklearn's KDTree): it is
    # rebuilt from reference_codes_, which gives the same search
    _derived_attributes = ("neighbors_",)

    def _rebuild_derived(self):
        # leaves of at least n_neighbors_ codes (scikit-learn's default is 30): a query for
        # 50 neighbours visits fewer leaves and finds the same ones, 10-12% faster on the
        # codes of 10_cover and 24_mnist on a quiet machine (about 2% of a fit and score)
        self.neighbors_ = NearestNeighbors(
            n_neighbors=self.n_neighbors_, leaf_size=max(30, self.n_neighbors_)).fit(
            self.reference_codes_)

    def _fit_part_scales(self, entry_errors, z, kept, sizing):
        """Each part of the score is divided by its typical size
        (:func:`~skgen._statistics.typical_size`) over the training rows ``sizing``
        (distinct ones); the density part's comes from at most ``_SIZE_ROWS`` evenly
        spaced reference rows, each leaving itself out."""
        reconstruction = np.mean(entry_errors / self.feature_error_scale_, axis=1)
        # at least a tenth of the mean over the rows the loss keeps (which the column scales
        # make at most 1): a tiny X is reconstructed exactly but for the rows held out for
        # early stopping, whose errors would otherwise be magnified without bound
        self.reconstruction_scale_ = max(typical_size(reconstruction[sizing]),
                                         0.1 * float(np.mean(reconstruction[kept])))
        z = z[sizing]
        whitened = (z - self.code_location_) @ self.code_whitening_
        self.latent_scale_ = typical_size(np.mean(whitened**2, axis=1))
        self.density_scale_ = 1.0
        if len(self.reference_codes_) > 1:
            distances, _ = self.neighbors_.kneighbors(
                every_kth(self.reference_codes_, _SIZE_ROWS), n_neighbors=self.n_neighbors_ + 1)
            self.density_scale_ = typical_size(np.mean(distances[:, 1:] ** 2, axis=1))

    def _fit_baseline_rows(self, rows, scores):
        """``baseline_rows_``: at most ``_BASELINE_ROWS`` evenly spaced ``rows`` among those
        scoring above the median (the more typical half), scaled."""
        typical = every_kth(np.flatnonzero(scores >= np.median(scores)), _BASELINE_ROWS)
        self.baseline_rows_ = (np.asarray(rows[typical], dtype=np.float64) - self.mean_) / self.scale_

    # ---------------------------------------------------------------- public API

    def score_samples(self, X):
        """Negative anomaly score of each row: lower means more abnormal.

        The anomaly score is the mean of three parts weighted by
        ``part_weights_``, computed in the estimator's scaled units (the first
        two averaged over the autoencoders):

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
          ``reference_codes_``, divided by ``density_scale_``.

        The scales are the parts' typical sizes on the training rows, so a
        typical training row scores about -1.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, with the columns of the training data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        X = self._validate_for_inference(X)
        return self._score(X)

    def _score(self, X):
        """:meth:`score_samples` of validated rows: minus the weighted mean of their score parts,
        reduced batch by batch so that a long X costs one number per row."""
        dtype = torch_float_type(X)
        parts = self._parts_function(dtype)
        weights = torch.as_tensor(self.part_weights_, dtype=dtype, device=self.device_)
        return self._apply_in_batches(X, lambda m, x: -(parts(m, x) @ weights)).astype(
            np.float64, copy=False)

    def _parts_function(self, dtype, *, differentiable=False):
        """``fn(module, x)`` giving a batch's score parts as columns (see :meth:`score_samples`).

        The density part asks ``neighbors_``; with ``differentiable`` it searches
        ``reference_codes_`` exhaustively in torch instead, so that the parts have a
        gradient in ``x`` (:meth:`feature_contributions`).
        """
        def tensor(a):
            return torch.as_tensor(a, dtype=dtype, device=self.device_)

        weight, code_mean, code_scale = (tensor(1.0 / self.feature_error_scale_),
                                         tensor(self.code_mean_), tensor(self.code_scale_))
        location, whitening = tensor(self.code_location_), tensor(self.code_whitening_)
        if differentiable:
            reference = tensor(self.reference_codes_)

            def density(z):
                nearest = torch.topk(torch.cdist(z, reference) ** 2, self.n_neighbors_, dim=1,
                                     largest=False).values
                return nearest.mean(dim=1) / self.density_scale_
        else:
            def density(z):
                # the neighbour search runs batch by batch, so its memory stays bounded
                with config_context(working_memory=_NEIGHBOR_MEMORY_MIB):
                    distances, _ = self.neighbors_.kneighbors(
                        np.asarray(z.cpu(), dtype=np.float64))
                return torch.as_tensor(np.mean(distances**2, axis=1) / self.density_scale_,
                                       dtype=dtype, device=z.device)

        def parts(m, x):
            errors, codes = m.errors_and_codes(x, self.n_scored_components_)
            reconstruction = (errors * weight).mean(dim=1)
            z = (codes - code_mean) / code_scale
            latent = (((z - location) @ whitening) ** 2).mean(dim=1)
            return torch.stack([reconstruction / self.reconstruction_scale_,
                                latent / self.latent_scale_, density(z)], dim=1)

        return parts

    def score_parts(self, X):
        """The three parts of each row's anomaly score, each divided by its scale.

        The columns are the reconstruction, latent and density parts defined
        in :meth:`score_samples`, which is minus their mean weighted by
        ``part_weights_`` (up to rounding).
        A large part says which count flags a row: badly reconstructed, far
        from the centre of the training codes, or far from its nearest
        training codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows whose parts to compute, with the columns of the training data.

        Returns
        -------
        parts : ndarray of shape (n_samples, 3)
            Reconstruction, latent and density, in that order; about 1 for a
            typical training row.
        """
        X = self._validate_for_inference(X)
        return self._apply_in_batches(X, self._parts_function(torch_float_type(X))).astype(
            np.float64, copy=False)

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
        anomaly score minus its baseline's, up to the error of that average.
        A large positive value names a column whose value makes the row
        abnormal; a column equal to the baseline's gets 0. The score's parts
        are written in torch for this, the density part as an exact search of
        the ``n_neighbors_`` nearest ``reference_codes_``, so the sums match
        :meth:`score_samples` up to rounding and the path average.

        With ``set_output(transform="pandas")`` (or "polars", or the global
        ``transform_output`` setting) the result is a DataFrame whose columns
        are the feature names.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to explain, with the columns of the training data.

        Returns
        -------
        contributions : ndarray or DataFrame of shape (n_samples, n_features)
            In X's floating dtype; rank a row's columns by it to see what
            flags it.
        """
        X_in = X
        X = self._validate_for_inference(X)
        out = np.empty(X.shape, dtype=X.dtype)
        with (torch.inference_mode(False), torch.enable_grad(), torch_defaults(),
              torch_threads(self.n_jobs)):
            dtype = torch_float_type(X)
            module = self._inference_module(dtype)
            module.eval()
            parts = self._parts_function(dtype, differentiable=True)
            weights = torch.as_tensor(self.part_weights_, dtype=dtype, device=self.device_)
            device = self.device_
            mean = torch.as_tensor(self.mean_, dtype=dtype, device=device)
            scale = torch.as_tensor(self.scale_, dtype=dtype, device=device)
            baselines = torch.as_tensor(self.baseline_rows_, dtype=dtype, device=device)
            steps = (torch.arange(_PATH_STEPS, dtype=dtype, device=device) + 0.5) / _PATH_STEPS
            for start in range(0, X.shape[0], _EXPLAIN_BATCH):
                x = (torch.as_tensor(np.asarray(X[start:start + _EXPLAIN_BATCH]), dtype=dtype,
                                     device=device) - mean) / scale
                base = baselines[torch.cdist(x, baselines).argmin(dim=1)]
                path = (base[:, None, :] + steps[None, :, None] * (x - base)[:, None, :])
                path = path.reshape(-1, x.shape[1]).requires_grad_(True)
                (gradient,) = torch.autograd.grad((parts(module, path) @ weights).sum(), path)
                average = gradient.reshape(x.shape[0], _PATH_STEPS, -1).mean(dim=1)
                out[start:start + x.shape[0]] = ((x - base) * average).detach().cpu().numpy()
        return wrap_output(self, out, X_in, self._feature_names())

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
