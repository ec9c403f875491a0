"""Property-based tests: invariants of every estimator over drawn data and parameters.

Hypothesis draws tables (shape, dtype, scale, constant columns, NaN and inf
entries) and parameters, and each test asserts what must hold whatever the
draw:

* finite input gives finite output, or a ValueError/TypeError raised by skgen
  (or scikit-learn's validation) that says what is wrong, never an error from
  inside torch or NumPy;
* a call that fails leaves the estimator exactly as it was;
* the same ``random_state`` gives the same bytes.

The draws are derandomized (the same examples on every run), so the suite is
as reproducible as the rest of the tests.
"""

from pathlib import Path

import numpy as np
import pytest

from .conftest import ESTIMATORS, fitted_state, method_outputs, weight_bytes

hypothesis = pytest.importorskip("hypothesis")  # in the tests extra; optional elsewhere
st = pytest.importorskip("hypothesis.strategies")
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


@st.composite
def tables(draw, *, bad_entries=True):
    """A float table: random shape and dtype, one scale for all its columns or one per
    column (1e-30 to 1e150), maybe constant columns, maybe NaN or inf entries."""
    n_samples = draw(st.integers(2, 40))
    n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features)) @ rng.normal(size=(n_features, n_features))
    exponents = draw(st.one_of(
        st.integers(-30, 150).map(lambda e: np.full(n_features, e)),
        st.lists(st.integers(-30, 150), min_size=n_features, max_size=n_features).map(np.array),
    ))
    X = X * 10.0 ** exponents
    if draw(st.booleans()):  # some constant columns
        constant = draw(st.lists(st.integers(0, n_features - 1), max_size=n_features))
        X[:, constant] = X[0, constant]
    if bad_entries and draw(st.booleans()):
        value = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        rows = draw(st.lists(st.integers(0, n_samples - 1), min_size=1, max_size=n_samples))
        cols = draw(st.lists(st.integers(0, n_features - 1), min_size=1, max_size=n_features))
        X[np.ix_(rows, cols)] = value
    with np.errstate(over="ignore"):  # float32 cannot hold the largest scales: inf
        return X.astype(dtype)


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


def _finite_rows(X):
    return X[np.all(np.isfinite(X), axis=1)]


def _innermost_file(exc):
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return Path(tb.tb_frame.f_code.co_filename)


def _assert_clear_error(exc):
    """A ValueError or TypeError raised by skgen or scikit-learn's validation, with a message."""
    assert isinstance(exc, (ValueError, TypeError)), repr(exc)
    where = _innermost_file(exc).parts
    assert "skgen" in where or "sklearn" in where, f"raised in {'/'.join(where)}: {exc!r}"
    assert str(exc)


def _fit_or_error(est, X):
    """The fitted estimator, or None after checking the error is a clear one."""
    try:
        return est.fit(X)
    except (ValueError, TypeError) as exc:
        _assert_clear_error(exc)
        return None


@SETTINGS
@given(data=st.data())
def test_finite_input_gives_finite_output_or_a_clear_error(cls, data):
    X = data.draw(tables())
    est = cls(**data.draw(parameters(cls)))
    if _fit_or_error(est, X) is None:
        return
    rows = _finite_rows(X)
    if not len(rows):
        return
    for name, out in method_outputs(est, rows).items():
        assert np.all(np.isfinite(out)), f"{name} is not finite on finite rows"


@SETTINGS
@given(data=st.data())
def test_a_failing_call_leaves_the_state_unchanged(cls, data):
    params = data.draw(parameters(cls))
    est = cls(**params).fit(np.random.RandomState(0).normal(size=(30, 4)))
    before = fitted_state(est)
    X = data.draw(tables())
    call = data.draw(st.sampled_from(["fit", "partial_fit", "warm_start"]))
    if call == "warm_start":
        est.set_params(warm_start=True)
    try:
        getattr(est, "partial_fit" if call == "partial_fit" else "fit")(X)
    except (ValueError, TypeError) as exc:
        _assert_clear_error(exc)
        est.set_params(warm_start=False)
        assert fitted_state(est) == before


@SETTINGS
@given(data=st.data())
def test_same_seed_gives_the_same_bytes(cls, data):
    X = data.draw(tables(bad_entries=False))
    params = data.draw(parameters(cls))
    first = _fit_or_error(cls(**params), X)
    if first is None:
        return
    second = cls(**params).fit(X)
    assert weight_bytes(first) == weight_bytes(second)
    a, b = method_outputs(first, X), method_outputs(second, X)
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name

