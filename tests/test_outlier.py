"""Behaviour of AEOutlierDetector beyond the common checks."""


import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from scipy.stats import median_abs_deviation
from sklearn.datasets import load_digits
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils._param_validation import InvalidParameterError

import skgen._outlier
from skgen import AEOutlierDetector
from skgen._outlier import AUTO_THRESHOLD
from skgen._outlier_shape import part_weights
from skgen._statistics import surprisal

from .conftest import weight_bytes

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (16,), "max_iter": 15, "n_estimators": 2, "device": "cpu",
        "random_state": 0}


def _manifold(n, rng):
    """Rows near a 2-D curved manifold in 8-D, columns on different scales."""
    z = rng.uniform(-1, 1, size=(n, 2))
    W = np.random.RandomState(7).normal(size=(2, 8))
    X = np.tanh(z @ W) + 0.02 * rng.normal(size=(n, 8))
    return X * np.array([1, 10, 100, 0.1, 1, 5, 50, 2])


@pytest.fixture(scope="module")
def planted():
    """600 normal rows plus 30 anomalies that break the manifold (in training too)."""
    rng = np.random.RandomState(0)
    X = _manifold(630, rng)
    anomalies = _manifold(30, np.random.RandomState(1))
    # each anomaly gets a few of its columns replaced by values from other rows:
    # every column stays in range, only the joint structure is broken
    for row in anomalies:
        cols = rng.choice(8, size=3, replace=False)
        row[cols] = X[rng.randint(600, size=3), cols]
    X[600:] = anomalies
    y = np.r_[np.zeros(600), np.ones(30)]
    return X, y


@pytest.fixture(scope="module")
def fitted(planted):
    X, _ = planted
    return AEOutlierDetector(**FAST).fit(X)


def test_planted_anomalies_are_found(planted, fitted):
    X, y = planted
    assert roc_auc_score(y, -fitted.score_samples(X)) > 0.95
    # and on fresh data drawn the same way
    rng = np.random.RandomState(5)
    X_new = _manifold(200, rng)
    bad = X_new[:20].copy()
    bad[:, :3] = X_new[rng.permutation(200)[:20], :3]
    scores = fitted.score_samples(np.vstack([X_new[20:], bad]))
    assert roc_auc_score(np.r_[np.zeros(180), np.ones(20)], -scores) > 0.9


def test_trimmed_loss_is_more_robust_than_plain_mse(planted):
    """With many anomalies in training, trimming keeps them badly reconstructed (the
    reconstruction part of the score: the neighbour parts do not depend on the loss)."""
    X, y = planted
    plain = AEOutlierDetector(**{**FAST, "trim_fraction": 0.0}).fit(X)
    trimmed = AEOutlierDetector(**{**FAST, "trim_fraction": 0.2}).fit(X)
    gap = [np.median(d.score_parts(X[y == 1])[:, 0]) / np.median(d.score_parts(X[y == 0])[:, 0])
           for d in (plain, trimmed)]
    assert gap[1] > gap[0]


@pytest.mark.parametrize("contamination", [0.05, 0.25])
def test_predict_flags_the_contamination_share(planted, contamination):
    X = planted[0][::2]  # 315 rows
    det = AEOutlierDetector(**{**FAST, "contamination": contamination, "max_iter": 5}).fit(X)
    labels = det.predict(X)
    assert labels.dtype.kind == "i" and set(np.unique(labels)) == {-1, 1}
    assert abs(np.sum(labels == -1) - contamination * len(X)) <= 1
    np.testing.assert_array_equal(det.fit_predict(X), labels)


def test_decision_function_score_samples_and_offset_agree(planted, fitted):
    X, _ = planted
    scores, decision = fitted.score_samples(X), fitted.decision_function(X)
    assert scores.dtype == np.float64 and scores.shape == (len(X),)
    np.testing.assert_allclose(decision, scores - fitted.offset_)
    np.testing.assert_array_equal(fitted.predict(X), np.where(decision >= 0, 1, -1))
    assert np.all(scores <= 0)  # a negative error


def test_data_shifted_far_away_is_flagged(planted, fitted):
    X, _ = planted
    shifted = X[:50] + 20 * X.std(axis=0)
    assert np.all(fitted.predict(shifted) == -1)
    assert fitted.score_samples(shifted).max() < fitted.score_samples(X).min()


def test_auto_rule_is_the_documented_robust_threshold(planted, fitted):
    X, y = planted  # no duplicated rows: the statistics come from every row
    errors = -fitted.score_samples(X)
    # AUTO_THRESHOLD robust standard deviations (scipy's normal-consistent MAD) above the
    # median; the rule reads each training row left out of the density part's 50 neighbours
    # (test_auto_threshold_flags_new_rows_as_rarely_as_training_rows), which score_samples
    # of a training row counts among them: a percent or so apart
    spread = median_abs_deviation(errors, scale="normal")
    assert fitted.offset_ == pytest.approx(-(np.median(errors) + AUTO_THRESHOLD * spread),
                                           rel=0.02)
    flagged = fitted.predict(X) == -1
    # it catches most planted anomalies and few normal rows (5 % anomalies here)
    assert flagged[y == 1].mean() > 0.7
    assert flagged[y == 0].mean() < 0.05


@pytest.mark.parametrize("experts", ["autoencoder", "all"])
def test_auto_threshold_flags_new_rows_as_rarely_as_training_rows(experts):
    """The 'auto' rule reads the training rows as new rows would score, each left out of
    the neighbour references: read as the references they are (each its own nearest, at
    distance 0), they looked more typical than any new row, and with experts='all' the
    threshold flagged 6.5% of new rows from the training distribution where it flagged
    2% of the training rows (seeds 0-2 here; 2% once fixed, as the autoencoder alone)."""
    rng = np.random.RandomState(0)
    W = rng.normal(size=(3, 8))

    def draw(n, seed):
        r = np.random.RandomState(seed)
        return np.tanh(r.normal(size=(n, 3)) @ W) + 0.1 * r.normal(size=(n, 8))

    det = AEOutlierDetector(**{**FAST, "n_estimators": 1, "max_iter": 30,
                               "experts": experts}).fit(draw(1000, 1))
    assert np.mean(det.predict(draw(5000, 2)) == -1) < 0.04


def test_auto_threshold_allows_for_the_autoencoders_fit_to_their_training_rows():
    """Fitted on 100 digits, the autoencoder reconstructs them several times better than
    digits it never saw, and the 'auto' threshold read off them flagged half of the
    other digits (46%; IsolationForest's 5% share: 11%). It reads the reconstruction part
    of the trained rows scaled to the held-out rows' (the early-stopping ones)."""
    X = load_digits().data[np.random.RandomState(0).permutation(1797)]
    det = AEOutlierDetector(random_state=0).fit(X[:100])
    assert np.mean(det.predict(X[1000:]) == -1) < 0.25
    # a continued fit holds no rows out of a new training: it keeps the first fit's ratio
    # (a warm start's new split, of rows the module had trained on, flagged 35%; a
    # partial_fit, with no split at all, 47%)
    det.set_params(warm_start=True).fit(X[:100])
    assert np.mean(det.predict(X[1000:]) == -1) < 0.25
    det.partial_fit(X[:100])
    assert np.mean(det.predict(X[1000:]) == -1) < 0.25


@pytest.mark.parametrize("experts", ["autoencoder", "all"])
def test_a_threshold_tied_with_most_training_scores_flags_none_of_them(experts):
    """One row of 1e150 among 299 ordinary ones: every other row's score is clamped to the
    same value, the spread is 0 and the threshold is that value. Computed apart from
    score_samples it came out one rounding above it, and every row was flagged."""
    X = np.random.RandomState(0).normal(size=(300, 4))
    X[0] = 1e150
    det = AEOutlierDetector(max_iter=3, random_state=0, experts=experts).fit(X)
    assert np.sum(det.predict(X) == -1) <= 1
    if experts == "autoencoder":
        # nor in the other float type's rounding: fitted on float32 rows (one of 3e38), the
        # same rows in float64. (With experts='all' the tie sits where the surprisal maps
        # are steepest, up to 1e6 per unit: float32's rounding moves it by far more than
        # its own size, see _KNOT_GAP.)
        X32 = np.random.RandomState(0).normal(size=(300, 4)).astype(np.float32)
        X32[0] = 3e38
        det = AEOutlierDetector(max_iter=3, random_state=0, experts=experts).fit(X32)
        assert np.sum(det.predict(X32.astype(np.float64)) == -1) <= 1


@pytest.mark.parametrize("experts", ["autoencoder", "all"])
def test_a_code_that_overflows_scores_lowest_not_an_error(experts):
    """float32 rows of 3e38 overflow the network's float32 codes: the row is infinitely far
    from every reference, and scores the lowest float64 (the neighbour search refused it)."""
    X = np.random.RandomState(0).normal(size=(300, 4)).astype(np.float32)
    det = AEOutlierDetector(max_iter=3, random_state=0, experts=experts).fit(X)
    scores = det.score_samples(np.array([[3e38, 3e38, -3e38, 3e38], X[0]], dtype=np.float32))
    assert scores[0] == np.finfo(np.float64).min and np.isfinite(scores[1])


def test_a_module_that_computes_nan_on_ordinary_rows_is_an_error(planted):
    """A NaN score of a row too large for X's float type is an overflow, and scores lowest;
    of an ordinary row it is the module's doing, and an error says so, not a silent NaN or
    a silent 'most anomalous'."""
    X, _ = planted
    det = AEOutlierDetector(**FAST).fit(X)
    with torch.no_grad():
        next(det.module_.parameters()).fill_(float("nan"))
    with pytest.raises(ValueError, match="NaN score for 630 finite row"):
        det.score_samples(X)


def test_the_fit_reads_its_training_rows_scores_from_the_right_rows(monkeypatch):
    """With fewer sizing rows than reference rows, the threshold's rows and the density
    part's are different sets searched together: the typical half kept as baselines for
    feature_contributions is the half that score_samples puts above the median."""
    monkeypatch.setattr(skgen._outlier, "_SIZE_ROWS", 40)
    monkeypatch.setattr(skgen._outlier, "_REFERENCE_ROWS", 150)
    X = _manifold(600, np.random.RandomState(4))
    det = AEOutlierDetector(**FAST).fit(X)
    sizing = X[::15]  # every 15th of the 600 distinct rows: 40
    scores = det.score_samples(sizing)
    typical = sizing[scores >= np.median(scores)]
    assert_array_equal(det.baseline_rows_, (typical - det.mean_) / det.scale_)


def test_auto_rule_flags_nothing_much_on_clean_data():
    """Clean rows on a curved manifold: a few in the tails of the codes are flagged, a
    fraction of what IsolationForest's 'auto' rule flags (a third of them here)."""
    X = _manifold(600, np.random.RandomState(3))
    det = AEOutlierDetector(**FAST).fit(X)
    forest = IsolationForest(random_state=0).fit(X)
    assert np.mean(det.predict(X) == -1) < min(0.05, 0.2 * np.mean(forest.predict(X) == -1))


@pytest.mark.parametrize("n_repeated", [600, 900])
@pytest.mark.parametrize("n_features", [6, 20])
def test_a_table_of_mostly_one_repeated_row_is_not_flagged_wholesale(n_features, n_repeated):
    """600 of 1,000 rows are one record repeated: the statistics count it once, so the
    other 400 keep typical scores instead of all being flagged (as they were when the
    medians and the MAD of the threshold collapsed on the ties), and fewer are flagged
    than by IsolationForest. With 900, every row the trimmed loss keeps is that record,
    so every reference code is one code: the density part used to keep a scale of 1 and
    score the other rows near 1e13."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, n_features)) @ rng.normal(size=(n_features, n_features))
    X[:n_repeated] = X[0]
    det = AEOutlierDetector(random_state=0).fit(X)
    flagged = np.sum(det.predict(X) == -1)
    assert flagged < 0.1 * (1000 - n_repeated)
    assert flagged < np.sum(IsolationForest(random_state=0).fit(X).predict(X) == -1)
    parts = det.score_parts(X[n_repeated:])
    assert np.all((0.5 < np.median(parts, axis=0)) & (np.median(parts, axis=0) < 2))


def test_defaults_and_fitted_attributes(planted, fitted):
    X, _ = planted
    assert AEOutlierDetector().contamination == "auto"
    assert AEOutlierDetector().n_estimators == 1
    assert fitted.n_components_ == 3  # 8 columns: at least ceil(sqrt(8)), at most 8 // 3 = 2
    assert fitted.n_scored_components_ == 3
    assert len(fitted.module_.members) == 2
    assert fitted.feature_error_scale_.shape == (8,) and np.all(fitted.feature_error_scale_ > 0)
    det = AEOutlierDetector(**{**FAST, "n_components": 2, "n_estimators": 1, "max_iter": 2})
    det.fit(X[:100])
    assert det.n_components_ == 2 and len(det.module_.members) == 1
    assert det.n_scored_components_ == 2  # never more than the code has
    assert det.code_mean_.shape == det.code_scale_.shape == (2,)


def _low_rank(n, rank, n_features, noise, seed):
    """Rows in a ``rank``-dimensional subspace, every axis of it with the same variance."""
    rng = np.random.RandomState(seed)
    latent = np.linalg.qr(rng.normal(size=(n, rank)))[0] * np.sqrt(n)  # white: equal variances
    axes = np.linalg.qr(rng.normal(size=(n_features, rank)))[0].T
    return latent @ axes + noise * rng.normal(size=(n, n_features))


@pytest.mark.parametrize("rank, n_features, expected", [
    (8, 30, 8),    # the spectrum decides: 7 of the 8 equal axes hold less than 90%
    (2, 30, 6),    # at least ceil(sqrt(30)) = 6 codes
    (30, 30, 10),  # a flat spectrum: at most 30 // 3 = 10 codes
    (2, 4, 2),     # 4 columns: ceil(sqrt(4)) = 2
])
def test_auto_components_follow_the_spectrum(rank, n_features, expected):
    X = _low_rank(400, rank, n_features, noise=0.01, seed=0)
    det = AEOutlierDetector(**{**FAST, "max_iter": 1, "scaling": None}).fit(X)
    assert det.n_components_ == expected
    assert det.module_.members[0].encoder.linear.out_features == expected
    # the latent and density parts read the leading ceil(sqrt(p)) units only
    assert det.n_scored_components_ == min(expected, int(np.ceil(np.sqrt(n_features))))
    assert det.reference_codes_.shape[1] == 2 * det.n_scored_components_  # two members


def test_auto_max_iter_spends_a_step_budget_not_a_number_of_epochs():
    """A small X gets many epochs of one step, a large X few epochs of many steps."""
    params = {**FAST, "n_estimators": 1, "early_stopping": False, "n_iter_no_change": 10_000}
    assert AEOutlierDetector().max_iter == "auto"
    small = AEOutlierDetector(**{**params, "max_iter": "auto"}).fit(_low_rank(100, 2, 4, 0.1, 0))
    large = AEOutlierDetector(**{**params, "max_iter": "auto"}).fit(
        _low_rank(20_000, 2, 4, 0.1, 1))
    assert small.n_iter_ == 200  # 1 step an epoch, at most 200 epochs
    assert large.n_iter_ == 15  # 20 steps an epoch: 300 steps


def test_auto_scaling_shares_one_scale_on_pixels_only(planted):
    """Mixed units are scaled per column; pixel-like columns with one range share a scale."""
    from sklearn.datasets import load_digits

    X, _ = planted
    assert AEOutlierDetector().scaling == "auto"
    assert AEOutlierDetector(**{**FAST, "max_iter": 1}).fit(X).scaling_ == "standard"
    pixels = load_digits().data[:300]
    det = AEOutlierDetector(**{**FAST, "max_iter": 1}).fit(pixels)
    assert det.scaling_ == "global" and np.unique(det.scale_).size == 1


@pytest.mark.parametrize("param, value", [("contamination", 0.6), ("contamination", 0.0),
                                          ("contamination", "some"), ("n_estimators", 0),
                                          ("trim_fraction", 0.5), ("n_components", 0),
                                          ("max_iter", "some"), ("max_iter", 0)])
def test_invalid_parameters_are_named(planted, param, value):
    X, _ = planted
    with pytest.raises(InvalidParameterError, match=param):
        AEOutlierDetector(**{**FAST, param: value}).fit(X)


def test_works_in_a_pipeline_and_with_dataframes(planted):
    import pandas as pd
    X, y = planted
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    pipe = make_pipeline(MinMaxScaler(), AEOutlierDetector(**FAST)).fit(df)
    assert roc_auc_score(y, -pipe.score_samples(df)) > 0.9
    assert set(pipe.predict(df)) <= {-1, 1}
    np.testing.assert_allclose(pipe.decision_function(df),
                               pipe.score_samples(df) - pipe[-1].offset_)


@pytest.mark.parametrize("n_samples", [2, 3, 4, 12])
def test_tiny_training_sets_score_their_own_rows_as_typical(n_samples):
    """From a handful of rows the statistics come from all of them (the trimmed loss keeps
    all of fewer than 1 / trim_fraction rows) and the exact reconstruction of as few rows
    as code units + 1 does not magnify the other rows' errors: no training row scores
    orders of magnitude below the typical -1 (on the previous code, 3 rows gave -5e7)."""
    X = np.random.RandomState(0).normal(size=(n_samples, 4))
    det = AEOutlierDetector(random_state=0).fit(X)
    scores = det.score_samples(X)
    assert np.all(np.isfinite(scores))
    assert scores.min() > -100


def test_the_convergence_warning_names_the_epochs_that_max_iter_auto_ran():
    X = np.random.RandomState(0).normal(size=(60, 4))
    det = AEOutlierDetector(early_stopping=False, n_iter_no_change=1000, random_state=0)
    with pytest.warns(ConvergenceWarning) as record:
        det.fit(X)
    message = str(record[0].message)
    assert f"not converged after {det.n_iter_} epochs" in message
    assert "max_iter='auto'" in message


def test_score_parts_are_the_three_counts_that_score_samples_averages():
    """By default (``experts='autoencoder'``) the score is the autoencoder's three parts,
    weighted by ``part_weights_``."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 8)) + 0.1 * rng.normal(size=(300, 8))
    det = AEOutlierDetector(max_iter=20, random_state=0).fit(X)
    parts = det.score_parts(X)
    assert det.experts_ == ("autoencoder",)
    assert parts.shape == (300, 3) and parts.dtype == np.float64 and np.all(parts >= 0)
    np.testing.assert_array_equal(det.part_weights_, np.full(3, 1 / 3))  # more rows than columns
    np.testing.assert_allclose(-parts.mean(axis=1), det.score_samples(X), rtol=1e-6)
    assert np.all((0.5 < np.median(parts, axis=0)) & (np.median(parts, axis=0) < 2))  # scaled
    off_manifold = X[:5] + 10 * rng.normal(size=(5, 8))  # leaves the 3-dimensional subspace
    assert np.all(det.score_parts(off_manifold)[:, 0] > np.quantile(parts[:, 0], 0.99))


def _experts(det, parts):
    """The three experts of the score from its five parts: the autoencoder's weighted
    parts, the local part and the broad part."""
    return parts[:, :3] @ det.part_weights_, parts[:, 3], parts[:, 4]


def test_score_is_the_mean_surprisal_of_three_experts():
    """With ``experts='all'``, ``score_samples`` is minus the mean of the experts' surprisals,
    each read off the
    expert's training values (each training row leaving itself out of its neighbours): a
    new row like the training rows is near ``log 2`` on each, a row beyond every training
    row far above ``log 100``."""
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(3, 8))
    X = rng.normal(size=(600, 3)) @ mixing + 0.1 * rng.normal(size=(600, 8))
    det = AEOutlierDetector(max_iter=20, random_state=0, experts="all").fit(X[:300])
    assert det.experts_ == ("autoencoder", "local", "broad")
    X = X[300:]  # new rows from the same distribution
    parts = det.score_parts(X)
    assert parts.shape == (300, 5) and parts.dtype == np.float64 and np.all(parts >= 0)
    np.testing.assert_array_equal(det.part_weights_, np.full(3, 1 / 3))  # more rows than columns
    assert np.all((0.5 < np.median(parts, axis=0)) & (np.median(parts, axis=0) < 2))  # scaled
    surprisals = np.stack([surprisal(e, det.surprisal_knots_[i], det.surprisal_tails_[i])
                           for i, e in enumerate(_experts(det, parts))], axis=1)
    np.testing.assert_allclose(-surprisals.mean(axis=1), det.score_samples(X), rtol=1e-6)
    assert np.all(np.abs(np.median(surprisals, axis=0) - np.log(2)) < 0.3)
    off_manifold = X[:5] + 10 * rng.normal(size=(5, 8))  # leaves the 3-dimensional subspace
    assert np.all(det.score_parts(off_manifold)[:, 0] > np.quantile(parts[:, 0], 0.99))
    assert np.all(-det.score_samples(off_manifold) > np.log(100))


def _clusters(rng, n_rows, centres, spread):
    return np.vstack([c + spread * rng.normal(size=(n_rows // len(centres), len(c)))
                      for c in centres])


def test_local_anomalies_between_clusters_are_found():
    """Rows in the empty space between two tight clusters, inside the span of the data:
    a Gaussian of the codes (the latent part) rates them more typical than the clusters'
    own rows, the local part flags them."""
    rng = np.random.RandomState(0)
    centres = np.array([[-4.0, 0, 0, 0], [4.0, 0, 0, 0]])
    X = _clusters(rng, 1000, centres, 0.5)
    between = np.c_[rng.uniform(-1.5, 1.5, 40), 0.5 * rng.normal(size=(40, 3))]
    det = AEOutlierDetector(random_state=0, experts="all").fit(X)
    normal = _clusters(np.random.RandomState(1), 400, centres, 0.5)
    y = np.r_[np.zeros(400), np.ones(40)]
    rows = np.vstack([normal, between])
    parts = det.score_parts(rows)
    assert roc_auc_score(y, parts[:, 1]) < 0.5 < 0.9 < roc_auc_score(y, parts[:, 3])
    # the score (the experts' mean) ranks them far better than the autoencoder expert alone
    autoencoder = roc_auc_score(y, _experts(det, parts)[0])
    assert roc_auc_score(y, -det.score_samples(rows)) > max(0.75, autoencoder + 0.1)


def test_a_cluster_of_anomalies_in_training_does_not_mask_itself():
    """5% of the training rows are one tight cluster far from the rest: the local part
    rates them normal (each has close neighbours, its own cluster) but the broad part,
    whose neighbourhood is a tenth of the rows, flags them."""
    rng = np.random.RandomState(0)
    normal = rng.normal(size=(950, 6)) @ rng.normal(size=(6, 6))
    cluster = 4 * normal.std(axis=0) + 0.05 * rng.normal(size=(50, 6))
    det = AEOutlierDetector(random_state=0, experts="all").fit(np.vstack([normal, cluster]))
    new_normal = normal[:200] + 0.1 * rng.normal(size=(200, 6))
    new_cluster = 4 * normal.std(axis=0) + 0.05 * rng.normal(size=(20, 6))
    rows, y = np.vstack([new_normal, new_cluster]), np.r_[np.zeros(200), np.ones(20)]
    parts = det.score_parts(rows)
    assert roc_auc_score(y, parts[:, 3]) < 0.5 < roc_auc_score(y, parts[:, 4])
    assert roc_auc_score(y, parts[:, 4]) > 0.95
    assert roc_auc_score(y, -det.score_samples(rows)) > 0.9


@pytest.mark.parametrize("n_samples", [30, 59, 60, 200])
def test_code_parts_weigh_less_with_fewer_rows_than_columns(n_samples):
    """``part_weights_``: equal from as many rows as columns, and the latent and density
    parts shrink with the rows per column below that; the score (and with
    ``experts='all'`` the autoencoder expert) is their weighted mean."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, 4)) @ rng.normal(size=(4, 60))
    X += 0.1 * rng.normal(size=X.shape)
    det = AEOutlierDetector(max_iter=5, random_state=0).fit(X)
    # the rule of part_weights (tested in test_outlier_shape) on all the rows, not the split
    np.testing.assert_array_equal(det.part_weights_, part_weights(n_samples, 60))
    equal = n_samples >= 60
    assert (det.part_weights_[0] > det.part_weights_[1]) != equal
    np.testing.assert_allclose(-det.score_parts(X) @ det.part_weights_, det.score_samples(X),
                               rtol=1e-6)
    det = AEOutlierDetector(max_iter=5, random_state=0, experts="all").fit(X)
    np.testing.assert_array_equal(det.part_weights_, part_weights(n_samples, 60))
    surprisals = [surprisal(e, det.surprisal_knots_[i], det.surprisal_tails_[i])
                  for i, e in enumerate(_experts(det, det.score_parts(X)))]
    np.testing.assert_allclose(-np.mean(surprisals, axis=0), det.score_samples(X), rtol=1e-6)


def test_experts_all_is_saved_and_loaded_with_its_neighbour_searches(planted):
    """The local and broad searches are rebuilt from the saved reference rows."""
    import pickle

    X, _ = planted
    det = AEOutlierDetector(**FAST, experts="all").fit(X)
    loaded = pickle.loads(pickle.dumps(det))
    np.testing.assert_array_equal(loaded.score_samples(X), det.score_samples(X))
    np.testing.assert_array_equal(loaded.feature_contributions(X[:3]),
                                  det.feature_contributions(X[:3]))


def _real_table(name):
    """Train and held-out rows of a real table that scikit-learn ships: the digits (pixels,
    one range) or the breast cancer measurements (30 columns in units from 1e-3 to 1e3)."""
    from sklearn import datasets

    X = getattr(datasets, f"load_{name}")().data
    return train_test_split(X, test_size=0.3, random_state=0)


@pytest.mark.parametrize("name", ["digits", "breast_cancer"])
def test_feature_contributions_name_a_column_shifted_by_six_deviations(name):
    """Held-out normal rows with one column shifted by 6 of its standard deviations: that
    column has the largest contribution for at least 90% of them, whichever column it is."""
    X_train, X_test = _real_table(name)
    det = AEOutlierDetector(random_state=0).fit(X_train)
    std = X_train.std(axis=0)
    for column in np.argsort(-std)[:: max(1, X_train.shape[1] // 4)][:4]:  # 4 spread columns
        shifted = X_test[:50].copy()
        shifted[:, column] += 6 * std[column]
        contributions = det.feature_contributions(shifted)
        assert contributions.shape == shifted.shape
        assert np.mean(np.argmax(contributions, axis=1) == column) >= 0.9, column


def test_feature_contributions_add_up_to_the_score_above_the_baseline():
    """Integrated gradients are complete: a row's contributions sum to its anomaly score
    minus that of its baseline, the nearest of ``baseline_rows_``, up to the error of the
    32-point path average, which the kinks of the neighbour parts (a neighbour swapped for
    another along the path) make a few percent on a typical row."""
    X_train, X_test = _real_table("digits")
    det = AEOutlierDetector(max_iter=30, random_state=0).fit(X_train)
    rows = X_test[:20]
    scaled = (rows - det.mean_) / det.scale_
    nearest = np.argmin(((scaled[:, None, :] - det.baseline_rows_[None]) ** 2).sum(-1), axis=1)
    baselines = det.baseline_rows_[nearest] * det.scale_ + det.mean_
    gap = det.score_samples(baselines) - det.score_samples(rows)
    sums = det.feature_contributions(rows).sum(axis=1)
    error = np.abs(sums - gap) / (np.abs(gap) + 0.01)
    assert np.median(error) < 0.05 and np.max(error) < 0.25, error
    # a typical baseline: the training rows it comes from score above the median
    assert np.all(det.score_samples(baselines) >= np.median(det.score_samples(X_train)) - 1e-9)


def test_feature_contributions_keep_the_feature_names_under_set_output(planted):
    import pandas as pd
    from sklearn import config_context

    X, _ = planted
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])], index=np.arange(630) + 7)
    det = AEOutlierDetector(**FAST).fit(df)
    plain = det.feature_contributions(df)
    assert isinstance(plain, np.ndarray) and plain.shape == X.shape
    framed = det.set_output(transform="pandas").feature_contributions(df)
    assert isinstance(framed, pd.DataFrame)
    assert list(framed.columns) == list(df.columns) and list(framed.index) == list(df.index)
    np.testing.assert_array_equal(framed.to_numpy(), plain)
    with config_context(transform_output="pandas"):  # the estimator's own setting wins
        assert isinstance(det.set_output(transform="default").feature_contributions(df),
                          np.ndarray)
    unnamed = AEOutlierDetector(**FAST).fit(X)
    with config_context(transform_output="pandas"):  # no setting of its own: the global one
        assert list(unnamed.feature_contributions(X[:3]).columns) == [f"x{i}" for i in range(8)]


def test_max_samples_trains_on_a_random_subset_of_the_rows(planted):
    """``max_samples``: the autoencoders train on that many rows (all of them for a table
    up to 20,000 rows by default, so 'auto', the row count and 1.0 give one model), fewer
    rows give another model, and the score's statistics still read every row."""
    X, y = planted
    params = {**FAST, "n_estimators": 1}
    default = AEOutlierDetector(**params).fit(X)
    for every_row in (len(X), 1.0, 10 * len(X)):
        same = AEOutlierDetector(**params, max_samples=every_row).fit(X)
        assert weight_bytes(same) == weight_bytes(default), every_row
    half = AEOutlierDetector(**params, max_samples=0.5).fit(X)
    assert weight_bytes(half) != weight_bytes(default)
    assert half.loss_curve_ != default.loss_curve_
    # the reference rows come from all the training rows the loss keeps, not the subset
    assert len(half.reference_codes_) == len(default.reference_codes_)
    assert roc_auc_score(y, -half.score_samples(X)) > 0.9


def test_max_samples_is_a_row_count_or_a_share():
    X = np.random.RandomState(0).normal(size=(50, 3))
    for bad in (0, -1, 1.5, 0.0, "all", True):
        with pytest.raises(ValueError, match="max_samples"):
            AEOutlierDetector(max_samples=bad).fit(X)


def test_feature_contributions_of_a_huge_float32_value_name_its_column():
    """A float32 row holding a fill value (netCDF's 9.97e36): the contributions are finite
    and name that column (they were all NaN: the squares overflowed float32)."""
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))).astype(np.float32)
    det = AEOutlierDetector(random_state=0, max_iter=5).fit(X)
    row = X[:1].copy()
    row[0, 4] = np.float32(9.96921e36)
    contributions = det.feature_contributions(row)
    assert contributions.dtype == np.float32 and np.all(np.isfinite(contributions))
    assert np.argmax(contributions[0]) == 4


@pytest.mark.parametrize("experts", ["autoencoder", "all"])
def test_a_float64_value_too_large_to_square_is_explained_and_its_parts_are_finite(experts):
    """A float64 entry of 1e160 or more overflows a squared distance: its contributions
    were all NaN and its parts inf, while score_samples is finite. Now they are finite, and
    the column holding it comes first."""
    X = np.random.RandomState(0).normal(size=(300, 4))
    det = AEOutlierDetector(random_state=0, max_iter=5, experts=experts).fit(X)
    rows = np.zeros((3, 4))
    rows[0, 0], rows[1, 0], rows[2, 2] = 1e160, 1e300, -1e200
    for values in (det.score_samples(rows), det.score_parts(rows),
                   det.feature_contributions(rows)):
        assert np.all(np.isfinite(values))
    np.testing.assert_array_equal(np.argmax(np.abs(det.feature_contributions(rows)), axis=1),
                                  [0, 0, 2])


def test_feature_contributions_in_batches_of_working_memory_are_the_same(fitted, planted):
    """``feature_contributions`` sizes its batches to scikit-learn's ``working_memory``
    (each path point measures its distances to every reference row): a budget that
    allows a row or two at a time gives the same contributions."""
    from sklearn import config_context

    rows = planted[0][:5]
    expected = fitted.feature_contributions(rows)
    with config_context(working_memory=1):
        np.testing.assert_allclose(fitted.feature_contributions(rows), expected,
                                   rtol=1e-10, atol=1e-12)


def test_feature_contributions_of_read_only_rows_warn_nothing():
    """pandas 3 hands out read-only arrays; torch warned that they are not writable."""
    import warnings

    X = np.random.RandomState(0).normal(size=(300, 4))
    det = AEOutlierDetector(**FAST).fit(X)
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        contributions = det.feature_contributions(X[:3])
    assert contributions.shape == (3, 4) and np.all(np.isfinite(contributions))


def test_partial_fit_statistics_read_the_rows_of_every_call():
    """The threshold and references come from the rows of all partial_fit calls, so a
    small last chunk cannot decide them (it used to: a final one-row chunk set
    contamination's threshold from that row alone, and every row was flagged)."""
    X = _manifold(600, np.random.default_rng(0))
    det = AEOutlierDetector(contamination=0.1, hidden_layer_sizes=(16,), random_state=0)
    for start in range(0, 600, 100):
        det.partial_fit(X[start:start + 100])
    assert det.reference_codes_.shape[0] > 500  # the kept rows of all six chunks
    assert abs(np.mean(det.predict(X) == -1) - 0.1) < 0.01
    offset = det.offset_
    det.partial_fit(X[-1:])
    assert abs(np.mean(det.predict(X) == -1) - 0.1) < 0.01
    assert abs(det.offset_ - offset) < 0.5 * abs(offset)
    # more passes over the same chunks put copies of rows in the sample; the statistics
    # read each row once, so copies are not each other's neighbours at distance 0
    density_scale = det.density_scale_
    for start in list(range(0, 600, 100)) * 2:
        det.partial_fit(X[start:start + 100])
    assert 0.5 < det.density_scale_ / density_scale < 2
    new_rows = _manifold(300, np.random.default_rng(1))
    assert np.mean(det.predict(new_rows) == -1) < 0.25
    # fit starts over: its statistics read its own X, and so does a later partial_fit
    det.fit(X[:200])
    assert det.reference_codes_.shape[0] <= 200
    det.partial_fit(X[200:300])
    assert det.reference_codes_.shape[0] <= 100


def test_scores_are_finite_when_a_row_overflows_the_float_type():
    """A constant float32 training X leaves no scale: a far row's float32 score overflowed
    to -inf, which roc_auc_score refuses; it is now the lowest float64, still last."""
    det = AEOutlierDetector(**FAST).fit(np.ones((100, 3), dtype=np.float32))
    rows = np.array([[1, 1, 1], [1.001, 1, 1], [1e6, 1, 1]], dtype=np.float32)
    scores = det.score_samples(rows)
    assert np.all(np.isfinite(scores)) and scores[0] > scores[1] > scores[2]
    assert np.all(np.isfinite(det.decision_function(rows)))
    assert roc_auc_score([1, 0, 0], det.decision_function(rows)) == 1.0
