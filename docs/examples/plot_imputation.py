"""
====================================================
Imputing missing pixels: autoencoder vs KNNImputer
====================================================

A third of the pixels of every digit are hidden at random (set to NaN).
:class:`~skgen.DenoisingAutoencoder` accepts NaN in ``fit`` (missing entries
are left out of the loss) and fills every NaN in ``transform``, like
scikit-learn's imputers, so it can stand in a Pipeline before a model that
rejects missing values. It is compared with
:class:`~sklearn.impute.KNNImputer` and the column means
(:class:`~sklearn.impute.SimpleImputer`), on held-out digits.
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skgen import DenoisingAutoencoder
from skgen.plotting import ImageGridDisplay

X, y = load_digits(return_X_y=True)
missing = np.random.RandomState(0).uniform(size=X.shape) < 0.3
X_missing = np.where(missing, np.nan, X)
train, test = train_test_split(np.arange(len(X)), test_size=0.25, random_state=0)

# %%
# Each imputer is fitted on the incomplete training rows and fills the
# held-out rows; the error is measured on the hidden pixels only. The
# autoencoder is fitted inside a pipeline with a classifier that cannot take
# NaN; ``max_iter=60`` (default 200) keeps the example fast.

pipe = make_pipeline(DenoisingAutoencoder(max_iter=60, random_state=0),
                     LogisticRegression(max_iter=2000))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    pipe.fit(X_missing[train], y[train])
print(f"pipeline accuracy on held-out digits with 30% missing pixels: "
      f"{pipe.score(X_missing[test], y[test]):.3f}")

imputers = {
    "column means": SimpleImputer().fit(X_missing[train]),
    "KNNImputer": KNNImputer().fit(X_missing[train]),
    "DenoisingAutoencoder": pipe[0],  # already fitted on the training rows
}
filled = {}
for name, imputer in imputers.items():
    filled[name] = imputer.transform(X_missing[test])
    error = (filled[name] - X[test])[missing[test]]
    print(f"{name:>21}: RMSE on the hidden pixels {np.sqrt(np.mean(error ** 2)):.3f}")

# %%
# Rows: the original digits, what the imputers see, and what they fill in.

ImageGridDisplay.from_arrays(
    X[test], X_missing[test], *filled.values(),
    row_labels=["original", "30% missing", *filled], title="imputed held-out digits",
    vmin=0, vmax=16,
)
