"""Which ops autocast runs in low precision, which in float32, per device type: PyTorch's lists.

Names are ember's public op names (what the registry wraps) and primitive names (`conv`,
`convinputgrad`: what `x @ w`, methods and layers reach without the public op). The CPU lists
are checked op by op against `torch.autocast("cpu")` in tests/amp; the CUDA lists follow
PyTorch's CUDA autocast (checked against it in tests/gpu, on a GPU).

- LOWER: floating inputs (not float64) are cast to the autocast dtype.
- FLOAT32: float16/bfloat16 inputs are cast to float32.
- PROMOTE: inputs are cast to the widest floating dtype among them.
- OPAQUE: run as they are, with autocast off inside: PyTorch runs these as one kernel that
  autocast leaves alone, where ember composes them of primitives (one of which, such as
  `linear`, autocast would otherwise cast).
- BANNED: raise under autocast, as in PyTorch (unsafe to run in float16).

CONDITIONS narrow a rule to the calls PyTorch's rule reaches (a condition answers True, False,
or another rule's name): einsum casts only where it
contracts a dim shared by two operands (PyTorch's einsum then runs bmm; a transpose, a trace or
an outer product it runs elementwise), `inner` only where it becomes a matrix product, and so on.
"""
_CONV = {"conv1d", "conv2d", "conv3d", "conv", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
         "convinputgrad"}
_MATMUL = {"matmul", "mm", "bmm", "addmm", "baddbmm", "linear", "einsum", "inner", "tensordot"}
_LOSSES = {"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "nll_loss", "cross_entropy",
           "binary_cross_entropy_with_logits", "cosine_embedding_loss", "hinge_embedding_loss",
           "margin_ranking_loss", "soft_margin_loss", "triplet_margin_loss", "multi_margin_loss",
           "multilabel_margin_loss", "poisson_nll_loss"}

LISTS = {
    "cpu": {
        # PyTorch decomposes einsum, inner and tensordot into bmm/mm on the CPU, and the RNN
        # layers (except GRU) and the tanh/relu cells into linear/mkldnn calls it casts.
        "lower": _CONV | _MATMUL | {"addbmm", "prelu", "scaled_dot_product_attention", "rnn_tanh", "rnn_relu",
                                    "lstm", "rnn_tanh_cell", "rnn_relu_cell"},
        "float32": _LOSSES | {"binary_cross_entropy", "prod", "trace", "quantile", "nanquantile", "cdist",
                              "cholesky", "inverse", "pinverse", "linalg_solve", "linalg_eigvalsh", "linalg_svdvals"},
        "promote": {"cat", "stack", "index_copy"},
        "opaque": {"gru", "gru_cell", "lstm_cell", "bilinear", "mv", "dot", "vdot", "adaptive_avg_pool1d",
                   "adaptive_avg_pool2d", "matrix_exp"},
        "banned": set(),
    },
    "cuda": {
        "lower": _CONV | _MATMUL | {"prelu", "addmv", "mv", "scaled_dot_product_attention", "rnn_tanh",
                                    "rnn_relu", "lstm", "gru", "lstm_cell", "gru_cell", "rnn_tanh_cell",
                                    "rnn_relu_cell"},
        "float32": _LOSSES | {"exp", "expm1", "log", "log2", "log1p", "reciprocal", "rsqrt", "tan", "pow",
                              "softplus", "layer_norm", "group_norm", "norm", "cosine_similarity", "logsumexp",
                              "softmax", "log_softmax", "logsoftmax", "sum", "prod", "cumsum", "cumprod",
                              "pairwise_distance", "trace"},
        "promote": {"cat", "stack", "index_copy", "index_put", "scatter_add", "dot", "vdot", "bilinear"},
        "opaque": set(),
        "banned": {"binary_cross_entropy"},
    },
}


def _einsum_contracts(args, kwargs):
    if "subscripts" not in kwargs:  # the public op: the primitive decides, on canonical subscripts
        return False
    terms, out = kwargs["subscripts"], kwargs["output"]
    seen = [set(t) for t in terms]
    return any(sum(c in s for s in seen) >= 2 and c not in out for c in set().union(*seen))


def _inner_is_product(args, kwargs):
    a, b = args[0], args[1]
    if a.ndim == 1 and b.ndim == 1:
        return "opaque"  # PyTorch runs dot, which its CPU autocast leaves alone
    return a.ndim >= 1 and b.ndim >= 1


def _pad_mode(args, kwargs):
    return (args[2] if len(args) > 2 else kwargs.get("mode", "constant")) in ("reflect", "replicate")


def _unweighted(args, kwargs):
    return kwargs.get("weight") is None and (len(args) < 6 or args[5] is None)


CONDITIONS = {"einsum": _einsum_contracts, "inner": _inner_is_product, "pad": _pad_mode,
              "mse_loss": _unweighted, "l1_loss": _unweighted}
LISTS["cpu"]["float32"] |= {"pad"}  # reflection and replication padding (see CONDITIONS)


def rule(device_type, name, args, kwargs):
    """The list the call `name(*args, **kwargs)` is on for `device_type` ("lower", "float32",
    ...), or None."""
    for kind, names in LISTS[device_type].items():
        if name in names:
            check = CONDITIONS.get(name)
            verdict = True if check is None else check(args, kwargs)
            return verdict if isinstance(verdict, str) else kind if verdict else None
    return None
