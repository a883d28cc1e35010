"""L-BFGS: quasi-Newton steps from the last `history_size` gradient differences; `step(closure)`
re-evaluates the loss as often as it needs.

    >>> import ember
    >>> w = ember.tensor([3.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - 1) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> [round(v, 4) for v in w.tolist()]
    [1.0, 1.0]
"""
from ember.autograd.grad_mode import enable_grad, no_grad
from ember.errors import ArgumentError
from ember.optim.line_search import strong_wolfe
from ember.optim.optimizer import Optimizer, array_module, check_range


class LBFGS(Optimizer):
    """PyTorch's `torch.optim.LBFGS`: one parameter group, the parameters seen as one flat vector.

    Each `step(closure)` runs up to `max_iter` iterations (and `max_eval` loss evaluations): the
    two-loop recursion turns the gradient into a direction, the step is `lr` (the first iteration
    `min(1, 1/|g|_1) * lr`) or what the strong-Wolfe line search finds; it stops early when the
    gradient, the step or the change in loss falls under its tolerance.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ArgumentError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _check(self, hp, where):
        check_range("LBFGS", "lr", hp["lr"], where)
        for name in ("max_iter", "max_eval", "history_size"):
            if not isinstance(hp[name], int) or isinstance(hp[name], bool) or hp[name] < 1:
                raise ArgumentError(f"LBFGS: {name}{where} must be a positive int, got {hp[name]!r}")
        check_range("LBFGS", "tolerance_grad", hp["tolerance_grad"], where)
        check_range("LBFGS", "tolerance_change", hp["tolerance_change"], where)
        if hp["line_search_fn"] not in (None, "strong_wolfe"):
            raise ArgumentError(f"LBFGS: line_search_fn{where} must be None or 'strong_wolfe', "
                                f"got {hp['line_search_fn']!r}")

    # --- the flat view of all parameters -------------------------------------
    def _flat_grad(self):
        xp = array_module(self._params[0]._data)
        return xp.concatenate([p.grad._data.ravel() if p.grad is not None else xp.zeros(p._data.size, p._data.dtype)
                               for p in self._params])

    def _add(self, t, d):
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += (t * d[offset:offset + n]).reshape(p._data.shape).astype(p._data.dtype, copy=False)
            p._version_counter()[0] += 1
            offset += n

    def _evaluate(self, closure, t, d):
        """Loss and flat gradient at the current point moved by `t * d`; the point is restored."""
        saved = [p._data.copy() for p in self._params]
        self._add(t, d)
        with enable_grad():
            loss = float(closure())
        flat = self._flat_grad()
        for p, x in zip(self._params, saved):
            p._data[...] = x
        return loss, flat

    # --- the step --------------------------------------------------------------
    def step(self, closure=None):
        """Run up to `max_iter` iterations; returns the loss of the first evaluation."""
        if closure is None:
            raise ArgumentError("LBFGS.step needs a closure that clears the gradients, computes the loss, "
                                "calls backward() and returns the loss")
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if abs(flat_grad).max(initial=0) <= group["tolerance_grad"]:
            return orig_loss
        with no_grad():
            self._iterate(closure, group, state, loss, flat_grad)
        self._step_count += 1
        return orig_loss

    def _iterate(self, closure, group, state, loss, flat_grad):
        lr, max_iter, tol_change = group["lr"], group["max_iter"], group["tolerance_change"]
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs", []), state.get("old_stps", []), state.get("ro", [])
        h_diag, prev_flat_grad = state.get("H_diag", 1), state.get("prev_flat_grad")
        prev_loss, evals, n_iter = state.get("prev_loss"), 1, 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1
            else:
                h_diag = _remember(flat_grad - prev_flat_grad, d * t, old_dirs, old_stps, ro,
                                   group["history_size"], h_diag)
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, h_diag)
            prev_flat_grad, prev_loss = flat_grad.copy(), loss
            t = min(1.0, 1.0 / float(abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(flat_grad @ d)
            if gtd > -tol_change:  # not a descent direction
                break
            if group["line_search_fn"] == "strong_wolfe":
                evaluate = lambda step: self._evaluate(closure, step, d)  # noqa: E731 - closes over d
                loss, flat_grad, t, ls_evals = strong_wolfe(evaluate, t, d, loss, flat_grad, gtd)
                self._add(t, d)
            else:
                self._add(t, d)
                ls_evals = 0
                if n_iter != max_iter:
                    with enable_grad():
                        loss = float(closure())
                    flat_grad, ls_evals = self._flat_grad(), 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or evals >= group["max_eval"] or \
                    abs(flat_grad).max(initial=0) <= group["tolerance_grad"] or \
                    abs(d * t).max(initial=0) <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)

    def state_dict(self):
        raise ArgumentError("LBFGS.state_dict: the curvature history is not saved by ember; "
                            "re-create the optimizer after loading the model")

    def load_state_dict(self, state_dict):
        raise ArgumentError("LBFGS.load_state_dict: the curvature history is not saved by ember; "
                            "re-create the optimizer after loading the model")


def _remember(y, s, old_dirs, old_stps, ro, history_size, h_diag):
    """Add the curvature pair (y, s) when it keeps the Hessian estimate positive; the new H_diag."""
    ys = float(y @ s)
    if ys > 1e-10:
        if len(old_dirs) == history_size:
            old_dirs.pop(0)
            old_stps.pop(0)
            ro.pop(0)
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        h_diag = ys / float(y @ y)
    return h_diag


def _two_loop(flat_grad, old_dirs, old_stps, ro, h_diag):
    """The L-BFGS direction: -H g by the two-loop recursion."""
    q = -flat_grad
    al = [0.0] * len(old_dirs)
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = float(old_stps[i] @ q) * ro[i]
        q = q - al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        be_i = float(old_dirs[i] @ r) * ro[i]
        r = r + (al[i] - be_i) * old_stps[i]
    return r
