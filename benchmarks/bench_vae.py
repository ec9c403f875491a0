"""VAETransformer as a density model and a generator: held-out log-likelihood and C2ST.

Compares VAETransformer with PCA (its probabilistic-PCA likelihood, same
``n_components``) and GaussianMixture on ``load_digits``, a 5000-row MNIST
subset and the normal rows of two ADBench tables (22_magic.gamma and 6_cardio):

* held-out mean log-likelihood in nats per row (``score``), on the same test rows;
* sample quality as a classifier two-sample test (C2ST): a gradient-boosting
  classifier tries to tell held-out real rows from as many generated ones
  (3-fold ROC-AUC on shuffled folds; 0.5 means indistinguishable), averaged
  over three sample draws; and the same test on each row's minimum alone,
  which shows how much of the verdict is noise spilling below the data's range.

Images. VAE rows: the defaults; ``decoder_variance='latent'`` (each pixel's
variance depends on z); that with ``bounds`` set to the pixel range, so the
model lives in logit space and its samples stay in range, with the default
``prior='mixture'``, with ``prior='normal'`` (the N(0, I) prior of training:
same network, same weights) and with one hidden layer of 64 (a parameter count
close to the larger GaussianMixtures'). Each ``sample_noise='none'`` row
samples the model of the row above it ("the fit above") with decoder means
instead of draws from ``p(x|z)``; its log-likelihood is that model's. The best
GaussianMixture is also fitted on the same logit map (log-likelihood with its
log-Jacobian, samples mapped back). The script also draws
``docs/images/vae_samples_digits.png``: held-out digits, samples of the bounded
VAE and of that GaussianMixture, with this run's C2ST in the labels.

Pixels are integers, so every method sees the same dequantized data,
``X + U(0, 1)`` drawn once with a fixed seed: a continuous density on integer
data is otherwise free to pile infinite density on exact values (near-constant
pixels). The log-likelihoods are in the units of the raw pixel values.

ADBench tables: the normal rows as they are (no dequantization), 25% held out.
The baseline is the GaussianMixture of lowest BIC over 1-64 components and the
four covariance types; VAE rows are the defaults (``n_components=2``) and
``n_components=8`` with either prior. A second table repeats the C2ST on the
columns with more than 100 distinct values, to separate discrete columns
(which a continuous model cannot reproduce) from the rest.

Run ``python -m benchmarks.bench_vae`` from the repository root; the table is
printed and written to ``benchmarks/results/vae.md``. Torch runs on one thread
(``--threads``): on a shared 2-core machine two threads were many times slower
for these small networks.
"""

import argparse
import copy
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
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split

from benchmarks._datasets import load_adbench, load_mnist
from benchmarks._report import publish
from skgen import VAETransformer
from skgen._data import logistic_map, logit_log_jacobian, logit_map  # the maps of bounds


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
    # Shuffled folds: GaussianMixture.sample returns its rows grouped by component, and
    # unshuffled folds would test the classifier on components it never saw in training.
    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    return cross_val_score(clf, X, y, cv=cv, scoring="roc_auc").mean()


#: Sample draws per model; the C2ST columns give their mean and standard deviation.
DRAWS = (1, 2, 3)


def _gmm_draw(gmm, n):
    """``n`` rows from a fitted GaussianMixture, seeded per call, in random order.

    ``GaussianMixture.sample`` returns its rows grouped by component; shuffled, any
    leading rows (the figure's) are a fair draw.
    """
    return lambda seed: gmm.set_params(random_state=seed).sample(n)[0][
        np.random.RandomState(seed).permutation(n)]


def _c2st_over_draws(X_test, draw):
    """Mean and SD of the C2ST over the sample draws ``DRAWS``, and the row-minimum C2ST."""
    full, row_min = [], []
    for seed in DRAWS:
        sample = draw(seed)
        full.append(c2st(X_test, sample))
        row_min.append(c2st(X_test.min(axis=1, keepdims=True), sample.min(axis=1, keepdims=True)))
    return np.mean(full), np.std(full), np.mean(row_min)


def _vae_label(label, vae, note=""):
    n = 0 if vae.prior_ is None else vae.prior_.n_components
    prior = f", prior: {n} component{'s' * (n > 1)}" if n else ""
    return f"VAE {label} (k={vae.n_components}, {vae.n_iter_} epochs{prior}{note})"


class Table:
    """The rows of one data set; ``add`` measures the C2ST columns over the sample draws."""

    def __init__(self, name, X_test, continuous=None):
        self.name, self.X_test, self.rows = name, X_test, []
        self.continuous, self.continuous_rows = continuous, []

    def add(self, model, n_params, ll, draw, seconds):
        """``draw(seed)`` gives ``len(X_test)`` generated rows; returns the mean C2ST.

        With ``continuous`` (a column mask), the C2ST on those columns alone
        goes to ``continuous_rows``.
        """
        auc, auc_sd, auc_min = _c2st_over_draws(self.X_test, draw)
        self.rows.append((self.name, model, n_params, ll, auc, auc_sd, auc_min, seconds))
        print(f"  {self.rows[-1]}", flush=True)
        if self.continuous is not None:
            cols = self.continuous
            auc_c, sd_c, _ = _c2st_over_draws(self.X_test[:, cols], lambda s: draw(s)[:, cols])
            self.continuous_rows.append((self.name, model, int(cols.sum()), auc_c, sd_c))
        return auc

    def fit_vae(self, label, X_train, **params):
        """Fit a VAETransformer, add its row, and return it with its mean C2ST."""
        tic = time.perf_counter()
        vae = VAETransformer(random_state=0, device="cpu", **params).fit(X_train)
        seconds = time.perf_counter() - tic
        return vae, self.add_vae(label, vae, seconds)

    def add_vae(self, label, vae, seconds, note=""):
        n = len(self.X_test)
        return self.add(_vae_label(label, vae, note), vae_params(vae), vae.score(self.X_test),
                        lambda seed: vae.sample(n, random_state=seed), seconds)


def run(name, n_components, gmm_grid, vae_kwargs, bounds, logit_gmm, figure=None):
    X_train, X_test = load(name)
    n_test = len(X_test)
    table = Table(name, X_test)
    add = table.add

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
    Y_train = logit_map(X_train, limits)
    Y_test, log_jacobian = logit_map(X_test, limits), logit_log_jacobian(X_test, limits)
    n, cov = logit_gmm
    gmm = GaussianMixture(n, covariance_type=cov, reg_covar=1e-6, random_state=0).fit(Y_train)
    seconds = time.perf_counter() - tic
    draw = _gmm_draw(gmm, n_test)

    def gmm_draw(seed):
        return logistic_map(draw(seed), limits)

    gmm_auc = add(f"GMM ({n} {cov}) on the logit map of bounds={bounds}", gmm_params(gmm),
                  gmm.score(Y_test) + log_jacobian.mean(), gmm_draw, seconds)
    shown = None
    for label, params in VAE_VARIANTS.items():
        params = {key: (bounds if value is BOUNDS else value) for key, value in params.items()}
        label = label.replace("BOUNDS", str(bounds))
        vae, auc = table.fit_vae(label, X_train, n_components=n_components, **vae_kwargs,
                                 **params)
        if label == SHOWN.replace("BOUNDS", str(bounds)):
            shown = (vae, auc)
        if "prior" not in params:  # the same model sampled without the decoder's noise
            table.add_vae(f"{label}, sample_noise='none'",
                          copy.deepcopy(vae).set_params(sample_noise="none"), 0.0,
                          note="; the fit above")
    if figure is not None:
        vae, vae_auc = shown
        draw_figure(figure, X_test[:N_SHOWN],
                    [(vae.sample(N_SHOWN, random_state=DRAWS[0]), vae_auc),
                     (gmm_draw(DRAWS[0])[:N_SHOWN], gmm_auc)],
                    f"GMM ({n} {cov}) on the logit map", bounds)
    return table.rows


def bic_gmm(X, seed=0):
    """The GaussianMixture of lowest BIC over 1-64 components and the four covariance types."""
    best = None
    for cov in ("full", "diag", "tied", "spherical"):
        for n in (1, 2, 4, 8, 16, 32, 64):
            gmm = GaussianMixture(n, covariance_type=cov, random_state=seed).fit(X)
            bic = gmm.bic(X)
            if best is None or bic < best[0]:
                best = (bic, gmm)
    return best[1]


def run_table(name, vae_grid):
    """An ADBench table, normal rows only: VAEs against the GaussianMixture of lowest BIC."""
    X, y = load_adbench(name)
    X_train, X_test = train_test_split(X[y == 0], test_size=0.25, random_state=0)
    continuous = np.array([len(np.unique(c)) > CONTINUOUS for c in X_train.T])
    table = Table(name, X_test, continuous)
    tic = time.perf_counter()
    gmm = bic_gmm(X_train)
    table.add(f"GMM ({gmm.n_components} {gmm.covariance_type}), lowest BIC", gmm_params(gmm),
              gmm.score(X_test), _gmm_draw(gmm, len(X_test)), time.perf_counter() - tic)
    for label, params in vae_grid.items():
        table.fit_vae(label, X_train, **params)
    return table.rows, table.continuous_rows


#: Columns with more distinct values than this in the training rows count as continuous.
CONTINUOUS = 100


IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"

#: Images per row of the figure.
N_SHOWN = 16


def draw_figure(path, real, samples, gmm_name, bounds):
    """Held-out digits, then VAE and GMM samples, with this run's mean C2ST in the labels."""
    import matplotlib

    matplotlib.use("Agg")
    from skgen.plotting import ImageGridDisplay

    (vae_rows, vae_auc), (gmm_rows, gmm_auc) = samples
    disp = ImageGridDisplay.from_arrays(
        real, vae_rows, gmm_rows, n_images=N_SHOWN,
        row_labels=["held-out\ndigits", f"VAE\nC2ST {vae_auc:.3f}",
                    f"{gmm_name.split(' on ')[0]}\nC2ST {gmm_auc:.3f}"],
        title=(f"VAE {SHOWN.replace('BOUNDS', str(bounds))} against {gmm_name}\n"
               f"C2ST: mean ROC-AUC over {len(DRAWS)} draws of a classifier telling samples "
               "from held-out digits (0.5 = indistinguishable)"),
        vmin=0, vmax=bounds[1])
    disp.figure_.savefig(path, dpi=100)
    print(f"figure written to {path}")


#: Stands for the data set's ``bounds`` in VAE_VARIANTS.
BOUNDS = "BOUNDS"

VAE_VARIANTS = {
    "defaults": {},
    "decoder_variance='latent'": {"decoder_variance": "latent"},
    "decoder_variance='latent', bounds=BOUNDS": {"decoder_variance": "latent",
                                                 "bounds": BOUNDS},
    "decoder_variance='latent', bounds=BOUNDS, prior='normal'": {
        "decoder_variance": "latent", "bounds": BOUNDS, "prior": "normal"},
    "decoder_variance='latent', bounds=BOUNDS, hidden (64,)": {
        "decoder_variance": "latent", "bounds": BOUNDS, "hidden_layer_sizes": (64,)},
}

#: The VAE row drawn in the figure.
SHOWN = "decoder_variance='latent', bounds=BOUNDS"

#: VAE rows of the ADBench tables: the defaults (k=2) and a larger latent space.
TABLE_VARIANTS = {
    "defaults": {},
    "n_components=8": {"n_components": 8},
    "n_components=8, prior='normal'": {"n_components": 8, "prior": "normal"},
    "n_components=8, decoder_variance='latent'": {"n_components": 8,
                                                  "decoder_variance": "latent"},
}


DATASETS = ["digits", "mnist_5k", "22_magic.gamma", "6_cardio"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=DATASETS,
                        help="a subset for a quick look (then pass --no-write)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", ConvergenceWarning)
    start = time.perf_counter()
    rows = []
    # bounds: dequantized pixels lie in [0, max + 1)
    figure = None if args.no_write else IMAGES / "vae_samples_digits.png"
    if "digits" in args.datasets:
        rows += run("digits", 8, [(1, "full"), (5, "full"), (10, "full"), (10, "diag"),
                                  (40, "diag")], {}, (0, 17), (40, "diag"), figure=figure)
    if "mnist_5k" in args.datasets:
        rows += run("mnist_5k", 16, [(1, "full"), (5, "full"), (10, "diag"), (50, "diag")],
                    {"max_iter": 60}, (0, 256), (10, "diag"))
    continuous = []
    for name in ("22_magic.gamma", "6_cardio"):
        if name in args.datasets:
            table_rows, continuous_rows = run_table(name, TABLE_VARIANTS)
            rows += table_rows
            continuous += continuous_rows
    lines = [
        "| dataset | model | parameters | held-out log-lik (nats/row) | C2ST ROC-AUC "
        "(± sd over draws) | C2ST on the row minimum | fit s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, model, n_params, ll, auc, auc_sd, auc_min, seconds in rows:
        ll = "" if np.isnan(ll) else f"{ll:.1f}"
        lines.append(f"| {name} | {model} | {n_params:,} | {ll} | {auc:.3f} ± {auc_sd:.3f} | {auc_min:.3f} "
                     f"| {seconds:.1f} |")
    if continuous:
        lines += ["", f"ADBench tables, the same samples tested on their continuous columns only "
                  f"(more than {CONTINUOUS} distinct values among the training rows):", "",
                  "| dataset | model | continuous columns | C2ST ROC-AUC (± sd over draws) |",
                  "|---|---|---:|---:|"]
        lines += [f"| {name} | {model} | {n_cols} | {auc:.3f} ± {sd:.3f} |"
                  for name, model, n_cols, auc, sd in continuous]
    lines += ["", "Pixels dequantized with U(0,1) noise (same for all methods); ADBench tables: "
              "the normal rows, as they are; 25% held out. "
              "C2ST: HistGradientBoosting, 3-fold ROC-AUC on shuffled folds, "
              "0.5 = indistinguishable, "
              f"mean over {len(DRAWS)} independent sample draws of each model. "
              f"Total {time.perf_counter() - start:.0f} s, torch threads={args.threads}."]
    if args.no_write:
        print("\n".join(lines))
    else:
        publish("bench_vae.py", "vae.md", lines, title="VAETransformer benchmark")


if __name__ == "__main__":
    main()
