"""scaled_dot_product_attention's one-primitive path exported to ONNX and run by onnxruntime:
causal, bool (with a row that may attend nothing) and float masks, against ember's own outputs."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from test_onnx_export import check_export


class _Attend(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        mask = np.ones((4, 4), bool)
        mask[1] = False  # a query that may attend nothing: zeros, not NaN
        mask[2, 3] = False
        self.register_buffer("bools", ember.tensor(mask))
        self.register_buffer("floats", ember.tensor(np.where(mask, 0.5, -np.inf).astype(np.float32)))
        self.proj = nn.Linear(6, 3 * 6)

    def forward(self, x):
        q, k, v = self.proj(x).reshape(x.shape[0], 4, 3, 6).unbind(2)
        if self.kind == "causal":
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        if self.kind == "none":
            return F.scaled_dot_product_attention(q, k, v, scale=0.4)
        return F.scaled_dot_product_attention(q, k, v, self.bools if self.kind == "bool" else self.floats)


@pytest.mark.parametrize("kind", ["causal", "bool", "float", "none"])
def test_attention_exports(kind):
    ember.manual_seed(0)
    model = _Attend(kind)
    x = ember.randn(2, 4, 6)
    assert type(model(x).grad_fn).__name__ == "Attention"
    rng = np.random.default_rng(1)
    proto = check_export(model, lambda n: [ember.tensor(rng.standard_normal((n, 4, 6)).astype(np.float32))])
    assert "Softmax" in {n.op_type for n in proto.graph.node}
