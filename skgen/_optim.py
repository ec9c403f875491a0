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
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            states = [self._state_of(p) for p in params]
            steps = [s["step"] for s in states]
            exp_avgs = [s["exp_avg"] for s in states]
            exp_avg_sqs = [s["exp_avg_sq"] for s in states]
            beta1, beta2 = group["betas"]
            torch._foreach_add_(steps, 1)
            if group["weight_decay"] != 0:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
            torch._foreach_mul_(exp_avg_sqs, beta2)
            torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
            counts = [s.item() for s in steps]
            step_sizes = [(group["lr"] / (1 - beta1**n)) * -1 for n in counts]
            denominators = torch._foreach_sqrt(exp_avg_sqs)
            torch._foreach_div_(denominators, [(1 - beta2**n) ** 0.5 for n in counts])
            torch._foreach_add_(denominators, group["eps"])
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
