"""The training engine shared by every skgen estimator.

It knows nothing of scikit-learn: it trains a :class:`torch.nn.Module` with the
optimizer it is given (the estimators pass :func:`make_optimizer`'s Adam),
batching by slicing a shuffled index, and records a :class:`History`. The rows
come from an in-memory float32 tensor (moved to the device once) or from a
*rows source*, a callable that returns the rows of an index (see
:mod:`skgen._data`, whose :class:`~skgen._data.StreamedRows` reads an array, in
memory or on disk, transforms the rows and moves them to the device). Each
read fetches the rows of a few consecutive batches of the shuffled order
(:func:`~skgen._data.rows_per_read`, a few hundred kilobytes), which the epoch
then cuts into its batches: the batches are the same as one read per batch,
with the cost of a read (a rows source's standardization above all) paid
once for several steps. The estimators supply a loss function and turn the
history into fitted attributes and warnings.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from ._data import Rows, as_rows, rows_per_read
from ._optim import Adam
from ._progress import Progress
from .exceptions import DivergenceError

__all__ = ["History", "Trainer", "make_optimizer"]

#: ``loss_fn(module, batch, generator) -> scalar tensor``: the mean loss of a batch.
#: ``module.training`` tells whether it is a training or a validation batch.
LossFn = Callable[[nn.Module, torch.Tensor, torch.Generator], torch.Tensor]

#: The epoch keeps its batch losses as tensors (a GPU need not wait for each one)
#: and adds them to its total every this many batches, so that it holds a bounded
#: number of them whatever the rows. Each small tensor kept alive across the steps
#: that follow pins some of the allocator's heap among their freed buffers (10 to
#: 50 KiB a batch under glibc): keeping them all raised the peak of a default fit on
#: 1,000,000 x 100 float32 from 0.18x to 0.37x the data (``docs/scaling.md``).
_LOSSES_PER_SUM = 64


@dataclass
class History:
    """What training has seen so far; carried across ``partial_fit`` calls."""

    loss_curve: list[float] = field(default_factory=list)
    validation_loss_curve: list[float] = field(default_factory=list)
    best_loss: float = math.inf
    no_improvement_count: int = 0
    n_iter: int = 0


def make_optimizer(module: nn.Module, learning_rate: float, alpha: float) -> Adam:
    """Adam (:class:`skgen._optim.Adam`, torch's arithmetic without torch.optim's overhead)
    with an L2 penalty ``alpha`` on the weight matrices (not on biases)."""
    decay, no_decay = [], []
    for name, param in module.named_parameters():
        if param.requires_grad:
            (decay if param.ndim > 1 and not name.endswith("bias") else no_decay).append(param)
    groups = [{"params": decay, "weight_decay": alpha}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return Adam(groups, lr=learning_rate)


class Trainer:
    """Minibatch training with any torch optimizer, over a tensor of rows or a rows source.

    Parameters
    ----------
    module : nn.Module
        The model, already on the training device (where the batches are).
    optimizer : torch.optim.Optimizer
        Its optimizer; its state persists between calls (``partial_fit``).
    loss_fn : callable
        ``loss_fn(module, batch, generator)`` returning the batch's mean loss.
    batch_size : int
        Rows per step. The last, smaller batch of an epoch is used, not dropped.
    generator : torch.Generator
        The only source of randomness (shuffling, and whatever ``loss_fn`` draws).
    history : History
        Updated in place.
    verbose : int
        0 silent; 1 a tqdm progress bar when tqdm is installed and the output is
        a terminal or a notebook, else a line per epoch; 2 a line per epoch
        always. The output goes to standard output.
    name : str
        Used in messages.
    """

    def __init__(self, module, optimizer, loss_fn, *, batch_size, generator, history,
                 verbose=0, name="model"):
        self.module = module
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.batch_size = batch_size
        self.generator = generator
        self.history = history
        self.verbose = verbose
        self.name = name

    def train_epoch(self, data: torch.Tensor | Rows, index: torch.Tensor) -> float:
        """One pass over the rows ``index`` of ``data`` in shuffled minibatches.

        ``data`` is a float32 tensor on the training device or a :data:`Rows`
        source. Returns the mean loss.
        """
        module, optimizer, loss_fn, gen = self.module, self.optimizer, self.loss_fn, self.generator
        batch_size = self.batch_size
        rows, per_read = as_rows(data), rows_per_read(data, batch_size)
        module.train()
        order = index[torch.randperm(index.numel(), generator=gen, device=gen.device)]
        total, losses, sizes = 0.0, [], []
        # the rows of several batches are read at once (a rows source standardizes them
        # in one go) and cut into the batches, which are those of one read per batch
        for read_start in range(0, order.numel(), per_read):
            block = rows(order[read_start:read_start + per_read])
            for start in range(0, block.shape[0], batch_size):
                batch = block[start:start + batch_size]
                loss = loss_fn(module, batch, gen)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(loss.detach())
                sizes.append(batch.shape[0])
                if len(losses) == _LOSSES_PER_SUM:
                    total = _add_weighted(total, losses, sizes)
                    losses, sizes = [], []
        return _add_weighted(total, losses, sizes) / max(order.numel(), 1)

    def _weights_finite(self) -> bool:
        # one test per device of every weight flattened together: a test per weight
        # matrix cost a tiny network's fit as much as a fifth of its steps
        by_device = {}
        for param in self.module.parameters():
            by_device.setdefault(param.device, []).append(param.detach().reshape(-1))
        with torch.no_grad():
            return all(bool(torch.isfinite(torch.cat(flat)).all()) for flat in by_device.values())

    def evaluate(self, data: torch.Tensor | Rows, index: torch.Tensor) -> float:
        """Mean loss over the rows ``index`` of ``data`` in eval mode, without gradients."""
        module, rows = self.module, as_rows(data)
        module.eval()
        total = torch.zeros((), dtype=torch.float64, device=index.device)
        with torch.inference_mode():
            for start in range(0, index.numel(), max(self.batch_size, 1024)):
                batch = rows(index[start:start + max(self.batch_size, 1024)])
                total += self.loss_fn(module, batch, self.generator) * batch.shape[0]
        return float(total) / max(index.numel(), 1)

    def fit(self, data, train_index, validation_index=None, *, max_epochs=1, tol=1e-4,
            n_iter_no_change=10, stop_early=True):
        """Train up to ``max_epochs`` epochs on the rows of ``data``.

        ``data`` is a float32 tensor on the training device or a :data:`Rows`
        source; ``train_index`` and ``validation_index`` select its rows. With
        ``validation_index`` the validation loss is monitored and the best
        weights are restored at the end; otherwise the training loss is
        monitored. Training stops once the monitored loss has not improved by
        ``tol`` for ``n_iter_no_change`` epochs, if ``stop_early``.

        A :class:`KeyboardInterrupt` anywhere in the loop over epochs ends
        training as the stopping rule would: the interrupted epoch is not
        recorded in the history (which keeps ``n_iter`` equal to the number of
        recorded losses), the weights it reached are kept (or the best weights restored
        when a validation loss is monitored), and ``"interrupted"`` is returned.
        A non-finite loss or weight raises :class:`DivergenceError`.

        Returns
        -------
        stop : {"converged", "max_epochs", "interrupted"}
            Why training ended: the stopping rule, the epoch budget, or an
            interrupt.
        """
        history = self.history
        monitor_validation = validation_index is not None
        best_state = None
        progress = (Progress(max_epochs, desc=self.name, bar=self.verbose == 1)
                    if self.verbose else None)
        stop = "max_epochs"
        # where this call's epochs start in the history, to drop an interrupted one
        n_iter_start = history.n_iter
        curve_starts = (len(history.loss_curve), len(history.validation_loss_curve))
        try:
            for _ in range(max_epochs):
                tic = time.perf_counter()
                loss = self.train_epoch(data, train_index)
                current = loss
                if monitor_validation and math.isfinite(loss):
                    current = self.evaluate(data, validation_index)
                if not (math.isfinite(loss) and self._weights_finite()):
                    raise self._divergence(f"epoch loss {loss}", history.n_iter + 1)
                history.loss_curve.append(loss)
                if monitor_validation:
                    history.validation_loss_curve.append(current)
                history.n_iter += 1
                if current < history.best_loss - tol:
                    history.no_improvement_count = 0
                else:
                    history.no_improvement_count += 1
                if current < history.best_loss:
                    history.best_loss = current
                    if monitor_validation:
                        best_state = {k: v.detach().clone()
                                      for k, v in self.module.state_dict().items()}
                if progress is not None:
                    _report_epoch(progress, history, time.perf_counter() - tic,
                                  validation=monitor_validation)
                if stop_early and history.no_improvement_count >= n_iter_no_change:
                    stop = "converged"
                    break
        except KeyboardInterrupt:
            # n_iter is counted after an epoch's losses are recorded: wherever the
            # interrupt landed, the losses beyond it belong to an unfinished epoch
            stop = "interrupted"
            done = history.n_iter - n_iter_start
            del history.loss_curve[curve_starts[0] + done:]
            if monitor_validation:
                del history.validation_loss_curve[curve_starts[1] + done:]
        finally:
            if progress is not None:
                progress.close()
        if best_state is not None:
            self.module.load_state_dict(best_state)
        elif stop == "interrupted" and not self._weights_finite():
            raise self._divergence("an interrupted step", history.n_iter + 1)
        self.module.eval()
        return stop

    def _divergence(self, what, epoch):
        return DivergenceError(
            f"The training of {self.name} became non-finite ({what}) at epoch {epoch}. The "
            "input may contain extreme values, or the learning rate may be too high; the "
            "model was not updated."
        )


def _add_weighted(total, losses, sizes):
    """``total`` plus the batch losses ``losses`` (0-d tensors) times their ``sizes`` rows.

    Summed a few dozen batches at a time (:data:`_LOSSES_PER_SUM`) rather than
    with tensor operations at every step: each loss times its size in the
    loss's dtype, then added in order to the Python float ``total``, the
    arithmetic (and the bits) of a float64 running total.
    """
    if not losses:
        return total
    weighted = torch.stack(losses) * torch.tensor(sizes, dtype=losses[0].dtype,
                                                  device=losses[0].device)
    for value in weighted.tolist():  # in order: math.fsum or torch.sum would round otherwise
        total += value
    return total


def _report_epoch(progress, history, seconds, *, validation):
    """The epoch's losses: a bar's postfix, or the line ``Epoch n: loss=..., time=...s``;
    the validation loss only when this call monitors one (a ``partial_fit`` after an
    early-stopped ``fit`` does not, and its last value is the fit's)."""
    losses = f"loss={history.loss_curve[-1]:.6g}"
    if validation:
        losses += f", validation_loss={history.validation_loss_curve[-1]:.6g}"
    progress.step(f"Epoch {history.n_iter}: {losses}, time={seconds:.3f}s", short=losses)
