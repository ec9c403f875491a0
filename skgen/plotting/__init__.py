"""Plotting helpers following scikit-learn's Display convention.

Each display is built with ``from_estimator(...)``, draws with ``plot(ax=None,
...)`` and keeps the matplotlib objects it made (``ax_``, ``figure_``, ...).
matplotlib is an optional dependency (``pip install skgen[plots]``), imported
only when something is drawn.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._images import ImageGridDisplay
from ._latent import LatentGridDisplay, LatentSpaceDisplay
from ._loss import LossCurveDisplay
from ._scores import FeatureContributionDisplay, OutlierScoreDisplay

__all__ = [
    "FeatureContributionDisplay",
    "ImageGridDisplay",
    "LatentGridDisplay",
    "LatentSpaceDisplay",
    "LossCurveDisplay",
    "OutlierScoreDisplay",
]
