"""keras.utils.plot_model: DOT parsed back by pydot, PNG opened by Pillow, SVG by an XML parser."""
import xml.etree.ElementTree as ET

import pytest

from ember import keras
from ember.errors import ArgumentError

pydot = pytest.importorskip("pydot")
L = keras.layers
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pyparsing, inside pydot


def sequential():
    return keras.Sequential([keras.Input(shape=(8,)), L.Dense(4, name="d1"), L.Dense(2, name="d2")], name="seq")


def functional():
    a, b = keras.Input(shape=(4,), name="a"), keras.Input(shape=(3,), name="b")
    shared = L.Dense(5, name="shared")
    ha, hb = shared(L.Dense(5, name="pa")(a)), shared(L.Dense(5, name="pb")(b))
    cat = L.Concatenate(name="cat")([ha, hb])
    return keras.Model([a, b], [L.Dense(1, name="o1")(cat), L.Dense(2, name="o2")(hb)], name="multi")


def nested():
    inner = keras.Sequential([keras.Input(shape=(5,)), L.Dense(6, name="i1"), L.Dense(2, name="i2")], name="inner")
    x = keras.Input(shape=(4,), name="x")
    return keras.Model(x, L.Dense(1, name="top")(inner(L.Dense(5, name="pre")(x))), name="outer")


def parse(path):
    (graph,) = pydot.graph_from_dot_file(str(path))
    nodes = {n.get_name(): n.get_label().strip('"').split("\\n")[0] for n in graph.get_nodes()
             if n.get_name() not in ("node", "edge", "graph")}
    for sub in graph.get_subgraphs():
        nodes.update({n.get_name(): n.get_label().strip('"').split("\\n")[0] for n in sub.get_nodes()
                      if n.get_name() not in ("node", "edge", "graph")})
    edges = {(nodes[e.get_source()].split()[0], nodes[e.get_destination()].split()[0])
             for g in [graph, *graph.get_subgraphs()] for e in g.get_edges()}
    return graph, nodes, edges


def test_sequential_every_layer_and_edge(tmp_path):
    keras.utils.plot_model(sequential(), tmp_path / "m.dot", show_shapes=True, show_layer_names=True)
    _, nodes, edges = parse(tmp_path / "m.dot")
    assert sorted(nodes.values()) == ["d1 (Dense)", "d2 (Dense)", "seq_input (InputLayer)"]
    assert edges == {("seq_input", "d1"), ("d1", "d2")}
    assert "Output shape: (None, 4)" in (tmp_path / "m.dot").read_text()


def test_functional_several_inputs_outputs_and_a_shared_layer(tmp_path):
    keras.utils.plot_model(functional(), tmp_path / "m.dot", show_layer_names=True, show_dtype=True)
    _, nodes, edges = parse(tmp_path / "m.dot")
    assert sorted(v.split()[0] for v in nodes.values()) == ["a", "b", "cat", "o1", "o2", "pa", "pb", "shared"]
    assert edges == {("a", "pa"), ("b", "pb"), ("pa", "shared"), ("pb", "shared"), ("shared", "cat"),
                     ("cat", "o1"), ("shared", "o2")}
    assert "Output dtype: float32" in (tmp_path / "m.dot").read_text()


def test_nested_model_collapsed_and_expanded(tmp_path):
    keras.utils.plot_model(nested(), tmp_path / "flat.dot", show_layer_names=True)
    _, nodes, edges = parse(tmp_path / "flat.dot")
    assert sorted(v.split()[0] for v in nodes.values()) == ["inner", "pre", "top", "x"]
    assert edges == {("x", "pre"), ("pre", "inner"), ("inner", "top")}
    keras.utils.plot_model(nested(), tmp_path / "deep.dot", show_layer_names=True, expand_nested=True)
    graph, nodes, edges = parse(tmp_path / "deep.dot")
    assert [s.get_label() for s in graph.get_subgraphs()] == ["inner"]
    assert edges == {("x", "pre"), ("pre", "inner_input"), ("inner_input", "i1"), ("i1", "i2"), ("i2", "top")}


def test_png_and_svg_files(tmp_path):
    from PIL import Image
    keras.utils.plot_model(functional(), tmp_path / "m.png", show_shapes=True, dpi=72)
    with Image.open(tmp_path / "m.png") as img:
        assert img.format == "PNG" and img.size[0] > 100 and img.size[1] > 100
    keras.utils.plot_model(nested(), tmp_path / "m.svg", show_layer_names=True, expand_nested=True, rankdir="LR")
    texts = {t.text for t in ET.parse(tmp_path / "m.svg").iter() if t.tag.endswith("text") and t.text}
    assert {"i1 (Dense)", "i2 (Dense)", "top (Dense)", "pre (Dense)"} <= texts


def test_missing_dot_program_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ArgumentError, match="apt-get install graphviz"):
        keras.utils.plot_model(sequential(), tmp_path / "m.png")
    keras.utils.plot_model(sequential(), tmp_path / "m.dot")   # DOT text needs no Graphviz
    assert (tmp_path / "m.dot").read_text().startswith("digraph")


def test_bad_arguments(tmp_path):
    with pytest.raises(ArgumentError, match="rankdir"):
        keras.utils.plot_model(sequential(), tmp_path / "m.dot", rankdir="BT")
    with pytest.raises(ArgumentError, match="cannot write .txt"):
        keras.utils.plot_model(sequential(), tmp_path / "m.txt")

    class Sub(keras.Model):
        def call(self, x):
            return x
    with pytest.raises(ArgumentError, match="subclassed"):
        keras.utils.plot_model(Sub(), tmp_path / "m.dot")
