"""Benchmark AEOutlierDetector against classical detectors on 26 ADBench sets.

Protocol, for each data set and each seed (0, 1, 2 by default):

* a stratified 70/30 split, ``train_test_split(X, y, test_size=0.3, stratify=y,
  random_state=seed)``;
* each part capped at 20,000 rows by a seeded *stratified* subsample (so the
  anomaly share of the part is kept);
* every detector is fitted on the train part without labels and scores the test
  part; ROC-AUC and average precision (anomaly = positive) on the test part.

Results are averaged over seeds, then over data sets; the mean rank (1 = best
ROC-AUC on a data set) and the total fit time are reported too. A data set with
fewer than 2 anomalies cannot be split with stratification and is skipped; a
test part left with no anomaly has no ROC-AUC and is left out of that seed's
mean (both are listed under the table). In the shared copy, 34_smtp has 30
anomalies in 95,156 rows: it splits, and its capped test part keeps about 6.

For ``AEOutlierDetector`` the table also shows the share of training rows that
``contamination="auto"`` flags (``auto %``) beside the true anomaly share.

PyOD's AutoEncoder and VAE run with their defaults when ``pyod`` is installed
(``pip install -c .ci/constraints.txt pyod``, the ``bench`` extra).

Usage::

    python benchmarks/bench_outliers.py                      # full run, writes results
    python benchmarks/bench_outliers.py --datasets 6_cardio 29_Pima --seeds 0 --no-write
    python benchmarks/bench_outliers.py --methods AE IForest \\
        --ae-params '{"n_estimators": 3}' --results outliers_n_estimators_3
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _datasets import adbench_names, adbench_split, load_adbench  # noqa: E402
from _report import publish  # noqa: E402

from skgen import AEOutlierDetector  # noqa: E402


class PCAError:
    """Squared reconstruction error of standardized rows by PCA with ceil(sqrt(p)) axes."""

    def fit(self, X):
        k = max(1, min(X.shape[1] - 1, math.ceil(math.sqrt(X.shape[1]))))
        self.model = make_pipeline(StandardScaler(), PCA(n_components=k, random_state=0)).fit(X)
        return self

    def anomaly_score(self, X):
        scaler, pca = self.model[0], self.model[1]
        Z = scaler.transform(X)
        return np.mean((Z - pca.inverse_transform(pca.transform(Z))) ** 2, axis=1)


def _sk(make):
    """Wrap a scikit-learn detector: anomaly score = -score_samples."""

    class Wrapped:
        def fit(self, X):
            self.model = make().fit(X)
            return self

        def anomaly_score(self, X):
            return -self.model.score_samples(X)

    return Wrapped


def _pyod(make):
    """Wrap a PyOD detector: its decision_function is already higher = more abnormal."""

    class Wrapped:
        def fit(self, X):
            self.model = make()
            self.model.fit(X)
            return self

        def anomaly_score(self, X):
            return self.model.decision_function(X)

    return Wrapped


def make_methods(seed, ae_params):
    methods = {
        "AE": _sk(lambda: AEOutlierDetector(random_state=seed, **ae_params)),
        "IForest": _sk(lambda: IsolationForest(random_state=seed)),
        "PCA": PCAError,
        "LOF": _sk(lambda: LocalOutlierFactor(novelty=True)),
    }
    try:
        from pyod.models.auto_encoder import AutoEncoder
        from pyod.models.vae import VAE
    except ImportError as exc:  # pyod is a bench extra, never a runtime dependency
        print(f"pyod not available ({exc}); PyOD columns skipped", file=sys.stderr)
    else:
        methods["PyOD-AE"] = _pyod(lambda: AutoEncoder(random_state=seed, verbose=0))
        methods["PyOD-VAE"] = _pyod(lambda: VAE(random_state=seed, verbose=0))
    return methods


def _evaluate(make, X_tr, X_te, y_te, flag):
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = make().fit(X_tr)
    elapsed = time.perf_counter() - tic
    s = np.nan_to_num(np.asarray(det.anomaly_score(X_te), dtype=np.float64), nan=0.0,
                      posinf=1e300, neginf=-1e300)
    result = {"auc": float(roc_auc_score(y_te, s)),
              "ap": float(average_precision_score(y_te, s)), "time": elapsed}
    if flag:
        result["flag"] = float(np.mean(det.model.predict(X_tr) == -1))
    return result


def run(datasets, seeds, method_names, ae_params, cache_path=None, pyod_seeds=None,
        pyod_max_rows=np.inf):
    pyod_seeds = seeds if pyod_seeds is None else pyod_seeds
    rows, notes = {}, []
    cache = None
    if cache_path is not None:
        cache_path = Path(cache_path)
        cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    for name in datasets:
        X, y = load_adbench(name)
        if y.sum() < 2:
            notes.append(f"{name}: {int(y.sum())} anomalies, too few to stratify; skipped")
            continue
        per_seed = {}
        for seed in seeds:
            X_tr, X_te, y_tr, y_te = adbench_split(X, y, seed)
            if y_te.sum() == 0:
                notes.append(f"{name} seed {seed}: no anomaly in the test part; seed left out")
                continue
            methods = make_methods(seed, ae_params)
            for m in method_names:
                if m not in methods:
                    continue
                if m.startswith("PyOD") and (seed not in pyod_seeds or len(y) > pyod_max_rows):
                    continue
                # the baselines are cached; skgen's detector always runs, so that a changed
                # default can never be served an old result
                key = f"{m}|{name}|{seed}"
                cached = cache is not None and m != "AE"
                if cached and key in cache:
                    result = cache[key]
                else:
                    result = _evaluate(methods[m], X_tr, X_te, y_te, flag=m == "AE")
                    if cached:
                        cache[key] = result
                        cache_path.write_text(json.dumps(cache))
                rec = per_seed.setdefault(m, {"auc": [], "ap": [], "flag": [], "time": []})
                for k, v in result.items():
                    rec[k].append(v)
                rec.setdefault("by_seed", {})[seed] = result["auc"]
        if per_seed:
            rows[name] = {
                "n": len(y), "p": X.shape[1], "share": float(y.mean()),
                **{m: {**{k: float(np.mean(v)) if v else float("nan") for k, v in r.items()
                          if k != "by_seed"},
                       "n_seeds": len(r["auc"]), "by_seed": r["by_seed"]}
                   for m, r in per_seed.items()},
            }
            line = "  ".join(f"{m} {r['auc']:.3f}" for m, r in rows[name].items()
                             if isinstance(r, dict))
            print(f"{name:18s} {line}", flush=True)
    return rows, notes


def _ranks(values):
    """Rank 1 for the highest value; ties share their average rank."""
    vals = np.asarray(values)
    ranks = np.empty(len(vals))
    for i, v in enumerate(vals):
        ranks[i] = 1 + np.sum(vals > v) + (np.sum(vals == v) - 1) / 2
    return ranks


def _summary(rows, methods, title):
    n = len(rows)
    rank_sum = dict.fromkeys(methods, 0.0)
    for r in rows.values():
        for m, rk in zip(methods, _ranks([r[m]["auc"] for m in methods])):
            rank_sum[m] += rk
    lines = ["", f"{title} ({n} data sets):", "",
             "| method | mean ROC-AUC | mean AP | mean rank | total fit time (s) |",
             "|---|---:|---:|---:|---:|"]
    for m in sorted(methods, key=lambda m: rank_sum[m]):
        auc = np.mean([r[m]["auc"] for r in rows.values()])
        ap = np.mean([r[m]["ap"] for r in rows.values()])
        seconds = sum(r[m]["time"] * r[m]["n_seeds"] for r in rows.values())
        lines.append(f"| {m} | {auc:.4f} | {ap:.4f} | {rank_sum[m] / n:.2f} | {seconds:.1f} |")
    return lines


def _seed_summary(rows, methods, seeds):
    """Mean ROC-AUC over the data sets, seed by seed: is a gap larger than the seed noise?"""
    lines = ["", "Mean ROC-AUC over the data sets, by seed (a data set missing a seed is left "
             "out of that seed's mean):", "",
             "| method | " + " | ".join(f"seed {s}" for s in seeds) + " |",
             "|---|" + "---:|" * len(seeds)]
    for m in methods:
        means = [np.mean([r[m]["by_seed"][s] for r in rows.values() if s in r[m]["by_seed"]])
                 for s in seeds]
        lines.append(f"| {m} | " + " | ".join(f"{v:.4f}" for v in means) + " |")
    return lines


def format_tables(rows, notes, method_names, seeds):
    methods = [m for m in method_names if any(m in r for r in rows.values())]
    head = "| data set | rows | p | anomalies | " + " | ".join(methods) + " | AE auto % |"
    sep = "|---|---:|---:|---:|" + "---:|" * (len(methods) + 1)
    lines = [f"ROC-AUC / average precision on the test part, mean over seeds {list(seeds)} "
             "(best ROC-AUC in bold; `-` = not run).", "", head, sep]
    for name, r in rows.items():
        best = max(r[m]["auc"] for m in methods if m in r)
        cells = []
        for m in methods:
            if m not in r:
                cells.append("-")
                continue
            cell = f"{r[m]['auc']:.3f} / {r[m]['ap']:.3f}"
            cells.append(f"**{cell}**" if r[m]["auc"] == best else cell)
        flag = f"{100 * r['AE']['flag']:.1f}" if "AE" in r else "-"
        lines.append(f"| {name} | {r['n']} | {r['p']} | {100 * r['share']:.1f}% | "
                     + " | ".join(cells) + f" | {flag} |")
    everywhere = [m for m in methods if all(m in r for r in rows.values())]
    partial = [m for m in methods if m not in everywhere]
    lines += _summary(rows, everywhere, "Summary over all data sets")
    lines += _seed_summary(rows, everywhere, seeds)
    if partial:
        common = {k: r for k, r in rows.items() if all(m in r for m in methods)}
        if common:
            lines += _summary(common, methods,
                              "Summary over the data sets where every method ran")
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=None, help="stems, default: all")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--methods", nargs="*",
                        default=["AE", "IForest", "PCA", "LOF", "PyOD-AE", "PyOD-VAE"])
    parser.add_argument("--ae-params", default="{}", help="JSON kwargs for AEOutlierDetector")
    parser.add_argument("--no-write", action="store_true", help="print only, write no results file")
    parser.add_argument("--results", default="outliers",
                        help="name of the results file in benchmarks/results/ (without .md)")
    parser.add_argument("--pyod-seeds", nargs="*", type=int, default=None,
                        help="seeds on which the (slow) PyOD methods run; default: all")
    parser.add_argument("--pyod-max-rows", type=float, default=np.inf,
                        help="run the PyOD methods only on data sets with at most this many rows")
    parser.add_argument("--cache", default=None,
                        help="JSON file keeping the baselines' per-seed results between runs "
                             "(AEOutlierDetector always runs)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for the torch-based methods (skgen and PyOD)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    datasets = args.datasets or adbench_names()
    ae_params = json.loads(args.ae_params)
    rows, notes = run(datasets, args.seeds, args.methods, ae_params, args.cache,
                      args.pyod_seeds, args.pyod_max_rows)
    limits = []
    if args.pyod_seeds is not None:
        limits.append(f"on seeds {args.pyod_seeds}")
    if np.isfinite(args.pyod_max_rows):
        limits.append(f"on data sets with at most {args.pyod_max_rows:g} rows")
    if limits:
        notes.append(f"PyOD methods ran only {' and '.join(limits)} (time); their means and fit "
                     "times cover those runs only, the other methods' all runs.")
    notes.append(f"torch threads: {args.threads}; fit times are wall-clock on a shared machine.")
    text = format_tables(rows, notes, args.methods, args.seeds)
    text = f"AEOutlierDetector params: {ae_params or 'defaults'}.\n\n{text}"
    if args.no_write:
        print(text)
    else:
        publish("bench_outliers.py", f"{args.results}.md", text.splitlines(),
                title="AEOutlierDetector on ADBench")


if __name__ == "__main__":
    main()
