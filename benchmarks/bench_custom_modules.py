"""A user's convolutional encoder and decoder on scikit-learn's 8x8 digits (``input_shape=(1, 8, 8)``).

Two parts, both on a 75/25 split of load_digits (1,797 x 64, integer pixels 0-16):

* **Codes**, at one code size (``--n-components``, 8): PCA, AutoencoderTransformer with its
  default MLP, and with the small convolutional encoder and decoder below. Held-out
  reconstruction MSE in the units of X, fit time (seconds, and the ratio to the MLP's in
  the same run: the machine may be shared), and the accuracy of a LogisticRegression
  trained on the training rows' codes and tested on the held-out rows' codes. The
  autoencoders are fitted with three seeds (mean ± sd).
* **Samples**: VAETransformer at the same code size with its default MLP and with the
  convolutional encoder and decoder (the decoder's last layer gives the parameters of the
  typed heads, ``n_outputs``), judged as ``bench_vae`` judges them, with its helpers
  (C2ST: a classifier telling held-out digits from as many samples, 0.5 =
  indistinguishable, over three sample draws; copy share, the memorization guard).

Torch and BLAS run on one thread (``--threads``). Prints the tables and writes them to
``benchmarks/results/custom_modules.md``::

    python -m benchmarks.bench_custom_modules
"""

import argparse
import os
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from benchmarks._report import publish
from benchmarks.bench_vae import Table, _frame_of, load
from skgen import AutoencoderTransformer, VAETransformer
from skgen.nn import ModuleSpec

SEEDS = (0, 1, 2)


class ConvEncoder(nn.Module):
    """``(batch, 1, 8, 8)`` images to ``n_outputs`` values: two 3x3 convolutions (the second
    halves the grid to 4x4) and a linear layer."""

    def __init__(self, n_outputs, channels=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(2 * channels * 16, n_outputs))

    def forward(self, x):
        return self.net(x)


class ConvDecoder(nn.Module):
    """The mirror image: a linear layer to a 4x4 grid, a transposed convolution to 8x8 and a
    3x3 convolution to one value per pixel; with ``n_outputs`` other than the 64 pixels (a
    VAE's typed heads), a linear layer from the last feature maps instead."""

    def __init__(self, n_components, n_outputs, channels=16):
        super().__init__()
        self.channels = channels
        self.start = nn.Sequential(nn.Linear(n_components, 2 * channels * 16), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1), nn.ReLU())
        self.out = (nn.Conv2d(channels, 1, 3, padding=1) if n_outputs == 64
                    else nn.Sequential(nn.Flatten(), nn.Linear(channels * 64, n_outputs)))

    def forward(self, z):
        h = self.start(z).reshape(-1, 2 * self.channels, 4, 4)
        return self.out(self.up(h))


def conv(**params):
    """The convolutional encoder and decoder, for any of the estimators."""
    return {"encoder": ModuleSpec(ConvEncoder), "decoder": ModuleSpec(ConvDecoder),
            "input_shape": (1, 8, 8), **params}


def codes_part(k):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    models = {
        "PCA": lambda seed: PCA(k, random_state=seed),
        "AutoencoderTransformer (default MLP)":
            lambda seed: AutoencoderTransformer(k, random_state=seed, device="cpu"),
        "AutoencoderTransformer (conv encoder and decoder)":
            lambda seed: AutoencoderTransformer(k, random_state=seed, device="cpu", **conv()),
    }
    rows = []
    for name, make in models.items():
        mse, seconds, accuracy, epochs = [], [], [], []
        for seed in SEEDS[:1] if name == "PCA" else SEEDS:
            model = make(seed)
            tic = time.perf_counter()
            model.fit(X_train)
            seconds.append(time.perf_counter() - tic)
            Z_train, Z_test = model.transform(X_train), model.transform(X_test)
            mse.append(float(np.mean((model.inverse_transform(Z_test) - X_test) ** 2)))
            clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            accuracy.append(clf.fit(Z_train, y_train).score(Z_test, y_test))
            epochs.append(getattr(model, "n_iter_", 0))
            print(f"  {name} seed {seed}: mse {mse[-1]:.3f} acc {accuracy[-1]:.3f} "
                  f"{seconds[-1]:.1f} s", flush=True)
        rows.append(dict(model=name, mse=mse, seconds=seconds, accuracy=accuracy,
                         epochs=epochs))
    return rows


def samples_part(k):
    train, test = load("digits")
    table = Table("digits", train, test)
    n = len(test)
    X_train = train.to_numpy(np.float64)
    for label, params in {"default MLP": {}, "conv encoder and decoder": conv()}.items():
        tic = time.perf_counter()
        vae = VAETransformer(k, random_state=0, device="cpu", **params).fit(X_train)
        seconds = time.perf_counter() - tic
        scores = vae.score_samples(test.to_numpy(np.float64))
        finite = np.isfinite(scores)
        table.add(f"VAETransformer(n_components={k}) ({label}; {vae.n_iter_} epochs)",
                  lambda seed, vae=vae: _frame_of(vae.sample(n, random_state=seed), test),
                  seconds, (scores[finite].mean(), finite.mean()))
    return table.rows


def _spread(values, fmt):
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(np.mean(values), fmt)} ± {format(np.std(values), fmt)}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-components", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.threads)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # torch's first-Adam imports
    warnings.simplefilter("ignore", ConvergenceWarning)
    start = time.perf_counter()
    k = args.n_components
    codes = codes_part(k)
    samples = samples_part(k)
    mlp_seconds = np.mean(codes[1]["seconds"])
    lines = [
        f"Codes of width {k}, digits split 75/25 (random_state=0); autoencoders over seeds "
        f"{', '.join(map(str, SEEDS))} (mean ± sd):",
        "",
        "| model | held-out MSE (pixels 0-16) | LogisticRegression accuracy on the codes | "
        "epochs | fit s | fit / default MLP's |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in codes:
        epochs = _spread(r["epochs"], ".0f") if r["model"] != "PCA" else ""
        lines.append(f"| {r['model']} | {_spread(r['mse'], '.3f')} | "
                     f"{_spread(r['accuracy'], '.3f')} | {epochs} | "
                     f"{_spread(r['seconds'], '.1f')} | "
                     f"{np.mean(r['seconds']) / mlp_seconds:.2f} |")
    lines += [
        "",
        "Samples, as `bench_vae` judges them (its `Table`: C2ST over 3 draws, copy share of "
        "the first):",
        "",
        "| model | C2ST ROC-AUC (± sd over draws) | copy share | held-out log-lik "
        "(nats/row; share of rows finite) | fit s |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in samples:
        ll = f"{r['ll']:.2f}" + (f" ({r['ll_finite']:.3f})" if r["ll_finite"] < 1 else "")
        lines.append(f"| {r['model']} | {r['c2st']:.3f} ± {r['c2st_sd']:.3f} | "
                     f"{r['copy']:.3f} | {ll} | {r['seconds']:.1f} |")
    lines += [
        "",
        "The conv modules are `ConvEncoder` and `ConvDecoder` of this script (16 and 32 "
        "channels); both VAEs have the default column types (the digits' pixels are "
        "discrete), which the conv decoder's last linear layer serves. Fit times come "
        "from a machine that may be shared: compare the ratios within this run only. "
        f"Total {time.perf_counter() - start:.0f} s, torch and BLAS threads={args.threads}, "
        f"load average {os.getloadavg()[0]:.1f} at the end.",
    ]
    publish("bench_custom_modules.py", "custom_modules.md", lines,
            title="A user's convolutional encoder and decoder on 8x8 digits",
            write=not args.no_write)


if __name__ == "__main__":
    main()
