"""Per-column losses of rows whose level columns are one-hot: :class:`TypedColumns`."""

# SPDX-License-Identifier: BSD-3-Clause

import torch
from torch import nn


class TypedColumns(nn.Module):
    """Read a network's outputs column by column, each with the loss of its type.

    The rows hold a continuous column as one input and a column of ``L``
    levels (binary, discrete or categorical) as ``L`` one-hot inputs; a
    network reconstructing them gives one output per input. A continuous
    column's error is its squared error; a level column's the cross-entropy
    of the softmax of its ``L`` outputs (logits) against its one-hot input,
    the Bernoulli's for two levels. An input holding no level (all zeros, a
    level never seen in training) has the loss ``unseen_loss``, as if the
    model gave that level the probability ``exp(-unseen_loss)``; a soft
    one-hot (a point between two rows) mixes the two.

    It has no parameters: its buffers (not saved) describe the layout.

    Parameters
    ----------
    n_levels : sequence of int
        Per column, its number of levels, 0 for a continuous column.
    unseen_loss : float, default=10.0
        The loss of a level column whose input is all zeros.
    weights : sequence of float or None, default=None
        Per column, the weight of its loss in :meth:`loss` (None: ones).

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import TypedColumns
    >>> typed = TypedColumns([0, 3])  # a number, then a column of three levels
    >>> x = torch.tensor([[0.5, 0.0, 1.0, 0.0]])
    >>> out = torch.tensor([[0.0, 0.0, 0.0, 0.0]])  # uniform over the three levels
    >>> typed.column_errors(out, x)
    tensor([[0.2500, 1.0986]])
    >>> typed.reconstruct(out)
    tensor([[0.0000, 0.3333, 0.3333, 0.3333]])
    """

    def __init__(self, n_levels, unseen_loss=10.0, weights=None):
        super().__init__()
        n_levels = [int(n) for n in n_levels]
        self.n_columns = len(n_levels)
        widths = [max(n, 1) for n in n_levels]
        starts = torch.cumsum(torch.tensor([0, *widths]), 0)[:-1].tolist()
        self.n_inputs = int(sum(widths))
        self.unseen_loss = float(unseen_loss)
        continuous = [j for j, n in enumerate(n_levels) if n == 0]
        groups = [j for j, n in enumerate(n_levels) if n > 0]
        width = max([n_levels[j] for j in groups], default=1)
        # each group's inputs, padded with the index one past the last input
        index = torch.full((len(groups), width), self.n_inputs, dtype=torch.long)
        for g, j in enumerate(groups):
            index[g, :n_levels[j]] = torch.arange(starts[j], starts[j] + n_levels[j])
        order = torch.argsort(torch.tensor(continuous + groups, dtype=torch.long))
        for name, value in (("continuous_inputs", [starts[j] for j in continuous]),
                            ("group_index", index), ("column_order", order),
                            ("first_inputs", starts),
                            ("input_columns", torch.repeat_interleave(
                                torch.arange(self.n_columns), torch.tensor(widths)))):
            self.register_buffer(name, torch.as_tensor(value, dtype=torch.long),
                                 persistent=False)
        weights = torch.ones(self.n_columns) if weights is None else torch.as_tensor(
            weights, dtype=torch.float32)
        self.register_buffer("weights", weights, persistent=False)
        # the padding read from input 0 and masked: a gather with no padded copy of the rows
        self.register_buffer("group_gather", index.clamp_max(max(self.n_inputs - 1, 0)),
                             persistent=False)
        self.register_buffer("group_valid", index < self.n_inputs, persistent=False)
        is_continuous = torch.zeros(self.n_inputs, dtype=torch.bool)
        is_continuous[self.continuous_inputs] = True
        self.register_buffer("continuous_mask", is_continuous, persistent=False)

    def _groups(self, values, fill):
        """``values`` (..., n_inputs) gathered into (..., n_groups, max_levels), the padding
        ``fill``."""
        return values[..., self.group_gather].masked_fill(~self.group_valid, fill)

    def column_errors(self, output, target):
        """Each column's loss, ``(..., n_columns)``, of the network's ``output`` for ``target``
        (both ``(..., n_inputs)``; NaN-free)."""
        squared = (output[..., self.continuous_inputs]
                   - target[..., self.continuous_inputs]) ** 2
        logits = self._groups(output, float("-inf"))
        onehot = self._groups(target, 0.0)
        mass = onehot.sum(-1)
        chosen = (onehot * torch.where(torch.isinf(logits), 0.0, logits)).sum(-1)
        cross_entropy = (mass * torch.logsumexp(logits, -1) - chosen
                         + (1.0 - mass).clamp_min(0.0) * self.unseen_loss)
        return torch.cat([squared, cross_entropy], -1)[..., self.column_order]

    def loss(self, output, target):
        """Each row's weighted mean of :meth:`column_errors`, ``(...)``."""
        return (self.column_errors(output, target) * self.weights.to(output.dtype)).mean(-1)

    def reconstruct(self, output):
        """``output`` with each level column's logits made probabilities (softmax)."""
        if not self.group_index.numel():
            return output
        probabilities = torch.softmax(self._groups(output, float("-inf")), -1)
        out = output.clone()
        valid = self.group_index < self.n_inputs
        out[..., self.group_index[valid]] = probabilities[..., valid]
        return out
