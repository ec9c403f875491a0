"""
=====================================================
Dimensionality reduction: autoencoder vs PCA
=====================================================

:class:`~skgen.AutoencoderTransformer` is used like
:class:`~sklearn.decomposition.PCA`: ``fit``, ``transform`` to
``n_components`` latent units, ``inverse_transform`` back to pixels. It starts
at the PCA solution and training adds the nonlinear part PCA misses. This
example compares the two on held-out digits: the reconstruction error, the
reconstructions themselves, the 2-D codes, and how well a linear classifier
separates the digits from the codes.
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skgen import AutoencoderTransformer
from skgen.plotting import ImageGridDisplay, LatentSpaceDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

# %%
# Reconstruction error on held-out digits
# ---------------------------------------
# ``max_iter=50`` (default 200) keeps the example fast.

models = {}
for k in (2, 8):
    models["PCA", k] = PCA(n_components=k, random_state=0).fit(X_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models["autoencoder", k] = AutoencoderTransformer(
            n_components=k, max_iter=50, random_state=0).fit(X_train)

for (name, k), model in models.items():
    X_rec = model.inverse_transform(model.transform(X_test))
    mse = np.mean((X_rec - X_test) ** 2)
    Z_train, Z_test = model.transform(X_train), model.transform(X_test)
    accuracy = LogisticRegression(max_iter=2000).fit(Z_train, y_train).score(Z_test, y_test)
    print(f"{name:>11}, k={k}: reconstruction MSE {mse:6.2f}, "
          f"logistic regression on the codes {accuracy:.3f}")

# %%
# Reconstructions
# ---------------
# With 8 components both keep the digit's identity; the autoencoder's
# reconstructions are sharper.

rows = [X_test] + [models[name, 8].inverse_transform(models[name, 8].transform(X_test))
                   for name in ("PCA", "autoencoder")]
ImageGridDisplay.from_arrays(*rows, row_labels=["original", "PCA, k=8", "autoencoder, k=8"],
                             title="held-out digits", vmin=0, vmax=16)

# %%
# Two-dimensional codes
# ---------------------
# With two components, PCA can only project on a plane; the autoencoder can
# bend the plane, and separates the classes better.

fig, axes = plt.subplots(1, 2, figsize=(12, 5.5), layout="constrained")
LatentSpaceDisplay.from_estimator(models["PCA", 2], X_test, y_test, ax=axes[0])
LatentSpaceDisplay.from_estimator(models["autoencoder", 2], X_test, y_test, ax=axes[1])
plt.show()
