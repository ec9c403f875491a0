"""The base class every skgen estimator derives from.

It owns what the estimators share: parameter and data validation, seeding,
devices, the call into the training engine, ``partial_fit`` / ``warm_start``,
batched inference in X's dtype, and pickling. How the rows of X are scaled and
streamed to the engine is :mod:`skgen._data`. Subclasses supply the module,
the loss and their public methods; :class:`BaseTorchEstimator`'s docstring gives
the order in which a fit, inference and loading call them, and its hooks are
defined in that order. :class:`MeanScoreMixin` gives ``score`` to the estimators
whose ``score_samples`` it averages.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from sklearn import get_config
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array

from . import _columns as columns
from . import nn
from ._compat import (
    Interval,
    InvalidParameterError,
    StrOptions,
    _fit_context,
    check_is_fitted,
    validate_data,
)
from ._data import (
    as_rows,
    check_observed,
    column_list,
    column_ranges,
    fit_scaling,
    reservoir,
    rows_within,
    training_rows,
)
from ._engine import History, Trainer, make_optimizer
from ._statistics import distinct
from ._utils import (
    TRAINING_BYTES_PER_PARAMETER,
    ModuleTooLarge,
    device_memory,
    draw_seed,
    drawing_from,
    format_bytes,
    n_elements,
    plan_module,
    resolve_device,
    restoring_grad_mode,
    state_from_numpy,
    state_to_numpy,
    torch_defaults,
    torch_threads,
)
from ._version import __version__
from .exceptions import InconsistentVersionWarning
from .nn import ACTIVATIONS
from .nn._custom import (
    activation_values,
    as_spec,
    check_custom_blocks,
    check_saveable,
    has_custom_blocks,
    positive_ints,
    seeded_global_generator,
)

#: Inference runs in batches of at most this many rows, and fewer when the rows are
#: wide: a batch's working memory stays within scikit-learn's ``working_memory``
#: (see :meth:`BaseTorchEstimator._inference_rows`).
_INFERENCE_BATCH = 4096

#: How many values of each layer's width a row's forward pass may hold at once, in
#: the estimate of a batch's working memory (outputs, activations, the temporaries of
#: the methods' own arithmetic). With it the measured working memory of every
#: estimator's inference stays below the budget (``benchmarks/bench_memory.py``).
_WORKING_VALUES_PER_WIDTH = 2

#: Without a known memory size of the device, a module may hold at most this many bytes
#: while training.
_DEFAULT_MEMORY = 2**40

#: The data-dependent initialisation (``_initialize_module``) sees at most this
#: many training rows, a random subsample, whatever the size of X, and no more
#: than ``_INIT_BYTES`` hold as float64: the PCA and PPCA starts take the SVD of
#: a float64 copy, whose factors would otherwise grow with ``rows x columns``
#: (and with ``columns ** 2`` for as many rows as columns). Tables up to 838
#: columns keep all 20,000 rows.
_INIT_ROWS = 20_000
_INIT_BYTES = 128 * 2**20
#: ``partial_fit``'s fitted statistics besides the weights (:meth:`_on_fit_end`: the
#: detector's threshold and references, the VAE's prior) read a uniform sample of at
#: most this many of the rows of every ``partial_fit`` call since the model was built
#: (:func:`~skgen._data.reservoir`), no more than ``_PARTIAL_BYTES`` of them as float64.
_PARTIAL_ROWS = 10_000
_PARTIAL_BYTES = 64 * 2**20


#: What :func:`pandas.api.types.infer_dtype` calls an ``object`` column that holds
#: numbers only (NaN and None skipped): NumPy converts it to floats, as it does an
#: ``object`` array of the same values.
_NUMERIC_OBJECTS = frozenset({"floating", "integer", "mixed-integer-float", "decimal", "boolean",
                              "empty"})


def _non_numeric_columns(X):
    """``"'name' (dtype)"`` for each non-numeric column of a pandas or polars DataFrame.

    A pandas column of ``object`` dtype that holds numbers only is numeric.
    """
    module = type(X).__module__.split(".")[0]
    if module == "pandas" and hasattr(X, "dtypes"):
        import pandas as pd

        def numeric(i, dtype):
            if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
                return True
            return (pd.api.types.is_object_dtype(dtype)
                    and pd.api.types.infer_dtype(X.iloc[:, i], skipna=True) in _NUMERIC_OBJECTS)

        return [f"{col!r} ({dtype})" for i, (col, dtype) in enumerate(zip(X.columns, X.dtypes))
                if not numeric(i, dtype)]
    if module == "polars" and hasattr(X, "schema"):
        return [
            f"{col!r} ({dtype})"
            for col, dtype in X.schema.items()
            if not (dtype.is_numeric() or str(dtype) == "Boolean")
        ]
    return []


def _check_numeric_frame(X, estimator_name):
    """Name the non-numeric columns of a DataFrame instead of failing on a cast."""
    bad = _non_numeric_columns(X)
    if bad:
        raise ValueError(
            f"{estimator_name} needs numeric input, but these columns are not numeric: "
            f"{', '.join(bad[:10])}{' ...' if len(bad) > 10 else ''}. Encode them first, "
            "for example with sklearn.preprocessing.OneHotEncoder in a ColumnTransformer."
        )


class BaseTorchEstimator(BaseEstimator, metaclass=ABCMeta):
    """Shared machinery of the skgen estimators.

    Warning: This class should not be used directly. Use derived classes instead.

    A subclass gives its parameters (``__init__`` and ``_parameter_constraints``),
    its torch module and loss (:meth:`_module_spec` and :meth:`_loss`, the two
    abstract hooks) and its public methods; the other hooks below have defaults it
    may override. This is the order in which they run.

    **fit and partial_fit** (:meth:`_fit`). ``partial_fit`` on a fitted model, and
    ``fit`` with ``warm_start=True`` on one, *resume* it; any other call is a
    *fresh* fit.

    1. :meth:`_check_params` checks what the parameter constraints cannot express;
       a resumed fit then refuses parameters that no longer describe the fitted
       module (:meth:`_check_resumable`, which calls :meth:`_module_spec`).
    2. The rows the model sees. Fresh: the fitted state is cleared and
       :meth:`_fit_input` learns the *input-side* state from X (``n_features_in_``,
       ``feature_names_in_``, the column types of :meth:`_fit_columns`,
       ``scaling_``, ``mean_``, ``scale_``, and an estimator's own, such as the
       VAE's ``bounds_``), returning the model rows (with typed columns, level
       columns one-hot: :meth:`_one_hot`). Resumed: X is read with that state as inference reads it,
       ``_model_rows(_validate_X(X))``.
    3. Fresh only, :meth:`_initialize`: ``device_`` and the estimator's random
       generator; :meth:`_inspect_data` with the model rows (what sizes the module
       beyond the number of columns); the module of :meth:`_module_spec`, its size
       checked before it is built, its optimizer and training history.
    4. :meth:`_train` streams the standardized model rows to the engine. Before the
       first epoch of a fresh module, :meth:`_initialize_module` sees a sample of
       them; each batch (:meth:`_batch_size` rows, :meth:`_auto_batch_size` for
       ``batch_size='auto'``) is a call of :meth:`_loss`, for at most
       :meth:`_max_epochs` epochs (one for ``partial_fit``), over at most
       :meth:`_max_training_rows` of the rows (a random subset).
    5. :meth:`_on_fit_end` with the model rows: the fitted state an estimator
       computes from the trained module (the VAE's prior, the detector's score).

    An exception anywhere puts every attribute back as it was (:meth:`_snapshot`,
    :meth:`_restore`).

    **Inference.** A public method calls :meth:`_validate_for_inference`
    (``check_is_fitted``, then :meth:`_validate_X`), takes :meth:`_model_rows`
    where the module reads them, and runs ``fn(module, x)`` on batches in X's
    dtype through :meth:`_apply_in_batches` (which scales with ``mean_`` and
    ``scale_``). Inference reads fitted attributes only, never the parameters, so
    that ``set_params`` after fit changes no answer until the next fit.

    **Saving.** :meth:`__getstate__` stores the module and optimizer as NumPy
    arrays; :meth:`__setstate__` rebuilds them after checking the stored sizes
    against the stored weights, then rebuilds the ``_derived_attributes``
    (:meth:`_rebuild_derived`).
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [str, torch.device],
        "n_jobs": [Integral, None],
        "scaling": [StrOptions({"auto", "standard", "global"}), None],
        "column_types": [StrOptions({"auto", *columns.COLUMN_TYPES}), dict, list, tuple],
        "encoder": [None, callable, torch.nn.Module, nn.ModuleSpec],
        "decoder": [None, callable, torch.nn.Module, nn.ModuleSpec],
        "input_shape": ["array-like", None],
    }

    #: Whether NaN marks a missing entry this estimator accepts (in fit and inference).
    _allow_nan = False
    #: Set by fit (:meth:`_fit_columns`): the typed layout (None for a numeric model) and
    #: the fitted DataFrame's columns (None for an array); None before any fit.
    _typed = None
    _frame = None

    #: What the one-hot inputs of a level never seen in training hold: all zeros, or NaN
    #: ('missing', for an estimator that fills missing entries).
    _unseen_inputs = "zeros"

    # ------------------------------------------------- hooks, in the order they run

    def _check_params(self):
        """Checks across parameters that their constraints cannot express.

        Called first in every ``fit`` and ``partial_fit``, resumed or not, so
        that ``set_params`` between calls is checked too.
        """

    def _fit_input(self, X):
        """Learn the input-side fitted state from the training X; return the model rows.

        Called on a fresh fit only, with X as given to ``fit`` (or to the first
        ``partial_fit``), after the fitted state is cleared. Here: X is
        validated (:meth:`_check_X` with ``reset=True`` sets ``n_features_in_``
        and ``feature_names_in_``), mapped by :meth:`_model_rows`, and the
        scaling of the model rows is fitted (``scaling_``, ``mean_``,
        ``scale_``, see :func:`skgen._data.fit_scaling`). A resumed fit and
        inference read X with this state instead (:meth:`_validate_X`), so an
        estimator that learns more from X (column types, bounds) learns it here.

        With typed columns (:meth:`_fit_columns`), the model rows are
        :meth:`_one_hot`'s (``_typed`` holds their layout, the loss weight of each
        column and the loss of an unseen level; None when every column is
        continuous: the model then reads X as it is, as before columns had
        types): the continuous columns are scaled, the one-hot inputs are not
        (``mean_`` 0, ``scale_`` 1), and ``mean_`` and ``scale_`` have one entry
        per input.
        """
        X = self._model_rows(self._fit_columns(X))
        names = getattr(self, "feature_names_in_", None)
        if self._allow_nan:  # one entry per column of X, typed or not
            check_observed(column_ranges(X)[0], names=names)
        n_levels = columns.input_levels(self.column_types_, self.levels_)
        self._typed = {"n_levels": n_levels} if any(n_levels) else None
        if self._typed is None:
            self.scaling_, self.mean_, self.scale_ = fit_scaling(
                X, self.scaling, allow_nan=self._allow_nan, names=names)
            return X
        X = self._one_hot(X)
        continuous = np.flatnonzero(np.asarray(n_levels) == 0)
        inputs = np.flatnonzero(np.isin(columns.input_columns(n_levels), continuous))
        self.mean_, self.scale_ = np.zeros(X.shape[1]), np.ones(X.shape[1])
        self.scaling_ = "standard" if self.scaling == "auto" else self.scaling
        if inputs.size:
            self.scaling_, self.mean_[inputs], self.scale_[inputs] = fit_scaling(
                X[:, inputs], self.scaling, allow_nan=self._allow_nan,
                names=None if names is None else names[continuous])
        self._typed["weights"] = columns.level_weights(X, n_levels)
        self._typed["unseen_loss"] = float(np.log(X.shape[0] + 1.0))
        return X

    def _fit_columns(self, X, *, auto_numeric=False, point_masses_too=False):
        """Learn the column types of the training X and return its validated values.

        Sets ``column_types_`` and ``levels_`` (``column_types`` resolved, see
        :func:`skgen._columns.detect_column_types`), ``_coded`` (the columns whose
        level codes a model reads) and ``_frame`` (a DataFrame's columns and dtypes,
        which outputs are rebuilt in). A DataFrame's
        non-numeric columns become level codes (NaN for a missing value where
        ``_allow_nan``), then X is validated (:meth:`_check_X` with ``reset=True``).
        'auto' types string, ``category`` and ``bool`` columns; numeric ones too
        with ``auto_numeric`` (the VAE's heads), else they stay continuous.
        """
        X = raw = columns.as_pandas(X)
        columns.check_real(X)
        dtypes, numeric = columns.frame_dtypes(X, skipna=self._allow_nan)
        frame_levels, encoded = None, False
        self._frame = None
        if dtypes is not None:
            categories, ordered = columns.frame_categories(X)
            self._frame = {"columns": list(X.columns), "dtypes": dtypes, "numeric": numeric,
                           "categories": categories, "ordered": ordered,
                           "integers": columns.frame_integers(X),
                           "booleans": columns.frame_booleans(X)}
            frame_levels = columns.frame_levels(X, numeric, allow_missing=self._allow_nan,
                                                estimator=type(self).__name__)
            encoded = not all(map(columns.is_numeric_dtype, X.dtypes))
            if encoded:
                X, _ = columns.encode_frame(X, numeric, frame_levels,
                                            allow_missing=self._allow_nan)
        X = self._check_X(X, reset=True)
        if encoded:  # row-major, as a float frame of the same numbers gives it: the same
            X = np.ascontiguousarray(X)  # sums, bit for bit
        boolean = None if dtypes is None else self._frame["booleans"]
        names = getattr(self, "feature_names_in_", None)
        types, levels = columns.detect_column_types(
            X, self.column_types, frame_levels=frame_levels, boolean=boolean, names=names,
            point_masses_too=point_masses_too, auto_numeric=auto_numeric)
        # a column of levels (or point masses) needs its integers exact (float64 would merge
        # 64-bit codes); a continuous one (nanosecond timestamps) does not
        columns.check_exact_integers(raw, columns.has_levels(types, levels), names)
        self.column_types_, self.levels_ = types, levels
        self._coded = columns.is_coded(self.column_types_, frame_levels)
        return X

    def _read_columns(self, X, *, unknown="error"):
        """X validated with the fitted columns (:meth:`_check_X` with ``reset=False``): level
        codes in a DataFrame's non-numeric columns, numbers elsewhere; and the mask of rows
        holding a level never seen at fit. Such a level is an error, or with ``unknown='mark'``
        code 0 and a marked row, or with ``unknown='keep'`` code -1."""
        X = columns.as_pandas(X)
        columns.check_real(X)
        columns.check_exact_integers(X, columns.has_levels(self.column_types_, self.levels_),
                                     getattr(self, "feature_names_in_", None))
        unknown_rows = np.zeros(0, dtype=bool)
        frame = self._frame
        if frame is not None and (not frame["numeric"].all() or (
                columns.is_pandas_frame(X)
                and not all(map(columns.is_numeric_dtype, X.dtypes)))):
            columns.check_frame_columns(self, X, frame["numeric"])
            X, unknown_rows = columns.encode_frame(
                X, frame["numeric"], self._frame_levels(), unknown=unknown,
                allow_missing=self._allow_nan)
        X = self._check_X(X, reset=False)
        if not unknown_rows.size:
            unknown_rows = np.zeros(X.shape[0], dtype=bool)
        return X, unknown_rows

    def _frame_levels(self):
        """The levels of the fitted DataFrame's columns: ``levels_``' entry for a non-numeric
        column, None for a numeric one; None without a DataFrame."""
        frame = self._frame
        if frame is None:
            return None
        return [None if is_numeric else lv for is_numeric, lv in zip(frame["numeric"],
                                                                     self.levels_)]

    def _validate_X(self, X, *, training=False):
        """X as a resumed fit and inference read it: validated against the fitted input
        state (:meth:`_read_columns`), in the values the model reads (:meth:`_one_hot`'s
        inputs with typed columns). A resumed fit (``training``) warns about levels the
        first fit did not see: the model cannot learn them."""
        if self._typed is None:
            return self._read_columns(X)[0]
        values = self._read_columns(X, unknown="keep")[0]
        if not training:
            return self._one_hot(values)
        rows, unseen = self._one_hot(values, count_unseen=True)
        if unseen.any():
            listed = column_list(unseen > 0, getattr(self, "feature_names_in_", None))
            warnings.warn(
                f"{type(self).__name__} keeps the levels of its first fit, and X holds "
                f"{int(unseen.sum())} value(s) it did not see in column(s) {listed}: they "
                "train as a level never seen (levels_ lists the known ones). Refit on data "
                "with every level to learn them.",
                UserWarning, stacklevel=6)  # the caller of partial_fit or fit
        return rows

    def _one_hot(self, X, count_unseen=False):
        """Validated values as the model's inputs with typed columns (see
        :func:`skgen._columns.one_hot_rows`; a level never seen reads as ``_unseen_inputs``)."""
        frame = self._frame
        coded = (np.zeros(X.shape[1], dtype=bool) if frame is None
                 else ~np.asarray(frame["numeric"], dtype=bool))
        return columns.one_hot_rows(X, self.column_types_, self.levels_, coded,
                                    unseen=self._unseen_inputs, count_unseen=count_unseen)

    def _typed_columns(self):
        """The :class:`skgen.nn.TypedColumns` of the fitted one-hot layout, on ``device_``
        (built once, not saved)."""
        # device_ is set by a fresh fit and by loading, which both drop this cache
        typed = self.__dict__.get("_typed_module")
        if typed is None:
            typed = nn.TypedColumns(self._typed["n_levels"], self._typed["unseen_loss"],
                                    self._typed["weights"]).to(self.device_)
            self._typed_module = typed
        return typed

    def _reconstruction(self):
        """The map of the network's outputs to reconstructed model inputs: with typed
        columns each level column's logits made probabilities, else the identity."""
        return (lambda out: out) if self._typed is None else self._typed_columns().reconstruct

    def _typed_rows(self, rows, index=None, like=None):
        """The model's outputs in X's units (continuous values, level probabilities) as rows
        of the data: a DataFrame with the training columns and dtypes when fitted on one
        (each level column holding its most likely level), else an ndarray. ``like``, a
        DataFrame of the fitted columns, gives a float column its float dtype instead (a
        float32 frame stays float32). Without typed columns or a DataFrame fit, ``rows``
        as they are."""
        frame = self._frame
        if self._typed is None and frame is None:
            return rows
        if frame is not None and like is not None:
            floats = ("float32", "float64")
            dtypes = [columns.dtype_name(dtype) for dtype in like.dtypes]
            frame = {**frame, "dtypes": [now if now in floats and was in floats else was
                                         for now, was in zip(dtypes, frame["dtypes"])]}
        values = columns.most_likely_values(rows, self.column_types_, self.levels_, self._coded)
        out = columns.decode_rows(values, self.column_types_, self.levels_, self._coded,
                                  frame=frame, index=index)
        return out if self._frame is not None else out.astype(rows.dtype, copy=False)

    def _model_rows(self, X):
        """The rows the model sees, before scaling, from validated values: X itself here.

        Called by :meth:`_fit_input`, by a resumed fit on :meth:`_validate_X`'s
        output, and by the inference methods of an estimator that maps X (the
        VAE's ``bounds``).
        """
        return X

    def _with_targets(self, X, y, *, fresh):
        """The model rows the module trains on, given the targets ``y`` of ``fit``: X itself
        (y is ignored). Called after :meth:`_fit_input` (or, resumed, after
        :meth:`_model_rows`); an estimator that learns from y learns it here (``fresh``:
        a fit from scratch) and returns X with what its module reads of y."""
        return X

    def _training_scaling(self):
        """``(mean, scale)`` that standardize the rows :meth:`_with_targets` returns."""
        return self.mean_, self.scale_

    def _inspect_data(self, X):
        """Read the model rows X before the module is specified, on a fresh fit only.

        Called after :meth:`_fit_input`, so ``mean_`` and ``scale_`` are set.
        Estimators whose module depends on more than the number of columns (the
        number of rows, the spectrum of the scaled X) read X here and store what
        :meth:`_module_spec` needs.
        """

    @abstractmethod
    def _module_spec(self, n_features):
        """Return ``(module_class, kwargs)`` building the torch module for ``n_features``.

        Called on a fresh fit to build the module, and on a resumed one to check
        that the parameters still describe it (:meth:`_check_resumable`).
        """

    def _initialize_module(self, module, X_train):
        """Data-dependent initialisation, called once before training from scratch.

        ``X_train`` is a standardized float32 tensor of training rows in random
        order: all of them, or a random subsample of ``_INIT_ROWS`` rows (fewer
        for wide rows, see ``_INIT_BYTES``) for a larger X.
        """

    def _auto_batch_size(self, n_samples):
        """Rows per minibatch of ``batch_size='auto'`` for ``n_samples`` training rows (capped
        at ``n_samples`` by :meth:`_batch_size`): 128."""
        return 128

    def _max_epochs(self, n_train):
        """Epochs of one ``fit`` on ``n_train`` training rows (validation rows held out)."""
        return self.max_iter

    def _max_training_rows(self, n_samples):
        """How many of the ``n_samples`` model rows a call trains on (a random subset, the
        first rows of the epoch's shuffle; validation rows come out of it): all of them."""
        return n_samples

    @abstractmethod
    def _loss(self, module, batch, generator):
        """Mean loss of a standardized float32 ``batch`` (see :mod:`skgen._engine`).

        ``module.training`` says whether it is a training or a validation batch;
        ``generator`` is the only source of randomness (noise, eps).
        """

    #: Parameters that read the columns before the module does: a model continued by
    #: ``partial_fit`` or ``warm_start`` must keep them (:meth:`_check_resumable`).
    _resume_params = ("column_types",)

    #: Whether :meth:`_on_fit_end` fits statistics to its rows, so that ``partial_fit``
    #: hands it a sample of every call's rows (:meth:`_rows_seen`), not the last call's.
    _fit_end_reads_rows = False

    def _on_fit_end(self, X):
        """Called at the end of every ``fit`` and ``partial_fit`` with the model rows X
        (after :meth:`_model_rows`, before scaling) that it trained on, or with
        ``_fit_end_reads_rows`` for ``partial_fit`` a sample of every call's rows."""

    # ------------------------------------------------------------- validation

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan
        if tags.transformer_tags is not None:  # inference runs in X's floating dtype
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "module_")

    def _check_X(self, X, *, reset):
        """``validate_data`` for X: numbers (a DataFrame's other columns named), float64 or
        float32, finite or NaN where ``_allow_nan``; ``reset`` records ``n_features_in_``
        and ``feature_names_in_`` (a fresh fit), else X must match them."""
        _check_numeric_frame(X, type(self).__name__)
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_min_samples=2 if reset else 1,
            ensure_all_finite="allow-nan" if self._allow_nan else True,
        )

    def _validate_for_inference(self, X):
        """``check_is_fitted`` then :meth:`_validate_X`: the prelude of inference."""
        check_is_fitted(self)
        return self._validate_X(X)

    def _validate_codes(self, Z):
        """Validate latent codes given to ``inverse_transform``-like methods: a fitted
        estimator, and as many columns as its code (``_n_features_out``)."""
        check_is_fitted(self)
        n_components = self._n_features_out
        Z = check_array(Z, dtype=[np.float64, np.float32], input_name="Z")
        if Z.shape[1] != n_components:
            raise ValueError(
                f"Z has {Z.shape[1]} columns, but {type(self).__name__} has "
                f"n_components={n_components}; pass latent codes from transform."
            )
        return Z

    def _check_hidden_layer_sizes(self):
        return positive_ints(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=True)

    def _custom_modules(self):
        """The ``encoder``, ``decoder`` and ``input_shape`` entries of :meth:`_module_spec`'s
        kwargs: a copy of each spec (see :func:`skgen.nn._custom.as_spec`), so that a
        ``set_params`` after fit changes no fitted module."""
        shape = self.input_shape
        return {"encoder": as_spec(self.encoder, "encoder"),
                "decoder": as_spec(self.decoder, "decoder"),
                "input_shape": None if shape is None else positive_ints(shape, "input_shape")}

    def _batch_size(self, n_samples):
        size = self._auto_batch_size(n_samples) if self.batch_size == "auto" else self.batch_size
        return max(1, min(size, n_samples))

    # ------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; float32 and float64 are kept, other numbers become
            float64. A float32 or float64 :class:`numpy.memmap` larger than
            64 MiB is streamed batch by batch and never copied into memory
            (see ``docs/scaling.md``).
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, partial=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one epoch on X, keeping weights and optimizer state.

        The first call fits the scaler on its X; later calls reuse it. Early
        stopping is off: every row trains (no validation split is held out),
        ``early_stopping`` and ``n_iter_no_change`` are ignored, and the loop
        over calls decides when to stop. What a model keeps besides its
        weights (the detector's threshold and reference rows, the VAE's
        mixture prior) is refitted after each call from a uniform sample of at
        most 10,000 of the rows of every call since the last ``fit``, not from
        this call's X alone.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows; the first call fits the scaling on them, later calls
            reuse it.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The estimator.
        """
        return self._fit(X, y, partial=True)

    @restoring_grad_mode
    def _fit(self, X, y=None, *, partial):
        """``fit`` and ``partial_fit``: one call that either completes or changes nothing.

        An exception anywhere in the call (bad input, a diverging loss, running
        out of memory, a :class:`KeyboardInterrupt` outside the training loop)
        puts every attribute back as it was before the call, and the weights,
        optimizer state and history of a resumed model too. A
        :class:`KeyboardInterrupt` during the training loop ends training
        instead: the fit is finished with the weights reached, and a warning
        says so.

        The call sets the torch state it needs and leaves the caller's: it
        trains with gradients on and out of inference mode (inside
        ``torch.no_grad()`` too, as ``MLPRegressor`` would), builds float32
        modules whatever torch's default dtype and device are,
        and puts the caller's grad mode back on every exit.
        """
        self._check_params()
        self._check_integer_params()
        resume = hasattr(self, "module_") and (partial or self.warm_start)
        if resume:
            self._check_resumable(partial)
        device = self.device_ if resume else resolve_device(self.device)
        backup = self._snapshot(resume)
        try:
            with (torch.inference_mode(False), torch.enable_grad(), torch_defaults(),
                  torch_threads(self.n_jobs)):
                if resume:
                    X = self._model_rows(self._validate_X(X, training=True))
                else:
                    self._clear_fitted_state()
                    X = self._fit_input(X)
                X = self._with_targets(X, y, fresh=not resume)
                if not resume:
                    self._initialize(X, device)
                self._train(X, partial=partial)
                self._on_fit_end(self._rows_seen(X, partial))
                vars(self).pop("_trained_rows", None)
        except BaseException:
            self._restore(backup)
            raise
        return self

    def _rows_seen(self, X, partial):
        """The rows :meth:`_on_fit_end` reads: a ``fit``'s X, or for ``partial_fit`` (when
        ``_fit_end_reads_rows``) the distinct rows of a uniform sample of at most
        ``_PARTIAL_ROWS`` of the rows of every ``partial_fit`` call since the last ``fit``
        (from scratch or with ``warm_start``), X's last. Distinct, since several passes
        over the same chunks put copies of a row in the sample, which would be each
        other's nearest neighbours at distance 0."""
        if not partial:  # a fit's statistics read its own X; partial_fit then starts over
            for name in ("_partial_rows", "_partial_seen"):
                vars(self).pop(name, None)
            return X
        if not self._fit_end_reads_rows:
            return X
        most = rows_within(_PARTIAL_ROWS, X.shape[1], _PARTIAL_BYTES)
        self._partial_rows, self._partial_seen = reservoir(
            getattr(self, "_partial_rows", None), getattr(self, "_partial_seen", 0), X, most,
            self._rng)
        return self._partial_rows[distinct(self._partial_rows)]

    def _check_resumable(self, partial):
        """Refuse to continue a fitted model that the parameters no longer describe.

        ``partial_fit`` and a ``warm_start`` fit train the fitted module on, so
        what sizes the module (:meth:`_module_spec`: ``n_components``,
        ``hidden_layer_sizes``, ``activation``, ...), ``scaling`` and what reads
        the columns before the module (``_resume_params``: ``column_types``, the
        VAE's ``normalization``) must be what they were at the first fit; a
        ValueError names each one ``set_params`` changed since, before anything
        is touched. (``learning_rate_init`` and ``alpha`` are read at every call.)
        """
        _, kwargs = self._module_spec(self.n_features_in_)
        fitted, params = self._module_kwargs, self.get_params(deep=False)
        # the sizes that parameters set (n_features is the data's)
        changed = [(name, fitted[name], kwargs[name]) for name in kwargs
                   if name in params and _as_tuples(fitted[name]) != _as_tuples(kwargs[name])]
        fitted_scaling = self.scaling_
        if self.scaling not in ("auto", fitted_scaling):
            changed.append(("scaling", fitted_scaling, self.scaling))
        # what reads the columns before the module does (their types, a transform of them)
        changed += [(name, old, getattr(self, name))
                    for name, old in getattr(self, "_resume_values", {}).items()
                    if _as_tuples(old) != _as_tuples(getattr(self, name))]
        if changed:
            call = "partial_fit" if partial else "fit with warm_start=True"
            what = "; ".join(f"{name} was {old!r} and is now {new!r}" for name, old, new in changed)
            raise ValueError(
                f"{type(self).__name__}.{call} continues the fitted model, but parameters that "
                f"define it changed after it was fitted: {what}. Set them back, or call fit "
                "with warm_start=False to fit a new model."
            )

    def _check_integer_params(self):
        """Reject booleans where an integer is constrained: ``True`` is an Integral to Python."""
        for name, constraints in self._parameter_constraints.items():
            value = getattr(self, name)
            integral = any(isinstance(c, Interval) and c.type is Integral for c in constraints)
            if integral and isinstance(value, (bool, np.bool_)) and "boolean" not in constraints:
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be an int, "
                    f"got {value!r}."
                )

    def _initialize(self, X, device):
        """Build the module, optimizer and history for a fit from scratch, from the model
        rows X (:meth:`_fit_input` has fitted their scaling).

        The weights are drawn from a generator seeded from ``random_state``
        (see :class:`~skgen._utils.drawing_from`); torch's global generator is
        never used. The module's size is checked first (:meth:`_check_module_size`),
        and it is built in float32 whatever torch's default dtype.
        """
        self.device_ = device
        self._rng = np.random.RandomState(draw_seed(self.random_state))
        self._inspect_data(X)
        cls, kwargs = self._module_spec(X.shape[1])
        self._check_module_size(cls, kwargs)
        generator = torch.Generator().manual_seed(int(self._rng.randint(np.iinfo(np.int32).max)))
        # built on the CPU, where the generator is, then moved
        with drawing_from(generator), torch_defaults(always=True):
            module = cls(**kwargs)
        check_custom_blocks(module)  # a user's module: one pass on a small batch, before training
        self._module_class, self._module_kwargs = cls, kwargs
        self._resume_values = {name: copy.deepcopy(getattr(self, name))
                               for name in self._resume_params}
        self.module_ = module.to(self.device_)
        self.optimizer_ = make_optimizer(self.module_, self.learning_rate_init, self.alpha)
        self._history = History()
        self._needs_init = True

    def _check_module_size(self, cls, kwargs):
        """A ValueError naming the sizes when training the module would not fit in memory.

        The module is planned on the meta device (:func:`~skgen._utils.plan_module`),
        which allocates nothing, and its parameters are counted: training holds
        ``TRAINING_BYTES_PER_PARAMETER`` bytes for each, which must fit in the
        memory of the device (as PCA checks ``n_components`` before it computes).
        """
        memory = device_memory(self.device_) or _DEFAULT_MEMORY
        limit = memory // TRAINING_BYTES_PER_PARAMETER
        try:
            n_params, more = n_elements(plan_module(cls, kwargs, max_elements=limit)), ""
        except ModuleTooLarge as exc:
            n_params, more = exc.n_elements, "more than "
        if n_params <= limit:
            return
        params = self.get_params(deep=False)
        sizes = ", ".join(f"{name}={value!r}" for name, value in kwargs.items()
                          if name in params and name != "activation" and value is not None)
        raise ValueError(
            f"{sizes} on {kwargs.get('n_features', self.n_features_in_)} features ask "
            f"{type(self).__name__} for a module of {more}{n_params:,} parameters: training "
            f"it takes about {format_bytes(TRAINING_BYTES_PER_PARAMETER * n_params)} (float32 "
            "weights, gradients and Adam's two moments), more than the "
            f"{format_bytes(memory)} of memory of the {self.device_.type} device. Choose "
            "smaller sizes."
        )

    def _train(self, X, *, partial):
        device = self.device_
        seed = int(self._rng.randint(np.iinfo(np.int32).max))
        data = training_rows(X, *self._training_scaling(), device)
        n_samples = X.shape[0]
        generator = torch.Generator(device=device).manual_seed(seed)
        index = torch.randperm(n_samples, generator=generator, device=device)
        n_samples = min(n_samples, self._max_training_rows(n_samples))
        index = index[:n_samples]
        validation = None
        if not partial and self.early_stopping and n_samples >= 2:
            n_val = min(max(1, int(round(self.validation_fraction * n_samples))), n_samples - 1)
            index, validation = index[n_val:], index[:n_val]
        history = self._history
        if not partial:
            # each fit call monitors its own validation split from scratch
            history.best_loss, history.no_improvement_count = float("inf"), 0
        # honour set_params between calls: the step size, and the L2 penalty of the weight
        # matrices (the first group, see make_optimizer; biases take none)
        for group in self.optimizer_.param_groups:
            group["lr"] = self.learning_rate_init
        self.optimizer_.param_groups[0]["weight_decay"] = self.alpha
        trainer = Trainer(
            self.module_, self.optimizer_, self._loss,
            batch_size=self._batch_size(index.numel()), generator=generator,
            history=history, verbose=self.verbose, name=type(self).__name__,
        )
        # Training draws only from `generator` (shuffling, noise, eps), never from
        # torch's global generator, so concurrent fits in threads stay reproducible.
        fresh = self._needs_init  # a module trained from its start, not a continued one
        if self._needs_init:
            n_init = rows_within(_INIT_ROWS, X.shape[1], _INIT_BYTES)
            self._initialize_module(self.module_, as_rows(data)(index[:n_init]))
            self._needs_init = False
        max_epochs = 1 if partial else self._max_epochs(index.numel())
        if not partial and fresh:  # the rows of X a new module trains on, for _on_fit_end
            self._trained_rows = np.zeros(X.shape[0], dtype=bool)
            self._trained_rows[index.cpu().numpy()] = True
        with seeded_global_generator(seed if has_custom_blocks(self.module_) else None):
            stop = trainer.fit(
                data, index, validation, max_epochs=max_epochs,
                tol=self.tol, n_iter_no_change=self.n_iter_no_change, stop_early=not partial,
            )
        # copies, so that a later call training the same history cannot change them
        self.n_iter_ = history.n_iter
        self.loss_curve_ = list(history.loss_curve)
        self.validation_loss_curve_ = (
            list(history.validation_loss_curve) if self.early_stopping else None)
        self.best_loss_ = history.best_loss
        if stop == "interrupted":
            warnings.warn(
                f"{type(self).__name__}: training was interrupted after {history.n_iter} "
                "epochs; the fit is finished with the weights reached.",
                UserWarning,
                stacklevel=5,
            )
        elif not partial and stop == "max_epochs":
            warnings.warn(
                f"{type(self).__name__}: the optimization has not converged after "
                f"{max_epochs} epochs, the most that max_iter={self.max_iter!r} allows. "
                "Increase max_iter.",
                ConvergenceWarning,
                stacklevel=5,
            )

    def _snapshot(self, resume):
        """What :meth:`_restore` needs to undo a call: the attributes, and for a resumed
        model the objects that training changes in place (weights, optimizer state,
        history and the estimator's random generator)."""
        attributes = dict(vars(self))
        if not resume:  # a fit from scratch builds new objects and changes none in place
            return attributes, None
        in_place = (
            copy.deepcopy(self.module_.state_dict()),
            copy.deepcopy(self.optimizer_.state_dict()),
            copy.deepcopy(self._history),
            copy.deepcopy(self._rng),
        )
        return attributes, in_place

    def _restore(self, backup):
        attributes, in_place = backup
        vars(self).clear()
        vars(self).update(attributes)
        if in_place is not None:
            module_state, optimizer_state, self._history, self._rng = in_place
            self.module_.load_state_dict(module_state)
            self.optimizer_.load_state_dict(optimizer_state)

    def _clear_fitted_state(self):
        for name in list(vars(self)):
            if (name.endswith("_") and not name.startswith("__")) or name in (
                "_rng", "_module_class", "_module_kwargs", "_resume_values", "_history",
                "_needs_init", "_reconstruction_optimism",
                "_typed_module", "_partial_rows", "_partial_seen"
            ):
                delattr(self, name)

    # ---------------------------------------------------------------- inference

    def _inference_module(self, dtype):
        """The fitted module in ``dtype``: float64 input runs a float64 copy of the weights."""
        if dtype == torch.float32:
            return self.module_
        return copy.deepcopy(self.module_).to(dtype)

    def _inference_rows(self, module, n_columns, itemsize, *, max_rows=None, row_values=0):
        """Rows per inference batch: at most ``max_rows`` (``_INFERENCE_BATCH``), and as many
        as fit in scikit-learn's ``working_memory`` (1024 MiB unless set otherwise).

        A row is taken to need ``_WORKING_VALUES_PER_WIDTH`` values for each of
        its ``n_columns`` inputs and for each layer's width (the larger side of
        each weight matrix: its input or its output; for a user's encoder or
        decoder, also the outputs of its layers for one row, which for a
        convolution outgrow its weights), plus ``row_values`` values that the
        caller's own arithmetic needs, each ``itemsize`` bytes. So the memory of
        a batch grows with the columns, never with their square, and wide rows
        go in fewer at a time.
        """
        widths = (n_columns + sum(max(p.shape) for p in module.parameters() if p.ndim >= 2)
                  + activation_values(module))  # a user's convolutions: their feature maps
        row_bytes = itemsize * (_WORKING_VALUES_PER_WIDTH * widths + row_values)
        budget = get_config()["working_memory"] * 2**20
        return int(max(1, min(max_rows or _INFERENCE_BATCH, budget // row_bytes)))

    @restoring_grad_mode
    def _apply_in_batches(self, X, fn, *, standardize=True, unstandardize=False,
                          batch_size=None, row_values=0):
        """Apply ``fn(module, x)`` to batches of ``X`` in X's dtype.

        ``standardize`` scales the input with ``mean_``/``scale_`` first;
        ``unstandardize`` maps the output back to the units of X. Runs in eval
        mode under :func:`torch.inference_mode`, so each row's output does not
        depend on the other rows of its batch, up to rounding: BLAS may sum in a
        different order for another batch shape (about 1e-16 relative in
        float64, 1e-6 in float32). X is read a batch at a time (a memmap is
        never loaded whole) and each batch moves to the device on its own. A
        batch has at most ``batch_size`` rows (by default ``_INFERENCE_BATCH``)
        and takes at most about ``working_memory`` (:meth:`_inference_rows`;
        ``row_values`` counts what ``fn`` needs per row beyond the module's
        layers). Reads fitted attributes only, and leaves the caller's grad mode
        and torch's defaults as they were. Returns a NumPy array of X's dtype.
        """
        np_dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        dtype = torch.float64 if np_dtype == np.float64 else torch.float32
        module = self._inference_module(dtype)
        module.eval()
        batch_size = self._inference_rows(module, X.shape[1], np.dtype(np_dtype).itemsize,
                                          max_rows=batch_size, row_values=row_values)
        device = self.device_
        mean = torch.as_tensor(self.mean_, dtype=dtype, device=device)
        scale = torch.as_tensor(self.scale_, dtype=dtype, device=device)
        out = None
        with torch_defaults(), torch.inference_mode(), torch_threads(self.n_jobs):
            for start in range(0, X.shape[0], batch_size):
                block = np.require(X[start:start + batch_size], dtype=np_dtype,
                                   requirements=["C", "W"])
                xb = torch.from_numpy(block).to(device)
                if standardize:
                    xb = (xb - mean) / scale
                yb = fn(module, xb)
                if unstandardize:
                    yb = yb * scale + mean
                if out is None:  # filled in place: no list of batches to concatenate
                    out = np.empty((X.shape[0], *yb.shape[1:]), dtype=np_dtype)
                out[start:start + block.shape[0]] = yb.to("cpu", dtype).numpy()
        return out

    # ----------------------------------------------------------------- pickling

    #: Fitted attributes left out of the saved state and rebuilt from the
    #: others by :meth:`_rebuild_derived` when a model is loaded.
    _derived_attributes: tuple = ()

    def _rebuild_derived(self):
        """Rebuild the ``_derived_attributes`` of a fitted model from its other attributes.

        :meth:`__setstate__` calls it when a model is loaded; an estimator that
        fits those attributes calls it itself, so that fit and load build them
        alike.
        """

    def __getstate__(self):
        """The state to pickle: NumPy arrays and plain Python values, and the skgen version.

        Tensors become CPU arrays, the module's class is stored by its name in
        :mod:`skgen.nn`, the training history as a dict, and
        ``_derived_attributes`` are left out, so that ``skops.io`` loads the
        state trusting only the estimator classes
        (:func:`skgen.utils.trusted_types`). A user's ``encoder`` or ``decoder``
        stays its class or factory, which pickle and skops store by reference (the
        user trusts it), never as code; one without an import path is a
        :class:`pickle.PicklingError` here.
        """
        state = dict(super().__getstate__())
        for name in ("encoder", "decoder"):  # stored by reference: a clear error if it has none
            check_saveable(state.get(name), name)
            check_saveable(state.get("_module_kwargs", {}).get(name), name)
        state["_skgen_version"] = __version__
        if "module_" in state:
            state["module_"] = state_to_numpy(state["module_"].state_dict())
            state["optimizer_"] = state_to_numpy(state["optimizer_"].state_dict())
            state["device_"] = str(state["device_"])
        cls = state.get("_module_class")
        if cls is not None and getattr(nn, cls.__name__, None) is cls:  # others stay classes
            state["_module_class"] = cls.__name__
        if isinstance(state.get("_history"), History):
            state["_history"] = dataclasses.asdict(state["_history"])
        for name in (*self._derived_attributes, "_typed_module"):
            state.pop(name, None)
        return state

    @restoring_grad_mode
    def __setstate__(self, state):
        state = dict(state)
        version = state.pop("_skgen_version", None)
        if version is not None and version != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_skgen_version=__version__,
                    original_skgen_version=version,
                ),
                stacklevel=2,
            )
        weights = state.pop("module_", None)
        optimizer_state = state.pop("optimizer_", None)
        if isinstance(state.get("_history"), dict):
            state["_history"] = History(**state["_history"])
        if isinstance(state.get("_module_class"), str):
            state["_module_class"] = _nn_class_named(state["_module_class"])
        super().__setstate__(state)
        if weights is None:
            return
        self.device_ = resolve_device(state["device_"], on_missing="warn")
        self.module_ = _loaded_module(self._module_class, self._module_kwargs, weights,
                                      self.device_)
        self.optimizer_ = make_optimizer(self.module_, self.learning_rate_init, self.alpha)
        self.optimizer_.load_state_dict(state_from_numpy(optimizer_state))
        self._rebuild_derived()


class MeanScoreMixin:
    """``score`` as the mean of ``score_samples``, as PCA and GaussianMixture have it.

    Higher is better, so that model selection (``GridSearchCV``) needs no
    ``scoring``. The transformers and the density estimator have it; the
    outlier detector, whose scores rank rows, has none (as IsolationForest).
    Put it before :class:`~sklearn.base.DensityMixin`, whose ``score`` does
    nothing.
    """

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`: higher is better, for model selection.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, with the columns of the training data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))


def _loaded_module(cls, kwargs, weights, device):
    """``cls(**kwargs)`` on ``device`` holding the saved ``weights``, checked first.

    The sizes stored in a file (``kwargs``) are checked against the shapes of
    the weights it stores before any memory is taken: the module is planned
    on the meta device, and the plan stops as soon as it needs more elements
    than the file holds (an ``n_estimators`` raised to 20,000 fails after the
    first few members). Then the module is built for real, so that buffers
    the weights do not hold (non-persistent ones) come from its constructor,
    drawing its throwaway initial weights from a generator of its own (so
    loading never touches torch's global generator), and given the weights.
    """
    shapes = {name: tuple(np.shape(w)) for name, w in weights.items()}
    stored = sum(math.prod(shape) for shape in shapes.values())
    problem = None
    try:
        planned = plan_module(cls, kwargs, max_elements=2 * stored + 1024)
    except ModuleTooLarge as exc:
        problem = f"they need more than {exc.n_elements:,} weights, and the file holds {stored:,}"
    else:
        expected = {name: tuple(t.shape) for name, t in planned.state_dict().items()}
        if extra := sorted(set(shapes) - set(expected)):
            problem = f"the file holds {extra[0]!r}, which these sizes do not make"
        elif missing := sorted(set(expected) - set(shapes)):
            problem = f"they make {missing[0]!r}, which the file does not hold"
        elif wrong := [name for name in expected if expected[name] != shapes[name]]:
            problem = (f"they make {wrong[0]!r} of shape {expected[wrong[0]]}, and the file "
                       f"holds it with shape {shapes[wrong[0]]}")
    if problem is not None:
        raise ValueError(
            f"The saved model is inconsistent: its module sizes ({_module_sizes(kwargs)}) do "
            f"not match the weights it stores: {problem}. The file was altered or damaged."
        )
    with drawing_from(torch.Generator()), torch_defaults(always=True):
        module = cls(**kwargs)
    module.load_state_dict(state_from_numpy(weights))
    return module.to(device).eval()


def _module_sizes(kwargs):
    return ", ".join(f"{name}={value!r}" for name, value in kwargs.items())


def _as_tuples(value):
    """``value`` with lists made tuples, to compare module sizes whatever stored them."""
    if isinstance(value, (list, tuple)):
        return tuple(_as_tuples(v) for v in value)
    return value


def _nn_class_named(name):
    """The :mod:`skgen.nn` module class stored by its name in a saved state."""
    cls = getattr(nn, name, None)
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise ValueError(f"The saved model names an unknown skgen.nn module {name!r}.")
    return cls
