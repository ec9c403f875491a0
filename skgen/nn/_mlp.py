"""Multi-layer perceptrons and the plain autoencoder."""

# SPDX-License-Identifier: BSD-3-Clause

import torch
from torch import nn

from ._custom import custom_pair

ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


def make_mlp(sizes, activation="relu"):
    """A stack of ``Linear`` layers with ``activation`` between them (none after the last).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first: ``(64, 32, 2)`` gives ``64 -> 32 -> 2``.
    activation : str
        A key of :data:`ACTIVATIONS`.

    Returns
    -------
    nn.Sequential

    Examples
    --------
    >>> from skgen.nn import make_mlp
    >>> make_mlp((64, 32, 2), "tanh")
    Sequential(
      (0): Linear(in_features=64, out_features=32, bias=True)
      (1): Tanh()
      (2): Linear(in_features=32, out_features=2, bias=True)
    )
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(ACTIVATIONS[activation]())
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class Residual(nn.Module):
    """``linear(x) + mlp(x)``: a linear map plus a nonlinear correction.

    With the correction's last layer at zero and ``linear`` set to the PCA
    projection, a residual autoencoder starts exactly at PCA's solution and
    training can only add what the linear model misses.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths of the nonlinear branch, input first; the linear path
        maps ``sizes[0]`` to ``sizes[-1]`` directly.
    activation : str, default='relu'
        A key of :data:`ACTIVATIONS`.

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import Residual
    >>> block = Residual((64, 32, 2))
    >>> block(torch.zeros(3, 64)).shape
    torch.Size([3, 2])
    """

    def __init__(self, sizes, activation="relu"):
        super().__init__()
        self.linear = nn.Linear(sizes[0], sizes[-1])
        self.mlp = make_mlp(sizes, activation)

    def forward(self, x):
        return self.linear(x) + self.mlp(x)


class MLPAutoencoder(nn.Module):
    """An MLP encoder to ``n_components`` units and a mirrored decoder.

    Parameters
    ----------
    n_features : int
    n_components : int
        Width of the code (the bottleneck).
    hidden_layer_sizes : tuple of int
        Encoder hidden widths, outermost first; the decoder mirrors them.
    activation : str
        Hidden activation; the code and the output are linear.
    residual : bool, default=False
        Give encoder and decoder a parallel linear path (:class:`Residual`), so
        that :func:`init_pca` can start the model at PCA.
    encoder, decoder : ModuleSpec or None, default=None
        A user's module in place of the MLP (see :mod:`skgen.nn._custom`): the
        encoder maps ``(batch, *input_shape)`` to ``n_components`` values per
        row, the decoder ``n_components`` to ``n_features``.
    input_shape : tuple of int or None, default=None
        What a row looks like to a user's encoder (``(1, 8, 8)`` for 8x8
        images); its product is ``n_features``.

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import MLPAutoencoder
    >>> module = MLPAutoencoder(n_features=64, n_components=2, hidden_layer_sizes=(32,))
    >>> x = torch.randn(5, 64)
    >>> module.encoder(x).shape
    torch.Size([5, 2])
    >>> module(x).shape
    torch.Size([5, 64])
    """

    def __init__(self, n_features, n_components, hidden_layer_sizes=(), activation="relu",
                 residual=False, encoder=None, decoder=None, input_shape=None):
        super().__init__()
        hidden = tuple(hidden_layer_sizes)
        block = Residual if residual and hidden else make_mlp
        self.encoder, self.decoder = custom_pair(
            encoder, decoder, n_features=n_features, n_components=n_components,
            n_outputs=(n_components, n_features), input_shape=input_shape,
            expected=(f"n_components={n_components}", f"n_features={n_features}"))
        if self.encoder is None:
            self.encoder = block((n_features, *hidden, n_components), activation)
        if self.decoder is None:
            self.decoder = block((n_components, *hidden[::-1], n_features), activation)

    def forward(self, x):
        return self.decoder(self.encoder(x))


@torch.no_grad()
def init_pca(encoder, decoder, X, max_rows=20000):
    """Start a residual encoder/decoder pair at the PCA solution of ``X``.

    Anything but a pair of skgen's :class:`Residual` blocks (a user's encoder or decoder)
    keeps its own initialisation: nothing is done. The linear paths become the projection
    onto the leading principal axes and its transpose; the nonlinear corrections' last
    layers are zeroed. Latent units beyond the rank of ``X`` keep small random directions.

    Parameters
    ----------
    encoder, decoder : Residual
    X : Tensor of shape (n_samples, n_features)
        Training rows in the model's input units; at most ``max_rows`` are used.
    max_rows : int, default=20000
        Number of leading rows of ``X`` used for the SVD.

    Examples
    --------
    Data of rank 5 are reconstructed exactly by PCA with 5 components, so the
    initialised autoencoder reconstructs them before any training:

    >>> import torch
    >>> from skgen.nn import MLPAutoencoder, init_pca
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(200, 5, generator=g) @ torch.randn(5, 10, generator=g)
    >>> ae = MLPAutoencoder(10, 5, hidden_layer_sizes=(16,), residual=True)
    >>> init_pca(ae.encoder, ae.decoder, X)
    >>> bool(((ae(X) - X) ** 2).mean() < 1e-6)
    True
    """
    if not (isinstance(encoder, Residual) and isinstance(decoder, Residual)):
        return
    X = X[:max_rows].to(torch.float64, copy=True)
    mean = X.mean(dim=0)
    X -= mean  # in place: one float64 copy of the rows, not two
    _, _, vh = torch.linalg.svd(X, full_matrices=False)
    k = encoder.linear.out_features
    weight = encoder.linear.weight.to(torch.float64).clone()
    weight *= 1e-3 / weight.norm(dim=1, keepdim=True).clamp_min(1e-12)
    rows = min(k, vh.shape[0])
    weight[:rows] = vh[:rows]
    encoder.linear.weight.copy_(weight)
    encoder.linear.bias.copy_(-weight @ mean)
    decoder.linear.weight.copy_(weight.T)
    decoder.linear.bias.copy_(mean)
    for branch in (encoder, decoder):
        last = branch.mlp[-1]
        last.weight.zero_()
        last.bias.zero_()
