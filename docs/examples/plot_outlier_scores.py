"""
==================================================
Anomaly scores and the threshold of a detector
==================================================

An :class:`~skgen.AEOutlierDetector` is fitted, without labels, on digits
among which a few anomalies were planted, and scores held-out rows. Two kinds
of anomalies show what a reconstruction-based detector can and cannot see:

- **shuffled pixels**: digits whose 64 pixels were randomly permuted. They lie
  far from the structure every digit shares, and are reconstructed badly.
- **a different digit**: images of a 0 among the digits 1 to 9. They are
  perfectly ordinary images, and a model of "digits" reconstructs them well.

The histograms show ``score_samples`` (higher means more normal) for the
normal and the anomalous held-out rows, the labels being used for the plot
only, and the threshold ``offset_`` that ``contamination='auto'`` chose
(``predict`` flags the rows left of it), drawn by
:class:`~skgen.plotting.OutlierScoreDisplay`. The ROC-AUC of
:class:`~sklearn.ensemble.IsolationForest` is printed for comparison.

Run ``python docs/examples/plot_outlier_scores.py --save`` from the repository
root to refresh ``docs/images/outlier_scores.png``, which the user guide shows.
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skgen import AEOutlierDetector
from skgen.plotting import OutlierScoreDisplay

X, y = load_digits(return_X_y=True)
rng = np.random.RandomState(0)

# shuffled pixels: 5% of all digits get their pixels permuted
shuffled = rng.choice(len(X), size=len(X) // 20, replace=False)
X_shuffled = X.copy()
for i in shuffled:
    X_shuffled[i] = X[i, rng.permutation(X.shape[1])]
label_shuffled = np.isin(np.arange(len(X)), shuffled).astype(int)

# a different digit: the digits 1-9, plus zeros making 5% of the rows
normal = X[y != 0]
zeros = X[y == 0][: len(normal) // 19]
X_zeros = np.vstack([normal, zeros])
label_zeros = np.r_[np.zeros(len(normal), dtype=int), np.ones(len(zeros), dtype=int)]

settings = {"shuffled pixels": (X_shuffled, label_shuffled),
            "zeros among the digits 1-9": (X_zeros, label_zeros)}

# %%
# Fit on 75 % (anomalies included), score the other 25 %. Scores are negative
# errors that span decades, so the histograms show :math:`-\log_{10}(-s)`.

fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for ax, (title, (data, labels)) in zip(axes, settings.items()):
    X_train, X_test, _, l_test = train_test_split(data, labels, test_size=0.25,
                                                  stratify=labels, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the step budget is often spent
        detector = AEOutlierDetector(random_state=0).fit(X_train)
    disp = OutlierScoreDisplay.from_estimator(detector, X_test, l_test, ax=ax, name=title)
    flagged = detector.predict(X_test) == -1
    forest = IsolationForest(random_state=0).fit(X_train)
    auc_forest = roc_auc_score(l_test, -forest.score_samples(X_test))
    print(f"{title}: ROC-AUC {disp.roc_auc_:.3f} (IsolationForest {auc_forest:.3f}); flagged "
          f"{flagged[l_test == 1].mean():.0%} of the anomalies and "
          f"{flagged[l_test == 0].mean():.1%} of the normal rows")
plt.show()

# %%
# The shuffled digits are far left of every normal row. The zeros are not:
# an autoencoder flags what it reconstructs badly, not what a person would
# call a different kind of row. Whether a detector finds the anomalies that
# matter depends on what makes them anomalous, so check it on labelled
# examples when you have some, and compare it with IsolationForest, which is
# faster and wins on many tables (see :ref:`choosing`).

if "--save" in sys.argv[1:]:
    out = Path(__file__).resolve().parents[1] / "images" / "outlier_scores.png"
    fig.savefig(out, dpi=100)
    print(f"saved {out}")
