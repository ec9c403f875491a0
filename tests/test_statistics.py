"""The detector's robust statistics on their own: sizes and spreads that survive ties, the
robust Gaussian, the row selections they are computed on and the neighbour searches."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neighbors import NearestNeighbors

from skgen._statistics import (
    TreeNeighbors,
    block_diagonal,
    chi2_quantile,
    distinct,
    every_kth,
    neighbour_search,
    robust_gaussian,
    robust_spread,
    typical_size,
)


def test_typical_sizes_and_spreads_survive_ties():
    """The scales and the threshold's spread come from the rows that do not tie."""
    values = np.r_[np.zeros(600), np.random.RandomState(0).exponential(size=400)]
    assert typical_size(values) == pytest.approx(np.median(values[600:]))
    assert typical_size(np.zeros(5)) == 1.0
    tied = np.r_[np.ones(600), 1 + np.random.RandomState(1).normal(size=400) ** 2]
    assert np.median(np.abs(tied - np.median(tied))) == 0  # the MAD collapses
    assert robust_spread(tied) > 0.1
    normal = np.random.RandomState(2).normal(size=100_000)
    assert robust_spread(normal) == pytest.approx(1.0, rel=0.02)  # the MAD of normal data


def test_the_code_gaussian_ignores_a_cluster_of_anomalies():
    """The latent part's Gaussian comes from the bulk of the codes: 15% of rows in a far
    cluster neither move its centre nor widen it, as they would a plain mean and
    covariance."""
    rng = np.random.RandomState(0)
    cov = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, 0.3], [0.0, 0.3, 1.0]])
    inliers = rng.multivariate_normal(np.zeros(3), cov, size=850)
    Z = np.r_[inliers, rng.normal(size=(150, 3)) * 0.3 + 6.0]
    location, whitening = robust_gaussian(Z, keep=0.9)
    assert np.all(np.abs(location) < 0.15)
    # the inliers come out white (up to the 97.5% truncation of the last step), their
    # correlations included
    white = (inliers - location) @ whitening
    np.testing.assert_allclose(np.cov(white.T), np.eye(3), atol=0.2)
    # a plain mean and covariance are pulled towards the cluster and stretched
    plain = np.linalg.inv(np.linalg.cholesky(np.cov(Z.T))).T
    assert np.all(Z.mean(axis=0) > 0.8)
    assert np.max(np.abs(np.cov((inliers @ plain).T) - np.eye(3))) > 0.5


def test_robust_gaussian_of_clean_data_is_their_mean_and_covariance():
    """With nothing to trim (``keep=1``) the Gaussian is the plain one, plus a ridge of
    1e-3 times the mean variance."""
    Z = np.random.RandomState(0).normal(size=(500, 3)) @ np.diag([1.0, 2.0, 0.5])
    location, whitening = robust_gaussian(Z, keep=1.0)
    assert_allclose(location, Z.mean(axis=0))
    covariance = np.cov(Z.T)
    covariance += 1e-3 * np.trace(covariance) / 3 * np.eye(3)
    assert_allclose(whitening @ whitening.T, np.linalg.inv(covariance), rtol=1e-10,
                    atol=1e-12)


@pytest.mark.parametrize("k, rtol", [(1, 0.04), (2, 0.015), (3, 0.01), (5, 0.01), (30, 0.01)])
def test_chi2_quantile_at_the_median_and_the_cut_off(k, rtol):
    from scipy.stats import chi2, norm

    for p in (0.5, 0.975):
        assert chi2_quantile(k, norm.ppf(p)) == pytest.approx(chi2.ppf(p, k), rel=rtol)


def test_distinct_marks_the_first_occurrence_of_each_row():
    rows = np.array([[1, 2], [3, 4], [1, 2], [5, 6], [3, 4]])
    assert_array_equal(distinct(rows), [True, True, False, True, False])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_distinct_agrees_with_numpy_unique(dtype):
    # the first occurrence of each row by value, as np.unique(axis=0) finds it; -0.0 is 0.0
    rng = np.random.RandomState(0)
    rows = rng.randint(0, 3, size=(500, 3)).astype(dtype)
    rows[rng.rand(500) < 0.2, 0] *= -1  # -0.0 where the value is 0
    _, first = np.unique(rows, axis=0, return_index=True)
    assert_array_equal(np.flatnonzero(distinct(rows)), np.sort(first))
    assert_array_equal(distinct(np.zeros((3, 0))), [True, False, False])


@pytest.mark.parametrize("n, most, expected", [(10, 5, [0, 2, 4, 6, 8]), (10, 4, [0, 3, 6, 9]),
                                               (3, 5, [0, 1, 2]), (0, 5, [])])
def test_every_kth_keeps_at_most_most_evenly_spaced_rows(n, most, expected):
    assert_array_equal(every_kth(np.arange(n), most), expected)


def test_block_diagonal():
    a, b = np.array([[1.0]]), np.array([[2.0, 3.0], [4.0, 5.0]])
    assert_array_equal(block_diagonal([a, b]),
                       [[1.0, 0.0, 0.0], [0.0, 2.0, 3.0], [0.0, 4.0, 5.0]])


@pytest.mark.parametrize("n_columns", [1, 4, 7, 8, 15])
@pytest.mark.parametrize("k", [1, 6, 51])
def test_tree_neighbours_are_scikit_learns(n_columns, k):
    """The k-d tree finds scikit-learn's neighbours at scikit-learn's distances (the same
    bits up to 7 columns, where both sum the squared differences in column order), also
    for a query that is a reference row (its own distance 0 first) and a repeated row."""
    rng = np.random.RandomState(n_columns)
    reference = rng.standard_t(3, size=(400, n_columns))
    reference[1] = reference[0]
    queries = np.r_[reference[:20], rng.standard_t(3, size=(30, n_columns))]
    search = neighbour_search(reference, k)
    assert isinstance(search, TreeNeighbors) and search.n_samples_fit_ == 400
    distances, indices = search.kneighbors(queries)
    expected, expected_indices = NearestNeighbors(n_neighbors=k).fit(reference).kneighbors(
        queries)
    assert distances.shape == indices.shape == (50, k)
    if n_columns <= 7:
        assert_array_equal(distances, expected)
    else:
        assert_allclose(distances, expected, rtol=1e-14, atol=0)
    assert_array_equal(distances[:20, 0], 0.0)
    # the neighbours themselves, but where two reference rows tie (rows 0 and 1)
    untied = ~np.isin(expected_indices, [0, 1]).any(axis=1)
    assert_array_equal(indices[untied], expected_indices[untied])
    # n_neighbors asks for another count, as scikit-learn's does
    assert_array_equal(search.kneighbors(queries, n_neighbors=1)[0], distances[:, :1])


def test_wide_rows_are_searched_by_scikit_learn():
    """Beyond 15 columns a tree prunes little: scikit-learn's search, as its 'auto' picks."""
    reference = np.random.RandomState(0).normal(size=(100, 16))
    assert isinstance(neighbour_search(reference, 5), NearestNeighbors)
