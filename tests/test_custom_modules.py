"""Every estimator with a user's encoder and decoder (``encoder=``, ``decoder=``, ``input_shape=``).

One file for the four estimators, as the parameters are the same on each; what
only one estimator has (the VAE's sampling, the detector's parts) is tested
here too, with a user's module. The networks are in ``tests/nn/custom_modules.py``,
importable, so that fitted models can be saved.
"""

import pickle
import signal
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from torch import nn

from skgen import AEOutlierDetector, AutoencoderTransformer, DenoisingAutoencoder, VAETransformer
from skgen.nn import CustomBlock, ModuleSpec
from skgen.utils import trusted_types

from .nn.custom_modules import (
    Broken,
    ConvDecoder,
    ConvEncoder,
    DropoutEncoder,
    TupleEncoder,
    conv_code,
    linear_decoder,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [AutoencoderTransformer, VAETransformer, AEOutlierDetector, DenoisingAutoencoder]
FAST = {"max_iter": 3, "random_state": 0, "device": "cpu", "hidden_layer_sizes": (16,)}


@pytest.fixture(scope="module")
def digits():
    return load_digits().data[:240]


def conv(cls, **params):
    """``cls`` with the conv encoder and decoder on 8x8 images."""
    if cls is DenoisingAutoencoder:  # no n_components: the encoder's code width is its own
        encoder = ModuleSpec(conv_code, channels=2)
    else:
        params.setdefault("n_components", 4)
        encoder = ModuleSpec(ConvEncoder, channels=2)
    if cls is VAETransformer:  # one Gaussian head per pixel: the decoder returns an image
        params.setdefault("column_types", "continuous")
    return cls(encoder=encoder, decoder=ConvDecoder, input_shape=(1, 8, 8),
               **{**FAST, **params})


def outputs(est, X):
    """What the estimator computes of X, for comparisons."""
    if isinstance(est, AEOutlierDetector):
        return est.score_samples(X)
    return est.transform(X)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_conv_modules_fit_and_infer(cls, digits):
    est = conv(cls).fit(digits)
    blocks = [m for m in est.module_.modules() if isinstance(m, CustomBlock)]
    assert blocks and all(isinstance(b.net, (ConvEncoder, ConvDecoder)) for b in blocks)
    out = outputs(est, digits)
    assert out.shape[0] == len(digits) and np.isfinite(out).all()
    assert est.score_samples(digits).shape == (len(digits),)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_same_random_state_same_outputs_and_global_generator_untouched(cls, digits):
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    a = outputs(conv(cls).fit(digits), digits)
    assert torch.equal(torch.random.get_rng_state(), state)
    b = outputs(conv(cls).fit(digits), digits)
    np.testing.assert_array_equal(a, b)
    c = outputs(conv(cls, random_state=1).fit(digits), digits)
    assert not np.array_equal(a, c)


def test_dropout_draws_are_seeded(digits):
    def fit():
        return AutoencoderTransformer(
            n_components=3, encoder=ModuleSpec(DropoutEncoder, p=0.5), **FAST).fit(digits)

    a, b = fit(), fit()
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.transform(digits), b.transform(digits))


def test_nested_parameters_set_params_clone_and_grid_search(digits):
    est = conv(AutoencoderTransformer)
    params = est.get_params()
    assert params["encoder__channels"] == 2 and params["encoder__factory"] is ConvEncoder
    est.set_params(encoder__channels=3)
    assert est.encoder.params == {"channels": 3}
    copy = clone(est)
    assert copy.encoder == est.encoder and copy.encoder is not est.encoder
    copy.set_params(encoder__channels=5)
    assert est.encoder.params == {"channels": 3}
    with pytest.raises(ValueError, match="'chanels' is not a parameter of ConvEncoder; its "
                                         "parameters are 'channels'"):
        est.set_params(encoder__chanels=4)
    search = GridSearchCV(est, {"encoder__channels": [1, 2]}, cv=2).fit(digits)
    assert search.best_params_["encoder__channels"] in (1, 2)
    assert search.best_estimator_.module_.encoder.net.conv.out_channels == \
        search.best_params_["encoder__channels"]


def test_pipeline_routes_nested_parameters(digits):
    pipe = make_pipeline(FunctionTransformer(), conv(AutoencoderTransformer))
    pipe.set_params(autoencodertransformer__encoder__channels=3)
    pipe.fit(digits)
    assert pipe[-1].module_.encoder.net.conv.out_channels == 3


def test_instance_is_a_template_never_trained(digits):
    template = ConvEncoder(4, channels=2)
    before = {k: v.clone() for k, v in template.state_dict().items()}
    est = AutoencoderTransformer(n_components=4, encoder=template, input_shape=(1, 8, 8),
                                 **FAST).fit(digits)
    fitted = est.module_.encoder.net
    assert fitted is not template
    for name, value in template.state_dict().items():
        assert torch.equal(value, before[name])
        assert not torch.equal(fitted.state_dict()[name], value)
    again = clone(est).fit(digits)  # its own copy, re-initialised from the same seed
    np.testing.assert_array_equal(again.transform(digits), est.transform(digits))


def test_function_factory_and_mixed_sides(digits):
    est = AutoencoderTransformer(n_components=3, decoder=linear_decoder, **FAST).fit(digits)
    assert isinstance(est.module_.decoder.net, nn.Linear)
    assert est.inverse_transform(est.transform(digits)).shape == digits.shape


def test_default_mlp_keeps_pca_start_and_custom_does_not(digits):
    mlp = AutoencoderTransformer(n_components=3, max_iter=1, random_state=0).fit(digits)
    custom = AutoencoderTransformer(n_components=3, max_iter=1, random_state=0,
                                    decoder=linear_decoder).fit(digits)
    # PCA's start already reconstructs well; a random start does not
    assert mlp.loss_curve_[0] < custom.loss_curve_[0]


@pytest.mark.parametrize("cls", ESTIMATORS[:3], ids=lambda c: c.__name__)
def test_wrong_output_shape_is_a_value_error_and_changes_nothing(cls, digits):
    est = cls(encoder=Broken, **FAST)
    with pytest.raises(ValueError, match=r"The encoder Broken returned shape \(2, \d+\) "
                                         r"for input of shape \(2, 64\); expected \(2, \d+\)"):
        est.fit(digits)
    assert not hasattr(est, "module_")


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_input_shape_not_the_columns(cls, digits):
    est = cls(encoder=ConvEncoder, input_shape=(1, 8, 7), **FAST)
    with pytest.raises(ValueError, match=r"input_shape=\(1, 8, 7\) holds 56 values per row, "
                                         r"but the module reads 64 columns"):
        est.fit(digits)


def test_inference_batches_budget_the_feature_maps(digits):
    from sklearn import config_context

    est = AutoencoderTransformer(n_components=2, encoder=ModuleSpec(ConvEncoder, channels=64),
                                 input_shape=(1, 8, 8), **FAST).fit(digits)
    with config_context(working_memory=1):  # MiB
        rows = est._inference_rows(est.module_, 64, 4)
        # each row's 64 feature maps of 8x8 alone take 16 KiB, twice over in the budget
        assert rows <= 2**20 // (2 * 4 * 64 * 64)
        Z = est.transform(digits)  # in batches of that many rows
    np.testing.assert_allclose(Z, est.transform(digits), rtol=1e-5, atol=1e-5)


def test_bad_encoder_value_is_rejected(digits):
    with pytest.raises(ValueError, match="'encoder' parameter"):
        AutoencoderTransformer(encoder=3).fit(digits)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_partial_fit_and_warm_start(cls, digits):
    est = conv(cls).partial_fit(digits).partial_fit(digits)
    assert est.n_iter_ == 2
    est.set_params(warm_start=True, max_iter=2).fit(digits)
    assert est.n_iter_ == 4
    est.set_params(encoder__channels=3)
    with pytest.raises(ValueError, match="encoder was ModuleSpec\\((conv_code|ConvEncoder), "
                                         "channels=2\\) and is now"):
        est.partial_fit(digits)
    assert est.n_iter_ == 4


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_pickle_round_trip_stores_the_class_by_reference(cls, digits):
    est = conv(cls).fit(digits)
    blob = pickle.dumps(est)
    assert b"tests.nn.custom_modules" in blob and b"ConvDecoder" in blob
    loaded = pickle.loads(blob)
    np.testing.assert_array_equal(outputs(loaded, digits), outputs(est, digits))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_skops_round_trip_trusting_the_users_classes(cls, digits):
    sio = pytest.importorskip("skops.io")
    est = conv(cls).fit(digits)
    blob = sio.dumps(est)
    mine = {"tests.nn.custom_modules.ConvEncoder", "tests.nn.custom_modules.ConvDecoder",
            "tests.nn.custom_modules.conv_code"}
    untrusted = set(sio.get_untrusted_types(data=blob))
    assert untrusted - set(trusted_types()) <= mine
    loaded = sio.loads(blob, trusted=trusted_types() + sorted(mine))
    np.testing.assert_array_equal(outputs(loaded, digits), outputs(est, digits))


def test_local_class_gets_a_clear_error_when_saved(digits):
    class Local(nn.Module):
        def __init__(self, n_features, n_outputs):
            super().__init__()
            self.linear = nn.Linear(n_features, n_outputs)

        def forward(self, x):
            return self.linear(x)

    est = AutoencoderTransformer(n_components=2, encoder=Local, **FAST).fit(digits)
    assert est.transform(digits).shape == (len(digits), 2)  # fitting and inference work
    with pytest.raises(pickle.PicklingError, match="Local .* defined inside a function"):
        pickle.dumps(est)


def test_detector_parts_threshold_and_contributions(digits):
    det = conv(AEOutlierDetector, n_estimators=2, experts="all").fit(digits)
    members = det.module_.members
    assert not torch.equal(members[0].encoder.net.conv.weight, members[1].encoder.net.conv.weight)
    parts = det.score_parts(digits[:20])
    assert parts.shape == (20, 5) and np.isfinite(parts).all()
    assert set(np.unique(det.predict(digits))) <= {-1, 1}
    contributions = det.feature_contributions(digits[:5])
    assert contributions.shape == (5, 64) and np.isfinite(contributions).all()


@pytest.mark.parametrize("prior", ["normal", "mixture"])
def test_vae_sample_prior_and_tuple_encoder(prior, digits):
    vae = VAETransformer(n_components=3, encoder=TupleEncoder, decoder=linear_decoder,
                         prior=prior, **FAST).fit(digits)
    assert vae.sample(7, random_state=0).shape == (7, 64)
    np.testing.assert_array_equal(vae.sample(7, random_state=0), vae.sample(7, random_state=0))
    scores = vae.score_samples(digits[:10])
    assert scores.shape == (10,) and np.isfinite(scores).all()
    assert vae.transform(digits).shape == (len(digits), 3)


def test_denoising_fills_missing_entries_with_a_custom_network(digits):
    X = digits.copy()
    X[np.random.RandomState(0).rand(*X.shape) < 0.2] = np.nan
    dae = conv(DenoisingAutoencoder).fit(X)
    filled = dae.transform(X)
    assert filled.shape == X.shape and not np.isnan(filled).any()


def test_convergence_warning_still_raised(digits):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        conv(AutoencoderTransformer, early_stopping=False).fit(digits)
    assert any(issubclass(w.category, ConvergenceWarning) for w in caught)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="SIGALRM timers are POSIX-only")
def test_interrupt_finishes_the_fit_and_puts_the_global_generator_back(digits):
    """Ctrl-C during training finishes the fit with the weights reached, and the seeded
    global generator a dropout module trains with is put back."""
    est = AutoencoderTransformer(n_components=3, encoder=DropoutEncoder, max_iter=100_000,
                                 tol=0.0, n_iter_no_change=100_000, random_state=0,
                                 device="cpu")
    est.set_params(max_iter=1).fit(digits).set_params(max_iter=100_000)  # torch's lazy imports

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    torch.manual_seed(5)
    state = torch.random.get_rng_state()
    try:
        for _ in range(3):  # an interrupt before training (a loaded machine) undoes the call
            signal.setitimer(signal.ITIMER_REAL, 1.0)
            try:
                with pytest.warns(UserWarning, match="interrupted"):
                    est.fit(digits)
                break
            except KeyboardInterrupt:
                assert est.n_iter_ == 1  # undone: the fit before it
        else:
            pytest.fail("the interrupt never landed in training")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert 1 <= est.n_iter_ < 100_000 and np.isfinite(est.transform(digits)).all()


def test_conditional_vae_takes_a_users_encoder_but_refuses_a_users_decoder():
    # a conditional decoder reads the code and the label: a user's decoder is refused at
    # fit, naming the choice, and the estimator stays unfitted; a user's encoder works
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 4)), rng.integers(0, 2, size=120)
    vae = VAETransformer(conditional=True, decoder=linear_decoder, max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="cannot be conditional"):
        vae.fit(X, y)
    assert not hasattr(vae, "module_")
    vae = VAETransformer(conditional=True, encoder=ModuleSpec(DropoutEncoder, width=8),
                         max_iter=2, random_state=0).fit(X, y)
    assert vae.sample(5, y=1, random_state=0).shape == (5, 4)
