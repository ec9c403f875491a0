"""Gaussian denoising of held-out digits: noisy input vs PCA vs DenoisingAutoencoder.

Protocol: each data set is split 75/25 (MNIST: a 3000/1000-row subsample of
the 5k sample). The models are fitted on the clean training rows; the held-out
rows get Gaussian noise of standard deviation ``sigma`` (a share of the pixel
range) and each method maps them back. The table gives the mean squared error
to the clean held-out rows, in squared pixel units scaled to [0, 1].

- PCA: project on k components; k is the oracle best over a grid, picked on
  the held-out rows themselves (an upper bound on what PCA can do).
- DenoisingAutoencoder: defaults (``scaling='auto'`` picks one shared scale for
  pixels), except ``noise_level`` set to the test noise in the model's units
  (``sigma / scale_``), so both methods are told the noise level; and the same
  with ``mask_level=0`` (no masking in training: the defaults hide 40% of the
  entries as well, to learn imputation).

Run: ``python -m benchmarks.bench_denoising``; writes benchmarks/results/denoising.md.
"""

import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from benchmarks._datasets import load_mnist
from benchmarks._report import publish
from skgen import DenoisingAutoencoder

LEVELS = (0.2, 0.4)  # noise std as a share of the pixel range [0, 1]
KS = (5, 10, 15, 20, 30, 40, 60, 80, 120)


def load(name):
    if name == "digits":
        X = load_digits().data / 16.0
        return train_test_split(X, test_size=0.25, random_state=0)
    X = load_mnist() / 255.0
    X = X[np.random.RandomState(0).permutation(len(X))[:4000]]
    return X[:3000], X[3000:]


DAE_VARIANTS = {
    "DAE (defaults)": {},
    "DAE (mask_level=0)": {"mask_level": 0.0},
}


def main():
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)
    rows = []
    for name in ("digits", "mnist"):
        X_train, X_test = load(name)
        for sigma in LEVELS:
            X_noisy = X_test + np.random.RandomState(1).normal(scale=sigma, size=X_test.shape)
            mse = lambda Z, ref=X_test: float(np.mean((Z - ref) ** 2))  # noqa: E731
            pca_scores = {}
            for k in KS:
                if k < X_train.shape[1]:
                    pca = PCA(n_components=k, random_state=0).fit(X_train)
                    pca_scores[k] = mse(pca.inverse_transform(pca.transform(X_noisy)))
            best_k = min(pca_scores, key=pca_scores.get)
            std = X_train.std(axis=0)
            common = np.sqrt(np.mean(std[std > 1e-12] ** 2))
            results = {"noisy input": mse(X_noisy), f"PCA (oracle k={best_k})": pca_scores[best_k]}
            times = {}
            for label, params in DAE_VARIANTS.items():
                tic = time.perf_counter()
                dae = DenoisingAutoencoder(noise_level=sigma / common, random_state=0,
                                           **params).fit(X_train)
                times[label] = (time.perf_counter() - tic, dae.n_iter_)
                results[label] = mse(dae.transform(X_noisy))
            rows.append((name, f"{X_train.shape[0]}x{X_train.shape[1]}", sigma, results, times))
            print(rows[-1], flush=True)
    lines = [
        "| data | train rows x features | noise sigma | noisy input | PCA (oracle k) | "
        + " | ".join(DAE_VARIANTS) + " | DAE fit s (epochs) |",
        "|---|---|---:|---:|---:|" + "---:|" * len(DAE_VARIANTS) + "---|",
    ]
    for name, shape, sigma, results, times in rows:
        values = list(results.values())
        best = int(np.argmin(values))
        cells = [f"**{v:.4f}**" if i == best else f"{v:.4f}" for i, v in enumerate(values)]
        pca_label = list(results)[1]
        cells[1] += f" ({pca_label.split('=')[1].rstrip(')')})" if "=" in pca_label else ""
        fit = ", ".join(f"{t:.0f} ({it})" for t, it in times.values())
        lines.append(f"| {name} | {shape} | {sigma} | " + " | ".join(cells) + f" | {fit} |")
    lines += ["", "Pixels scaled to [0, 1]; MSE to the clean held-out rows (lowest in bold). PCA's k "
            "(in brackets) is the oracle best on the held-out rows. The DAE is told the noise: "
            "noise_level = sigma / scale_; otherwise defaults (scaling='auto' picks one shared "
            "scale), which also hide mask_level=0.4 of the entries in training so that the model "
            "can impute; the mask_level=0 row trains on Gaussian noise only. One torch thread; "
            "MNIST: 3000 train / 1000 test rows of the 5k sample."]
    publish("bench_denoising.py", "denoising.md", lines, title="Denoising benchmark")


if __name__ == "__main__":
    main()
