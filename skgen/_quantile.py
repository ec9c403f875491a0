"""Quantile normalization of continuous columns as a bijection with a log-Jacobian.

:class:`~skgen.VAETransformer` with ``normalization='quantile'`` models each
continuous column through a monotone map ``u = T(x)`` fitted on the training
values, which sends their empirical distribution to the standard normal (as
TabDDPM and TabSyn normalize their columns): the decoder's Gaussian then only has
to match a near-normal marginal. ``T`` is piecewise linear between knots at the
training quantiles (``x_i``, ``Phi^-1(p_i)``) and continues linearly beyond the
end knots with the slope of the end segments, so it is a bijection of the real
line: every value maps, and :func:`quantile_log_jacobian` (``log T'(x)``) keeps
``score_samples`` a density in the units of X, as the logit map of ``bounds``
does (:func:`skgen._data.logit_log_jacobian`).
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import ndtri

#: Knots per column at most (evenly spaced probabilities, as QuantileTransformer's
#: ``n_quantiles``), and at least ``VALUES_PER_KNOT`` training values per knot: with a
#: knot at every value the density would spike between each two close values.
N_KNOTS = 1000
VALUES_PER_KNOT = 10


def fit_quantile_knots(X, exclude=None):
    """Knots ``(x, u)`` of each column of X: its quantiles and their normal scores.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns)
    exclude : list of (ndarray or None), default=None
        Per column, values left out of the fit (a column's point masses, which
        have probabilities of their own).

    Returns
    -------
    knots : list of (x, u) pairs of increasing 1-D arrays, one per column
        At least two knots each; a column with fewer than two distinct values
        gets the identity map.
    """
    knots = []
    for j in range(X.shape[1]):
        values = np.asarray(X[:, j], dtype=np.float64)
        if exclude is not None and exclude[j] is not None:
            values = values[~np.isin(values, exclude[j])]
        values = np.sort(values)
        n = values.size
        m = min(N_KNOTS, n // VALUES_PER_KNOT)
        if m < 2 or values[0] == values[-1]:
            knots.append((np.array([0.0, 1.0]), np.array([0.0, 1.0])))
            continue
        p = (np.arange(m) + 0.5) / m  # never 0 or 1: finite normal scores
        x = np.quantile(values, p)
        u = ndtri(p)
        # ties (a value many rows share) would make a vertical step: one knot each
        x, first = np.unique(x, return_index=True)
        last = np.r_[first[1:] - 1, len(u) - 1]
        u = (u[first] + u[last]) / 2
        if x.size < 2:
            knots.append((np.array([0.0, 1.0]), np.array([0.0, 1.0])))
            continue
        knots.append((x, u))
    return knots


def _segment(v, a):
    """Index of the segment of knots ``a`` holding each v (end segments extended)."""
    return np.clip(np.searchsorted(a, v, side="right") - 1, 0, a.size - 2)


def _piecewise(V, knots, forward):
    out = np.empty(V.shape, dtype=np.float64)
    for j, (x, u) in enumerate(knots):
        a, b = (x, u) if forward else (u, x)
        v = np.asarray(V[:, j], dtype=np.float64)
        i = _segment(v, a)
        slope = (b[i + 1] - b[i]) / (a[i + 1] - a[i])
        out[:, j] = b[i] + slope * (v - a[i])
    return out.astype(V.dtype, copy=False)


def quantile_map(X, knots):
    """``T(X)`` column by column, in X's dtype."""
    return _piecewise(X, knots, forward=True)


def quantile_inverse(U, knots):
    """``T^-1(U)``: values back in the units of X."""
    return _piecewise(U, knots, forward=False)


def quantile_log_jacobian(X, knots):
    """``sum_j log T_j'(x_j)`` for each row of X (the slope of each value's segment)."""
    total = np.zeros(X.shape[0])
    for j, (x, u) in enumerate(knots):
        i = _segment(np.asarray(X[:, j], dtype=np.float64), x)
        total += np.log((u[i + 1] - u[i]) / (x[i + 1] - x[i]))
    return total
