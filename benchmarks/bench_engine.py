"""Engine overhead: skgen's ``Trainer`` against a minimal hand-written torch loop.

Both train the same module, a copy of one initialised ``MLPAutoencoder``
50-64-32-8-32-64-50 (with its residual linear path), on the same 20,000 x 50
standardized float32 rows: batch 256, the estimators' optimizer
(``make_optimizer``: skgen's Adam, learning rate 1e-3, ``alpha=0``), the shuffles of one
seeded ``torch.Generator``, the same number of steps (``--epochs`` epochs, no
validation, no early stop) and the MSE loss. The minimal loop is what one
writes by hand: ``randperm``, slice, forward, loss, backward, step. The
``Trainer`` reads the rows of a few batches at a time and cuts them into the
batches, and adds the epoch's mean loss, the history and the checks for
divergence. It runs on the standardized tensor, and on what the estimators
train on on the CPU: ``training_rows(X, mean, scale, cpu)`` of the float32 X,
which reads each read's rows from X and standardizes them as they are drawn.
All of them end with bit-identical weights; the script checks that before
timing.

For scale, the last row fits ``AutoencoderTransformer`` with the same sizes
and number of steps: it adds the validation of X, the scaling, the module's
size check and PCA start, and trains from its own initialisation and shuffles.

The runs alternate in one process, in rounds of one run each whose order
rotates (loop first in the first round, the Trainer on the tensor first in the
second, ...); many short runs rather than a few long ones, because the speed of
a shared machine drifts by more than the differences measured here over a
few seconds (20-epoch runs of identical work varied by 20 %). The table gives the median wall-clock time of each, the median over
the rounds of its time divided by the loop's in the same round, and the ratio
of the fastest runs (the least disturbed by other work on a shared machine),
the median ratio of the process's CPU time (which waiting for a core does not
inflate), and the median time a step adds to the loop's (the difference of
the medians over the number of steps).

``--threads`` sets torch's thread count (default 1, as the estimators train
with ``n_jobs=None``).

    python -m benchmarks.bench_engine [--repeats 41] [--epochs 4] [--threads 1]
"""

import argparse
import copy
import os
import statistics
import time
import warnings

import numpy as np
import torch

from benchmarks._report import publish
from skgen import AutoencoderTransformer
from skgen._data import standardize_rows, training_rows
from skgen._engine import History, Trainer, make_optimizer
from skgen.nn import MLPAutoencoder

N, D, BATCH, HIDDEN, K = 20_000, 50, 256, (64, 32), 8


def make_data(n=N, seed=0):
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(n, K)).astype(np.float32)
    return np.tanh(latent @ rng.normal(size=(K, D)).astype(np.float32)).astype(np.float32)


def mse(module, batch, generator):
    return torch.mean((module(batch) - batch) ** 2)


def minimal_loop(module, rows, epochs, seed):
    """The hand-written loop: shuffle an index, slice it, step."""
    optimizer = make_optimizer(module, 1e-3, 0.0)
    generator = torch.Generator().manual_seed(seed)
    index = torch.arange(len(rows))
    module.train()
    for _ in range(epochs):
        order = index[torch.randperm(len(index), generator=generator)]
        for start in range(0, len(order), BATCH):
            batch = rows[order[start:start + BATCH]]
            loss = mse(module, batch, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return module


def engine(module, data, epochs, seed):
    """skgen's Trainer on ``data``: a tensor of rows or a rows source."""
    trainer = Trainer(module, make_optimizer(module, 1e-3, 0.0), mse, batch_size=BATCH,
                      generator=torch.Generator().manual_seed(seed), history=History())
    trainer.fit(data, torch.arange(N), max_epochs=epochs, stop_early=False)
    return module


def estimator(X, epochs, seed):
    """The estimator with the same sizes and steps (its ConvergenceWarning silenced)."""
    est = AutoencoderTransformer(K, hidden_layer_sizes=HIDDEN, batch_size=BATCH, max_iter=epochs,
                                 early_stopping=False, n_iter_no_change=epochs + 1, alpha=0.0,
                                 random_state=seed, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X)


def timed(fn, *args):
    """``(wall-clock seconds, CPU seconds of this process)`` of ``fn(*args)``."""
    tic, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - tic, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=41)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    X = make_data()
    mean, scale = X.mean(axis=0, dtype=np.float64), X.std(axis=0, dtype=np.float64)
    tensor = torch.from_numpy(standardize_rows(X, mean, scale))
    cpu_rows = training_rows(X, mean, scale, torch.device("cpu"))  # what a fit on the CPU trains on
    torch.manual_seed(0)
    initial = MLPAutoencoder(D, K, HIDDEN, residual=True)
    runs = {
        "minimal loop": lambda seed: minimal_loop(copy.deepcopy(initial), tensor, args.epochs,
                                                  seed),
        "Trainer on the tensor": lambda seed: engine(copy.deepcopy(initial), tensor,
                                                     args.epochs, seed),
        "Trainer on training_rows(X), the estimators' CPU path": lambda seed: engine(
            copy.deepcopy(initial), cpu_rows, args.epochs, seed),
        "AutoencoderTransformer.fit": lambda seed: estimator(X, args.epochs, seed),
    }

    # the same training, step for step: the weights agree to the bit (this also warms up)
    first, *others = [runs[name](0).state_dict() for name in list(runs)[:3]]
    if not all(torch.equal(first[k], other[k]) for other in others for k in first):
        raise SystemExit("The Trainer and the minimal loop trained different weights.")

    times = {name: [] for name in runs}
    cpu_times = {name: [] for name in runs}
    names = list(runs)
    for r in range(args.repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:  # each goes first in turn
            wall, cpu = timed(runs[name], r + 1)
            times[name].append(wall)
            cpu_times[name].append(cpu)
    loop, cpu_loop = times["minimal loop"], cpu_times["minimal loop"]
    steps = args.epochs * -(-N // BATCH)
    lines = [
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.epochs} epochs "
        f"of 20,000 x 50 float32 in batches of {BATCH} ({steps} steps), {args.repeats} "
        f"interleaved rounds, load average {os.getloadavg()[0]:.1f} at the end. The loop and "
        "the Trainer end with bit-identical weights (checked).",
        "",
        "| training | median (s) | median of ratios to the loop | fastest (s) "
        "| ratio of fastest | median of CPU-time ratios | added per step (µs) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, runs_t in times.items():
        ratio = statistics.median(t / base for t, base in zip(runs_t, loop))
        cpu_ratio = statistics.median(t / base for t, base in zip(cpu_times[name], cpu_loop))
        added = (statistics.median(runs_t) - statistics.median(loop)) / steps * 1e6
        lines.append(f"| {name} | {statistics.median(runs_t):.3f} | {ratio:.3f}x "
                     f"| {min(runs_t):.3f} | {min(runs_t) / min(loop):.3f}x "
                     f"| {cpu_ratio:.3f}x | {added:.0f} |")
    publish("bench_engine.py", "engine.md", lines)


if __name__ == "__main__":
    main()
