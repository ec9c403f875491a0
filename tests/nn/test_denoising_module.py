"""The denoising module on its own: NaN as missing, the corruptions, the masked loss."""

import pytest
import torch

from skgen.nn import DenoisingMLP
from skgen.nn._denoising import NOISES, ColumnwiseLinear, corrupt, masked_mse

NAN = float("nan")


def _generator(seed):
    return torch.Generator().manual_seed(seed)


def _data(n=2000, p=5, seed=0):
    """Standardized-like rows with a few entries missing (NaN)."""
    x = torch.randn(n, p, generator=_generator(seed))
    x[::7, 1] = NAN
    return x


# ------------------------------------------------------------------- DenoisingMLP


@pytest.mark.parametrize("residual", [True, False])
def test_module_returns_every_entry_and_no_nan(residual):
    net = DenoisingMLP(5, hidden_layer_sizes=(8, 4), residual=residual)
    x = _data(n=30)
    out = net(x)
    assert out.shape == (30, 5)
    assert torch.isfinite(out).all()
    # the missing entries reach neither the output nor the gradient as NaN
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in net.parameters())


def test_missing_entry_is_neither_its_value_nor_an_observed_zero():
    net = DenoisingMLP(5, hidden_layer_sizes=(8,))
    with torch.no_grad():
        net.linear.weight.normal_()  # the linear path too, not only the MLP's
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(1))
    x_nan = x.clone()
    x_nan[:, 2] = NAN
    missing = net(x_nan)
    assert torch.isfinite(missing).all()
    assert not torch.allclose(missing, net(x))  # missing is not the value it hides
    x_zero = x.clone()
    x_zero[:, 2] = 0.0
    assert not torch.allclose(missing, net(x_zero))  # the mask tells it from a zero


def test_residual_path_starts_at_zero_and_only_with_residual():
    net = DenoisingMLP(4, hidden_layer_sizes=(8,))
    assert torch.count_nonzero(net.linear.weight) == 0 and torch.count_nonzero(net.linear.bias) == 0
    x = _data(n=10, p=4)
    h = torch.cat([torch.nan_to_num(x, nan=0.0), (~torch.isnan(x)).float()], dim=1)
    torch.testing.assert_close(net(x), net.mlp(h))  # so the output is the MLP's at first
    assert DenoisingMLP(4, hidden_layer_sizes=(8,), residual=False).linear is None


# ----------------------------------------------------------------------- corrupt


@pytest.mark.parametrize("noise", NOISES)
def test_corruption_is_drawn_from_the_given_generator_only(noise):
    x = _data()
    global_state = torch.random.get_rng_state()
    first = corrupt(x, noise, 0.3, _generator(1))
    again = corrupt(x, noise, 0.3, _generator(1))
    other = corrupt(x, noise, 0.3, _generator(2))
    torch.testing.assert_close(first, again, equal_nan=True)  # same seed, same corruption
    assert not torch.allclose(first, other, equal_nan=True)
    assert torch.equal(torch.random.get_rng_state(), global_state)  # global generator untouched
    assert first.shape == x.shape and first is not x


@pytest.mark.parametrize("noise", NOISES)
def test_level_zero_is_an_unchanged_copy(noise):
    x = _data(n=20)
    out = corrupt(x, noise, 0.0, _generator(0))
    torch.testing.assert_close(out, x, equal_nan=True)
    out[0, 0] = 99.0
    assert x[0, 0] != 99.0


def test_gaussian_noise_has_standard_deviation_level_and_keeps_nan():
    x = _data(n=20_000)
    out = corrupt(x, "gaussian", 0.5, _generator(0))
    observed = ~torch.isnan(x)
    assert torch.equal(torch.isnan(out), ~observed)
    noise = (out - x)[observed]
    assert abs(float(noise.mean())) < 0.01
    assert float(noise.std()) == pytest.approx(0.5, abs=0.01)


def test_mask_noise_hides_a_fraction_level_and_leaves_the_rest():
    x = _data(n=20_000)
    out = corrupt(x, "mask", 0.3, _generator(0))
    observed = ~torch.isnan(x)
    assert torch.isnan(out[~observed]).all()  # missing stays missing
    hidden = torch.isnan(out) & observed
    assert float(hidden.sum() / observed.sum()) == pytest.approx(0.3, abs=0.01)
    kept = observed & ~hidden
    assert torch.equal(out[kept], x[kept])


def test_swap_noise_takes_values_from_the_same_column_and_keeps_its_marginal():
    x = torch.rand(500, 8, generator=_generator(1)) + 10 * torch.arange(8.0)  # unique values
    out = corrupt(x, "swap", 0.5, _generator(0))
    for j in range(8):
        assert set(out[:, j].tolist()) <= set(x[:, j].tolist())  # from the same column
        # drawn from rows at random, so the column's distribution is kept (not just its support)
        q = torch.linspace(0.05, 0.95, 10)
        torch.testing.assert_close(torch.quantile(out[:, j], q), torch.quantile(x[:, j], q),
                                   atol=0.08, rtol=0)
    # a fraction level is swapped, less the entries that drew their own row (4000 draws)
    assert float((out != x).float().mean()) == pytest.approx(0.5 * (1 - 1 / 500), abs=0.015)


def test_unknown_noise_is_named():
    with pytest.raises(ValueError, match="noise must be one of.*'salt'"):
        corrupt(torch.zeros(2, 2), "salt", 0.1, _generator(0))


# -------------------------------------------------------------------- masked_mse


def test_masked_mse_counts_observed_entries_only():
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    target = torch.tensor([[0.0, NAN], [3.0, 10.0]])
    observed = ~torch.isnan(target)
    loss = masked_mse(pred, target, observed)
    assert float(loss.detach()) == pytest.approx((1.0 + 0.0 + 36.0) / 3)
    loss.backward()
    assert pred.grad[0, 1] == 0  # the unobserved entry gets no gradient
    assert torch.isfinite(pred.grad).all()


def test_masked_mse_ignores_the_values_under_the_mask():
    pred = torch.randn(20, 5, generator=_generator(1), requires_grad=True)
    target = torch.randn(20, 5, generator=_generator(2))
    observed = torch.rand(20, 5, generator=_generator(3)) > 0.4
    losses, grads = [], []
    for hidden_value in (NAN, 0.0, 1e6):
        loss = masked_mse(pred, torch.where(observed, target, torch.tensor(hidden_value)),
                          observed)
        (grad,) = torch.autograd.grad(loss, pred)
        losses.append(float(loss.detach()))
        grads.append(grad)
    assert all(torch.isfinite(torch.tensor(losses))) and losses[0] == losses[1] == losses[2]
    assert torch.equal(grads[0], grads[1]) and torch.equal(grads[0], grads[2])
    assert torch.all(grads[0][~observed] == 0) and torch.all(grads[0][observed] != 0)


def test_masked_mse_is_zero_when_nothing_is_observed():
    pred = torch.ones(2, 3)
    target = torch.full((2, 3), NAN)
    assert float(masked_mse(pred, target, ~torch.isnan(target))) == 0.0


def _n_parameters(module):
    return sum(p.numel() for p in module.parameters())


def test_parameters_grow_linearly_with_the_columns():
    """The linear path reads each column for its own output: doubling the columns doubles
    the parameters (a dense path would quadruple them)."""
    small, large = (_n_parameters(DenoisingMLP(d, hidden_layer_sizes=(32,))) for d in (500, 1000))
    assert large == pytest.approx(2 * small, rel=1e-3)


def test_columnwise_path_is_the_diagonals_of_a_dense_linear_map():
    columnwise = ColumnwiseLinear(4)
    dense = torch.nn.Linear(8, 4)
    with torch.no_grad():
        columnwise.weight.copy_(torch.randn(2, 4, generator=_generator(1)))
        columnwise.bias.copy_(torch.randn(4, generator=_generator(2)))
        eye = torch.eye(4)
        dense.weight.copy_(torch.cat([eye * columnwise.weight[0], eye * columnwise.weight[1]],
                                     dim=1))
        dense.bias.copy_(columnwise.bias)
    h = torch.randn(20, 8, generator=_generator(3))
    torch.testing.assert_close(columnwise(h), dense(h))
