"""Candidate extra parts for AEOutlierDetector's score, on the tune halves only.

Issue 12 asked whether a score combining diverse detectors would beat every
baseline. This script measures the candidates that were tried, with the
protocol of ``bench_outliers.py`` (stratified 70/30 split per seed, capped at
20,000 rows, default detector fitted without labels), on the **tune** half of
each suite: a candidate would go to the confirm half only if it raised the
mean ROC-AUC of all three tune halves, and none did. Each extra part is
computed in the detector's scaled space (``(X - mean_) / scale_``) from at
most 10,000 training rows and divided by its median over them (leaving each
row out of its own neighbours), as the shipped parts are:

* ``kNN``: squared distance to the 5th nearest training row (raw-space KNN);
* ``tails``: ECOD's score, the sum over columns of minus the log of a row's
  empirical tail probability on the training rows (left, right or by skew,
  whichever is largest), so extreme values in single columns count;
* ``DTE-NP``: Livernoche et al.'s non-parametric diffusion time estimate
  (vicliv/DTE, ``diffusion/non_param_dte.py``, their defaults K = 5, T = 300,
  betas from 1e-4 to 1e-2): the mean squared distance ``m`` to the 5 nearest
  training rows gives an inverse-gamma posterior (shape ``d / 2 - 1``, scale
  ``m / 2``) over the noise variances ``1 - alpha_bar_t`` of the diffusion
  steps, and the score is the expected step, a saturating function of ``m``;
* ``GMM``: minus the log-likelihood of the standardized code under a
  full-covariance GaussianMixture fitted on ``reference_codes_`` (components
  doubled while BIC improves: VAETransformer's mixture prior,
  ``skgen._mixture.fit_code_mixture``), shifted to 0 at the training minimum; it
  replaces the latent and density parts.

The mixes: the shipped score, which weighs the parts by ``part_weights_``, with
each extra part as one more term of weight 1/3 (renormalized), and the shipped
parts combined by their geometric mean instead (a part with a heavy tail counts
less).

    python -m benchmarks.bench_outlier_candidates [--seeds 0 1 2]
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from benchmarks._datasets import SUITES, suite_half
from benchmarks._report import against_first, publish
from benchmarks.bench_outlier_score import fitted_split, suite_arguments
from benchmarks.bench_outliers import SUITE_TITLES
from skgen._mixture import fit_code_mixture

REFERENCE_ROWS = 10_000
MIXES = ("shipped", "+ kNN", "+ tails", "+ kNN + tails", "+ DTE-NP", "reconstruction + GMM",
         "geometric mean")


def _by_median(train, test):
    scale = max(float(np.median(train)), 1e-12)
    return test / scale


def knn_part(Z_ref, Z_te, k=5):
    search = NearestNeighbors(n_neighbors=k + 1).fit(Z_ref)
    train = search.kneighbors(Z_ref)[0][:, k] ** 2  # the row itself is its nearest
    return _by_median(train, search.kneighbors(Z_te, n_neighbors=k)[0][:, k - 1] ** 2)


def tails_part(Z_ref, Z_te):
    ordered = np.sort(Z_ref, axis=0)
    n = len(Z_ref)
    skewed_left = ((Z_ref - Z_ref.mean(axis=0)) ** 3).mean(axis=0) < 0

    def score(Z):
        left = np.empty_like(Z)
        right = np.empty_like(Z)
        for j in range(Z.shape[1]):
            left[:, j] = np.searchsorted(ordered[:, j], Z[:, j], side="right") + 1
            right[:, j] = n - np.searchsorted(ordered[:, j], Z[:, j], side="left") + 1
        left, right = -np.log(left / (n + 2)), -np.log(right / (n + 2))
        by_skew = np.where(skewed_left, left, right)
        return np.maximum.reduce([left.sum(1), right.sum(1), by_skew.sum(1)])

    return _by_median(score(Z_ref), score(Z_te))


def dte_part(Z_ref, Z_te, k=5, n_steps=300):
    """DTE-NP's expected diffusion step from the mean squared distance to ``k`` neighbours."""
    noise_variance = 1.0 - np.cumprod(1.0 - np.linspace(1e-4, 1e-2, n_steps))
    shape = max(0.5 * Z_ref.shape[1] - 1.0, 0.5)  # DTE's d/2 - 1 (positive for d > 2)
    search = NearestNeighbors(n_neighbors=k + 1).fit(Z_ref)

    def expected_step(mean_squared):
        # log inverse-gamma density at each step's variance, up to terms constant in t
        log_p = (-(shape + 1.0) * np.log(noise_variance)[None, :]
                 - (mean_squared[:, None] / 2.0) / noise_variance[None, :])
        log_p -= log_p.max(axis=1, keepdims=True)
        p = np.exp(log_p)
        return (p @ np.arange(n_steps)) / p.sum(axis=1)

    train = expected_step(np.mean(search.kneighbors(Z_ref)[0][:, 1:] ** 2, axis=1))
    test = expected_step(np.mean(search.kneighbors(Z_te, n_neighbors=k)[0] ** 2, axis=1))
    return _by_median(train, test)


def gmm_part(codes_ref, codes_te, seed):
    """VAETransformer's ``prior='mixture'`` fit (BIC-sized, full covariance) on the codes."""
    gmm = fit_code_mixture(codes_ref, seed)
    train, test = -gmm.score_samples(codes_ref), -gmm.score_samples(codes_te)
    return _by_median(train - train.min(), test - train.min())


def candidate_aucs(load, name, seed):
    det, X_tr, X_te, y_te = fitted_split(load, name, seed)
    parts = det.score_parts(X_te)[:, :3]  # the autoencoder expert's parts (issue 27)
    reference = X_tr[::math.ceil(len(X_tr) / REFERENCE_ROWS)]
    Z_ref = (reference - det.mean_) / det.scale_
    Z_te = (X_te - det.mean_) / det.scale_
    knn, tails = knn_part(Z_ref, Z_te), tails_part(Z_ref, Z_te)
    dte = dte_part(Z_ref, Z_te)
    gmm = gmm_part(det.reference_codes_, _standardized_codes(det, X_te), seed)
    w = det.part_weights_
    shipped = parts @ w
    scores = {
        "shipped": shipped,
        "+ kNN": (3 * shipped + knn) / 4,
        "+ tails": (3 * shipped + tails) / 4,
        "+ kNN + tails": (3 * shipped + knn + tails) / 5,
        "+ DTE-NP": (3 * shipped + dte) / 4,
        "reconstruction + GMM": w[0] * parts[:, 0] + (1 - w[0]) * gmm,
        "geometric mean": np.log(np.maximum(parts, 1e-12)) @ w,
    }
    return [roc_auc_score(y_te, scores[m]) for m in MIXES]


def _standardized_codes(det, X):
    """The code units the latent and density parts read, standardized as
    ``reference_codes_`` are. No public method returns them, so this exploration
    reads the detector's private batch function."""
    X = det._validate_for_inference(X)
    codes = det._apply_in_batches(
        X, lambda m, x: m.errors_and_codes(x, det.n_scored_components_)[1])
    return (codes.astype(np.float64) - det.code_mean_) / det.code_scale_


def main():
    args = suite_arguments(list(SUITES))
    tic = time.perf_counter()
    lines = ["| suite (tune half) | " + " | ".join(MIXES) + " |", "|---|" + "---:|" * len(MIXES)]
    for suite in args.suites:
        names_of, load = SUITES[suite]
        aucs = [np.mean([candidate_aucs(load, name, seed) for seed in args.seeds], axis=0)
                for name in suite_half(names_of(), "tune")]
        means = np.mean(aucs, axis=0)
        cells = against_first(means)
        lines.append(f"| {SUITE_TITLES[suite]} | " + " | ".join(cells) + " |")
        print(lines[-1], file=sys.stderr, flush=True)
    lines += ["", f"Mean ROC-AUC over the tune half of each suite, seeds {args.seeds}; in "
              "brackets the change against the shipped score. A candidate goes to the "
              "confirm halves only if it raises all three tune halves. "
              f"{time.perf_counter() - tic:.0f} s, torch threads {args.threads}."]
    publish("bench_outlier_candidates.py", "outlier_candidates.md", lines,
            title="Candidate extra parts for AEOutlierDetector's score (tune halves)")


if __name__ == "__main__":
    main()
