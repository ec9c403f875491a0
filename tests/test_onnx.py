"""ONNX export of pipelines with skgen steps: onnxruntime gives skgen's outputs.

Every skgen output that ``skgen.onnx`` converts is compared with skgen's own,
inside a pipeline with scikit-learn steps before and after, on digits and on
two ADBench tables. The models are fitted for a few epochs only: the graph
must reproduce whatever weights it is given, trained well or not.
"""

import importlib
import sys

import numpy as np
import pandas as pd
import pytest

for _name in ("onnx", "onnxruntime", "skl2onnx", "onnxscript"):
    pytest.importorskip(_name, reason="the onnx extra is not installed (pip install skgen[onnx])")

import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_wine  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402

import skgen.onnx  # noqa: E402, F401  (registers the converters)
from skgen import (  # noqa: E402
    AEOutlierDetector,
    AutoencoderTransformer,
    DenoisingAutoencoder,
    VAETransformer,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_layer_sizes": (32,), "max_iter": 3, "random_state": 0, "device": "cpu"}


def run_onnx(onx, X):
    """All outputs of the model ``onx`` on ``X``, by onnxruntime alone."""
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def tolerance(expected):
    """The absolute tolerance next to ``rtol=1e-5``: 1e-5 of the output's root mean square.

    Both sides add up float32 products in a different order, so they differ by
    about 1e-7 of the terms' size, which is the output's size; on a value near
    zero that is a large relative error although both are right.
    """
    expected = np.asarray(expected, dtype=np.float64)
    return 1e-5 * np.sqrt(np.mean(expected[np.isfinite(expected)] ** 2))


def assert_parity(actual, expected, rtol=1e-5):
    expected = np.asarray(expected)
    actual = np.asarray(actual).reshape(expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=tolerance(expected) * rtol / 1e-5)


# ------------------------------------------------------------------------ data


def _digits():
    return load_digits().data.astype(np.float32)


def _table(loader):
    """A real table that scikit-learn ships, as float32: the breast cancer measurements (30
    columns in units from 1e-3 to 1e3) or the wines (13, with one column in the thousands)."""
    return loader().data.astype(np.float32)


DATASETS = {"digits": _digits, "breast_cancer": lambda: _table(load_breast_cancer),
            "wine": lambda: _table(load_wine)}


@pytest.fixture(scope="module", params=sorted(DATASETS))
def data(request):
    """Training rows and rows to score: the training rows plus 20 far from them."""
    X = DATASETS[request.param]()
    rng = np.random.RandomState(1)
    far = X[:20] + 3 * X.std(axis=0) * rng.standard_normal((20, X.shape[1])).astype(np.float32)
    return request.param, X, np.vstack([X, far]).astype(np.float32)


def _with_nan(X, share=0.2):
    X = X.copy()
    X[np.random.RandomState(2).rand(*X.shape) < share] = np.nan
    return X


# ------------------------------------------------------------------ the pipelines


def _convert_sandwich(estimator, X, X_score, *, method="transform", fit=True, before=None,
                     options=None):
    """Convert ``before -> estimator -> centering``, fitted one step after the other.

    The step after is a StandardScaler that only centers: one that also scaled
    would divide a near-constant output column (a pixel that is always 0) by its
    tiny spread and magnify float32 rounding far beyond the tolerance.

    ``before`` is a StandardScaler unless given; the estimator is fitted on its
    output when ``fit``. The ONNX step runs the estimator's ``method``
    (``transform``, or ``inverse_transform`` with that option). Returns
    onnxruntime's output on ``X_score`` and skgen's, computed step by step.
    """
    before = (before or StandardScaler()).fit(X)
    if fit:
        estimator.fit(before.transform(X))
    middle = getattr(estimator, method)
    after = StandardScaler(with_std=False).fit(middle(before.transform(X)))
    pipe = Pipeline([("before", before), ("skgen", estimator), ("after", after)])
    onx = to_onnx(pipe, X_score[:1], options={id(estimator): options or {}})
    expected = after.transform(middle(before.transform(X_score)))
    return run_onnx(onx, X_score)[0], expected


def test_the_issue_pipelines_just_work():
    """Both pipelines of the issue convert as they are and give skgen's outputs."""
    X = _digits()
    y = load_digits().target
    clf = make_pipeline(AutoencoderTransformer(n_components=8, **SMALL),
                        LogisticRegression(max_iter=300)).fit(X, y)
    onx = to_onnx(clf, X[:1])
    onnx.checker.check_model(onx, full_check=True)
    label, proba = run_onnx(onx, X)
    proba = [[row[c] for c in clf.classes_] for row in proba]  # skl2onnx's ZipMap: dicts
    expected = clf.predict_proba(X)
    assert_parity(proba, expected)
    confident = np.sort(expected, axis=1)[:, -1] - np.sort(expected, axis=1)[:, -2] > 1e-4
    np.testing.assert_array_equal(label[confident], clf.predict(X)[confident])

    det = make_pipeline(StandardScaler(), AEOutlierDetector(**SMALL)).fit(X)
    label, decision = run_onnx(to_onnx(det, X[:1]), X)
    expected = det.decision_function(X)
    assert_parity(decision, expected)
    _assert_same_labels(label, det.predict(X), expected)


def _assert_same_labels(label, expected_label, decision):
    """Labels agree wherever the decision is farther from 0 than the tolerance."""
    label = np.asarray(label).ravel()
    clear = np.abs(decision) > tolerance(decision)
    assert clear.mean() > 0.99
    np.testing.assert_array_equal(label[clear], expected_label[clear])
    assert set(np.unique(label)) <= {-1, 1}


def test_autoencoder_transform(data):
    _, X, X_score = data
    ae = AutoencoderTransformer(n_components=4, **SMALL)
    assert_parity(*_convert_sandwich(ae, X, X_score))


@pytest.mark.parametrize("Estimator", [AutoencoderTransformer, VAETransformer])
def test_inverse_transform(Estimator):
    """With the option ``inverse_transform=True`` the step decodes codes into rows."""
    X = _digits()
    # the VAE's typed columns (digits' pixels are discrete) have no exported inverse
    typed = {"column_types": "continuous"} if Estimator is VAETransformer else {}
    model = Estimator(n_components=4, activation="gelu", **typed, **SMALL).fit(X)
    Z = model.transform(X)
    assert_parity(*_convert_sandwich(model, Z, Z, method="inverse_transform", fit=False,
                                     options={"inverse_transform": True}))


def test_denoising_transform_fills_nan(data):
    _, X, X_score = data
    dae = DenoisingAutoencoder(**SMALL)
    actual, expected = _convert_sandwich(dae, _with_nan(X), _with_nan(X_score))
    assert not np.isnan(actual).any()
    assert_parity(actual, expected)


def test_denoising_keep_observed():
    """``keep_observed=True``: the graph fills NaN and passes observed entries through."""
    X, X_score = _with_nan(_digits()), _with_nan(_digits()[::-1])
    dae = DenoisingAutoencoder(keep_observed=True, **SMALL)
    actual, expected = _convert_sandwich(dae, X, X_score)
    assert not np.isnan(actual).any()
    assert_parity(actual, expected)


def test_vae_transform(data):
    _, X, X_score = data
    vae = VAETransformer(n_components=3, **SMALL)
    assert_parity(*_convert_sandwich(vae, X, X_score))


def test_vae_bounds_logit_map():
    """With ``bounds``, rows are logit-mapped first; rows past the support are clipped."""
    X = _digits()
    X_score = np.vstack([X, X[:20] + np.float32(8) * np.sign(X[:20] - 8)])  # past [0, 16]
    vae = VAETransformer(n_components=3, bounds=(0, 1), column_types="continuous", **SMALL)
    assert_parity(*_convert_sandwich(vae, X, X_score, before=MinMaxScaler()))
    assert vae.bounds_ is not None
    Z = vae.transform(MinMaxScaler().fit(X).transform(X))
    rows, expected = _convert_sandwich(vae, Z, Z, method="inverse_transform", fit=False,
                                       options={"inverse_transform": True})
    assert_parity(rows, expected)


@pytest.mark.parametrize("experts", ["autoencoder", "all"])
def test_outlier_detector_outputs(data, experts):
    """label, decision_function and score_samples, the neighbour-based parts included (with
    ``experts='all'`` the local and broad parts and the surprisal maps too)."""
    name, X, X_score = data
    before = StandardScaler().fit(X)
    det = AEOutlierDetector(**SMALL, experts=experts).fit(before.transform(X))
    assert det.n_neighbors_ > 1 and det.density_scale_ != 1.0  # the density part is live
    if experts == "all":
        assert det.local_scale_ != 1.0 and det.broad_scale_ != 1.0
    onx = to_onnx(Pipeline([("before", before), ("det", det)]), X_score[:1],
                  options={AEOutlierDetector: {"score_samples": True}})
    label, decision, scores = run_onnx(onx, X_score)
    assert label.dtype == np.int64 and label.shape == decision.shape == (len(X_score), 1)
    Xt = before.transform(X_score)
    expected = det.decision_function(Xt)
    assert_parity(scores, det.score_samples(Xt))
    assert_parity(decision, expected)
    _assert_same_labels(label, det.predict(Xt), expected)
    assert (label[-20:] == -1).mean() > 0.5  # the far rows are flagged


@pytest.mark.parametrize("experts, rtol", [("autoencoder", 1e-9), ("all", 1e-7)])
def test_float64_graph_computes_in_float64(experts, rtol):
    """A float64 input gives a float64 graph and skgen's float64 outputs (two members here);
    with ``experts='all'`` to 1e-7: the graph's neighbour distances come from
    ``|q|^2 - 2 q.r + |r|^2`` where scikit-learn sums squared differences, and the square
    roots of the local and broad parts magnify that rounding (float32 would be 1e-4 away)."""
    X = _digits().astype(np.float64)
    det = AEOutlierDetector(n_estimators=2, **SMALL, experts=experts).fit(X)
    label, decision = run_onnx(to_onnx(det, X[:1]), X)
    assert decision.dtype == np.float64
    assert_parity(decision, det.decision_function(X), rtol=rtol)


def test_unequal_part_weights_are_exported():
    """Fewer rows than columns: the exported score weighs the parts as skgen does."""
    X = _digits()[:40]
    det = AEOutlierDetector(**SMALL).fit(X)
    assert det.part_weights_[0] > det.part_weights_[1]
    label, decision = run_onnx(to_onnx(det, X[:1]), _digits()[:200])
    assert_parity(decision, det.decision_function(_digits()[:200]))


# ------------------------------------------------------------------- what is refused


def test_vae_typed_columns_export_transform_and_refuse_the_rest():
    """Discrete pixels: the encoder reads numbers, so transform exports; the levels do not."""
    X = _digits()
    vae = VAETransformer(n_components=3, **SMALL)
    assert_parity(*_convert_sandwich(vae, X, X[::-1]))  # fitted on the scaled pixels
    assert "discrete" in set(vae.column_types_)
    with pytest.raises(NotImplementedError, match=r"inverse_transform cannot be exported.*"
                                                  r"column_types='continuous'"):
        to_onnx(vae, X[:1, :3], options={id(vae): {"inverse_transform": True}})
    categorical = VAETransformer(n_components=2, column_types={0: "categorical"},
                                 **SMALL).fit(X)
    with pytest.raises(NotImplementedError, match="transform cannot be exported.*one-hot"):
        to_onnx(categorical, X[:1])
    bounded = VAETransformer(n_components=2, bounds=(0, 16), **SMALL).fit(X)
    with pytest.raises(NotImplementedError, match="bounds maps only the continuous"):
        to_onnx(bounded, X[:1])


def test_vae_columns_the_graph_cannot_reproduce_are_refused_by_name():
    """A string binary column (a level code, not the string's number), a continuous
    column's point mass and an integer dtype's rounding: NotImplementedError naming them."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "y": rng.normal(size=300),
                          "g": rng.choice(["10", "20"], size=300)})
    binary = VAETransformer(n_components=2, **SMALL).fit(frame)
    assert binary.column_types_[2] == "binary"
    with pytest.raises(NotImplementedError, match=r"transform cannot be exported.*2 \('g'\)"):
        to_onnx(binary, frame[:1])
    a = rng.normal(size=400)
    spiky = np.c_[a, np.where(a < 0, 0.0, a + 0.1 * rng.normal(size=400)), rng.normal(size=400)]
    vae = VAETransformer(n_components=2, **SMALL).fit(spiky)
    assert vae.levels_[1] is not None  # a point mass at 0
    codes = vae.transform(spiky[:1])
    with pytest.raises(NotImplementedError, match=r"inverse_transform cannot be exported.*"
                                                  r"columns 1 come back as a point mass"):
        to_onnx(vae, codes, options={id(vae): {"inverse_transform": True}})
    counts = pd.DataFrame({"x": rng.normal(size=400), "n": rng.randint(0, 1000, size=400)})
    vae = VAETransformer(n_components=2, **SMALL).fit(counts)
    assert list(vae.column_types_) == ["continuous", "continuous"]
    with pytest.raises(NotImplementedError, match=r"inverse_transform cannot be exported.*"
                                                  r"1 \('n'\).*rounded and clipped"):
        to_onnx(vae, vae.transform(counts[:1]), options={id(vae): {"inverse_transform": True}})
    # a float frame's continuous columns still export both ways
    floats = VAETransformer(n_components=2, column_types="continuous", **SMALL).fit(spiky)
    to_onnx(floats, floats.transform(spiky[:1]), options={id(floats): {"inverse_transform": True}})


@pytest.fixture(scope="module")
def fitted_vae():
    return VAETransformer(n_components=2, **SMALL).fit(_digits())


@pytest.mark.parametrize("method", ["score_samples", "sample"])
def test_random_methods_are_refused_by_name(fitted_vae, method):
    with pytest.raises(NotImplementedError, match=rf"VAETransformer\.{method} cannot be"):
        to_onnx(fitted_vae, _digits()[:1], options={id(fitted_vae): {method: True}})


def test_conditional_vae_exports_transform_and_refuses_inverse_transform():
    X = load_wine().data.astype(np.float32)
    vae = VAETransformer(n_components=2, conditional=True, column_types="continuous",
                         **SMALL).fit(X, load_wine().target)
    (codes,) = run_onnx(to_onnx(vae, X[:1]), X)
    assert_parity(codes, vae.transform(X))
    with pytest.raises(NotImplementedError, match="most probable class"):
        to_onnx(vae, X[:1, :2], options={id(vae): {"inverse_transform": True}})


def test_quantile_normalized_vae_is_refused():
    X = load_wine().data.astype(np.float32)
    vae = VAETransformer(n_components=2, normalization="quantile", **SMALL).fit(X)
    with pytest.raises(NotImplementedError, match=r"transform cannot be.*quantile map"):
        to_onnx(vae, X[:1])


def test_wrong_width_and_unfitted_are_clear(fitted_vae):
    X = _digits()
    with pytest.raises(ValueError, match="takes 64 columns .* has 10"):
        to_onnx(fitted_vae, X[:1, :10])
    for unfitted in (AutoencoderTransformer(), DenoisingAutoencoder(), AEOutlierDetector()):
        with pytest.raises(NotFittedError):
            to_onnx(unfitted, X[:1])


def test_old_opset_is_refused(fitted_vae):
    with pytest.raises(NotImplementedError, match="opset 18 or later.*target_opset=17"):
        to_onnx(fitted_vae, _digits()[:1], target_opset=17)


def test_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.delitem(sys.modules, "skgen.onnx")
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # makes `import skl2onnx` fail
    with pytest.raises(ImportError, match=r"pip install skgen\[onnx\]"):
        importlib.import_module("skgen.onnx")


def test_dataframe_columns_become_one_input_each():
    """skl2onnx makes one input per DataFrame column; the step puts them side by side."""
    X = _digits()[:, 10:16]
    frame = pd.DataFrame(X, columns=list("abcdef"))
    ae = AutoencoderTransformer(n_components=2, **SMALL).fit(frame)
    onx = to_onnx(ae, frame[:1])
    assert [i.name for i in onx.graph.input] == list("abcdef")
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    (codes,) = session.run(None, {name: X[:, [j]] for j, name in enumerate(frame.columns)})
    assert_parity(codes, ae.transform(frame))


# ------------------------------------------------------- a user's encoder and decoder


def _conv(Estimator, **params):
    from skgen.nn import ModuleSpec

    from .nn.custom_modules import ConvDecoder, ConvEncoder, conv_code

    if Estimator is DenoisingAutoencoder:  # no n_components: the encoder's width is its own
        encoder = ModuleSpec(conv_code)
    else:
        encoder, params = ModuleSpec(ConvEncoder, channels=2), {"n_components": 4, **params}
    return Estimator(encoder=encoder, decoder=ConvDecoder, input_shape=(1, 8, 8), **SMALL,
                     **params)


def test_pipeline_with_a_convolutional_autoencoder_within_1e4():
    """The issue's pipeline with a conv autoencoder: the exporter traces the user's module."""
    X, y = _digits(), load_digits().target
    clf = make_pipeline(_conv(AutoencoderTransformer), LogisticRegression(max_iter=300))
    clf.fit(X, y)
    label, proba = run_onnx(to_onnx(clf, X[:1]), X)
    proba = np.array([[row[c] for c in clf.classes_] for row in proba])
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-4)
    ae = clf[0]
    rows, expected = _convert_sandwich(ae, X, X, fit=False, before=MinMaxScaler())
    np.testing.assert_allclose(rows, expected, atol=1e-4)
    Z = ae.transform(X)
    rows, expected = _convert_sandwich(ae, Z, Z, method="inverse_transform", fit=False,
                                       options={"inverse_transform": True})
    np.testing.assert_allclose(rows, expected, atol=1e-4)


@pytest.mark.parametrize("Estimator", [VAETransformer, AEOutlierDetector,
                                       DenoisingAutoencoder])
def test_convolutional_vae_detector_and_denoiser_export(Estimator):
    X = _digits()
    params = {"column_types": "continuous"} if Estimator is VAETransformer else {}
    est = _conv(Estimator, **params).fit(X)
    if Estimator is DenoisingAutoencoder:
        X = _with_nan(X, 0.1)
    out = run_onnx(to_onnx(est, X[:1]), X)
    if Estimator is AEOutlierDetector:
        np.testing.assert_allclose(out[1].ravel(), est.decision_function(X), atol=1e-4)
    else:
        np.testing.assert_allclose(out[0], est.transform(X), atol=1e-4)


def test_integer_columns_rounded_by_skgen_are_refused_by_the_autoencoder_and_denoiser():
    """A model fitted on a DataFrame with an integer column gives it back rounded and
    clipped to its dtype, which the graph does not do: the AE's inverse_transform and the
    denoiser's transform are refused, naming the column, as the VAE's are; the same
    model on float columns exports."""
    rng = np.random.RandomState(0)
    counts = pd.DataFrame({"x": rng.normal(size=300), "n": rng.randint(0, 1000, size=300)})
    ae = AutoencoderTransformer(n_components=1, **SMALL).fit(counts)
    with pytest.raises(NotImplementedError, match=r"inverse_transform cannot be exported.*"
                                                  r"1 \('n'\).*rounded and clipped"):
        to_onnx(ae, ae.transform(counts[:1]), options={id(ae): {"inverse_transform": True}})
    dae = DenoisingAutoencoder(**SMALL).fit(counts)
    with pytest.raises(NotImplementedError, match=r"transform cannot be exported.*"
                                                  r"1 \('n'\).*rounded and clipped"):
        to_onnx(dae, counts.to_numpy(np.float64)[:1])
    floats = counts.astype(float)
    ae = AutoencoderTransformer(n_components=1, **SMALL).fit(floats)
    to_onnx(ae, ae.transform(floats[:1]), options={id(ae): {"inverse_transform": True}})
    to_onnx(DenoisingAutoencoder(**SMALL).fit(floats), floats.to_numpy()[:1])
