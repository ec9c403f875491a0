"""The torch VAE module on its own: KL, reparametrization, PPCA start, IWAE bound."""

import math

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from skgen.nn import VAE, gaussian_kl, init_ppca
from skgen.nn._vae import standard_normal_log_prob


def test_closed_form_kl_matches_monte_carlo():
    gen = torch.Generator().manual_seed(0)
    mu = torch.tensor([[0.0, 0.0], [1.5, -0.5], [0.3, 2.0]], dtype=torch.float64)
    log_var = torch.tensor([[0.0, 0.0], [-1.0, 0.5], [1.2, -2.0]], dtype=torch.float64)
    eps = torch.randn((200_000, 1, 2), generator=gen, dtype=torch.float64)
    z = mu + torch.exp(0.5 * log_var) * eps
    log_q = standard_normal_log_prob(eps) - 0.5 * log_var.sum(-1)
    mc = (log_q - standard_normal_log_prob(z)).mean(0)
    exact = gaussian_kl(mu, log_var)
    assert exact[0] == 0.0  # q equal to the prior
    torch.testing.assert_close(mc, exact, atol=0.02, rtol=0.01)


def test_reconstruction_gradient_reaches_the_encoder_through_the_sample():
    torch.manual_seed(0)
    module = VAE(5, 2, hidden_layer_sizes=(8,))
    x = torch.randn(16, 5)
    eps = torch.randn(16, 2)
    captured = {}

    def keep(_, __, out):
        out.retain_grad()
        captured["h"] = out

    module.encoder.register_forward_hook(keep)
    # beta=0: the encoder gets gradient only through z = mu + sigma * eps
    module.negative_elbo(x, eps, beta=0.0).mean().backward()
    grad = captured["h"].grad
    assert grad[:, :2].abs().sum() > 0, "no gradient reached mu"
    assert grad[:, 2:].abs().sum() > 0, "no gradient reached log sigma^2"
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in module.encoder.linear.parameters())


@pytest.mark.parametrize("decoder_variance", ["feature", "latent"])
def test_ppca_start_gives_pca_log_likelihood_exactly(decoder_variance):
    """At the PPCA start the posterior is exact, so even K=1 gives log p(x)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2)) @ rng.normal(size=(2, 6)) + 0.3 * rng.normal(size=(400, 6))
    module = VAE(6, 2, hidden_layer_sizes=(8,), decoder_variance=decoder_variance).double()
    x = torch.from_numpy(X)
    init_ppca(module, x)
    eps = torch.randn((1, 2), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    got = module.iwae_log_likelihood(x, eps).detach().numpy()
    np.testing.assert_allclose(got, PCA(2).fit(X).score_samples(X), rtol=1e-6)


def test_iwae_chunks_do_not_change_the_result():
    torch.manual_seed(0)
    module = VAE(4, 3, hidden_layer_sizes=(8,), likelihood="bernoulli").double().eval()
    x = torch.rand(10, 4, dtype=torch.float64)
    eps = torch.randn(37, 3, dtype=torch.float64)
    whole = module.iwae_log_likelihood(x, eps)
    chunked = module.iwae_log_likelihood(x, eps, max_elements=25 * module.decoded_width())
    torch.testing.assert_close(whole, chunked, rtol=1e-12, atol=1e-12)
    assert torch.all(whole < 0)  # a probability of pixels in [0, 1] under Bernoulli terms


def test_decoder_variance_is_floored():
    module = VAE(3, 1)
    with torch.no_grad():
        module.raw_log_var.fill_(-1e4)
    assert torch.all(module.decoder_log_var() >= module.log_var_floor)
    with torch.no_grad():
        assert math.isfinite(float(module.log_likelihood(torch.zeros(1, 3), torch.ones(1, 3))))


def test_latent_decoder_variance_depends_on_z_and_keeps_the_floor():
    torch.manual_seed(0)
    module = VAE(3, 2, hidden_layer_sizes=(8,), decoder_variance="latent")
    z = torch.randn(5, 2)
    out = module.decode(z)
    assert out.shape == (5, 6) and module.mean(out).shape == (5, 3)
    # at construction the z-dependent part is zero: the per-feature variance
    torch.testing.assert_close(module.decoder_log_var(out), module.decoder_log_var().expand(5, 3))
    with torch.no_grad():
        torch.nn.init.normal_(module.variance_decoder[-1].weight, std=1.0)
        module.variance_decoder[-1].bias.fill_(-1e4)
    log_var = module.decoder_log_var(module.decode(z))
    assert torch.all(log_var >= module.log_var_floor)
    with torch.no_grad():
        torch.nn.init.normal_(module.variance_decoder[-1].weight, std=1.0)
        module.variance_decoder[-1].bias.zero_()
    log_var = module.decoder_log_var(module.decode(z))
    assert log_var.std(dim=0).min() > 0  # varies with z


def test_iwae_bound_uses_the_prior_it_is_given():
    """log p(x, z) = log p(x|z) + log p(z): a prior shifted by a constant shifts the bound by it."""
    torch.manual_seed(0)
    module = VAE(4, 2, hidden_layer_sizes=(8,)).double().eval()
    x = torch.randn(6, 4, dtype=torch.float64)
    eps = torch.randn(9, 2, dtype=torch.float64)
    default = module.iwae_log_likelihood(x, eps)
    same = module.iwae_log_likelihood(x, eps, log_prior=standard_normal_log_prob)
    shifted = module.iwae_log_likelihood(x, eps, log_prior=lambda z: standard_normal_log_prob(z) - 1.5)
    torch.testing.assert_close(default, same, rtol=0, atol=0)
    torch.testing.assert_close(shifted, default - 1.5)
