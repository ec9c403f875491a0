"""The torch modules, without scikit-learn."""

import pytest
import torch

from skgen.nn import MLPAutoencoder, Residual, init_pca, make_mlp


def test_make_mlp_shapes_and_activations():
    mlp = make_mlp((5, 8, 3), "tanh")
    assert [type(m).__name__ for m in mlp] == ["Linear", "Tanh", "Linear"]
    assert mlp(torch.zeros(2, 5)).shape == (2, 3)


@pytest.mark.parametrize("residual", [False, True])
def test_autoencoder_mirrors_the_encoder(residual):
    ae = MLPAutoencoder(10, 2, (16, 8), residual=residual)
    assert ae.encoder(torch.zeros(4, 10)).shape == (4, 2)
    assert ae(torch.zeros(4, 10)).shape == (4, 10)
    assert isinstance(ae.encoder, Residual) == residual


def test_init_pca_reproduces_pca_reconstruction():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(200, 3, generator=g) @ torch.randn(3, 6, generator=g) + 0.01 * torch.randn(200, 6, generator=g)
    ae = MLPAutoencoder(6, 3, (16,), residual=True)
    init_pca(ae.encoder, ae.decoder, X)
    with torch.no_grad():
        recon = ae(X)
    Xc = X.double() - X.double().mean(0)
    _, _, vh = torch.linalg.svd(Xc, full_matrices=False)
    expected = Xc @ vh[:3].T @ vh[:3] + X.double().mean(0)
    assert torch.allclose(recon.double(), expected, atol=1e-4)


def test_init_pca_with_more_components_than_rank():
    X = torch.randn(5, 3)
    ae = MLPAutoencoder(3, 4, (8,), residual=True)
    init_pca(ae.encoder, ae.decoder, X)
    assert torch.isfinite(ae(X)).all()
