"""A small ensemble of autoencoders in one module, for anomaly detection."""

# SPDX-License-Identifier: BSD-3-Clause

import torch
from torch import nn

from ._mlp import MLPAutoencoder, init_pca


def _squared_errors(reconstruction, target):
    return (reconstruction - target) ** 2


class AutoencoderEnsemble(nn.Module):
    """``n_estimators`` independent :class:`MLPAutoencoder` members side by side.

    The members are built one after the other, each drawing its initial
    weights from the generator in effect (an estimator's own seeded one, see
    :class:`skgen._utils.drawing_from`), so they differ even though they share
    one architecture; :meth:`init_pca` then gives every residual member the
    same linear path and leaves their nonlinear branches apart.

    Parameters
    ----------
    n_features : int
    n_components : int
        Width of each member's bottleneck.
    hidden_layer_sizes : tuple of int
        Encoder hidden widths; the decoder mirrors them.
    activation : str
    n_estimators : int, default=1
        Number of members.
    residual : bool, default=True
        Give the members a linear path that :meth:`init_pca` sets to PCA
        (only members with hidden layers have one).
    encoder, decoder, input_shape : default=None
        A user's encoder or decoder for every member (each member builds its
        own), see :class:`MLPAutoencoder`.

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import AutoencoderEnsemble
    >>> ens = AutoencoderEnsemble(n_features=8, n_components=2, hidden_layer_sizes=(16,),
    ...                           n_estimators=3)
    >>> x = torch.randn(10, 8)
    >>> ens(x).shape  # every member's reconstruction
    torch.Size([3, 10, 8])
    >>> ens.codes(x).shape
    torch.Size([3, 10, 2])
    """

    def __init__(self, n_features, n_components, hidden_layer_sizes=(), activation="relu",
                 n_estimators=1, residual=True, encoder=None, decoder=None, input_shape=None):
        super().__init__()
        self.members = nn.ModuleList(
            MLPAutoencoder(n_features, n_components, hidden_layer_sizes, activation,
                           residual=residual, encoder=encoder, decoder=decoder,
                           input_shape=input_shape)
            for _ in range(n_estimators)
        )

    def forward(self, x):
        """Reconstructions of ``x`` by every member: shape ``(n_estimators, *x.shape)``."""
        return torch.stack([member(x) for member in self.members])

    def squared_errors(self, x):
        """Per-member, per-entry squared reconstruction errors, ``(n_estimators, *x.shape)``."""
        return (self(x) - x) ** 2

    def codes(self, x):
        """Every member's code of ``x``: shape ``(n_estimators, n_rows, n_components)``."""
        return torch.stack([member.encoder(x) for member in self.members])

    def codes_and_squared_errors(self, x, errors=None):
        """:meth:`codes` and :meth:`squared_errors` from one pass of each encoder; ``errors``,
        a function of a reconstruction and ``x``, replaces the squared errors if given (the
        per-column losses of :class:`~skgen.nn.TypedColumns`)."""
        codes = self.codes(x)
        errors = errors or _squared_errors
        return codes, torch.stack([errors(member.decoder(code), x)
                                   for member, code in zip(self.members, codes)])

    def errors_and_codes(self, x, n_units, errors=None):
        """What an anomaly score reads of ``x``, from one pass of each member: the per-entry
        squared errors (or ``errors``, see :meth:`codes_and_squared_errors`) averaged over
        the members, shape ``(n_rows, n_features)``, and the leading ``n_units`` code units
        of every member side by side, shape ``(n_rows, n_estimators * n_units)``."""
        codes, errors = self.codes_and_squared_errors(x, errors)
        return errors.mean(dim=0), codes[..., :n_units].transpose(0, 1).flatten(1)

    @torch.no_grad()
    def init_pca(self, X):
        """Start every residual member at the PCA solution of ``X`` (see :func:`init_pca`);
        a user's encoder or decoder starts from its own initialisation."""
        for member in self.members:
            init_pca(member.encoder, member.decoder, X)
