"""A hostile-argument campaign over ember's public functions and Tensor methods, with PyTorch
as the oracle. Used by tests/test_fuzz_public.py; run it by hand for a larger campaign:

    PYTHONPATH=. python tests/fuzz_public.py --calls 20000 --seed 1

Each call draws arguments from the ember function's signature (tensors of random shape and
dtype, dims, flags, dtypes, sizes, scalars), mutates some of them into hostile values (strings,
huge ints, NaN, deep lists, wrong types), and calls ember and PyTorch with the same arguments.

Outcomes: `foreign` (ember raised a non-ember exception), `hang` (past the time limit),
`translated` (an exception from inside ember or NumPy that a guard turned into an ember error;
`signature` counts Python's own errors for calls that do not fit the signature apart),
`agree-error` (both refused), `refused` (ember refused what PyTorch accepts), `lenient` (ember
accepted what PyTorch refuses), `compared` (both returned; then `mismatch` counts differing
shapes, dtypes, values or gradients). Names in DELIBERATE, and the calls DELIBERATE_WHEN picks out, differ
on purpose (README, "Deliberate differences from PyTorch") and are not counted as mismatches.
"""
import argparse
import inspect
import re
import signal
import sys
from collections import Counter

import numpy as np
import torch

import ember
import ember.nn.functional as EF
import torch.nn.functional as TF
from ember.autograd import function
from ember.ops import FAMILIES, registry

# Values are not comparable (random draws, uninitialized memory): shapes and dtypes only.
RANDOM = {"rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "bernoulli",
          "multinomial", "empty", "empty_like", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
          "feature_alpha_dropout", "rrelu", "uniform_", "normal_", "bernoulli_", "random_", "exponential_",
          "new_empty", "gumbel_softmax", "cauchy_", "geometric_", "log_normal_", "poisson", "rrelu_",
          # not random, but defined only up to signs (singular vectors, Q's columns): shapes and dtypes only
          "svd", "qr"}

# Differences kept on purpose, each with its reason (also in the README).
DELIBERATE = {
    "softmax": "a dtype in third position is used as dtype (torch.softmax's signature); F.softmax ignores it",
    "log_softmax": "as softmax",
    "softmin": "as softmax",
    "matrix_exp": "float16/bfloat16: PyTorch's series overflows in the low precision (inf/NaN for ordinary matrices); "
                  "ember computes in float32 and rounds once",
    "unique_consecutive": "return_inverse given by position: PyTorch's boolean dispatch returns an empty counts "
                          "tensor in its place; ember returns the inverse (as the keyword and the Tensor method do)",
    "std_mean": "with an inf in a slice PyTorch's one-pass (Welford) mean is NaN; ember's mean is torch.mean's (inf)",
    "var_mean": "as std_mean",
    "mode": "with NaNs PyTorch's answer depends on where they sit (mode([1, nan, 2, nan, 2]) is 1); ember counts "
            "NaNs as one value",
    "rsub": "alpha by position with a 0-d other: PyTorch picks its Scalar overload (other becomes a Python number, "
            "so an integer input gives the default float); ember promotes the 0-d tensor, as PyTorch does for alpha=",
    "cholesky": "a non-symmetric input: PyTorch reads its lower triangle; ember factors (A + A^T) / 2, the same "
                "for the symmetric matrices cholesky is defined on (and PyTorch's symmetric gradient)",
    "gelu": "gelu(inf) is NaN in PyTorch's float32/bfloat16 kernel (inf in float64); ember gives inf in every dtype",
}


def _raws(specs, kwspecs):
    return [v for k, v in list(specs) + list(kwspecs.values()) if k == "raw"]


def _arrays(specs, kwspecs):
    return [v for k, v in list(specs) + list(kwspecs.values()) if k == "array"]


def _ill_conditioned(which):
    """Calls whose Cholesky factor (argument `which`) makes A = L L^T (U^T U) so ill-conditioned that results
    agree only to about cond(A) * eps, past the comparison's tolerance: cond(A) > 1e3 in float32 (ember
    computes those in float64, PyTorch in float32), > 1e8 in float64."""
    def pick(specs, kwspecs):
        arrays = _arrays(specs, kwspecs)
        if len(arrays) <= which or arrays[which][1] not in ("float32", "float64") or arrays[which][0].ndim < 2:
            return False
        a = arrays[which][0].astype(np.float64)
        if not a.size or a.shape[-1] != a.shape[-2]:
            return False
        upper = True in [v for v in _raws(specs, kwspecs) if type(v) is bool]
        with np.errstate(all="ignore"):
            t = np.triu(a) if upper else np.tril(a)
            limit = 1e3 if arrays[which][1] == "float32" else 1e8
            return bool(not np.isfinite(t).all() or np.any(np.linalg.cond(t) ** 2 > limit))
    return pick


def _non_finite(specs, kwspecs):
    return any(dt.startswith(("float", "bfloat")) and not np.isfinite(a).all() for a, dt in _arrays(specs, kwspecs))


def _nan(specs, kwspecs):
    return any(dt.startswith(("float", "bfloat")) and np.isnan(a).any() for a, dt in _arrays(specs, kwspecs))


def _bfloat16_nan(specs, kwspecs):
    return any(dt == "bfloat16" and np.isnan(a).any() for a, dt in _arrays(specs, kwspecs))


def _near_constant_rows(specs, kwspecs):
    arrays = _arrays(specs, kwspecs)
    if not arrays or arrays[0][1] != "float32" or not arrays[0][0].size:
        return False
    a = np.atleast_2d(arrays[0][0]).astype(np.float64)
    with np.errstate(all="ignore"):
        return bool(np.any(a.std(-1) < 1e-3 * np.abs(a).max(-1)))


# Differences kept on purpose for some calls only: name -> (which calls, reason) (also in the README).
DELIBERATE_WHEN = {
    "var": (lambda s, kw: () in _raws(s, kw),
            "dim=(): PyTorch's value reduces all dims but its gradient counts no element (2 / (1 - correction): "
            "inf); ember's gradient is that of the value it returns"),
    "std": (lambda s, kw: () in _raws(s, kw), "as var"),
    "norm": (lambda s, kw: any(v != v for v in _raws(s, kw) if type(v) is float),
             "p=NaN: PyTorch gives |x| for a one-element tensor reduced over all dims (with a NaN gradient) and NaN "
             "otherwise; ember gives NaN (no p-norm has p = NaN)"),
    "signbit": (_bfloat16_nan, "the sign of a NaN cast to bfloat16: PyTorch's depends on its conversion path "
                               "(`.to(bfloat16)` sets it, a tensor literal clears it); ember keeps the NaN's sign"),
    "copysign": (_bfloat16_nan, "as signbit"),
    "cholesky_inverse": (_ill_conditioned(0),
                         "ill-conditioned factors (cond(L L^T) > 1e3 in float32, > 1e8 in float64): the answers agree only "
                         "to about cond * eps; ember computes float32 in float64 and rounds once, PyTorch in float32"),
    "cholesky_solve": (_ill_conditioned(1), "as cholesky_inverse"),
    "logdet": (_non_finite, "the gradient at a matrix holding inf or NaN (undefined there): PyTorch's has NaN where "
                            "its LU pivoting spreads them, ember's is A^-T from LAPACK's inverse"),
    "slogdet": (_non_finite, "as logdet"),
    "hardtanh": (_nan, "the gradient at a NaN input: PyTorch's scalar loop passes it and its vectorized loop "
                       "zeroes it, so its answer depends on the element's position; ember always passes it"),
    "hardtanh_": (_nan, "as hardtanh"),
    "relu6": (_nan, "as hardtanh"),
    "geqrf": (_non_finite, "a matrix holding inf or NaN: where the inf/NaN spread follows the LAPACK path "
                           "(PyTorch's LAPACK applies a reflector with tau = 0, 0 * inf = NaN; NumPy's skips it)"),
    "inverse": (_non_finite, "a matrix holding inf or NaN (no inverse there): where the inf/NaN spread follows "
                             "the LAPACK path, PyTorch's getrf + getri, NumPy's gesv (both NaN in most cells)"),
    "prod": (lambda s, kw: any(v[0] == "dtype" and v[1] in ("float16", "bfloat16") for v in kw.values()),
             "dtype=float16/bfloat16 of a wider input: PyTorch computes the gradient in the low precision (inf where "
             "it passes 65504); ember computes it in the input's dtype"),
    "corrcoef": (lambda s, kw: _near_constant_rows(s, kw),
                 "float32 rows whose spread is under 1e-3 of their size: the gradient is float32 rounding noise "
                 "(float64 gives about 0) and the two libraries' noise differs"),
    "cross_entropy": (lambda s, kw: (lambda a: len(a) > 1 and a[0][1] in ("float16", "bfloat16")
                                     and a[1][1] in ("float32", "float64"))(_arrays(s, kw)),
                      "a float16/bfloat16 input with a float32 target of probabilities: the result is float32 but "
                      "log_softmax is in the input's precision, so they agree to that precision only (ember's is "
                      "correctly rounded; PyTorch's half kernel can be 2 units off)"),
    "bucketize": (lambda s, kw: any(dt.startswith(("float", "bfloat")) and np.isnan(a).any() and a.ndim == 1
                                    for a, dt in _arrays(s, kw)[1:2]),
                  "boundaries holding NaN are not sorted, and PyTorch documents the result as unspecified then: its "
                  "binary search compares with NaN as false, NumPy's sorts NaN last"),
    "searchsorted": (lambda s, kw: any(dt.startswith(("float", "bfloat")) and np.isnan(a).any()
                                       for a, dt in _arrays(s, kw)[:1]), "as bucketize (sorted_sequence holding NaN)"),
    "resize_as_": (lambda s, kw: len(_arrays(s, kw)) > 1 and _arrays(s, kw)[1][0].size > _arrays(s, kw)[0][0].size,
                   "growing: PyTorch leaves the new elements uninitialized (whatever the memory held); ember "
                   "zeros them"),
}

# Which of several equal values an index points at is not specified (PyTorch's depends on its selection
# algorithm; its median documents it): values are compared, indices by shape and dtype only.
TIES = {"kthvalue", "median", "nanmedian", "topk"}
SKIP = {"data_ptr", "numpy", "tolist", "item", "register_hook", "retain_grad", "backward", "detach_",
        "requires_grad_", "cuda", "cpu", "to", "element_size", "is_contiguous", "contiguous", "new_tensor",
        "__deepcopy__", "__repr__", "__array__", "__iter__", "__init__", "size", "dim", "numel", "nelement",
        "type_as", "__format__", "__bool__", "__len__", "__index__", "__int__", "__float__"}
TIME_LIMIT = 5.0
DTYPES = ["float32", "float32", "float64", "int64", "bool", "float16", "bfloat16", "int32", "uint8"]


# Python's own errors for a call that does not fit the signature (not raised by ember's code).
SIGNATURE = re.compile(r"unexpected keyword argument|positional argument|got multiple values for|missing \d+ required")


class Timeout(Exception):
    pass


def targets():
    """(kind, name, ember callable, torch callable) for every public function and Tensor method
    that PyTorch also has."""
    out = []
    for fam in FAMILIES:
        for name in fam.__all__:
            if hasattr(torch, name) and name not in SKIP:
                out.append(("fn", name, getattr(ember, name), getattr(torch, name)))
        for name in getattr(fam, "FUNCTIONAL", "").split():
            if hasattr(TF, name) and hasattr(EF, name):
                out.append(("F", name, getattr(EF, name), getattr(TF, name)))
    for name in sorted(set(vars(ember.Tensor))):
        v = vars(ember.Tensor)[name]
        if callable(v) and hasattr(torch.Tensor, name) and name not in SKIP and (not name.startswith("_") or
                                                                                  name.startswith("__")):
            if name in ("__init__", "__hash__", "__reduce__", "__eq__", "__ne__") or name.startswith("__i"):
                continue
            out.append(("method", name, v, getattr(torch.Tensor, name)))
    return out


class Maker:
    """Random arguments, the same for ember and torch (built from one NumPy value)."""

    def __init__(self, rng):
        self.rng = rng

    def shape(self):
        r = self.rng
        nd = int(r.choice([0, 1, 2, 2, 3]))
        return tuple(int(r.choice([0, 1, 2, 3, 4], p=[0.05, 0.2, 0.25, 0.25, 0.25])) for _ in range(nd))

    def array(self, shape=None, dtype=None):
        r = self.rng
        shape = self.shape() if shape is None else shape
        dtype = dtype or str(r.choice(DTYPES))
        if dtype == "bool":
            return r.random(shape) < 0.5, dtype
        if dtype in ("int64", "int32", "uint8"):
            return r.integers(0 if dtype == "uint8" else -4, 5, shape).astype(dtype), dtype
        a = r.uniform(-3, 3, shape)
        if r.random() < 0.1 and a.size:
            a.flat[int(r.integers(a.size))] = r.choice([np.nan, np.inf, -np.inf, 0.0, 1e20])
        return a.astype(np.float64 if dtype == "float64" else np.float32), dtype

    def hostile(self):
        r = self.rng
        pool = ["a string", None, 10**30, -(10**18), float("nan"), float("inf"), 2.5, -7, True, (), (1, 2, 3),
                [1.0, [2.0]], {"a": 1}, object(), np.int64(2), np.float32(0.5), range(3), b"bytes", 10**400,
                _deep(3000)]
        return pool[int(r.integers(len(pool)))]

    def value(self, name, default, base):
        """A plausible value for the parameter `name` (`base`: the call's main shape)."""
        r = self.rng
        if r.random() < 0.15:
            return ("raw", self.hostile())
        n = name.lower()
        if n in ("input", "x", "other", "self", "tensor1", "tensor2", "mat1", "mat2", "x1", "x2", "target", "end",
                 "weight", "bias", "exponent", "condition", "mask", "src", "index", "tensors", "vec", "mat",
                 "batch1", "batch2", "a", "b", "query", "key", "value", "log_probs", "anchor", "positive",
                 "negative") or default is inspect.Parameter.empty and r.random() < 0.5:
            shape = base if r.random() < 0.7 else self.shape()
            if name == "tensors":
                return ("list", [self.array(shape, "float32") for _ in range(2)])
            if n in ("index", "mask", "condition") and r.random() < 0.7:
                return ("array", self.array(shape, "bool" if n != "index" else "int64"))
            return ("array", self.array(shape))
        if "dim" in n or n == "axis":
            return ("raw", int(r.integers(-3, 3)) if r.random() < 0.8 else tuple(int(v) for v in r.integers(-2, 2, 2)))
        if type(default) is bool:
            return ("raw", bool(r.random() < 0.5))
        if n == "dtype":
            return ("dtype", str(r.choice(["float32", "float64", "int64", "float16", "bool"])))
        if n in ("size", "shape", "sizes", "normalized_shape", "output_size", "kernel_size"):
            return ("raw", tuple(int(v) for v in r.integers(1, 4, int(r.integers(1, 3)))))
        if isinstance(default, float) or n in ("p", "eps", "alpha", "beta", "value", "min", "max", "negative_slope"):
            return ("raw", float(r.choice([0.5, 1.5, -1.0, 0.0, 2.0])))
        if isinstance(default, int) or n in ("n", "k", "steps", "num_samples", "groups", "diagonal", "chunks"):
            return ("raw", int(r.integers(-1, 4)))
        if default is not inspect.Parameter.empty:
            return ("default", default)
        return ("raw", float(r.uniform(-2, 2)))


def _deep(n):
    out = []
    for _ in range(n):
        out = [out]
    return out


def build(spec, lib):
    """One argument for `lib` ("ember" or "torch") from its spec."""
    kind, v = spec
    if kind == "array":
        a, dt = v
        if lib == "ember":
            t = ember.from_numpy(np.array(a, copy=True))
            return t.to(getattr(ember, dt)) if dt in ("float16", "bfloat16") else t
        t = torch.from_numpy(np.array(a, copy=True))
        return t.to(getattr(torch, dt)) if dt in ("float16", "bfloat16") else t
    if kind == "list":
        return [build(("array", x), lib) for x in v]
    if kind == "dtype":
        return getattr(ember if lib == "ember" else torch, v)
    return v


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        x = x.detach()
        # force: torch's lazily zero gradients (ZeroTensor) and conjugate/negative views convert too
        a = x.float().numpy(force=True) if x.dtype in (torch.bfloat16,) else x.numpy(force=True)
        return a, str(x.dtype).split(".")[1], tuple(x.shape)
    if isinstance(x, ember.Tensor):
        x = x.detach()
        a = np.asarray(x.__array__())
        return (a.astype(np.float32) if x.dtype is ember.bfloat16 else a), x.dtype.name, tuple(x.shape)
    return x


def flatten(out):
    if isinstance(out, (tuple, list)):
        return [y for o in out for y in flatten(o)]
    return [out]


def same(e, t, name, exact, grad=False):
    """None if the results agree, else a short reason (`grad`: comparing gradients; a float gives
    the tolerance)."""
    ef, tf = flatten(e), flatten(t)
    if name in TIES and len(ef) == len(tf) == 2 and not grad:
        return same(ef[0], tf[0], name, exact) or same(ef[1], tf[1], name, False)
    if len(ef) != len(tf):
        return f"{len(ef)} outputs vs {len(tf)}"
    for a, b in zip(ef, tf):
        if isinstance(a, ember.Tensor) != isinstance(b, torch.Tensor):
            if isinstance(b, torch.Tensor) or isinstance(a, ember.Tensor):
                return f"type {type(a).__name__} vs {type(b).__name__}"
        if isinstance(a, ember.Tensor):
            (av, ad, ash), (bv, bd, bsh) = to_numpy(a), to_numpy(b)
            if ash != bsh:
                return f"shape {ash} vs {bsh}"
            if ad != bd:
                return f"dtype {ad} vs {bd}"
            if exact and av.size:
                tol = {"float16": 2e-2, "bfloat16": 5e-2, "float32": 2e-4}.get(ad, 1e-7 if not grad else 1e-5)
                tol = max(tol, grad) if type(grad) is float else tol  # a float `grad`: that tolerance at least
                if av.dtype.kind in "fc" or bv.dtype.kind in "fc":
                    if not np.allclose(av.astype(np.float64), bv.astype(np.float64), rtol=tol, atol=tol,
                                       equal_nan=True):
                        return "values"
                elif not np.array_equal(av, bv):
                    return "values"
        elif exact and type(a) in (int, float, bool) and type(b) in (int, float, bool):
            if not (a == b or (a != a and b != b) or abs(a - b) <= 1e-4 * max(1, abs(b))):
                return f"value {a} vs {b}"
    return None


def grads_agree(kind, name, ef, tf, specs, kwspecs):
    """Gradients of sum(output) against PyTorch's, for float32/64 tensor inputs."""
    def run(lib, fn):
        args = [build(s, lib) for s in specs]
        kwargs = {k: build(s, lib) for k, s in kwspecs.items()}
        leaves = [a for a in args if hasattr(a, "requires_grad") and str(a.dtype).endswith(("float32", "float64"))]
        for a in leaves:
            a.requires_grad_(True)
        out = fn(*args, **kwargs)
        out = flatten(out)[0]
        if not getattr(out, "requires_grad", False):
            return None
        out.sum().backward()
        return [a.grad for a in leaves]
    try:
        ge, gt = run("ember", ef), run("torch", tf)
    except Exception:  # noqa: BLE001 - one side refused the differentiable call: not a gradient comparison
        return None
    if ge is None or gt is None:
        return None
    # an op asked to compute in float16/bfloat16 (`cumprod(x, 0, dtype=float16)`) has gradients of that precision
    low = [s[1] for s in kwspecs.values() if s[0] == "dtype" and s[1] in ("float16", "bfloat16")]
    grad_tol = {"float16": 2e-2, "bfloat16": 5e-2}[low[0]] if low else True
    for a, b in zip(ge, gt):
        if (a is None) != (b is None):
            return "grad presence"
        if a is not None and same(a, b, name, True, grad=grad_tol):
            return "grad " + same(a, b, name, True, grad=grad_tol)
    return None


def _specified(name, specs, kwspecs):
    """False for calls whose result PyTorch leaves undefined: `searchsorted` into a sequence that is
    not sorted, `isin(assume_unique=True)` of elements that are not unique."""
    arrays = [s[1][0] for s in list(specs) + list(kwspecs.values()) if s[0] == "array"]
    if name == "searchsorted" and arrays and arrays[0].ndim:
        with np.errstate(invalid="ignore"):
            return bool(np.all(np.diff(arrays[0].astype(np.float64), axis=-1) >= 0))
    if name == "isin" and ("assume_unique", True) in [(k, v[1]) for k, v in kwspecs.items()]:
        return all(np.unique(a).size == a.size for a in arrays)
    return True


def _alarm(signum, frame):
    raise Timeout()


def one_call(rng, target, stats, examples, check_grads):
    kind, name, ef, tf = target
    m = Maker(rng)
    try:
        params = list(inspect.signature(getattr(ef, "__wrapped__", ef)).parameters.values())
    except (TypeError, ValueError):
        params = []
    base = m.shape()
    specs, kwspecs = [], {}
    if kind == "method":
        specs.append(("array", m.array(base)))
        params = params[1:]
        if name.startswith("__"):  # Python calls an operator with one operand, a number on the left when reflected
            other = ("raw", float(rng.choice([0.5, 2.0, -1.5, 3.0]))) if name.startswith("__r") else \
                ("array", m.array(base if rng.random() < 0.8 else m.shape()))
            params = []
            specs.append(other if rng.random() > 0.1 else ("raw", m.hostile()))
    for p in params:
        if p.kind == p.VAR_KEYWORD:
            continue
        if p.kind == p.VAR_POSITIONAL:
            if "size" in p.name:
                specs += [("raw", int(v)) for v in rng.integers(0, 4, int(rng.integers(1, 3)))]
            continue
        required = p.default is inspect.Parameter.empty
        if not required and rng.random() < 0.6:
            continue
        spec = m.value(p.name, p.default, base)
        if spec[0] == "default":
            continue
        if p.kind == p.KEYWORD_ONLY or (not required and rng.random() < 0.5):
            kwspecs[p.name] = spec
        elif not kwspecs:
            specs.append(spec)
        else:
            kwspecs[p.name] = spec
    if rng.random() < 0.03:
        kwspecs["no_such_argument"] = ("raw", 1)
    exact = name not in RANDOM
    if name == "topk" and ("sorted", False) in [(k, v[1]) for k, v in kwspecs.items()]:
        exact = False  # PyTorch documents the order of unsorted topk as unspecified
    if not _specified(name, specs, kwspecs):
        exact = False
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    translated = stats["translated"]
    try:
        e_out, e_err = ef(*[build(s, "ember") for s in specs], **{k: build(s, "ember") for k, s in kwspecs.items()}), None
    except Timeout:
        stats["hang"] += 1
        examples.append(("hang", name, specs, kwspecs, ""))
        return
    except ember.EmberError as e:
        e_out, e_err = None, e
    except Exception as e:  # noqa: BLE001 - what the campaign looks for
        stats["foreign"] += 1
        examples.append(("foreign", name, specs, kwspecs, f"{type(e).__name__}: {str(e)[:120]}"))
        return
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if stats["translated"] > translated:  # the guard translated an exception from inside: the call's arguments
        examples.append(("translated", name, specs, kwspecs, stats.pop("last translated")))
    stats["calls"] += 1
    try:
        t_out, t_err = tf(*[build(s, "torch") for s in specs], **{k: build(s, "torch") for k, s in kwspecs.items()}), None
    except Exception as e:  # noqa: BLE001 - the oracle refusing is an outcome
        t_out, t_err = None, e
    if e_err is not None:
        stats["agree-error" if t_err is not None else "refused"] += 1
        if t_err is None:
            examples.append(("refused", name, specs, kwspecs, str(e_err)[:120]))
        return
    if t_err is not None:
        stats["lenient"] += 1
        examples.append(("lenient", name, specs, kwspecs, f"torch: {type(t_err).__name__}: {str(t_err)[:100]}"))
        return
    stats["compared"] += 1
    why = same(e_out, t_out, name, exact)
    floats = all(s[0] != "array" or s[1][1] in ("float32", "float64") for s in list(specs) + list(kwspecs.values()))
    if why is None and check_grads and exact and floats:
        translated = stats["translated"]
        why = grads_agree(kind, name, ef, tf, specs, kwspecs)
        if stats["translated"] > translated:
            examples.append(("translated", name, specs, kwspecs, "gradient run: " + stats.pop("last translated")))
    if why is not None:
        when = DELIBERATE_WHEN.get(name)
        key = "deliberate" if name in DELIBERATE or (when and when[0](specs, kwspecs)) else "mismatch"
        stats[key] += 1
        examples.append((key, name, specs, kwspecs, why))


def campaign(calls, seed, check_grads=True):
    """Run `calls` calls; returns (stats Counter, examples list)."""
    import warnings
    warnings.filterwarnings("ignore")
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    ts = targets()
    stats, examples = Counter(), []
    np.seterr(all="ignore")
    original = [(m, m.translate_error) for m in (registry, function)]

    def counted(op, args, attrs, e):  # an exception from inside ember or NumPy that a guard translated
        kind = "signature" if isinstance(e, TypeError) and SIGNATURE.search(str(e)) else "translated"
        stats[kind] += 1
        if kind == "translated":
            stats["translated " + type(e).__name__] += 1
            stats["last translated"] = f"{op}: {type(e).__name__}: {str(e)[:100]}"
        return original[1][1](op, args, attrs, e)
    try:
        for m, _ in original:
            m.translate_error = counted
        while stats["calls"] + stats["foreign"] + stats["hang"] < calls:
            one_call(rng, ts[int(rng.integers(len(ts)))], stats, examples, check_grads)
    finally:
        for m, fn in original:
            m.translate_error = fn
    return stats, examples


def describe(specs, kwspecs):
    def d(s):
        kind, v = s
        if kind == "array":
            return f"{v[1]}{tuple(v[0].shape)}"
        if kind == "list":
            return f"[{len(v)} tensors]"
        r = repr(v) if not isinstance(v, list) else "<nested list>"
        return r[:30]
    return ", ".join([d(s) for s in specs] + [f"{k}={d(s)}" for k, s in kwspecs.items()])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--show", type=int, default=40)
    p.add_argument("--kinds", default="foreign,hang,mismatch,lenient",
                   help="outcomes whose examples are shown, e.g. translated,lenient")
    a = p.parse_args(argv)
    stats, examples = campaign(a.calls, a.seed)
    for k in ("calls", "foreign", "hang", "signature", "translated", "agree-error", "refused", "lenient", "compared", "mismatch",
              "deliberate"):
        print(f"{k:12s} {stats[k]}")
    print("translated by type:", {k.split()[1]: v for k, v in stats.items() if k.startswith("translated ")})
    if stats["compared"]:
        print(f"mismatch rate {stats['mismatch'] / stats['compared']:.4%} of compared calls")
    kinds = Counter((k, n) for k, n, *_ in examples if k != "translated")
    print("translated by op:", ", ".join(f"{n}={c}" for (k, n), c in
                                         Counter((k, n) for k, n, *_ in examples if k == "translated").most_common(20)))
    print("by op:", ", ".join(f"{k}:{n}={c}" for (k, n), c in kinds.most_common(30)))
    shown = Counter()
    order = {k: i for i, k in enumerate(a.kinds.split(","))}
    for k, n, s, kw, why in sorted(examples, key=lambda e: order.get(e[0], 9)):
        if k in order and shown[(k, n)] < 2 and sum(shown.values()) < a.show:
            shown[(k, n)] += 1
            print(f"{k:9s} {n}({describe(s, kw)}): {why}")
    return 0 if stats["foreign"] == 0 and stats["hang"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
