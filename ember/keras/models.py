"""Keras's models: `Model` (the functional API, or subclass it) and `Sequential`; all train with the
one loop of `Trainer` (compile, fit, evaluate, predict).

Three ways to build a model:

    >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    >>> inputs = keras.Input(shape=(4,))                                   # the functional API
    >>> model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    >>> class MLP(keras.Model):                                            # subclassing
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.out = keras.layers.Dense(3, activation="softmax")
    ...     def call(self, x):
    ...         return self.out(x)
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> history = model.fit(np.ones((8, 4)), np.zeros(8, dtype=np.int64), epochs=2, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss']

A functional model records the layer calls between its inputs and outputs (`functional.py`) and
runs them in order; for speed, export and serving it lowers to the graph IR by tracing —
`jit_compile` compiles the whole training step with `ember.compile`, and `model.graph()` traces
the forward pass.
"""
import weakref

import numpy as np

from ember import graph as ember_graph
from ember.autograd import Tensor, no_grad
from ember.backend import dtypes
from ember.errors import ArgumentError
from ember.nn import Module
from ember.ops.creation import zeros
from ember.keras import functional, saving
from ember.keras.layers.base import (Input, InputLayer, KerasTensor, Layer, example_value, flatten, map_structure,
                                     snake_case, spec_inputs, spec_of, unique_name)
from ember.keras.summary import print_summary
from ember.keras.trainer import Trainer
from ember.onnx.exporter import export_structured

__all__ = ["Model", "Sequential", "load_model", "clone_model"]


class Model(Trainer, Layer):
    """A trainable model. `keras.Model(inputs, outputs)` builds a functional model from `keras.Input`s
    and the layers called on them (several inputs and outputs as lists or dicts, shared layers, nested
    models); or subclass it with layers in `__init__` and the math in `call(inputs, training=None)`.
    `compile` picks the optimizer, loss and metrics; `fit` trains."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._init_trainer()
        self._nodes = None
        if inputs is not None or outputs is not None:
            self._connect(inputs, outputs)

    def _connect(self, inputs, outputs):
        """The functional API: keep the layer calls between `inputs` and `outputs`."""
        if inputs is None or outputs is None:
            raise ArgumentError(f"Model {self.name!r}: give both inputs and outputs (keras.Input(...) results and "
                                "the layer outputs computed from them)")
        self._input_structure, self._output_structure = inputs, outputs
        self._inputs, self._outputs = flatten(inputs), flatten(outputs)
        self._nodes = functional.connect(self._inputs, self._outputs)
        self._layers = functional.layers_of(self._inputs, self._nodes)
        for layer in self._layers:
            if layer.name in self._modules:
                raise ArgumentError(f"Model {self.name!r}: two different layers are named {layer.name!r}; layer "
                                    "names in a model must be unique")
            self.add_module(layer.name, layer)
        self._output_names = list(outputs) if isinstance(outputs, dict) else \
            [t._history[0].name for t in self._outputs]
        self._input_names = list(inputs) if isinstance(inputs, dict) else [t._history[0].name for t in self._inputs]
        self._build_spec = map_structure(lambda t: [list(t.shape), t.dtype], inputs)
        self.built = True

    @property
    def output_names(self):
        return getattr(self, "_output_names", None) or ["output"]

    def call(self, inputs, training=None):
        if self._nodes is None:
            raise NotImplementedError(f"{type(self).__name__}: define call(self, inputs, training=None) in your "
                                      "keras.Model subclass, or build the model as keras.Model(inputs, outputs)")
        return functional.run(self._nodes, functional.feed(self, inputs), self._output_structure, training)

    # -- the functional model's parts --------------------------------------------------------------
    @property
    def layers(self):
        if self._nodes is not None:
            return list(self._layers)
        return [m for m in self.children() if isinstance(m, Layer)]

    @property
    def inputs(self):
        return list(self._inputs) if self._nodes is not None else None

    @property
    def outputs(self):
        return list(self._outputs) if self._nodes is not None else None

    @property
    def input(self):
        """A functional model's input(s) as given to `keras.Model` (Keras's `model.input`)."""
        return self._input_structure if self._nodes is not None else Layer.input.fget(self)

    @property
    def output(self):
        """A functional model's output(s) as given to `keras.Model` (Keras's `model.output`)."""
        return self._output_structure if self._nodes is not None else Layer.output.fget(self)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index."""
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ArgumentError(f"{self.name}.get_layer: no layer named {name!r}; layers: {[l.name for l in layers]}")

    def get_config(self):
        if self._nodes is not None:
            return saving.functional_config(self)
        return super().get_config()

    get_config.base_config = True

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "nodes" in config and "layers" in config:
            return saving.functional_from_config(cls, config, custom_objects)
        return super().from_config(config)

    # -- weights, files and display -------------------------------------------------------------
    def load_state_dict(self, state_dict, strict=True, assign=False):
        self._compiled_steps = {}
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights (the state dict) to an ember file."""
        saving.save_weights(self, filepath, overwrite)

    def load_weights(self, filepath):
        """Read weights written by `save_weights` or `save` (the model must be built)."""
        saving.load_weights(self, filepath)

    def save(self, filepath, overwrite=True):
        """Write the whole model (architecture, weights, compile settings, optimizer state) to one file;
        `keras.models.load_model(filepath)` reads it back."""
        saving.save_model(self, filepath, overwrite)

    def export(self, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
        """Write the model for inference elsewhere, as Keras 3's `model.export`; `format="onnx"` (the one
        format ember writes) goes through `ember.onnx.export` with a dynamic batch dim. `input_signature`:
        example inputs in the structure the model is called with (default: the shapes it was built on);
        further keywords (`opset_version`, `input_names`, `output_names`) go to `ember.onnx.export`.

            >>> model.export("model.onnx", format="onnx")            # doctest: +SKIP
        """
        if format != "onnx":
            raise ArgumentError(f"{self.name}.export: format={format!r} is not one ember writes; use format='onnx'")
        if input_signature is None:
            if self._build_spec is None:
                raise ArgumentError(f"{self.name}.export: the model is not built; call it on data, build it, or "
                                    f"pass input_signature=example inputs")
            input_signature = spec_inputs(self._build_spec)
        proto = export_structured(self, input_signature, filepath, **kwargs)
        if verbose:
            print(f"Saved the model as ONNX to {filepath}")
        return proto

    def summary(self, print_fn=None):
        """Print Keras's table: each layer with its output shape and parameter count, then the totals."""
        if not self.built or any(isinstance(m, Layer) and not m.built for m in self.modules()):
            raise ArgumentError(f"{self.name}.summary: the model has not been built yet; give it an input "
                                "shape (keras.Input(shape=...) first in a Sequential), call build(input_shape), "
                                "or call it on a batch of data first")
        print_summary(self, self._summary_rows(), print_fn or print)

    def _summary_rows(self):
        if self._nodes is not None:
            return [(layer.name, layer, layer.output.shape if isinstance(layer, InputLayer) else layer.output_shape_)
                    for layer in self._layers]
        return [(name, m, getattr(m, "output_shape_", None)) for name, m in self.named_children()]

    def _maybe_build(self, inputs):
        if not self.built:  # the layers inside build themselves as the data flows through them
            self._build_spec = spec_of(inputs)
            self.built = True

    def build(self, input_shape):
        """Build the model's weights for inputs of `input_shape` (batch first) by a dry run."""
        shapes = input_shape if isinstance(input_shape, (list, dict)) else [input_shape]
        examples = map_structure(lambda s: example_value(tuple(s), "float32", 0), shapes) \
            if isinstance(input_shape, dict) else [example_value(tuple(s), "float32", 0) for s in shapes]
        was_training = self.training
        self.eval()
        with no_grad():
            self(examples if isinstance(input_shape, (list, dict)) else examples[0])
        self.train(was_training)

    def graph(self, *example_inputs):
        """The forward pass (inference mode) as the graph IR, traced on `example_inputs` (default: the
        inputs it was built with) — what export, serving and TensorBoard consume."""
        if not example_inputs:
            if self._build_spec is None:
                raise ArgumentError(f"{self.name}.graph: the model is not built; pass example inputs")
            example_inputs = tuple(flatten(spec_inputs(self._build_spec)))
        was_training = self.training
        self.eval()
        try:
            return ember_graph.trace(self, *example_inputs)
        finally:
            self.train(was_training)


class Sequential(Model):
    """A linear stack of layers: `Sequential([Input(shape=(784,)), Dense(10)])` or `.add(layer)`."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack, self._shapes, self.input_shape_ = [], {}, None
        self._symbolic, self._traced = None, []
        self._input_dtype = "float32"
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer):
        """Append a layer (any `ember.nn.Module` too); a `keras.Input` first fixes the input shape."""
        if isinstance(layer, (KerasTensor, InputLayer)):
            if self._stack:
                raise ArgumentError(f"{self.name}.add: an Input must come first in a Sequential model")
            if isinstance(layer, KerasTensor):
                self._input_dtype = layer.dtype
                self.input_shape_ = layer.shape
            else:
                self._input_dtype, self.input_shape_ = layer.input_dtype, layer.batch_input_shape
            return self.build(self.input_shape_)
        if not isinstance(layer, Module):
            raise ArgumentError(f"{self.name}.add: expected a keras layer or an ember.nn.Module, "
                                f"got {type(layer).__name__}")
        name = layer.name if isinstance(layer, Layer) else unique_name(snake_case(type(layer).__name__))
        if name in self._modules:
            raise ArgumentError(f"{self.name}.add: a layer named {name!r} is already in the model; "
                                "layer names must be unique")
        self.add_module(name, layer)
        self._stack.append(layer)
        self._symbolic = None
        if isinstance(layer, Layer):   # `layer.output` asks this model to trace its graph (see _symbolic_graph)
            object.__setattr__(layer, "_sequential", weakref.ref(self))
        if len(self._stack) == 1 and getattr(layer, "batch_input_shape", None) is not None:
            self.input_shape_ = layer.batch_input_shape
        if self.input_shape_ is not None:
            self.build(self.input_shape_)

    def _maybe_build(self, inputs):
        if self._build_spec is None and isinstance(inputs, Tensor):
            self._build_spec = [[None] + list(inputs.shape[1:]), inputs.dtype.name]
        self.built = True  # the layers build themselves as the data flows through them

    def build(self, input_shape=None):
        """Build every layer from `input_shape` (batch first, e.g. (None, 8, 8, 1)) by a dry run."""
        input_shape = tuple(input_shape if input_shape is not None else self.input_shape_ or ())
        if not input_shape:
            raise ArgumentError(f"{self.name}.build: give the input shape, batch first, e.g. (None, 784)")
        self.input_shape_ = (None,) + input_shape[1:]
        self._build_spec = [list(self.input_shape_), self._input_dtype]
        was_training = self.training
        self.eval()
        with no_grad(), np.errstate(divide="ignore", invalid="ignore"):  # zeros are all padding to a mask
            self.call(zeros(*[1 if d is None else d for d in (1,) + input_shape[1:]],
                            dtype=dtypes.as_dtype(self._input_dtype)))
        self.train(was_training)
        self.built = True

    def call(self, inputs, training=None):
        x = inputs
        if self.input_shape_ is not None and isinstance(x, Tensor) and x.dtype.name != self._input_dtype:
            x = x.to(dtypes.as_dtype(self._input_dtype))  # as Keras: data is cast to the Input's dtype
        for name, layer in zip(self._modules, self._stack):
            x = layer(x, training=training) if isinstance(layer, Layer) else layer(x)
            if isinstance(x, Tensor):
                self._shapes[name] = (None,) + tuple(x.shape[1:])
        return x

    def _summary_rows(self):
        return [(name, m, self._shapes.get(name)) for name, m in zip(self._modules, self._stack)]

    # Keras builds a Sequential model with an Input as a functional graph; ember runs the layers directly
    # and traces that graph only when asked for it (`model.inputs`, `model.get_layer("h").output`).
    def _symbolic_graph(self):
        """(input, output) KerasTensors of this model's layers called on an Input, traced once per stack."""
        if self._symbolic is None:
            if self.input_shape_ is None:
                raise AttributeError(f"Sequential model {self.name!r} has no defined input yet; start it with "
                                     "keras.Input(shape=...)")
            for layer, node in self._traced:   # a retrace (layers added since) replaces the old nodes
                if node in layer._inbound_nodes:
                    layer._inbound_nodes.remove(node)
            inp = Input(shape=self.input_shape_[1:], dtype=self._input_dtype)
            x, self._traced = inp, []
            for layer in self._stack:
                if not isinstance(layer, Layer):
                    raise AttributeError(f"Sequential model {self.name!r}: {type(layer).__name__} is not a "
                                         "keras layer, so the model has no symbolic graph")
                x = layer(x)
                self._traced.append((layer, layer._inbound_nodes[-1]))
            self._symbolic = (inp, x)
        return self._symbolic

    @property
    def inputs(self):
        return None if self.input_shape_ is None else [self._symbolic_graph()[0]]

    @property
    def outputs(self):
        return None if self.input_shape_ is None else [self._symbolic_graph()[1]]

    def get_config(self):
        return saving.sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return saving.sequential_from_config(cls, config, custom_objects)


saving.register_builtin(Model, Sequential)
load_model = saving.load_model


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A new model of the same architecture (from `get_config`), with new, freshly initialized weights,
    as Keras's `clone_model`.

        >>> twin = keras.models.clone_model(model)
        >>> twin.set_weights(model.get_weights())
    """
    given = {"input_tensors": input_tensors, "clone_function": clone_function, "call_function": call_function,
             **kwargs}
    unsupported = sorted(k for k, v in given.items() if v is not None) + (["recursive"] if recursive else [])
    if unsupported:
        raise ArgumentError(f"clone_model: {', '.join(unsupported)} not supported by ember; clone the model "
                            "as it is")
    return type(model).from_config(model.get_config())
