"""
=================================================================
Choosing a density model with GridSearchCV: PCA, mixture or VAE
=================================================================

:class:`~sklearn.decomposition.PCA` (probabilistic PCA),
:class:`~sklearn.mixture.GaussianMixture` and :class:`~skgen.VAETransformer`
all have a ``score`` method that returns the mean log-likelihood of the rows,
in nats and in the units of X. So they can be alternatives of one
:class:`~sklearn.pipeline.Pipeline` step, and
:class:`~sklearn.model_selection.GridSearchCV`, whose default scoring is the
estimator's ``score``, picks the model that explains held-out data best; no
``scoring=`` is needed.
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from skgen import VAETransformer
from skgen.plotting import ImageGridDisplay

# %%
# Integer pixels have no density (a model could put infinite density on the
# values 0..16), so every pixel is spread over :math:`[v, v + 1)` with uniform
# noise: *dequantization*. All models see the same noisy data.

X, _ = load_digits(return_X_y=True)
X = X + np.random.RandomState(0).uniform(size=X.shape)
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)

# %%
# One pipeline step, three kinds of model. The VAE trains for at most 20
# epochs with 20 importance samples in ``score`` (defaults: 200 and 100) to
# keep the example fast.

pipe = Pipeline([("density", PCA())])
param_grid = [
    {"density": [PCA()], "density__n_components": [4, 16]},
    {"density": [GaussianMixture(covariance_type="diag", random_state=0)],
     "density__n_components": [1, 10]},
    {"density": [VAETransformer(max_iter=20, n_importance_samples=20, random_state=0)],
     "density__n_components": [8]},
]
search = GridSearchCV(pipe, param_grid, cv=3)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train)

results = pd.DataFrame({
    "model": [type(p["density"]).__name__ for p in search.cv_results_["params"]],
    "n_components": search.cv_results_["param_density__n_components"],
    "mean log-likelihood (cv)": search.cv_results_["mean_test_score"].round(1),
    "fit time (s)": search.cv_results_["mean_fit_time"].round(2),
})
print(results.to_string(index=False))
print(f"\nbest: {search.best_estimator_[-1]}")
print(f"held-out mean log-likelihood of the refitted best model: {search.score(X_test):.1f}")

# %%
# The scores are comparable because each is a log-density of the same rows
# in the same units. Samples of the selected model:

best = search.best_estimator_[-1]
if hasattr(best, "sample"):
    ImageGridDisplay.from_estimator(best, kind="samples", n_images=20, random_state=0,
                                    vmin=0, vmax=17)
plt.show()
