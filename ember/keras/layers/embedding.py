"""Keras's `Embedding`: integer indices to rows of `embeddings` (input_dim, output_dim).

    >>> emb = keras.layers.Embedding(10, 4)
    >>> emb(ember.tensor([[1, 2, 0]])).shape, tuple(emb.embeddings.shape)
    (ember.Size([1, 3, 4]), (10, 4))
"""
from ember.errors import EmberError, ShapeError
from ember.nn import functional as F
from ember.keras.layers.base import Layer
from ember.keras.layers._util import positive_int, weight_config

__all__ = ["Embedding"]


class Embedding(Layer):
    """Looks up rows of `embeddings`, initialized U(-0.05, 0.05) as Keras's "uniform". With `mask_zero`,
    index 0 is padding: the output carries the mask `inputs != 0` to the layers after it (RNNs skip the
    padded steps, attention ignores them, GlobalAveragePooling1D leaves them out), as in Keras."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = positive_int(input_dim, "input_dim", "Embedding")
        self.output_dim = positive_int(output_dim, "output_dim", "Embedding")
        self.embeddings_initializer, self.embeddings_regularizer = embeddings_initializer, embeddings_regularizer
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero  # the mask (inputs != 0) goes to the layers after this one

    def build(self, input_shape):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                                          name="embeddings", regularizer=self.embeddings_regularizer)

    def call(self, inputs):
        if inputs.dtype.is_floating_point or inputs.dtype.name == "bool":
            inputs = inputs.long()  # as Keras: float indices (data cast to a float Input) are truncated to ints
        try:
            return F.embedding(inputs, self.embeddings)
        except EmberError as e:
            raise ShapeError(f"Embedding {self.name!r} (input_dim={self.input_dim}): indices must be in "
                             f"[0, {self.input_dim}): {e}") from None

    def compute_mask(self, inputs, mask=None):
        """`inputs != 0` with `mask_zero`, else None."""
        return inputs != 0 if self.mask_zero else None

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "mask_zero": self.mask_zero,
                **weight_config(self, "embeddings_initializer", "embeddings_regularizer")}
