"""DenoisingAutoencoder: corruption, masked loss, denoising and imputation."""

import re

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skgen import DenoisingAutoencoder
from skgen.nn._denoising import masked_mse

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_torch_thread")]


def _low_rank(n, n_features=12, rank=3, seed=0):
    """Rows of one rank-3 distribution: the mixing matrix depends on ``seed`` only."""
    mixing = np.random.RandomState(seed).normal(size=(rank, n_features))
    return np.random.RandomState(seed + 1000).normal(size=(n, rank)) @ mixing


def _fast(**params):
    return DenoisingAutoencoder(**{"hidden_layer_sizes": (32,), "max_iter": 40, "device": "cpu",
                                   "random_state": 0, **params})


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# corrupt and masked_mse on their own are tested in tests/nn/test_denoising_module.py


def test_estimator_loss_on_a_batch_with_nan_does_not_see_hidden_values():
    est = _fast(max_iter=2, early_stopping=False).fit(_low_rank(60))
    batch = torch.randn(30, 12, generator=_gen(1))
    batch[::3, 4] = float("nan")
    est.module_.train()
    loss = est._loss(est.module_, batch, _gen(7))
    params = list(est.module_.parameters())
    grads = torch.autograd.grad(loss, params)
    assert torch.isfinite(loss) and all(torch.isfinite(g).all() for g in grads)
    # the training corruption happens in _corrupt; with it fixed, the loss is the
    # masked MSE against the clean observed entries
    noisy = est._corrupt(batch, _gen(7))
    expected = masked_mse(est.module_(noisy), batch, ~torch.isnan(batch))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    # validation batches (eval mode) get the same corruption every time
    est.module_.eval()
    assert est._loss(est.module_, batch, _gen(1)).item() == est._loss(est.module_, batch,
                                                                      _gen(2)).item()


# ------------------------------------------------------------------ denoising


def test_denoised_rows_are_closer_to_the_clean_rows_than_the_noisy_input():
    rng = np.random.RandomState(0)
    X = _low_rank(600)
    X_train, X_test = X[:500], X[500:]
    X_noisy = X_test + rng.normal(scale=0.5 * X.std(), size=X_test.shape)
    est = _fast(noise_level=0.5, mask_level=0.0, scaling="global", max_iter=60).fit(X_train)
    mse_noisy = np.mean((X_noisy - X_test) ** 2)
    mse_denoised = np.mean((est.transform(X_noisy) - X_test) ** 2)
    assert mse_denoised < 0.7 * mse_noisy


def test_transform_keeps_shape_dtype_units_and_names():
    X = _low_rank(200) * 1e3 + 5e3
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = _fast(max_iter=30).set_output(transform="pandas").fit(df)
    out = est.transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(df.columns)
    assert out.shape == df.shape
    # answers in the units of X (around 5e3), not in the internal scaled units (around 0)
    assert np.abs(out.to_numpy() - X).mean() < 0.5 * np.abs(X).mean()
    assert (est.transform(df.astype(np.float32)).dtypes == np.float32).all()


# ------------------------------------------------------------------ imputation


def _with_missing(X, rate, seed=0):
    mask = np.random.RandomState(seed).rand(*X.shape) < rate
    X_missing = X.copy()
    X_missing[mask] = np.nan
    return X_missing, mask


def test_imputation_fills_every_nan_and_beats_the_column_mean():
    X = _low_rank(500)
    X_missing, mask = _with_missing(X, 0.3)
    est = _fast().fit(X_missing)
    out = est.transform(X_missing)
    assert not np.isnan(out).any()
    rmse = np.sqrt(np.mean((out[mask] - X[mask]) ** 2))
    rmse_mean = np.sqrt(np.mean((np.nanmean(X_missing, axis=0)[np.nonzero(mask)[1]]
                                 - X[mask]) ** 2))
    assert rmse < 0.5 * rmse_mean


def test_keep_observed_only_fills_missing_entries():
    X = _low_rank(300)
    X_missing, mask = _with_missing(X, 0.2)
    est = _fast(keep_observed=True, max_iter=20).fit(X_missing)
    out = est.transform(X_missing)
    assert np.array_equal(out[~mask], X[~mask])
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(est.set_params(keep_observed=False).transform(X_missing), out)
    denoised = est.fit(X_missing).transform(X_missing)  # the parameter counts from the next fit
    assert not np.array_equal(denoised[~mask], X[~mask])
    np.testing.assert_array_equal(denoised[mask], out[mask])


def test_a_column_never_missing_in_training_is_filled_at_transform():
    X = _low_rank(500)
    X_missing, _ = _with_missing(X, 0.2)
    X_missing[:, 3] = X[:, 3]  # column 3 complete in training
    est = _fast().fit(X_missing)
    X_test = _low_rank(600)[500:]  # held-out rows of the same distribution
    X_test_missing = X_test.copy()
    X_test_missing[:, 3] = np.nan
    out = est.transform(X_test_missing)
    assert not np.isnan(out).any()
    rmse = np.sqrt(np.mean((out[:, 3] - X_test[:, 3]) ** 2))
    assert rmse < 0.5 * X[:, 3].std()


def test_an_all_nan_row_is_filled_near_the_column_means():
    X = _low_rank(400)
    X_missing, _ = _with_missing(X, 0.2)
    est = _fast().fit(X_missing)
    rows = np.vstack([X[:2], np.full((1, X.shape[1]), np.nan)])
    out = est.transform(rows)
    assert not np.isnan(out).any()
    # knowing nothing, the best guess is about the column mean: well within one std of it
    assert np.all(np.abs(out[2] - est.mean_) < 0.5 * est.scale_)
    assert np.isfinite(est.score_samples(rows)).all()
    # a training set with an all-NaN row fits too
    est.fit(np.vstack([X_missing, np.full((1, X.shape[1]), np.nan)]))


def test_fit_with_nan_rejects_inf_and_drops_into_a_pipeline(digits):
    X, y = digits
    X, y = X[:400], y[:400]
    X_missing, _ = _with_missing(X, 0.2)
    with pytest.raises(ValueError, match="infinity"):
        _fast().fit(np.where(np.isnan(X_missing), np.inf, X_missing))
    pipe = make_pipeline(_fast(max_iter=10, scaling="global"), LogisticRegression(max_iter=200))
    pipe.fit(X_missing, y)
    assert pipe.score(X_missing, y) > 0.8


# ------------------------------------------------------------------ scoring and parameters


def test_score_prefers_a_denoising_model_to_an_identity_map():
    """score hides entries, so learning to copy the input does not pay."""
    X = _low_rank(600)
    fitted = {lvl: _fast(noise="mask", noise_level=lvl, mask_level=0.0).fit(X[:500])
              for lvl in (0.0, 0.3)}
    assert fitted[0.3].score(X[500:]) > fitted[0.0].score(X[500:])
    scores = fitted[0.3].score_samples(X[500:])
    assert scores.shape == (100,) and np.all(scores <= 0)


def test_grid_search_tunes_without_a_scoring_argument():
    X = _low_rank(300)
    search = GridSearchCV(_fast(max_iter=10, noise="swap"), {"noise_level": [0.0, 0.3]}, cv=2)
    search.fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    assert abs(scores[0] - scores[1]) > 1e-3  # the default score tells the settings apart


@pytest.mark.parametrize("noise", ["mask", "swap"])
def test_probability_noise_level_above_one_is_a_clear_error(noise):
    with pytest.raises(ValueError, match="noise_level=1.5 is a probability"):
        _fast(noise=noise, noise_level=1.5).fit(_low_rank(20))
    fitted = _fast(noise=noise).fit(_low_rank(20))
    with pytest.raises(ValueError, match="noise_level=1.5 is a probability"):
        fitted.set_params(noise_level=1.5).partial_fit(_low_rank(20))  # resumed fits too


def test_training_is_reproducible_with_missing_values():
    X_missing, _ = _with_missing(_low_rank(100), 0.3)
    a = _fast(max_iter=3, noise="swap").fit(X_missing).transform(X_missing)
    b = _fast(max_iter=3, noise="swap").fit(X_missing).transform(X_missing)
    c = _fast(max_iter=3, noise="swap", random_state=1).fit(X_missing).transform(X_missing)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)



def test_a_column_with_no_observed_value_warns_and_an_empty_x_is_refused():
    """As SimpleImputer warns about features without observed values: the model cannot
    learn such a column, and an X with nothing observed leaves nothing to learn."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    X[:, 1] = np.nan
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    typed = frame.assign(a=pd.Series(["u", "v"] * 20, dtype="category"))  # a level column
    for data, named in ((X, "1"), (frame, "1 ('b')"), (typed, "1 ('b')")):
        with pytest.warns(UserWarning, match=rf"Column\(s\) {re.escape(named)} of X have no "
                                             "observed value") as caught:
            DenoisingAutoencoder(max_iter=2, random_state=0).fit(data)
        # the warning points at the call, not inside skgen
        assert [w.filename for w in caught if "observed" in str(w.message)] == [__file__]
    with pytest.raises(ValueError, match="X has no observed value"):  # nor in a level column
        DenoisingAutoencoder(max_iter=2).fit(pd.DataFrame({"s": [None] * 20, "x": np.nan}))
    for scaling in ("auto", None):
        with pytest.raises(ValueError, match="X has no observed value"):
            DenoisingAutoencoder(max_iter=2, scaling=scaling).fit(np.full((20, 3), np.nan))


def test_a_batch_whose_column_is_all_missing_is_filled_whatever_its_dtype():
    """One record with an empty cell (an object None in a numeric column), or read_csv's
    float64 column of blanks where the fit had strings: the cells are filled, as
    SimpleImputer fills them, not refused as a column of another type."""
    import io

    rng = np.random.RandomState(0)
    train = pd.DataFrame({"age": rng.randint(20, 70, 200).astype(float),
                          "income": rng.normal(3000, 1000, 200),
                          "city": rng.choice(["Oslo", "Rome", "Lima"], 200)})
    model = DenoisingAutoencoder(max_iter=3, random_state=0).fit(train)
    record = pd.DataFrame([{"age": None, "income": 2500.0, "city": "Rome"}])
    assert record["age"].dtype == object
    blanks = pd.read_csv(io.StringIO("age,income,city\n40,2500,\n30,,\n"))
    assert blanks["city"].dtype == np.float64
    for batch in (record, blanks):
        out = model.transform(batch)
        assert not out.isna().any().any()
        assert set(out["city"]) <= {"Oslo", "Rome", "Lima"}
    numeric_only = DenoisingAutoencoder(max_iter=3, random_state=0).fit(train[["age", "income"]])
    filled = numeric_only.transform(record[["age", "income"]])
    assert np.isfinite(filled.to_numpy(dtype=float)).all()
    assert (filled.dtypes == np.float64).all()  # the training dtype, not the record's object
    # an object column of a number and pd.NA (float() refuses pd.NA)
    partly = pd.DataFrame({"age": pd.Series([30.0, pd.NA], dtype=object), "income": [1.0, 2.0]})
    assert np.isfinite(numeric_only.transform(partly).to_numpy(dtype=float)).all()
    # a column that holds values of the other type is still refused, naming it
    with pytest.raises(ValueError, match="'city' was non-numeric at fit"):
        model.transform(train.assign(city=1.0))
