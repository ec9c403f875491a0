"""
===============================================
The KL divergence between Gaussians, as an area
===============================================

The VAE's loss has a term :math:`\\mathrm{KL}(q \\,\\Vert\\, p)` that pulls each
posterior :math:`q(z \\mid x)` towards the prior :math:`p(z) = \\mathcal{N}(0, 1)`.
The divergence is the expectation under :math:`q` of the log-ratio,

.. math::

   \\mathrm{KL}(q \\,\\Vert\\, p) = \\int q(z) \\log \\frac{q(z)}{p(z)} \\, dz,

so it is the signed area under the curve :math:`q(z) \\log(q(z) / p(z))`. For
Gaussians it has the closed form

.. math::

   \\mathrm{KL}\\big(\\mathcal{N}(\\mu, \\sigma^2) \\,\\Vert\\, \\mathcal{N}(0, 1)\\big)
   = \\tfrac{1}{2}\\big(\\mu^2 + \\sigma^2 - 1 - \\log \\sigma^2\\big),

which is what :func:`skgen.nn.gaussian_kl` computes. Each panel below shows a
:math:`q` against the prior, shades the integrand (green where it adds to the
divergence, red where it subtracts) and checks the area against the formula.
"""

# SPDX-License-Identifier: BSD-3-Clause

import matplotlib.pyplot as plt
import numpy as np
import torch

from skgen.nn import gaussian_kl


def normal_pdf(z, mu, sigma):
    return np.exp(-0.5 * ((z - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))


z = np.linspace(-6, 6, 4001)
prior = normal_pdf(z, 0.0, 1.0)
posteriors = [(0.0, 1.0), (1.0, 1.0), (0.0, 0.4), (2.0, 0.5)]

fig, axes = plt.subplots(1, len(posteriors), figsize=(14, 3.6), sharey=True,
                         layout="constrained")
for ax, (mu, sigma) in zip(axes, posteriors):
    q = normal_pdf(z, mu, sigma)
    integrand = q * (np.log(q) - np.log(prior))
    area = integrand.sum() * (z[1] - z[0])  # the integral as a sum of thin strips
    closed_form = float(gaussian_kl(torch.tensor([mu]), torch.tensor([np.log(sigma**2)])))
    ax.plot(z, prior, color="k", lw=1.5, label="p = N(0, 1)")
    ax.plot(z, q, color="C0", lw=1.5, label=f"q = N({mu:g}, {sigma:g}²)")
    ax.fill_between(z, integrand, where=integrand >= 0, color="C2", alpha=0.4,
                    label="q log(q/p) > 0")
    ax.fill_between(z, integrand, where=integrand < 0, color="C3", alpha=0.4,
                    label="q log(q/p) < 0")
    ax.set_title(f"area {area:.3f}, closed form {closed_form:.3f}")
    ax.set_xlabel("z")
    ax.set_xlim(-4, 4)
axes[0].set_ylabel("density")
axes[-1].legend(loc="upper left", fontsize="small")
plt.show()

# %%
# The divergence is zero only when :math:`q` is the prior. Moving the mean
# costs :math:`\mu^2 / 2`; shrinking the variance costs
# :math:`(\sigma^2 - 1 - \log\sigma^2)/2`, which grows without bound as
# :math:`\sigma \to 0`: this is what keeps a VAE's posteriors from collapsing
# to points, and its codes from drifting far from the origin.
