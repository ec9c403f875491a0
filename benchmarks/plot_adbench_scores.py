"""Histogram of AEOutlierDetector's scores on held-out rows of one ADBench set.

Same split as ``bench_outliers.py`` (stratified 70/30, seed 0, each part capped
at 20,000 rows); the detector has its defaults and never sees the labels, which
only colour the histogram. The dashed line is ``offset_`` from
``contamination='auto'``: ``predict`` flags the rows left of it.

Usage (needs matplotlib, the ``bench`` extra)::

    python -m benchmarks.plot_adbench_scores                  # 6_cardio
    python -m benchmarks.plot_adbench_scores --dataset 31_satimage-2 --output out.png

The default writes ``docs/images/adbench_scores.png``, shown in ``docs/outliers.md``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import torch
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from benchmarks._datasets import adbench_split, load_adbench
from skgen import AEOutlierDetector
from skgen.plotting import OutlierScoreDisplay

OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "adbench_scores.png"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="6_cardio")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(OUTPUT))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    X, y = load_adbench(args.dataset)
    X_tr, X_te, _, y_te = adbench_split(X, y, args.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the step budget is often spent
        detector = AEOutlierDetector(random_state=args.seed).fit(X_tr)
    disp = OutlierScoreDisplay.from_estimator(
        detector, X_te, y_te, name=f"AEOutlierDetector on {args.dataset} (held-out rows)")
    flagged = detector.predict(X_te) == -1
    forest = IsolationForest(random_state=args.seed).fit(X_tr)
    auc_forest = roc_auc_score(y_te, -forest.score_samples(X_te))
    print(f"{args.dataset}, seed {args.seed}: ROC-AUC {disp.roc_auc_:.3f} "
          f"(IsolationForest {auc_forest:.3f}); contamination='auto' flags "
          f"{flagged[y_te == 1].mean():.0%} of the test anomalies and "
          f"{flagged[y_te == 0].mean():.1%} of the normal test rows "
          f"({y_te.sum()} anomalies, {len(y_te)} rows)")
    disp.figure_.set_size_inches(7, 4)
    disp.figure_.savefig(args.output, dpi=100)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
