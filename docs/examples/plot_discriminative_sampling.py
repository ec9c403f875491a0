"""
==========================================================
A classifier cannot generate: gradient ascent on the input
==========================================================

A discriminative model learns :math:`p(y \\mid x)`, the probability of a label
given an image, and nothing about what images look like. To make it "draw" a
digit :math:`k`, one can start from an image and follow the gradient of
:math:`\\log p(y = k \\mid x)` with respect to the pixels. This example does it
for a :class:`~sklearn.linear_model.LogisticRegression` trained on the digits
and compares the result with the class averages, which is what the simplest
generative model (one Gaussian per class, :math:`p(x \\mid y)`) would draw.
"""

# SPDX-License-Identifier: BSD-3-Clause

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixels in [0, 1]
clf = LogisticRegression(max_iter=2000).fit(X, y)
print(f"training accuracy: {clf.score(X, y):.3f}")

# %%
# Gradient ascent on the input
# ----------------------------
# For multinomial logistic regression with weights :math:`w_j`, the gradient
# of :math:`\log p(k \mid x)` is :math:`w_k - \sum_j p(j \mid x)\, w_j`. We
# start every class from the same random image, take 100 small steps and keep
# the pixels in :math:`[0, 1]` (projected gradient ascent).

W = clf.coef_
classes = np.arange(10)
start = np.random.RandomState(0).uniform(size=X.shape[1])
ascended = np.tile(start, (10, 1))  # row k will become "digit k"
for _ in range(100):
    p = clf.predict_proba(ascended)  # (10 images, 10 classes)
    ascended = np.clip(ascended + 0.02 * (W - p @ W), 0.0, 1.0)
confidence = clf.predict_proba(ascended)[classes, classes]
class_means = np.array([X[y == k].mean(axis=0) for k in classes])

# %%
# The classifier is almost certain about images that look like no digit: the
# ascent only moves the pixels that *separate* class :math:`k` from the
# others. The class averages, drawn from a (very crude) model of
# :math:`p(x \mid y)`, at least look like digits.

fig, axes = plt.subplots(2, 10, figsize=(12, 3.2), layout="constrained")
for k in classes:
    axes[0, k].imshow(ascended[k].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    axes[0, k].set_title(f"p(y={k}|x)\n= {confidence[k]:.3f}", fontsize=8)
    axes[1, k].imshow(class_means[k].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("gradient\nascent")
axes[1, 0].set_ylabel("class\naverage")
fig.suptitle("What a classifier 'draws' (top) vs what the classes look like (bottom)")
plt.show()
