"""skgen: scikit-learn compatible autoencoders, VAEs and anomaly detectors on PyTorch."""

# SPDX-License-Identifier: BSD-3-Clause

from ._autoencoder import AutoencoderTransformer
from ._denoising import DenoisingAutoencoder
from ._outlier import AEOutlierDetector
from ._vae import VAETransformer
from ._version import __version__
from .exceptions import DivergenceError

__all__ = ["AEOutlierDetector", "AutoencoderTransformer", "DenoisingAutoencoder", "DivergenceError", "VAETransformer", "__version__"]
