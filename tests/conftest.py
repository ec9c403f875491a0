"""Shared fixtures: small, fast, CPU-pinned instances of every estimator."""

import os
import pickle

# Lets scikit-learn's check_array_api_input run instead of skipping; it must be
# set before SciPy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from skgen.utils import all_estimators  # noqa: E402

ESTIMATORS = [cls for _, cls in all_estimators()]

# Small enough that a fit takes a fraction of a second, large enough to train.
FAST = {"hidden_layer_sizes": (16,), "max_iter": 5, "device": "cpu"}


def make_fast(cls, **params):
    """An instance of ``cls`` sized for tests (CPU, tiny network, few epochs)."""
    return cls(**{**FAST, **params})


@pytest.fixture(scope="session", autouse=True)
def one_native_thread():
    """The tests' own NumPy, SciPy and scikit-learn work (baselines, scikit-learn's
    checks) on one BLAS and OpenMP thread, as skgen's calls run by default
    (``n_jobs=None``): small linear algebra only waits on more threads, for seconds
    on a busy 2-core machine. Tests about threads set their own numbers."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread for a module: tiny networks gain nothing from threads, and on
    a busy machine two were 50x slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    return X, y


@pytest.fixture
def blobs():
    """A 300 x 6 float64 table with columns on very different scales."""
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(300, 2))
    X = np.tanh(Z @ rng.normal(size=(2, 6))) + 0.05 * rng.normal(size=(300, 6))
    return X * np.array([1e-3, 1.0, 10.0, 1e2, 1e4, 1e5])


#: The methods that give a row-wise output, in the order they are compared.
OUTPUT_METHODS = ("transform", "inverse_transform", "score_samples", "decision_function",
                  "predict")


def method_outputs(est, X, methods=OUTPUT_METHODS):
    """``{method: output}`` for each of ``methods`` the estimator has, on X.

    ``inverse_transform`` is given the codes of X.
    """
    out = {}
    for name in methods:
        if hasattr(est, name):
            arg = est.transform(X) if name == "inverse_transform" else X
            out[name] = getattr(est, name)(arg)
    return out


def weight_bytes(est):
    """The fitted module's parameters and buffers as bytes, by name."""
    return {k: v.detach().cpu().numpy().tobytes() for k, v in est.module_.state_dict().items()}


def fitted_state(est):
    """Every fitted attribute of ``est`` (parameters aside), as comparable bytes.

    The module and the optimizer are compared through their state, a fitted
    neighbour search through the rows it searches (it counts its queries).
    """
    params = est.get_params(deep=False)
    state = {k: v for k, v in vars(est).items()
             if k not in params and k not in ("module_", "optimizer_")}
    if hasattr(est, "module_"):
        state["module_"] = weight_bytes(est)
        state["optimizer_"] = repr(est.optimizer_.state_dict())
    for k, v in state.items():
        if hasattr(v, "_fit_X"):
            state[k] = v._fit_X
    return {k: pickle.dumps(v) for k, v in state.items()}
