"""Exceptions raised by skgen."""

# SPDX-License-Identifier: BSD-3-Clause

__all__ = ["DivergenceError", "InconsistentVersionWarning"]


class DivergenceError(FloatingPointError, ValueError):
    """Raised when the training loss becomes non-finite (NaN or inf).

    The estimator is left exactly as it was before the failing call, as after
    any exception in ``fit`` or ``partial_fit``: an unfitted estimator stays
    unfitted, a fitted one keeps its previous model (weights, optimizer state,
    history and every fitted attribute), whether the call refitted from
    scratch, resumed with ``warm_start`` or ran ``partial_fit``. It subclasses both
    :class:`FloatingPointError` and :class:`ValueError`, so code that guards a
    fit with ``except ValueError`` (as :class:`~sklearn.model_selection.GridSearchCV`
    does through ``error_score``) catches it.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen import AutoencoderTransformer, DivergenceError
    >>> X = np.random.RandomState(0).normal(size=(100, 4))
    >>> ae = AutoencoderTransformer(learning_rate_init=1e12, max_iter=5, random_state=0)
    >>> try:
    ...     ae.fit(X)
    ... except DivergenceError:
    ...     print("diverged; fitted:", hasattr(ae, "module_"))
    diverged; fitted: False
    """


class InconsistentVersionWarning(UserWarning):
    """Warns that a model saved with one version of skgen is loaded with another.

    Raised when a pickle or a ``skops.io`` file of a skgen estimator is
    loaded, as scikit-learn's :class:`~sklearn.exceptions.InconsistentVersionWarning`
    is for scikit-learn's own version (which skgen estimators carry too). The
    model loads, but its attributes or weights may not mean what this version
    expects; refit it, or load it with the version that saved it.

    Parameters
    ----------
    estimator_name : str
        Estimator name.
    current_skgen_version : str
        The skgen version loading the model.
    original_skgen_version : str
        The skgen version that saved it.
    """

    def __init__(self, *, estimator_name, current_skgen_version, original_skgen_version):
        self.estimator_name = estimator_name
        self.current_skgen_version = current_skgen_version
        self.original_skgen_version = original_skgen_version

    def __str__(self):
        return (
            f"Trying to load estimator {self.estimator_name} saved with skgen "
            f"{self.original_skgen_version} when using skgen {self.current_skgen_version}. "
            "This might lead to breaking code or invalid results. Use at your own risk, or "
            "refit the model with this version (see docs/persistence.md)."
        )
