"""ModuleSpec and the wrapping and checking of user encoders and decoders, without scikit-learn."""

import pickle

import pytest
import torch
from torch import nn

from skgen.nn import VAE, CustomBlock, DenoisingMLP, MLPAutoencoder, ModuleSpec
from skgen.nn._custom import (
    activation_values,
    as_spec,
    check_custom_blocks,
    check_saveable,
    from_template,
    has_custom_blocks,
)

from .custom_modules import Broken, ConvDecoder, ConvEncoder, TupleEncoder, linear_decoder


def test_module_spec_params_like_a_kernel():
    spec = ModuleSpec(ConvEncoder, channels=8)
    assert spec.get_params() == {"factory": ConvEncoder, "channels": 8}
    assert spec.set_params(channels=16) is spec
    assert spec.params == {"channels": 16}
    assert repr(spec) == "ModuleSpec(ConvEncoder, channels=16)"
    assert spec == ModuleSpec(ConvEncoder, channels=16)
    assert spec != ModuleSpec(ConvEncoder, channels=8)
    assert spec.copy() == spec and spec.copy().params is not spec.params


def test_misspelled_parameter_names_the_factory_parameters():
    with pytest.raises(ValueError, match=r"'chanels' is not a parameter of ConvEncoder; its "
                                         r"parameters are 'channels'"):
        ModuleSpec(ConvEncoder, chanels=8)
    spec = ModuleSpec(ConvEncoder, channels=8)
    with pytest.raises(ValueError, match="'chanels' is not a parameter of ConvEncoder"):
        spec.set_params(chanels=16)
    assert spec.params == {"channels": 8}  # unchanged by the failed call


def test_sizes_are_the_estimators_to_pass():
    with pytest.raises(ValueError, match="'n_outputs' is not a parameter to set"):
        ModuleSpec(ConvEncoder, n_outputs=3)


def test_build_passes_only_the_sizes_the_signature_names():
    seen = {}

    def factory(n_components, width=4):
        seen.update(n_components=n_components, width=width)
        return nn.Linear(n_components, width)

    ModuleSpec(factory, width=5).build(n_features=64, n_components=3, n_outputs=64,
                                       input_shape=(1, 8, 8))
    assert seen == {"n_components": 3, "width": 5}


def test_build_refuses_what_is_not_a_module():
    with pytest.raises(ValueError, match="returned int, not a torch.nn.Module"):
        ModuleSpec(lambda: 3).build()


def test_template_is_copied_and_reinitialised():
    template = nn.Linear(4, 2)
    before = template.weight.detach().clone()
    copy = from_template(template)
    assert torch.equal(template.weight, before)
    assert not torch.equal(copy.weight, before)


def test_a_template_planned_on_the_meta_device_copies_no_weights():
    template = nn.Sequential(nn.Linear(300, 200), nn.BatchNorm1d(200))
    before = template[0].weight.detach().clone()
    with torch.device("meta"):
        plan = from_template(template)
    assert all(t.is_meta for t in (*plan.parameters(), *plan.buffers()))
    assert [t.shape for t in plan.state_dict().values()] == [
        t.shape for t in template.state_dict().values()]
    assert not template[0].weight.is_meta and torch.equal(template[0].weight, before)


@pytest.mark.parametrize("value", [ConvEncoder, linear_decoder, nn.Linear(3, 2),
                                   ModuleSpec(ConvEncoder, channels=2)])
def test_as_spec_accepts_every_form(value):
    spec = as_spec(value)
    if isinstance(value, ModuleSpec):  # a copy, so that set_params leaves a fit alone
        assert spec == value and spec is not value
    elif isinstance(value, nn.Module):  # a spec holding a copy of the template
        template = spec.params["template"]
        assert spec.factory is from_template and template is not value
        assert torch.equal(template.weight, value.weight)
    else:  # a class or function, without parameters
        assert spec.factory is value and spec.params == {}


def test_as_spec_refuses_other_values():
    with pytest.raises(ValueError, match="encoder must be None, an nn.Module subclass"):
        as_spec(3, "encoder")


def test_autoencoder_with_conv_encoder_and_decoder_reads_flat_rows():
    ae = MLPAutoencoder(64, 3, (16,), residual=True, encoder=ModuleSpec(ConvEncoder),
                        decoder=ConvDecoder, input_shape=(1, 8, 8))
    assert isinstance(ae.encoder, CustomBlock) and isinstance(ae.decoder, CustomBlock)
    x = torch.randn(5, 64)
    assert ae.encoder(x).shape == (5, 3)
    assert ae(x).shape == (5, 64)
    assert has_custom_blocks(ae)
    check_custom_blocks(ae)
    assert not has_custom_blocks(MLPAutoencoder(64, 3, (16,)))


def test_one_side_custom_keeps_the_mlp_on_the_other():
    ae = MLPAutoencoder(10, 2, (8,), residual=True, decoder=linear_decoder)
    assert not isinstance(ae.encoder, CustomBlock) and isinstance(ae.decoder, CustomBlock)
    assert ae(torch.zeros(3, 10)).shape == (3, 10)


def test_vae_encoder_tuple_is_means_then_log_variances():
    vae = VAE(6, 2, (8,), encoder=TupleEncoder)
    check_custom_blocks(vae)
    x = torch.randn(4, 6)
    mu, log_var = vae.encode(x)
    net = vae.encoder.net
    assert torch.allclose(mu, net.mean(x))
    assert torch.allclose(log_var, net.log_var(x).clamp(-16, 8))


def test_denoising_encoder_chooses_the_code_width():
    def encoder(n_features):
        return nn.Linear(n_features, 7)

    dae = DenoisingMLP(5, (8,), encoder=encoder)
    x = torch.tensor([[0.5, float("nan"), 1.0, -1.0, 0.0]])
    out = dae(x)
    assert out.shape == (1, 5) and not torch.isnan(out).any()
    assert dae.mlp.decoder[0].in_features == 7
    with pytest.raises(ValueError, match="custom decoder needs a custom encoder"):
        DenoisingMLP(5, (8,), decoder=linear_decoder)


@pytest.mark.parametrize("shape", [(1, 8, 7), (0, 64), (2.5,), "64"])
def test_input_shape_must_hold_the_columns(shape):
    with pytest.raises(ValueError, match="input_shape"):
        MLPAutoencoder(64, 3, encoder=ConvEncoder, input_shape=shape)


@pytest.mark.parametrize("how, message", [
    ("width", r"The encoder Broken returned shape \(2, 4\) for input of shape \(2, 6\); "
              r"expected \(2, 3\) \(n_components=3\)"),
    ("dtype", "returned torch.float64"),
    ("nan", "non-finite"),
])
def test_check_names_what_is_wrong(how, message):
    ae = MLPAutoencoder(6, 3, encoder=ModuleSpec(Broken, how=how))
    with pytest.raises(ValueError, match=message):
        check_custom_blocks(ae)


def test_a_module_that_returns_no_tensor_is_a_value_error_when_built():
    # the probe that sizes the block reads the output first: its message, not an
    # AttributeError from reshaping a dict
    with pytest.raises(ValueError, match="The encoder Broken returned dict; it must return a "
                                         "tensor"):
        MLPAutoencoder(6, 3, encoder=ModuleSpec(Broken, how="dict"))


def test_a_module_that_fails_on_a_row_is_a_value_error_when_built():
    with pytest.raises(ValueError, match=r"The encoder ConvEncoder failed on a batch of "
                                         r"shape \(1, 64\): RuntimeError"):
        MLPAutoencoder(64, 3, encoder=ConvEncoder)  # no input_shape: conv gets 2-D rows


def test_feature_maps_count_in_the_values_a_row_holds():
    ae = MLPAutoencoder(64, 3, encoder=ModuleSpec(ConvEncoder, channels=16),
                        input_shape=(1, 8, 8))
    # the conv's 16 maps of 8x8 and the code, far more than its weights' widths
    assert activation_values(ae) == 16 * 64 + 3
    assert activation_values(MLPAutoencoder(64, 3, (16,))) == 0


def test_check_keeps_training_mode_and_batchnorm_statistics():
    def encoder(n_features, n_outputs):
        return nn.Sequential(nn.Linear(n_features, n_outputs), nn.BatchNorm1d(n_outputs))

    ae = MLPAutoencoder(6, 3, encoder=encoder).train()
    norm = ae.encoder.net[1]
    check_custom_blocks(ae)
    assert ae.training and int(norm.num_batches_tracked) == 0


def test_saving_needs_an_import_path():
    class Local(nn.Module):
        pass

    for value in (Local, lambda n_features: nn.Linear(n_features, 2), ModuleSpec(Local)):
        with pytest.raises(pickle.PicklingError, match="defined inside a function"):
            check_saveable(value, "encoder")
    for value in (ConvEncoder, ModuleSpec(ConvEncoder, channels=2), linear_decoder,
                  nn.Linear(2, 2), None):
        check_saveable(value, "encoder")
