"""Small helpers shared by the estimators: devices, seeding, state to and from NumPy.

The rows of X, and how they are scaled, are :mod:`skgen._data`.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

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
