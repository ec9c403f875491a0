"""User networks for the tests of custom encoders and decoders, at module level so that
fitted models holding them can be pickled (they are stored by reference)."""

import torch
from torch import nn


class ConvEncoder(nn.Module):
    """A small convolutional encoder for rows shaped ``(1, 8, 8)``."""

    def __init__(self, n_outputs, channels=4):
        super().__init__()
        self.conv = nn.Conv2d(1, channels, 3, padding=1)
        self.head = nn.Linear(channels * 64, n_outputs)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)).flatten(1))


def conv_code(channels=2):
    """A conv encoder to a 6-wide code, for the denoising autoencoder (no n_components)."""
    return ConvEncoder(6, channels)


class ConvDecoder(nn.Module):
    """Codes to ``(batch, 1, 8, 8)`` images, which the estimator flattens."""

    def __init__(self, n_components, channels=4):
        super().__init__()
        self.channels = channels
        self.head = nn.Linear(n_components, channels * 16)
        self.up = nn.ConvTranspose2d(channels, 1, 2, stride=2)

    def forward(self, z):
        return self.up(torch.relu(self.head(z)).reshape(-1, self.channels, 4, 4))


class DropoutEncoder(nn.Module):
    """Any number of columns to ``n_outputs``, with dropout (draws while training)."""

    def __init__(self, n_features, n_outputs, width=16, p=0.2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, width), nn.ReLU(), nn.Dropout(p),
                                 nn.Linear(width, n_outputs))

    def forward(self, x):
        return self.net(x)


class TupleEncoder(nn.Module):
    """A VAE encoder returning ``(mean, log_var)``."""

    def __init__(self, n_features, n_components):
        super().__init__()
        self.mean = nn.Linear(n_features, n_components)
        self.log_var = nn.Linear(n_features, n_components)

    def forward(self, x):
        return self.mean(x), self.log_var(x)


def linear_decoder(n_components, n_outputs):
    """A module-level function returning a module."""
    return nn.Linear(n_components, n_outputs)


class Broken(nn.Module):
    """A linear encoder whose output is wrong in one way: ``how`` is 'width' (one value too
    many), 'dtype' (float64), 'nan' or 'dict' (not a tensor)."""

    def __init__(self, n_features, n_outputs, how="width"):
        super().__init__()
        self.how = how
        self.linear = nn.Linear(n_features, n_outputs + (how == "width"))

    def forward(self, x):
        out = self.linear(x)
        if self.how == "dtype":
            return out.double()
        if self.how == "dict":
            return {"code": out}
        return out * float("nan") if self.how == "nan" else out


def hidden_code(n_features, width=8):
    """An encoder whose code width is its own choice (the denoising autoencoder's)."""
    return nn.Sequential(nn.Linear(n_features, width), nn.ReLU())
