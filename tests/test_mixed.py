"""Mixed-type tables in AutoencoderTransformer, DenoisingAutoencoder and AEOutlierDetector:
column types, one-hot inputs, typed losses, unseen levels, outputs in the data's dtypes."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from palmerpenguins import load_penguins
from sklearn.datasets import load_wine

from skgen import AEOutlierDetector, AutoencoderTransformer, DenoisingAutoencoder, VAETransformer
from skgen.nn import TypedColumns
from skgen.utils import trusted_types

from .conftest import make_fast

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TYPED = [AutoencoderTransformer, DenoisingAutoencoder, AEOutlierDetector]
per_estimator = pytest.mark.parametrize("cls", TYPED, ids=lambda c: c.__name__)
LEVEL_COLUMNS = ["species", "island", "sex"]


def _outputs(est, X):
    out = {"score_samples": est.score_samples(X)}
    for name in ("transform", "feature_contributions"):
        if hasattr(est, name):
            out[name] = np.asarray(getattr(est, name)(X), dtype=object if name == "transform"
                                   and isinstance(est, DenoisingAutoencoder) else None)
    if isinstance(est, AutoencoderTransformer):
        out["inverse_transform"] = np.asarray(est.inverse_transform(est.transform(X)),
                                              dtype=object)
    return out


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert_array_equal(a[name], b[name], err_msg=name)


@pytest.fixture(scope="module")
def penguins():
    return load_penguins().dropna().reset_index(drop=True)


def _mixed_frame(n=120, seed=0):
    """Every dtype a table brings: float, Int64, bool, boolean, category, object, string."""
    rng = np.random.RandomState(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({
        "x": x,
        "count": pd.array(rng.poisson(3, n), dtype="Int64"),
        "flag": x > 0,
        "ok": pd.array(rng.rand(n) > 0.3, dtype="boolean"),
        "kind": pd.Categorical(np.where(x > 0.5, "high", np.where(x < -0.5, "low", "mid")),
                               categories=["low", "mid", "high", "never"]),
        "city": np.array(["Oslo", "Paris", "Rome"], dtype=object)[rng.randint(0, 3, n)],
        "name": pd.array(np.where(rng.rand(n) > 0.5, "a", "b"), dtype="string"),
    }, index=np.arange(n) + 1000)


# ------------------------------------------------------------ numeric tables as before

@per_estimator
def test_numeric_table_is_modelled_as_without_types(cls):
    """'auto' leaves numeric columns continuous, integer ones too: the same model and
    outputs, bit for bit, as all columns forced continuous (the path of numeric tables)."""
    X, _ = load_wine(return_X_y=True)
    df = pd.DataFrame(X[:, :6], columns=[f"c{i}" for i in range(6)])
    df["n"] = (X[:, 6] * 10).astype(int)
    auto = make_fast(cls, random_state=0).fit(df)
    assert set(auto.column_types_) == {"continuous"} and auto._typed is None
    assert all(levels is None for levels in auto.levels_)
    plain = make_fast(cls, random_state=0, column_types="continuous").fit(df)
    _assert_same(_outputs(auto, df), _outputs(plain, df))
    assert auto.mean_.shape == (7,)
    # and as the same numbers in a float array, which never meets the column-type path
    array = make_fast(cls, random_state=0).fit(df.to_numpy(dtype=float))
    assert_array_equal(auto.score_samples(df), array.score_samples(df.to_numpy(dtype=float)))


# ------------------------------------------------------------------------ column types

@per_estimator
def test_types_levels_and_per_column_overrides(cls, penguins):
    est = make_fast(cls, random_state=0).fit(penguins)
    expected = {"species": "categorical", "island": "categorical", "sex": "binary"}
    for j, name in enumerate(penguins.columns):
        assert est.column_types_[j] == expected.get(name, "continuous"), name
    assert list(est.levels_[0]) == ["Adelie", "Chinstrap", "Gentoo"]
    assert list(est.levels_[6]) == ["female", "male"]
    # one-hot inputs (3 + 3 + 2 levels) beside 5 numbers, not scaled
    assert est.mean_.shape == est.scale_.shape == (13,)
    assert_array_equal(est.scale_[:6], 1.0)
    over = make_fast(cls, random_state=0, column_types={"year": "categorical"}).fit(penguins)
    assert over.column_types_[7] == "categorical"
    assert_array_equal(over.levels_[7], [2007.0, 2008.0, 2009.0])
    with pytest.raises(ValueError, match="is not numeric, so its type can be"):
        make_fast(cls, column_types={"island": "continuous"}).fit(penguins)


@per_estimator
def test_every_dtype_is_read_and_comes_back(cls):
    df = _mixed_frame()
    est = make_fast(cls, random_state=0).fit(df)
    assert list(est.column_types_) == ["continuous", "continuous", "binary", "binary",
                                       "categorical", "categorical", "binary"]
    assert list(est.levels_[4]) == ["high", "low", "mid"]  # the levels seen
    if cls is AEOutlierDetector:
        assert np.isfinite(est.score_samples(df)).all()
        return
    out = (est.inverse_transform(est.transform(df)) if cls is AutoencoderTransformer
           else est.transform(df))
    assert out.dtypes.equals(df.dtypes)
    assert list(out.columns) == list(df.columns)
    assert list(out["kind"].cat.categories) == ["low", "mid", "high", "never"]
    assert set(out["city"]) <= {"Oslo", "Paris", "Rome"}
    if cls is DenoisingAutoencoder:  # transform keeps X's index
        assert_array_equal(out.index, df.index)


@per_estimator
def test_polars_frame_as_pandas(cls):
    pl = pytest.importorskip("polars")
    df = _mixed_frame()[["x", "flag", "city"]]
    est = make_fast(cls, random_state=0).fit(pl.from_pandas(df))
    reference = make_fast(cls, random_state=0).fit(df)
    assert list(est.column_types_) == ["continuous", "binary", "categorical"]
    assert_array_equal(est.score_samples(pl.from_pandas(df)), reference.score_samples(df))


# ------------------------------------------------------------------- typed losses

def test_typed_columns_losses():
    typed = TypedColumns([0, 3, 2], unseen_loss=7.0, weights=[1.0, 2.0, 0.5])
    x = torch.tensor([[0.5, 0.0, 1.0, 0.0, 0.0, 1.0],
                      [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]])  # row 1: a level never seen
    out = torch.tensor([[1.5, 1.0, 2.0, 0.0, -1.0, 1.0],
                        [0.0, 5.0, 0.0, 0.0, 0.0, 0.0]])
    errors = typed.column_errors(out, x)
    logits = out[0, 1:4]
    assert_allclose(errors[0], [1.0, float(torch.logsumexp(logits, 0) - 2.0),
                                float(torch.nn.functional.softplus(torch.tensor(-2.0)))],
                    rtol=1e-6)
    assert_allclose(errors[1, 1], 7.0)
    assert_allclose(typed.loss(out, x), (errors * torch.tensor([1.0, 2.0, 0.5])).mean(1))
    probs = typed.reconstruct(out)
    assert_allclose(probs[:, 1:4].sum(1), 1.0, rtol=1e-6)
    assert_allclose(probs[:, 0], out[:, 0])


def test_weights_balance_the_types(penguins):
    est = make_fast(AutoencoderTransformer, random_state=0).fit(penguins)
    weights = est._typed["weights"]
    p = penguins["sex"].value_counts(normalize=True).to_numpy()
    assert_allclose(weights[6], 1.0 / -(p * np.log(p)).sum())
    assert_array_equal(weights[2:6], 1.0)


def test_autoencoder_reconstructs_levels_from_the_numbers():
    """A level that the numbers decide comes back right, well above the majority share."""
    rng = np.random.RandomState(0)
    x = rng.normal(size=(400, 2))
    df = pd.DataFrame({"a": x[:, 0], "b": x[:, 1],
                       "side": np.where(x[:, 0] + x[:, 1] > 0, "right", "left")})
    ae = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(32,), random_state=0,
                                device="cpu").fit(df)
    back = ae.inverse_transform(ae.transform(df))
    assert (back["side"] == df["side"]).mean() > 0.9
    assert back.index.equals(pd.RangeIndex(400))
    Z = pd.DataFrame(ae.transform(df[:5]), index=list("vwxyz"))
    assert list(ae.inverse_transform(Z).index) == list("vwxyz")


# ----------------------------------------------------------------- imputing every type

def test_denoising_fills_every_type(penguins):
    rng = np.random.RandomState(0)
    hidden = penguins.copy()
    mask = rng.rand(*penguins.shape) < 0.15
    for j, name in enumerate(penguins.columns):
        hidden.loc[mask[:, j], name] = None if penguins[name].dtype == object else np.nan
    dae = make_fast(DenoisingAutoencoder, random_state=0, keep_observed=True).fit(hidden)
    assert list(dae.column_types_[:2]) == ["categorical", "categorical"]
    assert list(dae.levels_[0]) == ["Adelie", "Chinstrap", "Gentoo"]  # missing: no level
    out = dae.transform(hidden)
    assert not out.isna().any().any()
    assert out.dtypes.equals(hidden.dtypes)
    for j, name in enumerate(penguins.columns):  # observed cells kept as they are
        assert (out[name][~mask[:, j]] == penguins[name][~mask[:, j]]).all(), name
    assert set(out["island"]) <= set(dae.levels_[1])
    unseen = hidden[:3].assign(island="Atlantis")  # a level never seen: filled
    assert set(dae.transform(unseen)["island"]) <= set(dae.levels_[1])
    assert np.isfinite(dae.score_samples(hidden)).all()


def test_denoising_corrupts_whole_columns():
    from skgen.nn._denoising import corrupt

    x = torch.arange(40, dtype=torch.float64).reshape(8, 5)
    columns = torch.tensor([0, 1, 1, 1, 2])
    continuous = torch.tensor([True, False, False, False, True])
    g = torch.Generator().manual_seed(0)
    layout = {"columns": columns, "n_columns": 3, "continuous": continuous}
    masked = corrupt(x, "mask", 0.5, g, **layout)
    hidden = torch.isnan(masked[:, 1:4])
    assert (hidden.all(1) | ~hidden.any(1)).all() and hidden.any()  # a level hides whole
    swapped = corrupt(x, "swap", 0.9, g, **layout)
    assert torch.equal(swapped[:, 2] - swapped[:, 1], torch.ones(8, dtype=x.dtype))
    noisy = corrupt(x, "gaussian", 1.0, g, **layout)
    assert torch.equal(noisy[:, 1:4], x[:, 1:4]) and not torch.equal(noisy[:, 0], x[:, 0])


# ----------------------------------------------------------------------- the detector

@pytest.mark.parametrize("experts", ["autoencoder", "all"])
def test_detector_reads_an_unseen_level_as_abnormal(penguins, experts):
    det = AEOutlierDetector(random_state=0, experts=experts, device="cpu").fit(penguins)
    rows = penguins[:20]
    typical = det.score_samples(rows)
    unseen = rows.assign(island="Atlantis")
    scores = det.score_samples(unseen)
    assert (scores < typical).all()
    assert (scores < np.median(det.score_samples(penguins))).all()
    contributions = det.set_output(transform="pandas").feature_contributions(unseen)
    assert list(contributions.columns) == list(penguins.columns)
    assert (contributions.idxmax(axis=1) == "island").all()
    assert det.score_parts(unseen).shape == (20, 3 if experts == "autoencoder" else 5)


def test_contribution_display_shows_levels(penguins):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from skgen.plotting import FeatureContributionDisplay

    det = make_fast(AEOutlierDetector, random_state=0).fit(penguins)
    rows = penguins[:2].assign(island="Atlantis")
    disp = FeatureContributionDisplay.from_estimator(det, rows, max_features=8)
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert "island = Atlantis" in labels and "bill_length_mm = 39.1" in labels
    assert len(disp.features_) == 8


def test_bool_column_with_holes_stays_boolean():
    """A bool column with a missing value is an object column of booleans in pandas: the
    denoiser reads it as the bool column it was, and gives booleans back."""
    df = _mixed_frame()[["x", "flag", "city"]]
    holes = df.astype({"flag": object})
    holes.loc[holes.index[:5], "flag"] = None
    dae = make_fast(DenoisingAutoencoder, random_state=0).fit(holes)
    assert list(dae.column_types_) == ["continuous", "binary", "categorical"]
    out = dae.transform(holes)
    assert set(out["flag"]) <= {True, False} and out["flag"].dtype == object
    assert dae.transform(df)["flag"].dtype == object  # the fitted dtype, from a bool column


def test_unseen_levels_never_crash(penguins):
    ae = make_fast(AutoencoderTransformer, random_state=0).fit(penguins)
    unseen = penguins[:4].assign(species="Dodo")
    assert np.isfinite(ae.transform(unseen)).all()
    assert (ae.score_samples(unseen) < ae.score_samples(penguins[:4])).all()


@per_estimator
def test_resumed_fit_reads_the_fitted_columns(cls, penguins):
    est = make_fast(cls, random_state=0).fit(penguins)
    est.partial_fit(penguins[:50])
    assert est.mean_.shape == (13,)
    with pytest.raises(ValueError, match="Column 'island' was non-numeric at fit"):
        est.partial_fit(penguins.assign(island=1.0))


# ------------------------------------------------------------------------- persistence

@per_estimator
def test_pickle_and_skops_keep_the_levels(cls, tmp_path):
    df = _mixed_frame()
    est = make_fast(cls, random_state=0).fit(df)
    loaded = [pickle.loads(pickle.dumps(est))]
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    loaded.append(sio.load(path, trusted=trusted_types()))
    for other in loaded:
        for a, b in zip(est.levels_, other.levels_):
            assert (a is None and b is None) or list(a) == list(b)
        assert_array_equal(other.column_types_, est.column_types_)
        _assert_same(_outputs(est, df), _outputs(other, df))


@per_estimator
def test_onnx_refuses_typed_columns_by_name(cls):
    pytest.importorskip("skl2onnx")
    from skl2onnx import to_onnx

    import skgen.onnx  # noqa: F401  (registers the converters)

    df = _mixed_frame()[["x", "city"]]
    est = make_fast(cls, random_state=0).fit(df)
    with pytest.raises(NotImplementedError, match=r"cannot be exported.*1 \('city'\)"):
        to_onnx(est, np.zeros((1, 2), dtype=np.float32))


@pytest.mark.parametrize("cls", [AEOutlierDetector, AutoencoderTransformer,
                                 DenoisingAutoencoder], ids=lambda c: c.__name__)
def test_partial_fit_warns_about_levels_its_first_fit_did_not_see(cls):
    """The one-hot layout is the first fit's: a later batch's new level cannot be learned,
    and it trains as a level never seen; the warning names the column and points at the
    call (the VAE refuses such a level outright)."""
    rng = np.random.default_rng(0)
    known = pd.DataFrame({"c": rng.choice(["a", "b"], 60), "x": rng.normal(size=60)})
    new = known.assign(c=rng.choice(["a", "b", "z"], 60))
    est = make_fast(cls, max_iter=2).partial_fit(known)
    with pytest.warns(UserWarning, match=r"keeps the levels of its first fit, and X holds "
                                         r"\d+ value\(s\) it did not see in column\(s\) 0 "
                                         r"\('c'\)") as caught:
        est.partial_fit(new)
    assert [w.filename for w in caught if "first fit" in str(w.message)] == [__file__]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        est.partial_fit(known)  # only known levels: no warning


@pytest.mark.parametrize("Estimator", [*TYPED, VAETransformer])
def test_complex_columns_are_refused_by_name_at_fit_and_at_inference(Estimator):
    """A cast to float64 would drop the imaginary part silently (beside a nullable column it
    did), or fail deep in the encoding: one error that names the column."""
    rng = np.random.RandomState(0)
    z = rng.normal(size=60) + 1j * rng.normal(size=60)
    frames = [pd.DataFrame({"z": z, "flag": pd.array(rng.rand(60) > 0.5, dtype="boolean")}),
              pd.DataFrame({"a": rng.normal(size=60),
                            "n": pd.array(rng.randint(0, 3, 60), dtype="Int64"), "z": z}),
              pd.DataFrame({"a": rng.normal(size=60), "z": z.astype(object)})]
    for X in frames:
        with pytest.raises(ValueError, match="Complex data not supported: column.* 'z'"):
            make_fast(Estimator).fit(X)
    with pytest.raises(ValueError, match="Complex data not supported: X holds"):
        make_fast(Estimator).fit(frames[1].to_numpy(dtype=complex))
    fitted = make_fast(Estimator).fit(frames[1].assign(z=z.real))
    with pytest.raises(ValueError, match="Complex data not supported: column.* 'z'"):
        fitted.score_samples(frames[1])


def test_numeric_frames_come_back_in_their_dtypes_with_or_without_a_string_column():
    """An unrelated string column used to decide whether the denoiser's filled Int64 counts
    were whole numbers in an Int64 column or fractions in a float64 array; the AE's
    inverse_transform likewise, where the VAE always kept the dtypes."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"kids": pd.array(rng.randint(0, 4, 200), dtype="Int64"),
                      "score": rng.normal(size=200).astype(np.float32),
                      "n": pd.Series(rng.choice([1, 2, 3], 200).tolist(), dtype=object)})
    X.loc[:9, "kids"] = pd.NA
    X.loc[10:19, "n"] = None
    for frame in (X, X.assign(city=rng.choice(["Oslo", "Rome"], 200))):
        out = make_fast(DenoisingAutoencoder, random_state=0).fit(frame).transform(frame)
        assert isinstance(out, pd.DataFrame) and out.index.equals(frame.index)
        assert str(out["kids"].dtype) == "Int64" and out["score"].dtype == np.float32
        assert not out.isna().any().any()
        assert {type(v) for v in out["n"]} == {int}  # Python integers, filled ones too
        assert out["kids"].between(-10, 10).all()
    complete = X.dropna()
    ae = make_fast(AutoencoderTransformer, random_state=0).fit(complete)
    rows = ae.inverse_transform(ae.transform(complete))
    assert list(rows.dtypes.astype(str)) == ["Int64", "float32", "object"]
    # an array in, an array out, as before, when no typed column needs a frame
    dae = make_fast(DenoisingAutoencoder, random_state=0).fit(complete[["score"]])
    with pytest.warns(UserWarning, match="feature names"):  # scikit-learn's, for an array
        assert isinstance(dae.transform(complete[["score"]].to_numpy()), np.ndarray)


@pytest.mark.parametrize("Estimator", [*TYPED, VAETransformer])
def test_integers_beyond_2_53_in_a_continuous_column_are_read_as_numbers(Estimator):
    """Nanosecond timestamps are int64 beyond 2**53: a continuous column needs no exact
    integers, so they fit and score (they were refused as if they were codes); a column of
    levels still refuses them (tests/test_vae.py)."""
    rng = np.random.RandomState(0)
    ts = pd.Timestamp("2024-01-01").value + rng.randint(0, 10**9, 200).astype(np.int64) * 10**6
    X = pd.DataFrame({"t_ns": ts, "amount": rng.gamma(2.0, 10.0, 200)})
    for data in (X, X.to_numpy(np.int64)):
        est = make_fast(Estimator, random_state=0, column_types="continuous").fit(data)
        assert np.all(np.isfinite(est.score_samples(data)))
    with pytest.raises(ValueError, match=r"Column 't_ns' holds integers beyond 2\*\*53"):
        make_fast(Estimator, column_types={"t_ns": "categorical"}).fit(X)
    # the check leaves an X of another width to scikit-learn's messages (it indexed its
    # mask with the wrong width, an IndexError)
    typed = make_fast(Estimator, random_state=0).fit(X.assign(kind=rng.choice(["u", "v"], 200)))
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        typed.score_samples(X.assign(kind="u", extra=1))
    numeric = make_fast(Estimator, random_state=0).fit(X.to_numpy(np.int64))
    with pytest.raises(ValueError, match="X has 3 features"):
        numeric.score_samples(np.zeros((5, 3), dtype=np.int64))


@pytest.mark.parametrize("dtype", ["bool", "boolean", "bool[pyarrow]"])
def test_every_boolean_dtype_is_a_binary_column_and_comes_back_in_its_dtype(dtype):
    """arrow's bool was modelled as a continuous number, where NumPy's and pandas'
    nullable bool are binary columns."""
    if dtype == "bool[pyarrow]":
        pytest.importorskip("pyarrow")  # an optional pandas dependency
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=200),
                      "b": pd.array(rng.rand(200) > 0.5, dtype=dtype)})
    for Estimator in (*TYPED, VAETransformer):
        assert list(make_fast(Estimator).fit(X).column_types_) == ["continuous", "binary"]
    out = make_fast(DenoisingAutoencoder, random_state=0).fit(X).transform(X)
    assert str(out["b"].dtype) == dtype and set(out["b"]) <= {True, False}
