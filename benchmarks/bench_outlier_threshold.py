"""How many new normal rows AEOutlierDetector's threshold flags, against the training rows.

A threshold read off the training rows' scores flags new rows from the same distribution
as often as training rows only if the training rows score as new rows would. Two cases
where they did not (a user's probe): an autoencoder fitted on few rows reconstructs them
several times better than new ones, and a training row is its own nearest neighbour.
Fit on the first ``n`` of scikit-learn's digits (shuffled), the script gives the share of
the training rows and of 797 digits never trained on that ``predict`` flags, with the
'auto' threshold and with ``contamination=0.05``, for the default and for
``experts='all'``, beside IsolationForest's, means over the seeds.

    python -m benchmarks.bench_outlier_threshold [--seeds 0 1 2] [--sizes 50 100 ...]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import warnings

import numpy as np

from benchmarks._report import publish
from skgen import AEOutlierDetector

NEW_ROWS = slice(1000, None)  # 797 digits no fit below reads


def detectors(seed):
    from sklearn.ensemble import IsolationForest

    return {
        ("AE", "auto"): AEOutlierDetector(random_state=seed),
        ("AE", "0.05"): AEOutlierDetector(random_state=seed, contamination=0.05),
        ("AE (experts='all')", "auto"): AEOutlierDetector(random_state=seed, experts="all"),
        ("AE (experts='all')", "0.05"): AEOutlierDetector(random_state=seed, experts="all",
                                                          contamination=0.05),
        ("IForest", "auto"): IsolationForest(random_state=seed),
        ("IForest", "0.05"): IsolationForest(random_state=seed, contamination=0.05),
    }


def shares(sizes, seeds):
    """``{(n, detector, contamination): (training share, new share)}``, means over seeds."""
    from sklearn.datasets import load_digits

    digits = load_digits().data
    out = {}
    for seed in seeds:
        X = digits[np.random.RandomState(seed).permutation(len(digits))]
        for n in sizes:
            for key, det in detectors(seed).items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    det.fit(X[:n])
                flagged = (np.mean(det.predict(X[:n]) == -1),
                           np.mean(det.predict(X[NEW_ROWS]) == -1))
                old = out.get((n, *key), (0.0, 0.0))
                out[(n, *key)] = tuple(o + f / len(seeds) for o, f in zip(old, flagged))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--sizes", nargs="*", type=int, default=[50, 100, 200, 500, 1000])
    args = parser.parse_args()
    result = shares(args.sizes, args.seeds)
    keys = list(detectors(0))
    lines = ["| training digits | " + " | ".join(f"{d}, {c}" for d, c in keys) + " |",
             "|---:|" + "---:|" * len(keys)]
    for n in args.sizes:
        lines.append(f"| {n} | " + " | ".join(
            "{:.1%} / {:.1%}".format(*result[(n, *key)]) for key in keys) + " |")
    lines += ["", "Share of the training digits / of 797 digits never trained on that "
              f"`predict` flags, means over seeds {args.seeds} (each seed shuffles the "
              "digits); 'auto' and a 5% `contamination`. Rows from one distribution: a "
              "threshold that reads the training rows as new rows would score them flags "
              "both about as often."]
    publish("bench_outlier_threshold.py", "outlier_threshold.md", lines,
            title="Threshold: training rows and new rows flagged")


if __name__ == "__main__":
    main()
