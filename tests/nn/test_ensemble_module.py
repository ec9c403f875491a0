"""The autoencoder ensemble module on its own: shapes, distinct members, errors, PCA start."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from skgen.nn import AutoencoderEnsemble


def _ensemble(seed=0, **params):
    """An ensemble built under a local seed; the global generator is restored afterwards."""
    params = {"n_features": 6, "n_components": 2, "hidden_layer_sizes": (8,), "n_estimators": 3,
              **params}
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return AutoencoderEnsemble(**params)


def _rows(n=50, p=6, seed=0):
    return torch.randn(n, p, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("hidden", [(), (8,), (8, 4)])
def test_shapes(hidden):
    ens = _ensemble(hidden_layer_sizes=hidden)
    x = _rows()
    assert len(ens.members) == 3
    assert ens(x).shape == (3, 50, 6)
    assert ens.codes(x).shape == (3, 50, 2)
    assert ens.squared_errors(x).shape == (3, 50, 6)


def test_members_differ_and_the_seed_reproduces_them():
    x = _rows()
    with torch.no_grad():
        out = _ensemble(seed=0)(x)
        again = _ensemble(seed=0)(x)
        other = _ensemble(seed=1)(x)
    for i in range(3):
        for j in range(i):
            assert not torch.allclose(out[i], out[j])  # each member its own initialisation
    torch.testing.assert_close(out, again)
    assert not torch.allclose(out, other)


def test_squared_errors_are_those_of_each_members_reconstruction():
    ens = _ensemble()
    x = _rows()
    with torch.no_grad():
        expected = torch.stack([(member(x) - x) ** 2 for member in ens.members])
        torch.testing.assert_close(ens.squared_errors(x), expected)


@pytest.mark.parametrize("hidden", [(), (8,)])
def test_codes_and_squared_errors_equal_the_two_methods(hidden):
    ens = _ensemble(hidden_layer_sizes=hidden)
    x = _rows()
    with torch.no_grad():
        codes, errors = ens.codes_and_squared_errors(x)
        torch.testing.assert_close(codes, ens.codes(x))
        torch.testing.assert_close(errors, ens.squared_errors(x))


def test_errors_and_codes_average_the_errors_and_put_the_leading_codes_side_by_side():
    ens = _ensemble(n_components=3)
    x = _rows()
    with torch.no_grad():
        errors, codes = ens.errors_and_codes(x, n_units=2)
        torch.testing.assert_close(errors, ens.squared_errors(x).mean(dim=0))
        members = ens.codes(x)
        torch.testing.assert_close(codes, torch.cat([members[i, :, :2] for i in range(3)],
                                                    dim=1))


def test_init_pca_starts_every_member_at_the_pca_reconstruction():
    g = torch.Generator().manual_seed(0)
    X = (torch.randn(300, 2, generator=g) @ torch.randn(2, 6, generator=g)
         + 0.05 * torch.randn(300, 6, generator=g))
    ens = _ensemble()
    ens.init_pca(X)
    pca = PCA(n_components=2).fit(X.double().numpy())
    expected = pca.inverse_transform(pca.transform(X.double().numpy()))
    with torch.no_grad():
        for reconstruction in ens(X):
            np.testing.assert_allclose(reconstruction.double().numpy(), expected, atol=1e-4)


def test_init_pca_leaves_members_without_a_residual_path_alone():
    for params in ({"hidden_layer_sizes": ()}, {"residual": False}):
        ens = _ensemble(**params)
        before = {k: v.clone() for k, v in ens.state_dict().items()}
        ens.init_pca(_rows())
        after = ens.state_dict()
        assert all(torch.equal(before[k], after[k]) for k in before), params
