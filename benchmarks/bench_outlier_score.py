"""Ablation of AEOutlierDetector's score: each of its three parts alone, and all.

Same protocol as ``bench_outliers.py`` (stratified 70/30 split per seed, train
and test capped at 20,000 rows, default detector fitted on raw X without
labels). From each fitted detector the three parts of the anomaly score are
read on the test rows -- the column-normalized reconstruction error, the
squared standardized code and the distance to the nearest training codes, each
divided by its training median -- and ranked on their own, as the first two
summed (the score before the density part was added), and all three summed
(the shipped ``score_samples``). Prints the ROC-AUC table and
writes it to benchmarks/results/outlier_score.md.

    python -m benchmarks.bench_outlier_score [--seeds 0 1] [--datasets 6_cardio ...]
"""

import argparse
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from benchmarks._datasets import adbench_names, adbench_split, load_adbench
from benchmarks._report import publish
from skgen import AEOutlierDetector

PARTS = ("reconstruction", "latent", "density", "reconstruction + latent", "all three (shipped)")


def part_aucs(name, seed):
    X, y = load_adbench(name)
    X_tr, X_te, _, y_te = adbench_split(X, y, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = AEOutlierDetector(random_state=seed).fit(X_tr)
    reconstruction, latent, density = det.score_parts(X_te).T
    scores = (reconstruction, latent, density, reconstruction + latent, -det.score_samples(X_te))
    return [roc_auc_score(y_te, s) for s in scores]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", nargs="*", default=None, help="stems, default: all")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = args.datasets or adbench_names()
    tic = time.perf_counter()
    lines = ["| data set | " + " | ".join(PARTS) + " |", "|---|" + "---:|" * len(PARTS)]
    table = []
    for name in names:
        aucs = np.mean([part_aucs(name, seed) for seed in args.seeds], axis=0)
        table.append(aucs)
        best = int(np.argmax(aucs))
        cells = [f"**{a:.3f}**" if i == best else f"{a:.3f}" for i, a in enumerate(aucs)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
        print(lines[-1], file=sys.stderr, flush=True)
    means = np.mean(table, axis=0)
    lines.append("| **mean** | " + " | ".join(f"{m:.4f}" for m in means) + " |")
    lines += ["", f"ROC-AUC of each part of AEOutlierDetector's anomaly score (defaults), mean "
              f"over seeds {args.seeds}; {len(names)} ADBench sets, protocol of "
              f"bench_outliers.py; {time.perf_counter() - tic:.0f} s, torch threads "
              f"{args.threads}."]
    publish("bench_outlier_score.py", "outlier_score.md", lines)


if __name__ == "__main__":
    main()
