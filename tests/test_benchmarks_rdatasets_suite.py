"""benchmarks/_rdatasets_suite.py and the class-as-anomalies cut the labelled suites share."""

import numpy as np
import pandas as pd

from benchmarks._datasets import LABELLED_ANOMALY_SHARE, _smallest_class_as_anomalies
from benchmarks._rdatasets_suite import entries, table


def test_table_keeps_the_numeric_columns_the_rule_admits():
    frame = pd.DataFrame({
        "id": np.arange(1, 9),                      # an index: distinct, whole, increasing
        "x": [0.5, 1.5, 2.0, np.nan, 3.0, 1.0, 2.5, 0.1],
        "flag": [True, False] * 4,                  # boolean: not a feature
        "constant": 7.0,                            # one value: not a feature
        "count": [3, 1, 4, 1, 5, 9, 2, 6],          # whole but not increasing: a feature
        "group": ["a", "b", "a", None, "b", "a", "b", "a"],
    })
    X, labels = table(frame, "group")
    # rows 3 (x missing, group missing) dropped; 'id' stays an index after the drop
    assert X.shape == (7, 2)
    np.testing.assert_array_equal(X[:, 1], [3, 1, 4, 5, 9, 2, 6])
    assert list(labels) == ["a", "b", "a", "b", "a", "b", "a"]


def test_smallest_class_becomes_a_capped_share_of_anomalies_after_the_normal_rows():
    rng = np.random.RandomState(0)
    labels = np.array(["big"] * 190 + ["small"] * 60 + ["mid"] * 100)
    X = rng.normal(size=(len(labels), 3))
    X_out, y = _smallest_class_as_anomalies(X, labels)
    n_normal = 290
    limit = int(round(LABELLED_ANOMALY_SHARE * n_normal / (1 - LABELLED_ANOMALY_SHARE)))
    assert y.sum() == limit and len(y) == n_normal + limit
    assert not y[:n_normal].any() and y[n_normal:].all()
    small = {tuple(r) for r in X[labels == "small"]}
    assert all(tuple(r) in small for r in X_out[y == 1])  # the anomalies are that class's rows
    # ties: the first label in sorted order ('a' before 'b', though 'b' comes first)
    tied = np.array(["c"] * 100 + ["b"] * 20 + ["a"] * 20)
    X_tie, y_tie = _smallest_class_as_anomalies(np.arange(140.0)[:, None], tied)
    assert y_tie.sum() == 6 and np.all(X_tie[y_tie == 1] >= 120)  # rows of 'a'


def test_the_frozen_list_names_each_table_once_with_its_label():
    import csv

    from benchmarks._rdatasets_suite import LIST_PATH

    with open(LIST_PATH, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(entries()) == 211  # no table twice (a dict would merge them)
    assert all(row["label"] and row["label"] != "rownames" for row in rows)
