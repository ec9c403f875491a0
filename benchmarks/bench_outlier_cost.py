"""The cost of AEOutlierDetector against IsolationForest, KNN and MinCovDet, quiet and busy.

Fit on the train part and score the test part of every ADBench table, with the split
of ``bench_outliers.py`` (stratified 70/30, capped at 20,000 rows), for each seed, and
sum the wall-clock time per detector. Run twice in one process: on the machine as it
is, and with another process spinning on one core (a busy-looping Python child, as a
parallel job or another user would); the AE runs with its default ``n_jobs`` (one
torch thread and one BLAS thread) and with ``n_jobs=-1`` (every core). The baselines run
on one thread too: the BLAS and OpenMP pools NumPy and scikit-learn would otherwise
spread MinCovDet's and KNN's linear algebra over are limited to one (threadpoolctl). Prints the totals and their ratios to IsolationForest's and writes
them to ``benchmarks/results/outlier_cost.md``.

Then, on the two large tables 10_cover and 16_http, the fit on 20,000 and on 200,000 rows
plus the score of 20,000 other rows, for the AE (with its defaults and with
``experts='all'``) and IsolationForest, with the scored rows' ROC-AUC beside the times.

    python -m benchmarks.bench_outlier_cost [--seeds 0 1 2] [--tables 6_cardio ...] [--no-busy]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import multiprocessing
import os
import sys
import time
import warnings

import numpy as np

from benchmarks._datasets import adbench_names, adbench_split, load_adbench
from benchmarks._report import publish
from benchmarks.bench_outliers import KNNDistance, RobustMahalanobis, Sklearn
from skgen import AEOutlierDetector


def _spin():
    while True:
        pass


def detectors(seed):
    from sklearn.ensemble import IsolationForest

    return {
        "AE (n_jobs=None)": Sklearn(AEOutlierDetector(random_state=seed)),
        "AE (n_jobs=-1)": Sklearn(AEOutlierDetector(random_state=seed, n_jobs=-1)),
        "AE (experts='all')": Sklearn(AEOutlierDetector(random_state=seed, experts="all")),
        "IForest": Sklearn(IsolationForest(random_state=seed)),
        "KNN": KNNDistance(standardize=False),
        "MCD": RobustMahalanobis(seed),
    }


def total_times(names, seeds, labels=None):
    """Seconds of fit + score per detector (those of ``labels``, or all), summed over the
    tables and seeds."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # the AE's n_jobs sets its own during its calls
        return _total_times(names, seeds, labels)


def _total_times(names, seeds, labels):
    totals = {}
    for name in names:
        X, y = load_adbench(name)
        for seed in seeds:
            X_tr, X_te, _, _ = adbench_split(X, y, seed)
            for label, det in detectors(seed).items():
                if labels is not None and label not in labels:
                    continue
                tic = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    det.fit(X_tr).anomaly_score(X_te)
                totals[label] = totals.get(label, 0.0) + time.perf_counter() - tic
        print(name, {k: round(v, 1) for k, v in totals.items()}, file=sys.stderr, flush=True)
    return totals


#: The large tables of the growth measurement, and the training sizes compared.
LARGE_TABLES = ("10_cover", "16_http")
LARGE_SIZES = (20_000, 200_000)
SCORED_ROWS = 20_000


def growth_times(seeds):
    """Seconds of fit on ``LARGE_SIZES`` rows + score of ``SCORED_ROWS`` other rows, per
    large table and detector (the AE with its defaults and with ``experts='all'``,
    IsolationForest), one thread each, summed over the seeds; and the mean ROC-AUC of the
    scored rows, so that what a change saves at 200,000 rows is seen beside what it costs."""
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    times, aucs = {}, {}
    with threadpool_limits(limits=1):
        for name in LARGE_TABLES:
            X, y = load_adbench(name)
            for seed in seeds:
                order = np.random.RandomState(seed).permutation(len(X))
                X_te, y_te = X[order[:SCORED_ROWS]], y[order[:SCORED_ROWS]]
                for n in LARGE_SIZES:
                    X_tr = X[order[SCORED_ROWS:SCORED_ROWS + n]]
                    for label, det in (
                            ("AE", AEOutlierDetector(random_state=seed)),
                            ("AE (experts='all')",
                             AEOutlierDetector(random_state=seed, experts="all")),
                            ("IForest", IsolationForest(random_state=seed))):
                        tic = time.perf_counter()
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            scores = det.fit(X_tr).score_samples(X_te)
                        key = (name, n, label)
                        times[key] = times.get(key, 0.0) + time.perf_counter() - tic
                        aucs[key] = aucs.get(key, 0.0) + roc_auc_score(y_te, -scores) / len(seeds)
            print(name, {k: round(v, 1) for k, v in times.items() if k[0] == name},
                  file=sys.stderr, flush=True)
    return times, aucs


def growth_lines(times, aucs, seeds):
    small, large = LARGE_SIZES
    lines = ["| table | detector | fit on 20,000 + score | fit on 200,000 + score | "
             "/ IForest at 200,000 | 200,000 / 20,000 | ROC-AUC at 20,000 / 200,000 |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name in LARGE_TABLES:
        if_l = times[(name, large, "IForest")]
        for label in ("AE", "AE (experts='all')", "IForest"):
            t_s, t_l = times[(name, small, label)], times[(name, large, label)]
            lines.append(f"| {name} | {label} | {t_s:.1f} s | {t_l:.1f} s | {t_l / if_l:.1f}x | "
                         f"{t_l / t_s:.1f}x | {aucs[(name, small, label)]:.4f} / "
                         f"{aucs[(name, large, label)]:.4f} |")
    lines += ["", f"Fit on 20,000 or 200,000 rows of each large table and score 20,000 other "
              f"rows, seeds {seeds} summed (ROC-AUC: their mean), one thread each (targets: "
              "at most 3x IsolationForest at 200,000 rows, at most 3x the AE's own time at "
              "20,000)."]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--tables", nargs="*", default=None)
    parser.add_argument("--no-busy", action="store_true", help="skip the busy-core run")
    parser.add_argument("--detectors", nargs="*", default=None,
                        help="only these detectors (labels as in the table; IForest always)")
    args = parser.parse_args()
    names = args.tables or adbench_names()
    # one fit first, so that torch's one-off imports (about 3 s) count in no table
    AEOutlierDetector(max_iter=1).fit(np.random.RandomState(0).normal(size=(20, 3)))
    growth = growth_lines(*growth_times(args.seeds), args.seeds)
    labels = None if args.detectors is None else set(args.detectors) | {"IForest"}
    runs = {"quiet": total_times(names, args.seeds, labels)}
    if not args.no_busy:
        spinner = multiprocessing.get_context("spawn").Process(target=_spin, daemon=True)
        spinner.start()
        try:
            runs["one core busy"] = total_times(names, args.seeds, labels)
        finally:
            spinner.terminate()
    labels = list(runs["quiet"])
    lines = ["| machine | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for machine, totals in runs.items():
        base = totals["IForest"]
        lines.append(f"| {machine} | " + " | ".join(
            f"{totals[m]:.1f} s ({totals[m] / base:.1f}x)" for m in labels) + " |")
    lines += ["", f"Fit + score time over {len(names)} ADBench tables and seeds {args.seeds} "
              "(the split of bench_outliers.py), in brackets against IsolationForest's in the "
              f"same run; {os.cpu_count()} cores. 'one core busy': another process spins on a "
              "core throughout. n_jobs=None is the default: one thread; the baselines run on one "
              "thread (BLAS pools limited to one).", "", "## Growth with the table", ""]
    lines += growth
    publish("bench_outlier_cost.py", "outlier_cost.md", lines,
            title="The cost of AEOutlierDetector, quiet and with a busy core")


if __name__ == "__main__":
    main()
