"""
===============================================================
Sampling digits: typed columns against Gaussians, by C2ST
===============================================================

:meth:`~skgen.VAETransformer.sample` draws a code :math:`z` from the prior,
then a row from the decoder's distribution :math:`p(x \\mid z)`. Every pixel
of scikit-learn's digits is one of 17 integer levels, and
``column_types='auto'`` (the default) sees it: each pixel gets a categorical
head over the levels it took in training, so samples are integer images with
the data's own levels. A Gaussian decoder (``column_types='continuous'``, the
model before column types) or a :class:`~sklearn.mixture.GaussianMixture`
give every pixel continuous noise instead, which no real digit has.

How realistic are the samples? A classifier two-sample test (C2ST) trains a
classifier to tell generated rows from held-out real ones: its
cross-validated ROC-AUC is 0.5 when it cannot, 1.0 when it always can. The
numbers this example prints are this run's, on a small test set; the
benchmark (``benchmarks/bench_vae.py``, shown in the user guide) measures the
same thing over three draws, beside TVAE.

Run ``python docs/examples/plot_vae_samples.py`` from the repository root.
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split

from skgen import VAETransformer
from skgen.plotting import ImageGridDisplay

X = load_digits().data  # integer pixels, 0 to 16
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)

# %%
# Three generators
# ----------------
# The same VAE with typed columns and with Gaussians alone, and a mixture of
# 40 diagonal Gaussians. The VAEs keep the default latent size,
# ``n_components='auto'``: as many units as principal axes hold 99% of the
# variance (``n_components_``); two would make codes to plot, and blurrier
# samples.

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    typed = VAETransformer(random_state=0).fit(X_train)
    gaussian = VAETransformer(column_types="continuous", random_state=0).fit(X_train)
print("latent units:", typed.n_components_)
print("column types found:", {kind: int(np.sum(typed.column_types_ == kind))
                              for kind in np.unique(typed.column_types_)})
print("levels of pixel 20:", typed.levels_[20])

gmm = GaussianMixture(40, covariance_type="diag", random_state=0).fit(X_train)

n = len(X_test)
samples = {
    "VAE, column_types='auto'": typed.sample(n, random_state=1),
    "VAE, column_types='continuous'": gaussian.sample(n, random_state=1),
    # GaussianMixture.sample returns its rows grouped by component
    "GMM (40 diag)": gmm.sample(n)[0][np.random.RandomState(1).permutation(n)],
}
print("sampled pixel values of the typed VAE:", np.unique(samples["VAE, column_types='auto'"]))

# %%
# The two-sample test
# -------------------
# Real held-out rows against as many generated ones, on shuffled folds.


def c2st(real, fake):
    rows = np.vstack([real, fake])
    is_fake = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    clf = HistGradientBoostingClassifier(max_iter=100, random_state=0)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    return cross_val_score(clf, rows, is_fake, cv=folds, scoring="roc_auc").mean()


scores = {name: c2st(X_test, S) for name, S in samples.items()}
for name, auc in scores.items():
    print(f"C2ST {name}: {auc:.3f}")

# %%
# Real digits and samples, side by side
# -------------------------------------
# The typed samples hold only the pixel levels of the training digits; the
# Gaussian ones spill noise around them, below 0 too. The C2ST of each row is
# in its label.

disp = ImageGridDisplay.from_arrays(
    X_test, *samples.values(), n_images=12,
    row_labels=["held-out\ndigits", *(f"{name.replace(', ', chr(10))}\nC2ST {scores[name]:.3f}"
                                      for name in samples)],
    title="Held-out digits and generated ones (C2ST: 0.5 = indistinguishable)",
    vmin=0, vmax=16)
plt.show()
