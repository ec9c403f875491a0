"""scikit-learn's own estimator checks on every public skgen estimator.

The estimators are discovered from the package (``skgen.utils.all_estimators``),
so a new estimator is checked from its first commit.

The checks run with one thread in the native thread pools (BLAS, OpenMP): they
fit tiny tables, where a second thread only costs time, and on a loaded 2-core
machine a lot of it (each small triangular solve of the VAE's prior waited
some 20 ms for a second BLAS thread, against 0.1 ms alone: the VAE's checks
took minutes). The checks themselves are the same.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from .conftest import ESTIMATORS, make_fast


def _expected_failed_checks(estimator):
    # No skgen estimator accepts sample_weight, which removes the only check
    # that minibatch SGD cannot pass (weights equal to repeated rows). Any
    # entry added here needs its reason written beside it.
    return {}


def _variants():
    """Options that change the data path get the checks too, on data inside their range."""
    from skgen import (
        AEOutlierDetector,
        AutoencoderTransformer,
        DenoisingAutoencoder,
        VAETransformer,
    )
    from skgen.nn import ModuleSpec

    from .nn.custom_modules import DropoutEncoder, hidden_code, linear_decoder

    # a user's encoder and decoder that work for any number of columns (dropout included)
    custom = {"encoder": ModuleSpec(DropoutEncoder, width=8), "decoder": linear_decoder}
    return [make_fast(VAETransformer).set_params(bounds=(-1e4, 1e4)),
            # fit(X, y) learns p(x | y): its tags say y is required
            make_fast(VAETransformer).set_params(conditional=True),
            make_fast(AutoencoderTransformer).set_params(**custom),
            make_fast(VAETransformer).set_params(**custom),
            make_fast(AEOutlierDetector).set_params(**custom),
            # no n_components: the encoder chooses the code width
            make_fast(DenoisingAutoencoder).set_params(encoder=hidden_code,
                                                       decoder=linear_decoder)]


@parametrize_with_checks(
    [make_fast(cls) for cls in ESTIMATORS] + _variants(),
    expected_failed_checks=_expected_failed_checks,
    xfail_strict=True,
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings(), threadpool_limits(1):
        # five epochs never converge; the warning itself is tested elsewhere
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_all_estimators_found():
    assert ESTIMATORS, "skgen.utils.all_estimators found nothing"
    names = {cls.__name__ for cls in ESTIMATORS}
    assert "AutoencoderTransformer" in names


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_checks_not_yielded_by_the_generator(cls):
    """Checks scikit-learn runs only on itself; we call them by hand."""
    from sklearn.utils import estimator_checks as ec

    est = make_fast(cls)
    names = ["check_param_validation"]
    if hasattr(est, "transform"):
        names += [
            "check_transformer_get_feature_names_out",
            "check_transformer_get_feature_names_out_pandas",
            "check_set_output_transform",
            "check_set_output_transform_pandas",
            "check_global_output_transform_pandas",
            "check_set_output_transform_polars",
            "check_global_set_output_transform_polars",
            "check_get_feature_names_out_error",
            "check_dataframe_column_names_consistency",
        ]
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        # check_dataframe_column_names_consistency provokes these on purpose
        warnings.filterwarnings("ignore", "X (does not have|has) .*feature names", UserWarning)
        for name in names:
            check = getattr(ec, name, None)
            if check is None:  # the check was renamed or removed in this sklearn
                continue
            check(type(est).__name__, est)


# the methods that read a fitted model, with the argument each needs besides X
_FITTED_METHODS = ("transform", "inverse_transform", "score_samples", "score", "predict",
                   "decision_function", "score_parts", "feature_contributions", "sample")


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_method_of_an_unfitted_estimator_raises_not_fitted(cls):
    """As scikit-learn's estimators do, whatever the method reads first (inverse_transform
    used to read the code width before checking)."""
    from sklearn.exceptions import NotFittedError

    est = make_fast(cls)
    methods = [name for name in _FITTED_METHODS if hasattr(est, name)]
    assert methods
    for name in methods:
        argument = 2 if name == "sample" else np.zeros((2, 2))
        with pytest.raises(NotFittedError):
            getattr(est, name)(argument)
