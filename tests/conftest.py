"""Shared fixtures: small, fast, CPU-pinned instances of every estimator."""

import os

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
