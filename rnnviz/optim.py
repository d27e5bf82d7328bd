"""The two optimizers the lessons use, Adam and plain gradient descent, written out.

They compute exactly what ``torch.optim.Adam`` and ``torch.optim.SGD`` compute with their defaults
(tests/test_optim.py compares them in float64), for two reasons:

- **What the student reads is what runs.** The update rules sit beside the lines that apply them.
- **A server's first training click costs less.** Every ``torch.optim`` optimizer imports
  ``torch._dynamo`` when it is built (``add_param_group`` is wrapped by it): about 800 modules,
  70 MiB of resident memory and 1-7 s on a fresh process, for a compiler this app never uses.

Each keeps ``param_groups`` (a list of one dict with ``"params"`` and ``"lr"``) as torch's do, so a
learning-rate schedule sets ``group["lr"]`` the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class _Optimizer:
    def __init__(self, params: Iterable[torch.Tensor], lr: float):
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, not {lr}")
        self.param_groups = [{"params": list(params), "lr": float(lr)}]

    def _params(self) -> list[torch.Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self._params():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()


class SGD(_Optimizer):
    """Plain gradient descent: theta <- theta - lr * g (torch.optim.SGD without momentum)."""

    @torch.no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    # theta_t = theta_{t-1} - lr * g_t
                    p.add_(p.grad, alpha=-group["lr"])


class Adam(_Optimizer):
    """Adam (Kingma and Ba, 2015) with torch's defaults: beta1 0.9, beta2 0.999, eps 1e-8.

    m and v are running means of the gradient and of its square; dividing by sqrt(v) gives every
    parameter a step of about lr, whatever the scale of its gradient. A parameter's step count t
    advances only on steps where it has a gradient, as in torch.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        super().__init__(params, lr)
        self.betas, self.eps = betas, eps
        self.state: dict[torch.Tensor, dict] = {}

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {
                        "step": 0,
                        "m": torch.zeros_like(p, memory_format=torch.preserve_format),
                        "v": torch.zeros_like(p, memory_format=torch.preserve_format),
                    }
                state["step"] += 1
                t, m, v = state["step"], state["m"], state["v"]
                # m_t = beta1 m_{t-1} + (1 - beta1) g_t
                m.lerp_(g, 1 - beta1)
                # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                # bias correction: m_hat = m_t / (1 - beta1^t), v_hat = v_t / (1 - beta2^t)
                step_size = group["lr"] / (1 - beta1**t)
                denom = (v.sqrt() / (1 - beta2**t) ** 0.5).add_(self.eps)
                # theta_t = theta_{t-1} - lr * m_hat / (sqrt(v_hat) + eps)
                p.addcdiv_(m, denom, value=-step_size)
