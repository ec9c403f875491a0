"""
===========================================================
Sampling digits: a VAE against a Gaussian mixture, by C2ST
===========================================================

:meth:`~skgen.VAETransformer.sample` draws a code :math:`z` from the prior,
then a row from the decoder's distribution :math:`p(x \\mid z)`. Training
pulls the codes towards :math:`\\mathcal{N}(0, I)`, but the codes the encoder
actually uses (the *aggregate posterior*) gather in clusters, one or more
per kind of digit; codes drawn from :math:`\\mathcal{N}(0, I)` between the
clusters decode to rows that look like no digit. With the default
``prior='mixture'``, a Gaussian mixture fitted on the training codes at the
end of ``fit`` is the prior instead, for :meth:`~skgen.VAETransformer.sample`
and :meth:`~skgen.VAETransformer.score_samples` alike.

How realistic are the samples? A classifier two-sample test (C2ST) trains a
classifier to tell generated rows from held-out real ones: its
cross-validated ROC-AUC is 0.5 when it cannot, 1.0 when it always can. This
example compares the VAE with both priors and a
:class:`~sklearn.mixture.GaussianMixture` on the same logit map of the pixel
range. The numbers it prints are this run's, on a small test set; the
benchmark (``benchmarks/bench_vae.py``, shown in the user guide) measures the
same thing over three draws.

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

X = load_digits().data
# Integer pixels have no density: spread each value over [v, v + 1)
# (dequantization), so that every model is fitted on continuous data in [0, 17).
X = X + np.random.RandomState(0).uniform(size=X.shape)
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)

# %%
# Three generators
# ----------------
# The VAE models the pixels in logit space (``bounds``), so its samples stay in
# the pixel range. The mixture gets the same map by hand: 40 diagonal components
# on ``logit(a + (1 - 2a) x / 17)`` with ``a = 0.05``, mapped back after sampling.

params = {"n_components": 8, "decoder_variance": "latent", "bounds": (0, 17),
          "random_state": 0}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    vae = VAETransformer(**params).fit(X_train)  # prior='mixture', the default
    vae_normal = VAETransformer(prior="normal", **params).fit(X_train)
print(f"prior of the VAE: a GaussianMixture of {vae.prior_.n_components} components "
      "(chosen by BIC)")

a = 0.05


def to_logit(X):
    u = a + (1 - 2 * a) * X / 17
    return np.log(u) - np.log1p(-u)


def from_logit(Y):
    return 17 * (1 / (1 + np.exp(-Y)) - a) / (1 - 2 * a)


gmm = GaussianMixture(40, covariance_type="diag", random_state=0).fit(to_logit(X_train))

n = len(X_test)
samples = {
    "VAE, prior='mixture'": vae.sample(n, random_state=1),
    "VAE, prior='normal'": vae_normal.sample(n, random_state=1),
    # GaussianMixture.sample returns its rows grouped by component
    "GMM (40 diag), logit map": from_logit(gmm.sample(n)[0])[np.random.RandomState(1)
                                                              .permutation(n)],
}

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
print(f"held-out log-likelihood of the VAE: prior='mixture' {vae.score(X_test):.1f}, "
      f"prior='normal' {vae_normal.score(X_test):.1f} nats per image")

# %%
# Real digits and samples, side by side
# -------------------------------------
# The prior changes which codes are decoded, not the decoder: both VAEs have the
# same weights (same ``random_state``), and only the mixture prior avoids the
# gaps between the digit clusters. The C2ST of each row is in its label.

disp = ImageGridDisplay.from_arrays(
    X_test, *samples.values(), n_images=12,
    row_labels=["held-out\ndigits", *(f"{name.replace(', ', chr(10))}\nC2ST {scores[name]:.3f}"
                                      for name in samples)],
    title="Held-out digits and generated ones (C2ST: 0.5 = indistinguishable)",
    vmin=0, vmax=17)
plt.show()
