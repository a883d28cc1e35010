"""The Keras `Layer`: an `ember.nn.Module` that builds its weights at its first call.

    >>> class Scale(keras.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
    ...     def call(self, inputs):
    ...         return inputs * self.w
    >>> Scale()(ember.ones(2, 3)).shape
    ember.Size([2, 3])
"""
import functools
import inspect
import itertools
import json
import operator
import re
import threading

import numpy as np

from ember.autograd import Tensor, no_grad
from ember.backend import dtypes
from ember.errors import ArgumentError
from ember.nn import Module
from ember.ops.creation import tensor, zeros
from ember.keras import initializers, regularizers
from ember.keras.layers import input_spec as spec_check
from ember.keras.mixed_precision import policy as policies
from ember.keras.numerics import quiet
from ember.keras.variables import Variable

__all__ = ["Layer", "InputLayer", "Input", "KerasTensor", "OpLayer", "Node", "mask_of", "set_masks"]

_COUNTERS = {}
REGISTERED = {}  # "package>Name" -> a class or function registered with keras.saving.register_keras_serializable
_CONTEXT = threading.local()  # .training: the mode of the layer call in progress, passed on to inner layers
_CONTEXT.training = None


def unique_name(prefix):
    """Keras's automatic names: `dense`, `dense_1`, `dense_2`, ... per process."""
    counter = _COUNTERS.setdefault(prefix, itertools.count())
    n = next(counter)
    return prefix if n == 0 else f"{prefix}_{n}"


def snake_case(name):
    """Keras's names: `Dense` -> `dense`, `MaxPooling2D` -> `max_pooling2d`."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def shape_tuple(shape, where):
    """A shape given as an int or a sequence of ints/None, as a tuple."""
    if isinstance(shape, int):
        return (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ArgumentError(f"{where}: shape must be a tuple of ints, got {shape!r}") from None
    if not all(d is None or (isinstance(d, int) and d >= 0) for d in shape):
        raise ArgumentError(f"{where}: shape must hold non-negative ints or None, got {shape!r}")
    return shape


def spec_of(inputs):
    """[shape, dtype] of a tensor (or a structure of them), batch None: what rebuilds a loaded layer."""
    if isinstance(inputs, (list, tuple, dict)) and not (isinstance(inputs, tuple) and
                                                         all(isinstance(d, (int, type(None))) for d in inputs)):
        return map_structure(spec_of, inputs) if not isinstance(inputs, tuple) else [spec_of(x) for x in inputs]
    if isinstance(inputs, (Tensor, KerasTensor)):
        dtype = inputs.dtype if isinstance(inputs.dtype, str) else inputs.dtype.name
        return [[None] + list(inputs.shape[1:]), dtype]
    return [[None] + list(inputs)[1:], "float32"]


def is_spec(spec):
    return isinstance(spec, list) and len(spec) == 2 and isinstance(spec[1], str)


def spec_inputs(spec, which=0):
    """Example inputs (batch 2) with the structure of a build spec from `spec_of`."""
    if is_spec(spec):
        return example_value(tuple(spec[0]), spec[1], which)
    if isinstance(spec, dict):
        return {k: spec_inputs(v, which) for k, v in spec.items()}
    return [spec_inputs(s, which) for s in spec]


def batch_shape(inputs):
    """The shape(s) `build` receives: batch dimension None, for a tensor, a shape or a list of them."""
    if isinstance(inputs, (list, tuple)) and inputs and not isinstance(inputs[0], (int, type(None))):
        return [batch_shape(x) for x in inputs]
    if isinstance(inputs, dict):
        return {k: batch_shape(v) for k, v in inputs.items()}
    shape = tuple(inputs.shape) if hasattr(inputs, "shape") else tuple(inputs)
    return (None,) + shape[1:]


def _as_input(value):
    """A NumPy array given to a layer call, as a tensor (float64 as float32, as Keras's floatx)."""
    if not isinstance(value, np.ndarray):
        return value
    return tensor(value.astype(np.float32) if value.dtype == np.float64 else value)


def mask_of(value):
    """The Keras mask a tensor carries (a list of them for a list of tensors), or None."""
    if isinstance(value, (list, tuple)):
        masks = [mask_of(v) for v in value]
        return masks if any(m is not None for m in masks) else None
    return getattr(value, "_keras_mask", None) if isinstance(value, Tensor) else None


def set_masks(outputs, masks):
    """Attach `masks` to the output tensors that carry none yet."""
    if masks is None:
        return
    outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    masks = masks if isinstance(masks, (list, tuple)) else [masks] * len(outs)
    for out, mask in zip(outs, masks):
        if isinstance(out, Tensor) and mask is not None and getattr(out, "_keras_mask", None) is None:
            out._keras_mask = mask


_PARAMETERS = {}


def _call_parameters(cls):
    """The names of `cls.call`'s parameters (without self), cached per class."""
    names = _PARAMETERS.get(cls)
    if names is None:
        names = _PARAMETERS[cls] = list(inspect.signature(cls.call).parameters)[1:]
    return names


def _weight_args(where, args, shape, initializer, dtype):
    """Keras's positional form of add_weight: (shape, initializer, dtype), each given once."""
    if len(args) > 3:
        raise ArgumentError(f"{where}: takes at most 3 positional arguments (shape, initializer, dtype), "
                            f"got {len(args)}")
    if args and isinstance(args[0], str):
        raise ArgumentError(f"{where}: name must be passed as a keyword argument, got add_weight({args[0]!r}, ...)")
    given = dict(zip(("shape", "initializer", "dtype"), args))
    keywords = {"shape": shape, "initializer": initializer, "dtype": dtype}
    for key, value in given.items():
        if keywords[key] is not None:
            raise ArgumentError(f"{where}: {key} was passed both positionally and as a keyword argument")
        keywords[key] = value
    return keywords["shape"], keywords["initializer"], keywords["dtype"]


def _refuse_weight_options(where, constraint, aggregation, overwrite_with_gradient, autocast, mixed):
    """add_weight's options that change training in ways ember does not implement: refused, not dropped."""
    if constraint is not None:
        raise ArgumentError(f"{where}: constraint={constraint!r} is not supported by ember")
    if aggregation not in ("none", None):
        raise ArgumentError(f"{where}: aggregation={aggregation!r} (a distribution strategy's variable "
                            "aggregation) is not supported by ember; leave it 'none'")
    if overwrite_with_gradient:
        raise ArgumentError(f"{where}: overwrite_with_gradient=True is not supported by ember")
    if not autocast and mixed:
        raise ArgumentError(f"{where}: autocast=False under a mixed-precision policy is not supported by "
                            "ember (its layers compute with the policy's dtype)")


def _marks_built(build):
    """`build` that marks its layer built when it returns and, called directly (not from the first
    call), records the input spec from the shape it was given, so a saved layer rebuilds."""
    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        build(self, *args, **kwargs)
        self.built = True
        if getattr(self, "_build_spec", None) is None and args:
            try:
                self._build_spec = spec_of(args[0])
            except (TypeError, ValueError):
                pass  # not a shape (a layer built from something else): nothing to record
    return wrapper


class Layer(Module):
    """Base class of Keras layers: override `build(input_shape)` (create weights with `add_weight`)
    and `call(inputs[, training])`. The first call builds the layer from its input's shape.

    `input_shape=` (Keras 2 style, shape without the batch) lets a `Sequential` build up front.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:  # as in Keras 3: a layer is built once its build() returns
            cls.build = _marks_built(cls.__dict__["build"])

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        # Keras 3's automatic config: the constructor's arguments, when they are plain JSON values.
        try:
            bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
            arguments = dict(list(bound.arguments.items())[1:])
            for name, param in inspect.signature(cls.__init__).parameters.items():
                if param.kind is inspect.Parameter.VAR_KEYWORD and name in arguments:
                    arguments.update(arguments.pop(name))
            json.dumps(arguments, allow_nan=False)
            object.__setattr__(layer, "_auto_config", arguments)
        except (TypeError, ValueError):
            object.__setattr__(layer, "_auto_config", None)
        return layer

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, **kwargs):
        super().__init__()
        if kwargs:
            raise ArgumentError(f"{type(self).__name__}: unknown keyword argument(s) {', '.join(sorted(kwargs))}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.built = False
        self._trainable = bool(trainable)
        self.dtype_policy = policies.policy_of(dtype)  # the global policy unless given
        self.batch_input_shape = None if input_shape is None else (None,) + shape_tuple(input_shape, self.name)
        self.output_shape_ = None
        self._call_takes_training = "training" in inspect.signature(self.call).parameters
        self._regularizers, self._added_losses = [], []
        self._inbound_nodes = []
        self._build_spec = None

    # -- building -----------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` (with the batch dimension). Default: none."""

    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", overwrite_with_gradient=False,
                   name=None):
        """A new `keras.Variable` (a `Parameter`) of `shape` and `dtype` (the layer's variable dtype unless
        given), filled by `initializer` (Keras's default: glorot_uniform for floats, zeros otherwise) and
        registered under `name`; `regularizer` (a name or object) adds its penalty of the weight to
        `losses`. As in Keras, shape, initializer and dtype may come positionally, the rest by keyword."""
        where = f"{self.name}.add_weight"
        shape, initializer, dtype = _weight_args(where, args, shape, initializer, dtype)
        _refuse_weight_options(where, constraint=constraint, aggregation=aggregation,
                               overwrite_with_gradient=overwrite_with_gradient,
                               autocast=autocast, mixed=self.dtype_policy.is_mixed)
        shape = shape_tuple(() if shape is None else shape, where)
        dtype = dtypes.as_dtype(dtype if dtype is not None else self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating_point else "zeros"
        weight = Variable(initializer, shape=shape, dtype=dtype, trainable=trainable and self._trainable)
        weight.never_trainable = not trainable
        if name is None:
            name = f"weight_{len(self._parameters)}"
        weight.name = name
        self.register_parameter(name, weight)
        weight.path = f"{self.name}/{name}"  # Keras's variable path; a model sets the full one (optimizers/paths.py)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularizers.append((name, regularizer))
        return weight

    def add_loss(self, loss):
        """Add a scalar tensor to the loss `fit` minimizes (cleared at each call of the layer)."""
        self._added_losses.append(loss)

    @property
    def losses(self):
        """The penalties of this layer and the layers inside it: weight regularizers and `add_loss` terms."""
        return [loss for m in self.modules() if isinstance(m, Layer) for loss in m._own_losses()]

    def _own_losses(self):
        """This layer's penalties only (not those of the layers inside it)."""
        if not self._regularizers:
            return self._added_losses
        return [reg(getattr(self, name)) for name, reg in self._regularizers] + self._added_losses

    def _maybe_build(self, inputs):
        if not self.built:
            self._build_spec = spec_of(inputs)
            self.build(batch_shape(inputs))
            self.built = True

    # -- calling ------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if is_symbolic((args, kwargs)):
            return symbolic_call(self, args, kwargs)
        if args and any(isinstance(a, np.ndarray) for a in flatten(args[0])):
            args = (map_structure(_as_input, args[0]),) + args[1:]
        with quiet():  # log(0), exp overflow, 0/0: silent, as in Keras and PyTorch
            return super().__call__(*args, **kwargs)

    training_by_default = False  # the mode of a direct call outside any model (True for augmentation layers)

    def call(self, inputs):
        """The computation; the default is the identity."""
        return inputs

    def forward(self, inputs, *args, training=None, **kwargs):
        self._added_losses = []
        policy = self.dtype_policy
        given, inputs = inputs, policies.cast_inputs(policy, inputs)
        spec = getattr(self, "input_spec", None)
        if spec is not None and hasattr(spec, "min_ndim"):  # a keras.layers.InputSpec set by the layer
            spec_check.check_input_spec(self, spec, inputs)
        self._maybe_build(inputs)
        outer = getattr(_CONTEXT, "training", None)
        if training is None:  # as in Keras: the enclosing call's mode, else inference (augmentation: training)
            training = bool(outer) if outer is not None else self.training_by_default
        if self._call_takes_training:
            kwargs["training"] = training
        previous_mask = self._fill_masks(given, args, kwargs)  # the masks ride on the tensors as given
        _CONTEXT.training = training
        try:
            with policies.layer_scope(self, policy):
                out = self.call(inputs, *args, **kwargs)
            if policy.is_mixed and not any(isinstance(m, Layer) for m in self.children()):
                out = policies.cast_inputs(policy, out)  # a layer's outputs in its compute dtype (float32
                                                         # statistics of BatchNormalization would lift them)
        finally:
            _CONTEXT.training = outer
        if self.supports_masking:
            set_masks(out, self.compute_mask(inputs, previous_mask))
        if isinstance(out, Tensor):
            self.output_shape_ = (None,) + tuple(out.shape[1:])
        return out

    # -- masks (Keras's: carried by the tensors, `_keras_mask`) -------------------------------------
    @property
    def supports_masking(self):
        """Whether this layer passes a mask on (through `compute_mask`); by default, when it defines
        its own `compute_mask`, as Keras."""
        flag = self.__dict__.get("_supports_masking")
        return type(self).compute_mask is not Layer.compute_mask if flag is None else flag

    @supports_masking.setter
    def supports_masking(self, value):
        self.__dict__["_supports_masking"] = bool(value)

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of the output: by default the input's."""
        return previous_mask

    def _fill_masks(self, inputs, args, kwargs):
        """Give `call` the masks its inputs carry (`mask=`, or `query_mask=`/`value_mask=`/`key_mask=`
        for named tensor arguments); returns the mask the output inherits."""
        params = _call_parameters(type(self))
        if "mask" in params and kwargs.get("mask") is None:
            mask = mask_of(inputs)
            if mask is not None:
                kwargs["mask"] = mask
        for i, name in enumerate(params):
            if f"{name}_mask" in params and kwargs.get(f"{name}_mask") is None:
                value = inputs if i == 0 else args[i - 1] if i - 1 < len(args) else kwargs.get(name)
                mask = mask_of(value) if value is not None else None
                if mask is not None:
                    kwargs[f"{name}_mask"] = mask
        return kwargs["mask"] if kwargs.get("mask") is not None else mask_of(inputs)

    # -- weights ------------------------------------------------------------------------------
    @property
    def compute_dtype(self):
        """The dtype the layer computes in ("float16" under "mixed_float16")."""
        return self.dtype_policy.compute_dtype

    @property
    def output(self):
        """The symbolic output of this layer's one call in a functional graph, as Keras's
        `layer.output` (a feature extractor: `keras.Model(model.inputs, model.get_layer("h").output)`)."""
        return self._only_node("output").outputs

    @property
    def input(self):
        """The symbolic input(s) of this layer's one call in a functional graph (an Input's own tensor)."""
        node = self._only_node("input")
        inputs = node.inputs()
        return node.outputs if not inputs else inputs[0] if len(inputs) == 1 else inputs

    def _only_node(self, what):
        owner = self.__dict__.get("_sequential")
        if not self._inbound_nodes and owner is not None and owner() is not None:
            owner()._symbolic_graph()   # a layer of a Sequential model: its graph, traced on demand
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name!r} has never been called and thus has no defined {what}.")
        if len(self._inbound_nodes) > 1:
            raise ArgumentError(f"The layer {self.name!r} has multiple inbound nodes ({len(self._inbound_nodes)} "
                                f"calls), so its {what} is ambiguous; use one call per layer")
        return self._inbound_nodes[0]

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights (float32 under the mixed policies)."""
        return self.dtype_policy.variable_dtype

    @property
    def dtype(self):
        return self.dtype_policy.variable_dtype

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        # as Keras: every layer inside follows (a frozen BatchNormalization stops updating its moving
        # statistics), and weights made with add_weight(trainable=False) stay non-trainable
        value = bool(value)
        for layer in self.modules():
            if isinstance(layer, Layer):
                layer._trainable = value
        for p in self.parameters():
            if not getattr(p, "never_trainable", False):
                p.requires_grad_(value)

    @property
    def weights(self):
        """Every weight (parameters, then buffers), as in Keras."""
        return list(self.parameters()) + list(self.buffers())

    @property
    def trainable_weights(self):
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self):
        return [p for p in self.parameters() if not p.requires_grad] + list(self.buffers())

    def count_params(self):
        """How many scalars the weights hold."""
        return sum(w.numel() for w in self.weights)

    def get_weights(self):
        """The weights as NumPy arrays (copies), in `state_dict` order."""
        return [t.detach().numpy().copy() for t in self.state_dict().values()]

    def set_weights(self, weights):
        """Set the weights from NumPy arrays in `get_weights` order."""
        state = self.state_dict()
        if len(weights) != len(state):
            raise ArgumentError(f"{self.name}.set_weights: expected {len(state)} arrays, got {len(weights)}")
        for (key, t), w in zip(state.items(), weights):
            if tuple(t.shape) != tuple(getattr(w, "shape", ())):
                raise ArgumentError(f"{self.name}.set_weights: weight {key!r} has shape {tuple(t.shape)}, "
                                    f"got an array of shape {tuple(getattr(w, 'shape', ()))}")
        self.load_state_dict({k: tensor(w) for k, w in zip(state, weights)})

    def get_config(self):
        """The arguments that rebuild this layer: for a subclass that does not define `get_config`,
        its constructor's arguments when they are plain JSON values (as Keras 3 does)."""
        config = {"name": self.name, "trainable": self._trainable}
        if getattr(type(self).get_config, "base_config", False) and self._auto_config:
            config = {**self._auto_config, **config}
        return config

    get_config.base_config = True  # a subclass that does not override get_config gets the automatic one

    @classmethod
    def from_config(cls, config):
        """The layer `get_config` describes; `name`/`trainable` are set afterwards if `__init__` does not take them."""
        config = dict(config)
        params = inspect.signature(cls.__init__).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        later = {k: config.pop(k) for k in ("name", "trainable") if k in config and not takes_any and k not in params}
        layer = cls(**config)
        if "name" in later:
            layer.name = later["name"]
        if "trainable" in later:
            layer.trainable = later["trainable"]
        return layer

    def extra_repr(self):
        return f"name={self.name!r}"


class KerasTensor:
    """A symbolic tensor of the functional API: what `keras.Input(shape)` returns and what a layer
    returns when called on symbolic tensors. It knows its shape (batch first, as None), its dtype
    and the layer call that made it; it holds no data. Arithmetic and indexing on it add op layers.
    """

    def __init__(self, shape, dtype="float32", name=None, history=None, examples=None):
        self.shape, self.dtype, self.name = tuple(shape), str(dtype), name
        self._history = history      # (layer, node index, output index)
        self._examples = examples    # two concrete tensors of different batch (and None) sizes

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __len__(self):
        raise ArgumentError(f"len() of a symbolic KerasTensor of shape {self.shape} is unknown: its batch "
                            "dimension is not fixed until the model runs")

    def __bool__(self):
        raise ArgumentError("a symbolic KerasTensor has no truth value: Python control flow on model inputs "
                            "needs a subclassed keras.Model with call(), not the functional API")

    def __array__(self, *args, **kwargs):
        raise ArgumentError(f"a symbolic KerasTensor {self.shape} has no values to turn into an array: it "
                            "only describes a model input or an intermediate output")


def _op(name):
    def method(self, *args):
        if name == "getitem":
            args = (encode_index(args[0]),)
        return OpLayer(name)(self, *args)
    method.__name__ = f"__{name}__"
    return method


# KerasTensor arithmetic and indexing: each becomes an `OpLayer` call, kept in the model's config.
OPS = {"add": operator.add, "radd": lambda a, b: b + a, "sub": operator.sub, "rsub": lambda a, b: b - a,
       "mul": operator.mul, "rmul": lambda a, b: b * a, "truediv": operator.truediv,
       "rtruediv": lambda a, b: b / a, "matmul": operator.matmul, "rmatmul": lambda a, b: b @ a,
       "pow": operator.pow, "neg": operator.neg, "abs": operator.abs, "getitem": operator.getitem}
for _name in OPS:
    setattr(KerasTensor, f"__{_name}__", _op(_name))


def encode_index(index):
    """A JSON form of an indexing key made of ints, slices, None and Ellipsis."""
    if isinstance(index, tuple):
        return {"tuple": [encode_index(i) for i in index]}
    if isinstance(index, slice):
        return {"slice": [index.start, index.stop, index.step]}
    if index is Ellipsis:
        return {"ellipsis": True}
    if index is None or (isinstance(index, int) and not isinstance(index, bool)):
        return index
    raise ArgumentError(f"indexing a KerasTensor with {index!r}: only ints, slices, None and ... are supported "
                        "in functional models")


def decode_index(doc):
    if isinstance(doc, list):
        return tuple(decode_index(i) for i in doc)
    if isinstance(doc, dict):
        if "tuple" in doc:
            return tuple(decode_index(i) for i in doc["tuple"])
        if "slice" in doc:
            return slice(*doc["slice"])
        return Ellipsis
    return doc


class OpLayer(Layer):
    """One op on symbolic tensors: arithmetic and indexing (`x + y`, `x * 2.0`, `x[:, 0]`) or a
    `keras.ops` function (`keras.ops.concatenate([a, b])`), named in `OPS` so configs can store it."""

    def __init__(self, op, **kwargs):
        if op not in OPS:
            raise ArgumentError(f"OpLayer: unknown op {op!r}; known: {', '.join(sorted(OPS))}")
        super().__init__(**kwargs)
        self.op = op

    def call(self, x, *args, **kwargs):
        if self.op == "getitem":
            return x[decode_index(args[0])]
        return OPS[self.op](x, *args, **kwargs)

    def get_config(self):
        return {**super().get_config(), "op": self.op}


class Node:
    """One call of a layer on symbolic tensors: the arguments (KerasTensors and constants) and outputs."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer, self.args, self.kwargs, self.outputs = layer, args, kwargs, outputs

    def inputs(self):
        return [t for t in flatten((self.args, self.kwargs)) if isinstance(t, KerasTensor)]


def flatten(structure):
    """The leaves of nested lists, tuples and dicts (dicts in key order)."""
    if isinstance(structure, dict):
        structure = list(structure.values())
    elif not isinstance(structure, (list, tuple)):
        return [structure]
    leaves = []
    for item in structure:  # leaves appended here, not recursed into: fit flattens every batch
        if isinstance(item, (list, tuple, dict)):
            leaves += flatten(item)
        else:
            leaves.append(item)
    return leaves


def map_structure(fn, structure):
    """`structure` with every leaf replaced by `fn(leaf)`."""
    if isinstance(structure, (list, tuple)):
        return type(structure)([map_structure(fn, item) for item in structure])
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def is_symbolic(structure):
    return any(isinstance(leaf, KerasTensor) for leaf in flatten(structure))


def example_value(shape, dtype, which):
    """A concrete stand-in for a symbolic input: batch 2 (or 3), unknown dims 3 (or 4)."""
    sizes = [which + 2 if i == 0 else (which + 3 if d is None else d) for i, d in enumerate(shape)]
    if dtype.startswith(("int", "uint", "bool")):
        return zeros(*sizes, dtype=dtypes.as_dtype(dtype))
    rng = np.random.default_rng(which)  # in [0, 1): float data may be indices (an Embedding after a float Input)
    return tensor(rng.random(sizes).astype(np.float32)).to(dtypes.as_dtype(dtype))


def symbolic_call(layer, args, kwargs):
    """Call `layer` on KerasTensors: run it on both stand-ins (building it), record a `Node`, and return
    KerasTensors with the output shapes (a dim that differs between the two runs is None)."""
    runs = []
    was_training = layer.training
    layer.eval()
    try:
        # stand-in values (integer inputs are zeros: all padding to a masked layer) may divide 0 by 0
        with no_grad(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for which in (0, 1):
                concrete = map_structure(lambda t: t._examples[which] if isinstance(t, KerasTensor) else t,
                                         (args, kwargs))
                runs.append(Module.__call__(layer, *concrete[0], **concrete[1]))
    finally:
        layer.train(was_training)
    node_index = len(layer._inbound_nodes)
    leaves_a, leaves_b = flatten(runs[0]), flatten(runs[1])
    outputs = []
    for i, (a, b) in enumerate(zip(leaves_a, leaves_b)):
        if not isinstance(a, Tensor):
            raise ArgumentError(f"{layer.name}: called on symbolic inputs, it returned {type(a).__name__}; a "
                                "layer in a functional model must return tensors")
        shape = (None,) + tuple(x if x == y else None for x, y in zip(a.shape[1:], b.shape[1:]))
        outputs.append(KerasTensor(shape, a.dtype.name, f"{layer.name}/{i}", (layer, node_index, i), (a, b)))
    it = iter(outputs)
    structured = map_structure(lambda _: next(it), runs[0])
    layer._inbound_nodes.append(Node(layer, args, kwargs, structured))
    layer.output_shape_ = structured.shape if isinstance(structured, KerasTensor) else \
        map_structure(lambda t: t.shape, structured)
    return structured


class InputLayer(Layer):
    """The input of a model: `InputLayer(shape=(8, 8, 1))` (shape without the batch)."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None, **kwargs):
        shape = input_shape if shape is None else shape
        if shape is None:
            raise ArgumentError("InputLayer: give the input's shape without the batch, e.g. shape=(784,)")
        super().__init__(name=name, input_shape=shape, **kwargs)  # `dtype` is the input's, not a policy
        dtype = str(dtype or "float32").removeprefix("ember.")
        if dtype not in {d.name for d in dtypes.ALL}:
            raise ArgumentError(f"InputLayer {self.name!r}: unknown dtype {dtype!r}")
        self.batch_input_shape = (batch_size,) + self.batch_input_shape[1:]
        self.input_dtype = dtype
        examples = tuple(example_value(self.batch_input_shape, dtype, which) for which in (0, 1))
        output = KerasTensor((None,) + self.batch_input_shape[1:], dtype, self.name, (self, 0, 0), examples)
        self._inbound_nodes.append(Node(self, (), {}, output))
        self.built = True

    def get_config(self):
        return {"name": self.name, "shape": list(self.batch_input_shape[1:]), "batch_size": self.batch_input_shape[0],
                "dtype": self.input_dtype}


def Input(shape=None, batch_size=None, dtype=None, name=None):
    """A symbolic model input: `x = keras.Input(shape=(784,))`; call layers on it and give the inputs
    and outputs to `keras.Model(inputs, outputs)`, or put it first in a `Sequential`."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name).output
