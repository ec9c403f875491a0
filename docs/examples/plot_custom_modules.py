"""
===============================================================
Your own network: a convolutional autoencoder for 8x8 digits
===============================================================

Every skgen estimator builds an MLP unless you give it an ``encoder`` and a
``decoder`` of your own: any :class:`torch.nn.Module`. X stays a 2-D table;
``input_shape=(1, 8, 8)`` says how a row looks to your encoder (one channel of
8x8 pixels), and skgen reshapes each row on the way in. The estimator is
still a scikit-learn transformer: ``transform``, ``inverse_transform``,
pipelines, ``GridSearchCV`` over your module's own parameters
(``encoder__channels``), pickle, skops and ONNX.

This example writes a small convolutional encoder and decoder, fits them on
scikit-learn's digits, and compares them with the default MLP and with PCA at
the same code size: reconstruction error on held-out digits, and how well a
logistic regression reads the digit from the codes. The numbers printed are
this run's; ``benchmarks/bench_custom_modules.py`` measures the same over
three seeds (``docs/custom_modules.md`` shows its table).

Run ``python docs/examples/plot_custom_modules.py`` from the repository root.
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
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from skgen import AutoencoderTransformer
from skgen.nn import ModuleSpec
from skgen.plotting import ImageGridDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

# %%
# The modules
# -----------
# A module's constructor names what it needs from the data among
# ``n_features``, ``n_components``, ``n_outputs`` and ``input_shape``, and the
# estimator passes those; every other argument (``channels``) is yours. The
# encoder receives ``(batch, 1, 8, 8)`` and returns ``n_outputs`` values per
# row (``n_components`` for an autoencoder); the decoder receives
# ``(batch, n_components)`` and may return the images, ``(batch, 1, 8, 8)``:
# anything that reshapes to ``(batch, n_outputs)``.


class Encoder(nn.Module):
    def __init__(self, n_outputs, channels=8):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 3, stride=2, padding=1), nn.ReLU(),  # 4x4
            nn.Flatten(), nn.Linear(2 * channels * 16, n_outputs))

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    def __init__(self, n_components, channels=8):
        super().__init__()
        self.channels = channels
        self.linear = nn.Linear(n_components, 2 * channels * 16)
        self.net = nn.Sequential(
            nn.ReLU(), nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1),
            nn.ReLU(), nn.Conv2d(channels, 1, 3, padding=1))  # 8x8, one channel

    def forward(self, z):
        return self.net(self.linear(z).reshape(-1, 2 * self.channels, 4, 4))


# %%
# Three models with codes of 8 numbers
# ------------------------------------
# :class:`~skgen.nn.ModuleSpec` holds a module and its parameters; they
# become nested parameters of the estimator, as a kernel's do in
# :class:`~sklearn.gaussian_process.GaussianProcessRegressor`.

conv = AutoencoderTransformer(
    n_components=8, encoder=ModuleSpec(Encoder, channels=8), decoder=ModuleSpec(Decoder),
    input_shape=(1, 8, 8), random_state=0)
print(conv.get_params()["encoder__channels"])
models = {"PCA": PCA(8, random_state=0),
          "MLP autoencoder": AutoencoderTransformer(n_components=8, random_state=0),
          "conv autoencoder": conv}

reconstructions = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, model in models.items():
        model.fit(X_train)
        Z_train, Z_test = model.transform(X_train), model.transform(X_test)
        reconstructions[name] = model.inverse_transform(Z_test)
        mse = np.mean((reconstructions[name] - X_test) ** 2)
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        accuracy = clf.fit(Z_train, y_train).score(Z_test, y_test)
        print(f"{name:18s} held-out MSE {mse:6.3f}   accuracy of a logistic "
              f"regression on the codes {accuracy:.3f}")

# %%
# Held-out digits and their reconstructions
# -----------------------------------------
# The fitted module is the estimator's ``module_``; your network is inside,
# wrapped so that it reads and returns flat rows.

print(conv.module_.encoder.net)
disp = ImageGridDisplay.from_arrays(
    X_test, *reconstructions.values(), n_images=12,
    row_labels=["held-out\ndigits", *reconstructions],
    title="Held-out digits and their reconstructions from codes of 8 numbers",
    vmin=0, vmax=16)
plt.show()
