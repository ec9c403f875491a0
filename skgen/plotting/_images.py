"""A grid of images: originals next to reconstructions, or samples of a generative model."""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import _check_count, _check_image_shape, _import_pyplot, _mosaic, _name

_KINDS = ("reconstruction", "samples")


def _reconstruct(estimator, X, caller):
    """The estimator's reconstruction of X, in the units of X."""
    if hasattr(estimator, "inverse_transform") and hasattr(estimator, "transform"):
        return np.asarray(estimator.inverse_transform(estimator.transform(X)))
    if hasattr(estimator, "transform"):  # a one-to-one transformer, e.g. a denoiser
        out = np.asarray(estimator.transform(X))
        if out.shape == np.shape(X):
            return out
    raise ValueError(
        f"{caller}(kind='reconstruction') needs an estimator with transform and "
        f"inverse_transform, or a transform that returns rows like X; {_name(estimator)} "
        "has neither."
    )


class ImageGridDisplay:
    """Rows of images in one mosaic: originals and reconstructions, or samples.

    Create it with :meth:`from_estimator` (reconstructions of X, or samples of
    a generative model) or :meth:`from_arrays` (any rows of images you have,
    such as clean, noisy and denoised digits). The drawing is done by
    :meth:`plot`, and the matplotlib objects are kept on the display.

    Parameters
    ----------
    images : ndarray of shape (n_rows, n_cols, n_features)
        ``images[i, j]`` is drawn in row ``i``, column ``j``; NaN pixels (for
        instance missing entries, or empty cells) are left blank.
    image_shape : tuple of (int, int)
        ``(height, width)`` of one image; ``height * width == n_features``.
    row_labels : list of str, default=None
        A label for each row, written on the left.
    name : str, default=None
        Usually the estimator's class name; with ``title``, it makes the title.
    title : str, default=None
        What the images are, e.g. ``"samples"``.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the mosaic.
    figure_ : matplotlib Figure
        Figure containing the axes.
    image_ : matplotlib AxesImage
        The mosaic.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # draw off-screen
    >>> from sklearn.datasets import load_digits
    >>> from skgen import AutoencoderTransformer
    >>> from skgen.plotting import ImageGridDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> # a quick, coarse fit: stop once 3 epochs gain less than 0.01 of held-out loss
    >>> ae = AutoencoderTransformer(n_components=8, tol=1e-2, n_iter_no_change=3,
    ...                             random_state=0).fit(X)
    >>> disp = ImageGridDisplay.from_estimator(ae, X, kind="reconstruction", n_images=6)
    >>> disp.images.shape
    (2, 6, 64)
    >>> [t.get_text() for t in disp.ax_.get_yticklabels()]
    ['original', 'reconstruction']
    """

    def __init__(self, images, *, image_shape, row_labels=None, name=None, title=None):
        self.images = images
        self.image_shape = image_shape
        self.row_labels = row_labels
        self.name = name
        self.title = title

    def plot(self, ax=None, *, cmap="gray_r", vmin=None, vmax=None):
        """Draw the images.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure sized to the grid is created when None.
        cmap : str or matplotlib Colormap, default='gray_r'
        vmin, vmax : float, default=None
            Colour limits shared by all images; None uses their common range.

        Returns
        -------
        display : ImageGridDisplay
            The display, with ``ax_``, ``figure_`` and ``image_`` set.
        """
        caller = f"{type(self).__name__}.plot"
        images = np.asarray(self.images, dtype=np.float64)
        if images.ndim != 3:
            raise ValueError(f"{caller} needs images of shape (n_rows, n_cols, n_features), "
                             f"got shape {images.shape}.")
        n_rows, n_cols, n_features = images.shape
        shape = _check_image_shape(self.image_shape, n_features, caller)
        if self.row_labels is not None and len(self.row_labels) != n_rows:
            raise ValueError(f"{caller}: {len(self.row_labels)} row_labels for {n_rows} rows.")
        plt = _import_pyplot(caller)
        if ax is None:
            _, ax = plt.subplots(figsize=(max(3.0, 0.8 * n_cols + 1.5), 0.8 * n_rows + 0.8),
                                 layout="constrained")
        fig = ax.figure
        tiles = images.reshape(n_rows, n_cols, *shape)
        self.image_ = ax.imshow(_mosaic(tiles), cmap=cmap, vmin=vmin, vmax=vmax,
                                interpolation="nearest")
        ax.set_xticks([])
        height = shape[0] + 2
        if self.row_labels is not None:
            ax.set_yticks([height * (i + 0.5) - 0.5 for i in range(n_rows)])
            ax.set_yticklabels([str(label) for label in self.row_labels])
            ax.tick_params(axis="y", length=0)
        else:
            ax.set_yticks([])
        title = ": ".join(str(part) for part in (self.name, self.title) if part)
        if title:
            ax.set_title(title)
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_arrays(cls, *arrays, image_shape=None, row_labels=None, n_images=10, title=None,
                    ax=None, **kwargs):
        """One row of images per array: e.g. clean, noisy and denoised rows.

        Parameters
        ----------
        *arrays : array-like of shape (n_samples, n_features)
            Each array gives one row of the grid (its first ``n_images`` rows).
        image_shape : tuple of (int, int), default=None
            ``(height, width)`` of one image; None means a square image.
        row_labels : list of str, default=None
            A label per array.
        n_images : int, default=10
            Images per row.
        title : str, default=None
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot` (``cmap``, ``vmin``, ``vmax``).

        Returns
        -------
        display : ImageGridDisplay
        """
        caller = f"{cls.__name__}.from_arrays"
        if not arrays:
            raise ValueError(f"{caller} needs at least one array of images.")
        rows = [np.asarray(a, dtype=np.float64) for a in arrays]
        widths = {r.shape[1] if r.ndim == 2 else None for r in rows}
        if len(widths) != 1 or None in widths:
            raise ValueError(f"{caller}: every array must be 2-D with the same number of "
                             f"columns; got shapes {[r.shape for r in rows]}.")
        n = min(_check_count(n_images, "n_images"), *(r.shape[0] for r in rows))
        images = np.stack([r[:n] for r in rows])
        shape = _check_image_shape(image_shape, images.shape[2], caller)
        disp = cls(images, image_shape=shape, row_labels=row_labels, title=title)
        return disp.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, X=None, *, kind="reconstruction", n_images=10,
                       image_shape=None, random_state=None, ax=None, **kwargs):
        """Reconstructions of X next to X, or samples drawn from the estimator.

        Parameters
        ----------
        estimator : fitted estimator
            With ``kind='reconstruction'``: one with ``transform`` and
            ``inverse_transform`` (an autoencoder, a VAE, PCA), or a
            ``transform`` that returns rows like X (a denoising autoencoder).
            With ``kind='samples'``: one with ``sample`` (a VAE,
            GaussianMixture).
        X : array-like of shape (n_samples, n_features), default=None
            Rows to reconstruct; the first ``n_images`` are used. Required
            for ``kind='reconstruction'``, ignored for ``'samples'``.
        kind : {'reconstruction', 'samples'}, default='reconstruction'
        n_images : int, default=10
            Number of images (per row for reconstructions; samples are laid
            out ten to a row).
        image_shape : tuple of (int, int), default=None
            ``(height, width)`` of one image; None means a square image.
        random_state : int, RandomState instance or None, default=None
            Passed to ``sample``.
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot` (``cmap``, ``vmin``, ``vmax``).

        Returns
        -------
        display : ImageGridDisplay

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.
        ValueError
            If ``kind`` is unknown, X is missing for reconstructions, the
            estimator lacks the needed method, or ``image_shape`` does not
            match the number of features.
        """
        caller = f"{cls.__name__}.from_estimator"
        if kind not in _KINDS:
            raise ValueError(f"{caller}: kind must be one of {_KINDS}, got {kind!r}.")
        check_is_fitted(estimator)
        n_images = _check_count(n_images, "n_images")
        n_features = getattr(estimator, "n_features_in_", None)
        if kind == "reconstruction":
            if X is None:
                raise ValueError(f"{caller}(kind='reconstruction') needs X.")
            X = np.asarray(X, dtype=np.float64)[:n_images]
            shape = _check_image_shape(image_shape, X.shape[1], caller)
            images = np.stack([X, _reconstruct(estimator, X, caller)])
            return cls(images, image_shape=shape, row_labels=["original", "reconstruction"],
                       name=_name(estimator), title="reconstructions").plot(ax=ax, **kwargs)
        if not hasattr(estimator, "sample"):
            raise ValueError(f"{caller}(kind='samples') needs an estimator with sample; "
                             f"{_name(estimator)} has none.")
        shape = _check_image_shape(image_shape, n_features, caller)
        drawn = estimator.sample(n_images, random_state=random_state) \
            if _accepts_random_state(estimator) else estimator.sample(n_images)
        if isinstance(drawn, tuple):  # GaussianMixture returns (X, labels)
            drawn = drawn[0]
        drawn = np.asarray(drawn, dtype=np.float64)
        n_cols = min(n_images, 10)
        n_rows = math.ceil(n_images / n_cols)
        images = np.full((n_rows * n_cols, drawn.shape[1]), np.nan)
        images[:n_images] = drawn
        return cls(images.reshape(n_rows, n_cols, -1), image_shape=shape,
                   name=_name(estimator), title="samples").plot(ax=ax, **kwargs)


def _accepts_random_state(estimator):
    import inspect

    try:
        return "random_state" in inspect.signature(estimator.sample).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
