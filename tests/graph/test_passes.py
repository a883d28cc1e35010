"""Graph passes: each changes the graph's structure as it says, and `interpret` gives the same
outputs and updates before and after, on fresh random inputs."""
import numpy as np
import pytest

import ember
from ember.autograd.function import Function, PRIMITIVES
from ember.graph import interpret, trace
from ember.graph.trace import Tracer
from ember.graph.ir import BACKWARD, Graph, Ref
from ember.graph import passes
from ember.graph.passes import (algebraic_simplification, common_subexpression_elimination, constant_folding,
                                dead_code_elimination, default_pipeline, elementwise_fusion, memory_plan)
from ember.graph.passes.fusion import FUSED, Fused
from ember.ops.binary import Add
from ember.ops.convert import Cast


class Noise(Function):
    """A random primitive: its forward draws numbers."""
    random = True

    def forward(self, x):
        return x + self.xp.random.standard_normal(x.shape).astype(x.dtype)

    def backward(self, g):
        return g


def calls(g, name=None):
    return [n for n in g.nodes if n.op == "call" and (name is None or n.name.endswith(name))]


def kinds(g):
    return [n.name.rsplit(".", 1)[-1] for n in calls(g)]


def fresh_inputs(g, seed=0, batch=4):
    rng = np.random.default_rng(seed)
    shapes = [(n.outputs[0], tuple(batch if isinstance(d, str) else d for d in n.outputs[0].shape))
              for n in g.nodes_of("input")]
    return [rng.standard_normal(shape).astype(v.dtype) for v, shape in shapes]


def assert_same(g1, g2, params=None, seeds=(1, 2), batch=4):
    """g2 is valid and computes what g1 does (outputs and updates, bit for bit)."""
    g2.validate()
    for seed in seeds:
        xs = fresh_inputs(g1, seed, batch)
        o1, u1 = interpret(g1, [x.copy() for x in xs], params)
        o2, u2 = interpret(g2, [x.copy() for x in xs], params)
        assert len(o1) == len(o2)
        for a, b in zip(o1, o2):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
        assert u1.keys() == u2.keys()
        for k in u1:
            np.testing.assert_array_equal(u1[k], u2[k])


def train_step_graph(body):
    """A traced training step of a small Linear model; `body(model, x)` gives the loss."""
    model = ember.nn.Linear(3, 2)

    def step(x):
        loss = body(model, x)
        loss.backward()
        return loss
    g = trace(step, ember.randn(4, 3), state=model.state_dict(keep_vars=True))
    params = {"weight": model.weight._data.copy(), "bias": model.bias._data.copy()}
    return g, params


def test_passes_leave_their_input_unchanged():
    g = trace(lambda x: ((x * 1).exp() + (x * 1).exp()).tanh(), ember.randn(4, 3))
    before = str(g)
    for p in (dead_code_elimination, constant_folding, common_subexpression_elimination,
              algebraic_simplification, elementwise_fusion, memory_plan, default_pipeline):
        assert p(g) is not g
        assert str(g) == before


# --- dead code elimination ----------------------------------------------------------

def test_dce_drops_unused_calls_and_keeps_inputs():
    def f(x, y):
        unused = (x * 2).sin()  # noqa: F841
        return x.exp().sum(0)
    g = trace(f, ember.randn(4, 3), ember.randn(4, 3))
    g2 = dead_code_elimination(g)
    assert kinds(g2) == ["Exp", "Sum"]
    assert len(g2.nodes_of("input")) == 2  # the signature stays, y included
    assert_same(g, g2)


def test_dce_drops_unused_backward_nodes_but_keeps_replayed_forwards():
    def f(x):
        y = x.tanh()
        unused = ember.randn(4, 3)  # noqa: F841
        loss = (y * y).sum()
        loss.backward()  # x does not require grad: gradients flow into nothing that is returned
        return loss
    x = ember.randn(4, 3, requires_grad=True)
    g = trace(f, x)
    assert calls(g, BACKWARD)
    g2 = dead_code_elimination(g)
    assert not calls(g2, BACKWARD)
    assert len(calls(g2)) == 3 and not g2.nodes_of("constant")
    assert_same(g, g2)
    g3, params = train_step_graph(lambda m, x: (m(x).tanh() * 3).sum())
    g4 = dead_code_elimination(g3)
    assert len(calls(g4, BACKWARD)) == len(calls(g3, BACKWARD))
    assert_same(g3, g4, params)


def test_dce_keeps_used_random_calls_and_drops_unused_ones():
    def f(x):
        Noise.apply(x * 3)
        return Noise.apply(x).exp()
    g = trace(f, ember.randn(4, 3))
    g2 = dead_code_elimination(g)
    assert len(calls(g2, "Noise")) == 1 and not calls(g2, "Mul")
    assert g2.validate() and interpret(g2, fresh_inputs(g2))[0][0].shape == (4, 3)


def test_dce_keeps_updated_constants_arrays():
    buf = ember.zeros(3)

    def f(x):
        buf.add_(1.0)
        return x * 2
    g = trace(f, ember.randn(4, 3))
    g2 = dead_code_elimination(g)
    assert "c0" in g2.output.attrs["updates"] and "c0" in g2.constants
    assert_same(g, g2)


# --- constant folding ---------------------------------------------------------------

def test_folding_evaluates_literal_calls_and_chains_of_them():
    g = trace(lambda x: x * Add.apply(2.0, 3.0).exp(), ember.randn(4, 3))
    g2 = constant_folding(g)
    assert kinds(g2) == ["Mul"]
    assert len(passes.meta(g2)["folded_constants"]) == 2
    np.testing.assert_allclose(g2.constants[g2.nodes[2].name], np.exp(np.float32(5.0)), rtol=1e-6)
    assert_same(g, g2)
    g3 = dead_code_elimination(g2)
    assert len(g3.constants) == 1
    assert_same(g, g3)


def test_folding_leaves_captured_constants_unless_asked():
    c = ember.randn(3)
    g = trace(lambda x: x + (c.exp() * 2), ember.randn(4, 3))
    g_default = constant_folding(g)
    assert len(calls(g_default)) == 3
    g_captured = dead_code_elimination(constant_folding(g, fold_captured=True))
    assert kinds(g_captured) == ["Add"]
    assert_same(g, g_default)
    assert_same(g, g_captured)
    # the captured array changes: the default graph follows it; the folded one froze the old value
    x = fresh_inputs(g)[0]
    c._data[...] = np.float32([1.0, 2.0, 3.0])
    expect = x + np.exp(c._data) * 2
    np.testing.assert_allclose(interpret(g_default, [x])[0][0], expect, rtol=1e-6)
    assert not np.allclose(interpret(g_captured, [x])[0][0], expect)


def test_folding_never_folds_constants_the_graph_updates():
    buf = ember.ones(3)

    def f(x):
        y = x * buf.exp()
        buf.add_(1.0)
        return y
    g = trace(f, ember.randn(4, 3))
    assert g.output.attrs["updates"] == ["c0"]
    g2 = constant_folding(g, fold_captured=True)
    assert len(calls(g2)) == 3 and not passes.meta(g2)["folded_constants"]
    assert_same(g, g2)


def test_folding_skips_random_and_replayed_calls(monkeypatch):
    monkeypatch.setattr(Tracer, "primitive_backward", False)  # every backward replayed
    g = trace(lambda x: x + Noise.apply(ember.ones(3)), ember.randn(4, 3))
    assert len(calls(constant_folding(g, fold_captured=True), "Noise")) == 1
    w = ember.randn(3, requires_grad=True)

    def f(x):
        loss = (x * ember.ops.binary.Mul.apply(w, 2.0)).sum()
        loss.backward()
        return loss, w.grad
    g2 = trace(f, ember.randn(4, 3))
    g3 = constant_folding(g2, fold_captured=True)
    assert len(calls(g3, "Mul")) == 2 and len(calls(g3, BACKWARD)) == len(calls(g2, BACKWARD))
    assert_same(g2, g3)


# --- common subexpression elimination -----------------------------------------------

def test_cse_merges_equal_calls():
    def f(x):
        return x.exp() + x.exp() + x.sum(0) * x.sum(0) + x.sum(1, keepdim=True)
    g = trace(f, ember.randn(4, 3))
    g2 = common_subexpression_elimination(g)
    assert len(calls(g2, "Exp")) == 1 and len(calls(g2, "Sum")) == 2
    assert_same(g, g2)


def test_cse_tells_literals_and_attributes_apart():
    x = ember.randint(0, 5, (4, 3))
    g = trace(lambda x: (x * 2, x * 2.0, x * True, x.sum(0), x.sum(0, keepdim=True)), x)
    g2 = common_subexpression_elimination(g)
    assert len(calls(g2)) == len(calls(g))
    assert_same(g, g2)


def test_cse_skips_random_calls_and_replayed_calls(monkeypatch):
    monkeypatch.setattr(Tracer, "primitive_backward", False)  # every backward replayed
    g = trace(lambda x: Noise.apply(x) - Noise.apply(x), ember.randn(4, 3))
    assert len(calls(common_subexpression_elimination(g), "Noise")) == 2
    g2, params = train_step_graph(lambda m, x: (m(x).tanh() + m(x).tanh()).sum())
    g3 = common_subexpression_elimination(g2)
    assert len(calls(g3, "Linear")) == 2 and len(calls(g3, "Tanh")) == 2
    assert_same(g2, g3, params)


# --- algebraic simplification -------------------------------------------------------

@pytest.mark.parametrize("expr", [lambda x: x * 1, lambda x: 1 * x, lambda x: x + 0, lambda x: 0 + x,
                                  lambda x: x - 0, lambda x: x / 1, lambda x: x ** 1])
def test_simplification_removes_neutral_operations(expr):
    g = trace(lambda x: expr(x).exp(), ember.randn(4, 3))
    g2 = algebraic_simplification(g)
    assert kinds(g2) == ["Exp"]
    assert calls(g2)[0].args == [Ref(g2.nodes[0].outputs[0].id)]
    assert_same(g, g2)
    assert_same(g, g2, batch=7)


def test_simplification_keeps_operations_that_change_dtype_or_shape():
    ints = ember.randint(0, 5, (4, 3))
    g = trace(lambda x: (x * 1.0, x / 1, (x + 0) * 3), ints)
    g2 = algebraic_simplification(g)
    assert kinds(g2) == ["Mul", "Div", "Mul"]  # int + 0 stays int: removed
    assert_same(g, g2)
    # a neutral array that broadcasts: owned zeros of shape (1, 4) added to x of shape (3, 1)
    z = ember.zeros(1, 4)
    g3 = constant_folding(trace(lambda x: (x + z.abs()).exp(), ember.randn(3, 1), dynamic_batch=False),
                          fold_captured=True)
    assert kinds(algebraic_simplification(g3)) == ["Add", "Exp"]
    g4 = constant_folding(trace(lambda x: (x + z.abs()).exp(), ember.randn(3, 4), dynamic_batch=False),
                          fold_captured=True)
    assert kinds(algebraic_simplification(g4)) == ["Exp"]
    assert_same(g4, algebraic_simplification(g4))
    # a captured array of ones may change between runs: never treated as neutral
    one = ember.ones(3)
    g5 = trace(lambda x: x * one, ember.randn(4, 3))
    assert len(calls(algebraic_simplification(g5))) == 1


def test_simplification_removes_identity_permutes_reshapes_and_casts():
    def f(x):
        a = x.transpose(0, 1).transpose(0, 1)
        b = x.permute(1, 2, 0).permute(2, 0, 1)
        c = x.permute(0, 1, 2) + x.reshape(-1, 3, 5) + x.reshape(2, 3, 5)
        return a + b + c + Cast.apply(x, np.dtype("float32"))
    g = trace(f, ember.randn(2, 3, 5), dynamic_batch=False)
    g2 = dead_code_elimination(algebraic_simplification(g))
    assert not calls(g2, "Permute") and not calls(g2, "Reshape") and not calls(g2, "Cast")
    assert_same(g, g2)


def test_simplification_keeps_non_identities():
    def f(x):
        return (x.permute(1, 2, 0).permute(1, 2, 0), x.reshape(2, 15), Cast.apply(x, np.dtype("float64")),
                x.transpose(0, 1))
    g = trace(f, ember.randn(2, 3, 5), dynamic_batch=False)
    g2 = algebraic_simplification(g)
    assert len(calls(g2)) == len(calls(g))
    # x of shape (B, 3): reshape(4, 3) is not the identity for every batch size; reshape(-1, 3) is
    g3 = algebraic_simplification(trace(lambda x: (x.reshape(4, 3), x.reshape(-1, 3).exp()), ember.randn(4, 3)))
    assert kinds(g3) == ["Reshape", "Exp"] and calls(g3)[0].args[1] == (4, 3)
    # the caller must not get its own input array back as a result
    assert kinds(algebraic_simplification(trace(lambda x: (x * 1, x.exp() * 1), ember.randn(4, 3)))) == ["Mul", "Exp"]


def test_simplification_keeps_calls_a_backward_replays(monkeypatch):
    monkeypatch.setattr(Tracer, "primitive_backward", False)  # every backward replayed
    g, params = train_step_graph(lambda m, x: (m(x) * 1).tanh().sum())
    g2 = algebraic_simplification(g)
    assert len(calls(g2, "Mul")) == 1
    assert_same(g, g2, params)


# --- elementwise fusion -------------------------------------------------------------

def test_fusion_groups_an_elementwise_chain_into_one_call():
    c = ember.randn(3)
    g = trace(lambda x: ((x * 2 + 1).relu().tanh() - c.exp()).sigmoid(), ember.randn(4, 3))
    g2 = elementwise_fusion(g)
    assert [n.name for n in calls(g2)] == [FUSED]
    assert len(calls(g2)[0].attrs["steps"]) == 7
    assert PRIMITIVES[FUSED] is Fused
    assert_same(g, g2)
    g3 = Graph.from_json(g2.to_json())
    assert_same(g, g3)


def test_fusion_handles_dtypes_broadcasting_and_non_ufunc_steps():
    def f(x, b):
        return ((x + b).floor() * 0.5 + (x > 0)).clamp(min=-1.0) * x.abs()
    g = trace(f, ember.randn(4, 3), ember.randn(3, dtype=ember.float64), dynamic_batch=False)
    g2 = elementwise_fusion(g)
    assert [n.name for n in calls(g2)] == [FUSED]
    assert_same(g, g2)


def test_fusion_does_not_write_into_inputs():
    g = elementwise_fusion(trace(lambda x: ((x * 2) + 1).exp() - 3, ember.randn(4, 3)))
    x = fresh_inputs(g)[0]
    before = x.copy()
    interpret(g, [x])
    np.testing.assert_array_equal(x, before)


def test_fusion_stops_at_values_used_twice_or_returned():
    def f(x):
        t = x * 2
        u = (t + 1).exp()
        return u.tanh() + t.sin(), u
    g = trace(f, ember.randn(4, 3))
    g2 = elementwise_fusion(g)
    groups = [[s[0].rsplit(".", 1)[-1] for s in n.attrs["steps"]] for n in calls(g2, "Fused")]
    assert sorted(groups) == [["Add", "Exp"], ["Tanh", "Sin", "Add"]]
    assert len(calls(g2, "Mul")) == 1
    assert_same(g, g2)


def test_fusion_leaves_replayed_calls(monkeypatch):
    monkeypatch.setattr(Tracer, "primitive_backward", False)  # every backward replayed
    g, params = train_step_graph(lambda m, x: ((m(x) * 2).exp() + 1).sum())
    g2 = elementwise_fusion(g)
    assert not calls(g2, "Fused")
    assert_same(g, g2, params)
    with pytest.raises(ember.errors.AutogradError, match="Fused"):
        Fused().backward(None)


# --- memory plan --------------------------------------------------------------------

def _intervals(g):
    plan = passes.meta(g)["memory_plan"]
    made = {v.id: i for i, n in enumerate(g.nodes) for v in n.outputs}
    return plan, {v: (made[v], plan["last_use"][v]) for v in plan["slots"]}


def _check_no_overlap(g):
    plan, spans = _intervals(g)
    by_slot = {}
    for v, s in plan["slots"].items():
        by_slot.setdefault(s, []).append(spans[v])
    for spans_ in by_slot.values():
        spans_.sort()
        for (a0, a1), (b0, b1) in zip(spans_, spans_[1:]):
            assert a1 < b0, f"slot reused at node {b0} while a value is alive until node {a1}"
    return plan


def test_memory_plan_reuses_slots_after_last_use_on_a_chain():
    g = trace(lambda x: x.exp().tanh().sin().cos().neg().abs(), ember.randn(64, 64))
    g2 = memory_plan(g)
    plan = _check_no_overlap(g2)
    assert len(plan["slot_bytes"]) == 2
    assert plan["bytes_without_reuse"] == 6 * 64 * 64 * 4
    assert plan["bytes_with_reuse"] == 2 * 64 * 64 * 4 < plan["bytes_without_reuse"]
    assert plan["peak_live_bytes"] == 2 * 64 * 64 * 4
    assert_same(g, g2)


def test_memory_plan_keeps_returned_values_and_views_alive():
    def f(x):
        a = x.exp()
        v = a.reshape(12)  # a view of a: a's buffer lives while v does
        b = x.sin().cos()
        return v + 1, b.tanh(), a.sum()
    g = trace(f, ember.randn(4, 3), dynamic_batch=False)
    g2 = memory_plan(g)
    plan = _check_no_overlap(g2)
    ids = {n.name.rsplit(".", 1)[-1]: n.outputs[0].id for n in calls(g2)}
    assert ids["Reshape"] not in plan["slots"]
    assert plan["last_use"][ids["Exp"]] >= plan["last_use"][ids["Reshape"]]
    end = len(g2.nodes) - 1
    assert all(plan["last_use"][r.id] == end for r in g2.output.refs())


def test_memory_plan_keeps_replayed_forwards_alive_until_their_backward():
    g, params = train_step_graph(lambda m, x: (m(x).exp().sin() * 2).sum())
    g2 = memory_plan(g)
    plan = _check_no_overlap(g2)
    index = {id(n): i for i, n in enumerate(g2.nodes)}
    for n in calls(g2, BACKWARD):
        fwd = next(f for f in g2.nodes if f.outputs and f.outputs[0].id == n.args[0].id)
        for vid in [v.id for v in fwd.outputs] + [r.id for r in fwd.refs()]:
            assert plan["last_use"][vid] >= index[id(n)]
    assert plan["bytes_with_reuse"] <= plan["bytes_without_reuse"]
    assert_same(g, g2, params)


# --- the pipeline -------------------------------------------------------------------

def test_default_pipeline():
    c = ember.randn(3)

    def f(x):
        a = (x * 1).transpose(0, 1).transpose(0, 1) + 0
        b = a.exp() + a.exp()
        unused = x.sin()  # noqa: F841
        return ((b * 2 + 1).relu().tanh() - c.exp()) * Add.apply(1.0, 1.0)
    g = trace(f, ember.randn(4, 3))
    g2 = default_pipeline(g)
    assert [n.name for n in calls(g2)] == [FUSED]
    assert "memory_plan" in passes.meta(g2)
    assert "memory_plan" not in passes.meta(dead_code_elimination(g2))  # stale after a change
    assert_same(g, g2)
    g3, params = train_step_graph(lambda m, x: ((m(x) * 1).tanh() + (m(x) * 1).tanh()).sum())
    assert_same(g3, default_pipeline(g3), params)
