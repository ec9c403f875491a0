"""The column-type path: types, levels, their encoding and the mass of unseen values."""

import numpy as np
import pytest

from skgen import _columns as columns


def _smoothed(values):
    """A discrete column of ``values`` and its fitted smoothing."""
    X = np.asarray(values, dtype=np.float64)[:, None]
    levels = [np.unique(X[:, 0])]
    types = np.array(["discrete"], dtype=object)
    coded = np.zeros(1, dtype=bool)
    return types, levels, coded, columns.fit_smoothing(X, types, levels, coded)


@pytest.mark.parametrize("values, step", [
    ([0, 2, 2, 6, 6, 6, 8, 8], 2.0),            # even counts: every other integer
    ([0.0, 0.0625, 0.0625, 0.25, 1.0], 0.0625),  # pixel levels / 16
    ([0.1, 0.2, 0.2, 0.3, 0.7, 0.7], 0.1),       # decimals, not exact in binary
    ([4, 4, 4], 1.0),                            # one integer level: the integers
])
def test_unseen_lattice_values_share_the_smoothing_mass(values, step):
    """The seen levels keep 1 - eps; the lattice's other points sum to eps / 2; every
    other value gets a density that integrates to eps / 2: at most 1 in all."""
    types, levels, coded, smoothing = _smoothed(values)
    eps, origin, found, _ = smoothing[:, 0]
    assert found == pytest.approx(step)
    n1 = np.sum(np.unique(values, return_counts=True)[1] == 1)  # Good-Turing, capped
    assert eps == pytest.approx(min((n1 + 1) / (len(values) + 1), columns.MAX_SMOOTHING_MASS))
    lattice = origin + step * np.arange(-5000, 5000)
    observed, log_mass = columns.smoothing_log_mass(lattice[:, None], types, levels, coded,
                                                    smoothing)
    seen = observed[:, 0]
    assert seen.sum() == len(levels[0])
    np.testing.assert_allclose(log_mass[seen], np.log1p(-eps))
    assert np.all(np.isfinite(log_mass))
    assert np.exp(log_mass[~seen]).sum() == pytest.approx(eps / 2, rel=1e-6)
    # off the lattice: a density (midpoints of a fine grid, none on the lattice)
    grid = np.linspace(origin - 300 * step, origin + 300 * step, 600_001)
    mid = (grid[1:] + grid[:-1]) / 2
    mid = mid[np.abs((mid - origin) / step - np.round((mid - origin) / step)) > 2e-3]
    observed, log_mass = columns.smoothing_log_mass(mid[:, None], types, levels, coded,
                                                    smoothing)
    assert not observed.any()
    assert np.exp(log_mass).sum() * (grid[1] - grid[0]) == pytest.approx(eps / 2, rel=0.01)


def test_levels_on_no_lattice_give_every_other_value_a_density():
    types, levels, coded, smoothing = _smoothed([0.5, 0.5, 0.5])  # one level, not an integer
    assert np.isnan(smoothing[2, 0])
    observed, log_mass = columns.smoothing_log_mass(np.array([[0.5], [7.0], [-1e6]]), types,
                                                    levels, coded, smoothing)
    assert observed[:, 0].tolist() == [True, False, False]
    assert np.all(np.isfinite(log_mass)) and log_mass[0] > log_mass[1] > log_mass[2]


def test_float32_values_match_float64_levels():
    levels = np.array([0.1, 0.2, 0.3, 0.7])
    values = np.array([0.7, 0.1, 0.25, 0.3], dtype=np.float32)
    assert columns.match_levels(values, levels).tolist() == [3, 0, -1, 2]
    # levels a float32 column gave, and float64 copies of its values
    levels32 = levels.astype(np.float32).astype(np.float64)
    assert columns.match_levels(levels, levels32).tolist() == [0, 1, 2, 3]
    # integers are compared exactly
    assert columns.match_levels(np.array([16777217.0]), np.array([16777216.0])).tolist() == [-1]


def test_encode_frame_tells_missing_values_from_unseen_levels():
    """A missing value is NaN and is never counted or named as a level never seen at fit."""
    import pandas as pd

    X = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "kind": ["a", None, "zzz", "b"]})
    levels = [None, np.array(["a", "b"], dtype=object)]
    numeric = [True, False]
    with pytest.raises(ValueError, match=r"Column 'kind' holds 1 value\(s\) never seen at fit "
                                         r"\('zzz'\)"):
        columns.encode_frame(X, numeric, levels, allow_missing=True)
    with pytest.raises(ValueError, match="column 'kind' has missing value"):
        columns.encode_frame(X, numeric, levels)
    for unknown, code in (("mark", 0.0), ("keep", -1.0)):
        frame, unknown_rows = columns.encode_frame(X, numeric, levels, unknown=unknown,
                                                   allow_missing=True)
        np.testing.assert_array_equal(frame["kind"].to_numpy(), [0.0, np.nan, code, 1.0])
        np.testing.assert_array_equal(unknown_rows, [False, False, True, False])
        np.testing.assert_array_equal(frame["x"].to_numpy(), X["x"].to_numpy())


def test_a_continuous_model_of_a_boolean_column_decodes_to_the_nearer_flag():
    """A model saved while bool[pyarrow] was read as a continuous column reconstructs
    numbers; in its boolean dtype they become the nearer of False and True, not True for
    every nonzero number."""
    from skgen._columns import decode_rows

    frame = {"columns": ["b"], "dtypes": ["bool"], "categories": [None], "ordered": [None]}
    out = decode_rows(np.array([[0.1], [0.7], [-0.2], [1.3]]), ["continuous"], [None],
                      np.array([False]), frame=frame)
    assert out["b"].tolist() == [False, True, False, True]
