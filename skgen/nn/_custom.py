"""User encoders and decoders: how skgen names, builds, wraps and checks them.

An estimator's ``encoder`` or ``decoder`` parameter is None (skgen's MLP), an
``nn.Module`` subclass, a module-level function returning a module, an
``nn.Module`` instance (a template, copied and re-initialised on every build) or
a :class:`ModuleSpec`. :func:`as_spec` turns any of them into a
:class:`ModuleSpec`, which the skgen modules build with the sizes of the data
(:meth:`ModuleSpec.build`) and wrap in a :class:`CustomBlock`, which reshapes
what goes in and out; :func:`check_custom_blocks` runs each block once on a
small batch before training, so that a wrong shape is a ValueError naming the
shapes instead of a stack trace from deep inside training.
"""

# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import copy
import importlib
import inspect
import math
import pickle
from numbers import Integral

import torch
from torch import nn

from .._utils import default_device

#: The sizes a factory receives when its signature names them.
META_PARAMETERS = ("n_features", "n_components", "n_outputs", "input_shape")


def _factory_name(factory):
    return getattr(factory, "__qualname__", None) or type(factory).__name__


def _keywords(factory):
    """``(names, open)``: the parameters of ``factory`` a keyword can set, and whether it
    also takes ``**kwargs`` (or has no signature to read: a builtin, taken on trust)."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return [], True
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return names, any(p.kind == p.VAR_KEYWORD for p in parameters)


class ModuleSpec:
    """A torch module factory and its hyper-parameters, for an estimator's encoder or decoder.

    It has ``get_params`` and ``set_params`` as a scikit-learn kernel has, so
    that the factory's parameters are the estimator's nested parameters:
    ``encoder__channels`` works in ``set_params``, a
    :class:`~sklearn.pipeline.Pipeline` and
    :class:`~sklearn.model_selection.GridSearchCV`, and
    :func:`~sklearn.base.clone` gives each copy of the estimator its own spec.

    Parameters
    ----------
    factory : nn.Module subclass or callable
        Called as ``factory(**params, **sizes)`` to build the module, where
        ``sizes`` holds whichever of ``n_features``, ``n_components``,
        ``n_outputs`` and ``input_shape`` its signature names (the estimator
        supplies them from the data); it must return an ``nn.Module``. Keep it
        at module level (importable by name), so that fitted models can be
        saved: the factory is stored by reference, never as code.
    **params
        The factory's own parameters. A name the factory does not take, or one
        of the sizes above, is a ValueError.

    Examples
    --------
    >>> from torch import nn
    >>> from skgen.nn import ModuleSpec
    >>> def make_encoder(n_features, n_components, width=32):
    ...     return nn.Sequential(nn.Linear(n_features, width), nn.ReLU(),
    ...                          nn.Linear(width, n_components))
    >>> spec = ModuleSpec(make_encoder, width=16)
    >>> spec.set_params(width=64).get_params()["width"]
    64
    >>> spec.build(n_features=10, n_components=2, n_outputs=2, input_shape=None)[0]
    Linear(in_features=10, out_features=64, bias=True)
    """

    def __init__(self, factory, **params):
        if not callable(factory):
            raise TypeError(f"ModuleSpec needs an nn.Module subclass or a function returning "
                            f"a module, got {factory!r}.")
        self.factory = factory
        self.params = params
        self._check_names(params)

    def _check_names(self, params):
        name = _factory_name(self.factory)
        given = [key for key in params if key in META_PARAMETERS]
        if given:
            raise ValueError(
                f"{given[0]!r} is not a parameter to set in ModuleSpec({name}, ...): the "
                f"estimator passes {', '.join(META_PARAMETERS)} from the data to a factory "
                "whose signature names them.")
        accepted, takes_kwargs = _keywords(self.factory)
        if takes_kwargs:
            return
        unknown = [key for key in params if key not in accepted]
        if unknown:
            own = [a for a in accepted if a not in META_PARAMETERS]
            raise ValueError(
                f"{unknown[0]!r} is not a parameter of {name}; its parameters are "
                f"{', '.join(map(repr, own)) or 'none'} (and the sizes the estimator passes: "
                f"{', '.join(META_PARAMETERS)}).")

    def get_params(self, deep=True):
        """The factory and its parameters, as :meth:`sklearn.base.BaseEstimator.get_params`.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of parameters that have ``get_params``,
            as ``name__parameter``.

        Returns
        -------
        params : dict
        """
        out = {"factory": self.factory, **self.params}
        if deep:
            for key, value in self.params.items():
                if hasattr(value, "get_params") and not isinstance(value, type):
                    out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
        return out

    def set_params(self, **params):
        """Set the factory or its parameters (``name__parameter`` for nested ones).

        Returns
        -------
        self : ModuleSpec
        """
        nested, own = {}, {}
        for key, value in params.items():
            head, sep, rest = key.partition("__")
            if sep:
                nested.setdefault(head, {})[rest] = value
            else:
                own[key] = value
        factory = own.pop("factory", self.factory)
        merged = {**self.params, **own}
        checked = ModuleSpec(factory, **merged)  # a ValueError leaves self as it was
        for head, sub in nested.items():
            if not hasattr(merged.get(head), "set_params"):
                checked._check_names({head: None})
                raise ValueError(f"{head!r} of {_factory_name(factory)} has no parameters "
                                 f"to set ({', '.join(sub)}).")
            merged[head].set_params(**sub)
        self.factory, self.params = checked.factory, merged
        return self

    def __repr__(self):
        args = [_factory_name(self.factory)]
        args += [f"{key}={value!r}" for key, value in self.params.items()]
        return f"ModuleSpec({', '.join(args)})"

    def __eq__(self, other):
        return (type(other) is type(self) and other.factory is self.factory
                and other.params.keys() == self.params.keys()
                and all(_same(self.params[k], other.params[k]) for k in self.params))

    __hash__ = None

    def copy(self):
        """A spec with the same factory and its own dict of parameters."""
        return ModuleSpec(self.factory, **self.params)

    def build(self, **sizes):
        """The module: ``factory(**params)`` plus the ``sizes`` its signature names.

        Parameters
        ----------
        **sizes
            ``n_features``, ``n_components``, ``n_outputs`` and ``input_shape``.

        Returns
        -------
        nn.Module
        """
        # only the sizes the factory's signature names explicitly
        named = _keywords(self.factory)[0]
        kwargs = {name: sizes[name] for name in META_PARAMETERS if name in named and name in sizes}
        try:
            module = self.factory(**self.params, **kwargs)
        except (TypeError, ValueError, RuntimeError) as exc:
            given = ", ".join(f"{k}={v!r}" for k, v in {**self.params, **kwargs}.items())
            raise ValueError(f"{_factory_name(self.factory)}({given}) failed: "
                             f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(module, nn.Module):
            raise ValueError(f"{_factory_name(self.factory)} returned "
                             f"{type(module).__name__}, not a torch.nn.Module.")
        return module


def _same(a, b):
    """Parameters equal, a template module the same architecture (its repr)."""
    if isinstance(a, nn.Module) or isinstance(b, nn.Module):
        return type(a) is type(b) and repr(a) == repr(b)
    try:
        return bool(a == b)
    except Exception:  # arrays and the like: compare what they are
        return a is b


def from_template(template):
    """A deep copy of ``template`` with every layer re-initialised (``reset_parameters``).

    The factory of an ``nn.Module`` instance given as an encoder or decoder:
    the estimator never trains the instance itself, and every fit starts from
    weights drawn from its own seed. Parameters of layers without
    ``reset_parameters`` keep the template's values. Under ``torch.device("meta")``
    (the plan that sizes a module before it is built) the copy's tensors are meta
    tensors of the template's shapes: the plan copies no weights.
    """
    memo = {}
    if default_device().type == "meta":
        for tensor in (*template.parameters(), *template.buffers()):
            meta = torch.empty_like(tensor, device="meta")
            memo[id(tensor)] = (nn.Parameter(meta, requires_grad=tensor.requires_grad)
                                if isinstance(tensor, nn.Parameter) else meta)
    module = copy.deepcopy(template, memo)
    for layer in module.modules():
        reset = getattr(layer, "reset_parameters", None)
        if callable(reset):
            reset()
    return module


def as_spec(value, name="encoder"):
    """The :class:`ModuleSpec` of an estimator's ``encoder`` or ``decoder`` value (or None).

    A ModuleSpec is copied (a later ``set_params`` on the estimator's must not
    change the fitted one's), a class or function becomes a spec without
    parameters, and an ``nn.Module`` instance a spec of :func:`from_template`
    holding a copy of it.
    """
    if value is None:
        return None
    if isinstance(value, ModuleSpec):
        return value.copy()
    if isinstance(value, nn.Module):
        return ModuleSpec(from_template, template=copy.deepcopy(value))
    if callable(value):
        return ModuleSpec(value)
    raise ValueError(
        f"{name} must be None, an nn.Module subclass, a function returning a module, an "
        f"nn.Module instance or a skgen.nn.ModuleSpec, got {value!r}.")


def positive_ints(value, name, *, allow_empty=False):
    """``value``, a sequence of ints (or one, or a 0-d array of one), as a tuple of ints of
    at least 1.

    Floats (``2.0``) and bools (``True``) are refused, not rounded or read as 1: a size is
    a count. ``hidden_layer_sizes`` may be empty (no hidden layer), ``input_shape`` not.
    """
    if getattr(value, "ndim", None) == 0:  # a 0-d array, as np.atleast_1d took it
        value = (value.item(),)
    items = (value,) if isinstance(value, Integral) else value
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if items is None or (not items and not allow_empty) or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in items):
        raise ValueError(f"{name} must be a sequence of positive integers, got {value!r}.")
    return tuple(int(s) for s in items)


def check_input_shape(input_shape, n_features):
    """``input_shape`` as a tuple of positive ints whose product is ``n_features`` (or None)."""
    if input_shape is None:
        return None
    shape = positive_ints(input_shape, "input_shape")
    if math.prod(shape) != n_features:
        raise ValueError(
            f"input_shape={shape} holds {math.prod(shape)} values per row, but the module "
            f"reads {n_features} columns: their product must be the number of columns.")
    return shape


class CustomBlock(nn.Module):
    """A user's encoder or decoder between the flat rows skgen passes and what it returns.

    The input of shape ``(batch, prod(in_shape))`` is reshaped to ``(batch,
    *in_shape)``; the output, a tensor or a tuple of tensors (a VAE encoder's
    ``(mean, log_var)``, concatenated in that order), is reshaped to
    ``(batch, n_outputs)``.

    Parameters
    ----------
    net : nn.Module
        The user's module.
    in_shape : tuple of int
        What one row looks like to ``net``.
    n_outputs : int or None
        The width of the flat output; None takes what ``net`` returns on one
        row of zeros (a code whose width the encoder chooses).
    role : str
        'encoder' or 'decoder', for messages.
    expected : str, default=''
        What ``n_outputs`` is, for messages (``'n_components=2'``).
    """

    def __init__(self, net, in_shape, n_outputs, role, expected=""):
        super().__init__()
        self.net = net
        self.in_shape = tuple(in_shape)
        self.role, self.expected = role, expected
        #: Values one row's pass holds in the outputs of the net's layers, for the memory
        #: budget of inference (a convolution's feature maps outgrow its weights).
        self.row_values = 0
        device = next((p.device for p in net.parameters()), None)
        if n_outputs is None or (device is not None and device.type != "meta"):
            out, self.row_values = self._probe(device)
            n_outputs = out.shape[1] if n_outputs is None else n_outputs
        self.n_outputs = int(n_outputs)

    def _probe(self, device):
        """The flat output for one row of zeros, and the values its layers' outputs hold."""
        sizes = []

        def count(module, args, out):
            for part in out if isinstance(out, (tuple, list)) else (out,):
                if isinstance(part, torch.Tensor):
                    sizes.append(part.numel())

        leaves = [m for m in self.net.modules() if next(m.children(), None) is None]
        hooks = [m.register_forward_hook(count) for m in leaves]
        try:
            out = self._run(torch.zeros((1, *self.in_shape), device=device))
        finally:
            for hook in hooks:
                hook.remove()
        return self._flat(out), sum(sizes)

    def _run(self, x):
        """``net(x)`` in eval mode and without gradients (batch normalization keeps its
        statistics, dropout draws nothing); its failure a ValueError naming it and the shape."""
        training = self.net.training
        self.net.eval()
        try:
            with torch.no_grad():
                return self.net(x)
        except Exception as exc:
            raise ValueError(f"The {self.role} {_factory_name(type(self.net))} failed on a "
                             f"batch of shape {tuple(x.shape)}: {type(exc).__name__}: "
                             f"{exc}") from exc
        finally:
            self.net.train(training)

    def _parts(self, out):
        """The tensors the net returned: one, or a VAE encoder's (mean, log_var); a
        ValueError naming the net for anything else."""
        parts = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if not all(isinstance(part, torch.Tensor) for part in parts):
            raise ValueError(f"The {self.role} {_factory_name(type(self.net))} returned "
                             f"{type(out).__name__}; it must return a tensor (or a VAE "
                             "encoder's (mean, log_var) tuple).")
        return parts

    def _flat(self, out):
        return torch.cat([part.reshape(part.shape[0], -1) for part in self._parts(out)], dim=1)

    def forward(self, x):
        out = self.net(x.reshape(-1, *self.in_shape))
        if isinstance(out, (tuple, list)):
            out = torch.cat([part.reshape(-1, self.n_outputs // len(out)) for part in out],
                            dim=1)
        return out.reshape(-1, self.n_outputs)

    def check(self):
        """Run the module once on a batch of 2 random rows; ValueError on a wrong output.

        The rows come from a generator of its own; see :meth:`_run`.
        """
        name = _factory_name(type(self.net))
        device = next((p.device for p in self.net.parameters()), torch.device("cpu"))
        batch = (2, *self.in_shape)
        out = self._run(torch.randn(batch, generator=torch.Generator().manual_seed(0)).to(device))
        expected = (2, self.n_outputs)
        what = f" ({self.expected})" if self.expected else ""
        parts = self._parts(out)
        received = tuple(tuple(part.shape) for part in parts)
        widths = [math.prod(part.shape[1:]) for part in parts]
        if (any(part.ndim < 1 or part.shape[0] != 2 for part in parts)
                or sum(widths) != self.n_outputs or len(set(widths)) != 1):
            shown = received[0] if len(received) == 1 else received
            raise ValueError(
                f"The {self.role} {name} returned shape {shown} for input of shape {batch}; "
                f"expected {expected}{what}, or any shape that reshapes to it.")
        bad = [part.dtype for part in parts if part.dtype != torch.float32]
        if bad:
            raise ValueError(f"The {self.role} {name} returned {bad[0]}; skgen trains in "
                             "float32 and needs float32 outputs.")
        if not all(torch.isfinite(part).all() for part in parts):
            raise ValueError(f"The {self.role} {name} returned non-finite values for finite "
                             f"input of shape {batch}.")


def custom_block(spec, *, role, n_features, n_components, n_outputs, input_shape, in_shape,
                 expected=""):
    """Build ``spec`` with the sizes and wrap it in a :class:`CustomBlock` reading ``in_shape``."""
    net = spec.build(n_features=n_features, n_components=n_components, n_outputs=n_outputs,
                     input_shape=input_shape)
    return CustomBlock(net, in_shape, n_outputs, role, expected)


def custom_pair(encoder, decoder, *, n_features, n_components, n_outputs, input_shape,
                in_width=None, expected=("", "")):
    """``(encoder, decoder)``: a :class:`CustomBlock` for each side given, None for the other.

    Parameters
    ----------
    encoder, decoder : ModuleSpec, class, function, nn.Module or None
        See :func:`as_spec`.
    n_features : int
        The columns of the rows.
    n_components : int or None
        The code width; None lets the encoder choose it (its output on a row
        of zeros), and the decoder's factory gets that.
    n_outputs : tuple of (int or None, int)
        The flat widths the encoder and the decoder must return.
    input_shape : tuple of int or None
        What a row looks like to the encoder; its product is ``in_width``.
    in_width : int, default=n_features
        The width of the encoder's flat input (the VAE's categorical columns
        one-hot), which its factory gets as ``n_features``.
    expected : tuple of str
        What the two widths are, for messages.
    """
    in_width = n_features if in_width is None else in_width
    shape = check_input_shape(input_shape, in_width)
    enc = dec = None
    if encoder is not None:  # its n_features is the width it reads (with one-hot columns)
        enc = custom_block(as_spec(encoder, "encoder"), role="encoder", n_features=in_width,
                           n_components=n_components, n_outputs=n_outputs[0],
                           input_shape=shape, in_shape=shape or (in_width,),
                           expected=expected[0])
        if n_components is None:
            n_components = enc.n_outputs
    if decoder is not None:
        dec = custom_block(as_spec(decoder, "decoder"), role="decoder", n_features=n_features,
                           n_components=n_components, n_outputs=n_outputs[1],
                           input_shape=shape, in_shape=(n_components,), expected=expected[1])
    return enc, dec


def activation_values(module):
    """Values one row's pass holds in the layers of the user's modules in ``module``."""
    return sum(block.row_values for block in module.modules() if isinstance(block, CustomBlock))


def has_custom_blocks(module):
    """Whether any part of ``module`` is a user's encoder or decoder."""
    return any(isinstance(m, CustomBlock) for m in module.modules())


def check_custom_blocks(module):
    """:meth:`CustomBlock.check` on each user encoder and decoder in ``module``."""
    for block in module.modules():
        if isinstance(block, CustomBlock):
            block.check()


@contextlib.contextmanager
def seeded_global_generator(seed):
    """Torch's global CPU generator seeded with ``seed`` in the block, and put back after.

    skgen's own modules draw only from the estimator's generator; a user's module
    may draw from the global one while training (``nn.Dropout`` has no
    ``generator``), so its fit is made reproducible this way. A thread drawing
    from the global generator at the same time shares the seeded stream. None
    does nothing.
    """
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        yield


# ---------------------------------------------------------------- saving

def _importable(obj):
    """Whether pickle (and skops) can find ``obj`` again by its module and qualified name."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or "<" in qualname:  # <lambda>, <locals>
        return False
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return False
    return found is obj


def check_saveable(value, name):
    """A clear error when the ``encoder`` or ``decoder`` ``value`` cannot be saved by reference.

    Models store the user's module class or factory by its import path, never
    as code; a lambda, or a class or function defined inside a function, has
    no such path.
    """
    if isinstance(value, ModuleSpec):
        check_saveable(value.factory, name)
        for item in value.params.values():
            if isinstance(item, nn.Module):
                check_saveable(item, name)
        return
    obj = type(value) if isinstance(value, nn.Module) else value
    if obj is None or _importable(obj):
        return
    raise pickle.PicklingError(
        f"Cannot save a model whose {name} is {_factory_name(obj)} from {obj.__module__}: "
        "skgen stores the module's class or factory by reference (its import path), never "
        "as code, and a lambda or a class or function defined inside a function has none. "
        "Define it at the top level of a module.")
