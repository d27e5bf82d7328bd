"""Lesson 6's other ways of writing the GRU, on the live model's numbers: the update as course notes
often miswrite it, and the same weights read with another candidate form.

In the course notes' symbols, Γ_u = 1 - z_t is the share of the candidate c̃_t = n_t taken and
c_{t-1} = h_{t-1}; the correct update is torch's h_t = (1 - z_t) n_t + z_t h_{t-1}.

>>> m = miswritten_update({"gamma_u": 0.25, "n": 0.5, "h_prev": -0.5, "h": 0.0})
>>> (m.wrong, m.right)
(0.875, -0.25)
>>> m.leaves_range
False
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.lessons.gating import with_cell
from rnnviz.model import SeqModel
from rnnviz.trace import Trace, trace


@dataclass(frozen=True)
class MiswrittenUpdate:
    gamma_u: float  # Γ_u = 1 - z_t at the step and unit
    n: float  # c̃_t = n_t, the candidate
    h_prev: float  # c_{t-1} = h_{t-1}
    wrong: float  # Γ_u c̃_t + (1 + Γ_u) + c_{t-1}: the two typos
    right: float  # Γ_u c̃_t + (1 - Γ_u) c_{t-1}: torch's h_t

    @property
    def leaves_range(self) -> bool:
        """The miswritten value is outside (-1, 1), where a GRU state (a mix of tanh's) always stays."""
        return abs(self.wrong) >= 1

    def caption(self, unit: int, t: int) -> str:
        """The step's numbers, and whether the miswritten value leaves the state's range (t from 1)."""
        return (
            f"With the numbers of unit {unit} at step {t}: Γ_u = {self.gamma_u:.4f}, c̃_t = n_t = "
            f"{self.n:.4f}, c_(t-1) = h_(t-1) = {self.h_prev:.4f}. The correct formula reproduces torch; the "
            "miswritten one "
            + (
                "leaves the range (-1, 1) that a GRU state can never leave."
                if self.leaves_range
                else "does not."
            )
        )


def miswritten_update(values: dict[str, float]) -> MiswrittenUpdate:
    """Both updates with one step's numbers (``worked.worked_step(...).values`` of a GRU)."""
    g, n, h_prev = values["gamma_u"], values["n"], values["h_prev"]
    wrong = g * n + (1 + g) + h_prev  # c_t = Γ_u * c̃_t + (1 + Γ_u) + c_{t-1}   (as often written)
    right = g * n + (1 - g) * h_prev  # c_t = Γ_u * c̃_t + (1 - Γ_u) * c_{t-1}
    return MiswrittenUpdate(g, n, h_prev, wrong, right)


@dataclass(frozen=True)
class OtherForm:
    cell: str  # the other candidate form: "gru_paper" for a torch GRU, "gru" for a paper GRU
    gap: float  # max |h_t(other) - h_t(own)| over the sentence's steps and units
    p_other: float  # the probability of the model's guess, read with the other form
    p_own: float  # ... and with its own


def other_form(model: SeqModel, x, y, own: Trace, guess: int) -> OtherForm:
    """The live GRU's weights read with the other candidate (torch's r after W_hn, or the paper's before)."""
    other = "gru_paper" if model.cfg.cell == "gru" else "gru"
    twin = trace(with_cell(model, other), x, y, jacobians=False)
    gap = float(np.abs(twin.layer(0).h - own.layer(0).h).max())
    return OtherForm(other, gap, float(twin.probs[guess]), float(own.probs[guess]))


def other_form_sentence(form: OtherForm, title: str, label: str) -> str:
    """What reading the weights with the other form (named ``title``) does to the guess ``label``."""
    return (
        f"**Same weights, other form.** Read with the {title} candidate, the live model's weights "
        f"give states up to **{form.gap:.4f}** away from its own, and p({label}) = "
        f"{form.p_other:.3f} instead of {form.p_own:.3f}. "
        + (
            "The two forms are different functions, so weights trained in one do not transfer exactly to the "
            "other."
            if form.gap > 1e-6
            else "On this sentence the two forms agree to 6 decimals."
        )
    )
