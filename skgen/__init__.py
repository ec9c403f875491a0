"""skgen: scikit-learn compatible autoencoders, VAEs and anomaly detectors on PyTorch."""

# SPDX-License-Identifier: BSD-3-Clause

from ._autoencoder import AutoencoderTransformer
from ._version import __version__
from .exceptions import DivergenceError

__all__ = ["AutoencoderTransformer", "DivergenceError", "__version__"]
