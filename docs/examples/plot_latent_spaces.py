"""
===============================================================
Latent spaces: an autoencoder's cannot be sampled, a VAE's can
===============================================================

Both models compress the 8x8 digits to two latent units. For each, the
figures show the codes of the digits coloured by their label
(:class:`~skgen.plotting.LatentSpaceDisplay`) and the images decoded from a
regular grid of codes over :math:`[-1.5, 1.5]^2`
(:class:`~skgen.plotting.LatentGridDisplay`), the dashed box of the first
figure.

The VAE's KL term pulls its codes towards a standard normal, so the grid
falls where the data are and every point of it decodes to a plausible digit
that morphs smoothly into its neighbours. The plain autoencoder puts its codes
wherever reconstruction is easiest: the same grid covers a small, arbitrary
part of its latent space and decodes to a few digits and blurs. This is why
an autoencoder has no ``sample`` method and a VAE has one.

Run ``python docs/examples/plot_latent_spaces.py --save`` from the repository
root to refresh ``docs/images/latent_spaces.png``, which the user guide shows.
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skgen import AutoencoderTransformer, VAETransformer
from skgen.plotting import LatentGridDisplay, LatentSpaceDisplay, LossCurveDisplay

X, y = load_digits(return_X_y=True)

# max_iter is lowered from the default 200 to keep the example fast; early
# stopping usually ends training earlier anyway.
models = {
    "autoencoder": AutoencoderTransformer(n_components=2, max_iter=50, random_state=0),
    "VAE": VAETransformer(n_components=2, max_iter=50, random_state=0),
}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for model in models.values():
        model.fit(X)

# %%
# Codes of the digits
# -------------------
# The dashed box is the region decoded below. The autoencoder's codes spread
# far beyond it; the VAE's are concentrated around the origin, where its prior
# :math:`\mathcal{N}(0, I)` has its mass.

box = (-1.5, 1.5, -1.5, 1.5)
fig, axes = plt.subplots(2, 2, figsize=(11, 11), layout="constrained")
for col, model in enumerate(models.values()):
    LatentSpaceDisplay.from_estimator(model, X, y, ax=axes[0, col], extent=box)
    LatentGridDisplay.from_estimator(model, image_shape=(8, 8), extent=box, ax=axes[1, col],
                                     vmin=0, vmax=16)

# %%
# The decoded grid (bottom row) is the same region in both models: the VAE
# decodes every point of it to a digit, the autoencoder mostly to a few
# shapes and blends.
#
# Training curves
# ---------------
# Both models stop early when the held-out loss stops improving, and keep the
# weights of the best epoch.

fig2, axes2 = plt.subplots(1, 2, figsize=(11, 3.5), layout="constrained")
for ax, model in zip(axes2, models.values()):
    LossCurveDisplay.from_estimator(model, ax=ax)
plt.show()

if "--save" in sys.argv[1:]:
    out = Path(__file__).resolve().parents[1] / "images" / "latent_spaces.png"
    fig.savefig(out, dpi=90)
    print(f"saved {out}")
