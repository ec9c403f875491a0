"""The shape of :class:`~skgen.AEOutlierDetector` read from the data: its widths, its
training length and the weights of its score's parts.

Pure functions of the sizes (and, for the bottleneck, the spectrum) of the scaled
training rows. Their constants are defaults tuned on data, so they are governed by
the tune/confirm protocol of ``benchmarks/bench_outliers.py``: a change is chosen on
the tune half of its suites and kept only if the confirm half agrees (the results
are in ``benchmarks/results/outliers.md``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

#: ``n_components="auto"`` keeps the leading principal axes of the scaled X that
#: explain this share of its variance.
AUTO_VARIANCE = 0.9
#: ``max_iter="auto"``: about this many optimizer steps, in ``MIN_EPOCHS`` to
#: ``MAX_EPOCHS`` epochs.
STEP_BUDGET = 300
MIN_EPOCHS, MAX_EPOCHS = 10, 200
#: ``batch_size="auto"``: at least this many rows a batch, and at most
#: ``MAX_STEPS_PER_EPOCH`` steps an epoch, so that large tables stay fast.
MIN_AUTO_BATCH = 256
MAX_STEPS_PER_EPOCH = 20


def variance_components(Z, share):
    """The number of leading principal axes of the rows ``Z`` that explain ``share`` of their
    variance, at least 1 and less than the number of columns and rows of ``Z``.

    ``Z`` is centred in place.
    """
    Z -= Z.mean(axis=0)  # Z is a scratch copy
    gram = Z @ Z.T if Z.shape[0] < Z.shape[1] else Z.T @ Z
    eigenvalues = np.clip(np.linalg.eigvalsh(gram)[::-1], 0.0, None)
    total = eigenvalues.sum()
    upper = max(1, min(Z.shape[1] - 1, Z.shape[0] - 1))
    if total <= 0:
        return 1
    k = int(np.searchsorted(np.cumsum(eigenvalues) / total, share - 1e-12)) + 1
    return int(min(max(k, 1), upper))


def scored_components(n_features):
    """The code units the latent and density parts of the score read:
    ``ceil(sqrt(n_features))``, at least 1 and less than ``n_features``.

    Distances in many dimensions say little about density, so a wide code feeds
    the reconstruction part only.
    """
    return int(max(1, min(n_features - 1, math.ceil(math.sqrt(n_features)))))


def auto_components(Z):
    """The bottleneck width of ``n_components="auto"`` for the scaled rows ``Z``.

    The axes that explain ``AUTO_VARIANCE`` of the variance, but at most a third of
    the columns (the reconstruction error keeps two thirds of the dimensions to
    measure) and at least ``ceil(sqrt(n_features))``. ``Z`` is centred in place.
    """
    n_features = Z.shape[1]
    k = min(variance_components(Z, AUTO_VARIANCE), n_features // 3)
    return max(k, scored_components(n_features))


def auto_batch_size(n_samples):
    """``batch_size="auto"``: ``MIN_AUTO_BATCH`` rows, or more when an epoch of
    ``n_samples`` rows would take more than ``MAX_STEPS_PER_EPOCH`` steps (the
    estimator caps it at ``n_samples``)."""
    return max(MIN_AUTO_BATCH, math.ceil(n_samples / MAX_STEPS_PER_EPOCH))


def auto_max_epochs(n_train, batch_size):
    """``max_iter="auto"``: the epochs of about ``STEP_BUDGET`` optimizer steps on
    ``n_train`` rows in batches of ``batch_size``, from ``MIN_EPOCHS`` to ``MAX_EPOCHS``,
    so that the training cost grows no faster than the rows."""
    steps_per_epoch = math.ceil(n_train / batch_size)
    return int(min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(STEP_BUDGET / steps_per_epoch))))


def part_weights(n_samples, n_features):
    """Weights of the reconstruction, latent and density parts in the anomaly score.

    The latent and density parts place a row's code among the training rows' codes. Fewer
    rows than columns span too few directions of X for that to be told from chance, so
    their weight shrinks with the rows per column, ``min(1, n_samples / n_features)``,
    and the reconstruction part carries the score of a wide, short X (on the ADBench
    embedding sets, ``benchmarks/results/outlier_score.md``). The weights sum to 1.
    """
    code = min(1.0, n_samples / n_features)
    weights = np.array([1.0, code, code])
    return weights / weights.sum()
