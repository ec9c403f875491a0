"""Pictures of an outlier detector's scores: their histogram with the threshold, and the
columns that make one row abnormal."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import check_is_fitted

from ._base import _axes, _check_count, _name


def _anomaly_mask(labels, n_rows, caller):
    """Boolean mask of the anomalies: 1/True marks one, or -1 in the +1/-1 of ``predict``."""
    y = np.asarray(labels).ravel()
    if y.shape[0] != n_rows:
        raise ValueError(f"{caller}: {y.shape[0]} labels for {n_rows} scores.")
    values = set(np.unique(y).tolist())
    if values <= {0, 1}:  # bools compare equal to 0/1
        return y.astype(bool)
    if values <= {-1, 1}:
        return y == -1
    raise ValueError(
        f"{caller}: labels must be 0/1 (1 = anomaly) or +1/-1 as returned by predict "
        f"(-1 = anomaly), got the values {sorted(values)[:5]}."
    )


class OutlierScoreDisplay:
    """Histogram of ``score_samples`` with the detector's threshold ``offset_``.

    Create it with :meth:`from_estimator`. Given labels, normal rows and
    anomalies get one histogram each and the title shows the ROC-AUC of the
    scores. Outlier scores (higher = more normal) of :class:`~skgen.AEOutlierDetector`
    and :class:`~sklearn.ensemble.IsolationForest` are negative and often span
    decades, so by default they are drawn as ``-log10(-score)``, which keeps
    their order (left = more abnormal).

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Output of ``score_samples``.
    labels : array-like of shape (n_samples,), default=None
        0/1 with 1 marking an anomaly, or +1/-1 as returned by ``predict``
        (-1 = anomaly). None draws a single histogram.
    offset : float, default=None
        The threshold ``offset_``: rows scoring below it are flagged.
    name : str, default=None
        Shown in the title, usually the estimator's class name.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the histograms.
    figure_ : matplotlib Figure
        Figure containing the axes.
    bars_ : dict of str to matplotlib BarContainer
        The histograms, keyed "normal rows" and "anomalies" (only the groups
        that have rows), or "rows" without labels.
    line_ : matplotlib Line2D or None
        The threshold line.
    roc_auc_ : float or None
        ROC-AUC of the scores for telling anomalies (low scores) from normal
        rows, when labels of both kinds were given.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # draw off-screen
    >>> import numpy as np
    >>> from sklearn.ensemble import IsolationForest
    >>> from skgen.plotting import OutlierScoreDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(size=(200, 2)), rng.uniform(-6, 6, size=(10, 2))]
    >>> y = np.r_[np.zeros(200), np.ones(10)]
    >>> forest = IsolationForest(random_state=0).fit(X)
    >>> disp = OutlierScoreDisplay.from_estimator(forest, X, y)
    >>> list(disp.bars_)
    ['normal rows', 'anomalies']
    >>> disp.roc_auc_ > 0.9
    True
    """

    def __init__(self, scores, *, labels=None, offset=None, name=None):
        self.scores = scores
        self.labels = labels
        self.offset = offset
        self.name = name

    def plot(self, ax=None, *, bins=40, log_scale=True):
        """Draw the histograms and the threshold.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        bins : int, default=40
            Number of bins, shared by both histograms.
        log_scale : bool, default=True
            Draw the scores as ``-log10(-score)`` (needs negative scores and
            offset) and the counts on a logarithmic axis, so that a few
            anomalies stay visible beside many normal rows.

        Returns
        -------
        display : OutlierScoreDisplay
            The display, with ``ax_``, ``figure_``, ``bars_``, ``line_`` and
            ``roc_auc_`` set.
        """
        caller = f"{type(self).__name__}.plot"
        scores = np.asarray(self.scores, dtype=np.float64).ravel()
        if scores.size == 0 or not np.all(np.isfinite(scores)):
            raise ValueError(f"{caller}: scores must be a non-empty array of finite numbers.")
        anomaly = (np.zeros(scores.size, dtype=bool) if self.labels is None
                   else _anomaly_mask(self.labels, scores.size, caller))
        offset = None if self.offset is None else float(self.offset)
        if log_scale and (scores.max() >= 0 or (offset is not None and offset >= 0)):
            raise ValueError(f"{caller}: log_scale=True draws -log10(-score), which needs "
                             "negative scores and offset; pass log_scale=False.")

        def to_axis(s):
            return -np.log10(-s) if log_scale else s

        ax, fig = _axes(ax, caller)
        edges = np.histogram_bin_edges(to_axis(scores), bins=bins)
        first = "rows" if self.labels is None else "normal rows"
        groups = [(first, ~anomaly, "C0", 0.6), ("anomalies", anomaly, "C3", 0.8)]
        self.bars_ = {label: ax.hist(to_axis(scores[mask]), bins=edges, color=color,
                                     alpha=alpha, label=label)[2]
                      for label, mask, color, alpha in groups if mask.any()}
        self.line_ = None
        if offset is not None:
            self.line_ = ax.axvline(to_axis(offset), color="k", ls="--", label="offset_")
        self.roc_auc_ = None
        if anomaly.any() and not anomaly.all():
            self.roc_auc_ = float(roc_auc_score(anomaly, -scores))
        if log_scale:
            ax.set_yscale("log")
            ax.set_xlabel("score_samples, as -log10(-score)   (left: more abnormal)")
        else:
            ax.set_xlabel("score_samples   (left: more abnormal)")
        ax.set_ylabel("rows")
        ax.legend(fontsize="small")
        title = [t for t in (self.name,
                             None if self.roc_auc_ is None else f"ROC-AUC {self.roc_auc_:.3f}")
                 if t]
        if title:
            ax.set_title(": ".join(title))
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, ax=None, name=None, **kwargs):
        """Score X with a fitted detector and plot the histogram.

        Parameters
        ----------
        estimator : fitted outlier detector
            Anything with ``score_samples``, such as :class:`~skgen.AEOutlierDetector`
            or :class:`~sklearn.ensemble.IsolationForest`; its ``offset_`` is
            drawn when it has one.
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,), default=None
            Labels, as ``labels`` of the constructor.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        name : str, default=None
            Title; the estimator's class name when None.
        **kwargs : dict
            Passed to :meth:`plot` (``bins``, ``log_scale``).

        Returns
        -------
        display : OutlierScoreDisplay

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.
        ValueError
            If it has no ``score_samples``.
        """
        if not hasattr(estimator, "score_samples"):
            raise ValueError(f"{cls.__name__}.from_estimator needs an estimator with "
                             f"score_samples; {_name(estimator)} has none.")
        check_is_fitted(estimator)
        disp = cls(estimator.score_samples(X), labels=y,
                   offset=getattr(estimator, "offset_", None),
                   name=_name(estimator) if name is None else name)
        return disp.plot(ax=ax, **kwargs)


class FeatureContributionDisplay:
    """Horizontal bars of the columns that add most to one row's anomaly score.

    Create it with :meth:`from_estimator`, which calls the detector's
    ``feature_contributions`` (:meth:`skgen.AEOutlierDetector.feature_contributions`)
    on one row. The ``max_features`` largest contributions are drawn, largest
    on top, each labelled with the column's name and the row's value in it;
    bars of columns that pull the row toward normal (negative contributions)
    are drawn in another colour.

    Parameters
    ----------
    contributions : array-like of shape (n_features,)
        One row's contributions.
    feature_names : array-like of shape (n_features,), default=None
        Column names; ``x0``, ``x1``, ... when None.
    values : array-like of shape (n_features,), default=None
        The row's values, shown beside the names.
    max_features : int, default=10
        How many columns to draw.
    name : str, default=None
        Shown in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the bars.
    figure_ : matplotlib Figure
        Figure containing the axes.
    bars_ : matplotlib BarContainer
        The bars, largest contribution first.
    features_ : list of str
        The names of the columns drawn, largest contribution first.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # draw off-screen
    >>> import numpy as np
    >>> from skgen import AEOutlierDetector
    >>> from skgen.plotting import FeatureContributionDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 6))
    >>> det = AEOutlierDetector(max_iter=20, random_state=0).fit(X)
    >>> row = X[:1].copy()
    >>> row[0, 4] += 10 * X[:, 4].std()  # column x4 shifted far from the others
    >>> disp = FeatureContributionDisplay.from_estimator(det, row, max_features=3)
    >>> disp.features_[0]
    'x4'
    """

    def __init__(self, contributions, *, feature_names=None, values=None, max_features=10,
                 name=None):
        self.contributions = contributions
        self.feature_names = feature_names
        self.values = values
        self.max_features = max_features
        self.name = name

    def plot(self, ax=None):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.

        Returns
        -------
        display : FeatureContributionDisplay
            The display, with ``ax_``, ``figure_``, ``bars_`` and ``features_`` set.
        """
        caller = f"{type(self).__name__}.plot"
        contributions = np.asarray(self.contributions, dtype=np.float64).ravel()
        if contributions.size == 0 or not np.all(np.isfinite(contributions)):
            raise ValueError(f"{caller}: contributions must be a non-empty array of finite "
                             "numbers, one per column.")
        n = contributions.size
        names = (np.array([f"x{i}" for i in range(n)]) if self.feature_names is None
                 else np.asarray(self.feature_names, dtype=str).ravel())
        if names.size != n:
            raise ValueError(f"{caller}: {names.size} feature names for {n} contributions.")
        values = None if self.values is None else np.asarray(self.values).ravel()
        if values is not None and values.size != n:
            raise ValueError(f"{caller}: {values.size} values for {n} contributions.")
        top = np.argsort(-contributions, kind="stable")[:_check_count(self.max_features,
                                                                     "max_features")]
        labels = [names[i] if values is None else f"{names[i]} = {_shown(values[i])}"
                  for i in top]
        ax, fig = _axes(ax, caller)
        colours = ["C3" if contributions[i] > 0 else "C0" for i in top]
        positions = np.arange(len(top))[::-1]  # the largest on top
        self.bars_ = ax.barh(positions, contributions[top], color=colours)
        ax.set_yticks(positions, labels)
        ax.axvline(0.0, color="k", lw=0.8)
        ax.set_xlabel("contribution to the anomaly score")
        title = "largest contributions" if self.name is None else f"{self.name}: largest contributions"
        ax.set_title(title)
        self.features_ = [str(names[i]) for i in top]
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, *, row=0, max_features=10, ax=None, name=None):
        """Explain one row of X with a fitted detector and plot its top columns.

        Parameters
        ----------
        estimator : fitted AEOutlierDetector
            Anything with ``feature_contributions``.
        X : array-like of shape (n_samples, n_features)
            Rows; only ``X[row]`` is explained. Feature names come from a
            DataFrame's columns, else from the estimator's ``feature_names_in_``.
        row : int, default=0
            Position of the row to explain.
        max_features : int, default=10
            How many columns to draw.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        name : str, default=None
            Title prefix; the estimator's class name when None.

        Returns
        -------
        display : FeatureContributionDisplay

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.
        ValueError
            If it has no ``feature_contributions``, or ``row`` is out of range.
        """
        if not hasattr(estimator, "feature_contributions"):
            raise ValueError(f"{cls.__name__}.from_estimator needs an estimator with "
                             f"feature_contributions; {_name(estimator)} has none.")
        check_is_fitted(estimator)
        n_rows = len(X)
        # a bool is an int to Python, and X[[True]] a mask: refuse it as reliability.md says
        if (isinstance(row, bool) or not isinstance(row, (int, np.integer))
                or not -n_rows <= row < n_rows):
            raise ValueError(f"{cls.__name__}.from_estimator: row={row!r} is not a position "
                             f"among the {n_rows} rows of X.")
        one = X.iloc[[row]] if hasattr(X, "iloc") else np.asarray(X)[[row]]
        contributions = np.asarray(estimator.feature_contributions(one), dtype=np.float64)[0]
        names = (np.asarray(X.columns, dtype=str) if hasattr(X, "columns")
                 else getattr(estimator, "feature_names_in_", None))
        values = np.asarray(one, dtype=object)[0]  # a typed row's strings as they are
        disp = cls(contributions, feature_names=names, values=values,
                   max_features=max_features, name=_name(estimator) if name is None else name)
        return disp.plot(ax=ax)


def _shown(value):
    """A row's value beside its column's name: a number to 4 digits, a level as it is."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    try:
        return f"{value:.4g}"
    except (TypeError, ValueError):
        return str(value)
