"""Keras's `TorchModuleWrapper` (an
`ember.nn` module as a Keras layer: the PyTorch modules of Keras's torch backend become ember's)
and `ReversibleEmbedding` (an embedding whose transpose maps features back to logits).

    >>> emb = keras.layers.ReversibleEmbedding(10, 4)
    >>> emb(emb(ember.tensor([[1, 2]])), reverse=True).shape
    ember.Size([1, 2, 10])
"""
from ember.errors import ArgumentError
from ember.keras.layers.core import ModuleWrapper
from ember.keras.layers.embedding import Embedding
from ember.ops.linalg import matmul

__all__ = ["TorchModuleWrapper", "ReversibleEmbedding"]


class TorchModuleWrapper(ModuleWrapper):
    """Keras's torch-backend wrapper of a module, taking the `ember.nn` module that replaces the
    PyTorch one (`TorchModuleWrapper(ember.nn.Linear(4, 2))`); its parameters train with the model."""

    def __init__(self, module, name=None, **kwargs):
        super().__init__(module, name=name, **kwargs)


class ReversibleEmbedding(Embedding):
    """An `Embedding` whose `call(x, reverse=True)` maps features (..., output_dim) to logits over the
    vocabulary: by the transposed embeddings (`tie_weights`, the default) or by its own
    `reverse_embeddings` (output_dim, input_dim); `logit_soft_cap` bounds them by `cap * tanh(x / cap)`."""

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, mask_zero=False, reverse_dtype=None, logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer, embeddings_regularizer, mask_zero, **kwargs)
        if reverse_dtype is not None:
            raise ArgumentError("ReversibleEmbedding: reverse_dtype is not supported by ember")
        self.tie_weights, self.logit_soft_cap = bool(tie_weights), logit_soft_cap

    def build(self, input_shape):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight((self.output_dim, self.input_dim),
                                                      self.embeddings_initializer, name="reverse_embeddings")

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = self.embeddings.transpose(0, 1) if self.tie_weights else self.reverse_embeddings
        logits = matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = (logits / self.logit_soft_cap).tanh() * self.logit_soft_cap
        return logits

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights, "logit_soft_cap": self.logit_soft_cap}
