"""Small helpers shared by the estimators: devices, seeding, torch's global settings,
building modules, state to and from NumPy.

The rows of X, and how they are scaled, are :mod:`skgen._data`.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from numbers import Integral

import numpy as np
import torch
from torch.overrides import TorchFunctionMode


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
    problem = None
    if not available.get(dev.type, True):
        problem = f"{dev.type} is not available"
    elif dev.type != "cpu":
        problem = _device_problem(dev)
    if problem is not None:
        if on_missing == "raise":
            raise ValueError(f"device={device!r} was requested but {problem}; use 'auto', "
                             "'cpu' or an available 'cuda:N'.")
        warnings.warn(
            f"The model was fitted on {device!r}, which is not available here; it is "
            "loaded on the CPU.",
            UserWarning,
            stacklevel=3,
        )
        dev = torch.device("cpu")
    return dev


def _device_problem(device):
    """Why this torch build cannot hold a tensor on ``device``, or None if it can.

    Torch accepts the names of every backend it knows (``'xpu'``, ``'hpu'``,
    ``'ipu'``, ``'vulkan'``, ...) and fails only when a tensor is made there,
    each backend with its own exception; a one-element tensor there and back
    finds out before anything is built.
    """
    try:
        torch.zeros(1, device=device).cpu()
    except Exception as exc:  # AssertionError, ModuleNotFoundError, RuntimeError, ...
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"this torch build cannot use it ({type(exc).__name__}: {first_line})"
    return None


def draw_seed(random_state):
    """A 31-bit seed from ``random_state``: None, an int, a RandomState or a Generator.

    ``None`` takes fresh entropy from the operating system, so that fitting never
    advances NumPy's global generator; a RandomState or a Generator is advanced
    by one draw. Anything else is a ValueError.
    """
    high = np.iinfo(np.int32).max
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(high))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(high))
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(np.random.RandomState(random_state).randint(high))
    raise ValueError("random_state must be None, an int, a numpy.random.RandomState or a "
                     f"numpy.random.Generator, got {random_state!r}.")


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


# ------------------------------------------------- torch's global settings

def restoring_grad_mode(method):
    """Decorator: the caller's grad mode is back on every exit of ``method``.

    Torch's own context managers (``no_grad``, ``set_grad_enabled``,
    ``inference_mode``, and the ones inside ``Module.to`` and
    ``Optimizer.step``) set the grad mode in Python code; a
    :class:`KeyboardInterrupt` landing between their setting and their
    ``finally`` leaves it switched off for the whole thread. The mode is read
    before ``method`` runs and set back in a ``finally`` whatever happened
    inside, so an interrupted fit or inference call cannot leak it.
    """
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        enabled = torch.is_grad_enabled()
        try:
            return method(*args, **kwargs)
        finally:
            torch.set_grad_enabled(enabled)

    return wrapper


#: Factory functions whose result, given no dtype, has torch's default float dtype.
_FLOAT_FACTORIES = frozenset({
    torch.empty, torch.empty_strided, torch.zeros, torch.ones, torch.rand, torch.randn,
    torch.eye, torch.linspace, torch.logspace,
})
#: Factory functions that infer their dtype from their data: a Python float gives the
#: default float dtype, an array or tensor its own.
_INFERRING_FACTORIES = frozenset({
    torch.full, torch.tensor, torch.scalar_tensor, torch.as_tensor, torch.arange,
})


class _float32_factories(TorchFunctionMode):
    """Torch's factory functions make float32 tensors in the block, whatever the default dtype.

    After ``torch.set_default_dtype(torch.float64)`` an ``nn.Linear`` built
    without a dtype holds float64 weights; inside this block it holds float32
    ones, as the estimators' data are. An explicit ``dtype`` is kept, and so
    is the dtype of an array or tensor given as data.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if kwargs.get("dtype") is None and torch.get_default_dtype() != torch.float32:
            if func in _FLOAT_FACTORIES:
                return func(*args, **{**kwargs, "dtype": torch.float32})
            if func in _INFERRING_FACTORIES:
                out = func(*args, **kwargs)
                if out.dtype == torch.get_default_dtype() and not any(
                        isinstance(a, (torch.Tensor, np.ndarray)) for a in args):
                    out = out.to(torch.float32)
                return out
        return func(*args, **kwargs)


_CPU = torch.device("cpu")


def default_device():
    """The device torch's factory functions use when they are not told one: a
    ``torch.set_default_device`` or an enclosing ``with torch.device(...)``.

    Read off a new empty tensor: ``torch.get_default_device`` does not exist before torch
    2.3 (``pyproject.toml`` admits 2.2), and a factory call sees both settings in every
    torch 2 release.
    """
    return torch.empty(0).device


@contextlib.contextmanager
def torch_defaults(*, always=False):
    """Run the block with torch's own defaults: float32 tensors on the CPU.

    A user's ``torch.set_default_dtype(torch.float64)``, ``with
    torch.device("meta"):`` or ``torch.set_default_device(...)`` changes what
    torch's factory functions make when they are not told; inside this block
    they make float32 tensors on the CPU again, as the estimators' code
    expects (it names the device wherever data go to ``device_``; what it
    leaves to the default, such as Adam's step counters, belongs on the CPU).
    Without ``always`` nothing is entered when the defaults are already
    torch's (the usual case), so that code on the hot path pays nothing.
    """
    with contextlib.ExitStack() as stack:
        if always or default_device() != _CPU:
            stack.enter_context(torch.device(_CPU))
        if always or torch.get_default_dtype() != torch.float32:
            stack.enter_context(_float32_factories())
        yield


@contextlib.contextmanager
def torch_threads(n_jobs):
    """Run the block on ``n_jobs`` threads: torch's intra-op threads and the native
    thread pools of NumPy, SciPy and scikit-learn (BLAS, OpenMP), then put them back.

    None means 1 (unless a :func:`joblib.parallel_backend` context says otherwise), -1
    every core, as ``n_jobs`` means in scikit-learn (:func:`joblib.effective_n_jobs`).
    ``torch.set_num_threads`` (torch's only setter) sets the calling thread's OpenMP
    and MKL pools and also the process's default, which a thread reads the first time
    it uses torch and keeps: a thread that already ran torch is unaffected by a fit in
    another, but one whose first torch operation falls during the fit starts, and
    stays, at the fit's count (docs/scaling.md says so). The BLAS pools (through
    :mod:`threadpoolctl`, as scikit-learn's KMeans limits them) are the process's: the
    fit's statistics (a mixture prior, robust covariances) are small linear algebra,
    which BLAS threads slow down, and on a busy machine by an order of magnitude.
    """
    from joblib import effective_n_jobs

    wanted = max(1, int(effective_n_jobs(n_jobs)))
    previous = torch.get_num_threads()
    with _thread_pools().limit(limits=wanted):
        if wanted == previous:
            yield
            return
        torch.set_num_threads(wanted)
        try:
            yield
        finally:
            torch.set_num_threads(previous)


@functools.cache
def _thread_pools():
    """The native thread pools loaded in the process (found once: a scan of the loaded
    libraries takes milliseconds, a limit through the found ones microseconds)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


# ----------------------------------------------------------- building modules

class ModuleTooLarge(Exception):
    """Raised by :func:`plan_module` when a module asks for more elements than allowed."""

    def __init__(self, n_elements):
        super().__init__(n_elements)
        self.n_elements = n_elements


class _counting_factories(TorchFunctionMode):
    """Count the elements of the tensors made in the block; past ``limit``, stop."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func in _FLOAT_FACTORIES or func in _INFERRING_FACTORIES:
            self.count += out.numel()
            if self.count > self.limit:
                raise ModuleTooLarge(self.count)
        return out


def plan_module(cls, kwargs, *, max_elements):
    """``cls(**kwargs)`` in float32 on the meta device: its shapes without memory, weights
    or draws.

    Meta tensors hold no data, so the plan of a module of any size costs no
    memory and draws from no generator. Building it stops, raising
    :class:`ModuleTooLarge`, as soon as its tensors hold more than
    ``max_elements`` elements in all, so that absurd sizes fail at once
    rather than after building thousands of layers.
    """
    with torch.device("meta"), _float32_factories(), _counting_factories(max_elements):
        return cls(**kwargs)


def n_elements(module):
    """Elements of a module's parameters and buffers (its ``state_dict``)."""
    return sum(t.numel() for t in module.state_dict().values())


#: Bytes a parameter takes while training: float32 weight, gradient and Adam's two moments.
TRAINING_BYTES_PER_PARAMETER = 16


def device_memory(device):
    """Bytes of memory of ``device``: the GPU's, or the machine's RAM (None if unknown)."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX
        return None


def format_bytes(n_bytes):
    """``n_bytes`` in B, KiB, MiB, GiB or TiB, three significant digits."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n_bytes < 1024:
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.3g} TiB"


# ------------------------------------------------------- state to and from NumPy

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
