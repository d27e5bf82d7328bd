"""Scheduled sampling (Bengio et al. 2015): feed the decoder its own guesses more and more often.

Teacher forcing feeds step s + 1 the true y_s; at test time the decoder is fed its own guess and
meets states it never saw in training (exposure bias). Scheduled sampling flips a coin per output
step and per date: with probability eps_i (training step i) the true y_s, else the model's own most
likely character (no gradient through the choice). eps_i decays by the paper's inverse sigmoid::

    eps_i = k / (k + exp(i / k))          p_own(i) = 1 - eps_i rises from ~0 to 1

    >>> [round(own_probability(i, 50), 3) for i in (0, 196, 400)]
    [0.02, 0.502, 0.984]
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

SCHEDULES = ("teacher", "scheduled")  # teacher forcing only, or scheduled sampling


def own_probability(step: int, k: float) -> float:
    """p_own(i) = 1 - eps_i, eps_i = k / (k + exp(i / k)): the chance of feeding the model's own guess."""
    return 1.0 - k / (k + math.exp(min(step / k, 700.0)))


def coin_flips(step: int, k: float, shape, seed: int) -> Tensor:
    """(B, S) bool: True where step s + 1 is fed the model's own guess. Seeded by (seed, step), so a
    replayed run flips the same coins."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + step)
    return torch.rand(shape, generator=g) < own_probability(step, k)
