"""VAETransformer as a density model: held-out log-likelihood and sample quality.

Compares VAETransformer with PCA (its probabilistic-PCA likelihood, same
``n_components``) and GaussianMixture on ``load_digits`` and a 5000-row MNIST
subset:

* held-out mean log-likelihood in nats per row (``score``), on the same test rows;
* sample quality as a classifier two-sample test: a gradient-boosting
  classifier tries to tell held-out real rows from generated ones
  (cross-validated ROC-AUC; 0.5 means indistinguishable); and the same test on
  each row's minimum alone, which shows how much of the full test's verdict is
  Gaussian noise spilling below the data's range.

VAE rows: the defaults; ``decoder_variance='latent'`` (each pixel's variance
depends on z); the same with one hidden layer of 64, whose parameter count
is close to the larger GaussianMixtures'; and ``decoder_variance='latent'`` with
``bounds`` set to the pixel range (with the default and the small network), so
the model lives in logit space and its samples stay in range. For a fair comparison the best GaussianMixture is also
fitted on the same logit map (log-likelihood with its log-Jacobian, samples
mapped back).

Pixels are integers, so every method sees the same dequantized data,
``X + U(0, 1)`` drawn once with a fixed seed: a continuous density on integer
data is otherwise free to pile infinite density on exact values (near-constant
pixels). The log-likelihoods are in the units of the raw pixel values.

Run ``python benchmarks/bench_vae.py`` from the repository root; the table is
printed and written to ``benchmarks/results/vae.md``. Torch runs on one thread
(``--threads``): on a shared 2-core machine two threads were many times slower
for these small networks.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import cross_val_score, train_test_split

from skgen import VAETransformer
from skgen._vae import _logistic_map, _logit_map  # the map behind VAETransformer(bounds=...)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _datasets import load_mnist  # noqa: E402
from _report import publish  # noqa: E402


def load(name, seed=0):
    if name == "digits":
        X = load_digits().data
    else:
        X = load_mnist()
    X = X + np.random.RandomState(seed).uniform(size=X.shape)  # dequantization, for all
    return train_test_split(X, test_size=0.25, random_state=seed)


def gmm_params(gmm):
    k, d = gmm.means_.shape
    cov = {"full": k * d * (d + 1) // 2, "diag": k * d, "spherical": k, "tied": d * (d + 1) // 2}
    return k * d + cov[gmm.covariance_type] + k - 1


def vae_params(vae):
    return sum(p.numel() for p in vae.module_.parameters())


def c2st(X_real, X_fake, seed=0):
    """Cross-validated ROC-AUC of a classifier telling real rows from generated ones."""
    n = min(len(X_real), len(X_fake))
    X = np.vstack([X_real[:n], X_fake[:n]])
    y = np.r_[np.zeros(n), np.ones(n)]
    clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    return cross_val_score(clf, X, y, cv=3, scoring="roc_auc").mean()


#: Sample draws per model; the C2ST columns give their mean and standard deviation.
DRAWS = (1, 2, 3)


def _gmm_draw(gmm, n):
    """``n`` rows from a fitted GaussianMixture, seeded per call."""
    return lambda seed: gmm.set_params(random_state=seed).sample(n)[0]


def run(name, n_components, gmm_grid, vae_kwargs, bounds, logit_gmm):
    X_train, X_test = load(name)
    n_test = len(X_test)
    rows = []

    def add(model, n_params, ll, draw, seconds):
        """``draw(seed)`` gives ``n_test`` generated rows; each draw gets its own C2ST."""
        full, row_min = [], []
        for seed in DRAWS:
            sample = draw(seed)
            full.append(c2st(X_test, sample))
            row_min.append(c2st(X_test.min(axis=1, keepdims=True),
                                sample.min(axis=1, keepdims=True)))
        rows.append((name, model, n_params, ll, np.mean(full), np.std(full), np.mean(row_min),
                     seconds))
        print(f"  {rows[-1]}", flush=True)

    tic = time.perf_counter()
    pca = PCA(n_components=n_components).fit(X_train)
    d = X_train.shape[1]
    add(f"PCA (k={n_components})", d * n_components + d + 1, pca.score(X_test),
        lambda seed: np.random.RandomState(seed).multivariate_normal(
            pca.mean_, pca.get_covariance(), n_test),
        time.perf_counter() - tic)
    for n, cov in gmm_grid:
        tic = time.perf_counter()
        gmm = GaussianMixture(n, covariance_type=cov, reg_covar=1e-6, random_state=0).fit(X_train)
        add(f"GMM ({n} {cov})", gmm_params(gmm), gmm.score(X_test), _gmm_draw(gmm, n_test),
            time.perf_counter() - tic)
    tic = time.perf_counter()
    limits = np.broadcast_to(np.asarray(bounds, dtype=float)[:, None], (2, d))
    Y_train = _logit_map(X_train, limits)
    Y_test, log_jacobian = _logit_map(X_test, limits, with_log_jacobian=True)
    n, cov = logit_gmm
    gmm = GaussianMixture(n, covariance_type=cov, reg_covar=1e-6, random_state=0).fit(Y_train)
    seconds = time.perf_counter() - tic
    draw = _gmm_draw(gmm, n_test)
    add(f"GMM ({n} {cov}) on the logit map of bounds={bounds}", gmm_params(gmm),
        gmm.score(Y_test) + log_jacobian.mean(), lambda seed: _logistic_map(draw(seed), limits),
        seconds)
    variants = {**VAE_VARIANTS,
                f"decoder_variance='latent', bounds={bounds}":
                {"decoder_variance": "latent", "bounds": bounds},
                f"decoder_variance='latent', bounds={bounds}, hidden (64,)":
                {"decoder_variance": "latent", "bounds": bounds, "hidden_layer_sizes": (64,)}}
    for label, params in variants.items():
        tic = time.perf_counter()
        vae = VAETransformer(n_components=n_components, random_state=0, device="cpu",
                             **vae_kwargs, **params).fit(X_train)
        seconds = time.perf_counter() - tic
        add(f"VAE {label} (k={n_components}, {vae.n_iter_} epochs)", vae_params(vae),
            vae.score(X_test), lambda seed, vae=vae: vae.sample(n_test, random_state=seed),
            seconds)
        if not params:  # decoder means of z ~ N(0, I): the usual way VAE samples are shown
            add("VAE decoder means (no pixel noise)", vae_params(vae), float("nan"),
                lambda seed, vae=vae: vae.inverse_transform(
                    np.random.RandomState(seed).standard_normal((n_test, n_components))), 0.0)
    return rows


VAE_VARIANTS = {
    "defaults": {},
    "decoder_variance='latent'": {"decoder_variance": "latent"},
    "decoder_variance='latent', hidden (64,)": {"decoder_variance": "latent",
                                                "hidden_layer_sizes": (64,)},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", ConvergenceWarning)
    start = time.perf_counter()
    rows = []
    # bounds: dequantized pixels lie in [0, max + 1)
    rows += run("digits", 8, [(1, "full"), (5, "full"), (10, "full"), (10, "diag"), (40, "diag")],
                {}, (0, 17), (40, "diag"))
    rows += run("mnist_5k", 16, [(1, "full"), (5, "full"), (10, "diag"), (50, "diag")],
                {"max_iter": 60}, (0, 256), (10, "diag"))
    lines = [
        "| dataset | model | parameters | held-out log-lik (nats/row) | C2ST ROC-AUC "
        "(± sd over draws) | C2ST on the row minimum | fit s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, model, n_params, ll, auc, auc_sd, auc_min, seconds in rows:
        ll = "" if np.isnan(ll) else f"{ll:.1f}"
        lines.append(f"| {name} | {model} | {n_params:,} | {ll} | {auc:.3f} ± {auc_sd:.3f} | {auc_min:.3f} "
                     f"| {seconds:.1f} |")
    lines += ["", f"Data dequantized with U(0,1) noise (same for all methods); 25% held out; "
              f"C2ST: HistGradientBoosting, 3-fold ROC-AUC, 0.5 = indistinguishable, "
              f"mean over {len(DRAWS)} independent sample draws of each model. "
              f"Total {time.perf_counter() - start:.0f} s, torch threads={args.threads}."]
    if args.no_write:
        print("\n".join(lines))
    else:
        publish("bench_vae.py", "vae.md", lines, title="VAETransformer benchmark")


if __name__ == "__main__":
    main()
