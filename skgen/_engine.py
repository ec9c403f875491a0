"""The training engine shared by every skgen estimator.

It knows nothing of scikit-learn: it trains a :class:`torch.nn.Module` with Adam,
batching by slicing a shuffled index, and records a :class:`History`. The rows
come from an in-memory float32 tensor (moved to the device once) or from a
*rows source*, a callable that returns the batch for an index (see
:class:`StreamedRows`, which reads an array, in memory or on disk, batch by
batch, transforms each batch and moves it to the device). The estimators supply a loss function and turn the
history into fitted attributes and warnings.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ._progress import Progress
from .exceptions import DivergenceError

__all__ = ["History", "StreamedRows", "Trainer", "as_rows", "make_optimizer"]

#: ``loss_fn(module, batch, generator) -> scalar tensor``: the mean loss of a batch.
#: ``module.training`` tells whether it is a training or a validation batch.
LossFn = Callable[[nn.Module, torch.Tensor, torch.Generator], torch.Tensor]

#: ``rows(index) -> tensor``: the rows ``index`` (a 1-D int64 tensor) of the
#: training data as a float32 batch on the training device, in the order given.
Rows = Callable[[torch.Tensor], torch.Tensor]


def as_rows(data: torch.Tensor | Rows) -> Rows:
    """The :data:`Rows` of ``data``: a tensor is indexed, a rows source is returned as is."""
    if isinstance(data, torch.Tensor):
        return data.__getitem__
    return data


class StreamedRows:
    """A rows source that reads each batch from an array, e.g. a :class:`numpy.memmap`.

    Only the rows asked for are read and transformed, so an array on disk is
    never loaded whole and no transformed copy of an array in memory is made.
    With ``sorted_reads`` they are read in increasing row order (a batch of a
    shuffled epoch reads a file front to back rather than jumping about) and
    put back in the order asked for after ``transform``; an array in memory
    gains nothing from that and is read in the order asked for. The batch,
    moved to ``device``, is exactly what indexing the transformed array held
    in memory would give, as long as ``transform`` treats rows independently.

    Parameters
    ----------
    array : array-like of shape (n_samples, n_features)
        Anything NumPy can index with an integer array along the first axis.
    transform : callable
        ``transform(block) -> float32 ndarray`` of the same shape, applied to
        each block of rows (the estimators standardize here).
    device : torch.device
        Where the batches go.
    sorted_reads : bool, default=True
        Read each batch's rows in increasing order (for an array on disk).
    """

    def __init__(self, array, transform, device, *, sorted_reads=True):
        self.array = array
        self.transform = transform
        self.device = device
        self.sorted_reads = sorted_reads

    def __call__(self, index: torch.Tensor) -> torch.Tensor:
        wanted = index.cpu().numpy()
        if not self.sorted_reads:
            return torch.from_numpy(self.transform(np.take(self.array, wanted, axis=0))).to(
                self.device)
        order = np.argsort(wanted, kind="stable")
        block = self.transform(np.take(self.array, wanted[order], axis=0))
        batch = np.empty_like(block)
        batch[order] = block
        return torch.from_numpy(batch).to(self.device)


@dataclass
class History:
    """What training has seen so far; carried across ``partial_fit`` calls."""

    loss_curve: list[float] = field(default_factory=list)
    validation_loss_curve: list[float] = field(default_factory=list)
    best_loss: float = math.inf
    no_improvement_count: int = 0
    n_iter: int = 0


def make_optimizer(module: nn.Module, learning_rate: float, alpha: float) -> torch.optim.Adam:
    """Adam with an L2 penalty ``alpha`` on the weight matrices (not on biases)."""
    decay, no_decay = [], []
    for name, param in module.named_parameters():
        if param.requires_grad:
            (decay if param.ndim > 1 and not name.endswith("bias") else no_decay).append(param)
    groups = [{"params": decay, "weight_decay": alpha}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return torch.optim.Adam(groups, lr=learning_rate)


class Trainer:
    """Minibatch Adam over a tensor of rows or a rows source.

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
        rows = as_rows(data)
        module.train()
        order = index[torch.randperm(index.numel(), generator=gen, device=gen.device)]
        total = torch.zeros((), dtype=torch.float64, device=order.device)
        for start in range(0, order.numel(), self.batch_size):
            batch = rows(order[start:start + self.batch_size])
            loss = loss_fn(module, batch, gen)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * batch.shape[0]
        return float(total) / max(order.numel(), 1)

    def _weights_finite(self) -> bool:
        with torch.no_grad():
            return all(bool(torch.isfinite(p).all()) for p in self.module.parameters())

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
        starts = (len(history.loss_curve), len(history.validation_loss_curve), history.n_iter)
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
                    _report_epoch(progress, history, time.perf_counter() - tic)
                if stop_early and history.no_improvement_count >= n_iter_no_change:
                    stop = "converged"
                    break
        except KeyboardInterrupt:
            # wherever in the epoch it landed, keep only the epochs that finished
            stop = "interrupted"
            curves = [(history.loss_curve, starts[0])]
            if monitor_validation:
                curves.append((history.validation_loss_curve, starts[1]))
            done = min([history.n_iter - starts[2]]
                       + [len(curve) - start for curve, start in curves])
            history.n_iter = starts[2] + done
            for curve, start in curves:
                del curve[start + done:]
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


def _report_epoch(progress, history, seconds):
    """The epoch's losses: a bar's postfix, or the line ``Epoch n: loss=..., time=...s``."""
    losses = f"loss={history.loss_curve[-1]:.6g}"
    if history.validation_loss_curve:
        losses += f", validation_loss={history.validation_loss_curve[-1]:.6g}"
    progress.step(f"Epoch {history.n_iter}: {losses}, time={seconds:.3f}s", short=losses)
