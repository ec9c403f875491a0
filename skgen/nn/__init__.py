"""PyTorch modules behind the skgen estimators.

They import nothing from scikit-learn and can be used on their own.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._mlp import ACTIVATIONS, MLPAutoencoder, Residual, init_pca, make_mlp

__all__ = ["ACTIVATIONS", "MLPAutoencoder", "Residual", "init_pca", "make_mlp"]
