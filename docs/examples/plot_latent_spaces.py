"""Latent spaces of an autoencoder and a variational autoencoder, side by side.

Both models compress the 8x8 digits to two latent units. For each model the
figure shows (a) the codes of the digits coloured by their label and (b) the
images decoded from a regular grid of codes over [-1.5, 1.5] x [-1.5, 1.5].

The VAE's KL term pulls its codes towards a standard normal, so the grid falls
where the data are and every point of it decodes to a plausible digit that
morphs smoothly into its neighbours. The plain autoencoder puts its codes
wherever reconstruction is easiest: the same grid covers a small, arbitrary
part of its latent space, with gaps that decode to blurs.

Run from the repository root: ``python docs/examples/plot_latent_spaces.py``.
"""

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skgen import AutoencoderTransformer, VAETransformer  # noqa: E402

torch.set_num_threads(1)  # small networks: one thread is fastest on a shared machine
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
models = {
    "AutoencoderTransformer": AutoencoderTransformer(n_components=2, random_state=0),
    "VAETransformer": VAETransformer(n_components=2, random_state=0),
}

n_grid = 11
ticks = np.linspace(-1.5, 1.5, n_grid)
grid = np.array([[a, b] for b in ticks[::-1] for a in ticks])

fig, axes = plt.subplots(2, 2, figsize=(11, 11))
for col, (name, model) in enumerate(models.items()):
    Z = model.fit_transform(X)
    ax = axes[0, col]
    points = ax.scatter(Z[:, 0], Z[:, 1], c=y, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
    ax.add_patch(plt.Rectangle((-1.5, -1.5), 3, 3, fill=False, ls="--", color="k"))
    ax.set_title(f"{name}:\ncodes of the digits")
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    images = model.inverse_transform(grid).reshape(n_grid, n_grid, 8, 8)
    images = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)))  # a white frame per digit
    mosaic = images.transpose(0, 2, 1, 3).reshape(n_grid * 10, n_grid * 10)
    ax = axes[1, col]
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=16, extent=(-1.5, 1.5, -1.5, 1.5))
    ax.set_title(f"{name}:\ndecoded grid over the dashed box")
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
fig.colorbar(points, ax=axes[0, :], ticks=range(10), label="digit", shrink=0.8)

out = Path(__file__).resolve().parents[1] / "images" / "latent_spaces.png"
out.parent.mkdir(exist_ok=True)
fig.savefig(out, dpi=110, bbox_inches="tight")
print(f"saved {out}")
