"""Helpers shared by the displays: the lazy matplotlib import and input checks."""

# SPDX-License-Identifier: BSD-3-Clause

import math
from numbers import Integral

import numpy as np
from sklearn.utils import check_scalar

# scikit-learn's own displays merge style keywords with this private helper
from .._compat import _validate_style_kwargs

_INSTALL_HINT = "pip install skgen[plots]"


def _import_pyplot(caller):
    """Import :mod:`matplotlib.pyplot`, or say how to install it.

    Parameters
    ----------
    caller : str
        Named in the error, e.g. ``"LatentSpaceDisplay.plot"``.

    Returns
    -------
    module
        ``matplotlib.pyplot``.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, which is not installed. Install it with "
            f"`{_INSTALL_HINT}` (or `pip install matplotlib`)."
        ) from exc
    return plt


def _axes(ax, caller):
    """``(ax, figure)``: ``ax`` itself, or new axes on a new figure when it is None."""
    plt = _import_pyplot(caller)
    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    return ax, ax.figure


def _name(estimator):
    return type(estimator).__name__


def _check_integer(value, name, **bounds):
    """``value`` as an int: a float such as 2.7 or a bool is a TypeError (Python counts
    ``True`` as the integer 1; reliability.md refuses booleans where an integer is expected)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an instance of int, not {type(value).__name__}.")
    return int(check_scalar(value, name, Integral, **bounds))


def _check_count(value, name):
    """``value`` as a positive int; a float such as 2.7 is a TypeError, not truncated to 2."""
    return _check_integer(value, name, min_val=1)


def _style_kwargs(defaults, user, caller, *, set_by_display=(), why=""):
    """Merge a display's default matplotlib keywords with the user's, as scikit-learn does.

    Aliases are resolved (``c`` is ``color``, ``ls`` is ``linestyle``, ...),
    the user's value wins over the default, and both spellings of one keyword
    are a TypeError. A keyword in ``set_by_display``, which the display sets
    itself (``why`` says how), is a ValueError.
    """
    user = _validate_style_kwargs({}, user)
    taken = [key for key in set_by_display if key in user]
    if taken:
        raise ValueError(f"{caller} sets {' and '.join(taken)} itself: {why}")
    return {**defaults, **user}


def _n_latent(estimator):
    """Width of the estimator's ``transform`` output, from its fitted attributes."""
    if hasattr(estimator, "get_feature_names_out"):
        try:
            return len(estimator.get_feature_names_out())
        except Exception:  # noqa: BLE001 - fall back to the parameters below
            pass
    for attr in ("n_components_", "n_components"):
        value = getattr(estimator, attr, None)
        if isinstance(value, (int, np.integer)):
            return int(value)
    return None


def _check_two_components(estimator, caller):
    """Raise a ValueError unless the estimator encodes to exactly 2 latent units."""
    width = _n_latent(estimator)
    if width != 2:
        raise ValueError(
            f"{caller} draws a 2-D latent space, but {_name(estimator)} encodes to "
            f"{width} components (n_components={getattr(estimator, 'n_components', None)!r}). "
            "Fit it with n_components=2."
        )


def _check_image_shape(image_shape, n_features, caller):
    """Validate ``image_shape`` against ``n_features``; None means a square image."""
    if image_shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"{caller}: the rows have {n_features} features, which is not a square "
                "number, so the image shape cannot be guessed; pass image_shape=(height, width)."
            )
        return (side, side)
    if not np.iterable(image_shape) or len(image_shape) != 2:
        raise ValueError(
            f"{caller}: image_shape must be a pair (height, width), got {image_shape!r}."
        )
    shape = tuple(_check_count(s, f"image_shape[{i}]") for i, s in enumerate(image_shape))
    if shape[0] * shape[1] != n_features:
        raise ValueError(
            f"{caller}: image_shape={image_shape!r} does not match the {n_features} features "
            f"of a row; height * width must equal {n_features}."
        )
    return shape


def _mosaic(images, pad=1):
    """Tile ``images`` of shape (n_rows, n_cols, h, w) into one 2-D array.

    Each image gets a ``pad``-pixel frame of NaN, drawn in the axes' background
    colour, so neighbouring images stay apart.
    """
    images = np.asarray(images, dtype=np.float64)
    n_rows, n_cols, h, w = images.shape
    framed = np.pad(images, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=np.nan)
    return framed.transpose(0, 2, 1, 3).reshape(n_rows * (h + 2 * pad), n_cols * (w + 2 * pad))
