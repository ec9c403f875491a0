"""The training curves of a fitted estimator."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import _axes, _name, _style_kwargs


class LossCurveDisplay:
    """Training and validation loss per epoch, from ``loss_curve_`` and ``validation_loss_curve_``.

    Create it with :meth:`from_estimator`. With early stopping, the epoch of
    the best validation loss, whose weights the estimator keeps, is marked.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Mean training loss of each epoch.
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Validation loss of each epoch, if there was a validation split.
    name : str, default=None
        Shown in the title, usually the estimator's class name.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure containing the axes.
    lines_ : list of matplotlib Line2D
        The training curve, then the validation curve if there is one.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # draw off-screen
    >>> from sklearn.datasets import load_digits
    >>> from skgen import AutoencoderTransformer
    >>> from skgen.plotting import LossCurveDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> # a quick, coarse fit: stop once 3 epochs gain less than 0.01 of held-out loss
    >>> ae = AutoencoderTransformer(tol=1e-2, n_iter_no_change=3, random_state=0).fit(X)
    >>> disp = LossCurveDisplay.from_estimator(ae)
    >>> disp.ax_.get_xlabel(), disp.ax_.get_ylabel()
    ('epoch', 'loss')
    >>> [line.get_label() for line in disp.lines_]
    ['training loss', 'validation loss']
    """

    def __init__(self, loss_curve, *, validation_loss_curve=None, name=None):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.name = name

    def plot(self, ax=None, *, log_scale=False, **line_kwargs):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        log_scale : bool, default=False
            Draw the loss on a logarithmic axis (for positive losses).
        **line_kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for both curves; aliases
            such as ``c`` for ``color`` or ``lw`` for ``linewidth`` are accepted,
            but not both. ``label`` is a ValueError: the display labels the
            curves "training loss" and "validation loss".

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        caller = f"{type(self).__name__}.plot"
        train = np.asarray(self.loss_curve, dtype=np.float64).ravel()
        if train.size == 0:
            raise ValueError(f"{caller}: loss_curve is empty.")
        line_kwargs = _style_kwargs({}, line_kwargs, caller, set_by_display=("label",),
                                    why='the curves are "training loss" and "validation loss".')
        ax, fig = _axes(ax, caller)
        epochs = np.arange(1, train.size + 1)
        self.lines_ = ax.plot(epochs, train, label="training loss", **line_kwargs)
        if self.validation_loss_curve is not None:
            val = np.asarray(self.validation_loss_curve, dtype=np.float64).ravel()
            self.lines_ += ax.plot(np.arange(1, val.size + 1), val, label="validation loss",
                                   **line_kwargs)
            if val.size and np.isfinite(val).any():
                best = int(np.nanargmin(val)) + 1
                ax.axvline(best, color="0.5", ls=":", lw=1)
                right = best > 0.6 * val.size  # keep the label inside the axes
                ax.annotate(f"best epoch {best}", (best, 1), xycoords=("data", "axes fraction"),
                            xytext=(-3 if right else 3, -12), textcoords="offset points",
                            ha="right" if right else "left", fontsize="small", color="0.3")
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend()
        if self.name is not None:
            ax.set_title(f"{self.name}: training curves")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, **kwargs):
        """Plot the loss curves of a fitted skgen estimator.

        Parameters
        ----------
        estimator : fitted estimator with ``loss_curve_``
            Any skgen estimator; ``validation_loss_curve_`` is drawn when it is
            not None (``early_stopping=True``).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        **kwargs : dict
            Passed to :meth:`plot` (``log_scale`` and line keywords).

        Returns
        -------
        display : LossCurveDisplay

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.
        ValueError
            If it has no ``loss_curve_``.
        """
        check_is_fitted(estimator)
        if not hasattr(estimator, "loss_curve_"):
            raise ValueError(f"{cls.__name__}.from_estimator needs an estimator with "
                             f"loss_curve_; {_name(estimator)} has none.")
        disp = cls(estimator.loss_curve_,
                   validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
                   name=_name(estimator))
        return disp.plot(ax=ax, **kwargs)
