"""A generated corpus of malformed ONNX files, each built to be invalid in one way: (kind, model bytes,
extra files to write beside the model). Used by test_hostile.py."""
import copy
import random

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def good_model():
    """A small valid model: Conv -> Relu -> Reshape -> Gemm, with a shape initializer."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((4, 1, 3, 3)).astype(np.float32), "conv.weight"),
             numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "conv.bias"),
             numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "shape"),
             numpy_helper.from_array(rng.standard_normal((3, 4 * 6 * 6)).astype(np.float32), "fc.weight"),
             numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "fc.bias")]
    nodes = [helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Reshape", ["r", "shape"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])


def _mutate(model, change):
    m = copy.deepcopy(model)
    change(m)
    return m.SerializeToString()


def _init(m, name):
    return next(t for t in m.graph.initializer if t.name == name)


def _node(m, name):
    return next(n for n in m.graph.node if n.name == name)


def _set_dims(name, dims):
    def change(m):
        t = _init(m, name)
        del t.dims[:]
        t.dims.extend(dims)
    return change


def _external(location, offset=None, length=None, name="fc.weight"):
    def change(m):
        t = _init(m, name)
        nbytes = len(t.raw_data)
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        entries = {"location": location}
        if offset is not None:
            entries["offset"] = str(offset)
        entries["length"] = str(nbytes if length is None else length)
        for k, v in entries.items():
            e = t.external_data.add()
            e.key, e.value = k, v
    return change


def _replace_node(name, **fields):
    def change(m):
        n = _node(m, name)
        for k, v in fields.items():
            if k == "inputs":
                del n.input[:]
                n.input.extend(v)
            elif k == "outputs":
                del n.output[:]
                n.output.extend(v)
            elif k == "attrs":
                del n.attribute[:]
                n.attribute.extend(helper.make_attribute(a, b) for a, b in v.items())
            else:
                setattr(n, k, v)
    return change


def _add_node(node, before=None):
    def change(m):
        nodes = list(m.graph.node)
        at = len(nodes) - 1 if before is None else before
        nodes.insert(at, node)
        del m.graph.node[:]
        m.graph.node.extend(nodes)
    return change


def _runtime_node(node, out="bad"):
    """A node the shapes of whose output are absurd or inconsistent, wired into the output."""
    def change(m):
        _add_node(node)(m)
        m.graph.output[0].name = out
    return change


def variants(outside_file):
    """[(kind, bytes, {relative path: bytes})]; `outside_file` is a file outside the model's folder."""
    good = good_model()
    data = good.SerializeToString()
    rng = random.Random(0)
    out = []
    # the protobuf itself: truncated, garbage, deep nesting
    for k in sorted({int(len(data) * f / 60) for f in range(1, 60)}):
        out.append((f"truncated at {k}", data[:k], {}))
    for i in range(30):
        out.append((f"random bytes {i}", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))), {}))
    out.append(("empty file", b"", {}))
    out.append(("graphs nested 300 deep", _nested_graphs(300), {}))
    # model-level fields
    out.append(("no graph", _mutate(good, lambda m: m.ClearField("graph")), {}))
    out.append(("no opset", _mutate(good, lambda m: m.ClearField("opset_import")), {}))
    for v in (0, -1, 10 ** 6):
        out.append((f"opset {v}", _mutate(good, lambda m, v=v: setattr(m.opset_import[0], "version", v)), {}))
    # initializer shapes, dtypes and data
    for dims in ([-1, 108], [3, -108], [2 ** 40, 2 ** 40], [2 ** 62], [3, 108, 2], [3], [1] * 100, [0, 108],
                 [3, 109], [3, 107], [2 ** 31, 2], [2 ** 33]):
        out.append((f"fc.weight dims {dims}", _mutate(good, _set_dims("fc.weight", dims)), {}))
    for dt in (0, 8, 14, 15, 17, 18, 19, 20, 21, 22, 23, 99, 2 ** 30):
        out.append((f"fc.weight data_type {dt}", _mutate(good, lambda m, dt=dt: setattr(_init(m, "fc.weight"),
                                                                                          "data_type", dt)), {}))
    for cut in (1, 4, 100, 1295):
        out.append((f"raw_data short by {cut}", _mutate(good, lambda m, c=cut: setattr(
            _init(m, "fc.weight"), "raw_data", _init(m, "fc.weight").raw_data[:-c])), {}))
    out.append(("raw_data long", _mutate(good, lambda m: setattr(_init(m, "fc.bias"), "raw_data",
                                                                   _init(m, "fc.bias").raw_data + b"\0" * 8)), {}))

    def typed(m, n):
        t = _init(m, "fc.bias")
        t.ClearField("raw_data")
        t.float_data.extend([0.5] * n)
    for n in (0, 2, 4, 1000):
        out.append((f"float_data with {n} values for 3", _mutate(good, lambda m, n=n: typed(m, n)), {}))
    out.append(("shape initializer int64 with float_data", _mutate(good, lambda m: (
        _init(m, "shape").ClearField("raw_data"), _init(m, "shape").float_data.extend([1.0, 2.0]))), {}))
    # external data: path traversal, absolute paths, links, sizes
    weight_bytes = _init(good, "fc.weight").raw_data
    for loc in ("../outside.bin", "../../../../../../etc/passwd", "/etc/passwd", str(outside_file),
                "sub/../../outside.bin", "./../outside.bin", "", "sub/../../../x", "..", ".", "sub",
                "missing.bin", "a\0b.bin", "link.bin", "link_dir/weights.bin"):
        out.append((f"external location {loc!r}", _mutate(good, _external(loc)), {"sub/keep": b"x"}))
    for offset, length, size in ((len(weight_bytes), None, len(weight_bytes)), (-4, None, len(weight_bytes)),
                                 (0, 4, len(weight_bytes)), (0, len(weight_bytes) + 4, len(weight_bytes) + 8),
                                 (0, None, 100), (2 ** 62, None, len(weight_bytes)), ("x", None, len(weight_bytes))):
        out.append((f"external offset {offset} length {length} in {size} bytes",
                    _mutate(good, _external("w.bin", offset, length)), {"w.bin": weight_bytes[:size].ljust(size, b"\0")}))
    # the graph: unknown ops, order, names, types
    for op in ("Det", "MyCustomOp", "Loop", "If", "Scan", "SequenceConstruct", "StringNormalizer", "ImageDecoder",
               "TreeEnsembleClassifier", "Upsample", "", "relu", "RELU", "Conv2d", "Linear", "\x00", "Relu\n",
               "a" * 10000):
        out.append((f"op type {op[:20]!r}", _mutate(good, _replace_node("relu", op_type=op)), {}))
    for domain in ("com.microsoft", "ai.onnx.ml", "ai.onnx.preview.training", "x"):
        out.append((f"domain {domain}", _mutate(good, _replace_node("relu", domain=domain)), {}))
    out.append(("reads an undefined value", _mutate(good, _replace_node("relu", inputs=["nowhere"])), {}))
    out.append(("reads its own output", _mutate(good, _replace_node("relu", inputs=["r"])), {}))
    out.append(("nodes out of order", _mutate(good, _reorder), {}))
    out.append(("output defined twice", _mutate(good, _replace_node("relu", outputs=["c"])), {}))
    out.append(("graph output never computed", _mutate(good, lambda m: setattr(m.graph.output[0], "name", "zz")), {}))
    out.append(("input shadows an initializer name twice", _mutate(good, _replace_node("flatten", outputs=["shape"])),
                {}))
    out.append(("graph input is a sequence", _mutate(good, lambda m: m.graph.input[0].type.CopyFrom(
        helper.make_sequence_type_proto(helper.make_tensor_type_proto(1, [2])))), {}))
    for et in (0, 8, 17, 25, 99):
        out.append((f"graph input elem_type {et}", _mutate(good, lambda m, et=et: setattr(
            m.graph.input[0].type.tensor_type, "elem_type", et)), {}))
    out.append(("subgraph attribute", _mutate(good, _replace_node("relu", attrs={"body": helper.make_graph(
        [], "b", [], [])})), {}))
    huge = TensorProto(name="v", data_type=TensorProto.FLOAT, dims=[2 ** 40], raw_data=b"")
    out.append(("Constant of 2**40 floats without data", _mutate(good, _add_node(
        helper.make_node("Constant", [], ["k"], value=huge), before=0)), {}))
    # nodes whose attributes or inputs are wrong for the shapes they meet at run time
    bad_attrs = [("Conv", {"pads": [1, 1, 1]}), ("Conv", {"strides": [0, 0]}), ("Conv", {"group": 0}),
                 ("Conv", {"group": 3}), ("Conv", {"kernel_shape": [5, 5]}), ("Conv", {"dilations": [-1, 1]}),
                 ("Conv", {"pads": [-5, -5, -5, -5]}), ("Conv", {"auto_pad": "BOGUS"}), ("Conv", {"strides": "ab"}),
                 ("Gemm", {"transB": 0}), ("Gemm", {"transA": 1})]
    for op, attrs in bad_attrs:
        name = "conv" if op == "Conv" else "fc"
        out.append((f"{op} with {attrs}", _mutate(good, _replace_node(name, attrs=attrs)), {}))
    for shape in ([2 ** 40, -1], [7, 7], [-2, 3], [0, 0, 0], [2 ** 62, 2 ** 62], [-1, -1], [5, 0, -1]):
        out.append((f"Reshape to {shape}", _mutate(good, lambda m, s=shape: _init(m, "shape").CopyFrom(
            numpy_helper.from_array(np.array(s, dtype=np.int64), "shape"))), {}))
    const = lambda name, v: helper.make_node("Constant", [], [name], value=numpy_helper.from_array(  # noqa: E731
        np.array(v, dtype=np.int64), name + "_v"))
    runtime = [
        ("ConstantOfShape 2**40", [const("s", [2 ** 20, 2 ** 20]), helper.make_node("ConstantOfShape", ["s"], ["bad"])]),
        ("ConstantOfShape negative", [const("s", [-3, 4]), helper.make_node("ConstantOfShape", ["s"], ["bad"])]),
        ("Expand to 2**36", [const("s", [2 ** 18, 2 ** 18]), helper.make_node("Expand", ["y", "s"], ["bad"])]),
        ("Expand to incompatible", [const("s", [5, 7]), helper.make_node("Expand", ["y", "s"], ["bad"])]),
        ("Tile 2**30 times", [const("s", [2 ** 15, 2 ** 15]), helper.make_node("Tile", ["y", "s"], ["bad"])]),
        ("Tile negative", [const("s", [-1, 2]), helper.make_node("Tile", ["y", "s"], ["bad"])]),
        ("Range of 2**40", [const("a", 0), const("b", 2 ** 40), const("c", 1),
                            helper.make_node("Range", ["a", "b", "c"], ["bad"])]),
        ("Range step 0", [const("a", 0), const("b", 10), const("c", 0), helper.make_node("Range", ["a", "b", "c"], ["bad"])]),
        ("Pad by 2**40", [const("p", [0, 2 ** 40, 0, 0]), helper.make_node("Pad", ["y", "p"], ["bad"])]),
        ("Pad wrong length", [const("p", [1, 1, 1]), helper.make_node("Pad", ["y", "p"], ["bad"])]),
        ("Slice step 0", [const("a", [0]), const("b", [2]), const("ax", [1]), const("st", [0]),
                          helper.make_node("Slice", ["y", "a", "b", "ax", "st"], ["bad"])]),
        ("Gather out of range", [const("i", [7]), helper.make_node("Gather", ["y", "i"], ["bad"], axis=1)]),
        ("Gather axis 5", [const("i", [0]), helper.make_node("Gather", ["y", "i"], ["bad"], axis=5)]),
        ("Split sizes wrong", [const("s", [1, 1]), helper.make_node("Split", ["y", "s"], ["bad", "b2"], axis=1)]),
        ("Concat rank mismatch", [helper.make_node("Concat", ["y", "x"], ["bad"], axis=0)]),
        ("Transpose bad perm", [helper.make_node("Transpose", ["y"], ["bad"], perm=[0, 0])]),
        ("Softmax axis 9", [helper.make_node("Softmax", ["y"], ["bad"], axis=9)]),
        ("Cast to 99", [helper.make_node("Cast", ["y"], ["bad"], to=99)]),
        ("Cast to string", [helper.make_node("Cast", ["y"], ["bad"], to=8)]),
        ("MatMul shapes", [helper.make_node("MatMul", ["y", "y"], ["bad"])]),
        ("Add shapes", [helper.make_node("Add", ["y", "x"], ["bad"])]),
        ("OneHot depth -1", [const("d", -1), const("v", [0, 1]),
                             helper.make_node("OneHot", ["y", "d", "v"], ["bad"])]),
        ("TopK k 99", [const("k", [99]), helper.make_node("TopK", ["y", "k"], ["bad", "idx"])]),
        ("Squeeze a non-1 dim", [const("a", [1]), helper.make_node("Squeeze", ["y", "a"], ["bad"])]),
        ("Unsqueeze axis 9", [const("a", [9]), helper.make_node("Unsqueeze", ["y", "a"], ["bad"])]),
        ("Flatten axis 9", [helper.make_node("Flatten", ["y"], ["bad"], axis=9)]),
        ("Einsum nonsense", [helper.make_node("Einsum", ["y"], ["bad"], equation="ij,jk->q")]),
        ("LSTM wrong weights", [helper.make_node("LSTM", ["x", "fc.weight", "fc.weight"], ["bad"], hidden_size=3)]),
        ("BatchNormalization missing stats", [helper.make_node("BatchNormalization", ["x", "conv.bias"], ["bad"])]),
        ("MaxPool no kernel", [helper.make_node("MaxPool", ["x"], ["bad"])]),
        ("AveragePool kernel 99", [helper.make_node("AveragePool", ["x"], ["bad"], kernel_shape=[99, 99])]),
        ("ConvTranspose huge stride", [helper.make_node("ConvTranspose", ["x", "conv.weight"], ["bad"],
                                                        strides=[2 ** 20, 2 ** 20])]),
    ]
    for kind, nodes in runtime:
        def change(m, nodes=nodes):
            for n in nodes:
                _add_node(n, before=len(m.graph.node))(m)
            m.graph.output[0].name = "bad"
        out.append((kind, _mutate(good, change), {}))
    # one value or attribute changed at random in each node
    for i in range(40):
        def scramble(m, seed=i):
            r = random.Random(seed)
            n = r.choice(list(m.graph.node))
            if n.input:
                n.input[r.randrange(len(n.input))] = r.choice(["", "x", "y", "c", "conv.weight", "fc.bias", "q"])
            n.attribute.extend([helper.make_attribute(r.choice(["pads", "axis", "perm", "to"]),
                                                      [r.randrange(-2 ** 40, 2 ** 40) for _ in range(r.randrange(1, 6))])])
        out.append((f"scrambled node {i}", _mutate(good, scramble), {}))
    return out


def _field(number, payload):
    """One length-delimited protobuf field (wire type 2), written by hand: protobuf itself refuses
    to build messages nested this deep."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(n):
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def _nested_graphs(depth):
    graph = b""
    for _ in range(depth):   # GraphProto.node(1) > NodeProto.attribute(5) > AttributeProto.g(6)
        attribute = _field(1, b"then_branch") + _varint(20 << 3) + _varint(5) + _field(6, graph)
        graph = _field(1, _field(4, b"If") + _field(5, attribute))
    return _varint(1 << 3) + _varint(8) + _field(7, graph)   # ModelProto: ir_version 8, graph


def _reorder(m):
    nodes = list(m.graph.node)[::-1]
    del m.graph.node[:]
    m.graph.node.extend(nodes)



def refuse_all(folder, memory, address_space=None):
    """Try every variant (load, then one run) in `folder`; returns (problems, slowest seconds). Run in a
    child process with `address_space` bytes of address space at most, so a regression that allocates
    hugely fails there instead of exhausting the machine."""
    import os
    import pathlib
    import time
    import tracemalloc
    import ember
    if address_space:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    folder = pathlib.Path(folder)
    problems, slowest = [], 0.0
    # the good model once first: kernels compiled (or loaded from numba's cache) once per process are
    # not what a file makes ember allocate
    (folder / "m.onnx").write_bytes(good_model().SerializeToString())
    with ember.no_grad():
        ember.onnx.load(folder / "m.onnx")(ember.zeros(2, 1, 6, 6))
    for kind, data, extra in variants(folder.parent / "outside.bin"):
        for rel, content in extra.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(content)
        path = folder / "m.onnx"
        path.write_bytes(data)
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            model = ember.onnx.load(path)
            with ember.no_grad():
                model(ember.zeros(2, 1, 6, 6))
            problems.append(f"{kind}: accepted")
        except ember.EmberError:
            pass
        except BaseException as e:  # noqa: BLE001 (anything but an ember error is what this looks for)
            problems.append(f"{kind}: {type(e).__name__}: {e}"[:300])
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        slowest = max(slowest, time.perf_counter() - t0)
        if peak > len(data) + memory:
            problems.append(f"{kind}: {peak} bytes allocated for a {len(data)}-byte file")
        for rel in extra:
            os.remove(folder / rel)
    return problems, slowest, len(variants(folder.parent / "outside.bin"))
