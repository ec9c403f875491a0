"""Adam, as :class:`torch.optim.Adam` computes it, without torch.optim's machinery.

The networks skgen trains are small, so an optimizer step is a few dozen tiny
tensor operations, and what torch.optim wraps around them (hooks, profiler
records, the checks for compiled code) costs as much again; its first
optimizer in a process also imports ``torch._dynamo``, several seconds on
every fresh interpreter. This class does the arithmetic of
``torch.optim.Adam(foreach=True)`` with the same foreach kernels, so its steps
are bit for bit torch's (tests/test_optim.py), and keeps its ``state_dict``
format, so saved optimizer states read the same.
"""

# SPDX-License-Identifier: BSD-3-Clause

import functools

import torch

__all__ = ["Adam"]


class Adam:
    """Adam with one ``weight_decay`` (an L2 penalty added to the gradient) per group.

    Parameters
    ----------
    param_groups : list of dict
        Each with ``"params"`` (a list of tensors) and ``"weight_decay"``.
    lr : float
        The step size of every group (its ``"lr"``, which callers may change).
    betas : (float, float), default=(0.9, 0.999)
    eps : float, default=1e-8

    Attributes
    ----------
    param_groups : list of dict
        ``params``, ``lr``, ``betas``, ``eps`` and ``weight_decay`` of each group.
    state : dict
        For each parameter that has taken a step: ``step`` (a float32 tensor),
        ``exp_avg`` and ``exp_avg_sq``, as in torch.optim.
    """

    def __init__(self, param_groups, lr, betas=(0.9, 0.999), eps=1e-8):
        self.param_groups = [{"params": list(group["params"]), "lr": lr, "betas": tuple(betas),
                              "eps": eps, "weight_decay": group.get("weight_decay", 0.0)}
                             for group in param_groups]
        self.state = {}

    def zero_grad(self, set_to_none=True):
        """Drop (or zero) every parameter's gradient."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    if set_to_none:
                        param.grad = None
                    else:
                        param.grad.zero_()

    @torch.no_grad()
    def step(self):
        """One Adam step of every parameter that has a gradient."""
        # the groups differ in their weight decay only (as a rule): after it, the parameters
        # of groups with one step size, dtype and device go through each foreach kernel
        # together, the same arithmetic per parameter in fewer calls
        together = {}
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            if group["weight_decay"] != 0:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            for param, grad in zip(params, grads):
                key = (group["lr"], group["betas"], group["eps"], param.dtype, param.device)
                lists = together.setdefault(key, ([], []))
                lists[0].append(param)
                lists[1].append(grad)
        for (lr, (beta1, beta2), eps, *_), (params, grads) in together.items():
            self._update(params, grads, lr, beta1, beta2, eps)

    def _update(self, params, grads, lr, beta1, beta2, eps):
        states = [self._state_of(p) for p in params]
        steps = [s["step"] for s in states]
        exp_avgs = [s["exp_avg"] for s in states]
        exp_avg_sqs = [s["exp_avg_sq"] for s in states]
        _add_(steps, 1.0)
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, _scalar(beta2, params[0]))
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        counts = [s.item() for s in steps]
        step_sizes = [(lr / (1 - beta1**n)) * -1 for n in counts]
        denominators = torch._foreach_sqrt(exp_avg_sqs)
        if len(set(counts)) == 1:  # as a rule, every parameter has taken as many steps
            torch._foreach_div_(denominators, _scalar((1 - beta2**counts[0]) ** 0.5, params[0]))
        else:
            torch._foreach_div_(denominators, [(1 - beta2**n) ** 0.5 for n in counts])
        _add_(denominators, eps)
        torch._foreach_addcdiv_(params, exp_avgs, denominators, step_sizes)

    def _state_of(self, param):
        state = self.state.get(param)
        if state is None:
            state = self.state[param] = {
                "step": torch.tensor(0.0, dtype=torch.float32, device="cpu"),
                "exp_avg": torch.zeros_like(param, memory_format=torch.preserve_format),
                "exp_avg_sq": torch.zeros_like(param, memory_format=torch.preserve_format)}
        return state

    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [...]}``, parameters by their index
        across the groups, as :meth:`torch.optim.Optimizer.state_dict` gives it."""
        index, groups, state = 0, [], {}
        for group in self.param_groups:
            ids = []
            for param in group["params"]:
                if param in self.state:
                    state[index] = dict(self.state[param])
                ids.append(index)
                index += 1
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Take the state of :meth:`state_dict` (copies of its tensors, on the parameters'
        devices; the step counts on the CPU, as torch keeps them); the group settings of the
        saved state replace the current ones."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups) or any(
                len(s["params"]) != len(g["params"])
                for s, g in zip(saved_groups, self.param_groups)):
            raise ValueError("The saved optimizer state does not match the parameters: "
                             "another number of groups or of parameters in a group.")
        saved_state = {int(k): v for k, v in state_dict["state"].items()}
        self.state = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for key in ("lr", "betas", "eps", "weight_decay"):
                if key in saved:
                    group[key] = tuple(saved[key]) if key == "betas" else saved[key]
            for param, index in zip(group["params"], saved["params"]):
                if index in saved_state:
                    entry = saved_state[index]
                    self.state[param] = {
                        "step": torch.tensor(float(entry["step"]), dtype=torch.float32,
                                             device="cpu"),
                        **{key: torch.as_tensor(entry[key], dtype=param.dtype,
                                                device=param.device).clone()
                           for key in ("exp_avg", "exp_avg_sq")}}



def _scalar(value, like):
    """``value`` for a foreach kernel on tensors like ``like``.

    A Python scalar given to foreach add, mul or div takes a slow path on the CPU (a
    tensor made for every tensor of the list, a third of a small network's step). A
    float32 or float64 CPU kernel casts the scalar to its dtype before it computes, so
    the value as a 0-d tensor of that dtype is the same arithmetic, fast; anything else
    (reduced precision, which computes in float32; other devices) keeps the scalar.
    """
    if like.device.type == "cpu" and like.dtype in (torch.float32, torch.float64):
        return _cpu_scalar(value, like.dtype)
    return value


@functools.lru_cache(maxsize=32)
def _cpu_scalar(value, dtype):
    """The 0-d CPU tensor of ``value`` in ``dtype``, made once: the constants of a step
    (beta2, eps, 1) come back every step, and the kernels only read them."""
    with torch.inference_mode(False), torch.no_grad():
        return torch.tensor(value, dtype=dtype)


def _add_(tensors, value):
    """``torch._foreach_add_(tensors, value)`` by :func:`_scalar` (a tensor is added with
    ``alpha=1``, which multiplies it by exactly 1)."""
    value = _scalar(value, tensors[0])
    if isinstance(value, torch.Tensor):
        torch._foreach_add_(tensors, value, alpha=1)
    else:
        torch._foreach_add_(tensors, value)
