"""Behaviour every skgen estimator shares through ``BaseTorchEstimator``.

Parametrized over ``all_estimators()``, so each new estimator is held to the
same reproducibility, persistence and input-validation rules.
"""

import contextlib
import copy
import io
import pickle
import signal
import threading
import time
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skgen import DivergenceError

from .conftest import ESTIMATORS, fitted_state, make_fast, method_outputs, weight_bytes

#: conftest's output methods less inverse_transform: the ones that take X itself.
X_METHODS = ("transform", "score_samples", "decision_function", "predict")

pytestmark = [
    pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]


def _assert_same_outputs(a, b, X):
    out_a, out_b = method_outputs(a, X, X_METHODS), method_outputs(b, X, X_METHODS)
    assert out_a.keys() == out_b.keys() and out_a
    for name in out_a:
        assert_array_equal(out_a[name], out_b[name], err_msg=name)


def _weights(est):
    return {k: v.clone() for k, v in est.module_.state_dict().items()}


@pytest.fixture
def X():
    rng = np.random.RandomState(42)
    return rng.normal(size=(120, 5)) @ rng.normal(size=(5, 5))


# --------------------------------------------------------------- reproducibility


def test_same_random_state_gives_identical_model(cls, X):
    a = make_fast(cls, random_state=3).fit(X)
    b = make_fast(cls, random_state=3).fit(X)
    for (k, va), vb in zip(_weights(a).items(), _weights(b).values()):
        assert torch.equal(va, vb), k
    _assert_same_outputs(a, b, X)


def test_different_random_state_gives_different_model(cls, X):
    a = make_fast(cls, random_state=3).fit(X)
    b = make_fast(cls, random_state=4).fit(X)
    assert any(not torch.equal(va, vb) for va, vb in zip(_weights(a).values(), _weights(b).values()))


@pytest.mark.parametrize("random_state", [0, None, np.random.RandomState(0)])
def test_fit_leaves_global_state_alone(cls, X, random_state):
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
    make_fast(cls, random_state=random_state).fit(X).partial_fit(X)
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]
    assert torch.get_num_threads() == threads
    assert torch.get_default_dtype() == dtype


def test_outputs_do_not_depend_on_batch(cls, X):
    """Same rows, same outputs, whatever else is in the batch.

    Equal up to float64 rounding: BLAS may sum in a different order for
    different batch shapes, which moves the last bit (~1e-16), never more.
    """
    est = make_fast(cls, random_state=0).fit(X)
    for name, full in method_outputs(est, X, X_METHODS).items():
        for parts in ([X[:7], X[7:]], [X[i:i + 1] for i in range(len(X))], [X[::-1]]):
            got = np.concatenate([getattr(est, name)(p) for p in parts])
            if len(parts) == 1:
                got = got[::-1]
            np.testing.assert_allclose(full, got, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtypes_are_kept(cls, X, dtype):
    est = make_fast(cls, random_state=0).fit(X.astype(dtype))
    if hasattr(est, "transform"):
        assert est.transform(X.astype(dtype)).dtype == dtype
    assert np.all(np.isfinite(est.score_samples(X.astype(dtype))))


# ------------------------------------------------------------------- training


def test_partial_fit_runs_one_epoch_and_keeps_optimizer_state(cls, X):
    est = make_fast(cls, random_state=0).partial_fit(X)
    assert est.n_iter_ == 1 and len(est.loss_curve_) == 1
    steps = [s["step"].item() for s in est.optimizer_.state.values()]
    est.partial_fit(X)
    assert est.n_iter_ == 2 and len(est.loss_curve_) == 2
    assert all(s["step"].item() > prev for s, prev in zip(est.optimizer_.state.values(), steps))


def test_partial_fit_rejects_a_different_number_of_features(cls, X):
    est = make_fast(cls, random_state=0).partial_fit(X)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :3])


def test_warm_start_continues(cls, X):
    est = make_fast(cls, random_state=0, warm_start=True, max_iter=3, early_stopping=False,
                    n_iter_no_change=100).fit(X)
    first = _weights(est)
    est.fit(X)
    assert est.n_iter_ == 6 and len(est.loss_curve_) == 6
    assert any(not torch.equal(v, first[k]) for k, v in _weights(est).items())


def test_fit_starts_from_scratch_without_warm_start(cls, X):
    est = make_fast(cls, random_state=0, max_iter=3, early_stopping=False, n_iter_no_change=100)
    est.fit(X)
    est.fit(X)
    assert est.n_iter_ == 3


def test_history_attributes(cls, X):
    est = make_fast(cls, random_state=0, early_stopping=True, max_iter=4).fit(X)
    assert len(est.loss_curve_) == len(est.validation_loss_curve_) == est.n_iter_
    assert est.best_loss_ == pytest.approx(min(est.validation_loss_curve_))
    est = make_fast(cls, random_state=0, early_stopping=False, max_iter=4).fit(X)
    assert est.validation_loss_curve_ is None and len(est.loss_curve_) == est.n_iter_


def test_convergence_warning_when_max_iter_ends_the_fit(cls, X):
    est = make_fast(cls, random_state=0, max_iter=2, early_stopping=False, n_iter_no_change=50)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        est.fit(X)


def test_no_convergence_warning_when_the_stopping_rule_ends_the_fit(cls, X):
    est = make_fast(cls, random_state=0, max_iter=50, n_iter_no_change=1, tol=1e3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X)
    # the first epoch always improves on +inf; the second cannot improve by tol
    assert est.n_iter_ == 2


def test_verbose_prints_epochs(cls, X, capsys):
    est = make_fast(cls, random_state=0, max_iter=2, verbose=2, early_stopping=True).fit(X)
    out = capsys.readouterr().out
    assert "Epoch 1:" in out and "Epoch 2:" in out and "loss=" in out and "time=" in out
    assert out.count("validation_loss=") == 2
    # partial_fit monitors no validation loss: the fit's last one is not printed again
    est.partial_fit(X)
    out = capsys.readouterr().out
    assert "Epoch 3:" in out and "validation_loss=" not in out


# ------------------------------------------------------------------- persistence


@pytest.mark.parametrize("roundtrip", ["pickle", "joblib"])
def test_persistence_roundtrip(cls, X, roundtrip):
    est = make_fast(cls, random_state=0).fit(X)
    if roundtrip == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        buf = io.BytesIO()
        joblib.dump(est, buf)
        buf.seek(0)
        loaded = joblib.load(buf)
    _assert_same_outputs(est, loaded, X)
    # the optimizer state travels too: continuing gives the same model
    est.partial_fit(X)
    loaded.partial_fit(X)
    _assert_same_outputs(est, loaded, X)


def test_unfitted_estimator_pickles_unfitted(cls):
    loaded = pickle.loads(pickle.dumps(make_fast(cls)))
    with pytest.raises(NotFittedError):
        loaded.score_samples(np.zeros((2, 5)))


def test_model_fitted_on_gpu_loads_on_cpu(cls, X):
    """A pickle made on a CUDA machine loads where CUDA is absent (simulated)."""
    if torch.cuda.is_available():  # the simulation needs a machine without CUDA
        pytest.skip("CUDA present: the fallback path cannot be exercised here")
    est = make_fast(cls, random_state=0).fit(X)
    state = est.__getstate__()
    assert all(isinstance(v, np.ndarray) for v in state["module_"].values())
    state["device_"] = "cuda:0"
    loaded = cls.__new__(cls)
    with pytest.warns(UserWarning, match="not available here"):
        loaded.__setstate__(state)
    assert loaded.device_ == torch.device("cpu") and loaded.device == "cpu"
    _assert_same_outputs(est, loaded, X)


def test_device_parameter_is_never_rewritten(cls, X):
    est = cls(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(X)
    assert est.device == "auto"
    assert est.device_.type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_unavailable_device_is_a_clear_error(cls, X):
    with pytest.raises(ValueError, match="not a valid torch device"):
        make_fast(cls, device="gpu-please").fit(X)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda is not available"):
            make_fast(cls, device="cuda").fit(X)


# Backends torch knows by name but this build cannot use: each used to fail inside torch
# with its own exception (AssertionError, ModuleNotFoundError, RuntimeError).
FOREIGN_DEVICES = ["xpu", "hpu", "privateuseone", "ipu", "vulkan", "mkldnn", "xla", "mtia"]


@pytest.mark.parametrize("device", FOREIGN_DEVICES)
@pytest.mark.filterwarnings("ignore:'mkldnn' is no longer used as device type")
def test_unsupported_device_is_a_clear_error(cls, X, device):
    try:
        torch.zeros(1, device=device)
    except Exception:
        pass
    else:
        pytest.skip(f"this torch build supports {device!r}")
    est = make_fast(cls, device=device)
    with pytest.raises(ValueError, match=f"device='{device}' was requested but this torch build "
                                         "cannot use it"):
        est.fit(X)
    assert not hasattr(est, "module_")


@pytest.mark.parametrize("sizes", [{"n_components": 10**12}, {"hidden_layer_sizes": (10**12,)},
                                   {"hidden_layer_sizes": (2**16,) * 2**12}], ids=str)
def test_absurd_sizes_are_refused_before_allocating(cls, X, sizes):
    """Like PCA's check of n_components: the parameters are counted on the meta device, and a
    module too large to train in the machine's memory is a ValueError naming the sizes.
    (Before, torch tried to allocate it: 10**9 failed after up to half a minute. 10**12 and
    4096 layers of 65536 ask for petabytes, more than any machine running the tests.)"""
    if not set(sizes) <= set(cls().get_params()):
        pytest.skip(f"{cls.__name__} has no {', '.join(sizes)}")
    est = make_fast(cls, **sizes)
    name = next(iter(sizes))
    with pytest.raises(ValueError, match=rf"{name}=.* ask {cls.__name__} for a module of "
                                         r"(more than )?[\d,]+ parameters: training it takes "
                                         r"about [\d.]+ [GT]iB .* more than the"):
        est.fit(X)
    assert not hasattr(est, "module_")


# ------------------------------------------------------------------- bad input


def test_not_fitted(cls, X):
    est = make_fast(cls)
    for name in X_METHODS:
        if hasattr(est, name):
            with pytest.raises(NotFittedError):
                getattr(est, name)(X)


def test_nan_and_inf_are_named(cls, X):
    X_inf = X.copy()
    X_inf[3, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        make_fast(cls).fit(X_inf)
    if not cls._allow_nan:
        X_nan = X.copy()
        X_nan[0, 0] = np.nan
        with pytest.raises(ValueError, match="NaN"):
            make_fast(cls).fit(X_nan)
        est = make_fast(cls, random_state=0).fit(X)
        with pytest.raises(ValueError, match="NaN"):
            est.score_samples(X_nan)


def test_string_columns_are_typed(cls, X):
    """Every estimator reads a DataFrame's string column as a column of levels, and a
    string column at inference that was numbers at fit is named."""
    df = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    df["city"] = ["Paris", "Oslo"] * (len(df) // 2)
    est = make_fast(cls).fit(df)
    assert est.column_types_[-1] == "binary"
    assert list(est.levels_[-1]) == ["Oslo", "Paris"]
    numeric = make_fast(cls).fit(df.assign(city=np.arange(len(df)) % 2))
    with pytest.raises(ValueError, match="Column 'city' was numeric at fit"):
        numeric.score_samples(df)


def test_object_dataframe_of_numbers_is_accepted(cls, X):
    """A DataFrame of object dtype holding numbers is data, as the same NumPy object array
    (and PCA) take it: the same model and outputs as on the float array."""
    columns = [f"c{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X.astype(object), columns=columns)
    frame.iloc[0, 0] = 1  # ints and floats mixed, still numbers
    floats = pd.DataFrame(frame.to_numpy(dtype=np.float64), columns=columns)
    reference = make_fast(cls, random_state=0).fit(floats)
    est = make_fast(cls, random_state=0).fit(frame)
    _assert_same_outputs_as(est, method_outputs(reference, floats, X_METHODS), frame)


def test_sparse_input_is_rejected(cls, X):
    with pytest.raises(TypeError, match="[Ss]parse"):
        make_fast(cls).fit(sp.csr_matrix(X))


def test_one_sample_is_rejected(cls, X):
    with pytest.raises(ValueError, match="1 sample"):
        make_fast(cls).fit(X[:1])


def test_wrong_number_of_features(cls, X):
    est = make_fast(cls, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 5"):
        est.score_samples(X[:, :3])


@pytest.mark.parametrize(
    "param, value", [("max_iter", 0), ("learning_rate_init", -1.0), ("activation", "swish!"),
                     ("batch_size", 0), ("validation_fraction", 1.5)]
)
def test_invalid_parameters(cls, X, param, value):
    with pytest.raises(InvalidParameterError, match=param):
        make_fast(cls, **{param: value}).fit(X)


@pytest.mark.parametrize("sizes", [(16, 0), (True,), (16, np.True_), (16.0,), [[16]],
                                   np.array(16.0)], ids=repr)
def test_invalid_hidden_layer_sizes(cls, X, sizes):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        make_fast(cls, hidden_layer_sizes=sizes).fit(X)


def test_a_0d_array_of_one_size_is_one_hidden_layer(cls, X):
    shapes = [[p.shape for p in make_fast(cls, hidden_layer_sizes=sizes,
                                          random_state=0).fit(X).module_.parameters()]
              for sizes in (np.array(16), (16,))]
    assert shapes[0] == shapes[1]


@pytest.mark.parametrize("shape", [(5.0,), (True, 5), ()], ids=repr)
def test_input_shape_takes_counts_as_hidden_layer_sizes_do(cls, X, shape):
    # one rule for both sizes: a float or a bool is refused, not read as 2 or 1
    with pytest.raises(ValueError, match="input_shape must be a sequence of positive integers"):
        make_fast(cls, input_shape=shape).fit(X)


def test_diverging_fit_raises_and_stores_no_model(cls, X):
    est = make_fast(cls, learning_rate_init=1e30, random_state=0, max_iter=3)
    with pytest.raises(DivergenceError, match="non-finite"):
        est.fit(X * 1e3)
    with pytest.raises(NotFittedError):
        est.score_samples(X)


def test_diverging_partial_fit_restores_the_model(cls, X):
    est = make_fast(cls, random_state=0).fit(X)
    est.set_params(learning_rate_init=1e30)
    for _ in range(5):  # a huge step shows as non-finite weights within a few epochs
        before, weights = method_outputs(est, X, X_METHODS), _weights(est)
        try:
            est.partial_fit(X * 1e3)
        except DivergenceError:
            break
    else:
        pytest.fail("learning_rate_init=1e30 never diverged")
    for k, v in _weights(est).items():
        assert torch.equal(v, weights[k]), k
    after = method_outputs(est, X, X_METHODS)
    for name in before:
        assert_array_equal(before[name], after[name])


# ----------------------------------------------------------- atomic calls


@pytest.fixture
def alarm(cls, X):
    """``alarm(seconds)`` arms a real SIGALRM that raises KeyboardInterrupt, as Ctrl-C does.

    A first fit in the process imports what torch loads lazily, which can take
    seconds; one fit beforehand makes sure the alarm lands in training. The
    teardown checks that the test left torch's grad mode on: a fit that let
    an interrupt switch it off would otherwise make the next test's first fit
    fail (in ``[VAETransformer]`` after ``[DenoisingAutoencoder]``).
    """
    make_fast(cls, max_iter=1).fit(X)
    previous = signal.getsignal(signal.SIGALRM)

    def arm(seconds):
        signal.signal(signal.SIGALRM, signal.default_int_handler)
        signal.setitimer(signal.ITIMER_REAL, seconds)

    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)
    grad_mode = torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    assert grad_mode, "the test left torch's grad mode off"


# Epochs enough that training outlasts the alarm by far, and no stopping rule.
ENDLESS = {"max_iter": 100_000, "tol": 0.0, "n_iter_no_change": 100_000}


def _fit_interrupted(est, X, alarm):
    """``est.fit(X)`` interrupted by a real SIGALRM once training runs.

    An interrupt before the training loop (a machine so loaded that checking X
    takes a second) undoes the call like any exception; then the alarm is
    armed again, for up to three tries.
    """
    for _ in range(3):
        alarm(1.0)
        try:
            with pytest.warns(UserWarning, match="interrupted"):
                return est.fit(X)
        except KeyboardInterrupt:
            continue
    pytest.fail("three interrupts in a row landed outside training")


def _assert_complete(est, X):
    """Fitted, consistent and usable: every output method runs and is finite."""
    assert est.n_iter_ == len(est.loss_curve_)
    for name, out in method_outputs(est, X, X_METHODS).items():
        assert np.all(np.isfinite(out)), name


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="SIGALRM timers are POSIX-only")
def test_interrupted_fit_finishes_with_the_weights_reached(cls, X, alarm):
    est = _fit_interrupted(make_fast(cls, random_state=0, **ENDLESS), X, alarm)
    assert est.n_iter_ < ENDLESS["max_iter"]
    _assert_complete(est, X)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="SIGALRM timers are POSIX-only")
def test_interrupted_warm_start_refits_every_fitted_attribute(cls, X, alarm):
    params = {"contamination": 0.1} if "contamination" in cls().get_params() else {}
    est = make_fast(cls, random_state=0, max_iter=3, early_stopping=False, **params).fit(X)
    before = method_outputs(est, X, X_METHODS)
    est.set_params(warm_start=True, **ENDLESS)
    _fit_interrupted(est, X, alarm)
    assert est.n_iter_ >= 3
    _assert_complete(est, X)
    after = method_outputs(est, X, X_METHODS)
    assert not np.array_equal(before["score_samples"], after["score_samples"])
    if params:  # the threshold comes from the new weights: it flags 10% of the training rows
        assert np.mean(after["predict"] == -1) == pytest.approx(0.1, abs=1 / len(X))


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="SIGALRM timers are POSIX-only")
def test_interrupts_during_inference_and_partial_fit_leave_grad_mode_on(cls, X, alarm):
    """Real SIGALRMs at random moments of inference and ``partial_fit`` calls.

    Many land inside torch's own ``no_grad`` blocks (``Module.to`` for the float64
    copy of the weights, ``Optimizer.step``); before the fix, one of them left
    ``torch.is_grad_enabled()`` False within a few hundred interrupts, and every
    later fit failed with "element 0 of tensors does not require grad".
    """
    est = make_fast(cls, random_state=0).fit(X)
    rows = X[:10]  # short calls: most of their time goes to torch's Python code
    calls = [getattr(est, m) for m in X_METHODS if hasattr(est, m)] + [est.partial_fit]
    fired = []

    def interrupt(signum, frame):  # partial_fit catches the interrupts that land in training
        fired.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGALRM, interrupt)  # the fixture puts the previous handler back
    rng = np.random.RandomState(0)
    deadline = time.monotonic() + 5.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # partial_fit's "interrupted"
        while len(fired) < 300 and time.monotonic() < deadline:
            interrupts = len(fired)
            try:
                signal.setitimer(signal.ITIMER_REAL, rng.uniform(1e-5, 2e-3))
                while len(fired) == interrupts:
                    for call in calls:
                        call(rows)
            except KeyboardInterrupt:
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            assert torch.is_grad_enabled(), f"grad mode off after {len(fired)} interrupts"
    assert len(fired) > 10
    _assert_complete(est, X)
    make_fast(cls, random_state=0).fit(X)  # and a fit trains


def test_failed_refit_keeps_the_previous_model(cls, X):
    est = make_fast(cls, random_state=0).fit(X)
    state, outputs = fitted_state(est), method_outputs(est, X, X_METHODS)
    bad = X.copy()
    bad[0, 0] = np.inf
    for call in (est.fit, est.partial_fit):
        with pytest.raises(ValueError, match="infinity"):
            call(bad)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :3])
    est.set_params(warm_start=True)
    with pytest.raises(ValueError, match="features"):
        est.fit(X[:, :3])
    est.set_params(warm_start=False)
    wide = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    city = np.array(["Oslo"] * len(wide), dtype=object)
    city[1] = None  # missing: an error but for DenoisingAutoencoder, which fills it
    city[2] = b"Oslo"  # not a level type a saved model holds: an error for all
    with pytest.raises(ValueError, match="missing|holds values of type"):
        est.fit(wide.assign(city=city))
    assert fitted_state(est) == state
    _assert_same_outputs_as(est, outputs, X)


def _assert_same_outputs_as(est, outputs, X):
    after = method_outputs(est, X, X_METHODS)
    for name in outputs:
        assert_array_equal(outputs[name], after[name], err_msg=name)


@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit"])
def test_diverging_call_restores_everything(cls, X, how):
    est = make_fast(cls, random_state=0, max_iter=3).fit(X)
    if how == "warm_start":
        est.set_params(warm_start=True)
    state, outputs = fitted_state(est), method_outputs(est, X, X_METHODS)
    est.set_params(learning_rate_init=1e30)
    call = est.partial_fit if how == "partial_fit" else est.fit
    for _ in range(5):  # a huge step shows as non-finite weights within a few epochs
        try:
            call(X * 1e3)
        except DivergenceError:
            break
        state, outputs = fitted_state(est), method_outputs(est, X, X_METHODS)
    else:
        pytest.fail("learning_rate_init=1e30 never diverged")
    assert fitted_state(est) == state  # weights, optimizer, history, thresholds, generator
    _assert_same_outputs_as(est, outputs, X)


def test_loss_curve_is_not_shared_with_later_calls(cls, X):
    est = make_fast(cls, random_state=0, max_iter=3, early_stopping=False).fit(X)
    curve = est.loss_curve_
    est.partial_fit(X)
    assert len(curve) == 3 and len(est.loss_curve_) == 4


def test_boolean_is_not_an_integer_parameter(cls, X):
    params = {"max_iter": True}
    if "n_components" in cls().get_params():
        params = {"n_components": True}
    with pytest.raises(InvalidParameterError, match="must be an int, got True"):
        make_fast(cls, **params).fit(X)


def test_polars_string_column_is_typed(cls, X):
    pl = pytest.importorskip("polars")  # polars is in the tests extra; optional elsewhere
    df = pl.DataFrame({f"c{i}": X[:, i] for i in range(X.shape[1])}).with_columns(
        city=pl.lit("Oslo"))
    # typed as the pandas frame's column (one level: categorical)
    assert make_fast(cls).fit(df).column_types_[-1] == "categorical"


def test_meta_device_is_a_clear_error(cls, X):
    est = make_fast(cls, device="meta")
    with pytest.raises(ValueError, match="holds no data"):
        est.fit(X)
    assert not hasattr(est, "module_")


# ------------------------------------------------------------------ seeding


def test_fit_never_draws_from_torch_global_generator(cls, X):
    """A thread drawing from the global generator during fits sees its own stream,
    and fits with the same seed stay identical."""
    reference = make_fast(cls, random_state=0, max_iter=2).fit(X)
    drawn, done = [], threading.Event()

    def draw():
        while not done.is_set():
            drawn.append(torch.randn(4))

    with torch.random.fork_rng():
        torch.manual_seed(123)
        thread = threading.Thread(target=draw)
        thread.start()
        try:
            fits = [make_fast(cls, random_state=0, max_iter=2).fit(X) for _ in range(5)]
        finally:
            done.set()
            thread.join()
        torch.manual_seed(123)
        expected = [torch.randn(4) for _ in drawn]
    assert len(drawn) > 10
    assert all(torch.equal(a, b) for a, b in zip(drawn, expected))
    for est in fits:
        _assert_same_outputs(est, reference, X)


# ------------------------------------------------------- torch's global state


@pytest.mark.parametrize("context", [torch.no_grad, torch.inference_mode])
def test_fit_sets_the_grad_mode_it_needs(cls, X, context):
    """As ``MLPRegressor`` fits inside ``torch.no_grad()``, so does every estimator, to the
    same model; the caller's grad mode is theirs again after each call."""
    reference = make_fast(cls, random_state=0).fit(X)
    expected = method_outputs(reference, X, X_METHODS)
    with context():
        est = make_fast(cls, random_state=0).fit(X)
        assert not torch.is_grad_enabled()
        _assert_same_outputs_as(est, expected, X)
        est.partial_fit(X)
        est.set_params(warm_start=True).fit(X)
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    reference.partial_fit(X)
    reference.set_params(warm_start=True).fit(X)
    _assert_same_outputs(est, reference, X)


@contextlib.contextmanager
def _user_setting(name):
    """A user's process-wide torch setting, undone after the block whatever happens."""
    if name == "float64 default dtype":
        dtype = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            yield
        finally:
            torch.set_default_dtype(dtype)
    else:
        with torch.device("meta"):
            yield


@pytest.mark.parametrize("setting", ["float64 default dtype", "meta default device"])
def test_global_torch_settings_change_nothing(cls, X, setting):
    """Fits build float32 modules on their own device whatever torch's defaults say, so
    the models, their outputs, their continued training and their pickles are bit for
    bit the usual ones."""
    reference = make_fast(cls, random_state=0).fit(X)
    expected = method_outputs(reference, X, X_METHODS)
    reference.partial_fit(X)
    with _user_setting(setting):
        est = make_fast(cls, random_state=0).fit(X)
        outputs = method_outputs(est, X, X_METHODS)
        est.partial_fit(X)
        loaded = pickle.loads(pickle.dumps(est))
        continued = method_outputs(loaded, X, X_METHODS)
    for name in expected:
        assert_array_equal(outputs[name], expected[name], err_msg=name)
    assert all(p.dtype == torch.float32 and p.device.type == "cpu"
               for p in loaded.module_.parameters())
    _assert_same_outputs_as(reference, continued, X)


def test_calls_run_on_n_jobs_torch_threads_and_leave_the_callers(cls, X):
    """torch's intra-op threads come from ``n_jobs`` (None: one) during a call, whatever
    the caller set, and are the caller's again after it: the same model and outputs from
    a caller on one thread and on every core."""
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = make_fast(cls, random_state=0).fit(X)
        expected = method_outputs(one, X, X_METHODS)
        torch.set_num_threads(2)
        two = make_fast(cls, random_state=0).fit(X)
        assert torch.get_num_threads() == 2
        outputs = method_outputs(two, X, X_METHODS)
        assert torch.get_num_threads() == 2
        assert weight_bytes(two) == weight_bytes(one)
        for name in expected:
            assert_array_equal(outputs[name], expected[name], err_msg=name)
        make_fast(cls, random_state=0, n_jobs=-1).fit(X)  # every core, then back
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)
    with pytest.raises(InvalidParameterError, match="n_jobs"):
        make_fast(cls, n_jobs="all").fit(X)


def test_n_jobs_limits_the_blas_pools_during_a_call_and_restores_them(cls, X):
    """NumPy's BLAS runs on ``n_jobs`` threads inside a call (a fit's mixture prior and
    robust covariances are small linear algebra) and on the caller's number after it."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from skgen._utils import torch_threads

    def blas_threads():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    with threadpool_limits(limits=2, user_api="blas"):
        with torch_threads(None):
            assert blas_threads() == {1}
        assert blas_threads() == {2}
        make_fast(cls, random_state=0).fit(X)
        assert blas_threads() == {2}


# ------------------------------------------------ parameters changed after fit


#: Another valid value of each shared or estimator-specific parameter, set after a fit.
OTHER_VALUES = {
    "n_components": 3, "hidden_layer_sizes": (7,), "activation": "tanh", "alpha": 0.5,
    "batch_size": 3, "learning_rate_init": 0.5, "max_iter": 1, "tol": 1.0,
    "early_stopping": False, "validation_fraction": 0.5, "n_iter_no_change": 1,
    "random_state": 7, "device": "auto", "scaling": "global",
    "noise": "mask", "noise_level": 0.5, "mask_level": 0.1, "keep_observed": True,
    "contamination": 0.3, "n_estimators": 2, "trim_fraction": 0.3,
    "max_samples": 0.5, "experts": "all",
}


def _inference(est, X):
    out = method_outputs(est, X)
    if hasattr(est, "get_feature_names_out"):
        out["get_feature_names_out"] = est.get_feature_names_out()
    return out


def test_inference_reads_the_fitted_state_only(cls, X):
    """As PCA answers with its fitted state, a parameter set after fit changes no output
    until the next fit. (``n_jobs``, like scikit-learn's, is how a call runs, not what it
    answers; it is left out because torch may round differently on more threads.)"""
    est = make_fast(cls, random_state=0).fit(X)
    expected = _inference(est, X)
    params = est.get_params()
    est.set_params(**{k: v for k, v in OTHER_VALUES.items() if k in params})
    outputs = _inference(est, X)
    assert outputs.keys() == expected.keys()
    for name in expected:
        assert_array_equal(outputs[name], expected[name], err_msg=name)


def _architecture_changes(est):
    """Another value of each parameter that defines the fitted module or its scaling."""
    params, sizes = est.get_params(), est._module_kwargs
    changes = {"hidden_layer_sizes": (7,), "activation": "tanh",
               "scaling": "global" if est.scaling_ == "standard" else "standard"}
    for name in ("n_components", "n_estimators"):
        if name in params:
            changes[name] = sizes[name] + 1
    # what reads the columns before the module: a warm start silently kept the fitted ones
    changes["column_types"] = "continuous"  # resolves like 'auto' here, but was not asked
    if "normalization" in params:
        changes["normalization"] = "quantile"
    return changes


def test_a_continued_fit_takes_the_new_l2_penalty(cls, X):
    """``alpha`` set between calls is the penalty of the next steps, as ``learning_rate_init``
    is (and as MLPRegressor's warm start takes it): it was silently the first fit's."""
    first = make_fast(cls, random_state=0, max_iter=2).fit(X)
    kept, changed = copy.deepcopy(first), copy.deepcopy(first)
    kept.partial_fit(X)
    changed.set_params(alpha=1.0).partial_fit(X)
    assert changed.optimizer_.param_groups[0]["weight_decay"] == 1.0
    assert changed.optimizer_.param_groups[1]["weight_decay"] == 0.0  # biases take none
    kept_weights = dict(kept.module_.named_parameters())
    differ = [not torch.equal(p, kept_weights[name])
              for name, p in changed.module_.named_parameters()]
    assert any(differ)


def test_resuming_after_the_architecture_changed_is_refused(cls, X):
    """partial_fit and a warm_start fit continue the fitted module: with another
    architecture set since, they raise, name it and change nothing; a fit from
    scratch takes it (before, a warm start silently kept the old network)."""
    est = make_fast(cls, random_state=0, max_iter=3).fit(X)
    state, outputs = fitted_state(est), method_outputs(est, X, X_METHODS)
    changes = _architecture_changes(est)
    for name, value in changes.items():
        fitted = est.get_params()[name]
        est.set_params(**{name: value})
        with pytest.raises(ValueError, match=rf"partial_fit continues the fitted model, .*{name} "
                                             r"was .* and is now"):
            est.partial_fit(X)
        est.set_params(warm_start=True)
        with pytest.raises(ValueError, match=rf"fit with warm_start=True continues .*{name} was"):
            est.fit(X)
        est.set_params(**{name: fitted}, warm_start=False)
    assert fitted_state(est) == state
    _assert_same_outputs_as(est, outputs, X)
    est.set_params(**changes).fit(X)  # from scratch
    sized = [k for k in changes if k in est._module_kwargs]
    assert {k: est._module_kwargs[k] for k in sized} == {k: changes[k] for k in sized}
    if hasattr(est, "get_feature_names_out") and hasattr(est, "transform"):
        assert est.transform(X).shape[1] == len(est.get_feature_names_out())
    est.set_params(warm_start=True).fit(X)  # and continues it
