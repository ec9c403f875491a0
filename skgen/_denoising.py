"""DenoisingAutoencoder: denoising and imputation behind the transformer API."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
import torch
from sklearn.base import OneToOneFeatureMixin, TransformerMixin

from . import _columns as columns
from ._base import BaseTorchEstimator, MeanScoreMixin
from ._compat import Interval, StrOptions
from .nn._denoising import NOISES, DenoisingMLP, corrupt, masked_mse

# Validation batches are corrupted the same way at every epoch, so that early
# stopping compares like with like; this fixed seed makes that corruption.
_VALIDATION_SEED = 20240531

# score_samples hides the observed entries in this many interleaved groups,
# one group at a time, and scores the predictions of the hidden entries.
_SCORE_GROUPS = 5


class DenoisingAutoencoder(OneToOneFeatureMixin, TransformerMixin, MeanScoreMixin,
                           BaseTorchEstimator):
    """Denoise rows and fill in missing values with a denoising autoencoder.

    During training every minibatch is corrupted afresh and the network learns
    to give back the clean row. :meth:`transform` returns X denoised, in the
    units of X and with the same columns. NaN marks a missing entry: ``fit``
    accepts it (missing entries are left out of the loss and shown to the
    network as hidden), and ``transform`` fills every missing entry, so the
    estimator drops into a :class:`~sklearn.pipeline.Pipeline` in front of a
    model that rejects NaN. Infinite values are an error.

    A pandas (or polars) DataFrame's string, ``category`` and ``bool`` columns
    are read as they are (``column_types``), with None, NaN or ``pd.NA`` for a
    missing entry: the network reads each one-hot over its levels seen in
    training and predicts it with a softmax over them (cross-entropy loss,
    divided by the entropy of its levels so that no type drowns the others),
    and :meth:`transform` returns a DataFrame with the training columns and
    dtypes, each such column holding its most likely level. The corruption
    hides or swaps whole columns (a level for a level); Gaussian noise goes
    to the continuous columns only. A level never seen in training is read as
    a missing entry, and filled. A numeric table is modelled exactly as
    without column types.

    Parameters
    ----------
    column_types : 'auto', str, dict or list, default='auto'
        The type of each column: 'continuous' (squared error), or 'binary',
        'discrete' or 'categorical' (one-hot inputs, a softmax over the levels
        seen in training). 'auto' types a DataFrame's string, ``category`` and
        ``bool`` columns ('binary' with two levels, else 'categorical') and
        leaves numeric columns continuous. A dict maps column positions or
        feature names to types (the others 'auto'), a list gives one per
        column; one type for all applies to the numeric columns.
    noise : {'gaussian', 'mask', 'swap'}, default='gaussian'
        The corruption applied to the (standardized) training rows.

        - 'gaussian': add ``N(0, noise_level**2)`` to each entry, i.e. noise
          whose standard deviation is ``noise_level`` times the column's
          ``scale_``;
        - 'mask': hide each entry with probability ``noise_level``; the
          network sees it as missing, exactly like a NaN;
        - 'swap': with probability ``noise_level``, replace an entry by the
          same column's entry of a random row of the minibatch, which keeps
          each column's distribution (the usual choice for tables).

        Whatever the noise, ``mask_level`` of the entries are also hidden, so
        the model always learns to fill in missing values.
    noise_level : float, default=0.2
        Standard deviation of the Gaussian noise in units of ``scale_``, or the
        probability of corrupting an entry for 'mask' and 'swap' (then at most 1).
    mask_level : float in [0, 1), default=0.4
        Share of the entries hidden in every training batch in addition to
        ``noise`` (the model learns imputation from them). 0 turns it off.
    keep_observed : bool, default=False
        When True, :meth:`transform` only fills the missing entries and returns
        the observed ones unchanged, as an imputer does. When False, observed
        entries are denoised too. Like every parameter it takes effect at the
        next ``fit`` (it is stored in ``keep_observed_``).
    hidden_layer_sizes : tuple of int, default=(256, 256)
        Widths of the hidden layers. The network reads the row and its
        observation mask (``2 * n_features`` inputs) and has a linear path from
        each column to its own output beside the hidden layers
        (:class:`skgen.nn.DenoisingMLP`), so its size grows linearly with the
        columns.
    activation : {'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', 'elu', \
'gelu', 'silu'}, default='relu'
        Activation of the hidden layers; the output is linear.
    alpha : float, default=1e-5
        L2 penalty on the weight matrices, as Adam's ``weight_decay``.
    batch_size : int or 'auto', default='auto'
        Rows per minibatch; 'auto' means ``min(128, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's step size.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss that counts as an improvement.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows, stop when their denoising
        loss has not improved by ``tol`` for ``n_iter_no_change`` epochs and
        restore the best weights. The validation rows are corrupted the same
        way at every epoch. When False, the training loss is monitored.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    warm_start : bool, default=False
        When True, ``fit`` continues from the current weights, scaler and
        optimizer instead of starting again.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, the validation split and the
        corruption of every batch. An int gives bit-identical results on the
        CPU; NumPy's and torch's global generators are never advanced.
    verbose : int, default=0
        Progress output while fitting. 0: none. 1 shows a progress bar when
        tqdm is installed (``pip install skgen[progress]``) and the output is
        a terminal or notebook, else a line per epoch; 2 a line per epoch
        (with loss and time).
    device : str or torch.device, default='auto'
        Where to train and infer: 'auto' uses CUDA when it is available.
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
        How X is scaled inside the estimator (and unscaled on the way out).
        'standard' gives every column mean 0 and standard deviation 1 (right
        for tables); 'global' centres the columns and divides all of them by
        one shared scale (right for pixels or spectra, where columns share
        units); 'auto' picks 'global' when at least half of the varying
        columns span exactly the same ``[min, max]`` (image-like data) and
        'standard' otherwise, stored in ``scaling_``; None leaves X as it is. ``noise_level`` for Gaussian noise is
        in these units. Missing entries are ignored by the column statistics.
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
        ``input_shape``) and returns a code of the width it chooses; it reads
        the corrupted row with its missing entries at zero, and the model's
        per-column linear path still sees which are missing. None is the MLP of
        ``hidden_layer_sizes``. See ``docs/custom_modules.md``.
    decoder : same as encoder, default=None
        A network of your own in place of the MLP's decoder: it receives
        ``(batch, code width)`` and returns anything that reshapes to ``(batch,
        n_outputs)``, with ``n_outputs`` the number of columns; without a
        decoder, an MLP of ``hidden_layer_sizes`` decodes the code.
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
        strings); None for a continuous column.
    module_ : skgen.nn.DenoisingMLP
        The trained torch module (float32, in eval mode). With typed columns
        it reads and gives one value per input (one per level of a level
        column), and ``mean_`` and ``scale_`` have one entry per input (0 and
        1 for the one-hot ones).
    mean_ : ndarray of shape (`n_features_in_`,)
        Per-column mean of the observed entries, subtracted from X (zeros
        with ``scaling=None``).
    scaling_ : {'standard', 'global'} or None
        The scaling used, ``scaling`` with 'auto' resolved.
    scale_ : ndarray of shape (`n_features_in_`,)
        Divisor of each column in ``(X - mean_) / scale_``: the standard
        deviation of its observed entries with ``scaling_='standard'``; one
        value shared by all columns with 'global' (the root mean square of
        the varying columns' standard deviations); ones with None. Under
        'standard' a constant column (or one with no observed entry) gets
        that shared value, so that outputs on ``X * c`` are ``c`` times those
        on X.
    keep_observed_ : bool
        ``keep_observed`` at the last ``fit``: what :meth:`transform` does with
        observed entries.
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Mean training loss of each epoch (squared error on the observed
        entries of the clean rows, in scaled units).
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
    sklearn.impute.KNNImputer : Imputation from the nearest rows.
    sklearn.impute.IterativeImputer : Imputation by chained regressions.
    AutoencoderTransformer : An autoencoder whose transform gives latent codes.

    Notes
    -----
    A row with no observed entry is filled with what the model predicts when
    it knows nothing, close to the column means; it is not an error. A column
    with no observed entry in ``fit`` gets mean 0 and the shared scale of the
    other columns (the root mean square of their standard deviations, as a
    constant column does; 1 with ``scaling=None``), and whatever the network
    makes of it; its output is not meaningful, and ``fit`` warns, naming the
    column. An X with no observed entry at all is an error.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skgen import DenoisingAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> X_missing = X.copy()
    >>> X_missing[np.random.RandomState(0).rand(*X.shape) < 0.2] = np.nan
    >>> # tol=1e-2 stops once 10 epochs gain less than 0.01 of held-out loss: a
    >>> # quick fit for an example, coarser than the default tol=1e-4
    >>> dae = DenoisingAutoencoder(tol=1e-2, random_state=0)
    >>> X_filled = dae.fit_transform(X_missing)
    >>> bool(np.isnan(X_filled).any())
    False
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "noise": [StrOptions(set(NOISES))],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "mask_level": [Interval(Real, 0, 1, closed="left")],
        "keep_observed": ["boolean"],
    }

    _allow_nan = True
    _unseen_inputs = "missing"  # a level never seen is filled as a missing entry

    def __init__(
        self,
        *,
        column_types="auto",
        noise="gaussian",
        noise_level=0.2,
        mask_level=0.4,
        keep_observed=False,
        hidden_layer_sizes=(256, 256),
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
        self.column_types = column_types
        self.noise = noise
        self.noise_level = noise_level
        self.mask_level = mask_level
        self.keep_observed = keep_observed
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

    def _check_params(self):
        if self.noise != "gaussian" and self.noise_level > 1:
            raise ValueError(
                f"noise_level={self.noise_level} is a probability for noise={self.noise!r}; "
                "it must be in [0, 1]."
            )

    def _module_spec(self, n_features):
        return DenoisingMLP, {
            "n_features": n_features,
            "hidden_layer_sizes": self._check_hidden_layer_sizes(),
            "activation": self.activation,
            "residual": True,
            **self._custom_modules(),
        }

    def _loss(self, module, batch, generator):
        if not module.training:  # validation: the same corruption at every epoch
            generator = torch.Generator(device=batch.device).manual_seed(_VALIDATION_SEED)
        if self._typed is not None:
            typed = self._typed_columns()
            return self._typed_loss(typed, module(self._corrupt(batch, generator, typed)), batch)
        observed = ~torch.isnan(batch)
        return masked_mse(module(self._corrupt(batch, generator)), batch, observed)

    def _corrupt(self, batch, generator, typed=None):
        """The training corruption of a standardized batch: ``noise``, then ``mask_level``;
        per column with typed columns (see :func:`~skgen.nn._denoising.corrupt`)."""
        layout = {} if typed is None else {"columns": typed.input_columns,
                                           "n_columns": typed.n_columns,
                                           "continuous": typed.continuous_mask}

        def hit(x, noise, level):
            return corrupt(x, noise, level, generator, **layout)

        noisy = hit(batch, self.noise, self.noise_level)
        if self.mask_level > 0:
            noisy = hit(noisy, "mask", self.mask_level)
        return noisy

    @staticmethod
    def _typed_loss(typed, prediction, target, *, rows=False, hidden=None, observed=None,
                    filled=None):
        """Mean weighted loss of the observed columns of ``target`` (NaN: missing), or with
        ``rows`` each row's, over its ``hidden`` columns only if given. ``observed`` (the
        columns' mask) and ``filled`` (``target`` with 0 for NaN) may be given, when one
        target is scored against several predictions."""
        if observed is None:
            observed = ~torch.isnan(target[:, typed.first_inputs])
        if filled is None:
            filled = torch.nan_to_num(target, nan=0.0)
        errors = typed.column_errors(prediction, filled)
        errors = torch.where(observed, errors * typed.weights.to(errors.dtype),
                             torch.zeros((), dtype=errors.dtype, device=errors.device))
        if not rows:
            return errors.sum() / observed.sum().clamp_min(1)
        counted = observed if hidden is None else observed & hidden
        return (errors * counted).sum(dim=1), observed.sum(dim=1)

    def _on_fit_end(self, X):
        self.keep_observed_ = bool(self.keep_observed)

    # ---------------------------------------------------------------- public API

    def transform(self, X):
        """Denoise X and fill in its missing entries.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry.

        Returns
        -------
        X_denoised : ndarray or DataFrame of shape (n_samples, n_features)
            X in its own units and dtype, with no NaN. Observed entries are
            denoised, or kept as they are when ``keep_observed_`` is True.
            With typed columns each level column holds its most likely level
            (a level never seen in training is filled as a missing entry). A
            model fitted on a DataFrame gives, for a DataFrame X (and with typed
            columns always), a DataFrame with its columns and training dtypes,
            indexed like X (an integer column's values rounded to whole
            numbers), a float column in X's float dtype.
        """
        like = X if columns.is_pandas_frame(X) else None
        index = None if like is None else like.index
        X = self._validate_for_inference(X)
        reconstruct = self._reconstruction()
        out = self._apply_in_batches(X, lambda m, x: reconstruct(m(x)), unstandardize=True)
        if self.keep_observed_:
            out = np.where(np.isnan(X), out, X)
        # a DataFrame comes back in the training dtypes, typed columns or not (an Int64
        # column's filled cells are whole numbers, as with a string column beside it); an
        # array as an array unless typed columns need a DataFrame
        if self._typed is None and like is None:
            return out
        return self._typed_rows(out, index=index, like=like)

    def score_samples(self, X):
        """How well each row's observed entries are predicted from the others.

        The observed entries are hidden in five interleaved groups of columns
        (column ``j`` is in group ``j % 5``), one group at a time, and the
        model predicts them from the rest of the row. The score is the negative
        mean squared error of these predictions, in the estimator's scaled
        units (see ``scaling``): higher is better. Unlike the error of
        reconstructing the row as given, it does not reward a model that merely
        copies its input, so it can select ``noise_level`` and the architecture,
        e.g. in :class:`~sklearn.model_selection.GridSearchCV`. A row with no
        observed entry scores 0.

        Because the units follow ``scaling`` (and the losses ``column_types``),
        the scores of models that differ in them are not comparable: a grid
        search over either needs a ``scoring`` of its own, for instance minus the
        mean squared error, in the units of X, of the entries :meth:`transform`
        fills when some are hidden.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        X = self._validate_for_inference(X)
        if self._typed is not None:
            return self._typed_scores(X)
        groups = torch.arange(X.shape[1], device=self.device_) % _SCORE_GROUPS

        def fn(module, x):
            observed = ~torch.isnan(x)
            nan = torch.full((), float("nan"), dtype=x.dtype, device=x.device)
            sq = torch.zeros_like(x)
            for g in range(min(_SCORE_GROUPS, x.shape[1])):
                hidden = groups == g
                pred = module(torch.where(hidden, nan, x))
                err = torch.where(observed, pred - x, torch.zeros((), dtype=x.dtype,
                                                                  device=x.device))
                sq = sq + torch.where(hidden, err * err, torch.zeros_like(err))
            return -sq.sum(dim=1) / observed.sum(dim=1).clamp_min(1)

        # the groups' masked copies, predictions and errors: a few more values per entry
        return self._apply_in_batches(X, fn, row_values=8 * X.shape[1]).astype(
            np.float64, copy=False)

    def _typed_scores(self, X):
        """:meth:`score_samples` with typed columns: whole columns hidden by group (a column's
        inputs together), each scored with its weighted loss."""
        typed = self._typed_columns()
        groups = typed.input_columns % _SCORE_GROUPS
        column_groups = torch.arange(typed.n_columns, device=self.device_) % _SCORE_GROUPS

        def fn(module, x):
            nan = torch.full((), float("nan"), dtype=x.dtype, device=x.device)
            total = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
            # the same x in every group's pass: its mask and filled copy once
            observed = ~torch.isnan(x[:, typed.first_inputs])
            filled = torch.nan_to_num(x, nan=0.0)
            for g in range(min(_SCORE_GROUPS, typed.n_columns)):
                pred = module(torch.where(groups == g, nan, x))
                loss, count = self._typed_loss(typed, pred, x, rows=True,
                                               hidden=column_groups == g, observed=observed,
                                               filled=filled)
                total = total + loss
            return -total / count.clamp_min(1)

        return self._apply_in_batches(X, fn, row_values=8 * X.shape[1]).astype(
            np.float64, copy=False)
