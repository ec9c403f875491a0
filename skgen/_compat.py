"""The one door through which skgen uses scikit-learn's private or moving APIs.

``validate_data`` is public since scikit-learn 1.6; ``_fit_context``, the
parameter-constraint classes and their error, the output containers and the
displays' ``_validate_style_kwargs`` (scikit-learn >= 1.5) are private but stable
across 1.6 - 1.9, which ``pyproject.toml`` requires. A change to one of them shows
in the tests of what uses it.
"""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    RealNotInt,
    StrOptions,
)
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils._set_output import ADAPTERS_MANAGER, _get_output_config
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["Interval", "InvalidParameterError", "RealNotInt", "StrOptions", "_fit_context",
           "_validate_style_kwargs", "check_is_fitted", "validate_data", "wrap_output"]


def wrap_output(estimator, data, original_input, columns):
    """``data`` in the container that ``estimator.set_output(transform=...)``, or else the
    global ``transform_output`` setting, asks for: the array itself, or a pandas or polars
    DataFrame with ``columns`` (and the index of a pandas ``original_input``)."""
    container = _get_output_config("transform", estimator)["dense"]
    if container == "default":
        return data
    return ADAPTERS_MANAGER.adapters[container].create_container(
        data, original_input, columns=columns)
