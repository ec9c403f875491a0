"""
Anomaly scores of AEOutlierDetector on an ADBench data set
==========================================================

An :class:`skgen.AEOutlierDetector` with its default parameters is fitted,
without labels, on 70 % of ADBench's ``38_thyroid`` set (which contains
anomalies), and scores the other 30 %. The histogram shows ``score_samples``
for the normal and the anomalous test rows (the labels are used for the plot
only) and the threshold ``offset_`` that ``contamination="auto"`` chose.

This docs example reads the shared benchmark data (``../shared/data/adbench``
relative to the repository root); the package itself never needs it.
"""

# SPDX-License-Identifier: BSD-3-Clause

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skgen import AEOutlierDetector  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".." / "shared" / "data" / "adbench" / "38_thyroid.npz"
OUT = ROOT / "docs" / "images" / "outlier_scores.png"

with np.load(DATA, allow_pickle=True) as data:
    X, y = data["X"].astype(np.float64), data["y"].astype(int)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)

detector = AEOutlierDetector(random_state=0).fit(X_train)
scores = detector.score_samples(X_test)
flagged = detector.predict(X_test) == -1
auc = roc_auc_score(y_test, -scores)
print(f"test ROC-AUC {auc:.3f}; flagged {flagged.sum()} of {len(y_test)} test rows "
      f"({flagged[y_test == 1].mean():.0%} of the anomalies, "
      f"{flagged[y_test == 0].mean():.1%} of the normal rows)")

# scores are negative errors spanning decades: plot -log10(-score)
def to_axis(s):
    return -np.log10(-s)


fig, ax = plt.subplots(figsize=(7, 4))
bins = np.linspace(to_axis(scores).min(), to_axis(scores).max(), 60)
ax.hist(to_axis(scores[y_test == 0]), bins=bins, alpha=0.6, label="normal rows", color="C0")
ax.hist(to_axis(scores[y_test == 1]), bins=bins, alpha=0.8, label="anomalies", color="C3")
ax.axvline(to_axis(detector.offset_), color="k", ls="--",
           label='offset_ (contamination="auto")')
ax.set_yscale("log")
ax.set_xlabel("score_samples, as -log10(-score)  (left: more abnormal)")
ax.set_ylabel("test rows")
ax.set_title(f"AEOutlierDetector on ADBench 38_thyroid (test ROC-AUC {auc:.3f})")
ax.legend()
fig.tight_layout()
OUT.parent.mkdir(parents=True, exist_ok=True)
fig.savefig(OUT, dpi=110)
print(f"saved {OUT}")
