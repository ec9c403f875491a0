"""Displays of a latent space: the codes of the data, and images decoded from a grid."""

# SPDX-License-Identifier: BSD-3-Clause


import numpy as np
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._base import (
    _axes,
    _check_count,
    _check_image_shape,
    _check_integer,
    _check_two_components,
    _mosaic,
    _name,
    _style_kwargs,
)

#: Above this many distinct labels, ``y`` is drawn with a colour bar, not a legend.
_MAX_LEGEND_CLASSES = 20


class LatentSpaceDisplay:
    """Scatter plot of 2-D latent codes, optionally coloured by a label.

    It is recommended to create a display with :meth:`from_estimator`, which
    encodes X with the estimator's ``transform``; the constructor takes codes
    you already have. The drawing is done by :meth:`plot`, and the matplotlib
    objects are kept on the display.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, 2)
        The latent codes.
    y : array-like of shape (n_samples,), default=None
        Labels or values that colour the points: up to 20 distinct labels get
        one colour each and a legend, anything else a colour bar.
    name : str, default=None
        Shown in the title, usually the estimator's class name.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the scatter plot.
    figure_ : matplotlib Figure
        Figure containing the axes.
    scatter_ : list of matplotlib PathCollection
        One collection per label (a single one without labels or with a colour bar).
    colorbar_ : matplotlib Colorbar or None
        The colour bar, when ``y`` has more than 20 distinct values.

    See Also
    --------
    LatentGridDisplay : Images decoded from a grid of latent codes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # draw off-screen
    >>> from sklearn.datasets import load_digits
    >>> from skgen import AutoencoderTransformer
    >>> from skgen.plotting import LatentSpaceDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> # a quick, coarse fit: stop once 3 epochs gain less than 0.01 of held-out loss
    >>> ae = AutoencoderTransformer(n_components=2, tol=1e-2, n_iter_no_change=3,
    ...                             random_state=0).fit(X)
    >>> disp = LatentSpaceDisplay.from_estimator(ae, X, y)
    >>> disp.ax_.get_xlabel(), disp.ax_.get_ylabel()
    ('z1', 'z2')
    >>> len(disp.scatter_)  # one colour per digit
    10
    """

    def __init__(self, codes, *, y=None, name=None):
        self.codes = codes
        self.y = y
        self.name = name

    def plot(self, ax=None, *, extent=None, cmap=None, **scatter_kwargs):
        """Draw the scatter plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        extent : tuple of 4 floats, default=None
            ``(left, right, bottom, top)`` of a dashed box to draw, e.g. the
            region a :class:`LatentGridDisplay` decodes. None draws no box.
        cmap : str or matplotlib Colormap, default=None
            Colours of ``y``: None means 'tab10' for labels and 'viridis' for
            continuous values. Without ``y`` it maps the values of ``c``, as in
            :meth:`matplotlib.axes.Axes.scatter`.
        **scatter_kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.scatter` (defaults: ``s=6``,
            ``alpha=0.8``); aliases such as ``c`` for ``color`` are accepted,
            but not both. Without ``y``, ``color`` (or ``c``) colours the
            points: one colour, one per point, or values mapped through
            ``cmap``. With ``y``, which sets the colours and the legend,
            ``color`` and ``label`` are a ValueError.

        Returns
        -------
        display : LatentSpaceDisplay
            The display, with ``ax_``, ``figure_``, ``scatter_`` and ``colorbar_`` set.
        """
        caller = f"{type(self).__name__}.plot"
        codes = np.asarray(self.codes, dtype=np.float64)
        if codes.ndim != 2 or codes.shape[1] != 2:
            raise ValueError(
                f"{caller} needs codes of shape (n_samples, 2), got shape {codes.shape}."
            )
        kwargs = _style_kwargs(
            {"s": 6, "alpha": 0.8}, scatter_kwargs, caller,
            set_by_display=() if self.y is None else ("color", "label"),
            why="y colours the points and labels the legend; pass y=None to choose them.",
        )
        ax, fig = _axes(ax, caller)
        import matplotlib as mpl

        self.scatter_, self.colorbar_ = [], None
        if self.y is None:
            # matplotlib's c takes one colour, a colour per point or values for cmap
            colour = kwargs.pop("color", None)
            self.scatter_.append(ax.scatter(codes[:, 0], codes[:, 1], c=colour,
                                            cmap=None if colour is None else cmap, **kwargs))
        else:
            y = column_or_1d(self.y)
            if y.shape[0] != codes.shape[0]:
                raise ValueError(
                    f"{caller}: y has {y.shape[0]} entries but there are {codes.shape[0]} codes."
                )
            classes = np.unique(y)
            if len(classes) <= _MAX_LEGEND_CLASSES:
                cmap = "tab10" if cmap is None else cmap
                colours = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
                for i, label in enumerate(classes):
                    mask = y == label
                    colour = colours(i % colours.N if colours.N < 256 else i / max(len(classes) - 1, 1))
                    self.scatter_.append(ax.scatter(codes[mask, 0], codes[mask, 1], color=colour,
                                                    label=str(label), **kwargs))
                ax.legend(title="y", markerscale=3, fontsize="small", loc="best")
            else:
                points = ax.scatter(codes[:, 0], codes[:, 1], c=y,
                                    cmap="viridis" if cmap is None else cmap, **kwargs)
                self.scatter_.append(points)
                self.colorbar_ = fig.colorbar(points, ax=ax, label="y")
        if extent is not None:
            left, right, bottom, top = extent
            ax.add_patch(mpl.patches.Rectangle((left, bottom), right - left, top - bottom,
                                               fill=False, ls="--", color="k", lw=1))
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
        if self.name is not None:
            ax.set_title(f"{self.name}: latent codes")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, components=None, ax=None, extent=None,
                       **scatter_kwargs):
        """Encode X with a fitted estimator's ``transform`` and plot the codes.

        Parameters
        ----------
        estimator : fitted estimator with ``transform``
            For example :class:`~skgen.AutoencoderTransformer`,
            :class:`~skgen.VAETransformer` or :class:`~sklearn.decomposition.PCA`.
        X : array-like of shape (n_samples, n_features)
            Rows to encode.
        y : array-like of shape (n_samples,), default=None
            Colours the points (for instance the class labels).
        components : pair of int, default=None
            Which two latent components to draw. None requires an estimator
            with exactly two components.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        extent : tuple of 4 floats, default=None
            A dashed box ``(left, right, bottom, top)`` to draw, see :meth:`plot`.
        **scatter_kwargs : dict
            Passed to :meth:`plot`: ``cmap`` and the keywords of
            :meth:`matplotlib.axes.Axes.scatter`.

        Returns
        -------
        display : LatentSpaceDisplay

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.
        ValueError
            If it has no ``transform``, or not two components and no ``components``.
        """
        caller = f"{cls.__name__}.from_estimator"
        check_is_fitted(estimator)
        if not hasattr(estimator, "transform"):
            raise ValueError(f"{caller} needs an estimator with transform; "
                             f"{_name(estimator)} has none.")
        if components is None:
            _check_two_components(estimator, caller)
        codes = np.asarray(estimator.transform(X))
        if components is not None:
            components = tuple(components)
            for i, c in enumerate(components):
                _check_integer(c, f"components[{i}]")
            if len(components) != 2 or not all(0 <= c < codes.shape[1] for c in components):
                raise ValueError(
                    f"{caller}: components must be two indices below {codes.shape[1]}, the "
                    f"number of components of {_name(estimator)}; got {components!r}."
                )
            codes = codes[:, list(components)]
        disp = cls(codes, y=y, name=_name(estimator))
        return disp.plot(ax=ax, extent=extent, **scatter_kwargs)


class LatentGridDisplay:
    """Images decoded from a regular grid of 2-D latent codes.

    This is the picture that tells an autoencoder from a generative model: a
    grid over ``[-1.5, 1.5]^2`` is where a VAE's prior puts its mass, so every
    point should decode to a plausible image, while a plain autoencoder's
    codes may lie anywhere. Create it with :meth:`from_estimator`.

    Parameters
    ----------
    images : ndarray of shape (n_grid, n_grid, height, width)
        ``images[i, j]`` is decoded from the code at row ``i`` (top to bottom,
        so ``z2`` decreasing) and column ``j`` (``z1`` increasing).
    extent : tuple of 4 floats
        ``(left, right, bottom, top)`` of the grid in latent coordinates.
    name : str, default=None
        Shown in the title, usually the estimator's class name.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the mosaic.
    figure_ : matplotlib Figure
        Figure containing the axes.
    image_ : matplotlib AxesImage
        The mosaic.

    See Also
    --------
    LatentSpaceDisplay : Scatter plot of the codes of the data.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # draw off-screen
    >>> from sklearn.datasets import load_digits
    >>> from skgen import VAETransformer
    >>> from skgen.plotting import LatentGridDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> # a quick, coarse fit: stop once 3 epochs gain less than 0.01 of held-out loss
    >>> vae = VAETransformer(n_components=2, tol=1e-2, n_iter_no_change=3,
    ...                      random_state=0).fit(X)
    >>> disp = LatentGridDisplay.from_estimator(vae, image_shape=(8, 8), n_grid=5)
    >>> disp.images.shape
    (5, 5, 8, 8)
    >>> disp.ax_.get_xlabel()
    'z1'
    """

    def __init__(self, images, *, extent, name=None):
        self.images = images
        self.extent = extent
        self.name = name

    def plot(self, ax=None, *, cmap="gray_r", vmin=None, vmax=None):
        """Draw the decoded images as one mosaic placed at their latent coordinates.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        cmap : str or matplotlib Colormap, default='gray_r'
        vmin, vmax : float, default=None
            Colour limits; None uses the range of the decoded images.

        Returns
        -------
        display : LatentGridDisplay
            The display, with ``ax_``, ``figure_`` and ``image_`` set.
        """
        caller = f"{type(self).__name__}.plot"
        images = np.asarray(self.images, dtype=np.float64)
        if images.ndim != 4:
            raise ValueError(f"{caller} needs images of shape (n_grid, n_grid, height, width), "
                             f"got shape {images.shape}.")
        ax, fig = _axes(ax, caller)
        # widen the picture by half a cell on each side, so that the centre of
        # each decoded image sits at the code it was decoded from
        left, right, bottom, top = (float(v) for v in self.extent)
        n_rows, n_cols = images.shape[:2]
        dx = (right - left) / (n_cols - 1) if n_cols > 1 else 1.0
        dy = (top - bottom) / (n_rows - 1) if n_rows > 1 else 1.0
        self.image_ = ax.imshow(
            _mosaic(images), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest",
            extent=(left - dx / 2, right + dx / 2, bottom - dy / 2, top + dy / 2),
        )
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
        if self.name is not None:
            ax.set_title(f"{self.name}: decoded latent grid")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(cls, estimator, *, image_shape=None, n_grid=11,
                       extent=(-1.5, 1.5, -1.5, 1.5), ax=None, **kwargs):
        """Decode a grid of latent codes with the estimator's ``inverse_transform``.

        Parameters
        ----------
        estimator : fitted estimator with ``inverse_transform`` and 2 components
            For example :class:`~skgen.AutoencoderTransformer` or
            :class:`~skgen.VAETransformer` with ``n_components=2``.
        image_shape : tuple of (int, int), default=None
            ``(height, width)`` of one image; its product must equal the number
            of features. None means a square image.
        n_grid : int, default=11
            Number of grid points along each latent axis.
        extent : tuple of 4 floats, default=(-1.5, 1.5, -1.5, 1.5)
            ``(left, right, bottom, top)``: the grid runs from ``left`` to
            ``right`` in ``z1`` and from ``bottom`` to ``top`` in ``z2``.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        **kwargs : dict
            Passed to :meth:`plot` (``cmap``, ``vmin``, ``vmax``).

        Returns
        -------
        display : LatentGridDisplay

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.
        ValueError
            If it has no ``inverse_transform``, not two components, or
            ``image_shape`` does not match its number of features.
        """
        caller = f"{cls.__name__}.from_estimator"
        check_is_fitted(estimator)
        if not hasattr(estimator, "inverse_transform"):
            raise ValueError(f"{caller} needs an estimator with inverse_transform; "
                             f"{_name(estimator)} has none.")
        _check_two_components(estimator, caller)
        shape = _check_image_shape(image_shape, estimator.n_features_in_, caller)
        n_grid = _check_count(n_grid, "n_grid")
        left, right, bottom, top = (float(v) for v in extent)
        z1 = np.linspace(left, right, n_grid)
        z2 = np.linspace(top, bottom, n_grid)  # the first image row is the top of the plot
        grid = np.array([[a, b] for b in z2 for a in z1])
        images = np.asarray(estimator.inverse_transform(grid)).reshape(n_grid, n_grid, *shape)
        disp = cls(images, extent=(left, right, bottom, top), name=_name(estimator))
        return disp.plot(ax=ax, **kwargs)
