"""DESIGN.md, "Layers of the package": a module imports only from its own level or below.

Read from the source (every import statement, including function-local ones),
not from what happens to be loaded at run time.
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "ember"

LEVELS = {
    "ember.errors": 0, "ember.backend": 0, "ember.backends": 0,
    "ember.autograd": 1, "ember.ops": 1, "ember.cuda": 1, "ember.testing": 1, "ember.linalg": 1,
    "ember.linalg_lu": 1, "ember.cpu": 1, "ember.futures": 1, "ember.lapack_extra": 1, "ember.fft": 1, "ember.func": 1,
    "ember.distributed": 2, "ember.accelerator": 2,
    "ember.graph": 3, "ember.profiler": 3, "ember.debug": 3,
    "ember.nn": 4, "ember.optim": 4, "ember.distributions": 4, "ember.data": 4, "ember.amp": 4,
    "ember.keras": 5, "ember.io": 5, "ember.serialization": 5, "ember.onnx": 5, "ember.utils": 5,
    "ember.serve": 6,
    "ember.cli": 7,
}
# Formats at level 5 may be used by keras (the TensorBoard callback, model.export) and by the server.
# Level 1's one cycle is closed in ember/ops/tensor_methods.py: ops import autograd, never the reverse.
FORBIDDEN = {("ember.autograd", "ember.ops")}


def area(module):
    parts = module.split(".")
    for n in (2, 1):
        name = ".".join(parts[:n])
        if name in LEVELS:
            return name
    return None


def imports(path):
    module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield module, a.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                pkg = module.split(".")[: -node.level] if not path.name == "__init__.py" else \
                    module.split(".")[: len(module.split(".")) - node.level + 1]
                base = ".".join(pkg + [node.module])
            yield module, base, node.lineno
            for a in node.names:  # `from ember import ops` imports ember.ops
                yield module, f"{base}.{a.name}", node.lineno


def test_imports_go_down_the_levels():
    bad = []
    for path in ROOT.rglob("*.py"):
        for module, target, line in imports(path):
            src, dst = area(module), area(target)
            if not target.startswith("ember") or src is None or dst is None or src == dst:
                continue
            where = f"{path.relative_to(ROOT.parent)}:{line}: {src} (level {LEVELS[src]}) imports {target}"
            if LEVELS[dst] > LEVELS[src]:
                bad.append(where + f" (level {LEVELS[dst]})")
            elif (src, dst) in FORBIDDEN:
                bad.append(where + " (autograd must not import ops; bind methods in ops/tensor_methods.py)")
    assert not bad, "imports against DESIGN.md's levels:\n" + "\n".join(bad)


def test_every_package_has_a_level():
    for path in ROOT.rglob("*.py"):
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        if module in ("ember.__init__",):
            continue
        assert area(module) is not None, f"{module} belongs to no level of DESIGN.md; add it to LEVELS"


def test_the_package_never_imports_torch():
    for path in ROOT.rglob("*.py"):
        for _, target, line in imports(path):
            assert target.split(".")[0] != "torch", f"{path}:{line} imports torch (a test-only reference)"
