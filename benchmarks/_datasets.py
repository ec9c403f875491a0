"""Loaders for the shared benchmark data in ``../shared/data`` (relative to the repo root).

The package never reads this folder; only benchmarks and docs examples do.
"""

# SPDX-License-Identifier: BSD-3-Clause

from pathlib import Path

import numpy as np

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
