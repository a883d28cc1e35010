"""Graph passes: each a function `Graph -> Graph` that returns a new graph (the input is left as
it was) computing the same outputs and updates as `ember.graph.interpret` does on the input.

    >>> from ember.graph import passes
    >>> g2 = passes.default_pipeline(ember.graph.trace(model, x))

The conventions every pass keeps: a forward call that a `backward` node replays is never removed,
merged or fused (the backward runs on that call's own instance); random primitives are never
folded, merged or fused; constants captured by the trace hold the caller's arrays by reference
and are not folded unless asked (`constant_folding(g, fold_captured=True)`).
"""
from ember.graph.passes.epilogue_relu import epilogue_relu_fusion
from ember.graph.passes.cse import common_subexpression_elimination
from ember.graph.passes.dce import dead_code_elimination
from ember.graph.passes.folding import constant_folding
from ember.graph.passes.fusion import Fused, elementwise_fusion
from ember.graph.passes.memory import memory_plan
from ember.graph.passes.pool_relu import pool_relu_fusion
from ember.graph.passes.simplify import algebraic_simplification
from ember.graph.passes._util import RANDOM, is_random, meta

__all__ = ["algebraic_simplification", "common_subexpression_elimination", "constant_folding", "epilogue_relu_fusion",
           "dead_code_elimination", "default_pipeline", "elementwise_fusion", "memory_plan", "pool_relu_fusion", "Fused",
           "RANDOM", "is_random", "meta"]


def default_pipeline(graph, fuse=True, plan_memory=True):
    """The passes in the order that lets each feed the next: simplification and folding expose
    repeated calls, CSE merges them, dead code goes before fusion (a dead user would block a
    fusion), and the memory plan is made for the final graph."""
    for _ in range(2):  # folding or merging may expose more of the same
        graph = algebraic_simplification(graph)
        graph = constant_folding(graph)
        graph = common_subexpression_elimination(graph)
        graph = dead_code_elimination(graph)
    if fuse:
        graph = dead_code_elimination(pool_relu_fusion(elementwise_fusion(epilogue_relu_fusion(graph))))
    if plan_memory:
        graph = memory_plan(graph)
    return graph
