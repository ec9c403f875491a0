"""``python -m skgen demo``: the four skgen estimators next to their scikit-learn baselines.

Everything runs on scikit-learn's built-in digits (1797 images of 8x8 pixels
in 0..16), so the demo needs no download. Each estimator gets one table next
to its baseline, with fit times, and the figures are written to a folder.
Nothing is tuned in skgen's favour: the estimators run with their default
settings unless a table says otherwise, and the numbers are whatever this run
measures.
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neighbors import NearestNeighbors

from ._autoencoder import AutoencoderTransformer
from ._denoising import DenoisingAutoencoder
from ._outlier import AEOutlierDetector
from ._progress import Progress
from ._vae import VAETransformer

DEFAULT_OUTPUT = "skgen-demo"

#: Settings of ``--quick`` (a smoke run for CI): few epochs, few importance samples.
QUICK = {"max_iter": 3}
QUICK_VAE = {"max_iter": 3, "n_importance_samples": 10}

#: Settings of the density table's VAEs beyond n_components: the 8-unit one, whose
#: samples the figure shows, models the dequantized pixels in logit space of their
#: range [0, 17) (``bounds``), with a pixel variance that depends on the code.
VAE_SETTINGS = {8: {"decoder_variance": "latent", "bounds": (0, 17)}}

MISSING_FRACTION = 0.3
OUTLIER_FRACTION = 0.05
OUTLIER_CLASS = 0


def _run(progress, label, fn, *args):
    """Call ``fn(*args)`` as one step of ``progress``; returns ``(result, seconds)``."""
    progress.begin(label)
    tic = time.perf_counter()
    with warnings.catch_warnings():
        # a default max_iter that is reached is part of what the demo measures
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = fn(*args)
    seconds = time.perf_counter() - tic
    progress.step(f"{seconds:.1f}s")
    return result, seconds


def _fit(progress, label, est, X):
    return _run(progress, f"fitting {label}", est.fit, X)


def _settings(quick, extra=""):
    parts = [p for p in (extra, "max_iter=3 (--quick)" if quick else "") if p]
    return ", ".join(parts) if parts else "defaults"


def _table(out, title, lines, header, rows, n_text=2):
    """Print a plain-text table: ``n_text`` left-aligned columns, then right-aligned ones."""
    widths = [max(len(str(c)) for c in column) + 3 for column in zip(header, *rows)]

    def line(cells):
        return "".join(f"{c:<{w}}" if i < n_text else f"{c:>{w}}"
                       for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out("")
    out(title)
    for text in lines:
        out(f"  {text}")
    out(line(header))
    out("-" * sum(widths))
    for row in rows:
        out(line(row))


def _reconstruction_mse(est, X):
    return float(np.mean((est.inverse_transform(est.transform(X)) - X) ** 2))


# --------------------------------------------------------------------------- tables


def reconstruction_table(X_train, X_test, progress, out, *, quick, n_components=(2, 8)):
    """AutoencoderTransformer vs PCA: held-out reconstruction MSE; returns the fitted AEs."""
    fast = QUICK if quick else {}
    rows, fitted = [], {}
    for name, make, settings in [
        ("PCA", lambda k: PCA(n_components=k, random_state=0), "defaults"),
        ("AutoencoderTransformer",
         lambda k: AutoencoderTransformer(k, random_state=0, **fast), _settings(quick)),
    ]:
        cells = []
        for k in n_components:
            est, seconds = _fit(progress, f"{name}(n_components={k})", make(k), X_train)
            cells.append(f"{_reconstruction_mse(est, X_test):7.2f} ({seconds:4.1f}s)")
            fitted[name, k] = est
        rows.append([name, settings, *cells])
    _table(
        out,
        "1. Dimensionality reduction: AutoencoderTransformer vs PCA",
        ["held-out reconstruction MSE in squared pixel units (lower is better), fit time",
         "random_state=0 for both; k is n_components"],
        ["model", "settings", *(f"k={k}" for k in n_components)],
        rows,
    )
    return fitted


def density_table(X_train, X_test, progress, out, *, quick, n_components=(2, 8)):
    """VAETransformer vs GaussianMixture and PCA: held-out mean log-likelihood."""
    rng = np.random.RandomState(0)
    # integer pixels have no density: spread each over [v, v + 1) (dequantization)
    D_train = X_train + rng.uniform(size=X_train.shape)
    D_test = X_test + rng.uniform(size=X_test.shape)
    fast = QUICK_VAE if quick else {}
    candidates = [
        ("PCA", PCA(n_components=k, random_state=0), f"n_components={k}") for k in n_components
    ] + [
        ("GaussianMixture", GaussianMixture(random_state=0), "defaults (1 full component)"),
        ("GaussianMixture", GaussianMixture(10, covariance_type="diag", random_state=0),
         "10 components, 'diag'"),
    ] + [
        ("VAETransformer", VAETransformer(k, random_state=0, **VAE_SETTINGS.get(k, {}), **fast),
         _settings(quick, ", ".join([f"n_components={k}", *(
             f"{key}={value!r}" for key, value in VAE_SETTINGS.get(k, {}).items())]))
         + (f", n_importance_samples={QUICK_VAE['n_importance_samples']}" if quick else ""))
        for k in n_components
    ]
    rows, vaes, gmms = [], [], []
    for name, est, settings in candidates:
        est, seconds = _fit(progress, f"{name}({settings})", est, D_train)
        score, _ = _run(progress, f"scoring {name}", est.score, D_test)
        rows.append([name, settings, f"{score:9.1f}", f"{seconds:6.1f}s"])
        if name == "VAETransformer":
            vaes.append(est)
        elif name == "GaussianMixture":
            gmms.append((settings, est))
    _table(
        out,
        "2. Density estimation: VAETransformer vs GaussianMixture and PCA",
        ["held-out mean log-likelihood, `score` (nats per image, higher is better), fit time",
         "pixels dequantized (+ U(0, 1) noise) so that every model has a density",
         "VAETransformer.score is an importance-weighted lower bound (n_importance_samples)"],
        ["model", "settings", "log-lik", "fit"],
        rows,
    )
    vaes = dict(zip(n_components, vaes))
    vae, (gmm_settings, gmm) = vaes[max(n_components)], gmms[-1]
    # the pixels as they are, integers: each gets a head over its levels (column types)
    k = max(n_components)
    typed, _ = _fit(progress, f"VAETransformer(n_components={k}) on the integer pixels",
                    VAETransformer(k, random_state=0, **fast), X_train)
    kinds = ", ".join(f"{np.sum(typed.column_types_ == kind)} {kind}"
                      for kind in np.unique(typed.column_types_))
    n_test = len(D_test)
    samples = [  # (label, what it is, held-out rows of its kind, samples)
        ("VAE, typed", f"VAETransformer(n_components={k}) on the integer pixels ({kinds} "
         "columns), against the integer images", X_test,
         typed.sample(n_test, random_state=0)),
        ("VAE, bounds", f"VAETransformer above, n_components={k}, dequantized", D_test,
         vae.sample(n_test, random_state=0)),
        # GaussianMixture.sample returns its rows grouped by component
        ("GMM", f"GaussianMixture, {gmm_settings}, dequantized", D_test,
         gmm.set_params(random_state=0).sample(n_test)[0][
             np.random.RandomState(0).permutation(n_test)]),
    ]
    c2st, _ = _run(progress, "two-sample tests of the samples", lambda: [
        _c2st(real, S) for _, _, real, S in samples])
    out("  Samples against the held-out images: C2ST, the cross-validated ROC-AUC of a")
    out("  classifier telling them apart (0.5 = indistinguishable, 1 = always told apart):")
    for (_, what, _, _), auc in zip(samples, c2st):
        out(f"    {what}: {auc:.3f}")
    return vaes, (X_test, samples, c2st)


def _c2st(real, fake, seed=0):
    """Classifier two-sample test: 3-fold ROC-AUC of gradient boosting, shuffled folds."""
    rows = np.vstack([real, fake])
    is_fake = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    folds = StratifiedKFold(3, shuffle=True, random_state=seed)
    return float(cross_val_score(clf, rows, is_fake, cv=folds, scoring="roc_auc").mean())


def imputation_table(X, train, test, progress, out, *, quick):
    """DenoisingAutoencoder vs KNNImputer: RMSE on entries missing completely at random."""
    rng = np.random.RandomState(1)
    missing = rng.uniform(size=X.shape) < MISSING_FRACTION
    X_missing = np.where(missing, np.nan, X)
    hidden = missing[test]
    rows, filled = [], {}
    for name, est, settings in [
        ("SimpleImputer", SimpleImputer(), "defaults (column means)"),
        ("KNNImputer", KNNImputer(), "defaults (5 neighbours)"),
        ("DenoisingAutoencoder", DenoisingAutoencoder(random_state=0,
                                                      **(QUICK if quick else {})),
         _settings(quick)),
    ]:
        est, seconds = _fit(progress, name, est, X_missing[train])
        X_filled = est.transform(X_missing[test])
        rmse = float(np.sqrt(np.mean((X_filled - X[test])[hidden] ** 2)))
        rows.append([name, settings, f"{rmse:6.3f}", f"{seconds:6.1f}s"])
        filled[name] = (est, X_filled)
    _table(
        out,
        "3. Imputation: DenoisingAutoencoder vs KNNImputer",
        [f"{MISSING_FRACTION:.0%} of the pixels of every row hidden completely at random "
         "(train and test alike);",
         "fitted on the training rows, RMSE on the hidden pixels of the held-out rows "
         "(pixel units, lower is better)"],
        ["model", "settings", "RMSE", "fit"],
        rows,
    )
    return X_missing[test], filled


def _plant_class(X, y, rng):
    """Digits other than OUTLIER_CLASS as normal rows, plus a few OUTLIER_CLASS digits."""
    normal, others = X[y != OUTLIER_CLASS], X[y == OUTLIER_CLASS]
    n_anomalies = int(round(OUTLIER_FRACTION * len(normal) / (1 - OUTLIER_FRACTION)))
    anomalies = others[rng.choice(len(others), n_anomalies, replace=False)]
    return np.vstack([normal, anomalies]), np.r_[np.zeros(len(normal)), np.ones(n_anomalies)]


def _plant_shuffled(X, rng):
    """All digits, OUTLIER_FRACTION of them with their pixels shuffled."""
    X = X.copy()
    n_anomalies = int(round(OUTLIER_FRACTION * len(X)))
    rows = rng.choice(len(X), n_anomalies, replace=False)
    for i in rows:
        X[i] = X[i, rng.permutation(X.shape[1])]
    labels = np.zeros(len(X))
    labels[rows] = 1
    return X, labels


class _KNNDistance:
    """The KNN detector: minus the distance to the 5th nearest training row."""

    def fit(self, X):
        self.neighbors_ = NearestNeighbors(n_neighbors=5).fit(X)
        return self

    def score_samples(self, X):
        return -self.neighbors_.kneighbors(X)[0][:, -1]


def outlier_table(X, y, progress, out, *, quick):
    """AEOutlierDetector vs IsolationForest and KNN: ROC-AUC on planted anomalies."""
    rng = np.random.RandomState(2)
    X_class, l_class = _plant_class(X, y, rng)
    X_shuffled, l_shuffled = _plant_shuffled(X, rng)
    settings = {"AEOutlierDetector": _settings(quick), "IsolationForest": "random_state=0",
                "KNN": "5th neighbour"}
    rows, last = [], None
    for setting, (Xs, labels) in {
        f"digit {OUTLIER_CLASS} among 1-9": (X_class, l_class),
        "shuffled pixels": (X_shuffled, l_shuffled),
    }.items():
        X_train, X_test, _, l_test = train_test_split(Xs, labels, test_size=0.25,
                                                      stratify=labels, random_state=0)
        for name, est in [
            ("AEOutlierDetector", AEOutlierDetector(random_state=0, **(QUICK if quick else {}))),
            ("IsolationForest", IsolationForest(random_state=0)),
            ("KNN", _KNNDistance()),
        ]:
            est, seconds = _fit(progress, f"{name} ({setting})", est, X_train)
            auc = roc_auc_score(l_test, -est.score_samples(X_test))
            rows.append([setting, f"{name}", settings[name], f"{auc:6.3f}", f"{seconds:6.1f}s"])
            if name == "AEOutlierDetector":
                last = (est, X_test)
    _table(
        out,
        "4. Anomaly detection: AEOutlierDetector vs IsolationForest and KNN",
        [f"planted anomalies, {OUTLIER_FRACTION:.0%} of the rows (in the unlabelled training "
         "rows too):",
         f"'digit {OUTLIER_CLASS} among 1-9': images of the digit {OUTLIER_CLASS} among the "
         "other digits;",
         "'shuffled pixels': digits whose 64 pixels were randomly permuted.",
         "ROC-AUC of -score_samples on the held-out 25% (1 = perfect, 0.5 = chance);",
         "benchmarks/results/outliers.md has every digit, 169 more data sets (ADBench, "
         "synthetic, labelled) and more baselines"],
        ["anomalies", "model", "settings", "ROC-AUC", "fit"],
        rows,
        n_text=3,
    )
    return last


# -------------------------------------------------------------------------- figures


#: Percentiles of the codes that bound the decoded grid: the range the codes span,
#: without the few stray rows far out.
CODE_PERCENTILES = (1, 99)

LATENT_CODES_CAPTION = (
    "Held-out digits encoded into 2 latent units, coloured by digit. Dashed box: the region "
    "latent_grids.png decodes, the 1st to 99th\npercentile of each model's codes on each axis. "
    "The autoencoder puts its codes wherever reconstruction is easiest: their scale and\n"
    "shape are arbitrary, so its code space is not made for sampling. The VAE's training "
    "pulls its codes towards its prior N(0, I)."
)

LATENT_GRIDS_CAPTION = (
    "Images decoded from an 11 x 11 grid over each model's dashed box in latent_codes.png "
    "(the 1st to 99th percentile of its codes).\nThe autoencoder's code space is not made "
    "for sampling: its scale and shape are whatever training gave, with empty regions "
    "between\nthe clusters, so one must look at the data to choose codes. The VAE's prior "
    "is: training pulls the codes towards N(0, I),\nand sample() draws codes from a prior "
    "fitted to them."
)


def _code_box(est, X):
    """``(left, right, bottom, top)`` spanned by the 2-D codes of X, in CODE_PERCENTILES."""
    low, high = np.percentile(np.asarray(est.transform(X)), CODE_PERCENTILES, axis=0)
    return float(low[0]), float(high[0]), float(low[1]), float(high[1])


def latent_figures(ae2, vae2, X_test, y_test):
    """The 2-D codes of both models with the box each grid decodes, and the decoded grids.

    Each model's grid covers the codes its held-out digits take. A fixed square such
    as [-1.5, 1.5]^2 is where N(0, I) has its mass, but a sliver of a plain
    autoencoder's codes, and decoded there it shows only blends.
    """
    import matplotlib.pyplot as plt

    from .plotting import LatentGridDisplay, LatentSpaceDisplay

    boxes = [_code_box(est, X_test) for est in (ae2, vae2)]
    codes, axes = plt.subplots(1, 2, figsize=(12, 6.2), layout="constrained")
    for ax, est, box in zip(axes, (ae2, vae2), boxes):
        LatentSpaceDisplay.from_estimator(est, X_test, y_test, ax=ax, extent=box)
    codes.suptitle(LATENT_CODES_CAPTION, fontsize="medium")
    grids, axes = plt.subplots(1, 2, figsize=(12, 6.6), layout="constrained")
    for ax, est, box in zip(axes, (ae2, vae2), boxes):
        LatentGridDisplay.from_estimator(est, extent=box, ax=ax, vmin=0, vmax=16)
    grids.suptitle(LATENT_GRIDS_CAPTION, fontsize="medium")
    return codes, grids


def outlier_figure(detector, X_shuffled):
    """The most abnormal row of X_shuffled, its contributions as an image, and the top ones."""
    import matplotlib.pyplot as plt

    from .plotting import FeatureContributionDisplay

    row = int(np.argmin(detector.score_samples(X_shuffled)))
    contributions = detector.feature_contributions(X_shuffled[[row]])[0]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.5), layout="constrained",
                             gridspec_kw={"width_ratios": [1, 1, 1.6]})
    axes[0].imshow(X_shuffled[row].reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
    axes[0].set_title("the most abnormal held-out row")
    limit = float(np.abs(contributions).max())
    image = axes[1].imshow(contributions.reshape(8, 8), cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[1].set_title("its feature_contributions")
    fig.colorbar(image, ax=axes[1], shrink=0.85,
                 label="contribution to the anomaly score\n(red: makes the row abnormal)")
    for ax in axes[:2]:
        ax.set_xticks([])
        ax.set_yticks([])
    FeatureContributionDisplay.from_estimator(detector, X_shuffled, row=row, max_features=8,
                                              ax=axes[2])
    return fig


def write_figures(output, *, X_test, y_test, pca8, ae2, ae8, vae2, vae8, samples, filled,
                  X_missing_test, detector):
    """Draw the demo's figures with :mod:`skgen.plotting`; returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import ImageGridDisplay, LossCurveDisplay

    output.mkdir(parents=True, exist_ok=True)
    paths = []

    def save(fig, name):
        path = output / name
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)

    codes_figure, grids_figure = latent_figures(ae2, vae2, X_test, y_test)
    save(codes_figure, "latent_codes.png")
    save(grids_figure, "latent_grids.png")

    rows = [X_test, pca8.inverse_transform(pca8.transform(X_test)),
            ae8.inverse_transform(ae8.transform(X_test))]
    disp = ImageGridDisplay.from_arrays(
        *rows, row_labels=["original", "PCA, k=8", "autoencoder, k=8"],
        title="held-out digits and their reconstructions", vmin=0, vmax=16)
    save(disp.figure_, "reconstructions.png")

    real, samples, c2st = samples
    disp = ImageGridDisplay.from_arrays(
        real, *(S for *_, S in samples), n_images=12,
        row_labels=["held-out\ndigits", *(f"{label.replace(', ', chr(10))}\nC2ST {auc:.3f}"
                                          for (label, *_), auc in zip(samples, c2st))],
        title="held-out digits and samples; C2ST 0.5 = indistinguishable\n"
              "typed: the integer pixels, each with a head over its levels; "
              "bounds and GMM: dequantized pixels", vmin=0, vmax=17)
    save(disp.figure_, "vae_samples.png")

    disp = ImageGridDisplay.from_arrays(
        X_test, X_missing_test, filled["KNNImputer"][1], filled["DenoisingAutoencoder"][1],
        row_labels=["original", f"{MISSING_FRACTION:.0%} missing", "KNNImputer",
                    "DenoisingAutoencoder"],
        title="imputation of held-out digits", vmin=0, vmax=16)
    save(disp.figure_, "imputation.png")

    detector, X_shuffled = detector
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), layout="constrained")
    for ax, est in zip(axes.ravel(), [ae8, vae8, filled["DenoisingAutoencoder"][0], detector]):
        LossCurveDisplay.from_estimator(est, ax=ax)
    save(fig, "loss_curves.png")

    save(outlier_figure(detector, X_shuffled), "outlier_explanation.png")
    return paths


# ----------------------------------------------------------------------------- main


def run(output=DEFAULT_OUTPUT, *, quick=False, out=print, progress_stream=None):
    """Run the demo: print the four tables and write the figures into ``output``.

    Parameters
    ----------
    output : str or path-like, default='skgen-demo'
        Folder for the figures, created if needed.
    quick : bool, default=False
        Train every skgen estimator for 3 epochs only (a smoke test); the
        tables say so.
    out : callable, default=print
        Receives each line of the tables.
    progress_stream : file-like, default=None
        Where the progress goes; None means standard error. It is a tqdm bar
        on a terminal when tqdm is installed (``pip install skgen[progress]``),
        else a line per step with the time since the start.

    Returns
    -------
    paths : list of pathlib.Path
        The figures written.
    """

    def say(line):  # the tables go to `out`, usually standard output: clear the bar first
        with progress.paused():
            out(line)

    file = sys.stderr if progress_stream is None else progress_stream
    with Progress(desc="skgen demo", file=file, stamp=True) as progress:
        output = Path(output)
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            can_draw = False
        else:
            can_draw = True
        X, y = load_digits(return_X_y=True)
        index = np.arange(len(X))
        train, test = train_test_split(index, test_size=0.25, random_state=0)
        X_train, X_test = X[train], X[test]
        say(f"skgen demo on load_digits: {len(train)} training and {len(test)} held-out images "
            f"of {X.shape[1]} pixels (0-16).")
        if quick:
            say("--quick: skgen estimators train for 3 epochs only; the numbers are not "
                "representative.")
        if not can_draw:
            say("matplotlib is not installed, so no figures will be written; "
                "`pip install skgen[plots]` adds it.")
        aes = reconstruction_table(X_train, X_test, progress, say, quick=quick)
        vaes, samples = density_table(X_train, X_test, progress, say, quick=quick)
        X_missing_test, filled = imputation_table(X, train, test, progress, say, quick=quick)
        detector = outlier_table(X, y, progress, say, quick=quick)
        say("")
        if not can_draw:
            say(f"Total time {progress.elapsed():.1f}s; no figures (matplotlib is not installed).")
            return []
        progress.write("drawing figures ...")
        paths = write_figures(
            output, X_test=X_test, y_test=y[test], pca8=aes["PCA", 8],
            ae2=aes["AutoencoderTransformer", 2], ae8=aes["AutoencoderTransformer", 8],
            vae2=vaes[2], vae8=vaes[8], samples=samples, filled=filled,
            X_missing_test=X_missing_test,
            detector=detector,
        )
        say(f"Figures written to {output.resolve()}:")
        for path in paths:
            say(f"  {path.name}")
        say(f"Total time {progress.elapsed():.1f}s.")
        return paths


def main(output=DEFAULT_OUTPUT, quick=False):
    """Entry point of ``python -m skgen demo``."""
    import torch
    from threadpoolctl import threadpool_limits

    # The networks and matrices are small: one thread is faster than several on
    # a busy machine, torch's, BLAS's and OpenMP's alike (on a loaded 2-core
    # machine a small triangular solve of a Gaussian mixture, the baseline's or
    # the VAE's prior, waits tens of milliseconds for a second BLAS thread, and
    # the two-sample tests' gradient boosting for its OpenMP threads: the quick
    # demo took over a minute instead of seconds). skgen's estimators run on one
    # thread by default (n_jobs=None); the baselines and the tests are told here,
    # and the caller's settings come back afterwards.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            run(output, quick=quick)
    finally:
        torch.set_num_threads(previous)
