"""Lesson 3: what the temperature does to the live model's next-character distribution.

    p_i(tau) = exp(z_i / tau) / sum_j exp(z_j / tau),   z = W_hy h_t + b_y

Dividing by tau < 1 stretches the gaps between the scores, so the top character's share grows and
the entropy falls; tau > 1 does the opposite. ``after_prime`` measures both on the distribution the
model gives after the priming text (the first character it will write).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.errors import InputError
from rnnviz.model import SeqModel
from rnnviz.questions import Question
from rnnviz.sample import distribution


@dataclass(frozen=True)
class TemperatureEffect:
    tau: float
    logits: np.ndarray  # (V,) z after the priming text
    top: int  # id of the most likely next character (at any tau: dividing keeps the order)
    p_top_1: float  # its probability at tau = 1
    p_top_tau: float  # ... at tau
    entropy_1: float  # H(p) in bits at tau = 1
    entropy_tau: float  # ... at tau

    @property
    def verdict(self) -> str:
        """'more', 'less' or 'the same': how the top character's probability at tau compares with tau = 1."""
        if math.isclose(self.p_top_tau, self.p_top_1, rel_tol=1e-9, abs_tol=1e-12):
            return "the same"
        return "more" if self.p_top_tau > self.p_top_1 else "less"


def _entropy_bits(p: np.ndarray) -> float:
    # H(p) = -sum_i p_i log2 p_i (terms with p_i = 0 add nothing)
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum())


@torch.no_grad()
def after_prime(model: SeqModel, task, prime: str, tau: float) -> TemperatureEffect:
    """The next-character distribution after ``prime`` at tau = 1 and at ``tau`` (float64)."""
    if not prime:
        raise InputError("type a priming text: the distribution is the one after it")
    if not isinstance(tau, (int, float)) or not tau > 0:
        raise InputError(f"temperature must be positive, not {tau!r}")
    m64 = copy.deepcopy(model).double().eval()  # the model's own weights, in float64
    logits, _ = m64(task.encode(prime)[None])
    z = logits[0, -1]  # (V,) z = W_hy h_t + b_y after the last character of the prime
    p1, pt = distribution(z, 1.0).numpy(), distribution(z, float(tau)).numpy()
    top = int(np.argmax(p1))
    return TemperatureEffect(
        float(tau), z.numpy(), top, float(p1[top]), float(pt[top]), _entropy_bits(p1), _entropy_bits(pt)
    )


QUESTION_TAU = 0.5  # the check question's temperature (compared with tau = 1)


def question(effect: TemperatureEffect, shown: str, prime: str) -> Question:
    """A PREDICT question on the live model: what tau = QUESTION_TAU does to the top character's share.

    ``effect`` is ``after_prime(..., prime, tau=QUESTION_TAU)``; ``shown`` the top character as the page
    prints it (a space as ␣, a line break as ↵).
    The options carry the live numbers; the answer index is the one the live model gives."""
    p1, pt, tau = effect.p_top_1, effect.p_top_tau, effect.tau
    options = [
        f"More than {p1:.3f}: it gets a larger share.",
        f"Less than {p1:.3f}: a lower temperature spreads the probability out.",
        f"Exactly {p1:.3f}: dividing every score by the same τ changes nothing.",
    ]
    answer = {"more": 0, "less": 1, "the same": 2}[effect.verdict]
    why = (
        f"At τ = {tau:g} it gets p = {pt:.3f} (at τ = 1: {p1:.3f}); the entropy of the distribution "
        f"falls from "
        f"{effect.entropy_1:.2f} to {effect.entropy_tau:.2f} bits. Dividing the scores z by τ < 1 "
        f"stretches the "
        "gaps between them, so the top character's share grows: at τ = 0.5, exp(z_i / 0.5) = exp(z_i)², so "
        "p_i(0.5) = p_i² / Σ_j p_j². As τ → 0 the top character gets all of it."
    )
    hints = {
        0: "Look at the scores: dividing them by τ < 1 makes the largest one stand further above the others.",
        1: "A lower temperature does the opposite: it sharpens the distribution (τ > 1 spreads it out).",
        2: "The softmax is not unchanged by dividing the scores: exp(z / τ) changes the ratios between "
        "characters, exp((z_i - z_j) / τ). (Adding a constant to every score changes nothing.)",
    }
    hints.pop(answer)
    text = (
        f"After the priming text '{prime.replace(chr(10), '↵')}', the model (at the checkpoint you look at) "
        f"gives its most likely next character '{shown}' p = {p1:.3f} at τ = 1. Predict: at τ = {tau:g}, "
        "that character will get ..."
    )
    return Question(text, options, answer, why, hints)
