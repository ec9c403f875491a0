"""Exceptions raised by skgen."""

# SPDX-License-Identifier: BSD-3-Clause

__all__ = ["DivergenceError"]


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
