"""Level 3: the graph IR, tracing, passes and the compiler (DESIGN.md "One core, one graph")."""
from ember.graph.ir import Graph, GraphError, Node, Ref, Value
from ember.graph.trace import TraceError, trace
from ember.graph.interpret import interpret
from ember.graph import passes
from ember.graph.compile import Compiled, RecompileError, compile
