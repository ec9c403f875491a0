"""Ablation of AEOutlierDetector's autoencoder expert: each of its three parts alone, and mixed.

Same protocol as ``bench_outliers.py`` (stratified 70/30 split per seed, train
and test capped at 20,000 rows, default detector fitted on raw X without
labels, suites split into fixed tune/confirm halves). From each fitted detector
the three parts of the anomaly score are read on the test rows with
``score_parts`` -- the column-normalized reconstruction error, the squared
standardized code and the distance to the nearest training codes, each divided
by its training median -- and ranked on their own, as the first two summed
(the score before the density part was added), as the plain mean of all three
(the score before ``part_weights_``) and weighted by ``part_weights_`` (the
autoencoder expert, the whole score before issue 27, which differs from the
plain mean only where the training rows are fewer than the columns), beside
the shipped ``score_samples`` (the three experts' mean surprisal). Prints the
ROC-AUC tables and writes them to benchmarks/results/outlier_score.md.

    python -m benchmarks.bench_outlier_score [--suites adbench embeddings] [--seeds 0 1 2]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from benchmarks._datasets import SUITES, adbench_split, suite_half
from benchmarks._report import publish
from benchmarks.bench_outliers import SUITE_TITLES
from skgen import AEOutlierDetector

SCORES = ("reconstruction", "latent", "density", "reconstruction + latent",
          "mean of three", "weighted", "shipped score")


def fitted_split(load, name, seed):
    """The benchmark's split of data set ``name`` for ``seed``, and the default detector
    fitted on its train part: ``(detector, X_train, X_test, y_test)``."""
    X, y = load(name)
    X_tr, X_te, _, y_te = adbench_split(X, y, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = AEOutlierDetector(random_state=seed).fit(X_tr)
    return det, X_tr, X_te, y_te


def suite_arguments(default_suites):
    """The command line of the score benchmarks: suites, seeds and torch threads (set)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--suites", nargs="*", default=default_suites, choices=list(SUITES))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    return args


def score_aucs(load, name, seed):
    """ROC-AUC of each of ``SCORES`` on one split, and the detector's ``part_weights_``."""
    det, _, X_te, y_te = fitted_split(load, name, seed)
    parts = det.score_parts(X_te)[:, :3]  # the autoencoder expert's parts (issue 27)
    reconstruction, latent, density = parts.T
    scores = (reconstruction, latent, density, reconstruction + latent, parts.mean(axis=1),
              parts @ det.part_weights_, -det.score_samples(X_te))
    return [roc_auc_score(y_te, s) for s in scores], det.part_weights_


def suite_lines(suite, seeds):
    names_of, load = SUITES[suite]
    names = names_of()
    halves = {n: h for h in ("tune", "confirm") for n in suite_half(names, h)}
    lines = [f"## {SUITE_TITLES[suite]}", "",
             "| data set | half | latent, density weight | " + " | ".join(SCORES) + " |",
             "|---|---|---:|" + "---:|" * len(SCORES)]
    table = {"tune": [], "confirm": []}
    for name in names:
        runs = [score_aucs(load, name, seed) for seed in seeds]
        aucs = np.mean([r[0] for r in runs], axis=0)
        weight = runs[0][1][1] / runs[0][1][0]  # the same for every seed: rows / columns
        table[halves[name]].append(aucs)
        best = int(np.argmax(aucs))
        cells = [f"**{a:.3f}**" if i == best else f"{a:.3f}" for i, a in enumerate(aucs)]
        lines.append(f"| {name} | {halves[name]} | {weight:.2f} | " + " | ".join(cells) + " |")
        print(lines[-1], file=sys.stderr, flush=True)
    for half in ("confirm", "tune"):
        means = np.mean(table[half], axis=0)
        lines.append(f"| **mean, {half} half** | | | " + " | ".join(f"{m:.4f}" for m in means)
                     + " |")
    return lines


def main():
    args = suite_arguments(["adbench", "embeddings"])
    tic = time.perf_counter()
    lines = []
    for suite in args.suites:
        lines += suite_lines(suite, args.seeds) + [""]
    lines += [f"ROC-AUC of each part of AEOutlierDetector's anomaly score (defaults) and of "
              f"their mixes, mean over seeds {args.seeds}, protocol of bench_outliers.py. "
              "The latent and density parts weigh min(1, rows / columns) against the "
              "reconstruction part in the shipped score; the weight column gives that "
              f"ratio. {time.perf_counter() - tic:.0f} s, torch threads {args.threads}."]
    publish("bench_outlier_score.py", "outlier_score.md", lines,
            title="The parts of AEOutlierDetector's score")


if __name__ == "__main__":
    main()
