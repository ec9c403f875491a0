"""Peak memory against the number of columns, for the four estimators.

Each estimator, ``hidden_layer_sizes=(64,)``, ``n_components=8`` where it has
one (the detector's default 'auto' grows with the columns), ``max_iter=2``,
early stopping on, is fitted on n = 200 rows x d float64 columns, d = 1,000 to
100,000, then each of its inference methods runs on the same rows. Every
(estimator, d) runs in a fresh subprocess that builds X, warms up with a tiny
fit (first-use allocations are not the columns' doing), and for each call
resets the kernel's peak-RSS counter (``/proc/self/clear_refs``), runs it and
reads the peak (``VmHWM``); glibc is told to return every block above 128 KiB
to the system when it is freed (``MALLOC_MMAP_THRESHOLD_``), so that memory
an earlier call freed does not hide a later call's peak. The table gives each
call's peak RSS growth over the RSS before it: the fit's includes the model it
builds (weights, gradients, Adam's moments), an inference call's its working
memory (a float64 copy of the weights for float64 X, the batches) and its
output. Inference batches stay within scikit-learn's ``working_memory`` (1024
MiB by default).
``VAETransformer.score_samples`` estimates a log-likelihood by importance
sampling, in chunks of draws x rows x d sized to the same ``working_memory``.

    python -m benchmarks.bench_memory [--columns 1000 3000 10000 30000 100000] [--rows 200]

Writes ``benchmarks/results/memory.md``, headed by the command and the commit.
Linux only (``/proc``).
"""

import argparse
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

from benchmarks._report import publish
from benchmarks.bench_scale import _reset_peak, _status

ESTIMATORS = ("AutoencoderTransformer", "DenoisingAutoencoder", "VAETransformer",
              "AEOutlierDetector")
METHODS = ("transform", "score_samples")


def _estimator(name, **params):
    import skgen

    cls = getattr(skgen, name)
    params = {"hidden_layer_sizes": (64,), "max_iter": 2, "random_state": 0, "device": "cpu",
              **params}
    if "n_components" in cls().get_params():
        params.setdefault("n_components", 8)
    return cls(**params)


def child(name, n_rows, n_columns):
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    # rows near a 10-dimensional subspace, with noise
    X = rng.normal(size=(n_rows, 10)) @ rng.normal(size=(10, n_columns))
    X += 0.1 * rng.normal(size=X.shape)
    _estimator(name).fit(X[:50, :100])  # first-use imports and allocations
    if not _reset_peak():
        raise SystemExit("/proc/self/clear_refs is not writable here")
    peaks = {}

    def peak(call, *args):
        _reset_peak()
        before = _status("VmRSS")
        result = call(*args)
        peaks[call.__name__] = _status("VmHWM") - before
        return result

    est = peak(_estimator(name).fit, X)
    for method in METHODS:
        if hasattr(est, method):
            peak(getattr(est, method), X)
    n_params = sum(p.numel() for p in est.module_.parameters())
    print(json.dumps({"peaks": peaks, "params": n_params, "nbytes": X.nbytes}))


def measure(name, n_rows, n_columns):
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_memory", "--child", name, str(n_rows),
         str(n_columns)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1],
        # glibc returns every block above 128 KiB to the system when it is freed, so a call's
        # peak is its own, not lowered by memory an earlier call freed and glibc kept
        env={**os.environ, "OMP_NUM_THREADS": "1", "MALLOC_MMAP_THRESHOLD_": "131072"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--columns", type=int, nargs="+",
                        default=[1_000, 3_000, 10_000, 30_000, 100_000])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--child", nargs=3, metavar=("ESTIMATOR", "ROWS", "COLUMNS"))
    args = parser.parse_args()
    if args.child:
        name, n_rows, n_columns = args.child
        child(name, int(n_rows), int(n_columns))
        return

    mib = 2**20
    rows = []
    for name in ESTIMATORS:
        for d in args.columns:
            r = measure(name, args.rows, d)
            cells = [f"{r['peaks'][m] / mib:,.0f}" if m in r["peaks"] else "-"
                     for m in ("fit", *METHODS)]
            per_column = r["peaks"]["fit"] / d / 1024
            rows.append(f"| {name} | {d:,} | {r['params']:,} | {r['nbytes'] / mib:,.0f} | "
                        + " | ".join(cells) + f" | {per_column:,.1f} |")
            print(rows[-1], flush=True)
    lines = [
        f"{args.rows} rows x d float64 columns; hidden_layer_sizes=(64,), n_components=8 "
        "(where the estimator has it), max_iter=2, one torch thread. Peak RSS growth of each "
        "call in MiB, over the RSS before it; '-' where the estimator has no such method.",
        "",
        "| estimator | d | parameters | X (MiB) | fit | transform | score_samples "
        "| fit KiB per column |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
    ]
    publish("bench_memory.py", "memory.md", lines, title="Peak memory against the columns")


if __name__ == "__main__":
    main()
