"""Saving and loading: ``skops.io`` without unpickling code, and the skgen version in pickles.

The skops tests skip without the ``skgen[persist]`` extra (skops is in the
``tests`` extra too).
"""

import io
import json
import pickle
import time
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

import skgen
from skgen._engine import make_optimizer
from skgen._utils import state_to_numpy
from skgen.exceptions import InconsistentVersionWarning
from skgen.utils import trusted_types

from .conftest import ESTIMATORS, make_fast, method_outputs

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

per_estimator = pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)

SKOPS_REASON = "needs the skgen[persist] extra: pip install 'skgen[persist]'"


def _frame(n_samples=200, seed=0):
    rng = np.random.RandomState(seed)
    X = np.tanh(rng.normal(size=(n_samples, 2)) @ rng.normal(size=(2, 5)))
    return pd.DataFrame(X + 0.1 * rng.normal(size=X.shape), columns=list("abcde"))


def _outputs(est, X):
    out = method_outputs(est, X)
    if hasattr(est, "sample"):
        out["sample"] = est.sample(5, random_state=0)
    return out


def _assert_same_outputs(a, b, X):
    out_a, out_b = _outputs(a, X), _outputs(b, X)
    assert out_a.keys() == out_b.keys()
    for name in out_a:
        assert_array_equal(out_a[name], out_b[name], err_msg=name)


def test_trusted_types_are_the_estimator_classes():
    assert trusted_types() == sorted(
        f"{cls.__module__}.{cls.__name__}" for cls in ESTIMATORS)


@per_estimator
def test_skops_round_trip_trusting_only_the_estimator(cls, tmp_path):
    sio = pytest.importorskip("skops.io", reason=SKOPS_REASON)
    X = _frame()
    est = make_fast(cls, random_state=0).fit(X)
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == [f"{cls.__module__}.{cls.__name__}"]
    assert set(untrusted) <= set(trusted_types())
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    loaded = sio.load(path, trusted=trusted_types())
    assert type(loaded) is cls
    assert_array_equal(loaded.feature_names_in_, est.feature_names_in_)
    for (k, va), vb in zip(est.module_.state_dict().items(),
                           loaded.module_.state_dict().values()):
        assert torch.equal(va, vb), k
    _assert_same_outputs(est, loaded, X)
    # the optimizer state, history and generator came along: training goes on identically
    est.partial_fit(X)
    loaded.partial_fit(X)
    assert loaded.n_iter_ == est.n_iter_ and loaded.loss_curve_ == est.loss_curve_
    _assert_same_outputs(est, loaded, X)


@per_estimator
def test_skops_round_trip_of_an_unfitted_estimator(cls):
    sio = pytest.importorskip("skops.io", reason=SKOPS_REASON)
    est = make_fast(cls, random_state=3)
    loaded = sio.loads(sio.dumps(est), trusted=trusted_types())
    assert loaded.get_params() == est.get_params()
    assert not hasattr(loaded, "module_")


def _forged_pickle(est, version=skgen.__version__, edit=None):
    """A pickle of ``est`` that says it was written by skgen ``version``.

    Built from the estimator's own ``__reduce_ex__``, with the version in its
    state replaced and ``edit(state)`` applied: what an older or newer skgen
    would have written. (Protocol 1's reduction names
    ``copyreg._reconstructor``, which another object may return; protocol 2's
    ``__newobj__`` must come from the class itself.)
    """
    reconstruct, args, state = est.__reduce_ex__(1)[:3]
    assert state["_skgen_version"] == skgen.__version__
    state = {**state, "_skgen_version": version}
    if edit is not None:
        edit(state)

    class Forged:
        def __reduce__(self):
            return reconstruct, args, state

    return pickle.dumps(Forged())


@per_estimator
def test_loading_a_pickle_from_another_version_warns(cls):
    X = _frame()
    est = make_fast(cls, random_state=0).fit(X)
    with pytest.warns(InconsistentVersionWarning, match=r"skgen 0\.0\.1 when using skgen") as rec:
        loaded = pickle.loads(_forged_pickle(est, "0.0.1"))
    warning = rec[0].message
    assert (warning.estimator_name, warning.original_skgen_version,
            warning.current_skgen_version) == (cls.__name__, "0.0.1", skgen.__version__)
    _assert_same_outputs(est, loaded, X)  # it loads all the same
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        pickle.loads(pickle.dumps(est))  # the same version is silent
        pickle.loads(_forged_pickle(make_fast(cls), skgen.__version__))


#: Saved attributes renamed since: the old name of each, as states saved before hold them.
OLD_NAMES = {"importance_draws_": "eps_", "_importance_seed": "_eps_seed"}


def _with_old_names(state):
    """``state`` as skgen wrote it before the renames: one ``_module_builder`` pair, ``eps_``."""
    state["_module_builder"] = (state.pop("_module_class"), state.pop("_module_kwargs"))
    for new, old in OLD_NAMES.items():
        if new in state:
            state[old] = state.pop(new)


@per_estimator
def test_a_model_saved_before_the_renames_loads(cls):
    X = _frame()
    est = make_fast(cls, random_state=0).fit(X)
    loaded = pickle.loads(_forged_pickle(est, edit=_with_old_names))
    assert not {"_module_builder", *OLD_NAMES.values()} & set(vars(loaded))
    assert loaded._module_class is est._module_class
    assert loaded._module_kwargs == est._module_kwargs
    if hasattr(est, "importance_draws_"):
        assert_array_equal(loaded.importance_draws_, est.importance_draws_)
    _assert_same_outputs(est, loaded, X)
    est.partial_fit(X)  # and it trains on the same way
    loaded.partial_fit(X)
    assert loaded.loss_curve_ == est.loss_curve_
    _assert_same_outputs(est, loaded, X)


def test_a_detector_saved_before_part_weights_scores_with_equal_weights():
    """Detectors saved before ``part_weights_`` existed averaged their score parts."""
    X = np.random.RandomState(0).normal(size=(40, 60))  # fewer rows than columns
    est = make_fast(skgen.AEOutlierDetector, random_state=0).fit(X)
    assert est.part_weights_[0] > est.part_weights_[1]  # the new weights differ from equal

    def drop_weights(state):
        del state["part_weights_"]

    loaded = pickle.loads(_forged_pickle(est, edit=drop_weights))
    assert_array_equal(loaded.part_weights_, np.full(3, 1 / 3))
    assert_allclose(loaded.score_samples(X), -est.score_parts(X).mean(axis=1), rtol=1e-6)


def test_a_skops_file_saved_before_the_renames_loads(monkeypatch):
    """skops saves what ``__getstate__`` returns: made to return the old names, it writes
    the file an older skgen wrote, which loads trusting the estimator class alone."""
    sio = pytest.importorskip("skops.io", reason=SKOPS_REASON)
    X = _frame()
    cls = skgen.VAETransformer  # the one estimator with renamed public attributes
    est = make_fast(cls, random_state=0).fit(X)
    current = cls.__getstate__

    def old_getstate(self):
        state = current(self)
        _with_old_names(state)
        return state

    monkeypatch.setattr(cls, "__getstate__", old_getstate)
    saved = sio.dumps(est)
    monkeypatch.undo()
    assert "eps_" in json.dumps(json.loads(zipfile.ZipFile(io.BytesIO(saved)).read("schema.json")))
    loaded = sio.loads(saved, trusted=trusted_types())
    assert not hasattr(loaded, "eps_") and not hasattr(loaded, "_module_builder")
    assert_array_equal(loaded.importance_draws_, est.importance_draws_)
    _assert_same_outputs(est, loaded, X)


def test_loading_a_skops_file_from_another_version_warns(tmp_path):
    """A skops file is a zip whose ``schema.json`` holds the saved state, version included."""
    sio = pytest.importorskip("skops.io", reason=SKOPS_REASON)
    X = _frame()
    est = make_fast(ESTIMATORS[0], random_state=0).fit(X)
    saved, forged = tmp_path / "saved.skops", tmp_path / "forged.skops"
    sio.dump(est, saved)
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(forged, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "schema.json":
                schema = json.loads(data)
                node = schema["content"]["content"]["_skgen_version"]
                assert json.loads(node["content"]) == skgen.__version__
                node["content"] = json.dumps("0.0.1")
                data = json.dumps(schema)
            dst.writestr(item, data)
    with pytest.warns(InconsistentVersionWarning, match=r"skgen 0\.0\.1"):
        loaded = sio.load(forged, trusted=trusted_types())
    _assert_same_outputs(est, loaded, X)


def _typed_frame():
    rng = np.random.RandomState(0)
    kind = rng.choice(["a", "b", "c"], size=200)
    return pd.DataFrame({
        "kind": kind, "size": np.where(kind == "a", 1.0, 3.0) + rng.normal(size=200),
        "grade": pd.Categorical(rng.choice(["lo", "hi"], size=200), categories=["lo", "hi"]),
        "count": rng.poisson(2, size=200), "flag": rng.uniform(size=200) > 0.5})


def _assert_same_typed_outputs(a, b, X):
    for name in ("transform", "score_samples"):
        assert_array_equal(getattr(a, name)(X), getattr(b, name)(X), err_msg=name)
    for pair in ((a.sample(20, random_state=0), b.sample(20, random_state=0)),
                 (a.inverse_transform(a.transform(X)), b.inverse_transform(b.transform(X)))):
        pd.testing.assert_frame_equal(*pair)


def test_typed_dataframe_model_round_trips(tmp_path):
    """String, category and bool columns: levels, dtypes and typed heads come back."""
    X = _typed_frame()
    est = make_fast(skgen.VAETransformer, random_state=0).fit(X)
    assert set(est.column_types_) == {"categorical", "continuous", "binary", "discrete"}
    loaded = pickle.loads(pickle.dumps(est))
    _assert_same_typed_outputs(est, loaded, X)
    sio = pytest.importorskip("skops.io", reason=SKOPS_REASON)
    path = tmp_path / "typed.skops"
    sio.dump(est, path)
    from_skops = sio.load(path, trusted=trusted_types())
    assert list(from_skops.column_types_) == list(est.column_types_)
    _assert_same_typed_outputs(est, from_skops, X)


def test_a_denoiser_saved_with_the_dense_linear_path_loads():
    """Denoisers saved before the per-column linear path have the dense one, a
    2 * n_features x n_features matrix, and no keep_observed_: they load with it and
    give the outputs it gives."""
    X = _frame()
    est = make_fast(skgen.DenoisingAutoencoder, random_state=0, keep_observed=True).fit(X)
    old = skgen.nn.DenoisingMLP(5, hidden_layer_sizes=(16,), residual="dense")
    old.mlp.load_state_dict(est.module_.mlp.state_dict())
    with torch.no_grad():
        old.linear.weight.copy_(0.1 * torch.randn(5, 10, generator=torch.Generator().manual_seed(0)))

    def as_saved_before(state):
        state["module_"] = {k: v.numpy() for k, v in old.state_dict().items()}
        state["optimizer_"] = state_to_numpy(make_optimizer(old, 1e-3, 1e-5).state_dict())
        del state["_module_kwargs"]["residual"], state["keep_observed_"]

    loaded = pickle.loads(_forged_pickle(est, edit=as_saved_before))
    assert loaded._module_kwargs["residual"] == "dense" and loaded.keep_observed_
    X_missing = X.mask(np.random.RandomState(1).rand(*X.shape) < 0.3)
    scaled = np.array((X_missing - est.mean_) / est.scale_, dtype=np.float32)
    with torch.no_grad():
        filled = old(torch.from_numpy(scaled)).double().numpy() * est.scale_ + est.mean_
    expected = np.where(np.isnan(X_missing), filled, X_missing)
    assert_allclose(loaded.transform(X_missing.astype(np.float32)), expected, rtol=1e-5,
                    atol=1e-6)
    loaded.partial_fit(X)  # and trains on


def _edit_skops_state(path, edited, edit):
    """Copy the skops file ``path`` to ``edited`` with ``edit(state)`` applied to the saved
    state's nodes (``schema.json`` in the zip)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(edited, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "schema.json":
                schema = json.loads(data)
                edit(schema["content"]["content"])
                data = json.dumps(schema)
            dst.writestr(item, data)


def test_a_skops_file_whose_sizes_do_not_match_its_weights_fails_fast(tmp_path):
    """``n_estimators`` raised to 20,000 in a saved detector: loading checks the sizes
    against the stored weights before any memory is taken, and says what is wrong. (It
    used to build 20,000 autoencoders, 23 s and 1.1 GB, before the weights failed to load.)"""
    sio = pytest.importorskip("skops.io", reason=SKOPS_REASON)
    X = _frame()
    est = make_fast(skgen.AEOutlierDetector, random_state=0, n_estimators=2).fit(X)
    saved, forged = tmp_path / "saved.skops", tmp_path / "forged.skops"
    sio.dump(est, saved)

    def more_members(state):
        node = state["_module_kwargs"]["content"]["n_estimators"]
        assert json.loads(node["content"]) == 2
        node["content"] = json.dumps(20_000)
        node["__id__"] += 1  # not the node of the parameter, which skops would reuse

    _edit_skops_state(saved, forged, more_members)
    rng_state = torch.random.get_rng_state()
    tic = time.perf_counter()
    with pytest.raises(ValueError, match=r"inconsistent: its module sizes \(.*n_estimators=20000"
                                         r".*\) do not match the weights it stores"):
        sio.load(forged, trusted=trusted_types())
    assert time.perf_counter() - tic < 5  # the members planned are a handful, not 20,000
    assert torch.equal(torch.random.get_rng_state(), rng_state)  # nothing was initialised

    def fewer_members(state):  # a plan smaller than the weights is found out too
        node = state["_module_kwargs"]["content"]["n_estimators"]
        node["content"] = json.dumps(1)
        node["__id__"] += 1

    _edit_skops_state(saved, forged, fewer_members)
    with pytest.raises(ValueError, match=r"n_estimators=1.* the file holds 'members\.1\."):
        sio.load(forged, trusted=trusted_types())
    loaded = sio.load(saved, trusted=trusted_types())  # the file as saved loads
    _assert_same_outputs(est, loaded, X)


class _WithIndex(torch.nn.Module):
    """A module with a buffer its weights do not hold (non-persistent), as typed heads have."""

    def __init__(self, n_features):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, 2)
        self.register_buffer("index", torch.arange(n_features), persistent=False)


def test_loading_rebuilds_the_buffers_the_weights_do_not_hold():
    saved = _WithIndex(5)
    weights = {k: v.detach().numpy() for k, v in saved.state_dict().items()}
    rng_state = torch.random.get_rng_state()
    loaded = skgen._base._loaded_module(_WithIndex, {"n_features": 5}, weights,
                                        torch.device("cpu"))
    assert torch.equal(loaded.index, torch.arange(5))
    assert torch.equal(loaded.linear.weight, saved.linear.weight)
    assert torch.equal(torch.random.get_rng_state(), rng_state)
