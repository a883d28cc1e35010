"""Keras's layer wrappers: `Bidirectional` (a recurrent layer run forwards and backwards) and
`TimeDistributed` (a layer applied to every step of (batch, steps, ...)).

    >>> bi = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    >>> bi(ember.randn(2, 5, 3)).shape
    ember.Size([2, 5, 8])
    >>> keras.layers.TimeDistributed(keras.layers.Dense(6))(ember.randn(2, 5, 3)).shape
    ember.Size([2, 5, 6])
"""
import inspect

from ember.errors import ArgumentError, ShapeError
from ember.ops.join import cat
from ember.keras.layers.base import Layer
from ember.keras.layers.recurrent import _RNN
from ember.keras.layers._util import deserialize_layer, serialize_layer

__all__ = ["Wrapper", "Bidirectional", "TimeDistributed"]

_MERGES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Runs `layer` (SimpleRNN, LSTM or GRU) over the sequence and a copy with `go_backwards` flipped
    (or `backward_layer`), the backward outputs put back in time order, and merges them:
    `merge_mode` "concat" (default), "sum", "mul", "ave" or None (a list of both). With the
    inner layers' `return_state`, returns [output, *forward_states, *backward_states]."""

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        layer = deserialize_layer(layer, "Bidirectional")
        if not isinstance(layer, _RNN):
            raise ArgumentError(f"Bidirectional: layer must be a keras SimpleRNN, LSTM or GRU, got "
                                f"{type(layer).__name__}")
        if merge_mode not in _MERGES:
            raise ArgumentError(f"Bidirectional: merge_mode must be one of {_MERGES}, got {merge_mode!r}")
        self._custom_backward = backward_layer is not None
        if backward_layer is None:
            config = {**layer.get_config(), "go_backwards": not layer.go_backwards, "name": f"backward_{layer.name}"}
            backward_layer = type(layer).from_config(config)
        else:
            backward_layer = deserialize_layer(backward_layer, "Bidirectional")
            if type(backward_layer) is not type(layer) or backward_layer.go_backwards == layer.go_backwards \
                    or backward_layer.return_sequences != layer.return_sequences \
                    or backward_layer.return_state != layer.return_state:
                raise ArgumentError("Bidirectional: backward_layer must be the same kind of layer as layer, with "
                                    "go_backwards flipped and the same return_sequences and return_state")
        self.forward_layer, self.backward_layer, self.merge_mode = layer, backward_layer, merge_mode
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        for sub in (layer, backward_layer):  # as Keras: padded steps of a returned sequence are zeros
            sub.zero_output_for_mask = sub.return_sequences

    def compute_mask(self, inputs, previous_mask=None):
        mask = previous_mask if self.return_sequences else None
        if self.merge_mode is None:
            mask = [mask, mask]
        if not self.return_state:
            return mask
        return (mask if isinstance(mask, list) else [mask]) + [None] * (2 * self.forward_layer.n_states)

    def call(self, inputs, initial_state=None, mask=None, training=None):
        fw_state = bw_state = None
        if initial_state is not None:
            states = list(initial_state)
            if len(states) % 2:
                raise ArgumentError(f"Bidirectional {self.name!r}: initial_state must list the forward layer's "
                                    f"states then the backward layer's, got {len(states)} tensors")
            fw_state, bw_state = states[:len(states) // 2], states[len(states) // 2:]
        fw = self.forward_layer(inputs, initial_state=fw_state, mask=mask, training=training)
        bw = self.backward_layer(inputs, initial_state=bw_state, mask=mask, training=training)
        fw_states, bw_states = [], []
        if self.return_state:
            (fw, *fw_states), (bw, *bw_states) = fw, bw
        if self.return_sequences:
            bw = bw.flip(1)  # the backward layer's outputs come last step first
        out = self._merge(fw, bw)
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + fw_states + bw_states
        return out

    def _merge(self, fw, bw):
        if self.merge_mode == "concat":
            return cat([fw, bw], -1)
        if self.merge_mode == "sum":
            return fw + bw
        if self.merge_mode == "mul":
            return fw * bw
        if self.merge_mode == "ave":
            return (fw + bw) * 0.5
        return [fw, bw]

    def get_config(self):
        config = {**super().get_config(), "layer": serialize_layer(self.forward_layer),
                  "merge_mode": self.merge_mode}
        if self._custom_backward:
            config["backward_layer"] = serialize_layer(self.backward_layer)
        return config


class Wrapper(Layer):
    """The base of layers that wrap another `layer` (Keras's `Wrapper`): holds it, builds it, and
    saves it in the config; subclasses write `call`."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = deserialize_layer(layer, type(self).__name__)

    def call(self, inputs, *args, **kwargs):
        return self.layer(inputs, *args, **kwargs)

    def get_config(self):
        layer = serialize_layer(self.layer)
        if type(self.layer).__module__.startswith("ember.keras.layers"):
            layer = {"module": "keras.layers", **layer}  # Keras's reader finds its built-in classes by it
        return {**super().get_config(), "layer": layer}


class TimeDistributed(Wrapper):
    """Applies `layer` to every step: (batch, steps, *dims) as (batch * steps, *dims), then back. A
    (batch, steps) mask goes to the inner layer step by step (if it takes one) and on to the output."""

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def call(self, inputs, training=None, mask=None):
        if inputs.ndim < 3:
            raise ShapeError(f"TimeDistributed {self.name!r}: input of shape {tuple(inputs.shape)}: expected "
                             "(batch, steps, ...) with at least 3 dims")
        batch, steps = inputs.shape[:2]
        flat = inputs.reshape(batch * steps, *inputs.shape[2:])
        extra = {}
        if mask is not None and "mask" in inspect.signature(getattr(self.layer, "call", self.layer)).parameters:
            extra["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        out = self.layer(flat, training=training, **extra) if isinstance(self.layer, Layer) else self.layer(flat)
        return out.reshape(batch, steps, *out.shape[1:])
