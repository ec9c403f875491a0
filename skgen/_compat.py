"""The one door through which skgen uses scikit-learn's private or moving APIs.

``validate_data`` is public since scikit-learn 1.6; ``_fit_context`` and the
parameter-constraint classes are private but stable across 1.6 - 1.9, which
``pyproject.toml`` requires.
"""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["Interval", "StrOptions", "_fit_context", "check_is_fitted", "validate_data"]
