"""The denoising autoencoder module, its corruptions and its masked loss.

Missing entries are NaN throughout: the module reads a row with NaN as "these
entries are unknown" (it sees the observed values, zero elsewhere, and the
observation mask), the corruptions keep NaN where it was, and the loss counts
observed entries only.
"""

# SPDX-License-Identifier: BSD-3-Clause

import torch
from torch import nn

from ._custom import custom_pair
from ._mlp import make_mlp

NOISES = ("gaussian", "mask", "swap")


class DenoisingMLP(nn.Module):
    """An MLP from a partly observed row to the full row.

    The input ``x`` may contain NaN. The network sees ``[x with NaN -> 0, mask]``
    (``mask`` is 1 where ``x`` is observed), so a missing entry is never
    mistaken for an observed zero, and returns a value for every entry.

    Beside the MLP runs a linear path, so that the MLP only has to learn what
    it misses. The path is per column: output ``j`` adds
    ``a_j * x_j + c_j * mask_j + b_j`` of its own column, which lets an
    observed value through (denoising shrinks it towards the prediction) and
    shifts a missing one; ``3 * n_features`` parameters. What a column says
    about the others goes through the MLP's hidden layers, whose size grows
    linearly with the columns too.

    Parameters
    ----------
    n_features : int
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers.
    activation : str
        Hidden activation (a key of :data:`skgen.nn.ACTIVATIONS`); the output is linear.
    residual : bool, default=True
        Whether the per-column linear path (:class:`ColumnwiseLinear`) runs
        beside the MLP. It starts at zero.
    encoder, decoder : ModuleSpec or None, default=None
        A user's network in place of the MLP (see :mod:`skgen.nn._custom`):
        the encoder reads the row with its missing entries at zero, shaped
        ``(batch, *input_shape)``, and returns a code of the width it chooses;
        the decoder maps that code to ``n_features`` values (without a
        decoder, an MLP of ``hidden_layer_sizes`` does). The per-column linear
        path still runs beside them and sees the observation mask.
    input_shape : tuple of int or None, default=None
        What a row looks like to a user's encoder; its product is ``n_features``.

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import DenoisingMLP
    >>> net = DenoisingMLP(n_features=4, hidden_layer_sizes=(8,))
    >>> x = torch.tensor([[0.5, float("nan"), 1.0, -1.0]])
    >>> out = net(x)  # a value for every entry, the missing one too
    >>> out.shape, bool(torch.isnan(out).any())
    (torch.Size([1, 4]), False)
    >>> sum(p.numel() for p in net.linear.parameters())  # the path: 3 per column
    12
    """

    def __init__(self, n_features, hidden_layer_sizes=(256,), activation="relu",
                 residual=True, encoder=None, decoder=None, input_shape=None):
        super().__init__()
        if decoder is not None and encoder is None:
            raise ValueError("A DenoisingMLP with a custom decoder needs a custom encoder too: "
                             "the encoder chooses the width of the code the decoder reads.")
        encoder, decoder = custom_pair(encoder, decoder, n_features=n_features,
                                       n_components=None, n_outputs=(None, n_features),
                                       input_shape=input_shape,
                                       expected=("", f"n_features={n_features}"))
        if encoder is None:
            sizes = (2 * n_features, *tuple(hidden_layer_sizes), n_features)
            self.mlp = make_mlp(sizes, activation)
        else:  # the user's encoder reads the row alone, NaN at zero
            self.mlp = _Observed(encoder, decoder or make_mlp(
                (encoder.n_outputs, *tuple(hidden_layer_sizes), n_features), activation))
        self.linear = ColumnwiseLinear(n_features) if residual else None

    def forward(self, x):
        observed = ~torch.isnan(x)
        h = torch.cat([torch.where(observed, x, torch.zeros((), dtype=x.dtype, device=x.device)),
                       observed.to(x.dtype)], dim=1)
        out = self.mlp(h)
        if self.linear is not None:
            out = out + self.linear(h)
        return out


class _Observed(nn.Module):
    """``decoder(encoder(x))`` on the first half of ``[x with NaN -> 0, mask]``."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, h):
        return self.decoder(self.encoder(h[:, : h.shape[1] // 2]))


class ColumnwiseLinear(nn.Module):
    """``[x, mask]`` (``2 * n_features`` wide) to ``x * weight[0] + mask * weight[1] + bias``.

    A linear map from the row and its observation mask to ``n_features``
    outputs in which output ``j`` reads column ``j`` only: the two diagonals
    of a dense ``nn.Linear(2 * n_features, n_features)``, with its parameters
    in ``weight`` (shape ``(2, n_features)``, so that Adam's weight decay
    applies to it as to a matrix) and ``bias``. Both start at zero.

    Examples
    --------
    >>> import torch
    >>> from skgen.nn._denoising import ColumnwiseLinear
    >>> path = ColumnwiseLinear(3)
    >>> with torch.no_grad():
    ...     path.weight[0] = torch.tensor([1.0, 2.0, 3.0])
    >>> path(torch.tensor([[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]))
    tensor([[1., 2., 3.]], grad_fn=<AddBackward0>)
    """

    def __init__(self, n_features):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(2, n_features))
        self.bias = nn.Parameter(torch.zeros(n_features))

    def forward(self, h):
        x, mask = h.chunk(2, dim=1)
        return x * self.weight[0] + mask * self.weight[1] + self.bias


def corrupt(x, noise, level, generator, columns=None, n_columns=None, continuous=None):
    """Corrupt a standardized batch ``x`` (NaN = missing) afresh.

    Parameters
    ----------
    x : Tensor of shape (n_samples, n_inputs)
    noise : {'gaussian', 'mask', 'swap'}
        'gaussian' adds ``N(0, level**2)`` to every entry (one standard deviation
        of a column is 1 in standardized units); 'mask' hides each entry (sets it
        to NaN) with probability ``level``; 'swap' replaces each entry, with
        probability ``level``, by the same column's entry in a row of the batch
        drawn at random, which keeps every column's marginal distribution.
    level : float
    generator : torch.Generator
        The only source of randomness.
    columns : Tensor of int of shape (n_inputs,), optional
        For rows whose columns span several inputs (one-hot levels): the column
        of each input (``0 .. n_columns - 1``, every column present). 'mask' and
        'swap' then hit whole columns: all the inputs of a column are hidden
        together, or all come from the same other row (a level for a level).
        None: each input is its own column.
    n_columns : int, optional
        With ``columns``: the number of columns.
    continuous : Tensor of bool of shape (n_inputs,), optional
        With ``columns``: the inputs of continuous columns, the only ones
        'gaussian' adds noise to.

    Returns
    -------
    Tensor
        A new tensor; entries missing in ``x`` stay NaN (except that 'swap' may
        bring in an observed value or a NaN from another row).
    """
    if level == 0:
        return x.clone()
    shape, device = x.shape, x.device
    if noise == "gaussian":
        draws = level * torch.randn(shape, generator=generator, device=device, dtype=x.dtype)
        return x + draws if continuous is None else torch.where(continuous, x + draws, x)
    # one draw per row and column, spread over the column's inputs
    drawn = shape if columns is None else (shape[0], n_columns)
    hit = torch.rand(drawn, generator=generator, device=device, dtype=x.dtype) < level
    if columns is not None:
        hit = hit[:, columns]
    if noise == "mask":
        return torch.where(hit, torch.full((), float("nan"), dtype=x.dtype, device=device), x)
    if noise == "swap":
        rows = torch.randint(0, shape[0], drawn, generator=generator, device=device)
        return torch.where(hit, torch.gather(x, 0, rows if columns is None else rows[:, columns]),
                           x)
    raise ValueError(f"noise must be one of {NOISES}, got {noise!r}.")


def masked_mse(pred, target, observed):
    """Mean squared error over the entries where ``observed`` is True.

    Entries of ``target`` outside ``observed`` (NaN or not) never reach the
    value or the gradient. Returns 0 when nothing is observed.
    """
    target = torch.where(observed, target, pred.detach())  # error 0 and no gradient there
    return ((pred - target) ** 2).sum() / observed.sum().clamp_min(1)
