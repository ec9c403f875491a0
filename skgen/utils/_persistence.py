"""Saving and loading fitted models without unpickling code, with ``skops.io``."""

# SPDX-License-Identifier: BSD-3-Clause

from ..nn import ModuleSpec
from .discovery import all_estimators


def trusted_types():
    """The types to trust when loading a skgen model with :func:`skops.io.load`.

    ``skops.io`` rebuilds an object from its saved state instead of running
    the code a pickle names, and refuses types it does not know unless they
    are trusted. A fitted skgen estimator's state holds NumPy arrays, plain
    Python values, NumPy's ``RandomState`` and scikit-learn estimators that
    skops already trusts, so the estimator classes themselves are all there
    is to trust, and :class:`skgen.nn.ModuleSpec`, which holds a custom
    encoder's or decoder's factory by reference. A pipeline adds the types of
    its other steps, and a custom encoder or decoder its own class or factory
    (``docs/custom_modules.md``): check the list with
    :func:`skops.io.get_untrusted_types` before trusting it.

    Returns
    -------
    types : list of str
        The fully qualified names of the public skgen estimator classes and
        of :class:`skgen.nn.ModuleSpec`, sorted.

    Examples
    --------
    >>> from skgen.utils import trusted_types
    >>> trusted_types()
    ['skgen._autoencoder.AutoencoderTransformer', 'skgen._denoising.DenoisingAutoencoder', \
'skgen._outlier.AEOutlierDetector', 'skgen._vae.VAETransformer', 'skgen.nn._custom.ModuleSpec']
    """
    classes = [cls for _, cls in all_estimators()] + [ModuleSpec]
    return sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in classes)
