"""Export scikit-learn pipelines holding skgen estimators to ONNX.

Importing this module registers a converter for every skgen estimator with
`skl2onnx <https://onnx.ai/sklearn-onnx/>`_, so that a fitted pipeline with
skgen steps converts like any other::

    import skgen.onnx  # noqa: F401  (registers the converters)
    from skl2onnx import to_onnx
    onx = to_onnx(pipeline, X[:1])

and then runs in :mod:`onnxruntime` alone, with no PyTorch. Each network is
exported by the PyTorch exporter (``torch.onnx.export``) and spliced into
skl2onnx's graph; the scaling of X, the ``bounds`` map of
:class:`~skgen.VAETransformer`, the NaN handling of
:class:`~skgen.DenoisingAutoencoder` and the score of
:class:`~skgen.AEOutlierDetector` (its nearest-neighbour part included) are
written as ONNX operators around it.

What is converted:

- :class:`~skgen.AutoencoderTransformer` and :class:`~skgen.VAETransformer`:
  ``transform`` (the VAE's posterior mean); with the option
  ``inverse_transform=True`` the step is ``inverse_transform`` instead and
  takes latent codes;
- :class:`~skgen.DenoisingAutoencoder`: ``transform``, NaN filled;
- :class:`~skgen.AEOutlierDetector`: outputs ``label`` (``predict``) and
  ``scores`` (``decision_function``), and ``score_samples`` with the option
  ``score_samples=True``, as skl2onnx does for
  :class:`~sklearn.ensemble.IsolationForest` (each of shape ``(n, 1)``).

Options are passed as skl2onnx takes them, e.g.
``options={AEOutlierDetector: {"score_samples": True}}``. Methods that draw
random numbers cannot be exported (``VAETransformer.sample`` and
``VAETransformer.score_samples``, an importance-sampled bound); asking for them
raises :class:`NotImplementedError` naming the method. So does a
``VAETransformer`` with typed columns (``column_types_``) where the graph would
need them: ``inverse_transform`` of any model with a binary, discrete or
categorical column (its most likely level), with point masses in a continuous
column, or fitted on a DataFrame with integer columns (rounded and clipped),
and ``transform`` of one with a categorical or non-numeric column (read as
level codes, one-hot) or with ``bounds`` beside typed columns; ``transform`` of
binary and discrete numeric columns is exported, as the encoder reads them as
numbers; and any method of an ``AutoencoderTransformer``, ``DenoisingAutoencoder``
or ``AEOutlierDetector`` with a binary, discrete or categorical column (read
one-hot, reconstructed with a softmax). The error names the columns. The graph needs ONNX
opset 18 or later (skl2onnx's default is later).

This module needs the ``onnx`` extra: ``pip install skgen[onnx]``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import copy
import logging
import warnings

import numpy as np
import torch

from . import _columns as columns
from ._autoencoder import AutoencoderTransformer
from ._compat import check_is_fitted
from ._data import LOGIT_SQUEEZE
from ._denoising import DenoisingAutoencoder
from ._outlier import AEOutlierDetector
from ._statistics import surprisal_ramps
from ._vae import VAETransformer

_EXTRA = ("skgen.onnx needs onnx, onnxruntime, skl2onnx and onnxscript (the PyTorch "
          "exporter's dependency). Install them with: pip install skgen[onnx]")

try:
    import onnx
    import onnxscript  # noqa: F401  (torch.onnx.export(dynamo=True) imports it)
    from onnx import helper, inliner, numpy_helper
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import DoubleTensorType, Int64TensorType, guess_tensor_type
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(f"{_EXTRA} ({exc}).") from exc

if tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2]) < (2, 6):
    raise ImportError(f"skgen.onnx needs torch>=2.6 (its ONNX exporter), found {torch.__version__}.")

__all__ = ["MIN_OPSET"]

#: The lowest ONNX opset the converters write (the PyTorch exporter's lowest).
MIN_OPSET = 18


# --------------------------------------------------------------------- the graph


class _Graph:
    """Adds nodes and constants to skl2onnx's graph for one operator (one pipeline step).

    Every name it makes is unique in the whole graph; constants are stored in the
    dtype of the step's input unless another is asked for.
    """

    def __init__(self, scope, operator, container):
        self.scope, self.operator, self.container = scope, operator, container
        self.estimator = operator.raw_operator
        self.prefix = type(self.estimator).__name__
        double = isinstance(operator.inputs[0].type, DoubleTensorType)
        self.dtype = np.float64 if double else np.float32
        self.opset = container.target_opset
        if self.opset is not None and self.opset < MIN_OPSET:
            raise NotImplementedError(
                f"skgen.onnx writes ONNX opset {MIN_OPSET} or later (the PyTorch exporter's "
                f"lowest), but target_opset={self.opset} was asked for."
            )
        # one input per column (a DataFrame's) is put side by side in one tensor
        inputs = [self._as_dtype(v.full_name, v.type) for v in operator.inputs]
        self.x = inputs[0] if len(inputs) == 1 else self.op("Concat", *inputs, axis=1)

    def _as_dtype(self, name, tensor_type):
        same = isinstance(tensor_type, DoubleTensorType) == (self.dtype == np.float64)
        return name if same else self.cast(name, self.dtype)

    def name(self, seed):
        return self.scope.get_unique_variable_name(f"{self.prefix}_{seed}")

    def const(self, value, seed="c", dtype=None):
        """A constant tensor (an initializer) holding ``value``."""
        array = np.asarray(value, dtype=dtype or self.dtype)
        name = self.name(seed)
        tensor = numpy_helper.from_array(array, name)
        self.container.add_initializer(name, tensor.data_type, list(array.shape), tensor)
        return name

    def axes(self, *axes):
        return self.const(np.array(axes, dtype=np.int64), "axes", np.int64)

    def op(self, op_type, *inputs, out=None, **attrs):
        """Add a node of one output; returns the output's name (``out`` when given)."""
        out = out or self.name(op_type.lower())
        self.container.add_node(op_type, list(inputs), [out],
                                name=self.scope.get_unique_operator_name(op_type), **attrs)
        return out

    def cast(self, x, dtype, out=None):
        return self.op("Cast", x, out=out, to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))

    def to_float64(self, x):
        """``x``, of the step's dtype, in float64."""
        return x if self.dtype == np.float64 else self.cast(x, np.float64)

    def from_float64(self, x, out=None):
        """``x``, a float64 tensor, back in the step's dtype (named ``out`` when given)."""
        if self.dtype != np.float64:
            return self.cast(x, self.dtype, out=out)
        return x if out is None else self.op("Identity", x, out=out)

    def network(self, fn, x, n_columns, n_outputs=1):
        """``fn(module_, x)`` exported by PyTorch and spliced in; returns its output names."""
        model = _export(self.estimator.module_, fn, n_columns, self.dtype, self.opset)
        return _splice(self, model, [x], n_outputs)

    # ------------------------------------------------------- scaling of X

    def standardize(self, x):
        """``(x - mean_) / scale_`` in the input's dtype, as the estimators compute it."""
        est = self.estimator
        return self.op("Div", self.op("Sub", x, self.const(est.mean_, "mean")),
                       self.const(est.scale_, "scale"))

    def unstandardize(self, y, out=None):
        """``y * scale_ + mean_``: back to the units of X."""
        est = self.estimator
        return self.op("Add", self.op("Mul", y, self.const(est.scale_, "scale")),
                       self.const(est.mean_, "mean"), out=out)


@contextlib.contextmanager
def _quiet_exporter():
    """Silence the PyTorch exporter's progress warnings and log lines during one export."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


class _Function(torch.nn.Module):
    """``fn(module, x)`` as a module of its own, the unit the PyTorch exporter takes."""

    def __init__(self, module, fn):
        super().__init__()
        self.module, self.fn = module, fn

    def forward(self, x):
        return self.fn(self.module, x)


def _export(module, fn, n_columns, dtype, opset):
    """The ONNX model of ``fn(module, x)`` for ``x`` of shape ``(n, n_columns)`` in ``dtype``.

    A CPU copy of the module in ``dtype`` is exported, as skgen's own inference
    runs a float64 copy of the weights on float64 input; the number of rows is
    left free.
    """
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    wrapper = _Function(copy.deepcopy(module).to("cpu", torch_dtype), fn).eval()
    example = torch.zeros((2, n_columns), dtype=torch_dtype)
    with _quiet_exporter(), torch.no_grad():
        program = torch.onnx.export(
            wrapper, (example,), dynamo=True, opset_version=max(opset or MIN_OPSET, MIN_OPSET),
            dynamic_shapes=({0: torch.export.Dim("n_rows")},), verbose=False,
        )
    return inliner.inline_local_functions(program.model_proto)


def _splice(graph, model, inputs, n_outputs):
    """Copy ``model``'s nodes and weights into skl2onnx's graph, reading ``inputs``.

    Every name is made unique in the target graph; returns the names of the
    model's outputs there.
    """
    body = model.graph
    names = {inp.name: name for inp, name in zip(body.input, inputs)}

    def rename(name):
        if not name:  # an omitted optional input stays omitted
            return name
        if name not in names:
            names[name] = graph.name(name)
        return names[name]

    for tensor in body.initializer:
        array = numpy_helper.to_array(tensor)
        names[tensor.name] = graph.const(array, tensor.name, array.dtype)
    for node in body.node:
        if node.domain not in ("", "ai.onnx"):
            raise NotImplementedError(
                f"The PyTorch exporter wrote a {node.domain}::{node.op_type} node, which "
                "skgen.onnx cannot place in an skl2onnx graph."
            )
        attrs = {}
        for attr in node.attribute:
            if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise NotImplementedError(
                    f"The PyTorch exporter wrote a {node.op_type} node with a subgraph, "
                    "which skgen.onnx cannot place in an skl2onnx graph."
                )
            attrs[attr.name] = helper.get_attribute_value(attr)
        graph.container.add_node(
            node.op_type, [rename(n) for n in node.input], [rename(n) for n in node.output],
            name=graph.scope.get_unique_operator_name(node.op_type or "node"), **attrs,
        )
    outputs = [rename(out.name) for out in body.output]
    if len(outputs) != n_outputs:  # pragma: no cover - a change of the exporter
        raise RuntimeError(f"Expected {n_outputs} outputs from the exporter, got {len(outputs)}.")
    return outputs


# ---------------------------------------------------------------- the estimators


def _refuse(estimator, method, why):
    raise NotImplementedError(
        f"{type(estimator).__name__}.{method} cannot be exported to ONNX: {why}"
    )


def _options(operator, **defaults):
    return operator.scope_inst.get_options(operator.raw_operator, dict(defaults))


def _check_width(operator, expected, what):
    """The step's inputs must have ``expected`` columns together, when that is known."""
    widths = [v.type.shape[1] if len(v.type.shape) == 2 else None for v in operator.inputs]
    width = sum(widths) if all(isinstance(w, int) for w in widths) else None
    if width is not None and width != expected:
        raise ValueError(
            f"{type(operator.raw_operator).__name__} takes {expected} columns ({what}), but "
            f"the ONNX input of this step has {width}."
        )


def _set_output(operator, index, width, tensor_type=None):
    n_rows = operator.inputs[0].get_first_dimension()
    out = operator.outputs[index]
    cls = tensor_type or guess_tensor_type(operator.inputs[0].type).__class__
    out.type = cls([n_rows, width])


def _listed_columns(est, mask):
    """The columns of ``mask`` for a message: ``"0 ('age'), 3 ('city')"``, at most five."""
    names = getattr(est, "feature_names_in_", None)
    found = [f"{j}" if names is None else f"{j} ({names[j]!r})" for j in np.flatnonzero(mask)]
    return ", ".join(found[:5]) + (" ..." if len(found) > 5 else "")


def _refuse_one_hot_columns(est, method):
    """An AutoencoderTransformer, DenoisingAutoencoder or AEOutlierDetector whose typed
    columns its network reads one-hot: that encoding (and the softmax heads) is not exported."""
    if est._typed is None:
        return
    typed = np.asarray(est.column_types_) != "continuous"
    _refuse(est, method, f"the model has binary, discrete or categorical columns "
            f"({_listed_columns(est, typed)}), which its network "
            "reads one-hot and reconstructs with a softmax over their levels; that encoding "
            "is not exported. Fit on numeric columns (column_types='continuous') to export it.")


def _refuse_rounded_columns(est, method):
    """Columns skgen gives back otherwise than as the decoder's numbers: snapped to a point
    mass (the VAE's), or rounded and clipped to their integer dtype (any model fitted on a
    DataFrame with one)."""
    changed = ~columns.decoded_as_is(est.column_types_, est.levels_, est._frame)
    if changed.any():
        _refuse(est, method, f"the model's columns {_listed_columns(est, changed)} come back "
                "as a point mass when it is the most likely value, or rounded and clipped "
                "to their integer dtype, which is not exported; fit with "
                "column_types='continuous' on float columns to export it.")


def _latent_shape(operator):
    """AutoencoderTransformer and VAETransformer: codes, or rows with ``inverse_transform``."""
    est = operator.raw_operator
    check_is_fitted(est)
    inverse = _options(operator, inverse_transform=False)["inverse_transform"]
    if not isinstance(est, VAETransformer):
        _refuse_one_hot_columns(est, "inverse_transform" if inverse else "transform")
        if inverse:
            _refuse_rounded_columns(est, "inverse_transform")
    else:
        options = _options(operator, score_samples=False, sample=False)
        if options["sample"]:
            _refuse(est, "sample", "it draws random rows from a NumPy generator; export "
                    "inverse_transform and feed it standard normal codes instead.")
        if options["score_samples"]:
            _refuse(est, "score_samples", "it is an importance-sampled bound on the "
                    "log-likelihood, averaged over the fixed random draws importance_draws_ "
                    "through the decoder.")
        if getattr(est, "quantile_knots_", None) is not None:
            _refuse(est, "inverse_transform" if inverse else "transform",
                    "normalization='quantile' maps each continuous column through its "
                    "piecewise-linear quantile map, which the graph does not hold.")
        if inverse and est.module_.n_classes:
            _refuse(est, "inverse_transform", "with conditional=True it decodes each code "
                    "with its most probable class under the mixtures prior_; export "
                    "transform only.")
        _refuse_typed_columns(est, inverse)
    n_components = est._n_features_out  # the fitted code width
    if inverse:
        _check_width(operator, n_components, "latent codes, for inverse_transform")
        _set_output(operator, 0, est.n_features_in_)
    else:
        _check_width(operator, est.n_features_in_, "n_features_in_")
        _set_output(operator, 0, n_components)


def _refuse_typed_columns(est, inverse):
    """A VAETransformer's typed columns where the graph would need them (see the module doc)."""
    types = est.column_types_

    def listed(mask):  # the columns of mask, named
        return _listed_columns(est, mask)

    if inverse:
        typed = np.asarray(types) != "continuous"
        if typed.any():
            _refuse(est, "inverse_transform", "the model has binary, discrete or categorical "
                    f"columns ({listed(typed)}), whose most likely level is not exported; fit "
                    "with column_types='continuous' to export it.")
        _refuse_rounded_columns(est, "inverse_transform")
    # the encoder reads categorical columns one-hot, non-numeric ones as level codes
    coded = np.asarray(est._coded, dtype=bool)
    if not inverse and coded.any():
        _refuse(est, "transform", f"the model has categorical or non-numeric columns "
                f"({listed(coded)}), which the encoder reads as level codes (one-hot for "
                "categorical ones); that encoding is not exported.")
    if not inverse and (np.asarray(types) != "continuous").any() and est.bounds_ is not None:
        _refuse(est, "transform", "bounds maps only the continuous columns of a model with "
                "typed columns, which is not exported; fit with column_types='continuous'.")


def _convert_autoencoder(scope, operator, container):
    """AutoencoderTransformer: ``transform``, or ``inverse_transform`` with that option."""
    graph = _Graph(scope, operator, container)
    est, x, out = graph.estimator, graph.x, operator.outputs[0].full_name
    if _options(operator, inverse_transform=False)["inverse_transform"]:
        (rows,) = graph.network(lambda m, z: m.decoder(z), x, est._n_features_out)
        graph.unstandardize(rows, out=out)
    else:
        (codes,) = graph.network(lambda m, v: m.encoder(v), graph.standardize(x),
                                 est.n_features_in_)
        graph.op("Identity", codes, out=out)


def _logit_map(graph, x):
    """``logit(a + (1 - 2a) (x - low) / (high - low))`` in float64, as skgen computes it.

    Values past the support are clipped just inside it (see ``VAETransformer``'s
    ``bounds``); the result is cast back to the input's dtype.
    """
    low, high = graph.estimator.bounds_
    f64 = np.float64
    shifted = graph.op("Sub", graph.to_float64(x), graph.const(low, "low", f64))
    u = graph.op("Add", graph.const(LOGIT_SQUEEZE, "squeeze", f64), graph.op(
        "Div", graph.op("Mul", graph.const(1 - 2 * LOGIT_SQUEEZE, "gain", f64), shifted),
        graph.const(high - low, "width", f64)))
    tiny = np.finfo(f64).eps
    u = graph.op("Clip", u, graph.const(tiny, "tiny", f64), graph.const(1 - tiny, "top", f64))
    one_minus_u = graph.op("Sub", graph.const(1.0, "one", f64), u)
    return graph.from_float64(graph.op("Sub", graph.op("Log", u), graph.op("Log", one_minus_u)))


def _logistic_map(graph, y, out):
    """Inverse of :func:`_logit_map`: ``low + (high - low) (sigmoid(y) - a) / (1 - 2a)``."""
    low, high = graph.estimator.bounds_
    f64 = np.float64
    u = graph.op("Sigmoid", graph.to_float64(y))
    centred = graph.op("Sub", u, graph.const(LOGIT_SQUEEZE, "squeeze", f64))
    rows = graph.op("Add", graph.const(low, "low", f64), graph.op(
        "Div", graph.op("Mul", graph.const(high - low, "width", f64), centred),
        graph.const(1 - 2 * LOGIT_SQUEEZE, "gain", f64)))
    return graph.from_float64(rows, out=out)


def _convert_vae(scope, operator, container):
    """VAETransformer: the posterior mean, or ``inverse_transform`` with that option."""
    graph = _Graph(scope, operator, container)
    est, x, out = graph.estimator, graph.x, operator.outputs[0].full_name
    if _options(operator, inverse_transform=False)["inverse_transform"]:
        (mean,) = graph.network(lambda m, z: m.mean(m.decode(z)), x, est.module_.n_components)
        if est.bounds_ is None:
            graph.unstandardize(mean, out=out)
        else:
            _logistic_map(graph, graph.unstandardize(mean), out)
        return
    if est.bounds_ is not None:
        x = _logit_map(graph, x)
    (mu,) = graph.network(lambda m, v: m.encode(v)[0], graph.standardize(x), est.n_features_in_)
    graph.op("Identity", mu, out=out)


def _denoising_shape(operator):
    est = operator.raw_operator
    check_is_fitted(est)
    _refuse_one_hot_columns(est, "transform")
    _refuse_rounded_columns(est, "transform")
    _check_width(operator, est.n_features_in_, "n_features_in_")
    _set_output(operator, 0, est.n_features_in_)


def _convert_denoising(scope, operator, container):
    """DenoisingAutoencoder: X denoised, its NaN filled (observed entries kept on request)."""
    graph = _Graph(scope, operator, container)
    est, x, out = graph.estimator, graph.x, operator.outputs[0].full_name
    # NaN stays NaN through the scaling; the network reads it as "missing"
    (rows,) = graph.network(lambda m, v: m(v), graph.standardize(x), est.n_features_in_)
    if not est.keep_observed_:
        graph.unstandardize(rows, out=out)
        return
    graph.op("Where", graph.op("IsNaN", x), graph.unstandardize(rows), x, out=out)


def _outlier_parser(scope, model, inputs, custom_parsers=None):
    """``label`` and ``scores``, plus ``score_samples`` on request, as for IsolationForest."""
    operator = scope.declare_local_operator(_ALIASES[AEOutlierDetector], model)
    operator.inputs = inputs
    dtype = guess_tensor_type(inputs[0].type)
    operator.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
    operator.outputs.append(scope.declare_local_variable("scores", dtype))
    if scope.get_options(model, dict(score_samples=False))["score_samples"]:
        operator.outputs.append(scope.declare_local_variable("score_samples", dtype.__class__()))
    return operator.outputs


def _outlier_shape(operator):
    check_is_fitted(operator.raw_operator)
    _refuse_one_hot_columns(operator.raw_operator, "predict")
    _check_width(operator, operator.raw_operator.n_features_in_, "n_features_in_")
    _set_output(operator, 0, 1, Int64TensorType)
    for index in range(1, len(operator.outputs)):
        _set_output(operator, index, 1)


# The anomaly score is the autoencoder's weighted parts, or with experts='all' the mean of
# three experts' surprisals (AEOutlierDetector.score_samples): the autoencoder's weighted
# parts, the local part and the broad part. Each builder below writes one part as an (n, 1)
# column, reading the detector's fitted attributes.


def _row_mean(graph, x):
    return graph.op("ReduceMean", x, graph.axes(1), keepdims=1)


def _reconstruction_part(graph, x, errors, z):
    """Mean over columns of ``errors / feature_error_scale_``, over ``reconstruction_scale_``."""
    est = graph.estimator
    weighted = graph.op("Mul", errors, graph.const(1.0 / est.feature_error_scale_, "weight"))
    return graph.op("Div", _row_mean(graph, weighted),
                    graph.const(est.reconstruction_scale_, "reconstruction_scale"))


def _latent_part(graph, x, errors, z):
    """Mean of the squared whitened code, ``(z - code_location_) @ code_whitening_``, over
    ``latent_scale_``."""
    est = graph.estimator
    white = graph.op("MatMul", graph.op("Sub", z, graph.const(est.code_location_, "location")),
                     graph.const(est.code_whitening_, "whitening"))
    return graph.op("Div", _row_mean(graph, graph.op("Mul", white, white)),
                    graph.const(est.latent_scale_, "latent_scale"))


def _nearest(graph, q, reference, k, power, size):
    """Mean of the ``power``-th powers (1 or 2) of the distances from the rows ``q`` to their
    ``k`` nearest ``reference`` rows, over ``size``.

    Squared distances are ``|q|^2 - 2 q.r + |r|^2`` (MatMul) and the nearest are found
    by TopK, in float64 as scikit-learn's neighbour search measures them.
    """
    f64 = np.float64
    reference = np.asarray(reference, dtype=f64)
    q64 = graph.to_float64(q)
    cross = graph.op("MatMul", q64, graph.const(reference.T, "reference_t", f64))
    norms = graph.op("Add", graph.op("ReduceSumSquare", q64, graph.axes(1), keepdims=1),
                     graph.const(np.sum(reference**2, axis=1), "reference_sq", f64))
    squared = graph.op("Sub", norms, graph.op("Mul", graph.const(2.0, "two", f64), cross))
    squared = graph.op("Max", squared, graph.const(0.0, "zero", f64))  # no rounding below 0
    if power == 1:
        # a row that is a reference row is at distance 0, which the sum above misses by
        # its rounding (about 1e-16 of the norms), and a square root magnifies that
        # (to 1e-8 of the norms): a squared distance below 1e-12 of the norms is 0
        tiny = graph.op("Less", squared, graph.op("Mul", norms, graph.const(1e-12, "tiny", f64)))
        squared = graph.op("Where", tiny, graph.const(0.0, "zero", f64), squared)
    nearest, index = graph.name("nearest"), graph.name("nearest_index")
    graph.container.add_node(
        "TopK", [squared, graph.const([k], "k", np.int64)], [nearest, index],
        name=graph.scope.get_unique_operator_name("TopK"), axis=1, largest=0, sorted=0)
    if power == 1:
        nearest = graph.op("Sqrt", nearest)
    return graph.from_float64(graph.op("Div", _row_mean(graph, nearest),
                                       graph.const(size, "size", f64)))


def _density_part(graph, x, errors, z):
    """Mean squared distance to the ``n_neighbors_`` nearest ``reference_codes_``."""
    est = graph.estimator
    return _nearest(graph, z, est.reference_codes_, est.n_neighbors_, 2, est.density_scale_)


def _local_part(graph, x, errors, z):
    """Mean distance of the scaled row to its ``n_local_neighbors_`` nearest ``reference_rows_``."""
    est = graph.estimator
    return _nearest(graph, x, est.reference_rows_, est.n_local_neighbors_, 1, est.local_scale_)


def _broad_part(graph, x, errors, z):
    """Mean distance of the scaled row to its ``n_broad_neighbors_`` nearest ``broad_rows_``."""
    est = graph.estimator
    return _nearest(graph, x, est.broad_rows_, est.n_broad_neighbors_, 1, est.broad_scale_)


_SCORE_PARTS = (_reconstruction_part, _latent_part, _density_part, _local_part, _broad_part)


def _surprisal(graph, expert, knots, tail):
    """The expert's surprisal: the ramps of ``skgen._statistics.surprisal_ramps`` summed,
    plus the exponential tail past the last knot (float64, as the detector's float64 path)."""
    f64 = np.float64
    starts, widths, rises = surprisal_ramps(knots)
    e = graph.to_float64(expert)
    ramps = graph.op("Clip", graph.op("Div", graph.op("Sub", e, graph.const(
        starts[None, :], "starts", f64)), graph.const(widths[None, :], "widths", f64)),
        graph.const(0.0, "zero", f64), graph.const(1.0, "one", f64))
    total = graph.op("MatMul", ramps, graph.const(rises[:, None], "rises", f64))
    beyond = graph.op("Relu", graph.op("Sub", e, graph.const(knots[-1], "last", f64)))
    return graph.op("Add", total, graph.op("Mul", beyond, graph.const(tail, "tail", f64)))


def _convert_outlier(scope, operator, container):
    """AEOutlierDetector: ``predict``, ``decision_function`` and ``score_samples``."""
    graph = _Graph(scope, operator, container)
    est, outputs = graph.estimator, [out.full_name for out in operator.outputs]
    n_units = est.n_scored_components_  # the leading code units the score reads
    x = graph.standardize(graph.x)
    errors, codes = graph.network(lambda m, v: m.errors_and_codes(v, n_units), x,
                                  est.n_features_in_, n_outputs=2)
    z = graph.op("Div", graph.op("Sub", codes, graph.const(est.code_mean_, "code_mean")),
                 graph.const(est.code_scale_, "code_scale"))
    parts = [part(graph, x, errors, z) for part in _SCORE_PARTS[:len(est.experts_) + 2]]
    weights = graph.const(np.reshape(est.part_weights_, (-1, 1)), "part_weights")
    experts = [graph.op("MatMul", graph.op("Concat", *parts[:3], axis=1), weights), *parts[3:]]
    if len(experts) == 1:  # experts='autoencoder': its weighted parts are the score
        anomaly = experts[0]
    else:
        surprisals = [_surprisal(graph, e, est.surprisal_knots_[i], est.surprisal_tails_[i])
                      for i, e in enumerate(experts)]
        anomaly = graph.from_float64(_row_mean(graph, graph.op("Concat", *surprisals, axis=1)))
    score = graph.op("Neg", anomaly, out=outputs[2] if len(outputs) > 2 else None)
    decision = graph.op("Sub", score, graph.const(est.offset_, "offset"), out=outputs[1])
    inlier = graph.op("GreaterOrEqual", decision, graph.const(0.0, "zero"))
    graph.op("Where", inlier, graph.const([1], "inlier", np.int64),
             graph.const([-1], "outlier", np.int64), out=outputs[0])


# -------------------------------------------------------------------- registration

_ALIASES = {
    AutoencoderTransformer: "SkgenAutoencoderTransformer",
    DenoisingAutoencoder: "SkgenDenoisingAutoencoder",
    VAETransformer: "SkgenVAETransformer",
    AEOutlierDetector: "SkgenAEOutlierDetector",
}

update_registered_converter(
    AutoencoderTransformer, _ALIASES[AutoencoderTransformer], _latent_shape,
    _convert_autoencoder, options={"inverse_transform": [False, True]})
update_registered_converter(
    VAETransformer, _ALIASES[VAETransformer], _latent_shape, _convert_vae,
    options={"inverse_transform": [False, True], "score_samples": [False, True],
             "sample": [False, True]})
update_registered_converter(
    DenoisingAutoencoder, _ALIASES[DenoisingAutoencoder], _denoising_shape, _convert_denoising)
update_registered_converter(
    AEOutlierDetector, _ALIASES[AEOutlierDetector], _outlier_shape, _convert_outlier,
    parser=_outlier_parser, options={"score_samples": [False, True]})
