"""Small helpers shared by the estimators: devices, seeding, scaling, state."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import mmap
import warnings

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

#: Passes over X (column statistics, standardization) go in row chunks whose
#: float64 working copy is at most this large, so their buffers stay small
#: next to a large X whatever its width.
_CHUNK_BYTES = 16 * 2**20


def _row_chunks(X):
    """Slices of consecutive rows of X, each at most ``_CHUNK_BYTES`` as float64."""
    step = max(1, _CHUNK_BYTES // (8 * max(X.shape[1], 1)))
    return (slice(start, start + step) for start in range(0, X.shape[0], step))


def resolve_device(device, *, on_missing="raise"):
    """Turn the ``device`` parameter into a :class:`torch.device`.

    ``"auto"`` picks CUDA when it is available, else the CPU. A CUDA device that
    is not available raises a ValueError, or with ``on_missing="warn"`` (used when
    loading a pickle) falls back to the CPU with a warning.
    """
    if isinstance(device, torch.device):
        dev = device
    elif device == "auto":
        dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            dev = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(
                f"device={device!r} is not a valid torch device; use 'auto', 'cpu', 'cuda' "
                "or 'cuda:N'."
            ) from exc
    if dev.type == "meta":
        raise ValueError(
            f"device={device!r} holds no data, so a model cannot be trained or used there; "
            "use 'auto', 'cpu' or 'cuda'."
        )
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available.get(dev.type, True):
        if on_missing == "raise":
            raise ValueError(f"device={device!r} was requested but {dev.type} is not available.")
        warnings.warn(
            f"The model was fitted on {device!r}, which is not available here; it is "
            "loaded on the CPU.",
            UserWarning,
            stacklevel=3,
        )
        dev = torch.device("cpu")
    return dev


def draw_seed(random_state):
    """A 31-bit seed from ``random_state``.

    ``None`` takes fresh entropy from the operating system, so that fitting never
    advances NumPy's global generator.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    return int(np.random.RandomState(random_state).randint(np.iinfo(np.int32).max))


#: The names of torch's random functions and in-place random methods that take a
#: ``generator``; :class:`drawing_from` routes the calls that give none to its own.
_RANDOM_CALLS = frozenset({
    "bernoulli", "bernoulli_", "cauchy_", "exponential_", "geometric_", "log_normal_",
    "multinomial", "normal", "normal_", "poisson", "rand", "randint", "randn", "randperm",
    "random_", "uniform_",
})


class drawing_from(TorchFunctionMode):
    """Make the torch calls in the block draw from ``generator``, not the global generator.

    Building a module runs its parameters' initialisers (``nn.init.kaiming_uniform_``
    and the like), which draw from torch's process-wide generator unless given
    one. Inside this block every such call that names no generator gets
    ``generator``, so weights come from the estimator's own seed and the global
    generator is neither read nor advanced. Torch function modes belong to the
    thread that enters them, so threads drawing at the same time are not
    disturbed and fits in threads stay reproducible.

    Examples
    --------
    >>> import torch
    >>> from skgen._utils import drawing_from
    >>> before = torch.random.get_rng_state()
    >>> with drawing_from(torch.Generator().manual_seed(0)):
    ...     a = torch.nn.Linear(3, 2).weight
    >>> with drawing_from(torch.Generator().manual_seed(0)):
    ...     b = torch.nn.Linear(3, 2).weight
    >>> bool(torch.equal(a, b)), bool(torch.equal(before, torch.random.get_rng_state()))
    (True, True)
    """

    def __init__(self, generator):
        super().__init__()
        self.generator = generator

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if "generator" in kwargs:  # nn.init functions pass generator=None explicitly
            if kwargs["generator"] is None:
                kwargs["generator"] = self.generator
        elif getattr(func, "__name__", None) in _RANDOM_CALLS:
            kwargs["generator"] = self.generator
        return func(*args, **kwargs)


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
        block = np.asarray(X[rows], dtype=np.float64)
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
        dev = np.subtract(X[rows], mean, dtype=np.float64)
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


def torch_float_type(X):
    """The torch dtype for a validated float array: float64 stays, float32 otherwise."""
    return torch.float64 if X.dtype == np.float64 else torch.float32


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
        chunk = np.subtract(block[rows], mean, dtype=np.float64)
        chunk /= scale
        flat = chunk.ravel()  # fmin/fmax skip NaN (missing entries) without a warning
        if flat.size and not (-limit <= np.fmin.reduce(flat) and np.fmax.reduce(flat) <= limit):
            largest = np.fmax.reduce(np.abs(chunk), axis=0)
            _raise_for_columns(largest > limit, lambda j, column: (
                f"X's {column} holds values {largest[j]:.6g} times its "
                "fitted scale (scale_), beyond float32's range, in which the network "
                "trains"), advice="Refit on data of this scale, or rescale X.")
        out[rows] = chunk
    return out


def standardize_to_tensor(X, mean, scale, device):
    """``(X - mean) / scale`` as a float32 tensor, built in row chunks (no float64 copy)."""
    return torch.from_numpy(standardize_rows(X, mean, scale)).to(device)


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


def state_to_numpy(obj):
    """Recursively replace tensors by CPU NumPy arrays (for pickling)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().numpy()
    if isinstance(obj, dict):
        return {k: state_to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(state_to_numpy(v) for v in obj)
    return obj


def state_from_numpy(obj):
    """Inverse of :func:`state_to_numpy` (arrays become writable CPU tensors)."""
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.require(obj, requirements=["C", "W"]))
    if isinstance(obj, dict):
        return {k: state_from_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(state_from_numpy(v) for v in obj)
    return obj
