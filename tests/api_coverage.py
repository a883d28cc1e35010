"""How much of the public API of Keras 3 and PyTorch ember covers, namespace by namespace.

    python -m tests.api_coverage                 # the table
    python -m tests.api_coverage --missing keras.layers   # the names still to do in one namespace

A reference name counts as **covered** only when ember has it and a test exercises it against the
reference. What counts as a test exercising a name, read from the test files (`tests/**/*.py` that
import torch or keras, or take the `real_keras` fixture):

1. an attribute chain on the reference: `torch.nn.functional.gelu`, `keras.layers.Dense` (the root
   bound by `import torch`, `from torch import nn`, `import keras`, the `real_keras` fixture, or a
   parameter named `keras`/`torch` in a function the test calls with both libraries);
2. a `COVERS = {"keras.layers": ["Dot", ...]}` dict at module level, for names reached dynamically
   (`getattr(real_keras.metrics, name)`); the test must exercise them against the reference;
3. `getattr(<reference>, var)` in a file: the identifier strings listed in that file count on that
   reference (parametrized op lists);
4. the op registry: `tests/ops/test_registry.py` runs every primitive against `torch.<ref>`;
5. `torch.Tensor` only: a method called on anything in a file that imports torch (a heuristic: those
   files compare ember tensors with torch tensors method by method).

Deliberate omissions are listed, each with its reason, in `tests/api_omissions.txt`; they leave the
denominator. A name ember has but no test exercises against the reference is "present", not covered.

PyTorch's top level gets a second row, "torch (narrow)": the same names, leaving out only the omissions
whose reason is one of the kinds the coverage goal allows (sparse, quantized, complex-only, deprecated or
removed, distributed); TorchScript types, storages, dispatcher internals, vendor kernels and the like
count there as not covered.
"""
import argparse
import ast
import fnmatch
import importlib
import inspect
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
OMISSIONS = TESTS / "api_omissions.txt"

KERAS_NAMESPACES = ["layers", "ops", "losses", "metrics", "optimizers", "callbacks", "activations", "initializers",
                    "regularizers", "utils", "datasets", "random", "preprocessing", "wrappers"]
# namespace -> (reference object path, ember object path)
NAMESPACES = {**{f"keras.{n}": (f"keras.{n}", f"ember.keras.{n}") for n in KERAS_NAMESPACES},
              "torch": ("torch", "ember"), "torch.Tensor": ("torch.Tensor", "ember.Tensor"),
              "torch.nn": ("torch.nn", "ember.nn"),
              "torch.nn.functional": ("torch.nn.functional", "ember.nn.functional"),
              "torch.optim": ("torch.optim", "ember.optim"), "torch.utils.data": ("torch.utils.data", "ember.data")}
NAMESPACES.update({ns: (ns, "ember" + ns[len("torch"):]) for ns in (  # torch's submodules that scripts import
    "torch.linalg", "torch.fft", "torch.distributions", "torch.testing", "torch.nn.utils", "torch.nn.utils.rnn")})
REFERENCE_ROOTS = {"torch": "torch", "keras": "keras", "real_keras": "keras"}
# words in an omission's reason that put it in a kind the goal for torch's top level allows leaving out
NARROW_KINDS = ("sparse", "quantiz", "complex", "deprecated", "removed from", "distributed")


def resolve(path):
    """The object at a dotted path (a module, or an attribute of one); None where it does not exist."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj
    return None


def public_names(obj, modules=False):
    """The public names of a module or class; submodules only with `modules` (Keras's API modules,
    such as `keras.datasets.mnist`, are part of its public API; torch's are not counted as names)."""
    names = set()
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # a lazy attribute that fails to load is not usable API
            continue
        if modules or not inspect.ismodule(value):
            names.add(name)
    return names


# -- the omissions list -----------------------------------------------------------------------------
def read_omissions(path=OMISSIONS):
    """[(namespace, pattern, reason)] from lines `namespace  pattern  -- reason` (# comments)."""
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, sep, reason = line.partition(" -- ")
        fields = head.split()
        if not sep or len(fields) != 2 or not reason.strip():
            raise ValueError(f"{path.name}:{number}: expected 'namespace pattern -- reason', got {line!r}")
        entries.append((fields[0], fields[1], reason.strip()))
    return entries


def omitted(namespace, name, entries):
    return any(ns == namespace and fnmatch.fnmatchcase(name, pattern) for ns, pattern, _ in entries)


# -- what the tests exercise ------------------------------------------------------------------------
class Scanner(ast.NodeVisitor):
    """Reference names one test file exercises (rules 1, 2, 3 and 5 of the module docstring)."""

    def __init__(self, tree):
        self.roots, self.chains, self.strings, self.dynamic, self.methods = {}, set(), set(), set(), set()
        self.covers, self.uses_reference = {}, False
        self._bind(tree)

    def _bind(self, tree):
        ember_bound = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    top = a.name.split(".")[0]
                    if top in ("torch", "keras"):
                        self.uses_reference = True
                        self.roots[a.asname or top] = a.name if a.asname else top
            elif isinstance(node, ast.ImportFrom) and node.module:
                top = node.module.split(".")[0]
                for a in node.names:
                    if top in ("torch", "keras"):
                        self.uses_reference = True
                        self.roots[a.asname or a.name] = f"{node.module}.{a.name}"
                    elif top == "ember":
                        ember_bound.add(a.asname or a.name)
            elif isinstance(node, ast.arg) and node.arg == "real_keras":
                self.uses_reference = True
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    getattr(node.value.func, "attr", "") == "importorskip" and node.value.args and \
                    isinstance(node.value.args[0], ast.Constant) and node.value.args[0].value in ("torch", "keras"):
                self.uses_reference = True
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        self.roots[t.id] = node.value.args[0].value
        for name, path in REFERENCE_ROOTS.items():
            if name not in ember_bound:
                self.roots.setdefault(name, path)

    def chain(self, node):
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.roots:
            return ".".join([self.roots[node.id]] + parts[::-1])
        return None

    def visit_Attribute(self, node):
        full = self.chain(node)
        if full:
            self.chains.add(full)
        self.generic_visit(node)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id == "getattr" and node.args:
            base = self.chain(node.args[0]) if isinstance(node.args[0], ast.Attribute) else \
                self.roots.get(getattr(node.args[0], "id", None))
            if base:
                self.dynamic.add(base)
        if isinstance(node.func, ast.Attribute):
            self.methods.add(node.func.attr)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and node.value.isidentifier():
            self.strings.add(node.value)

    def visit_Module(self, node):
        env = {}  # module-level names, for COVERS built from the file's own lists
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                try:
                    env[stmt.targets[0].id] = literal(stmt.value, env)
                except (ValueError, TypeError):  # not a literal table: not a COVERS source
                    continue
        self.covers = env.get("COVERS", {})
        self.generic_visit(node)


def literal(node, env):
    """The value of a literal, a module-level name, `a + b`, or `list(d)`/`sorted(d)` of one."""
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return literal(node.left, env) + literal(node.right, env)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "sorted") \
            and len(node.args) == 1:
        return list(literal(node.args[0], env))
    if isinstance(node, ast.Dict):  # values that are not literals (functions in a table) are kept as None
        if any(k is None for k in node.keys):
            raise ValueError("a dict with ** is not a literal")
        return {_hashable(literal(k, env)): _or_none(v, env) for k, v in zip(node.keys, node.values)}
    if isinstance(node, (ast.List, ast.Tuple)):
        return [literal(e, env) for e in node.elts]
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        raise ValueError("not a literal") from None


def _hashable(value):
    return value if isinstance(value, (str, int, float, tuple, type(None))) else repr(value)


def _or_none(node, env):
    try:
        return literal(node, env)
    except ValueError:
        return None


def exercised(tests=TESTS):
    """{qualified reference name: [test files]} for every name the tests exercise against a reference."""
    found = {}

    def add(name, where):
        found.setdefault(name, set()).add(where)
    for path in sorted(tests.rglob("*.py")):
        if path.name == "api_coverage.py":
            continue
        tree = ast.parse(path.read_text(), str(path))
        scan = Scanner(tree)
        scan.visit(tree)
        if not scan.uses_reference:
            continue
        where = str(path.relative_to(ROOT))
        for full in scan.chains:
            add(full, where)
        for ns, names in scan.covers.items():
            for name in names:
                add(f"{ns}.{name}", where)
        for base in scan.dynamic:
            for s in scan.strings:
                add(f"{base}.{s}", where)
        if "torch" in scan.roots.values():
            for m in scan.methods:
                add(f"torch.Tensor.{m}", where)
    registry = tests / "ops" / "test_registry.py"
    if registry.exists():
        from ember.ops.registry import REGISTRY
        infos = REGISTRY.values() if isinstance(REGISTRY, dict) else REGISTRY
        for info in infos:
            add(f"torch.{info.ref}", str(registry.relative_to(ROOT)))
    return found


# -- the report -------------------------------------------------------------------------------------
def report(namespaces=None):
    """{namespace: {"total", "omitted", "present", "covered", "missing": [...], "untested": [...]}}."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    entries, tested = read_omissions(), exercised()
    out = {}
    for ns in namespaces or NAMESPACES:
        ref_path, ember_path = NAMESPACES[ns]
        ref, ours = resolve(ref_path), resolve(ember_path)
        names = public_names(ref, modules=ns.startswith("keras."))
        counted = {n for n in names if not omitted(ns, n, entries)}
        present = {n for n in counted if ours is not None and hasattr(ours, n)}
        covered = {n for n in present if f"{ref_path}.{n}" in tested}
        out[ns] = {"total": len(counted), "omitted": len(names) - len(counted), "present": len(present),
                   "covered": len(covered), "missing": sorted(counted - present),
                   "untested": sorted(present - covered)}
        if ns == "torch":
            out[ns]["narrow"] = _narrow(ns, names, ours, entries, tested, ref_path)
    return out


def _narrow(ns, names, ours, entries, tested, ref_path):
    """The counts with only the omissions of NARROW_KINDS applied."""
    allowed = [e for e in entries if e[0] == ns and any(kind in e[2] for kind in NARROW_KINDS)]
    counted = {n for n in names if not omitted(ns, n, allowed)}
    present = {n for n in counted if ours is not None and hasattr(ours, n)}
    covered = {n for n in present if f"{ref_path}.{n}" in tested}
    return {"total": len(counted), "omitted": len(names) - len(counted), "present": len(present),
            "covered": len(covered), "missing": sorted(counted - present), "untested": sorted(present - covered)}


def print_report(rows, file=None):
    file = file or sys.stdout
    print(f"{'namespace':22} {'names':>6} {'omitted':>8} {'in ember':>9} {'tested':>7} {'covered':>8}", file=file)
    for ns, r in rows.items():
        for label, row in ((ns, r), (f"{ns} (narrow)", r.get("narrow"))):
            if row is None:
                continue
            pct = 100.0 * row["covered"] / row["total"] if row["total"] else 100.0
            print(f"{label:22} {row['total']:6d} {row['omitted']:8d} {row['present']:9d} {row['covered']:7d} "
                  f"{pct:7.1f}%", file=file)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.api_coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--missing", metavar="NAMESPACE", help="list the names not in ember and not tested")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.missing:
        r = report([args.missing])[args.missing]
        print("not in ember:", " ".join(r["missing"]) or "-")
        print("in ember, not tested against the reference:", " ".join(r["untested"]) or "-")
        return
    print_report(report())


if __name__ == "__main__":
    main()
