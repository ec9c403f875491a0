"""Denoise handwritten digits with DenoisingAutoencoder.

The model is fitted on clean training digits (it corrupts them itself); held-out
digits get Gaussian noise and ``transform`` maps them back. Rows: clean, noisy,
denoised. Saves ``docs/images/denoising.png``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skgen import DenoisingAutoencoder  # noqa: E402

torch.set_num_threads(1)  # small network: one thread is faster on a shared machine

X = load_digits().data / 16.0
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
sigma = 0.3
X_noisy = X_test + np.random.RandomState(1).normal(scale=sigma, size=X_test.shape)

# scaling="global" suits pixels; noise_level is in units of the model's common scale
std = X_train.std(axis=0)
dae = DenoisingAutoencoder(scaling="global", noise_level=sigma / np.sqrt(np.mean(std[std > 0] ** 2)),
                           random_state=0).fit(X_train)
X_denoised = dae.transform(X_noisy)

n = 10
fig, axes = plt.subplots(3, n, figsize=(n, 3.3))
for row, (title, images) in enumerate(
    [("clean", X_test), ("noisy", X_noisy), ("denoised", X_denoised)]
):
    for i in range(n):
        ax = axes[row, i]
        ax.imshow(images[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(title)
mse = lambda Z: np.mean((Z - X_test) ** 2)  # noqa: E731
fig.suptitle(f"DenoisingAutoencoder on held-out digits: MSE noisy {mse(X_noisy):.3f}, "
             f"denoised {mse(X_denoised):.3f}")
fig.tight_layout()
out = Path(__file__).resolve().parents[1] / "images" / "denoising.png"
fig.savefig(out, dpi=100)
print(f"saved {out}")
