"""Column types of a table: which columns are continuous, binary, discrete or categorical.

:class:`~skgen.VAETransformer` gives each column a likelihood head of its type.
This module decides the types (:func:`detect_column_types`, or what the user
asked for), turns a pandas DataFrame's non-numeric columns into level codes
before validation (:func:`encode_frame`) and turns rows of validated values back
into the data's own values and dtypes (:func:`decode_rows`). Nothing here
knows torch.

The validated values of a column, which the model reads, are its numbers for a
numeric column of type 'continuous', 'binary' or 'discrete', and the index of
its level in ``levels`` (a *code*) for a 'categorical' column and for a binary
column that is not numeric.
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral

import numpy as np

from ._compat import validate_data

#: The column types, in the order of :attr:`VAETransformer.column_types_`'s documentation.
COLUMN_TYPES = ("continuous", "binary", "discrete", "categorical")

#: ``column_types='auto'``: a numeric column with at most this many distinct values
#: can be discrete; with more, a categorical head is no cheaper than the rows it would
#: memorize (the columns with more than 100 distinct values were already the
#: continuous ones of this project's benchmarks).
MAX_LEVELS = 100

#: ``column_types='auto'``: ... and only if at most this share of its rows hold a value
#: that occurs once. That share is the Good-Turing estimate of the chance that a new
#: row holds a value never seen in training, which a categorical head gives
#: probability 0: 1% keeps that rare, and a measured column (every value once) is
#: never discrete.
MAX_UNSEEN_SHARE = 0.01


def is_pandas_frame(X):
    return type(X).__module__.split(".")[0] == "pandas" and hasattr(X, "dtypes")


def as_pandas(X):
    """A polars DataFrame with a non-numeric column as a pandas one; anything else as it is.

    The column types are read from pandas dtypes; a polars frame of numbers
    keeps the numeric path that scikit-learn's validation takes.
    """
    if type(X).__module__.split(".")[0] != "polars" or not hasattr(X, "schema"):
        return X
    import polars as pl

    if all(dtype.is_numeric() or dtype == pl.Boolean for dtype in X.schema.values()):
        return X
    return X.to_pandas()


def is_numeric_dtype(dtype):
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def frame_dtypes(X, *, skipna=False):
    """``(dtypes, numeric)`` of a pandas DataFrame's columns: dtype names and a numeric mask.

    ``dtypes`` holds plain strings (``'float64'``, ``'int64'``, ``'bool'``,
    ``'category'``, ``'object'``, ``'str'``...), so that a fitted model stays
    loadable with skops; None for anything else than a pandas DataFrame. With
    ``skipna`` an object column of numbers and missing values is numeric.
    """
    if not is_pandas_frame(X):
        return None, None
    import pandas as pd

    dtypes = [dtype_name(dtype) for dtype in X.dtypes]
    # with skipna, an object column of booleans and missing values (a bool column with a
    # hole) is numeric too: 0, 1 and NaN
    kinds = ("floating", "integer", "mixed-integer-float", *(("boolean",) if skipna else ()))
    numeric = np.array([
        is_numeric_dtype(dtype) or (pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(
            X.iloc[:, j], skipna=skipna) in kinds)
        for j, dtype in enumerate(X.dtypes)], dtype=bool)
    return dtypes, numeric


#: The boolean dtypes' names (NumPy's, pandas' nullable one and arrow's).
_BOOLEAN_DTYPES = ("bool", "boolean", "bool[pyarrow]")


def frame_booleans(X):
    """Mask of a DataFrame's boolean columns: ``bool`` and ``boolean`` dtypes, and object
    columns of booleans and missing values."""
    import pandas as pd

    return np.array([
        dtype_name(dtype) in _BOOLEAN_DTYPES or (pd.api.types.is_object_dtype(dtype) and (
            pd.api.types.infer_dtype(X.iloc[:, j], skipna=True) == "boolean"))
        for j, dtype in enumerate(X.dtypes)], dtype=bool)


def dtype_name(dtype):
    """A dtype as a string that gives it back (``str`` of ``string[pyarrow]`` is ``'string'``)."""
    import pandas as pd

    name = str(dtype)
    if name == "string" and isinstance(dtype, pd.StringDtype):
        return f"string[{dtype.storage}]"
    return name


def frame_integers(X):
    """Mask of a DataFrame's object columns that hold Python integers (numbers to the model),
    and missing values (which the denoiser fills).

    Their samples and reconstructions are integers again, not floats.
    """
    import pandas as pd

    return np.array([pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(
        X.iloc[:, j], skipna=True) == "integer" for j, dtype in enumerate(X.dtypes)], dtype=bool)


#: The largest integer that float64, in which the model reads numbers, holds exactly
#: together with its neighbours.
MAX_EXACT_INTEGER = 2**53


def check_real(X):
    """Complex numbers, whose imaginary part a cast to float64 would drop, are an error
    naming the column."""
    import pandas as pd

    if is_pandas_frame(X):
        complex_columns = [X.columns[j] for j, dtype in enumerate(X.dtypes)
                           if pd.api.types.is_complex_dtype(dtype)
                           or (pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(
                               X.iloc[:, j], skipna=True) == "complex")]
        if complex_columns:
            raise ValueError(f"Complex data not supported: column(s) "
                             f"{', '.join(map(repr, complex_columns))} hold complex numbers.")
    elif isinstance(X, np.ndarray) and X.dtype.kind == "c":
        raise ValueError("Complex data not supported: X holds complex numbers.")


def check_exact_integers(X, exact, names=None):
    """An integer column holding a value beyond ``2**53`` is an error naming the column,
    for the columns of the mask ``exact``, those whose values are levels (or point masses).
    An X of another width is left to the width check that follows.

    The model reads numbers in float64, which merges such integers (64-bit
    codes, snowflake IDs, hashes): their levels and samples would be values no
    row holds. A continuous column (nanosecond timestamps) needs no exact
    integers. Checks NumPy integer arrays and a DataFrame's integer columns
    (NumPy, nullable and arrow dtypes, and object columns of Python integers).
    """
    import pandas as pd

    exact = np.asarray(exact, dtype=bool)
    if getattr(X, "ndim", 0) != 2 or X.shape[1] != len(exact) or not exact.any():
        return
    if is_pandas_frame(X):
        candidates = [
            (j, X.iloc[:, j]) for j, dtype in enumerate(X.dtypes)
            if exact[j] and (
                _integer_range(dtype) is not None and _integer_range(dtype)[1] > MAX_EXACT_INTEGER
                or (pd.api.types.is_object_dtype(dtype)
                    and pd.api.types.infer_dtype(X.iloc[:, j], skipna=True) == "integer"))]
        for j, column in candidates:
            low, high = column.min(), column.max()
            if pd.isna(low) or (-MAX_EXACT_INTEGER <= int(low) and int(high) <= MAX_EXACT_INTEGER):
                continue
            _refuse_inexact(repr(X.columns[j]), int(high if abs(int(high)) > abs(int(low))
                                                     else low))
        return
    if isinstance(X, np.ndarray) and X.dtype.kind in "iu" and X.dtype.itemsize == 8 and X.size:
        outside = (X > MAX_EXACT_INTEGER) | (X < -MAX_EXACT_INTEGER) if X.dtype.kind == "i" \
            else X > MAX_EXACT_INTEGER
        outside &= exact
        if outside.any():
            j = int(np.flatnonzero(outside.any(axis=0))[0])
            name = f"{j}" if names is None else f"{j} ({names[j]!r})"
            _refuse_inexact(name, int(X[outside][0]))


def _refuse_inexact(name, value):
    raise ValueError(
        f"Column {name} holds integers beyond 2**53 (such as {value}), which the model's "
        "float64 numbers cannot hold exactly: distinct codes would merge. Pass it as strings "
        "(for a DataFrame, X[column].astype(str)) to model it as categorical, or drop it.")


def _integer_range(dtype):
    """``(min, max)`` of an integer dtype (NumPy, nullable or arrow), None for any other."""
    import pandas as pd

    try:
        dtype = pd.api.types.pandas_dtype(dtype)
    except TypeError:
        return None
    numpy_dtype = getattr(dtype, "numpy_dtype", dtype)
    if not isinstance(numpy_dtype, np.dtype) or numpy_dtype.kind not in "iu":
        return None
    info = np.iinfo(numpy_dtype)
    return int(info.min), int(info.max)


def _clip_to_integer_range(values, bounds):
    """Float values clipped to an integer dtype's range, so that a cast never wraps."""
    low, high = float(bounds[0]), float(bounds[1])
    if int(high) > bounds[1]:  # 2**63 - 1 and 2**64 - 1 round up in float64
        high = np.nextafter(high, 0.0)
    return np.clip(values, low, high)


def frame_categories(X):
    """``(categories, ordered)`` of a DataFrame's ``category`` columns (None, False elsewhere).

    The categories are all those of the dtype, seen in X or not, so that a frame
    rebuilt by :func:`decode_rows` has the same dtype.
    """
    categories, ordered = [], []
    for name, dtype in zip(X.columns, X.dtypes):
        is_category = str(dtype) == "category"
        categories.append(np.asarray(dtype.categories, dtype=object) if is_category else None)
        if is_category:
            _check_level_types(categories[-1], name)
        ordered.append(bool(is_category and dtype.ordered))
    return categories, ordered


def _sorted_levels(values):
    """The distinct values, sorted when they can be (else in order of appearance)."""
    import pandas as pd

    unique = pd.unique(np.asarray(values, dtype=object))
    try:
        return np.array(sorted(unique), dtype=object)
    except TypeError:  # mixed types (str and int): keep the order of appearance
        return np.array(list(unique), dtype=object)


def frame_levels(X, numeric, *, allow_missing=False, estimator="VAETransformer"):
    """The levels of a DataFrame's non-numeric columns (None for numeric ones).

    A missing value (None, NaN, ``pd.NA``) is an error naming the column, unless
    ``allow_missing`` (it is then no level).
    """
    levels = []
    for j, (name, is_numeric) in enumerate(zip(X.columns, numeric)):
        if is_numeric:
            levels.append(None)
            continue
        column = X.iloc[:, j]
        missing = column.isna()
        if missing.any() and not allow_missing:
            raise ValueError(
                f"Input X contains NaN: column {name!r} has {int(missing.sum())} missing "
                f"value(s). {estimator} does not accept missing values; drop or impute them.")
        found = _sorted_levels(column[~missing].to_numpy(dtype=object))
        _check_level_types(found, name)
        levels.append(found)
    return levels


def _check_level_types(values, name):
    """Levels must be strings, numbers or booleans, which a saved model holds as they are.

    Other objects (``pd.cut``'s intervals, timestamps, dates, ``Decimal``) would
    need their types trusted to load the model with skops; a ValueError names
    the column instead.
    """
    for value in values:
        if type(value) in (str, bool, int, float) or (
                isinstance(value, np.generic) and value.dtype.kind in "biufU"):
            continue
        raise ValueError(
            f"Column {name!r} holds values of type {type(value).__name__} ({value!r}), which "
            "a saved model could load only by trusting that type (skops.io). Convert the "
            f"column to strings (X[{name!r}].astype(str)) or to numbers before fitting.")


def codes_of(values, levels, column, *, unknown="error"):
    """The index of each value in ``levels``; a value not among them is an error or ``-1``.

    ``column`` names the column in the error message.
    """
    import pandas as pd

    values = np.asarray(values, dtype=object)
    codes = pd.Index(levels, dtype=object).get_indexer(values).astype(np.int64)
    if unknown == "error" and (codes < 0).any():
        bad = values[codes < 0]
        shown = ", ".join(repr(v) for v in pd.unique(bad)[:5])
        raise ValueError(
            f"Column {column} holds {bad.size} value(s) never seen at fit ({shown}); the "
            f"model knows only its {len(levels)} fitted level(s) in levels_. Refit with rows "
            "that hold them, or map them to a known level.")
    return codes


def encode_frame(X, numeric, levels, *, unknown="error", allow_missing=False):
    """A DataFrame whose non-numeric columns hold level codes (float64), other columns as they are.

    ``numeric`` and ``levels`` describe the columns as at fit (:func:`frame_dtypes`,
    :func:`frame_levels`). Returns the new DataFrame and a mask of the rows that hold
    an unknown level (with ``unknown='mark'``, their code is 0; with ``unknown='keep'``
    it is -1). With ``allow_missing`` a missing value's code is NaN, else an error.
    """
    import pandas as pd

    unknown_rows = np.zeros(len(X), dtype=bool)
    columns = {}
    for j, name in enumerate(X.columns):
        column = X.iloc[:, j]
        if numeric[j]:  # an object column of numbers (pd.NA, None for missing) is float64
            columns[j] = (column if is_numeric_dtype(column.dtype)
                          else pd.to_numeric(column).astype(np.float64))
            continue
        missing = column.isna().to_numpy()
        if missing.any() and not allow_missing:
            raise ValueError(f"Input X contains NaN: column {name!r} has missing value(s).")
        codes = np.full(len(column), np.nan)
        # a missing value is not an unseen level: only the others are looked up
        codes[~missing] = codes_of(column.to_numpy(dtype=object)[~missing], levels[j],
                                   repr(name), unknown=unknown)
        unknown_rows |= codes < 0  # False where missing (NaN)
        if unknown != "keep":
            codes = np.maximum(codes, 0)  # NaN stays
        columns[j] = pd.Series(codes, index=X.index)
    frame = pd.concat(columns, axis=1)
    frame.columns = X.columns
    return frame, unknown_rows


def check_frame_columns(estimator, X, numeric):
    """At inference, the columns of the fit: the same names in the same order (checked
    first, with scikit-learn's messages), and a column that was numeric at fit must be
    numeric, and the other way round."""
    if is_pandas_frame(X):
        validate_data(estimator, X, reset=False, skip_check_array=True)
    _, now = frame_dtypes(X, skipna=getattr(estimator, "_allow_nan", False))
    if now is None:
        if not all(numeric):
            raise ValueError(
                f"{type(estimator).__name__} was fitted on a DataFrame with non-numeric columns, "
                "so it needs "
                f"a pandas DataFrame with those columns, got {type(X).__name__}.")
        return
    if len(now) != len(numeric):
        raise ValueError(f"X has {len(now)} features, but {type(estimator).__name__} is "
                         f"expecting {len(numeric)} features as input.")
    # a column with no value in this batch has no type of its own (a record with a missing
    # cell, or read_csv's float64 of a blank string column): it is read as at fit, where a
    # missing value is filled or rejected
    for j, (was, is_) in enumerate(zip(numeric, now)):
        if was != is_ and not X.iloc[:, j].isna().all():
            kind = ("numeric", "non-numeric")
            raise ValueError(
                f"Column {X.columns[j]!r} was {kind[not was]} at fit but is {kind[not is_]} "
                f"now (dtype {X.dtypes.iloc[j]}); pass it with the type it had at fit.")


def _requested_types(column_types, n_features, names):
    """The ``column_types`` parameter as one entry per column ('auto' where not given)."""
    if isinstance(column_types, str):
        if column_types not in ("auto", *COLUMN_TYPES):
            raise ValueError(f"column_types must be 'auto', one of {COLUMN_TYPES}, a dict or a "
                             f"list, got {column_types!r}.")
        return [column_types] * n_features
    if isinstance(column_types, dict):
        requested = ["auto"] * n_features
        positions = {name: j for j, name in enumerate(names)} if names is not None else {}
        for key, kind in column_types.items():
            if isinstance(key, str) and key in positions:
                j = positions[key]
            elif isinstance(key, Integral) and not isinstance(key, bool) and (
                    -n_features <= key < n_features):
                j = int(key) % n_features
            else:
                known = "its feature names or " if positions else ""
                raise ValueError(f"column_types names a column {key!r} that X does not have; "
                                 f"use {known}column positions 0..{n_features - 1}.")
            requested[j] = kind
    else:
        requested = list(column_types)
        if len(requested) != n_features:
            raise ValueError(f"column_types has {len(requested)} entries, but X has "
                             f"{n_features} columns.")
    for kind in requested:
        if kind not in ("auto", *COLUMN_TYPES):
            raise ValueError(f"Unknown column type {kind!r} in column_types; use 'auto' or one "
                             f"of {COLUMN_TYPES}.")
    return requested


def point_masses(values):
    """The values of a continuous column that each hold at least ``1 / MAX_LEVELS`` of its rows.

    A continuous distribution gives no single value a probability; a value that
    1% of the rows hold exactly (an exact 0, a default, a cap) is a point mass,
    which gets a probability of its own. At most ``MAX_LEVELS`` of them, by
    construction. None when there is none.
    """
    levels, counts = np.unique(values, return_counts=True)
    spikes = levels[counts * MAX_LEVELS >= len(values)]
    return spikes.astype(np.float64) if spikes.size else None


def auto_type(values):
    """The type 'auto' gives a numeric column's values (a 1-D float array).

    One or two distinct values: 'discrete' (a constant) or 'binary'. Up to
    ``MAX_LEVELS`` values of which at most ``MAX_UNSEEN_SHARE`` of the rows hold
    one seen once: 'discrete'. Anything else: 'continuous'.
    """
    levels, counts = np.unique(values, return_counts=True)
    if len(levels) == 2:
        return "binary"
    if len(levels) == 1:
        return "discrete"
    singletons = int(np.sum(counts == 1))
    if len(levels) <= MAX_LEVELS and singletons <= MAX_UNSEEN_SHARE * len(values):
        return "discrete"
    return "continuous"


def detect_column_types(X, column_types, *, frame_levels=None, boolean=None, names=None,
                        point_masses_too=True, auto_numeric=True):
    """Each column's type and levels.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The validated values: numbers, and codes for the non-numeric columns of a
        DataFrame.
    column_types : 'auto', a type, dict or list
        The estimator's parameter.
    frame_levels : list or None
        The levels of a DataFrame's non-numeric columns (None for numeric ones).
    boolean : array of bool or None
        The DataFrame's bool columns, which cannot be continuous.
    point_masses_too : bool, default=True
        Give the continuous columns that 'auto' found their point masses
        (:func:`point_masses`); a column asked to be 'continuous' gets none.
    auto_numeric : bool, default=True
        Whether 'auto' types numeric columns by their values (:func:`auto_type`).
        If False it leaves them continuous, but for the bool columns ('binary',
        or 'discrete' with one value); their missing values (NaN) are no level.
    names : array of str or None
        Feature names, for the keys of a dict and for messages.

    Returns
    -------
    types : ndarray of str, of shape (n_features,)
    levels : list of (ndarray or None)
        The sorted levels of each non-continuous column: its values for a
        numeric column, its categories for a non-numeric one; the point masses
        of a continuous column (None if it has none).
    """
    n_features = X.shape[1]
    frame_levels = frame_levels or [None] * n_features
    requested = _requested_types(column_types, n_features, names)
    types, levels = [], []
    for j, kind in enumerate(requested):
        name = f"{j}" if names is None else f"{j} ({names[j]!r})"
        if frame_levels[j] is not None:  # non-numeric: codes 0..L-1 in X
            found = frame_levels[j]
            _warn_if_identifier(X[:, j], len(found), name)
            if kind == "auto" or (isinstance(column_types, str) and kind != "categorical"):
                # one type for all columns applies to the numeric ones
                kind = "binary" if len(found) == 2 else "categorical"
            elif kind in ("continuous", "discrete"):
                raise ValueError(f"Column {name} is not numeric, so its type can be 'binary' "
                                 f"or 'categorical', not {kind!r}.")
            elif kind == "binary" and len(found) != 2:
                raise ValueError(f"Column {name} has {len(found)} levels, so it cannot be "
                                 "'binary'; use 'categorical'.")
            types.append(kind)
            levels.append(found)
            continue
        column = X[:, j]
        if boolean is not None and boolean[j] and kind == "continuous":
            if not isinstance(column_types, str):
                raise ValueError(f"Column {name} is boolean, so it cannot be 'continuous'.")
            kind = "auto"  # one type for all columns applies to the other ones
        detected = kind == "auto"
        if detected and not auto_numeric:
            kind = "continuous"
            if boolean is not None and boolean[j]:
                kind = "binary" if len(np.unique(column[~np.isnan(column)])) == 2 else "discrete"
            detected = False
        elif detected:
            kind = auto_type(column)
        if kind == "continuous":  # asked for by name: a density alone
            types.append(kind)
            levels.append(point_masses(column) if point_masses_too and detected else None)
            continue
        found = np.unique(column[~np.isnan(column)] if not auto_numeric else column).astype(
            np.float64)
        if kind == "binary" and len(found) > 2:
            raise ValueError(f"Column {name} has {len(found)} distinct values, so it cannot be "
                             "'binary'; use 'discrete' or 'categorical'.")
        types.append(kind)
        levels.append(found)
    return np.array(types, dtype=object), levels


def _warn_if_identifier(codes, n_levels, name):
    """Warn when a non-numeric column's rows mostly hold a level seen once (an ID, a timestamp).

    The rule that keeps a numeric column from being 'discrete': the share of
    rows holding a value seen once is the Good-Turing estimate of the chance
    that a new row holds one never seen, which a categorical column cannot
    encode.
    """
    _, counts = np.unique(codes, return_counts=True)
    share = np.sum(counts == 1) / len(codes)
    if share > MAX_UNSEEN_SHARE and n_levels > 2:
        warnings.warn(
            f"Column {name} has {n_levels} levels for {len(codes)} rows, and {share:.0%} of "
            "the rows hold a level seen once: by the Good-Turing estimate about as many new "
            "rows will hold a level never seen, which transform refuses and score_samples "
            "gives -inf, and its categorical head grows with the rows. If it identifies rows "
            "(an ID, a timestamp), drop it; if it holds numbers, pass them as numbers.",
            UserWarning, stacklevel=4)


def is_coded(types, frame_levels):
    """Columns whose validated values are level codes: categorical ones, and non-numeric ones."""
    coded = np.array([kind == "categorical" for kind in types], dtype=bool)
    if frame_levels is not None:
        coded |= np.array([lv is not None for lv in frame_levels], dtype=bool)
    return coded


def numeric_codes(X, types, levels, coded, frame_levels, *, unknown="error", names=None):
    """X with its numeric categorical columns replaced by their level codes (a copy if any).

    The non-numeric columns of a DataFrame hold codes already. Returns X and the
    mask of rows holding a value that is not a level (with ``unknown='mark'``).
    """
    frame_levels = frame_levels or [None] * len(types)
    unknown_rows = np.zeros(X.shape[0], dtype=bool)
    todo = [j for j in np.flatnonzero(coded) if frame_levels[j] is None]
    if not todo:
        return X, unknown_rows
    X = X.copy()
    for j in todo:
        name = f"{j}" if names is None else f"{j} ({names[j]!r})"
        codes = _float_codes(X[:, j], levels[j], name, unknown)
        unknown_rows |= codes < 0
        X[:, j] = np.maximum(codes, 0)
    return X, unknown_rows


def _float_codes(values, levels, name, unknown):
    """Codes of float values among float levels, -1 or an error for the others."""
    codes = match_levels(values, levels)
    if unknown == "error" and (codes < 0).any():
        bad = np.unique(values[codes < 0])
        raise ValueError(
            f"Column {name} holds {int((codes < 0).sum())} value(s) never seen at fit "
            f"({', '.join(f'{v:g}' for v in bad[:5])}); the model knows only its "
            f"{len(levels)} fitted level(s) in levels_.")
    return codes


def unseen_rows(X, types, levels, coded):
    """Rows holding, in a binary or discrete numeric column, a value that is not a level."""
    bad = np.zeros(X.shape[0], dtype=bool)
    for j, kind in enumerate(types):
        if kind in ("binary", "discrete") and not coded[j]:
            bad |= match_levels(X[:, j], levels[j]) < 0
    return bad


def match_levels(values, levels):
    """The index of each number among the sorted numeric ``levels``, ``-1`` for none.

    Floats are compared in the precision of the coarser of the two: a float32
    value matches the float64 level it rounds from (float32(0.1) is the level
    0.1), and levels that a float32 column gave match float64 copies of its values.
    """
    values = np.asarray(values)
    levels = np.asarray(levels, dtype=np.float64)
    if not levels.size:
        return np.full(values.shape, -1, dtype=np.int64)
    # values near float64's limits overflow to inf, which is never a level
    with np.errstate(over="ignore", invalid="ignore"):
        position = np.clip(np.searchsorted(levels, values), 1, max(len(levels) - 1, 1))
        below, above = levels[position - 1], levels[np.minimum(position, len(levels) - 1)]
        position = np.where(np.abs(values - below) <= np.abs(above - values), position - 1,
                            position)
        position = np.minimum(position, len(levels) - 1)
        nearest = levels[position]
        # levels a float32 column gave (not integers, which both hold exactly)
        single = values.dtype == np.float32 or (
            np.array_equal(levels.astype(np.float32).astype(np.float64), levels)
            and not np.array_equal(levels, np.round(levels)))
        same = nearest == values
        if single:
            same |= nearest.astype(np.float32) == values.astype(np.float32)
    return np.where(same, position, -1).astype(np.int64)


#: A value within this many lattice steps of a lattice point is on it (float rounding).
LATTICE_TOLERANCE = 1e-3

#: A numeric column's levels span at most this many lattice steps to be read as a lattice
#: (a finer common step is float noise, not the data's grid).
MAX_LATTICE_POINTS = 10_000

#: The mass that a binary or discrete numeric column keeps for values that are not
#: its levels is at most this.
MAX_SMOOTHING_MASS = 0.5


def _lattice_step(levels):
    """The largest step that puts every level on one lattice (``levels[0] + k step``), or NaN.

    Integer levels have the integers' greatest common divisor of their
    differences (1 for a single level); float levels a greatest common divisor
    up to rounding, which must give at most ``MAX_LATTICE_POINTS`` points
    between the first level and the last.
    """
    if np.all(levels == np.round(levels)) and np.all(np.abs(levels) < 2.0**53):
        return float(np.gcd.reduce(np.diff(levels).astype(np.int64))) if len(levels) > 1 else 1.0
    if len(levels) < 2:
        return np.nan
    diffs = np.diff(levels)
    if not np.all(np.isfinite(diffs)):  # levels spread beyond float64
        return np.nan
    tol = LATTICE_TOLERANCE * diffs.min()
    step = diffs.min()
    for d in diffs:
        a, b = max(step, d), min(step, d)
        while b > tol:
            r = a % b
            a, b = b, (0.0 if min(r, b - r) <= tol else r)
        step = a
    span = (levels[-1] - levels[0]) / step
    return float(step) if span <= MAX_LATTICE_POINTS else np.nan


def fit_smoothing(X, types, levels, coded):
    """What each binary or discrete numeric column gives values that are not its levels.

    A count or a pixel level is a point on a lattice, not a closed list of
    labels: a value between or beyond the seen ones is unusual, not impossible.
    Such a column keeps ``1 - eps`` of its mass for its seen levels, in the
    proportions of the model's categorical head, and gives ``eps`` to every
    other value, where ``eps = (n1 + 1) / (n + 1)`` is the Good-Turing
    estimate ``n1 / n`` of the chance that a new row holds a value never seen
    (``n1`` levels seen once among ``n`` rows), kept positive (the rule of
    succession's ``1 / (n + 1)`` when no level was seen once) and at most
    ``MAX_SMOOTHING_MASS``. See :func:`smoothing_log_mass` for how ``eps`` is spread.

    Returns
    -------
    ndarray of shape (4, n_features)
        Per column ``eps``, the lattice's origin (the first level) and step (NaN
        when the levels are on no lattice), and the length of the tails beyond
        the seen range; NaN columns for the continuous and coded columns.
    """
    out = np.full((4, X.shape[1]), np.nan)
    for j, kind in enumerate(types):
        if kind not in ("binary", "discrete") or coded[j]:
            continue
        lv = np.asarray(levels[j], dtype=np.float64)
        _, counts = np.unique(X[:, j], return_counts=True)
        n = X.shape[0]
        eps = min((np.sum(counts == 1) + 1) / (n + 1), MAX_SMOOTHING_MASS)
        with np.errstate(over="ignore", invalid="ignore"):  # values near float64's limits
            step = _lattice_step(lv)
            std = float(np.std(X[:, j]))
        std = min(std, np.finfo(np.float64).max) if np.isfinite(std) or std > 0 else 0.0
        if np.isfinite(step):
            length = max(std, step)
        else:
            length = std if std > 0 else max(abs(lv[0]), 1.0)
        out[:, j] = eps, lv[0], step, length
    return out


def smoothing_log_mass(X, types, levels, coded, smoothing):
    """Which values the categorical heads score, and the log-mass of the others.

    With ``eps``, the origin, step and tail length of :func:`fit_smoothing`,
    a binary or discrete numeric column's value that is one of its levels
    (:func:`match_levels`) has probability ``(1 - eps) p(level | z)``; any
    other value has a probability (or density) that does not depend on ``z``:

    - on the lattice (``origin + k step``), ``eps / 2`` spread over the
      lattice's unseen points: the same weight for each point between the
      first and the last level, and a weight decaying geometrically with the
      distance beyond them (by ``exp(-step / length)`` a step), so that the
      unseen points' probabilities sum to ``eps / 2``;
    - off the lattice (or when the levels are on none, with all of ``eps``),
      ``eps / 2`` times a density that is uniform between the first and the
      last level and decays exponentially beyond them (over ``length``), as a
      continuous column's values beside its point masses get a density.

    Returns
    -------
    observed : ndarray of bool of shape (n_samples, n_features)
        False where a column's value is not one of its levels: the model's
        head must not score it.
    log_mass : ndarray of shape (n_samples,)
        The sum over the smoothed columns of ``log(1 - eps)`` (a level) or of
        the value's log-probability (or log-density) above.
    """
    observed = np.ones(X.shape, dtype=bool)
    log_mass = np.zeros(X.shape[0])
    if smoothing is None:  # a model saved before the smoothing: unseen values have mass 0
        unseen = unseen_rows(X, types, levels, coded)
        log_mass[unseen] = -np.inf
        return observed, log_mass
    with np.errstate(over="ignore", invalid="ignore"):  # values near float64's limits
        for j in np.flatnonzero(np.isfinite(smoothing[0])):
            _add_smoothing(X[:, j], levels[j], smoothing[:, j], observed[:, j], log_mass)
    # a value as far out as float64 reaches: the least finite log-mass, not -inf
    return observed, np.maximum(log_mass, np.finfo(np.float64).min)


def _add_smoothing(values, levels, smoothing, observed, log_mass):
    """:func:`smoothing_log_mass` of one column: fills its ``observed``, adds to ``log_mass``."""
    eps, origin, step, length = smoothing
    x = values.astype(np.float64)
    seen = match_levels(values, levels) >= 0
    if np.isfinite(step):  # a level up to rounding: on the lattice, at a level's point
        k = (x - origin) / step
        on = np.abs(k - np.round(k)) <= LATTICE_TOLERANCE
        seen |= on & np.isin(np.round(k), np.round((levels - origin) / step))
    observed[:] = seen
    log_mass[seen] += np.log1p(-eps)
    if seen.all():
        return
    low, high = float(levels[0]), float(levels[-1])
    beyond = np.maximum(np.maximum(low - x, x - high), 0.0)
    off = ~seen
    share = eps
    if np.isfinite(step):
        on &= off
        gaps = round((high - low) / step) + 1 - len(levels)
        rho = np.exp(-step / length)
        total = gaps + 2 * rho / -np.expm1(-step / length)
        steps = np.round(beyond / step)
        log_mass[on] += np.log(eps / 2) - steps[on] * step / length - np.log(total)
        off &= ~on
        share = eps / 2
    log_mass[off] += np.log(share) - beyond[off] / length - np.log(high - low + 2 * length)


def level_values(types, levels, coded):
    """The validated value of each level of the non-continuous columns (codes for coded ones).

    None for the continuous columns.
    """
    return [None if kind == "continuous" else
            (np.arange(len(levels[j]), dtype=np.float64) if coded[j] else levels[j])
            for j, kind in enumerate(types)]


def decode_rows(R, types, levels, coded, frame=None, index=None):
    """Rows of validated values back in the data's values, and dtypes.

    ``R`` holds numbers for numeric columns and codes for coded ones. ``frame``
    describes the DataFrame the model was fitted on (a dict of ``columns``,
    ``dtypes``, ``categories`` and ``ordered``); a DataFrame with those columns
    and dtypes is returned, with ``index`` (a pandas index, such as that of the
    latent codes given to ``inverse_transform``) if not None. Without ``frame``
    the coded columns of a numeric X become their numeric levels and an ndarray
    of R's dtype is returned.
    """
    if frame is None:
        R = R.copy()
        for j in np.flatnonzero(coded):
            R[:, j] = levels[j][R[:, j].astype(np.int64)]
        return R
    import pandas as pd

    data = {}
    for j, dtype in enumerate(frame["dtypes"]):
        if coded[j]:
            values = np.asarray(levels[j], dtype=object)[R[:, j].astype(np.int64)]
        else:
            values = R[:, j]
            bounds = _integer_range(dtype)
            integers = bool(frame.get("integers", [False] * len(frame["dtypes"]))[j])
            if types[j] == "continuous" and (bounds is not None or integers):
                values = np.round(values)  # an integer column modelled as continuous
            if bounds is not None:  # a draw beyond the dtype's range is its bound, not a wrap
                values = _clip_to_integer_range(values, bounds)
            elif integers:  # an object column of Python integers: integers again
                values = values.astype(np.int64).astype(object)
        if dtype == "category":
            series = pd.Series(pd.Categorical(values, categories=frame["categories"][j],
                                              ordered=frame["ordered"][j]))
        elif dtype in _BOOLEAN_DTYPES or frame.get("booleans", [False] * len(frame["dtypes"]))[j]:
            # a continuous model of a boolean column (a model saved when bool[pyarrow] was
            # not read as binary) gives numbers: the nearer of 0 and 1
            flags = values >= 0.5 if types[j] == "continuous" else values.astype(bool)
            series = pd.Series(flags).astype(dtype)
        else:
            series = pd.Series(values).astype(dtype)
        data[j] = series
    out = pd.concat(data, axis=1)
    out.columns = list(frame["columns"])
    if index is not None:
        out.index = index
    return out


def has_levels(types, levels):
    """Mask of the columns whose values are levels: not continuous, or (the VAE's)
    continuous with point masses."""
    return np.array([kind != "continuous" or lv is not None for kind, lv in zip(types, levels)],
                    dtype=bool)


def decoded_as_is(types, levels, frame=None):
    """Mask of the columns that :func:`decode_rows` returns as the model's numbers.

    Continuous columns without point masses, whose DataFrame dtype (if any) is
    not an integer one (rounded and clipped).
    """
    plain = ~has_levels(types, levels)
    if frame is not None:
        integers = frame.get("integers", np.zeros(len(plain), dtype=bool))
        plain &= [_integer_range(dtype) is None and not is_int
                  for dtype, is_int in zip(frame["dtypes"], integers)]
    return plain


# ------------------------------------------------------------ one-hot model inputs
#
# AutoencoderTransformer, DenoisingAutoencoder and AEOutlierDetector read a typed
# table as numbers: a continuous column as it is, any other one-hot over its levels
# (a binary one too: two inputs, whose softmax is the Bernoulli). Their losses read
# the inputs back per column (skgen.nn.TypedColumns).

#: A level column's loss is divided by the entropy of its levels in training (the
#: loss of predicting their frequencies, as a standardized column's squared error is
#: 1 when predicting its mean), at least this many nats: no type drowns the others.
MIN_LEVEL_ENTROPY = 0.1


def input_levels(types, levels):
    """Per column, the number of one-hot inputs (its levels), 0 for a continuous column."""
    return tuple(0 if kind == "continuous" else len(lv) for kind, lv in zip(types, levels))


def input_columns(n_levels):
    """The original column of each model input (a one-hot column's inputs share it)."""
    return np.repeat(np.arange(len(n_levels)), [max(n, 1) for n in n_levels])


def level_indices(values, levels, coded):
    """The index of each value among ``levels`` (float): -1 for a value that is none of
    them, NaN for a missing one. ``coded`` values are such indices already."""
    values = np.asarray(values, dtype=np.float64)
    if coded:
        return values
    missing = np.isnan(values)
    index = match_levels(np.where(missing, levels[0], values), levels).astype(np.float64)
    index[missing] = np.nan
    return index


def one_hot_rows(X, types, levels, coded, *, unseen="zeros", count_unseen=False):
    """Validated values X as the model's inputs: a continuous column as it is, another one
    one-hot over its levels, all zeros for a value that is none of them (an unseen level;
    NaN with ``unseen='missing'``), NaN for a missing one. ``coded`` marks the columns
    that hold level indices already (a DataFrame's non-numeric columns). In X's floating
    dtype. With ``count_unseen``, also each column's number of unseen levels."""
    n_levels = input_levels(types, levels)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    out = np.zeros((X.shape[0], sum(max(n, 1) for n in n_levels)), dtype=dtype)
    counts = np.zeros(len(n_levels), dtype=np.int64)
    start = 0
    for j, n in enumerate(n_levels):
        if n == 0:
            out[:, start] = X[:, j]
            start += 1
            continue
        index = level_indices(X[:, j], levels[j], coded[j])
        counts[j] = np.sum(index < 0)  # False where missing (NaN)
        missing = np.isnan(index)
        if unseen == "missing":
            missing |= index < 0
        rows = np.flatnonzero(~missing & (index >= 0))
        out[rows, start + index[rows].astype(np.int64)] = 1.0
        out[missing, start:start + n] = np.nan
        start += n
    return (out, counts) if count_unseen else out


def level_weights(rows, n_levels):
    """Each column's loss weight: 1 for a continuous column, one over the entropy of its
    levels in the one-hot ``rows`` (at least ``MIN_LEVEL_ENTROPY``) for another."""
    weights = np.ones(len(n_levels))
    start = 0
    for j, n in enumerate(n_levels):
        if n:
            p = np.nan_to_num(np.nanmean(np.asarray(rows[:, start:start + n], dtype=np.float64),
                                         axis=0))
            p = p[p > 0] / max(p.sum(), 1e-12)
            weights[j] = 1.0 / max(float(-np.sum(p * np.log(p))), MIN_LEVEL_ENTROPY)
        start += max(n, 1)
    return weights


def most_likely_values(probabilities, types, levels, coded):
    """Rows of the model's outputs (continuous values, per-level probabilities) as validated
    values: numbers, and each other column's most likely level (its index where ``coded``)."""
    n_levels = input_levels(types, levels)
    out = np.empty((probabilities.shape[0], len(n_levels)), dtype=np.float64)
    start = 0
    for j, n in enumerate(n_levels):
        if n == 0:
            out[:, j] = probabilities[:, start]
        else:
            index = np.argmax(probabilities[:, start:start + n], axis=1)
            out[:, j] = index if coded[j] else np.asarray(levels[j], dtype=np.float64)[index]
        start += max(n, 1)
    return out
