"""AutoencoderTransformer: an MLP autoencoder behind the transformer API."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin

from . import _columns as columns
from ._base import BaseTorchEstimator, MeanScoreMixin
from ._compat import Interval
from .nn import MLPAutoencoder, init_pca


class AutoencoderTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, MeanScoreMixin,
                             BaseTorchEstimator):
    """Nonlinear dimensionality reduction with an MLP autoencoder.

    An encoder maps each row to ``n_components`` latent units and a mirrored
    decoder maps them back; both are trained to minimise the mean squared
    reconstruction error. Columns are standardized inside the estimator, so
    raw tables with columns on very different scales need no scaler, and
    :meth:`inverse_transform` returns rows in the units of X.

    A pandas (or polars) DataFrame's string, ``category`` and ``bool`` columns
    are read as they are (``column_types``): the network reads each one-hot
    over its levels seen in training and reconstructs it with a softmax over
    them, whose cross-entropy replaces the squared error in that column's
    loss (divided by the entropy of its levels, so that no type drowns the
    others); :meth:`inverse_transform` then returns a DataFrame with the
    training columns and dtypes, each such column holding its most likely
    level. A numeric table is modelled exactly as without column types.

    Parameters
    ----------
    n_components : int, default=2
        Number of latent units (the width of the bottleneck).
    column_types : 'auto', str, dict or list, default='auto'
        The type of each column: 'continuous' (squared error), or 'binary',
        'discrete' or 'categorical' (one-hot inputs, a softmax over the levels
        seen in training). 'auto' types a DataFrame's string, ``category`` and
        ``bool`` columns ('binary' with two levels, else 'categorical') and
        leaves numeric columns continuous. A dict maps column positions or
        feature names to types (the others 'auto'), a list gives one per
        column; one type for all applies to the numeric columns. A level
        never seen in training reads as no level (its one-hot inputs all
        zero, as ``OneHotEncoder(handle_unknown='ignore')`` gives it).
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Widths of the encoder's hidden layers, outermost first; the decoder
        mirrors them.
    activation : {'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', 'elu', \
'gelu', 'silu'}, default='relu'
        Activation of the hidden layers. The code and the output are linear.
    alpha : float, default=1e-5
        L2 penalty on the weight matrices, as Adam's ``weight_decay``.
    batch_size : int or 'auto', default='auto'
        Rows per minibatch; 'auto' means ``min(128, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's step size.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss that counts as an improvement.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows, stop when their loss has
        not improved by ``tol`` for ``n_iter_no_change`` epochs and restore the
        best weights. When False, the training loss is monitored instead and
        the last weights are kept.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    warm_start : bool, default=False
        When True, ``fit`` continues from the current weights, scaler and
        optimizer instead of starting again.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the validation split. An
        int gives bit-identical results on the CPU. None draws fresh entropy
        from the operating system; NumPy's and torch's global generators are
        never advanced.
    verbose : int, default=0
        Progress output while fitting. 0: none. 1 shows a progress bar when
        tqdm is installed (``pip install skgen[progress]``) and the output is
        a terminal or notebook, else a line per epoch; 2 a line per epoch
        (with loss and time).
    device : str or torch.device, default='auto'
        Where to train and infer: 'auto' uses CUDA when it is available. The
        resolved device is stored in ``device_``; this parameter is never
        rewritten.
    n_jobs : int or None, default=None
        Threads each call (``fit``, ``transform``, scoring, ...) gives torch
        and the BLAS and OpenMP pools of NumPy, SciPy and scikit-learn, the
        caller's coming back after it: None means 1 (unless in a
        :func:`joblib.parallel_backend` context), -1 all cores. These small
        networks lose more than they gain from threads (``docs/scaling.md``).
        Sums split over threads add in another order, so the same
        ``random_state`` with another ``n_jobs`` trains a slightly different
        model.
    scaling : {'auto', 'standard', 'global'} or None, default='auto'
        How X is scaled inside the estimator (and unscaled on the way out).
        'standard' centres each column and divides it by its standard
        deviation, so every column counts equally in the loss whatever its
        units: right for tables. 'global' centres each column but divides all
        by one shared scale, so the loss is the plain squared error in the
        units of X: right for pixels or spectra, where columns share units and
        rarely-used columns should not weigh as much as busy ones. 'auto'
        picks 'global' when at least half of the varying columns span exactly
        the same ``[min, max]`` (image-like data) and 'standard' otherwise;
        the choice is stored in ``scaling_``. None leaves X as it is.
    encoder : nn.Module subclass, function, nn.Module instance, ModuleSpec or None, \
default=None
        A network of your own in place of the MLP's encoder: a class or a
        module-level function returning a module, called with whichever of
        ``n_features``, ``n_components``, ``n_outputs`` and ``input_shape`` its
        signature names; an instance (a template, copied and re-initialised on
        every fit, never trained itself); or a :class:`skgen.nn.ModuleSpec`
        holding the factory's own parameters, which are then nested parameters
        (``encoder__channels``) for ``set_params`` and ``GridSearchCV``. It
        receives ``(batch, *input_shape)`` (``(batch, n_features)`` without
        ``input_shape``) and returns ``(batch, n_components)``. None is the MLP
        of ``hidden_layer_sizes``, which starts at PCA. See
        ``docs/custom_modules.md``.
    decoder : same as encoder, default=None
        A network of your own in place of the MLP's decoder: it receives
        ``(batch, n_components)`` and returns anything that reshapes to
        ``(batch, n_outputs)``, with ``n_outputs`` the number of columns.
    input_shape : tuple of int or None, default=None
        The shape of a row as your encoder reads it, such as ``(1, 8, 8)`` for
        8x8 images: X stays a 2-D table and each row is reshaped inside. Its
        product must be the number of columns.

    Attributes
    ----------
    column_types_ : ndarray of str of shape (`n_features_in_`,)
        The type of each column (``column_types`` with 'auto' resolved).
    levels_ : list of (ndarray or None) of length `n_features_in_`
        The sorted levels seen in training of each binary, discrete and
        categorical column (numbers, or a DataFrame column's values such as
        strings); None for a continuous column.
    module_ : skgen.nn.MLPAutoencoder
        The trained torch module (float32, in eval mode).
    mean_ : ndarray of shape (`n_features_in_`,)
        Per-column mean subtracted from X (zeros with ``scaling=None``). With
        typed columns, one entry per input of the module: a continuous
        column's, then 0 for each one-hot input (and ``scale_`` 1).
    scaling_ : {'standard', 'global'} or None
        The scaling used, ``scaling`` with 'auto' resolved.
    scale_ : ndarray of shape (`n_features_in_`,)
        Divisor of each column in ``(X - mean_) / scale_``: its standard
        deviation with ``scaling_='standard'``; one value shared by all
        columns with 'global' (the root mean square of the varying columns'
        standard deviations); ones with None. Under 'standard' a constant
        column gets that shared value, so that outputs on ``X * c``
        are ``c`` times those on X.
    n_iter_ : int
        Number of epochs run (over all ``fit``/``partial_fit`` calls when
        continuing).
    loss_curve_ : list of float
        Mean training loss of each epoch, in standardized units.
    validation_loss_curve_ : list of float or None
        Validation loss of each epoch when ``early_stopping`` is True.
    best_loss_ : float
        Best monitored loss (validation loss with early stopping).
    device_ : torch.device
        The device the module lives on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    VAETransformer : A variational autoencoder whose latent space can be sampled.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skgen import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> # tol=1e-2 stops once 10 epochs gain less than 0.01 of held-out loss: a
    >>> # quick fit for an example, coarser than the default tol=1e-4
    >>> ae = AutoencoderTransformer(n_components=8, tol=1e-2, random_state=0)
    >>> Z = ae.fit_transform(X)
    >>> Z.shape
    (1797, 8)
    >>> ae.inverse_transform(Z).shape
    (1797, 64)

    A DataFrame's string columns are typed, and come back as strings:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"size": X[:, 20], "ink": pd.Series(X[:, 36] > 8).map(
    ...     {True: "dark", False: "light"})})
    >>> ae = AutoencoderTransformer(n_components=1, tol=1e-2, random_state=0).fit(df)
    >>> list(ae.column_types_)
    ['continuous', 'binary']
    >>> ae.inverse_transform(ae.transform(df[:3])).dtypes.equals(df.dtypes)
    True
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        column_types="auto",
        hidden_layer_sizes=(256, 128),
        activation="relu",
        alpha=1e-5,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=200,
        tol=1e-4,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        random_state=None,
        verbose=0,
        device="auto",
        n_jobs=None,
        scaling="auto",
        encoder=None,
        decoder=None,
        input_shape=None,
    ):
        self.n_components = n_components
        self.column_types = column_types
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.n_jobs = n_jobs
        self.scaling = scaling
        self.encoder = encoder
        self.decoder = decoder
        self.input_shape = input_shape

    # ------------------------------------------------------------------ hooks

    def _module_spec(self, n_features):
        return MLPAutoencoder, {
            "n_features": n_features,
            "n_components": self.n_components,
            "hidden_layer_sizes": self._check_hidden_layer_sizes(),
            "activation": self.activation,
            "residual": True,
            **self._custom_modules(),
        }

    def _initialize_module(self, module, X_train):
        # the MLP starts at PCA; a user's encoder or decoder from its own initialisation
        init_pca(module.encoder, module.decoder, X_train)

    def _loss(self, module, batch, generator):
        if self._typed is not None:  # each column's loss of its type
            return torch.mean(self._typed_columns().loss(module(batch), batch))
        return torch.mean((module(batch) - batch) ** 2)

    # ---------------------------------------------------------------- public API

    @property
    def _n_features_out(self):
        """The code width of the fitted module, for :meth:`get_feature_names_out`."""
        return self._module_kwargs["n_components"]

    def transform(self, X):
        """Encode X into latent codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to encode, with the columns of the training data.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            Latent codes, in X's floating dtype.
        """
        X = self._validate_for_inference(X)
        return self._apply_in_batches(X, lambda m, x: m.encoder(x))

    def inverse_transform(self, X):
        """Decode latent codes back to rows in the units of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Latent codes.

        Returns
        -------
        X_original : ndarray or DataFrame of shape (n_samples, `n_features_in_`)
            With typed columns, each one holds its most likely level. A model
            fitted on a DataFrame gives a DataFrame with the training columns
            and dtypes (indexed like X when X is a DataFrame), an integer
            column's values rounded to whole numbers.
        """
        index = X.index if columns.is_pandas_frame(X) else None  # rows labelled like Z
        Z = self._validate_codes(X)
        reconstruct = self._reconstruction()
        rows = self._apply_in_batches(Z, lambda m, z: reconstruct(m.decoder(z)),
                                      standardize=False, unstandardize=True)
        # a model fitted on a DataFrame gives its rows in the training dtypes, typed columns
        # or not (an Int64 column is whole numbers again, as the VAE gives it)
        return self._typed_rows(rows, index=index)

    def score_samples(self, X):
        """Negative mean squared reconstruction error of each row (higher is better).

        The error is measured in the estimator's scaled units (see
        ``scaling_``): with 'standard' scaling every column counts equally
        whatever its units, with 'global' it is the squared error in the units
        of X divided by one shared scale. With typed columns it is the mean of
        the columns' weighted losses, the training loss (a level never seen in
        training has the loss of probability ``1 / (n_samples + 1)``, where
        ``n_samples`` were the training rows).

        Because the units follow ``scaling`` (and the losses ``column_types``),
        the scores of models that differ in them are not comparable: a grid
        search over either needs a ``scoring`` of its own, for instance minus the
        mean squared error of :meth:`inverse_transform` in the units of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, with the columns of the training data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        X = self._validate_for_inference(X)
        if self._typed is not None:
            typed = self._typed_columns()
            return self._apply_in_batches(X, lambda m, x: -typed.loss(m(x), x)).astype(
                np.float64, copy=False)
        return self._apply_in_batches(X, lambda m, x: -torch.mean((m(x) - x) ** 2, dim=1)).astype(
            np.float64, copy=False
        )
