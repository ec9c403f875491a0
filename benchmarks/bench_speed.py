"""Engine overhead: AutoencoderTransformer vs a minimal hand-written torch loop.

Fit: 20,000 x 50 float32, 20 epochs, batch 256, architecture
50-64-32-8-32-64-50, Adam. The minimal loop trains the same module class
(skgen.nn.MLPAutoencoder with its residual linear path) with shuffled-index
slicing and Adam, nothing else; the estimator adds validation, scaling, PCA
initialisation, history and checks. On the CPU the estimator streams X: each
batch is read and standardized as it is drawn, so fit copies nothing. It is
also timed the way it trained before streaming, on a standardized float32
copy of X made once (``skgen._data._STREAM_ON_CPU = False``, the path GPUs
keep), to show what streaming costs. Runs alternate (loop, streamed, copy,
loop, ...) in one process; the table gives medians and their ratio to the loop.

Transform: 200,000 x 50 float32 through ``transform`` vs the bare encoder
called on the same standardized tensor in one piece.

Peak memory: each fit is repeated in a fresh subprocess; a thread samples the
resident set every millisecond and the table gives the peak growth over the
resident set just before the fit (data already created). At 20,000 x 50 the
data is small next to torch's own working memory; ``bench_scale.py`` gives
the peak on large tables.

``--threads`` sets torch's thread count for the whole run (default: torch's
own choice); on a machine shared with other work, 1 thread gives steadier
ratios.

    python -m benchmarks.bench_speed [--repeats 5] [--threads N]
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import skgen._data
from benchmarks._report import publish
from skgen import AutoencoderTransformer
from skgen.nn import MLPAutoencoder

N, D, EPOCHS, BATCH, HIDDEN, K = 20_000, 50, 20, 256, (64, 32), 8


def make_data(n=N, seed=0):
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(n, K)).astype(np.float32)
    return np.tanh(latent @ rng.normal(size=(K, D)).astype(np.float32)).astype(np.float32)


def minimal_loop(X, seed=0):
    torch.manual_seed(seed)
    Xt = torch.from_numpy((X - X.mean(0)) / X.std(0))
    module = MLPAutoencoder(D, K, HIDDEN, residual=True)
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(EPOCHS):
        order = torch.randperm(len(Xt), generator=gen)
        for i in range(0, len(Xt), BATCH):
            xb = Xt[order[i:i + BATCH]]
            loss = torch.mean((module(xb) - xb) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return module


def estimator(seed=0):
    return AutoencoderTransformer(K, hidden_layer_sizes=HIDDEN, batch_size=BATCH, max_iter=EPOCHS,
                                  early_stopping=False, n_iter_no_change=EPOCHS + 1, alpha=0.0,
                                  random_state=seed, device="cpu")


def skgen_fit(X, seed=0, stream=True):
    """Fit the estimator; ``stream=False`` trains on a standardized copy of X instead."""
    skgen._data._STREAM_ON_CPU = stream
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return estimator(seed).fit(X)
    finally:
        skgen._data._STREAM_ON_CPU = True


def skgen_fit_copy(X, seed=0):
    return skgen_fit(X, seed, stream=False)


def timed(fn, *args):
    tic = time.perf_counter()
    fn(*args)
    return time.perf_counter() - tic


def resident_mib():
    """Current resident set of this process in MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_memory_child(which):
    X = make_data()
    base = resident_mib()
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], resident_mib())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    {"loop": minimal_loop, "skgen": skgen_fit, "copy": skgen_fit_copy}[which](X)
    done.set()
    sampler.join()
    print(max(peak[0], resident_mib()) - base)


def peak_memory(which, threads):
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_speed", "--memory-child",
                          which, "--threads", str(threads)],
                         capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    return float(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--memory-child", choices=["loop", "skgen", "copy"])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_child:
        peak_memory_child(args.memory_child)
        return

    X = make_data()
    loop_t, skgen_t, copy_t = [], [], []
    for r in range(args.repeats):
        loop_t.append(timed(minimal_loop, X, r))
        skgen_t.append(timed(skgen_fit, X, r))
        copy_t.append(timed(skgen_fit_copy, X, r))
    fit_loop, fit_skgen = statistics.median(loop_t), statistics.median(skgen_t)
    fit_copy = statistics.median(copy_t)
    # the cost of streaming, run by run: each streamed fit against the copy fit after it
    stream_cost = statistics.median(s / c - 1 for s, c in zip(skgen_t, copy_t))

    X_big = make_data(200_000, seed=1)
    est = skgen_fit(X)
    Xs = torch.from_numpy(((X_big - est.mean_) / est.scale_).astype(np.float32))
    encoder = est.module_.encoder.eval()

    def bare():
        with torch.inference_mode():
            return encoder(Xs)

    bare_t, tr_t = [], []
    for _ in range(args.repeats):
        bare_t.append(timed(bare))
        tr_t.append(timed(est.transform, X_big))
    tr_bare, tr_skgen = statistics.median(bare_t), statistics.median(tr_t)
    mem_loop, mem_skgen = peak_memory("loop", args.threads), peak_memory("skgen", args.threads)
    mem_copy = peak_memory("copy", args.threads)
    load = os.getloadavg()[0]

    lines = [
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, medians of "
        f"{args.repeats} interleaved runs, load average {load:.1f} at the end",
        "",
        "| task | minimal torch | skgen | ratio |",
        "|---|---|---|---|",
        f"| fit 20,000 x 50 float32, 20 epochs, batch 256 (s) | {fit_loop:.2f} | {fit_skgen:.2f} "
        f"| {fit_skgen / fit_loop:.2f}x |",
        f"| same fit on a standardized copy of X, as before streaming (s) | {fit_loop:.2f} "
        f"| {fit_copy:.2f} | {fit_copy / fit_loop:.2f}x |",
        f"| transform 200,000 x 50 float32 (s) | {tr_bare:.3f} | {tr_skgen:.3f} "
        f"| {tr_skgen / tr_bare:.2f}x |",
        f"| transform throughput (rows/s) | {200_000 / tr_bare:,.0f} | {200_000 / tr_skgen:,.0f} "
        "| |",
        f"| fit peak memory growth (MiB; data is {X.nbytes / 2**20:.1f} MiB) | {mem_loop:.1f} "
        f"| {mem_skgen:.1f} | {mem_skgen / max(mem_loop, 1e-9):.2f}x |",
        f"| same, on a standardized copy of X (MiB) | {mem_loop:.1f} | {mem_copy:.1f} "
        f"| {mem_copy / max(mem_loop, 1e-9):.2f}x |",
        "",
        f"Streaming each batch instead of copying X costs {100 * stream_cost:+.1f}% of the fit "
        "time (median over the runs of each streamed fit against the copy fit after it).",
    ]
    publish("bench_speed.py", "speed.md", lines)


if __name__ == "__main__":
    main()
