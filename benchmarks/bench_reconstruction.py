"""Held-out reconstruction error: AutoencoderTransformer vs PCA.

On load_digits (1,797 x 64, pixels 0-16) and the MNIST sample in
../shared/data/mnist_5k.csv.gz (5,000 x 784, pixels scaled to [0, 1]), a 75/25
split (seed 0); MSE on the held-out rows in the units of X, at n_components 2,
8 and 32. Rows: PCA; StandardScaler + PCA (the linear model fitted on a
per-column standardized loss); AutoencoderTransformer with its defaults
(scaling='auto', which picks one shared scale for these pixel tables); and
with scaling='standard' (per-column, the choice 'auto' makes for mixed-unit
tables). Prints one markdown table and writes it
to benchmarks/results/reconstruction.md.

    python -m benchmarks.bench_reconstruction
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks._datasets import load_mnist
from benchmarks._report import publish
from skgen import AutoencoderTransformer

K = (2, 8, 32)


def mse(model, X):
    X_hat = model.inverse_transform(model.transform(X))
    return float(np.mean((X_hat - X) ** 2))


MODELS = {
    "PCA": lambda k: PCA(k, random_state=0),
    "StandardScaler + PCA": lambda k: make_pipeline(StandardScaler(), PCA(k, random_state=0)),
    "AutoencoderTransformer (defaults)": lambda k: AutoencoderTransformer(k, random_state=0,
                                                                          device="cpu"),
    "AutoencoderTransformer(scaling='standard')": lambda k: AutoencoderTransformer(
        k, scaling="standard", random_state=0, device="cpu"),
}


def main():
    datasets = {"digits": load_digits().data, "mnist_5k": load_mnist() / 255.0}
    lines = ["| data | model | " + " | ".join(f"k={k} MSE (fit s)" for k in K) + " |",
             "|---|---|" + "---|" * len(K)]
    print(lines[0], flush=True)
    print(lines[1], flush=True)
    for data_name, X in datasets.items():
        X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
        for name, make in MODELS.items():
            cells = []
            for k in K:
                model = make(k)
                tic = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X_train)
                seconds = time.perf_counter() - tic
                cells.append(f"{mse(model, X_test):.4g} ({seconds:.1f})")
            line = f"| {data_name} | {name} | " + " | ".join(cells) + " |"
            lines.append(line)
            print(line, flush=True)
    lines += ["", "Held-out reconstruction MSE in the units of X (lower is better), fit seconds "
              "in brackets."]
    publish("bench_reconstruction.py", "reconstruction.md", lines)


if __name__ == "__main__":
    main()
