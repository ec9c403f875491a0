"""Find every public estimator of skgen, so none escapes the common tests."""

# SPDX-License-Identifier: BSD-3-Clause

import inspect

from sklearn.base import BaseEstimator


def all_estimators():
    """List the public estimator classes exported by :mod:`skgen`.

    Returns
    -------
    estimators : list of (name, class)
        Sorted by name; abstract classes are left out.

    Examples
    --------
    >>> from skgen.utils import all_estimators
    >>> "AutoencoderTransformer" in dict(all_estimators())
    True
    """
    import skgen

    found = {
        name: obj
        for name, obj in vars(skgen).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseEstimator)
        and not name.startswith("_")
        and not inspect.isabstract(obj)
    }
    return sorted(found.items())
