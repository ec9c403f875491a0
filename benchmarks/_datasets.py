"""Loaders for the shared benchmark data in ``../shared/data`` (relative to the repo root).

The package never reads this folder; only benchmarks and docs examples do.
"""

# SPDX-License-Identifier: BSD-3-Clause

from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
ADBENCH_DIR = DATA_DIR / "adbench"


def adbench_names():
    """Names of the ADBench sets on disk (file stems such as ``'6_cardio'``), sorted by number."""
    stems = [p.stem for p in ADBENCH_DIR.glob("*.npz")]
    return sorted(stems, key=lambda s: (int(s.split("_", 1)[0]), s))


def load_adbench(name):
    """``(X, y)`` of one ADBench set: float64 features and 0/1 labels (1 = anomaly)."""
    with np.load(ADBENCH_DIR / f"{name}.npz", allow_pickle=True) as data:
        return np.asarray(data["X"], dtype=np.float64), np.asarray(data["y"]).astype(int).ravel()


def load_mnist():
    """The 5,000 MNIST digits' raw pixels (0-255) as float64, labels dropped."""
    return np.loadtxt(DATA_DIR / "mnist_5k.csv.gz", delimiter=",")[:, :-1]


#: Each part of an ADBench split is capped at this many rows.
CAP = 20_000


def _cap(X, y, seed):
    if len(y) <= CAP:
        return X, y
    stratify = y if np.bincount(y, minlength=2).min() >= 2 else None
    X, _, y, _ = train_test_split(X, y, train_size=CAP, stratify=stratify, random_state=seed)
    return X, y


def adbench_split(X, y, seed):
    """The outlier benchmarks' split: stratified 70/30, each part capped at ``CAP`` rows.

    Returns ``X_train, X_test, y_train, y_test``.
    """
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                              random_state=seed)
    X_tr, y_tr = _cap(X_tr, y_tr, seed)
    X_te, y_te = _cap(X_te, y_te, seed)
    return X_tr, X_te, y_tr, y_te
