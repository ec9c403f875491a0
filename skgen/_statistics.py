"""Robust statistics of :class:`~skgen.AEOutlierDetector`'s score, and the evenly spaced
subsamples they are computed on.

Pure NumPy: typical sizes and spreads that survive ties (:func:`typical_size`,
:func:`robust_spread`), a Gaussian fitted by a deterministic minimum covariance
determinant (:func:`robust_gaussian`), and the row selections the detector computes
them on (:func:`distinct`, :func:`every_kth`).
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np
import pandas as pd

#: C-steps of the trimmed Gaussian that the latent part measures codes against.
_GAUSSIAN_STEPS = 3
#: Ridge added to the code covariance, as a share of its mean variance.
_COVARIANCE_RIDGE = 1e-3


def typical_size(values):
    """The typical size of ``values`` (a part of the score over the training rows, which is
    divided by it): the median of the values that are not (nearly) zero.

    Leaving out the rows that tie at zero makes it survive duplicates: a plain median is 0
    when more than half of the rows are one repeated row (their distances to each other
    vanish), and dividing by it would blow every other row up. 1.0 when every value is 0.
    """
    values = np.asarray(values, dtype=np.float64)
    top = float(np.max(values, initial=0.0))
    if top <= 0:
        return 1.0
    return float(np.median(values[values > 1e-9 * top]))


def robust_spread(values):
    """A standard deviation of ``values`` from their quantiles that survives ties.

    1.4826 times the median absolute deviation, as for a normal sample; when more than half
    of the values tie (the MAD is 0), the gap from the median to the first of the 75th, 90th,
    95th and 99th percentiles that is above it, divided by the same gap of a standard
    normal. 0 only when 99% of the values are equal.
    """
    values = np.asarray(values, dtype=np.float64)
    median = float(np.median(values))
    mad = 1.4826 * float(np.median(np.abs(values - median)))
    if mad > 0:
        return mad
    for q, z in ((75, 0.6745), (90, 1.2816), (95, 1.6449), (99, 2.3263)):
        gap = float(np.percentile(values, q)) - median
        if gap > 0:
            return gap / z
    return 0.0


def _gaussian(rows, k):
    """Mean and whitening matrix of ``rows`` (a ridge of ``_COVARIANCE_RIDGE`` times the mean
    variance keeps the covariance invertible); ``whitening @ whitening.T`` is the precision."""
    location = rows.mean(axis=0)
    centred = rows - location
    covariance = centred.T @ centred / max(len(rows) - 1, 1)
    covariance[np.diag_indices(k)] += _COVARIANCE_RIDGE * max(np.trace(covariance) / k, 1e-12)
    return location, np.linalg.inv(np.linalg.cholesky(covariance)).T


def chi2_quantile(k, z):
    """The chi-squared quantile with ``k`` degrees of freedom at the standard normal quantile
    ``z`` (Wilson and Hilferty's cube-root approximation: at the median and the 97.5%
    quantile, within 4% for k = 1, 1.5% for k = 2 and 1% from k = 3)."""
    return k * (1.0 - 2.0 / (9.0 * k) + z * math.sqrt(2.0 / (9.0 * k))) ** 3


def robust_gaussian(Z, keep):
    """Location and whitening matrix of a Gaussian fitted to the rows of ``Z`` robustly.

    The minimum covariance determinant recipe, from two starts that need no random subsets
    (as the deterministic MCD of Hubert, Rousseeuw and Verdonck, 2012): the mean and
    covariance of all rows, and the coordinate-wise medians and robust spreads, which a
    tight cluster of anomalies cannot capture (it can stretch the plain covariance towards
    itself and then look close). From each, ``_GAUSSIAN_STEPS`` C-steps keep the ``keep``
    share of the rows closest (in Mahalanobis distance) to the Gaussian of the previous
    ones and refit it to them; the start whose kept rows have the smaller covariance
    determinant wins. Then, as scikit-learn's :class:`~sklearn.covariance.MinCovDet` does,
    the distances are made consistent (their median matched to the chi-squared median) and
    every row within the 97.5% chi-squared quantile is kept for the final mean and
    covariance. Anomalies in the training rows lie far from the Gaussian of the others and
    drop out, so they do not widen it, while clean data keep nearly all their rows. Returns
    ``(location, whitening)``: ``(z - location) @ whitening`` is white for the kept rows.
    """
    n, k = Z.shape
    n_keep = max(min(n, k + 1), int(math.ceil(keep * n)))
    if n_keep >= n:
        return _gaussian(Z, k)
    spread = np.array([robust_spread(column) for column in Z.T])
    starts = [_gaussian(Z, k), (np.median(Z, axis=0), np.diag(
        1.0 / np.maximum(spread, 1e-6 * max(float(spread.max()), 1e-12))))]
    best = None
    for location, whitening in starts:
        for _ in range(_GAUSSIAN_STEPS):
            distances = np.sum(((Z - location) @ whitening) ** 2, axis=1)
            location, whitening = _gaussian(Z[np.argsort(distances, kind="stable")[:n_keep]], k)
        log_det = -2.0 * float(np.sum(np.log(np.diag(whitening))))  # of the covariance
        if best is None or log_det < best[0]:
            best = (log_det, location, whitening)
    _, location, whitening = best
    distances = np.sum(((Z - location) @ whitening) ** 2, axis=1)
    median = float(np.median(distances))
    if median > 0:  # 0: most rows are one repeated row, which the Gaussian already holds
        consistent = distances * chi2_quantile(k, 0.0) / median
        inside = consistent <= chi2_quantile(k, 1.959964)  # the 97.5% quantile
        if inside.sum() > k:
            location, whitening = _gaussian(Z[inside], k)
    return location, whitening


def distinct(rows):
    """Boolean mask of the first occurrence of each distinct row of ``rows``.

    The sizes that divide the parts of the score and the 'auto' threshold come from
    distinct rows, so that a row repeated many times (a default record, a sensor stuck at
    one reading) counts once there: otherwise, with half of the rows identical, every
    typical size would be that row's and every other row would look extreme. The rest of
    the statistics keep the repeats, which are where the data are dense.

    ``rows`` is 2-D. Rows are compared by the bits of their values plus 0, so -0.0 equals
    0.0 as :func:`numpy.unique` has it (a NaN equals a NaN of the same bits, where
    ``np.unique`` keeps each; the detector refuses NaN). Each row's bytes are one key of
    a hash table: exact, and faster than numpy's sort of whole rows at every width tried
    (10 to 1,000 columns; pandas' column-wise ``duplicated`` is faster on narrow rows and
    slower on wide ones).
    """
    return ~row_keys(rows).duplicated(keep="first").to_numpy()


def row_keys(rows):
    """Each row of the 2-D ``rows`` as one hashable key (its values' bytes, plus 0 so that
    -0.0 is 0.0), in a pandas Series: equal rows, equal keys (see :func:`distinct`)."""
    rows = np.asarray(rows)
    if rows.shape[1] == 0:  # rows of no columns are all one row
        return pd.Series([b""] * len(rows), dtype=object)
    rows = np.ascontiguousarray(rows + 0)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    return pd.Series(keys.tolist(), dtype=object)


def every_kth(rows, most):
    """At most ``most`` evenly spaced ``rows``: every ``ceil(len(rows) / most)``-th."""
    return rows[::max(1, math.ceil(len(rows) / most))]


def block_diagonal(blocks):
    """The block-diagonal matrix of the square ``blocks``."""
    size = sum(len(block) for block in blocks)
    out = np.zeros((size, size))
    start = 0
    for block in blocks:
        out[start:start + len(block), start:start + len(block)] = block
        start += len(block)
    return out


#: A surprisal map's knots: the training values' quantiles at these levels; past the last,
#: an exponential tail fitted to the values above their ``_TAIL_LEVEL`` quantile.
SURPRISAL_LEVELS = np.linspace(0.0, 0.99, 100)
_TAIL_LEVEL = 0.9
#: The parts a surprisal map reads are divided by their typical size (about 1 on a typical
#: training row), so these absolute floors are small against them: the narrowest gap between
#: knots, and the smallest mean excess of the tail. Knots tie where training values do
#: (repeated rows, a part at 0); the gap keeps the map's slope below about 1e6 there, so
#: that rounding (float32 inference, ONNX's distance arithmetic) moves a surprisal by
#: at most about 1e6 times its size.
_KNOT_GAP = 1e-6
_MIN_EXCESS = 1e-3


def fit_surprisal(values):
    """Fit a monotone map of a part of the score to its *surprisal* on the training rows.

    The surprisal of ``s`` is ``-log`` of the share of training ``values`` at least as high:
    read off the training quantiles at ``SURPRISAL_LEVELS`` (linear between them) and, past
    the last (the 99th percentile), extended by the exponential tail of the values above
    their 90th percentile (``-log P(S > s)`` grows by 1 for every mean excess). Parts measured
    in different units (a reconstruction error, a distance) so come to one scale, a
    probability's, learned from the training rows alone; a typical training row is at about
    ``log 2``, one row in a thousand at about ``log 1000``.

    Returns ``(knots, tail)``: the knots (non-decreasing) and the tail's slope.
    """
    values = np.asarray(values, dtype=np.float64)
    knots = np.quantile(values, SURPRISAL_LEVELS)
    top = np.quantile(values, _TAIL_LEVEL)
    excess = float(np.mean(values[values >= top] - top)) if values.size else 0.0
    return knots, 1.0 / max(excess, _MIN_EXCESS)


def surprisal_ramps(knots):
    """The map of :func:`fit_surprisal` as a sum of ramps: ``(starts, widths, rises)``, with
    ``surprisal(s) = sum(rises * clip((s - starts) / widths, 0, 1)) + tail * max(s - knots[-1],
    0)``; the same arithmetic in NumPy, torch and ONNX (where it has no interpolation)."""
    levels = -np.log1p(-SURPRISAL_LEVELS)
    return knots[:-1], np.maximum(np.diff(knots), _KNOT_GAP), np.diff(levels)


def surprisal(values, knots, tail):
    """:func:`fit_surprisal`'s map applied to ``values`` (NumPy)."""
    starts, widths, rises = surprisal_ramps(knots)
    values = np.asarray(values, dtype=np.float64)
    ramps = np.clip((values[:, None] - starts) / widths, 0.0, 1.0) @ rises
    return ramps + tail * np.maximum(values - knots[-1], 0.0)


#: Up to this many columns a k-d tree answers a neighbour query (scikit-learn's
#: ``algorithm='auto'`` draws the same line); beyond, scikit-learn's exhaustive search.
_TREE_MAX_COLUMNS = 15


def neighbour_search(reference, n_neighbors):
    """A fitted exact search for the ``n_neighbors`` nearest rows of ``reference``:
    :class:`TreeNeighbors` for up to ``_TREE_MAX_COLUMNS`` columns, else scikit-learn's
    :class:`~sklearn.neighbors.NearestNeighbors` (an exhaustive search there)."""
    reference = np.asarray(reference, dtype=np.float64)
    if reference.shape[1] <= _TREE_MAX_COLUMNS:
        return TreeNeighbors(n_neighbors).fit(reference)
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(n_neighbors=n_neighbors).fit(reference)


class TreeNeighbors:
    """The ``k`` nearest of the reference rows by SciPy's k-d tree
    (:class:`scipy.spatial.cKDTree`), with scikit-learn's ``kneighbors`` signature.

    The detector's density part asks for the 50 nearest of up to 10,000 codes of a few
    units, for every row it scores. SciPy's tree answers 1.2-1.7 times as fast as
    scikit-learn's :class:`~sklearn.neighbors.KDTree` (4 to 15 columns, 2,000 to 10,000
    reference rows, one thread), with the same neighbours; the distances are KDTree's
    bits up to 7 columns and within 1e-15 beyond (SciPy sums the squared differences of
    longer rows in another order). Against scikit-learn's exhaustive search, which its
    ``algorithm='auto'`` picks when the neighbours are half the references or more,
    they differ by rounding (about 1e-16 relative).
    """

    #: Reference rows per leaf: the fastest of 16 to 128 for 5 and 50 neighbours.
    _LEAF_SIZE = 64

    def __init__(self, n_neighbors):
        self.n_neighbors = n_neighbors

    def fit(self, reference):
        from scipy.spatial import cKDTree

        self.tree_ = cKDTree(np.asarray(reference, dtype=np.float64), leafsize=self._LEAF_SIZE)
        # the reference rows under scikit-learn's name: two trees of the same rows may
        # differ in their buffers' bytes, their rows do not
        self._fit_X = self.tree_.data
        self.n_samples_fit_ = self.tree_.n
        return self

    def kneighbors(self, X, n_neighbors=None):
        """``(distances, indices)`` of each row's nearest reference rows, ascending."""
        k = min(n_neighbors or self.n_neighbors, self.n_samples_fit_)
        # k as the list 1..k: 2-D results even for one neighbour
        return self.tree_.query(np.asarray(X, dtype=np.float64), k=[*range(1, k + 1)],
                                workers=1)


class ExhaustiveNeighbors:
    """The ``k`` nearest of a few reference rows by exhaustive search: one matrix product
    and a partial sort per chunk of queries.

    For many neighbours among few rows (the detector's broad part: a tenth of at most
    1,000 rows) this is 2-3 times faster than scikit-learn's exhaustive search, which
    keeps a heap per query. Squared distances are ``|q|^2 - 2 q.r + |r|^2``, and 0 below
    1e-12 of ``|q|^2 + max |r|^2`` (the ONNX export: of ``|q|^2 + |r|^2``). Only ``kneighbors``'s
    distances are given.
    """

    #: Bytes of one chunk's distance matrix.
    _CHUNK_BYTES = 64 * 2**20

    def __init__(self, n_neighbors):
        self.n_neighbors = n_neighbors

    def fit(self, reference):
        self.reference_ = np.asarray(reference, dtype=np.float64)
        self.reference_sq_ = np.sum(self.reference_**2, axis=1)
        self.n_samples_fit_ = len(self.reference_)
        return self

    def kneighbors(self, X, n_neighbors=None):
        """``(distances, None)``: each row's distances to its nearest reference rows,
        ascending."""
        k = min(n_neighbors or self.n_neighbors, self.n_samples_fit_)
        X = np.asarray(X, dtype=np.float64)
        out = np.empty((len(X), k))
        step = max(1, self._CHUNK_BYTES // (8 * self.n_samples_fit_))
        for start in range(0, len(X), step):
            q = X[start:start + step]
            # a row too large to square (1e160 and more) is infinitely far: inf, not a
            # warning, and not the NaN of inf - inf
            with np.errstate(over="ignore", invalid="ignore"):
                q_sq = np.sum(q**2, axis=1)[:, None]
                squared = q @ self.reference_.T  # one chunk-sized matrix, updated in place
                squared *= -2.0
                squared += q_sq
                squared += self.reference_sq_
            squared[np.isinf(q_sq[:, 0])] = np.inf  # where inf - inf gave NaN
            # a query that is a reference row is at distance 0, which the sum above misses
            # by its rounding (about 1e-16 of the norms, depending on the chunk's shape),
            # and a square root magnifies that: a squared distance below 1e-12 of the
            # norms (bounded by the largest reference norm) is 0, as in the ONNX export
            squared[squared < 1e-12 * (q_sq + self.reference_sq_.max(initial=0.0))] = 0.0
            if k < self.n_samples_fit_:
                squared = np.partition(squared, k - 1, axis=1)[:, :k]
            out[start:start + len(q)] = np.sqrt(np.maximum(np.sort(squared, axis=1), 0.0))
        return out, None
