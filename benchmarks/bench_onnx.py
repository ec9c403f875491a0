"""Scoring speed of an exported AEOutlierDetector: onnxruntime next to skgen and PyOD.

For each ADBench table (the split of ``bench_outliers.py``, seed 0), the
pipeline ``StandardScaler -> AEOutlierDetector`` (defaults) is fitted on the
training rows, exported with ``skl2onnx.to_onnx`` (after ``import skgen.onnx``)
and the test rows are scored three ways: onnxruntime on the ONNX graph
(``decision_function`` output), skgen's own ``score_samples`` and PyOD's
``AutoEncoder.decision_function`` (defaults, fitted on the same rows). Each runs
on one thread. "batch" is rows per second when all test rows are scored at
once (best of ``--repeats``; onnxruntime gets them in calls of ``--onnx-batch``
rows, since the graph's neighbour search holds a rows x reference matrix), "one row" is calls per second scoring one row per call
(a scoring service), median over ``--single-calls`` calls. The table also
prints the largest difference between onnxruntime's ``score_samples`` and
skgen's, ``|onnx - skgen| / (|skgen| + RMS)`` with RMS the root mean square of
skgen's scores: the criterion ``tests/test_onnx.py`` holds below 1e-5.

    python -m benchmarks.bench_onnx [--datasets 6_cardio ...]

Needs the ``onnx`` extra (``pip install skgen[onnx]``); the PyOD column needs
the ``bench`` extra and is left out without it.
"""

import argparse
import sys
import time
import warnings

import numpy as np
import onnxruntime as ort
import torch
from skl2onnx import to_onnx
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skgen.onnx  # noqa: F401  (registers the converters)
from benchmarks._datasets import adbench_split, load_adbench
from benchmarks._report import publish
from skgen import AEOutlierDetector


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        fn()
        times.append(time.perf_counter() - tic)
    return min(times)


def single_row_rate(fn, X, calls):
    """Calls per second scoring one row per call (median over ``calls`` rows)."""
    times = []
    for row in X[:calls]:
        row = row[None]
        tic = time.perf_counter()
        fn(row)
        times.append(time.perf_counter() - tic)
    return 1.0 / float(np.median(times))


def pyod_detector(X_train, seed):
    try:
        from pyod.models.auto_encoder import AutoEncoder
    except ImportError as exc:  # pyod is a bench extra, never a runtime dependency
        print(f"pyod not available ({exc}); PyOD column skipped", file=sys.stderr)
        return None
    return AutoEncoder(random_state=seed, verbose=0).fit(X_train)


def measure(name, args):
    X, y = load_adbench(name)
    X_tr, X_te, _, _ = adbench_split(X, y, seed=0)
    X_tr, X_te = X_tr.astype(np.float32), X_te.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(StandardScaler(), AEOutlierDetector(random_state=0)).fit(X_tr)
        tic = time.perf_counter()
        onx = to_onnx(pipe, X_tr[:1], options={AEOutlierDetector: {"score_samples": True}})
        export_time = time.perf_counter() - tic
        pyod = pyod_detector(X_tr, seed=0)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(onx.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name

    def onnx_scores(rows):  # in calls of at most --onnx-batch rows, as docs/onnx.md advises
        return np.concatenate([
            session.run(["score_samples"], {input_name: rows[start:start + args.onnx_batch]})[0]
            for start in range(0, len(rows), args.onnx_batch)])

    expected = pipe.score_samples(X_te)
    # the criterion of tests/test_onnx.py: relative, floored at the scores' root mean square
    floor = np.sqrt(np.mean(expected**2))
    difference = np.max(np.abs(onnx_scores(X_te).ravel() - expected) / (np.abs(expected) + floor))
    rows = len(X_te)
    methods = {"onnxruntime": onnx_scores, "skgen": pipe.score_samples}
    if pyod is not None:
        methods["PyOD AE"] = pyod.decision_function
    cells = []
    for fn in methods.values():
        batch = rows / best_time(lambda fn=fn: fn(X_te), args.repeats)
        single = single_row_rate(fn, X_te, args.single_calls)
        cells.append((batch, single))
    if pyod is None:
        cells.append(None)
    return rows, X_te.shape[1], export_time, difference, cells


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", nargs="*",
                        default=["6_cardio", "22_magic.gamma", "24_mnist", "32_shuttle"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--single-calls", type=int, default=200)
    parser.add_argument("--onnx-batch", type=int, default=256,
                        help="rows per onnxruntime call in the batch column")
    args = parser.parse_args()
    torch.set_num_threads(1)
    header = ["data set", "test rows", "columns", "export s", "max rel. diff",
              "onnxruntime batch rows/s", "skgen batch rows/s", "PyOD AE batch rows/s",
              "onnxruntime one row calls/s", "skgen one row calls/s", "PyOD AE one row calls/s"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    with threadpool_limits(1):
        for name in args.datasets:
            rows, cols, export_time, difference, cells = measure(name, args)
            batch = [f"{c[0]:,.0f}" if c else "-" for c in cells]
            single = [f"{c[1]:,.0f}" if c else "-" for c in cells]
            lines.append(f"| {name} | {rows:,} | {cols} | {export_time:.1f} | "
                         f"{difference:.1e} | " + " | ".join(batch + single) + " |")
            print(lines[-1], file=sys.stderr, flush=True)
    lines += ["", "Scoring the test rows of each table (bench_outliers.py's split, seed 0) with "
              "the pipeline StandardScaler -> AEOutlierDetector() (defaults) exported to ONNX, "
              "with skgen itself and with PyOD's AutoEncoder (defaults); one thread each. "
              "batch: rows per second scoring all test rows (onnxruntime in calls of "
              f"{args.onnx_batch} rows), best of {args.repeats}; one row: calls per second, median of {args.single_calls} "
              "one-row calls. max rel. diff: largest |onnxruntime - skgen| / (|skgen| + RMS) "
              "of score_samples, RMS the root mean square of skgen's scores (float32)."]
    publish("bench_onnx.py", "onnx.md", lines, title="ONNX export: scoring speed")


if __name__ == "__main__":
    main()
