"""Gating turned 90 degrees: a deep feedforward stack, plain, residual or highway (lesson 6).

The highway layer is the GRU's update along depth instead of time: a_l = z * a_{l-1} + (1 - z) * h
carries a_{l-1} through unchanged where the carry gate z is near 1, just as z_t carries h_{t-1}.
A residual connection keeps the road and drops the gate: a_l = a_{l-1} + h. ``depth_gradients`` measures the
gradient reaching each layer, the depth version of ||dL/dh_t|| over time.

>>> net = DeepNet(DeepConfig(kind="plain", depth=20, width=16))
>>> g = depth_gradients(net, Rings().batch(256, torch.Generator().manual_seed(5)))
>>> [f"{v:.2e}" for v in g["||dL/da_l||"][[0, -1]]]  # layer 1 gets 1e-5 of what layer 20 gets
['3.25e-07', '3.02e-02']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnnviz.errors import InputError
from rnnviz.tasks.base import Batch, check_int

DEEP_KINDS = ("plain", "residual", "highway")


@dataclass(frozen=True)
class DeepConfig:
    kind: str = "plain"  # "plain" | "residual" | "highway" (see DeepNet)
    depth: int = 24  # L hidden layers of the stack
    width: int = 16  # units per hidden layer
    carry_bias: float = 2.0  # highway: initial bias of the carry gate z, so z starts near sigma(2) = 0.88
    seed: int = 0  # initial weights: the same seed gives the three kinds the same W_l

    def __post_init__(self):
        if self.kind not in DEEP_KINDS:
            raise InputError(f"kind must be one of {DEEP_KINDS}, not {self.kind!r}")
        check_int("depth", self.depth, 2, 64)
        check_int("width", self.width, 2, 128)


class DeepNet(nn.Module):
    """2 inputs -> L tanh layers of ``width`` units -> 2 classes, wired one of three ways:

    plain     a_l = tanh(W_l a_{l-1} + b_l)
    residual  a_l = a_{l-1} + tanh(W_l a_{l-1} + b_l)
    highway   h = tanh(W_l a_{l-1} + b_l);  z = sigma(W_zl a_{l-1} + b_zl);  a_l = z * a_{l-1} + (1 - z) * h
    """

    def __init__(self, cfg: DeepConfig):
        super().__init__()
        self.cfg, W = cfg, cfg.width
        g = torch.Generator().manual_seed(cfg.seed)
        self.inp = self._linear(2, W, g)
        self.blocks = nn.ModuleList(self._linear(W, W, g) for _ in range(cfg.depth))
        self.out = self._linear(W, 2, g)
        if cfg.kind == "highway":  # drawn last: the W_l are the same as in the other two kinds
            self.gates = nn.ModuleList(self._linear(W, W, g) for _ in range(cfg.depth))
            with torch.no_grad():
                for lin in self.gates:
                    lin.bias.fill_(cfg.carry_bias)

    @staticmethod
    def _linear(n_in: int, n_out: int, g: torch.Generator) -> nn.Linear:
        lin, k = nn.Linear(n_in, n_out), n_in**-0.5  # torch's U(-1/sqrt(n_in), 1/sqrt(n_in)), from g
        with torch.no_grad():
            lin.weight.copy_((torch.rand(n_out, n_in, generator=g) * 2 - 1) * k)
            lin.bias.copy_((torch.rand(n_out, generator=g) * 2 - 1) * k)
        return lin

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits (B, 2) and the activations a_1 ... a_L, each (B, W)."""
        a, acts = torch.tanh(self.inp(x)), []
        for k, block in enumerate(self.blocks):
            h = torch.tanh(block(a))
            if self.cfg.kind == "plain":
                a = h  # a_l = tanh(W_l a_{l-1} + b_l)
            elif self.cfg.kind == "residual":
                a = a + h  # a_l = a_{l-1} + tanh(W_l a_{l-1} + b_l)
            else:
                z = torch.sigmoid(self.gates[k](a))
                a = z * a + (1 - z) * h  # a_l = z * a_{l-1} + (1 - z) * h
            acts.append(a)
        return self.out(a), acts

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        logits, _ = self(batch.x)
        return F.cross_entropy(logits, batch.y), {"acc": float((logits.argmax(-1) == batch.y).float().mean())}


@dataclass(frozen=True)
class Rings:
    """Points of the square [-1, 1]^2; class 1 inside the ring 0.3 < |x| < 0.75, else class 0.

    >>> b = Rings().batch(3, torch.Generator().manual_seed(0))
    >>> b.x.shape, b.y.tolist()
    (torch.Size([3, 2]), [1, 0, 1])
    """

    inner: float = 0.3  # inner radius of the ring
    outer: float = 0.75  # outer radius

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        check_int("batch_size", batch_size, 1, 10_000)
        x = torch.rand(batch_size, 2, generator=generator) * 2 - 1  # (B, 2)
        r = x.norm(dim=1)
        return Batch(x, ((r > self.inner) & (r < self.outer)).long(), None)


def depth_gradients(net: DeepNet, batch: Batch) -> dict[str, np.ndarray]:
    """Per layer l = 1..L: ||dL/da_l|| (the signal flowing back) and ||dL/dW_l|| (what the layer learns)."""
    net.zero_grad(set_to_none=True)
    logits, acts = net(batch.x)
    for a in acts:
        a.retain_grad()
    F.cross_entropy(logits, batch.y).backward()
    out = {
        "||dL/da_l||": np.array([float(a.grad.norm()) for a in acts]),
        "||dL/dW_l||": np.array([float(b.weight.grad.norm()) for b in net.blocks]),
    }
    net.zero_grad(set_to_none=True)
    return out
