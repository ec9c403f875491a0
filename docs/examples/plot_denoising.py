"""
====================================================
Denoising digits with a denoising autoencoder
====================================================

:class:`~skgen.DenoisingAutoencoder` corrupts every training batch afresh and
learns to give back the clean rows. It is fitted here on clean training
digits (it makes its own noise); held-out digits then get Gaussian noise and
``transform`` maps them back. PCA, which keeps only the main directions of
variation, is the classical baseline.

Run ``python docs/examples/plot_denoising.py --save`` from the repository
root to refresh ``docs/images/denoising.png``, which the user guide shows.
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skgen import DenoisingAutoencoder
from skgen.plotting import ImageGridDisplay

X = load_digits().data / 16.0  # pixels in [0, 1]
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
sigma = 0.3
X_noisy = X_test + np.random.RandomState(1).normal(scale=sigma, size=X_test.shape)

# %%
# The model is told the noise level: ``noise_level`` is in units of its
# internal scale, which for pixels (``scaling='auto'`` picks one scale shared
# by all pixels) is the root mean square of the pixels' standard deviations.
# ``max_iter=60`` (default 200) keeps the example fast.

std = X_train.std(axis=0)
common_scale = np.sqrt(np.mean(std[std > 0] ** 2))
dae = DenoisingAutoencoder(noise_level=sigma / common_scale, max_iter=60, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    dae.fit(X_train)
X_denoised = dae.transform(X_noisy)

pca = PCA(n_components=16, random_state=0).fit(X_train)
X_pca = pca.inverse_transform(pca.transform(X_noisy))

for name, Z in [("noisy", X_noisy), ("PCA (16 components)", X_pca),
                ("DenoisingAutoencoder", X_denoised)]:
    print(f"{name:>22}: MSE to the clean digits {np.mean((Z - X_test) ** 2):.4f}")

# %%
# Rows: clean, noisy, PCA's projection, the autoencoder's output.

disp = ImageGridDisplay.from_arrays(
    X_test, X_noisy, X_pca, X_denoised,
    row_labels=["clean", f"noisy (sigma={sigma})", "PCA, k=16", "DenoisingAutoencoder"],
    title="denoising held-out digits", vmin=0, vmax=1,
)

if "--save" in sys.argv[1:]:
    out = Path(__file__).resolve().parents[1] / "images" / "denoising.png"
    disp.figure_.savefig(out, dpi=100)
    print(f"saved {out}")
