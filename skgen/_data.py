"""The data path: what a batch is, where it comes from, how it is scaled.

Follow X through ``fit``: the estimator validates it (:mod:`skgen._base`),
maps it into the model's units if it has ``bounds`` (:func:`logit_map`),
fits the scaling (:func:`fit_scaling`: column statistics in float64 row
chunks, the float32 range checks), and hands the engine the standardized
rows (:func:`training_rows`): a float32 tensor on the device, or a
:class:`StreamedRows` that reads each batch from X, in memory or
memory-mapped, standardizes it and moves it to the device. A batch is a
float32 tensor of standardized rows (:data:`Rows`). Nothing here knows
scikit-learn.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import functools
import math
import mmap
import warnings
from collections.abc import Callable

import numpy as np
import torch

#: Passes over X (column statistics, standardization) go in row chunks whose
#: float64 working copy is at most this large, so their buffers stay small
#: next to a large X whatever its width.
_CHUNK_BYTES = 16 * 2**20


def rows_within(max_rows, n_columns, max_bytes):
    """At most ``max_rows`` rows, and no more than ``max_bytes`` hold as float64 (at least 1).

    For the fixed-size subsamples of a fit (the PCA start, the detector's
    spectrum): a subsample of wide rows holds fewer of them, so that its
    memory, and that of an SVD of it, stays bounded whatever the columns.
    """
    return int(max(1, min(max_rows, max_bytes // (8 * max(n_columns, 1)))))


def reservoir(sample, seen, X, most, rng):
    """A uniform sample of at most ``most`` rows of everything seen, updated with the rows of X.

    ``sample`` (None at first) is a uniform sample of the ``seen`` rows before X; the rows
    of X are taken one after another as reservoir sampling (Vitter's algorithm R) takes
    them, with ``rng`` (a :class:`numpy.random.RandomState`), vectorized. Returns the new
    sample, a new array (``sample`` is not changed, so a failed call can put it back),
    and the new count of rows seen.
    """
    n = X.shape[0]
    if sample is None:
        sample = np.empty((0, X.shape[1]), dtype=X.dtype)
    fill = min(max(most - sample.shape[0], 0), n)  # rows taken while the sample is not full
    chosen = slots = np.empty(0, dtype=np.int64)
    if fill < n:
        index = seen + fill + np.arange(n - fill)  # each later row's place among all seen
        slots = np.minimum((rng.random_sample(n - fill) * (index + 1)).astype(np.int64), index)
        hit = np.flatnonzero(slots < most)
        # a later row replaces an earlier one that took the same slot, as one by one
        _, first = np.unique(slots[hit][::-1], return_index=True)
        chosen = hit[hit.size - 1 - first]
    if fill or chosen.size:  # a new array: the given sample is never written to
        sample = np.concatenate([sample, np.asarray(X[:fill])])
        sample[slots[chosen]] = np.asarray(X[fill + chosen])
    return sample, seen + n


#: The spectrum of the scaled X (the estimators' 'auto' code sizes) comes from at most
#: ``SPECTRUM_ROWS`` evenly spaced rows, no more than ``SPECTRUM_BYTES`` of them as float64.
SPECTRUM_ROWS = 2000
SPECTRUM_BYTES = 128 * 2**20


def spectrum_rows(X, mean, scale, n_columns=None, max_rows=SPECTRUM_ROWS):
    """A float64 copy of at most ``max_rows`` evenly spaced rows of X's first ``n_columns``
    (all by default), fewer when they are wide, scaled in place: ``(X - mean) / scale``.

    Reads only those rows of X (a memmap stays on disk), so the copy is at most
    ``SPECTRUM_BYTES``, not X's size.
    """
    n_columns = X.shape[1] if n_columns is None else n_columns
    n_rows = rows_within(max_rows, n_columns, SPECTRUM_BYTES)
    rows = np.array(X[::math.ceil(X.shape[0] / n_rows), :n_columns], dtype=np.float64)
    rows -= mean
    rows /= scale
    return rows


def _row_chunks(X):
    """Slices of consecutive rows of X, each at most ``_CHUNK_BYTES`` as float64."""
    step = max(1, _CHUNK_BYTES // (8 * max(X.shape[1], 1)))
    return (slice(start, start + step) for start in range(0, X.shape[0], step))


#: Training on the CPU streams every X: the rows of each read (a few batches,
#: :func:`rows_per_read`) are read from X (in memory or memory-mapped) and
#: standardized as they are drawn, so fit makes no copy of X. That costs about
#: 2 ns per value and epoch, a percent or two of the fit time
#: (``benchmarks/results/engine.md``; ``bench_speed.py`` sets this to False to
#: time the standardized copy instead).
_STREAM_ON_CPU = True

#: On another device (a GPU), a memory-mapped X (a :class:`numpy.memmap`, or
#: a view of one) larger than this many bytes is streamed, each batch moving
#: to the device on its own; smaller mapped arrays and in-memory arrays are
#: standardized once into a float32 tensor on the device, so that batches
#: need no transfer.
_STREAM_MIN_BYTES = 64 * 2**20


#: The engine reads the rows of several batches at once (see :func:`rows_per_read`): as
#: many whole batches as hold in this many bytes as float64, but no more than
#: ``_CHUNK_BYTES``. A rows source standardizes each read in one go, which costs
#: less than a call per batch, while the buffers stay a few hundred kilobytes.
_READ_BYTES = 2**19

# ------------------------------------------------------------- batches

#: ``rows(index) -> tensor``: the rows ``index`` (a 1-D int64 tensor) of the
#: training data as a float32 batch on the training device, in the order given.
Rows = Callable[[torch.Tensor], torch.Tensor]


def as_rows(data: torch.Tensor | Rows) -> Rows:
    """The :data:`Rows` of ``data``: a tensor is indexed, a rows source is returned as is."""
    if isinstance(data, torch.Tensor):
        return data.__getitem__
    return data


def rows_per_read(data: torch.Tensor | Rows, batch_size: int) -> int:
    """How many rows the engine asks ``data`` for at once: a whole number of batches.

    As many batches as hold in ``_READ_BYTES`` (and ``_CHUNK_BYTES``) as float64,
    at least one. A rows source whose row width is unknown (no ``shape``) is
    read a batch at a time.
    """
    shape = getattr(data, "shape", None)
    if shape is None or len(shape) < 2:
        return batch_size
    width = max(1, math.prod(shape[1:]))
    budget = min(_READ_BYTES, _CHUNK_BYTES)
    return batch_size * max(1, budget // (8 * width * max(batch_size, 1)))


class StreamedRows:
    """A rows source that reads the rows asked for from an array, e.g. a :class:`numpy.memmap`.

    Only the rows asked for are read and transformed, so an array on disk is
    never loaded whole and no transformed copy of an array in memory is made.
    With ``sorted_reads`` they are read in increasing row order (a read of a
    shuffled epoch walks a file front to back rather than jumping about) and
    put back in the order asked for after ``transform``; an array in memory
    gains nothing from that and is read in the order asked for. The batch,
    moved to ``device``, is exactly what indexing the transformed array held
    in memory would give, as long as ``transform`` treats rows independently.

    Parameters
    ----------
    array : array-like of shape (n_samples, n_features)
        Anything NumPy can index with an integer array along the first axis.
    transform : callable
        ``transform(block) -> float32 ndarray`` of the same shape, applied to
        each block of rows (the estimators standardize here).
    device : torch.device
        Where the batches go.
    sorted_reads : bool, default=True
        Read each batch's rows in increasing order (for an array on disk).
    """

    def __init__(self, array, transform, device, *, sorted_reads=True):
        self.array = array
        self.transform = transform
        self.device = device
        self.sorted_reads = sorted_reads

    @property
    def shape(self):
        """The shape of the array, whose rows are read (see :func:`rows_per_read`)."""
        return self.array.shape

    def __call__(self, index: torch.Tensor) -> torch.Tensor:
        wanted = index.cpu().numpy()
        if not self.sorted_reads:
            return torch.from_numpy(self.transform(np.take(self.array, wanted, axis=0))).to(
                self.device)
        order = np.argsort(wanted, kind="stable")
        block = self.transform(np.take(self.array, wanted[order], axis=0))
        batch = np.empty_like(block)
        batch[order] = block
        return torch.from_numpy(batch).to(self.device)


def is_memory_mapped(X):
    """Whether the array ``X`` is a :class:`numpy.memmap` or a view of one.

    Validation turns a memmap into a plain ``ndarray`` view of the same mapping,
    so the chain of ``base`` arrays is followed down to the mapping.
    """
    while X is not None:
        if isinstance(X, (np.memmap, mmap.mmap)):
            return True
        X = getattr(X, "base", None)
    return False


def torch_float_type(X):
    """The torch dtype for a validated float array: float64 stays, float32 otherwise."""
    return torch.float64 if X.dtype == np.float64 else torch.float32


def training_rows(X, mean, scale, device):
    """The standardized rows of X for the engine: a :class:`StreamedRows`, or a tensor.

    Streamed (see ``_STREAM_ON_CPU``, ``_STREAM_MIN_BYTES``), each batch is
    read from X and standardized when it is drawn; the batches have the
    same bits as the rows of the standardized tensor.
    """
    on_cpu = device.type == "cpu" and _STREAM_ON_CPU
    mapped = is_memory_mapped(X)
    if on_cpu or (mapped and X.nbytes > _STREAM_MIN_BYTES):
        standardize = functools.partial(standardize_rows, mean=mean, scale=scale)
        return StreamedRows(X, standardize, device, sorted_reads=mapped)
    return standardize_to_tensor(X, mean, scale, device)


# ------------------------------------------------------------ scaling

def fit_scaling(X, scaling, *, allow_nan=False, names=None):
    """``(scaling_, mean, scale)`` of X for the estimators' ``scaling`` parameter.

    The scaled rows are ``(X - mean) / scale``. None gives ``mean = 0`` and
    ``scale = 1``; 'standard' each column's mean and standard deviation;
    'global' each column's mean and one scale shared by all columns; 'auto'
    becomes 'global' or 'standard' (see :func:`shares_one_range`), the
    ``scaling_`` returned. Both are scale-equivariant: on ``X * c`` the mean
    and scale are ``c`` times those on X, so the scaled table, and every
    output in scaled units, stays the same. The shared scale is the typical
    scale of the columns: the root mean square of the varying columns'
    standard deviations (the largest magnitude of X when no column varies, or
    1 for X of zeros); with 'standard' a constant column is scaled by it.
    Columns that float64 (or, for float32 X, float32) cannot scale, and with
    ``scaling=None`` columns beyond float32's range, raise a ValueError naming
    them (by their feature ``names`` if given).
    """
    n_features = X.shape[1]
    if scaling is None:
        check_float32_magnitude(*column_ranges(X), names=names)
        return None, np.zeros(n_features), np.ones(n_features)
    mean, std, lo, hi = column_stats(X, allow_nan=allow_nan, names=names)
    if X.dtype == np.float32:  # inference standardizes float32 X in float32
        check_column_ranges(lo, hi, np.float32, names=names)
    if scaling == "auto":
        scaling = "global" if shares_one_range(lo, hi) else "standard"
    varying = std > 0
    if varying.any():  # root mean square, computed below the largest to avoid overflow
        largest = std[varying].max()
        common = largest * np.sqrt(np.mean((std[varying] / largest) ** 2))
    else:
        common = np.nanmax(np.abs(np.r_[lo, hi, 0.0])) or 1.0
    if scaling == "global":
        return scaling, mean, np.full(n_features, common)
    return scaling, mean, np.where(varying, std, common)


def _pow2_below(values):
    """``2 ** -e`` with ``values < 2 ** e``: an exact scaling of each value into [-1, 1].

    The exponent is capped so that the factor stays finite for subnormal values.
    """
    _, exponent = np.frexp(values)
    return np.ldexp(1.0, -np.maximum(exponent, -1000))


def column_stats(X, *, allow_nan=False, names=None):
    """Per-column mean, standard deviation, minimum and maximum in float64, in row chunks.

    Chunking avoids a float64 copy of a large float32 ``X``, and X is read
    twice in all. Nothing overflows whatever the scale of a column: each
    chunk's mean is taken of the chunk divided by a power of two above its
    largest magnitude (an exact scaling), and the deviations from the mean are
    divided by the column's range before they are squared. Multiplying X by a
    constant multiplies every statistic by it, up to rounding.

    A column whose standard deviation is negligible next to its largest
    magnitude (below ``10 * eps`` times it, i.e. rounding noise) gets a
    standard deviation of 0: it is constant. With ``allow_nan`` missing
    entries are ignored; a column with no observed value gets mean 0,
    standard deviation 0 and NaN bounds.

    Raises a ValueError naming the first column whose range ``max - min``
    overflows float64 (see :func:`check_column_ranges`), by its feature name
    among ``names`` if given.
    """
    n_features = X.shape[1]
    count = np.zeros(n_features)
    mean = np.zeros(n_features)
    lo = np.full(n_features, np.nan)
    hi = np.full(n_features, np.nan)
    for rows in _row_chunks(X):
        # row-major whatever X's layout: the sums below then add in the same order for
        # the same numbers (a pandas frame may hand out a column-major array)
        block = np.ascontiguousarray(X[rows], dtype=np.float64)
        block_lo = np.fmin.reduce(block, axis=0)  # fmin/fmax skip NaN silently
        block_hi = np.fmax.reduce(block, axis=0)
        lo, hi = np.fmin(lo, block_lo), np.fmax(hi, block_hi)
        if allow_nan:
            observed = ~np.isnan(block)
            block = np.where(observed, block, 0.0)
            n = observed.sum(axis=0)
        else:
            n = np.full(n_features, block.shape[0])
        factor = _pow2_below(np.nan_to_num(np.fmax(np.abs(block_lo), np.abs(block_hi))))
        chunk_mean = np.divide(np.einsum("ij,j->j", block, factor), n,
                               out=np.zeros(n_features), where=n > 0) / factor
        count += n
        weight = np.divide(n, count, out=np.zeros(n_features), where=count > 0)
        mean = mean * (1.0 - weight) + chunk_mean * weight  # each term below max |X|: no overflow
    spread = check_column_ranges(lo, hi, names=names)
    mean = np.clip(mean, np.nan_to_num(lo), np.nan_to_num(hi))  # exact for constant columns
    varying = spread > 0
    spread = np.where(varying, spread, 1.0)
    sq = np.zeros(n_features)
    for rows in _row_chunks(X):
        dev = np.subtract(np.ascontiguousarray(X[rows]), mean, dtype=np.float64)
        dev /= spread
        sq += np.nansum(dev * dev, axis=0) if allow_nan else np.einsum("ij,ij->j", dev, dev)
    std = spread * np.sqrt(np.divide(sq, count, out=np.zeros(n_features), where=count > 0))
    magnitude = np.fmax(np.abs(lo), np.abs(hi))
    std[~varying | (std <= 10 * np.finfo(np.float64).eps * magnitude)] = 0.0
    return mean, std, lo, hi


def column_ranges(X):
    """Per-column minimum and maximum (NaN for a column with no observed value), in row chunks."""
    lo = np.full(X.shape[1], np.nan)
    hi = np.full(X.shape[1], np.nan)
    for rows in _row_chunks(X):
        block = X[rows]
        lo = np.fmin(lo, np.fmin.reduce(block, axis=0))
        hi = np.fmax(hi, np.fmax.reduce(block, axis=0))
    return lo.astype(np.float64), hi.astype(np.float64)


def shares_one_range(lo, hi):
    """Whether most varying columns span exactly the same ``[min, max]``.

    ``lo`` and ``hi`` are the columns' minima and maxima (NaN for a column with
    no observed value). True for image-like data (pixels all in 0..16 or
    0..255, most columns reaching both ends), where columns share one unit and
    a rarely-used column should not weigh as much as a busy one. False for
    tables of mixed units, whose columns almost never share both bounds.
    """
    observed = np.isfinite(lo) & np.isfinite(hi)
    varying = observed & (hi > lo)
    if not varying.any():
        return False
    lo, hi = lo[varying], hi[varying]
    full = (lo == lo.min()) & (hi == hi.max())
    return bool(np.mean(full) >= 0.5)


def column_list(mask, names=None, most=10):
    """The columns of the boolean ``mask`` for a message: ``1 ('b'), 3 ('d')`` (their
    positions, and their feature ``names`` if given), the first ``most`` of them."""
    where = np.flatnonzero(mask)
    listed = ", ".join(f"{j} ({names[j]!r})" if names is not None else str(j)
                       for j in where[:most])
    return listed + (f" and {where.size - most} more" if where.size > most else "")


def check_observed(lo, names=None):
    """For training X that may hold NaN (``lo``: each column's smallest value, NaN for a
    column with no observed value): a ValueError when no column has an observed value,
    and a UserWarning naming the columns that have none, whose entries a model fills
    from the other columns alone, as it cannot learn them."""
    empty = np.isnan(lo)
    if empty.size and empty.all():
        raise ValueError("X has no observed value: every entry is missing (NaN), so there "
                         "is nothing to learn from.")
    if empty.any():
        warnings.warn(f"Column(s) {column_list(empty, names)} of X have no observed value "
                      "(every entry is NaN): the model cannot learn them, and fills them "
                      "from the other columns alone, which says nothing about their "
                      "values.", UserWarning, stacklevel=7)  # the caller of fit or partial_fit


def _raise_for_columns(bad, message, names=None,
                       advice="Rescale X, e.g. divide it by a power of ten."):
    """A ValueError with ``message(column)`` for the first column of the mask ``bad``.

    ``column`` reads ``column j`` or, with feature ``names``, ``column j ('name')``.
    """
    bad = np.flatnonzero(bad)
    if bad.size:
        j = bad[0]
        column = f"column {j}" if names is None else f"column {j} ({names[j]!r})"
        more = f" ({bad.size} columns in all)" if bad.size > 1 else ""
        raise ValueError(f"{message(j, column)}{more}. {advice}")


def check_column_ranges(lo, hi, dtype=np.float64, names=None):
    """``hi - lo`` per column in float64 (0 for a column with no observed value).

    A ValueError names the first column whose range overflows ``dtype``: the
    scaling subtracts the column's mean in that dtype.
    """
    with np.errstate(over="ignore"):
        spread = np.nan_to_num(hi - lo, nan=0.0, posinf=np.inf)
    limit = np.finfo(dtype).max
    _raise_for_columns(spread > limit, lambda j, column: (
        f"X's {column} ranges from {lo[j]:.6g} to {hi[j]:.6g}, a spread that overflows "
        f"{np.dtype(dtype).name} (largest value {limit:.6g})"), names,
        *(["Pass X as float64, or rescale it."] if dtype == np.float32 else []))
    return spread


def check_float32_magnitude(lo, hi, names=None):
    """A ValueError naming the first column whose values float32 cannot hold.

    For ``scaling=None``, where the network sees X as it is, in float32: a
    column whose largest magnitude is beyond float32's range, or nonzero but
    below its smallest normal number (where float32 keeps no precision).
    """
    magnitude = np.fmax(np.abs(lo), np.abs(hi))
    info = np.finfo(np.float32)
    advice = "Use scaling='standard' or 'global', or rescale X."
    _raise_for_columns(magnitude > info.max, lambda j, column: (
        f"With scaling=None the network sees X as it is, in float32, but X's {column} "
        f"reaches {magnitude[j]:.6g}, beyond float32's largest value {info.max:.6g}"),
        names, advice)
    _raise_for_columns((magnitude > 0) & (magnitude < info.tiny), lambda j, column: (
        f"With scaling=None the network sees X as it is, in float32, but the largest value of "
        f"X's {column} is {magnitude[j]:.6g}, below float32's smallest normal number "
        f"{info.tiny:.6g}"), names, advice)



# ---------------------------------------------------- standardization

def standardize_rows(block, mean, scale):
    """``(block - mean) / scale`` computed in float64 and returned as float32.

    The one formula of both data paths: :func:`standardize_to_tensor` applies it
    to the whole of X once, a streamed fit to each batch, and both give the
    same bits. A large block goes in row chunks, so the float64 working copy
    stays small.

    The network trains in float32: a value that lands beyond float32's range
    (a row far outside the scale of the rows the scaling was fitted on, given
    to ``partial_fit`` or a ``warm_start`` fit) raises a ValueError naming its
    column instead of turning into inf.
    """
    out = np.empty(block.shape, dtype=np.float32)
    limit = np.finfo(np.float32).max
    for rows in _row_chunks(block):
        # a value beyond float64 after scaling is beyond float32 too: the check below
        # names its column, so the overflow itself is not warned about
        with np.errstate(over="ignore"):
            chunk = np.subtract(block[rows], mean, dtype=np.float64)
            chunk /= scale
        flat = chunk.ravel()  # fmin/fmax skip NaN (missing entries) without a warning
        if flat.size and not (-limit <= np.fmin.reduce(flat) and np.fmax.reduce(flat) <= limit):
            largest = np.fmax.reduce(np.abs(chunk), axis=0)
            _raise_for_columns(largest > limit, lambda j, column, largest=largest: (
                f"X's {column} holds values {largest[j]:.6g} times its "
                "fitted scale (scale_), beyond float32's range, in which the network "
                "trains"), advice="Refit on data of this scale, or rescale X.")
        out[rows] = chunk
    return out


def standardize_to_tensor(X, mean, scale, device):
    """``(X - mean) / scale`` as a float32 tensor, built in row chunks (no float64 copy)."""
    return torch.from_numpy(standardize_rows(X, mean, scale)).to(device)



# ------------------------------------------------ the maps of bounds

#: Squeeze of the logit map used with ``bounds`` (as in RealNVP): ``[low, high]`` goes to
#: ``[logit(a), logit(1 - a)]``, so values at the bounds keep a finite density.
LOGIT_SQUEEZE = 0.05


def _to_unit(X, bounds):
    """``u = a + (1 - 2a) (X - low) / (high - low)``: [low, high] into [a, 1 - a]."""
    low, high = bounds
    return LOGIT_SQUEEZE + (1 - 2 * LOGIT_SQUEEZE) * (X - low) / (high - low)


def _clipped_unit(X, bounds):
    """``u`` of X (see :func:`_to_unit`) in float64, clipped just inside (0, 1)."""
    u = _to_unit(np.asarray(X, dtype=np.float64), bounds)
    tiny = np.finfo(np.float64).eps
    return np.clip(u, tiny, 1 - tiny)


def logit_map(X, bounds):
    """``logit(u)`` of X, in X's dtype.

    The support is the open interval where ``0 < u < 1``; values beyond it are
    clipped just inside, so the mapped rows stay finite.
    """
    u = _clipped_unit(X, bounds)
    return (np.log(u) - np.log1p(-u)).astype(X.dtype, copy=False)


def logit_log_jacobian(X, bounds):
    """The log-Jacobian of :func:`logit_map` for each row of X; ``-inf`` outside the support."""
    unclipped = _to_unit(np.asarray(X, dtype=np.float64), bounds)
    outside = np.any((unclipped <= 0) | (unclipped >= 1), axis=1)
    u = _clipped_unit(X, bounds)
    low, high = bounds
    log_jacobian = np.sum(np.log((1 - 2 * LOGIT_SQUEEZE) / (high - low)) - np.log(u)
                          - np.log1p(-u), axis=1)
    log_jacobian[outside] = -np.inf
    return log_jacobian


def logistic_map(Y, bounds):
    """Inverse of :func:`logit_map`: rows back in the units of X."""
    low, high = bounds
    u = 1.0 / (1.0 + np.exp(-np.asarray(Y, dtype=np.float64)))
    X = low + (high - low) * (u - LOGIT_SQUEEZE) / (1 - 2 * LOGIT_SQUEEZE)
    return X.astype(Y.dtype, copy=False)
