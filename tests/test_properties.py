"""Property-based tests: invariants of every estimator over drawn data and parameters.

Hypothesis draws parameters and tables (shape, dtype, scale of each column,
constant columns, missing entries where the estimator accepts them), in two
families:

* valid tables, which every estimator must fit: finite (NaN only where the
  estimator takes it as missing), at least two rows, and within what the
  network can see (float32's range, and with ``scaling=None`` values near 1:
  raw values far from 1 may end the fit in a DivergenceError instead);
* invalid tables: a valid table with one problem put in (NaN, inf, a single
  row, a column beyond what float32 or float64 can hold), which every
  estimator must refuse with a ValueError raised by skgen or scikit-learn's
  validation that names the problem (and the column, where skgen checks it).

and each test asserts what must hold whatever the draw:

* a valid table fits and gives finite outputs;
* an invalid table raises a clear error, on a fresh estimator and on a fitted
  one, which it leaves exactly as it was;
* the same ``random_state`` gives the same bytes.

The draws are derandomized (the same examples on every run), so the suite is
as reproducible as the rest of the tests.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .conftest import ESTIMATORS, fitted_state, method_outputs, weight_bytes

# hypothesis is in the tests extra only: without it these property tests skip
hypothesis = pytest.importorskip("hypothesis", reason="hypothesis (tests extra) is not installed")
st = pytest.importorskip("hypothesis.strategies", reason="hypothesis is not installed")
from hypothesis import HealthCheck, given, settings  # noqa: E402

pytestmark = [
    pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # scikit-learn's finiteness check sums X first; on +inf and -inf that sum warns
    # before check_array raises its (clear) error
    pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning"),
]

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Largest power of ten of a column's values. Scaled, any float64 column fits
#: (test_numerics goes to 1e300); float32 X must stay inside float32 (3.4e38)
#: with room for the matrix product that makes the columns correlated; with
#: scaling=None the network sees the raw values, which must stay near 1 for the
#: default learning rate.
MAX_EXPONENT = {np.float64: 150, np.float32: 30, "unscaled": 3}


@st.composite
def valid_tables(draw, cls, scaling):
    """A table ``cls`` must fit with ``scaling``: random shape (at least 2 rows) and
    dtype, one scale (1e-30 up to ``MAX_EXPONENT``) for all its columns or one
    per column, maybe constant columns, maybe NaN entries (where ``cls`` takes
    NaN as missing, even whole columns)."""
    n_samples = draw(st.integers(2, 40))
    n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features)) @ rng.normal(size=(n_features, n_features))
    exponent = st.integers(-30, MAX_EXPONENT["unscaled" if scaling is None else dtype])
    exponents = draw(st.one_of(
        exponent.map(lambda e: np.full(n_features, e)),
        st.lists(exponent, min_size=n_features, max_size=n_features).map(np.array),
    ))
    X = X * 10.0 ** exponents
    if draw(st.booleans()):  # some constant columns
        constant = draw(st.lists(st.integers(0, n_features - 1), max_size=n_features))
        X[:, constant] = X[0, constant]
    if cls._allow_nan and draw(st.booleans()):
        rows = draw(st.lists(st.integers(0, n_samples - 1), min_size=1, max_size=n_samples))
        cols = draw(st.lists(st.integers(0, n_features - 1), min_size=1, max_size=n_features))
        X[np.ix_(rows, cols)] = np.nan
    X = X.astype(dtype)
    assert np.all(np.isfinite(X) | np.isnan(X))  # the strategy's own promise
    return X


#: The problems an invalid table may have: ``kind -> regex`` its error must match
#: (``{j}`` is the column that holds it).
PROBLEMS = {
    "nan": r"contains NaN",
    "inf": r"contains infinity",
    "-inf": r"contains infinity",
    "one row": r"1 sample\(s\).*minimum of 2",
    "beyond float32 unscaled": r"scaling=None.*column {j} reaches .*beyond float32",
    "below float32 unscaled": r"scaling=None.*column {j} is .*below float32's smallest normal",
    "spread beyond float32": r"column {j} ranges from .* overflows float32",
    "spread beyond float64": r"column {j} ranges from .* overflows float64",
}


def _problems(cls, scaling, dtype):
    """The problems that make a ``dtype`` table invalid for ``cls`` with ``scaling``.

    skgen's own range checks come first: hypothesis draws the first ones most often.
    """
    if scaling is None:
        kinds = (["beyond float32 unscaled"] if dtype == np.float64 else []) + [
            "below float32 unscaled"]
    else:
        kinds = ["spread beyond float32" if dtype == np.float32 else "spread beyond float64"]
    return kinds + ([] if cls._allow_nan else ["nan"]) + ["one row", "inf", "-inf"]


@st.composite
def invalid_tables(draw, cls, scaling, resumed=False):
    """``(X, kind, column)``: a valid table with one problem of ``kind`` put in ``column``.

    ``resumed``: only problems a resumed fit (``partial_fit``, ``warm_start``)
    must refuse too. It takes a single row, and it keeps the fitted scaling, so
    it does not check again what only the fitting of a scaling checks: with
    ``scaling=None``, whether a column's values are all below float32's
    smallest normal number.
    """
    X = draw(valid_tables(cls, scaling))
    kinds = [k for k in _problems(cls, scaling, X.dtype.type)
             if not (resumed and k in ("one row", "below float32 unscaled"))]
    kind = draw(st.sampled_from(kinds))
    j = draw(st.integers(0, X.shape[1] - 1))
    rows = draw(st.lists(st.integers(0, len(X) - 1), min_size=1, max_size=len(X), unique=True))
    signs = np.where(np.arange(len(X)) % 2, -1.0, 1.0)
    if kind in ("nan", "inf", "-inf"):
        X[rows, j] = float(kind)
    elif kind == "one row":
        X = X[rows[:1]]
    elif kind == "beyond float32 unscaled":
        X[rows, j] = 10.0 ** draw(st.integers(39, 300))
    elif kind == "below float32 unscaled":  # nonzero, yet subnormal in float32
        X[:, j] = signs * float(np.finfo(np.float32).tiny) / 2
    else:  # a column spanning almost -max to max: its range max - min overflows
        X[:, j] = signs * float(np.finfo(X.dtype).max) * 0.9
    return X, kind, j


@st.composite
def parameters(draw, cls):
    params = {
        "hidden_layer_sizes": draw(st.sampled_from([(), (4,), (8, 4)])),
        "max_iter": draw(st.integers(1, 3)),
        "batch_size": draw(st.sampled_from(["auto", 1, 7, 64])),
        "early_stopping": draw(st.booleans()),
        "scaling": draw(st.sampled_from(["auto", "standard", "global", None])),
        "device": "cpu",
        "random_state": draw(st.integers(0, 10)),
    }
    if "n_components" in cls().get_params():
        params["n_components"] = draw(st.sampled_from(["auto", 1, 2, 3])) if (
            cls.__name__ == "AEOutlierDetector") else draw(st.integers(1, 3))
    return params


def _innermost_file(exc):
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return Path(tb.tb_frame.f_code.co_filename)


def _assert_clear_error(exc, kind, j):
    """A ValueError raised by skgen or scikit-learn's validation that names the problem."""
    assert isinstance(exc, ValueError), repr(exc)
    where = _innermost_file(exc).parts
    assert "skgen" in where or "sklearn" in where, f"raised in {'/'.join(where)}: {exc!r}"
    assert re.search(PROBLEMS[kind].format(j=j), str(exc), flags=re.S), f"{kind}: {exc}"


@SETTINGS
@given(data=st.data())
def test_valid_input_fits_and_gives_finite_output(cls, data):
    params = data.draw(parameters(cls))
    X = data.draw(valid_tables(cls, params["scaling"]))
    est = cls(**params).fit(X)
    outputs = method_outputs(est, X)
    assert outputs
    for name, out in outputs.items():
        assert np.all(np.isfinite(out)), f"{name} is not finite"


@SETTINGS
@given(data=st.data())
def test_invalid_input_raises_an_error_naming_the_problem(cls, data):
    params = data.draw(parameters(cls))
    X, kind, j = data.draw(invalid_tables(cls, params["scaling"]))
    est = cls(**params)
    with pytest.raises(ValueError) as info:
        est.fit(X)
    _assert_clear_error(info.value, kind, j)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


@SETTINGS
@given(data=st.data())
def test_a_failing_call_leaves_the_state_unchanged(cls, data):
    params = data.draw(parameters(cls))
    est = cls(**params).fit(np.random.RandomState(0).normal(size=(30, 4)))
    before = fitted_state(est)
    call = data.draw(st.sampled_from(["fit", "partial_fit", "warm_start"]))
    X, kind, j = data.draw(invalid_tables(cls, params["scaling"], resumed=call != "fit"))
    if call == "warm_start":
        est.set_params(warm_start=True)
    method = getattr(est, "partial_fit" if call == "partial_fit" else "fit")
    with pytest.raises(ValueError):
        method(X)
    est.set_params(warm_start=False)
    assert fitted_state(est) == before


@SETTINGS
@given(data=st.data())
def test_same_seed_gives_the_same_bytes(cls, data):
    params = data.draw(parameters(cls))
    X = data.draw(valid_tables(cls, params["scaling"]))
    first, second = cls(**params).fit(X), cls(**params).fit(X)
    assert weight_bytes(first) == weight_bytes(second)
    a, b = method_outputs(first, X), method_outputs(second, X)
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name
