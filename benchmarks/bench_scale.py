"""Scale: fit throughput and peak memory from 10^4 to 10^6 rows.

``AutoencoderTransformer(n_components=8, hidden_layer_sizes=(64,),
batch_size=256, max_iter=2)`` with early stopping (10 % held out) on
n x 100 float32 tables, n = 10^4, 10^5 and 10^6, held in memory and as a
read-only ``np.memmap``, then ``transform`` of the whole table. On the CPU
both are streamed: each batch is read and standardized as it is drawn.
A second table fits the defaults, ``AutoencoderTransformer(n_components=8,
max_iter=1)`` (hidden layers (256, 128), batches of 128, early stopping), on
the largest in-memory table: the configuration of issue 28's peak-memory
figure, whose target is a peak of at most 0.25x the data (fit and fit +
transform).
``--copy`` measures instead the way fit trained before streaming, on a
standardized float32 copy of an in-memory X (``skgen._data._STREAM_ON_CPU =
False``, the path GPUs keep; memmaps are streamed all the same, as
``_STREAM_MIN_BYTES`` is set to 0 here) and writes ``scale_copy.md``.

The parent writes each table to a temporary file once. Each measurement runs
in a fresh subprocess that reads the file into memory (``np.fromfile``) or
maps it, warms up with a tiny fit, resets the kernel's peak-RSS counter
(``/proc/self/clear_refs``; where that is not allowed, ``ru_maxrss`` is used
and the growth may read low), fits, and reports:

- rows/s: ``n_samples * epochs`` over the wall time of ``fit`` (validation,
  scaling, initialisation and the held-out evaluation included);
- peak RSS growth over the state before ``fit``, during ``fit`` and during
  ``fit`` then ``transform``, and as a multiple of the array's size. For a
  memmap the RSS includes the file's pages as they are read: page cache
  mapped into the process, which the kernel can drop;
- peak anonymous memory growth (``RssAnon``, sampled every 10 ms), likewise:
  what the process itself allocated. The codes ``transform`` returns
  (n x 8 float32, 0.08x the data) count in the second figure.

    python -m benchmarks.bench_scale [--sizes 10000 100000 1000000] [--threads 2] [--copy]
                                     [--default-sizes 1000000]

On a machine whose cores are busy with other work, pass ``--threads 1``: two
OpenMP threads then wait for each other at every operation (measured here at
a load average of 4 on 2 cores: 5 to 50 times slower than one thread).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks._report import publish

N_FEATURES, EPOCHS = 100, 2

#: The estimators measured: the main table's small network, and the defaults of issue 28.
CONFIGS = {
    "small": dict(hidden_layer_sizes=(64,), batch_size=256, max_iter=EPOCHS),
    "default": dict(max_iter=1),
}


def write_table(path, n_samples, seed=0, chunk=100_000):
    """An n x 100 float32 table with 8 nonlinear factors, written in chunks."""
    rng = np.random.RandomState(seed)
    mixing = rng.normal(size=(8, N_FEATURES)).astype(np.float32)
    out = np.memmap(path, dtype=np.float32, mode="w+", shape=(n_samples, N_FEATURES))
    for start in range(0, n_samples, chunk):
        rows = min(chunk, n_samples - start)
        latent = rng.normal(size=(rows, 8)).astype(np.float32)
        noise = 0.1 * rng.normal(size=(rows, N_FEATURES)).astype(np.float32)
        out[start:start + rows] = np.tanh(latent @ mixing) + noise
    out.flush()
    del out


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak():
    """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child(path, n_samples, kind, threads, copy, config="small"):
    import torch

    import skgen._data
    from skgen import AutoencoderTransformer

    torch.set_num_threads(threads)
    skgen._data._STREAM_MIN_BYTES = 0
    skgen._data._STREAM_ON_CPU = not copy
    if kind == "memory":
        X = np.fromfile(path, dtype=np.float32).reshape(n_samples, N_FEATURES)
    else:
        X = np.memmap(path, dtype=np.float32, mode="r", shape=(n_samples, N_FEATURES))

    def estimator():
        return AutoencoderTransformer(n_components=8, early_stopping=True, random_state=0,
                                      device="cpu", **CONFIGS[config])

    warnings.simplefilter("ignore")
    estimator().fit(np.asarray(X[:2000]))  # first-use allocations are not the data's
    cleared = _reset_peak()
    rss0, anon0 = _status("VmRSS"), _status("RssAnon")
    maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    anon_peak, done = [anon0], threading.Event()

    def sample():
        while not done.wait(0.01):
            anon_peak[0] = max(anon_peak[0], _status("RssAnon"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    def peaks():
        anon_peak[0] = max(anon_peak[0], _status("RssAnon"))
        if cleared:
            rss_growth = _status("VmHWM") - rss0
        else:
            rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - maxrss0
        return rss_growth, anon_peak[0] - anon0

    tic = time.perf_counter()
    est = estimator().fit(X)
    seconds = time.perf_counter() - tic
    fit_peaks = peaks()
    Z = est.transform(X)
    done.set()
    sampler.join()
    both_peaks = peaks()
    print(json.dumps({"seconds": seconds, "epochs": est.n_iter_, "rss": fit_peaks[0],
                      "anon": fit_peaks[1], "rss_both": both_peaks[0],
                      "anon_both": both_peaks[1], "codes": Z.nbytes, "nbytes": X.nbytes,
                      "clean": cleared}))


def measure(path, n_samples, kind, threads, copy, config="small"):
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_scale", "--child", str(path), str(n_samples),
         kind, str(threads), str(int(copy)), config],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1],
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--copy", action="store_true",
                        help="train on a standardized copy of X, as before streaming")
    parser.add_argument("--default-sizes", type=int, nargs="*", default=[1_000_000],
                        help="rows of the in-memory tables the defaults are fitted on")
    parser.add_argument("--child", nargs=6,
                        metavar=("PATH", "N", "KIND", "THREADS", "COPY", "CONFIG"))
    args = parser.parse_args()
    if args.child:
        path, n, kind, threads, copy, config = args.child
        child(path, int(n), kind, int(threads), bool(int(copy)), config)
        return

    import torch

    how = "copied" if args.copy else "streamed"

    def row(n, kind, r):
        def growth(key):
            return f"{r[key] / 2**20:,.0f} ({r[key] / r['nbytes']:.2f}x)"

        return (f"| {n:,} | {'in memory, ' + how if kind == 'memory' else 'memmap, streamed'} "
                f"| {r['nbytes'] / 2**20:,.0f} | {r['seconds']:.1f} "
                f"| {n * r['epochs'] / r['seconds']:,.0f} | {growth('rss')} "
                f"| {growth('anon')} | {growth('rss_both')} | {growth('anon_both')} |"
                + ("" if r["clean"] else " (ru_maxrss)"))

    load_before = os.getloadavg()
    rows = {"small": [], "default": []}
    runs = [(n, ("memory", "memmap"), "small") for n in args.sizes]
    runs += [(n, ("memory",), "default") for n in args.default_sizes]
    with tempfile.TemporaryDirectory() as tmp:
        for n, kinds, config in runs:
            path = Path(tmp) / f"X_{n}.f32"
            write_table(path, n)
            for kind in kinds:
                rows[config].append(row(n, kind, measure(path, n, kind, args.threads,
                                                         args.copy, config)))
                print(rows[config][-1], flush=True)
            path.unlink()
    load_after = os.getloadavg()
    head = ["| rows | X | data (MiB) | fit (s) | rows/s | RSS, fit | anonymous, fit "
            "| RSS, fit + transform | anonymous, fit + transform |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines = [
        f"torch {torch.__version__}, {args.threads} torch threads on {os.cpu_count()} CPUs; "
        f"load average (1, 5, 15 min) {', '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{', '.join(f'{x:.2f}' for x in load_after)} after",
        "",
        f"AutoencoderTransformer(n_components=8, hidden_layer_sizes=(64,), batch_size=256, "
        f"max_iter={EPOCHS}, early_stopping=True) on n x {N_FEATURES} float32.",
        "",
        "Peak growth in MiB (x data), over fit and over fit then transform:",
        "",
        *head,
        *rows["small"],
    ]
    if rows["default"]:
        lines += [
            "",
            "The defaults, AutoencoderTransformer(n_components=8, max_iter=1) (hidden layers "
            "(256, 128), batches of 128, early stopping), on the table in memory; the target "
            "is a peak of at most 0.25x the data:",
            "",
            *head,
            *rows["default"],
        ]
    publish("bench_scale.py", "scale_copy.md" if args.copy else "scale.md", lines)


if __name__ == "__main__":
    main()
