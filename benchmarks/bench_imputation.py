"""Imputation of entries missing completely at random: RMSE on the missing entries.

Protocol: for each data set and rate, entries are hidden independently with
that probability (one seed); each imputer is fitted on the incomplete data and
imputes it (transductive, as in practice); RMSE is computed on the hidden
entries in the units of X, divided by the overall standard deviation of X so
that data sets compare. Digits: all 1797 rows; MNIST: 2000 random rows of the
5k sample (pixels / 255); ADBench tables: at most 2000 random rows.

Settings: KNNImputer(n_neighbors=5); IterativeImputer(max_iter=5,
n_nearest_features=20 on MNIST else all, BayesianRidge); DenoisingAutoencoder
with its defaults (Gaussian noise 0.2 plus mask_level=0.4 hidden entries in
training; scaling='auto' picks one shared scale on the two image sets and
per-column scaling on the tables). One torch thread.

Run: ``python -m benchmarks.bench_imputation``; writes benchmarks/results/imputation.md.
"""

import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

from benchmarks._datasets import load_adbench, load_mnist
from benchmarks._report import publish
from skgen import DenoisingAutoencoder

RATES = (0.1, 0.3, 0.5)
TABLES = ("6_cardio", "22_magic.gamma", "35_SpamBase")
MAX_ROWS = 2000


def datasets():
    yield "digits", load_digits().data
    X = load_mnist() / 255.0
    yield "mnist", X[np.random.RandomState(0).permutation(len(X))[:MAX_ROWS]]
    for name in TABLES:
        X, _ = load_adbench(name)
        if len(X) > MAX_ROWS:
            X = X[np.random.RandomState(0).permutation(len(X))[:MAX_ROWS]]
        yield name, X


def imputers(name):
    return {
        "mean": SimpleImputer(strategy="mean", keep_empty_features=True),
        "KNN": KNNImputer(n_neighbors=5, keep_empty_features=True),
        "Iterative": IterativeImputer(max_iter=5, random_state=0, keep_empty_features=True,
                                      n_nearest_features=20 if name == "mnist" else None),
        "DAE": DenoisingAutoencoder(random_state=0),
    }


def main():
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    rows = []
    for name, X in datasets():
        spread = X.std()
        for rate in RATES:
            mask = np.random.RandomState(1).rand(*X.shape) < rate
            X_missing = np.where(mask, np.nan, X)
            result = {}
            for method, imputer in imputers(name).items():
                tic = time.perf_counter()
                X_filled = imputer.fit_transform(X_missing)
                seconds = time.perf_counter() - tic
                rmse = np.sqrt(np.mean((X_filled[mask] - X[mask]) ** 2)) / spread
                result[method] = (rmse, seconds)
            rows.append((name, X.shape, rate, result))
            print(name, rate, {k: (round(v[0], 4), round(v[1], 1)) for k, v in result.items()},
                  flush=True)
    methods = ("mean", "KNN", "Iterative", "DAE")
    lines = ["| data | rows x features | missing | " + " | ".join(
        f"{m} RMSE" for m in methods) + " | " + " | ".join(f"{m} s" for m in methods) + " |",
        "|---|---|---:|" + "---:|" * (2 * len(methods))]
    for name, shape, rate, result in rows:
        best = min(methods, key=lambda m: result[m][0])
        cells = [f"**{result[m][0]:.4f}**" if m == best else f"{result[m][0]:.4f}"
                 for m in methods]
        times = [f"{result[m][1]:.1f}" for m in methods]
        lines.append(f"| {name} | {shape[0]}x{shape[1]} | {int(rate * 100)}% | "
                     + " | ".join(cells) + " | " + " | ".join(times) + " |")
    lines += ["", "RMSE on the hidden entries divided by the standard deviation of all of X (lower "
            "is better; best in bold); fit_transform time in seconds, one torch thread, shared "
            "machine. KNNImputer(n_neighbors=5); IterativeImputer(max_iter=5, BayesianRidge, "
            "n_nearest_features=20 on MNIST); DenoisingAutoencoder defaults "
            "(scaling='auto' chose one shared scale on digits and MNIST). MNIST: 2000 random rows of the 5k sample; ADBench tables: "
            "at most 2000 random rows."]
    publish("bench_imputation.py", "imputation.md", lines, title="Imputation benchmark")


if __name__ == "__main__":
    main()
