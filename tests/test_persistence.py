"""Saving and loading: ``skops.io`` without unpickling code, and the skgen version in pickles.

The skops tests skip without the ``skgen[persist]`` extra (skops is in the
``tests`` extra too).
"""

import json
import pickle
import time
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_array_equal

import skgen
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


def test_trusted_types_are_the_estimator_classes_and_module_spec():
    assert trusted_types() == sorted(
        [f"{cls.__module__}.{cls.__name__}" for cls in ESTIMATORS]
        + ["skgen.nn._custom.ModuleSpec"])


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


def _forged_pickle(est, version):
    """A pickle of ``est`` that says it was written by skgen ``version``.

    Built from the estimator's own ``__reduce_ex__``, with the version in its
    state replaced: what another skgen would have written. (Protocol 1's
    reduction names ``copyreg._reconstructor``, which another object may
    return; protocol 2's ``__newobj__`` must come from the class itself.)
    """
    reconstruct, args, state = est.__reduce_ex__(1)[:3]
    assert state["_skgen_version"] == skgen.__version__
    state = {**state, "_skgen_version": version}

    class Forged:
        def __reduce__(self):
            return reconstruct, args, state

    return pickle.dumps(Forged())


@per_estimator
def test_loading_a_pickle_from_another_version_warns(cls):
    X = _frame()
    est = make_fast(cls, random_state=0).fit(X)
    forged = _forged_pickle(est, "0.0.1")
    with pytest.warns(InconsistentVersionWarning, match=r"skgen 0\.0\.1 when using skgen") as rec:
        loaded = pickle.loads(forged)
    warning = rec[0].message
    assert (warning.estimator_name, warning.original_skgen_version,
            warning.current_skgen_version) == (cls.__name__, "0.0.1", skgen.__version__)
    _assert_same_outputs(est, loaded, X)  # it loads all the same
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        pickle.loads(pickle.dumps(est))  # the same version is silent
        pickle.loads(_forged_pickle(make_fast(cls), skgen.__version__))


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


@pytest.mark.parametrize("column", ["interval", "timestamp", "date", "decimal"])
def test_levels_a_skops_file_cannot_hold_are_refused_at_fit(column):
    """Levels that are pandas or Python objects would need their types trusted to load
    the model: the fit refuses them naming the column, and strings of them fit."""
    import datetime
    import decimal

    rng = np.random.RandomState(0)
    n = 300
    k = rng.randint(0, 3, size=n)
    values = {
        "interval": lambda: pd.cut(18 + 20 * k + 5, [0, 30, 50, 70, 100]),
        "timestamp": lambda: pd.Timestamp("2020-01-01") + pd.to_timedelta(k, unit="D"),
        "date": lambda: [datetime.date(2020, 1, 1 + int(i)) for i in k],
        "decimal": lambda: pd.Series([decimal.Decimal(int(i)) / 4 for i in k], dtype=object),
    }[column]()
    X = pd.DataFrame({"x": rng.normal(size=n), "band": values})
    with pytest.raises(ValueError, match=r"Column 'band' holds values of type .*astype\(str\)"):
        make_fast(skgen.VAETransformer, random_state=0).fit(X)
    as_text = make_fast(skgen.VAETransformer, random_state=0).fit(X.astype({"band": str}))
    sio = pytest.importorskip("skops.io", reason=SKOPS_REASON)
    loaded = sio.loads(sio.dumps(as_text), trusted=trusted_types())
    assert_array_equal(loaded.transform(X.astype({"band": str})),
                       as_text.transform(X.astype({"band": str})))


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
