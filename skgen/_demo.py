"""``python -m skgen demo``: skgen next to its scikit-learn baselines on built-in data."""

# SPDX-License-Identifier: BSD-3-Clause

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._autoencoder import AutoencoderTransformer


def _timed_fit(est, X):
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    return time.perf_counter() - tic


def _reconstruction_mse(est, X):
    return float(np.mean((est.inverse_transform(est.transform(X)) - X) ** 2))


def reconstruction_table(n_components=(2, 8, 32), random_state=0, out=print):
    """Held-out reconstruction MSE (units of X) and fit time: PCA vs autoencoders on digits."""
    X, _ = load_digits(return_X_y=True)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=random_state)
    models = {
        "PCA": lambda k: PCA(n_components=k, random_state=random_state),
        "AutoencoderTransformer": lambda k: AutoencoderTransformer(
            k, random_state=random_state),
        "AutoencoderTransformer(scaling='global')": lambda k: AutoencoderTransformer(
            k, scaling="global", random_state=random_state),
    }
    out(f"Dimensionality reduction on load_digits: {len(X_train)} training rows, "
        f"{len(X_test)} held-out rows, {X.shape[1]} pixels (0-16).")
    out("Held-out reconstruction MSE in pixel units (lower is better) and fit time.\n")
    header = f"{'model':<42}" + "".join(f"{'k=' + str(k):>18}" for k in n_components)
    out(header)
    out("-" * len(header))
    for name, make in models.items():
        cells = []
        for k in n_components:
            est = make(k)
            seconds = _timed_fit(est, X_train)
            cells.append(f"{_reconstruction_mse(est, X_test):8.3f} ({seconds:5.1f}s)")
        out(f"{name:<42}" + "".join(f"{c:>18}" for c in cells))
    out("\nThe default scales each column to unit variance (right for tables of mixed units);"
        "\nscaling='global' keeps the pixels' common unit, as PCA does.")


def main():
    reconstruction_table()
