"""PyTorch modules behind the skgen estimators.

They import nothing from scikit-learn and can be used on their own.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._custom import CustomBlock, ModuleSpec
from ._denoising import DenoisingMLP
from ._ensemble import AutoencoderEnsemble
from ._mlp import ACTIVATIONS, MLPAutoencoder, Residual, init_pca, make_mlp
from ._typed import TypedColumns
from ._vae import VAE, gaussian_kl, init_bernoulli, init_level_frequencies, init_ppca

__all__ = ["ACTIVATIONS", "AutoencoderEnsemble", "CustomBlock", "DenoisingMLP", "MLPAutoencoder", "ModuleSpec", "Residual", "TypedColumns", "VAE", "gaussian_kl", "init_bernoulli", "init_level_frequencies", "init_pca", "init_ppca", "make_mlp"]
