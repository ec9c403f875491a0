"""benchmarks/_synthetic.py: ADBench's four synthetic anomaly types, and their suite."""

import numpy as np
import pytest

from benchmarks import _datasets, _synthetic
from benchmarks._synthetic import (
    ALPHA,
    MAX_DEPENDENCY_COLUMNS,
    MAX_NORMAL_ROWS,
    MIN_ANOMALIES,
    dependency_set,
    fit_mixture,
    mixture_sets,
    synthetic_sizes,
)


def _blob(n=600, p=4, centre=10.0, seed=0):
    """One Gaussian blob, unit variance, away from the origin (so that scaled means move)."""
    return np.random.RandomState(seed).normal(centre, 1.0, size=(n, p))


def _correlated(n=400, p=3, seed=0):
    """Columns that are one shared factor plus a little noise: strongly dependent."""
    rng = np.random.RandomState(seed)
    factor = rng.normal(size=(n, 1))
    return 5.0 + factor + 0.2 * rng.normal(size=(n, p))


@pytest.mark.parametrize("n_normal, n_anomalies", [(90, 10), (500, 100), (20_000, 400)])
def test_sizes_keep_the_share_and_adbench_row_counts(n_normal, n_anomalies):
    normal, anomalies = synthetic_sizes(n_normal, n_anomalies)
    share = n_anomalies / (n_normal + n_anomalies)
    assert normal == min(max(n_normal, round(1000 * (1 - share))), MAX_NORMAL_ROWS)
    assert anomalies / (normal + anomalies) == pytest.approx(share, abs=1 / normal)


def test_sizes_floor_the_anomalies_of_a_rare_class():
    normal, anomalies = synthetic_sizes(95_000, 30)  # 34_smtp's counts
    assert (normal, anomalies) == (MAX_NORMAL_ROWS, MIN_ANOMALIES)
    with pytest.raises(ValueError, match="normal row"):
        synthetic_sizes(0, 5)


def test_bic_chooses_the_number_of_separated_blobs():
    X = np.vstack([_blob(300, 2, 0.0, 1), _blob(300, 2, 20.0, 2)])
    assert fit_mixture(X, random_state=0).n_components == 2
    assert fit_mixture(_blob(400, 2, 0.0, 3), random_state=0).n_components == 1


def test_mixture_types_have_the_requested_shape_and_labels():
    sets = mixture_sets(_blob(), 500, 40, random_state=0)
    assert set(sets) == {"local", "global", "clustered"}
    for X, y in sets.values():
        assert X.shape == (540, 4)
        assert np.all(y[:500] == 0) and np.all(y[500:] == 1)
        assert np.isfinite(X).all()


def test_same_seed_same_sets_other_seed_other_sets():
    first = mixture_sets(_blob(), 300, 30, random_state=7)
    again = mixture_sets(_blob(), 300, 30, random_state=7)
    other = mixture_sets(_blob(), 300, 30, random_state=8)
    for kind in first:
        np.testing.assert_array_equal(first[kind][0], again[kind][0])
        assert not np.allclose(first[kind][0], other[kind][0])
    # each type draws its own normal rows, and its anomalies from another stream
    assert not np.allclose(first["local"][0][:300], first["global"][0][:300])


def test_local_anomalies_spread_alpha_times_the_variance_around_the_same_centre():
    X, y = mixture_sets(_blob(n=2000), 2000, 2000, random_state=0, types=("local",))["local"]
    normal, anomalies = X[y == 0], X[y == 1]
    ratio = anomalies.var(axis=0) / normal.var(axis=0)
    assert np.all(np.abs(ratio - ALPHA) < 0.25 * ALPHA)
    assert np.allclose(anomalies.mean(axis=0), normal.mean(axis=0), atol=0.3)


def test_clustered_anomalies_are_a_tight_group_far_from_the_normal_rows():
    X, y = mixture_sets(_blob(), 500, 50, random_state=0, types=("clustered",))["clustered"]
    normal, anomalies = X[y == 0], X[y == 1]
    # the centre moves to ALPHA x the mean; the spread stays that of the normal rows
    assert np.allclose(anomalies.mean(axis=0), ALPHA * normal.mean(axis=0), rtol=0.05)
    assert np.all(anomalies.std(axis=0) < 1.5 * normal.std(axis=0))
    gap = np.linalg.norm(anomalies.mean(axis=0) - normal.mean(axis=0))
    assert gap > 10 * np.linalg.norm(normal.std(axis=0))


def test_global_anomalies_are_uniform_within_scaled_bounds_and_leave_the_normal_range():
    X, y = mixture_sets(_blob(p=5), 600, 300, random_state=0, types=("global",))["global"]
    normal, anomalies = X[y == 0], X[y == 1]
    low, high = normal.min(axis=0), normal.max(axis=0)
    assert np.all(anomalies >= 1.1 * low) and np.all(anomalies <= 1.1 * high)
    outside = np.any((anomalies < low) | (anomalies > high), axis=1)
    assert outside.mean() > 0.3
    # uniform, not the normal rows' bell: the middle half of the range holds about half
    mid = np.abs(anomalies - 1.1 * (low + high) / 2) < 1.1 * (high - low) / 4
    assert abs(mid.mean() - 0.5) < 0.1


def test_mixture_types_reject_an_unknown_type():
    with pytest.raises(ValueError, match="mixture types"):
        mixture_sets(_blob(), 50, 5, random_state=0, types=("dependency",))
    with pytest.raises(ValueError, match="unknown synthetic anomaly types"):
        _synthetic.synthetic_from_table(_blob(), np.zeros(600), ["contextual"], "t")


def test_dependency_normal_rows_keep_the_dependence_and_anomalies_break_it():
    pytest.importorskip("copulas", reason="the dependency type needs the copulas package")
    data = _correlated()
    X, y = dependency_set(data, 400, 400, random_state=0)
    normal, anomalies = X[y == 0], X[y == 1]
    assert X.shape == (800, 3) and y.sum() == 400
    off = ~np.eye(3, dtype=bool)
    assert np.corrcoef(normal.T)[off].min() > 0.8
    assert np.abs(np.corrcoef(anomalies.T)[off]).max() < 0.2
    # both keep each column's distribution
    for rows in (normal, anomalies):
        assert np.allclose(rows.mean(axis=0), data.mean(axis=0), atol=0.15)
        assert np.allclose(rows.std(axis=0), data.std(axis=0), rtol=0.15)
    again = dependency_set(data, 400, 400, random_state=0)
    np.testing.assert_array_equal(X, again[0])


def test_dependency_caps_the_columns_and_copies_a_constant_column():
    pytest.importorskip("copulas", reason="the dependency type needs the copulas package")
    data = np.random.RandomState(0).normal(size=(120, MAX_DEPENDENCY_COLUMNS + 10))
    data[:, :] = data[:, :1] + data  # all dependent on the first
    data[:, 3] = 2.5  # constant
    X, _ = dependency_set(data, 50, 10, random_state=0)
    assert X.shape == (60, MAX_DEPENDENCY_COLUMNS)
    X, _ = dependency_set(data[:, :5], 50, 10, random_state=0)
    assert np.all(X[:, 3] == 2.5)


def _fake_tables(monkeypatch, tmp_path, names):
    """The ADBench tables replaced by small blobs, the cache by ``tmp_path``."""
    def load(name):
        X = _blob(seed=names.index(name))
        y = np.r_[np.zeros(560, dtype=int), np.ones(40, dtype=int)]
        return X, y
    monkeypatch.setattr(_datasets, "adbench_names", lambda: list(names))
    monkeypatch.setattr(_datasets, "load_adbench", load)
    monkeypatch.setattr(_datasets, "SYNTHETIC_CACHE", tmp_path)


def test_loader_caches_the_sets_and_serves_them_again(monkeypatch, tmp_path):
    _fake_tables(monkeypatch, tmp_path, ["1_a", "2_b"])
    X, y = _datasets.load_synthetic("clustered/2_b")
    # one mixture fit gives the table's three mixture types at once
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clustered_2_b.npz", "global_2_b.npz", "local_2_b.npz"]
    assert X.shape[1] == 4 and 0 < y.mean() < 0.5

    def no_generation(*args, **kwargs):
        raise AssertionError("generated again instead of reading the cache")
    monkeypatch.setattr(_synthetic, "synthetic_from_table", no_generation)
    X_again, y_again = _datasets.load_synthetic("clustered/2_b")
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    with pytest.raises(ValueError, match="'<type>/<table>'"):
        _datasets.load_synthetic("contextual/2_b")


def test_a_synthetic_set_is_in_the_half_of_its_table(monkeypatch, tmp_path):
    tables = ["1_a", "2_b", "3_c", "4_d", "5_e"]
    _fake_tables(monkeypatch, tmp_path, tables)
    names = _datasets.synthetic_names()
    assert len(names) == 4 * len(tables)
    for half in ("tune", "confirm"):
        own = set(_datasets.suite_half(tables, half))
        chosen = _datasets.suite_half(names, half)
        assert chosen == [n for n in names if n.split("/")[1] in own]
    assert _datasets.suite_half(names, "all") == names
    # the other suites keep their halves by position
    digits = _datasets.digit_names()
    assert _datasets.suite_half(digits, "tune") == digits[0::2]
    assert _datasets.suite_half(digits, "confirm") == digits[1::2]


def test_type_table_averages_each_type_and_half_and_names_the_best_baseline():
    pytest.importorskip("torch")
    from benchmarks.bench_outliers import _type_table

    def row(ae, knn, lof):
        return {"methods": {"AE": {"auc": ae}, "KNN": {"auc": knn}, "LOF": {"auc": lof}}}

    rows = {"local/1_a": row(0.9, 0.6, 0.8), "local/2_b": row(0.5, 0.7, 0.6),
            "global/1_a": row(0.7, 1.0, 0.9), "global/3_c": row(0.9, 0.8, 0.5)}
    halves = {"local/1_a": "tune", "global/1_a": "tune", "local/2_b": "confirm",
              "global/3_c": "tune"}
    lines = _type_table(rows, ["AE", "KNN", "LOF"], halves)
    assert lines[0] == "| method | confirm local | tune local | tune global |"
    assert lines[2] == "| **AE** | 0.5000 | 0.9000 | 0.8000 |"
    assert lines[3] == "| KNN | 0.7000 | 0.6000 | 0.9000 |"
    assert lines[-2] == "| best baseline | KNN 0.7000 | LOF 0.8000 | KNN 0.9000 |"
    assert lines[-1] == "| sets | 1 | 1 | 2 |"
