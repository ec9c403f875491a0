"""skgen._data on its own: batches, where they are read from, and how they are scaled.

The functions are tested through their contracts (the same bits as
``standardize_rows``, the errors they raise), not through how they are built,
so that a faster implementation passes the same tests. The estimators' use of
them (streaming in fit, scale-equivariant outputs) is tested in test_scale.py
and test_numerics.py; the order in which a StreamedRows reads its rows in
test_engine.py.
"""

import functools

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils import check_array

from skgen._data import (
    StreamedRows,
    as_rows,
    column_stats,
    fit_scaling,
    is_memory_mapped,
    logistic_map,
    logit_log_jacobian,
    logit_map,
    reservoir,
    rows_within,
    shares_one_range,
    standardize_rows,
    standardize_to_tensor,
    torch_float_type,
    training_rows,
)

CPU = torch.device("cpu")


def _table(n=300, dtype=np.float64, seed=0):
    """Correlated columns on different scales and offsets, a constant one last."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4)) @ rng.normal(size=(4, 4))
    X = X * np.array([1e-3, 1.0, 50.0, 1e4]) + np.array([0.0, -3.0, 1e3, 0.0])
    return np.c_[X, np.full(n, 7.5)].astype(dtype)


def _memmap(path, X):
    mm = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    return np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)


def _reference(X, mean, scale):
    """``(X - mean) / scale`` in float64, as float32: the documented formula, in NumPy."""
    return ((np.asarray(X, dtype=np.float64) - mean) / scale).astype(np.float32)


# -------------------------------------------------------------- standardize_rows


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_standardize_rows_is_the_float64_formula_rounded_to_float32(dtype):
    X = _table(dtype=dtype)
    X[::7, 1] = np.nan  # a missing entry stays missing
    mean, scale = np.nanmean(X, axis=0, dtype=np.float64), np.linspace(0.5, 2.0, X.shape[1])
    out = standardize_rows(X, mean, scale)
    assert out.dtype == np.float32 and out.shape == X.shape
    assert_array_equal(out, _reference(X, mean, scale))
    assert np.array_equal(np.isnan(out), np.isnan(X))


def test_standardize_rows_gives_the_same_bits_for_a_large_block_and_its_parts():
    """A block of 10 MB (20 MB as float64, beyond one working buffer) and its slices."""
    X = np.random.default_rng(0).standard_normal(size=(5000, 512), dtype=np.float32) * 3 + 1
    mean, scale = np.full(512, 1.0), np.full(512, 3.0)
    whole = standardize_rows(X, mean, scale)
    assert_array_equal(whole, _reference(X, mean, scale))
    parts = np.concatenate([standardize_rows(X[i:i + 997], mean, scale)
                            for i in range(0, len(X), 997)])
    assert_array_equal(whole, parts)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_standardize_rows_names_the_column_beyond_float32(sign):
    X = np.zeros((5, 4))
    X[3, 2] = sign * 1e30  # 1e40 times its scale: no float32 holds it
    with pytest.raises(ValueError, match=r"column 2 holds values 1e\+40 times its fitted scale"
                                         r".*float32"):
        standardize_rows(X, np.zeros(4), np.full(4, 1e-10))
    X[3, 2] = np.nan  # missing is not out of range
    assert np.isnan(standardize_rows(X, np.zeros(4), np.full(4, 1e-10))[3, 2])


def test_standardize_rows_beyond_float64_raises_its_error_without_a_warning():
    X = np.array([[1.6e308], [0.0]])
    with pytest.raises(ValueError, match="column 0"):
        standardize_rows(X, np.zeros(1), np.full(1, 0.5))


def test_standardize_to_tensor_holds_the_rows_of_standardize_rows():
    X = _table()
    mean, scale = X.mean(axis=0), np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    tensor = standardize_to_tensor(X, mean, scale, CPU)
    assert tensor.dtype == torch.float32 and tensor.device == CPU
    assert_array_equal(tensor.numpy(), standardize_rows(X, mean, scale))


# ------------------------------------------------------ rows sources and streaming


def _index(n, seed=0):
    """A shuffled index with repeats, as a batch of an epoch or a validation set may be."""
    rng = np.random.RandomState(seed)
    return torch.from_numpy(np.r_[rng.permutation(n)[: n // 2], [3, 3, 0, n - 1]])


@pytest.mark.parametrize("source", ["float64", "float32", "memmap", "view of a memmap"])
def test_streamed_batches_have_the_bits_of_the_standardized_tensor(source, tmp_path):
    X = _table(dtype=np.float32 if source != "float64" else np.float64)
    if "memmap" in source:
        X = _memmap(tmp_path / "X.bin", X)
        if source.startswith("view"):
            X = X[10:]
    mean, scale = np.asarray(X).mean(axis=0), np.linspace(1.0, 2.0, X.shape[1])
    expected = standardize_to_tensor(X, mean, scale, CPU)
    standardize = functools.partial(standardize_rows, mean=mean, scale=scale)
    index = _index(len(X))
    for sorted_reads in (True, False):
        rows = StreamedRows(X, standardize, CPU, sorted_reads=sorted_reads)
        batch = rows(index)
        assert batch.dtype == torch.float32 and batch.device == CPU
        assert torch.equal(batch, expected[index])


def test_training_rows_stream_on_the_cpu_reading_a_memmap_in_order(tmp_path):
    """On the CPU every X is streamed; only a memory-mapped one is read in row order."""
    X = _table(dtype=np.float32)
    mean, scale = X.mean(axis=0), np.ones(X.shape[1])
    index = _index(len(X))
    for data, mapped in [(X, False), (_memmap(tmp_path / "X.bin", X), True),
                         (check_array(_memmap(tmp_path / "Y.bin", X)), True)]:
        rows = training_rows(data, mean, scale, CPU)
        assert isinstance(rows, StreamedRows) and rows.sorted_reads == mapped
        assert torch.equal(rows(index), standardize_to_tensor(X, mean, scale, CPU)[index])


def test_as_rows_indexes_a_tensor_and_passes_a_rows_source_through():
    tensor = torch.arange(12.0).reshape(6, 2)
    index = torch.tensor([4, 0, 4])
    assert torch.equal(as_rows(tensor)(index), tensor[index])
    source = StreamedRows(tensor.numpy(), lambda b: b, CPU)
    assert as_rows(source) is source


def test_is_memory_mapped_follows_views_down_to_the_mapping(tmp_path):
    mm = _memmap(tmp_path / "X.bin", _table(dtype=np.float32))
    assert is_memory_mapped(mm)
    assert is_memory_mapped(mm[5:, 1:])  # a view
    assert is_memory_mapped(np.asarray(mm))  # a plain ndarray on the mapping
    assert is_memory_mapped(check_array(mm))  # what validation hands the estimators
    assert not is_memory_mapped(np.array(mm))  # a copy in memory
    assert not is_memory_mapped(_table())
    assert not is_memory_mapped(np.asarray(mm).astype(np.float64))


def test_torch_float_type_keeps_float64_and_makes_the_rest_float32():
    assert torch_float_type(np.zeros(2, dtype=np.float64)) == torch.float64
    assert torch_float_type(np.zeros(2, dtype=np.float32)) == torch.float32


# --------------------------------------------------------------------- scaling


def test_column_stats_agree_with_numpy_and_skip_missing_entries():
    X = _table()
    mean, std, lo, hi = column_stats(X)
    assert_allclose(mean, X.mean(axis=0), rtol=1e-12)
    assert_allclose(std[:4], X[:, :4].std(axis=0), rtol=1e-12)
    assert_array_equal(lo, X.min(axis=0))
    assert_array_equal(hi, X.max(axis=0))
    X[::3, 1] = np.nan
    X[:, 2] = np.nan  # a column with no observed value
    mean, std, lo, hi = column_stats(X, allow_nan=True)
    assert_allclose(mean[[0, 1, 3]], np.nanmean(X[:, [0, 1, 3]], axis=0), rtol=1e-12)
    assert_allclose(std[[0, 1, 3]], np.nanstd(X[:, [0, 1, 3]], axis=0), rtol=1e-12)
    assert mean[2] == 0 and std[2] == 0 and np.isnan(lo[2]) and np.isnan(hi[2])


def test_a_column_is_constant_when_its_spread_is_rounding_noise():
    """Relative to the column's magnitude, whatever the scale of the table."""
    X = _table()
    for c in [1.0, 1e-30, 1e-16, 1e155, 1e300]:
        mean, std, lo, hi = column_stats(X * c)
        assert_allclose(std[:4], X[:, :4].std(axis=0) * c, rtol=1e-12)
        assert std[4] == 0.0  # the constant column, whatever its scale
    # variation at float64's last bits of a large value is noise, not signal
    noisy = np.full((100, 1), 1e6) + np.tile([0.0, 2 ** -30], 50)[:, None]
    assert column_stats(noisy)[1][0] == 0.0


def test_column_stats_names_the_column_whose_range_overflows_float64():
    X = _table()
    X[0, 3], X[1, 3] = -1e308, 1e308
    with pytest.raises(ValueError, match=r"column 3 \('d'\) ranges from -1e\+308 to 1e\+308"):
        column_stats(X, names=np.array(list("abcde"), dtype=object))


def test_fit_scaling_options():
    X = _table()
    std = X.std(axis=0)
    assert fit_scaling(X, None)[0] is None
    assert_array_equal(fit_scaling(X, None)[1], 0)
    assert_array_equal(fit_scaling(X, None)[2], 1)
    name, mean, scale = fit_scaling(X, "standard")
    assert name == "standard"
    assert_allclose(mean, X.mean(axis=0), rtol=1e-12)
    assert_allclose(scale[:4], std[:4], rtol=1e-12)
    name, mean, shared = fit_scaling(X, "global")
    assert name == "global" and np.unique(shared).size == 1
    assert std[:4].min() < shared[0] < std[:4].max()
    assert scale[4] == shared[0]  # 'standard' scales a constant column by the shared scale
    # the table has mixed units: 'auto' standardizes each column
    assert fit_scaling(X, "auto")[0] == "standard"


def test_auto_scaling_shares_one_scale_between_columns_of_one_range():
    """Pixel-like columns, most reaching both ends of one range, share one scale."""
    rng = np.random.RandomState(0)
    pixels = rng.randint(0, 17, size=(200, 10)).astype(float)
    pixels[:, 9] = np.minimum(pixels[:, 9], 3)  # a rarely-bright pixel stays in the range
    lo, hi = pixels.min(axis=0), pixels.max(axis=0)
    assert shares_one_range(lo, hi)
    assert fit_scaling(pixels, "auto")[0] == "global"
    X = _table()
    assert not shares_one_range(X.min(axis=0), X.max(axis=0))
    assert not shares_one_range(np.array([1.0, 2.0]), np.array([1.0, 2.0]))  # none varies
    # columns with no observed value (NaN bounds) are not counted against the rest
    assert shares_one_range(np.r_[lo, np.nan], np.r_[hi, np.nan])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_scaling_with_scaling_none_names_a_column_float32_cannot_hold(dtype):
    X = _table(dtype=dtype)
    X[:, 1] = np.float32(1e-39) if dtype == np.float32 else 1e-39  # nonzero, below normal
    with pytest.raises(ValueError, match="scaling=None.*column 1 is .*below float32's"):
        fit_scaling(X, None)
    if dtype == np.float64:
        X[:, 1] = 1e39
        with pytest.raises(ValueError, match="scaling=None.*column 1 reaches 1e\\+39"):
            fit_scaling(X, None)


def test_rows_within_bounds_rows_and_bytes():
    assert rows_within(1000, 10, 10**9) == 1000  # few columns: the row cap
    assert rows_within(1000, 10_000, 8 * 10_000 * 50) == 50  # wide rows: the byte cap
    assert rows_within(1000, 10**9, 8) == 1  # at least one row
    assert rows_within(1000, 0, 8) == 1  # no columns: no division by zero


# ------------------------------------------------------------ the maps of bounds


def test_logit_map_round_trips_inside_the_bounds_and_clips_outside():
    low, high = np.array([0.0, -1.0]), np.array([16.0, 1.0])
    X = np.c_[np.linspace(0, 16, 50), np.linspace(-1, 1, 50)]
    Y = logit_map(X, (low, high))
    assert np.all(np.isfinite(Y)) and np.all(np.diff(Y, axis=0) > 0)  # increasing
    assert_allclose(logistic_map(Y, (low, high)), X, atol=1e-12)
    outside = np.array([[-5.0, 3.0], [20.0, -3.0]])
    assert np.all(np.isfinite(logit_map(outside, (low, high))))
    assert logit_map(np.float32([[8.0, 0.0]]), (low, high)).dtype == np.float32


def test_logit_log_jacobian_is_the_log_derivative_and_minus_inf_outside():
    low, high = np.array([0.0, -1.0]), np.array([16.0, 1.0])
    X = np.c_[np.linspace(0.5, 15.5, 20), np.linspace(-0.9, 0.9, 20)]
    h = 1e-6
    # the map is per column: its Jacobian is diagonal, the sum of log slopes
    slopes = (logit_map(X + h, (low, high)) - logit_map(X - h, (low, high))) / (2 * h)
    assert_allclose(logit_log_jacobian(X, (low, high)), np.log(slopes).sum(axis=1), rtol=1e-6)
    outside = np.array([[-5.0, 0.0], [8.0, 1.5], [8.0, 0.0]])
    log_jacobian = logit_log_jacobian(outside, (low, high))
    assert np.all(log_jacobian[:2] == -np.inf) and np.isfinite(log_jacobian[2])


def test_reservoir_keeps_every_row_until_full_then_a_uniform_sample():
    rows = np.arange(1000.0)[:, None]
    sample, seen = reservoir(None, 0, rows[:60], 100, np.random.RandomState(0))
    assert_array_equal(sample, rows[:60])
    assert seen == 60
    kept = reservoir(sample, seen, rows[60:80], 100, np.random.RandomState(0))[0]
    assert_array_equal(kept, rows[:80])
    assert_array_equal(sample, rows[:60])  # the given sample is never changed in place

    def one_by_one(chunks, most, seed):  # algorithm R, row after row, the same draws
        rng, sample, seen = np.random.RandomState(seed), [], 0
        for chunk in chunks:
            draws = iter(rng.random_sample(max(len(chunk) - max(most - len(sample), 0), 0)))
            for row in chunk:
                if len(sample) < most:
                    sample.append(row)
                else:
                    slot = min(int(next(draws) * (seen + 1)), seen)
                    if slot < most:
                        sample[slot] = row
                seen += 1
        return np.array(sample)

    for seed in range(50):  # chunks that straddle the point where the sample fills
        chunks = [rows[start:start + 37] for start in range(0, 300, 37)]
        rng, sample, seen = np.random.RandomState(seed), None, 0
        for chunk in chunks:
            sample, seen = reservoir(sample, seen, chunk, 100, rng)
        assert seen == sum(len(chunk) for chunk in chunks)
        assert_array_equal(sample, one_by_one(chunks, 100, seed))
