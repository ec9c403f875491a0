"""VAETransformer(conditional=True): do rows drawn for a class look like that class?

On labelled tables, split 75/25 (stratified, ``random_state=0``),
``VAETransformer(conditional=True)`` with its other parameters at their defaults
is fitted on the training rows and their labels, ``fit(X, y)``. Then:

* **class fidelity**: rows are drawn for the held-out rows' labels,
  ``sample(n_test, y=y_test)``, and a HistGradientBoosting classifier fitted on
  the real training rows labels them; the share it assigns to the class asked
  for (mean over the draws), the smallest such share of any class, and, for
  scale, the same classifier's accuracy on the real held-out rows (TRTR).
  Target on digits: at least 0.90.
* **train on synthetic, test on real** (TSTR): rows are drawn for the training
  labels, ``sample(n_train, y=y_train)``; a HistGradientBoosting classifier
  fitted on them is scored on the real held-out rows, beside the same classifier
  fitted on the real training rows (TRTR). Target: within 0.05.
* **C2ST** of the drawn rows with their labels against the held-out rows with
  theirs (the label one more categorical column; as in ``bench_vae``), and the
  fit time.

Data: scikit-learn's digits (integer pixels, ten classes), wine (three cultivars)
and breast_cancer (two classes), and Palmer penguins (``palmerpenguins``: the
species from the island, sex, four measurements and the year). Torch and the
BLAS run on one thread. ``DRAWS`` sample draws per model, one fit each::

    python -m benchmarks.bench_vae_conditional

writes ``benchmarks/results/vae_conditional.md``.
"""

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from benchmarks._datasets import load_penguins
from benchmarks._report import publish
from benchmarks.bench_vae import Encoding, c2st, classifier
from skgen import VAETransformer

DATASETS = ["digits", "wine", "breast_cancer", "penguins"]

#: Sample draws per fitted model; the columns give their mean.
DRAWS = (1, 2, 3)


def load(name):
    """``(X, y)``: a DataFrame of the features (string column names) and the labels."""
    if name == "penguins":
        frame = load_penguins()
        return frame.drop(columns="species"), frame["species"].to_numpy()
    loader = {"digits": load_digits, "wine": load_wine, "breast_cancer": load_breast_cancer}
    data = loader[name]()
    X = data.data.astype(np.int64) if name == "digits" else data.data
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])]), data.target


def run(name):
    X, y = load(name)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    encoding = Encoding(X_train, X_test)
    codes, mask = encoding.codes, encoding.categorical_mask()
    numeric = not encoding.strings
    real = classifier(mask).fit(codes(X_train), y_train)
    trtr = real.score(codes(X_test), y_test)  # the classifier that labels the drawn rows

    tic = time.perf_counter()
    vae = VAETransformer(conditional=True, random_state=0, device="cpu")
    vae.fit(X_train.to_numpy(np.float64) if numeric else X_train, y_train)
    seconds = time.perf_counter() - tic

    def draw(n, labels, seed):
        rows = vae.sample(n, random_state=seed, y=labels)
        return pd.DataFrame(rows, columns=X.columns) if numeric else rows

    shares, worst, tstr, aucs = [], [], [], []
    for seed in DRAWS:
        fake = draw(len(X_test), y_test, seed)
        hit = real.predict(codes(fake)) == y_test
        shares.append(hit.mean())
        worst.append(min(hit[y_test == c].mean() for c in vae.classes_))
        aucs.append(c2st(encoding, X_test, fake, seed, labels=(y_test, y_test, vae.classes_)))
        synthetic = draw(len(X_train), y_train, 100 + seed)
        tstr.append(classifier(mask).fit(codes(synthetic), y_train).score(codes(X_test),
                                                                          y_test))
    row = dict(dataset=name, n_classes=len(vae.classes_), n_train=len(X_train),
               share=np.mean(shares), worst=np.mean(worst),
               tstr=np.mean(tstr), trtr=trtr, c2st=np.mean(aucs), seconds=seconds,
               epochs=vae.n_iter_)
    print(f"  {row}", flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=DATASETS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.threads)
    warnings.simplefilter("ignore", ConvergenceWarning)
    start = time.perf_counter()
    rows = []
    for name in args.datasets:
        print(name, flush=True)
        rows.append(run(name))
    lines = [
        "| data set | classes | training rows | share of samples classified as asked "
        "(smallest class's) | TSTR accuracy | TRTR accuracy | TSTR - TRTR | "
        "C2ST of (row, label) | fit s (epochs) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['n_classes']} | {r['n_train']} | {r['share']:.3f} "
            f"({r['worst']:.3f}) | {r['tstr']:.3f} | {r['trtr']:.3f} | "
            f"{r['tstr'] - r['trtr']:+.3f} | {r['c2st']:.3f} | {r['seconds']:.1f} "
            f"({r['epochs']}) |")
    lines += ["", "Targets:", ""]
    for r in rows:
        met = r["trtr"] - r["tstr"] <= 0.05
        checks = [f"TSTR within 0.05 of TRTR: {'met' if met else 'NOT met'}"]
        if r["dataset"] == "digits":
            met = r["share"] >= 0.9
            checks.insert(0, f"class share at least 0.90: {'met' if met else 'NOT met'}")
        lines.append(f"* {r['dataset']}: " + "; ".join(checks) + ".")
    lines += [
        "",
        "VAETransformer(conditional=True, random_state=0) with its other defaults, one fit "
        f"per data set; every column the mean over {len(DRAWS)} sample draws. Split 75/25, "
        "stratified, random_state=0. Share: of sample(n_test, y=y_test), labelled by a "
        "HistGradientBoosting classifier fitted on the real training rows (in brackets the "
        "smallest per-class share). TSTR: HistGradientBoosting fitted on "
        "sample(n_train, y=y_train), accuracy on the real held-out rows; TRTR: the same "
        "fitted on the real training rows (the classifier that labels the drawn rows). "
        "C2ST: 3-fold ROC-AUC, shuffled folds, of drawn "
        "(row, label) pairs against held-out ones (0.5 = indistinguishable). Times from one "
        "run on a shared machine, torch and BLAS threads="
        f"{args.threads}, load average {os.getloadavg()[0]:.1f} at the end; total "
        f"{time.perf_counter() - start:.0f} s."]
    publish("bench_vae_conditional.py", "vae_conditional.md", lines,
            title="VAETransformer(conditional=True) benchmark", write=not args.no_write)


if __name__ == "__main__":
    main()
