"""Scale-equivariant numerics: outputs on ``X * c`` follow those on X, or a clear error.

The scaler's statistics are computed without overflow and constant columns
are recognised relative to the column's magnitude, so ``c`` from 1e-30 to
1e300 (float64 input) leaves the scaled table, and so the fitted model, the
same: outputs in the units of X are ``c`` times those on X, outputs in scaled
units (codes, reconstruction errors, detector scores) are equal, and the
VAE's log-density shifts by ``-n_features * log(c)``. Where float64 or
float32 cannot hold a column, fit raises a ValueError naming it.
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skgen import AEOutlierDetector, AutoencoderTransformer, DenoisingAutoencoder, VAETransformer

from .conftest import ESTIMATORS, make_fast

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SCALES = [1e-30, 1e-16, 1e155, 1e300]


def _table():
    """300 x 6 float64 on different column scales, with a constant and an offset column."""
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(300, 2))
    X = np.tanh(Z @ rng.normal(size=(2, 5))) + 0.1 * rng.normal(size=(300, 5))
    X = X * np.array([0.01, 1.0, 3.0, 50.0, 1.0]) + np.array([0.0, 0.0, 0.0, 0.0, 1e3])
    return np.c_[X, np.full(300, 7.5)]


def _outputs_and_how_they_scale(est, X):
    """``{method: (output, kind)}``; kind says how it follows ``X * c``."""
    out = {}
    if isinstance(est, AEOutlierDetector):
        out["score_samples"] = (est.score_samples(X), "equal")
        out["decision_function"] = (est.decision_function(X), "equal")
        return out
    if isinstance(est, DenoisingAutoencoder):
        out["transform"] = (est.transform(X), "times c")
        out["score_samples"] = (est.score_samples(X), "equal")
        return out
    Z = est.transform(X)
    out["transform"] = (Z, "equal")
    out["inverse_transform"] = (est.inverse_transform(Z), "times c")
    if isinstance(est, VAETransformer):
        out["score_samples"] = (est.score_samples(X), "log-density")
        out["sample"] = (est.sample(20, random_state=0), "times c")
    else:
        out["score_samples"] = (est.score_samples(X), "equal")
    return out


def _assert_follows(scaled, reference, kind, c, n_features, err_msg):
    """``scaled`` equals ``reference`` mapped by ``kind``, to 1e-6 of its largest magnitude."""
    if kind == "times c":
        expected = reference * c
    elif kind == "log-density":
        expected = reference - n_features * np.log(c)
    else:
        expected = reference
    assert np.all(np.isfinite(scaled)), err_msg
    assert_allclose(scaled, expected, rtol=1e-6, atol=1e-6 * np.max(np.abs(expected)),
                    err_msg=err_msg)


@pytest.mark.parametrize("scaling", ["standard", "global"])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_outputs_on_scaled_X_follow_the_scale(cls, scaling):
    X = _table()
    if cls._allow_nan:  # the statistics of the observed entries follow the scale too
        X[np.random.RandomState(1).rand(*X.shape) < 0.1] = np.nan
    params = {"random_state": 0, "scaling": scaling}
    reference = make_fast(cls, **params).fit(X)
    expected = _outputs_and_how_they_scale(reference, X)
    for c in SCALES:
        est = make_fast(cls, **params).fit(X * c)
        assert_allclose(est.scale_, reference.scale_ * c, rtol=1e-12)
        assert_allclose(est.mean_, reference.mean_ * c, rtol=1e-12)
        # the VAE's log-density is in its continuous columns (the constant one is a
        # discrete column of one level: a probability, which no scale changes)
        n_density = (np.sum(est.column_types_ == "continuous")
                     if isinstance(est, VAETransformer) else X.shape[1])
        for name, (out, _) in _outputs_and_how_they_scale(est, X * c).items():
            ref, kind = expected[name]
            _assert_follows(out, ref, kind, c, n_density, f"{name} at c={c:g}")
        if isinstance(est, AEOutlierDetector):
            assert_array_equal(est.predict(X * c), reference.predict(X))


def test_constant_columns_take_the_typical_scale():
    X = _table()
    est = make_fast(AutoencoderTransformer, random_state=0, max_iter=1).fit(X * 1e-16)
    std = X[:, :5].std(axis=0) * 1e-16
    assert_allclose(est.scale_[:5], std, rtol=1e-12)
    assert std.min() < est.scale_[5] < std.max()  # the typical scale of the others ...
    shared = make_fast(AutoencoderTransformer, max_iter=1, scaling="global").fit(X * 1e-16)
    assert_allclose(est.scale_[5], shared.scale_[0], rtol=1e-12)  # ... that 'global' shares
    assert est.mean_[5] == 7.5e-16


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_spread_beyond_float64_names_the_column(cls):
    X = _table()
    X[:2, 3] = [-1e308, 1e308]
    with pytest.raises(ValueError, match=r"column 3 .*overflows float64"):
        make_fast(cls, max_iter=1).fit(X)
    frame = pd.DataFrame(X, columns=list("abcdef"))
    with pytest.raises(ValueError, match=r"column 3 \('d'\) .*overflows float64"):
        make_fast(cls, max_iter=1).fit(frame)


def test_float32_spread_beyond_float32_names_the_column():
    X = _table().astype(np.float32)
    X[:2, 1] = [-3e38, 3e38]
    with pytest.raises(ValueError, match=r"column 1 .*overflows float32.*Pass X as float64"):
        make_fast(AutoencoderTransformer, max_iter=1).fit(X)
    make_fast(AutoencoderTransformer, max_iter=1).fit(X.astype(np.float64))  # float64 holds it


@pytest.mark.parametrize("c, problem", [(1e300, "beyond float32's largest"),
                                        (1e-300, "below float32's smallest")])
@pytest.mark.parametrize("cls", [AutoencoderTransformer, DenoisingAutoencoder, VAETransformer,
                                 AEOutlierDetector], ids=lambda c: c.__name__)
def test_unscaled_X_beyond_float32_names_the_column(cls, c, problem):
    X = _table()
    X[:, 1:] = 1.0
    X[:, 2] *= c
    with pytest.raises(ValueError, match=rf"scaling=None.*column 2 .*{problem}"):
        make_fast(cls, scaling=None, max_iter=1).fit(X)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_rows_beyond_float32_after_scaling_name_the_column(cls):
    """partial_fit trains float32 rows scaled with the first fit's scale_: a column whose
    new values land beyond float32's range is named, and the model is kept."""
    X = _table()
    est = make_fast(cls, random_state=0, max_iter=2).fit(X)
    before = est.score_samples(X)
    far = X.copy()
    far[5, 2] = 1e300
    with pytest.raises(ValueError, match=r"column 2 .*beyond float32's range"):
        est.partial_fit(far)
    assert_array_equal(est.score_samples(X), before)
