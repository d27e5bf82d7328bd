"""Which units carry the subject's number, and what the GRU's update gate does on them, word by word.

Number units: over held-out sentences, the correlation of each unit's last state h_T,j (where the
verb is predicted) with the subject's number s (0 singular, 1 plural),

    r_j = cov(h_T,j, s) / (std(h_T,j) std(s))       (Pearson, over the probe sentences)

and the units with |r_j| >= STRONG (the strongest first, at most MAX_UNITS) carry it. On one
sentence, the GRU's update gate z_t,j on those units sits beside the gate the course draws: write
the number at the subject, keep it on every word after. In torch's form
h_t = (1 - z_t) n_t + z_t h_{t-1}, *keep* is z_t = 1 (the notes' Gamma_u = 1 - z_t = 0) and *write*
is z_t = 0 (Gamma_u = 1). What survives of h_s (the state after the subject) to the verb along the
keep path is the product

    kept_j = prod_{t = s+1}^{T} z_t,j

>>> from rnnviz.lessons.agreement import AgreementLesson
>>> cfg = AgreementLesson(hidden_size=6)
>>> found = number_units(cfg.model(), cfg.task(), n=64)
>>> found.r.shape, 1 <= len(found.units) <= MAX_UNITS
((6,), True)
>>> g = gate_story(cfg.model(), cfg.task(), "the cats near the dog", found.units)
>>> g.subject, g.ideal.tolist()
(2, [nan, 0.0, 1.0, 1.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.model import SeqModel
from rnnviz.tasks.agreement import Agreement
from rnnviz.trace import Trace, trace

STRONG = 0.5  # |r_j| from which a unit counts as carrying the number
MAX_UNITS = 3  # most units named (and clamped)
PROBE_SENTENCES = 256
PROBE_SEED = 7_919  # the probe's sentences, the same for every model


@dataclass(frozen=True)
class NumberUnits:
    """The correlation of every unit with the subject's number, and the units that carry it."""

    r: np.ndarray  # (H,) r_j, Pearson correlation of h_T,j with s over the probe
    units: tuple[int, ...]  # the units with |r_j| >= STRONG, strongest first (the strongest if none)
    clear: bool  # True when at least one unit reaches |r_j| >= STRONG
    n: int  # probe sentences

    def frame(self) -> pd.DataFrame:
        """One row per unit j: r_j, |r_j| and whether it is named a number unit."""
        return pd.DataFrame(
            {
                "unit j": np.arange(len(self.r)),
                "r_j": self.r.astype(float),
                "|r_j|": np.abs(self.r).astype(float),
                "number unit": [j in self.units for j in range(len(self.r))],
            }
        )


def last_states(model: SeqModel, x: torch.Tensor) -> np.ndarray:
    """(B, H) h_T of layer 1 for a batch of sentences (left-padded, so step T is each one's last word)."""
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            h, _ = model.features(x)  # (B, T, H)
    finally:
        model.train(was)
    return h[:, -1].double().numpy()


def correlations(h: np.ndarray, s: np.ndarray) -> np.ndarray:
    """(H,) Pearson r_j of each column of ``h`` (B, H) with ``s`` (B,); 0 for a constant unit."""
    hc = h - h.mean(0)  # h_T,j - mean
    sc = (s - s.mean()).astype(float)  # s - mean
    den = np.sqrt((hc**2).sum(0) * (sc**2).sum())  # std(h_T,j) std(s), times B
    # r_j = cov(h_T,j, s) / (std(h_T,j) std(s))
    return np.divide(hc.T @ sc, den, out=np.zeros(h.shape[1]), where=den > 1e-12)


def number_units(model: SeqModel, task: Agreement, n: int = PROBE_SENTENCES) -> NumberUnits:
    """The units of ``model`` whose last state follows the subject's number (held-out probe)."""
    batch = task.batch(n, task.generator(PROBE_SEED), split="val")
    r = correlations(last_states(model, batch.x), batch.y.numpy())
    order = [int(j) for j in np.argsort(-np.abs(r), kind="stable")]
    strong = [j for j in order if abs(r[j]) >= STRONG][:MAX_UNITS]
    return NumberUnits(r, tuple(strong or order[:1]), bool(strong), n)


@dataclass(frozen=True)
class GateStory:
    """One sentence through a GRU: z_t on the number units beside the idealised gate."""

    tokens: list[str]  # the words, t = 1..T
    subject: int  # t of the subject (1-based); h_0 = 0 is the state before t = 1
    number: int  # the subject's number (0 singular, 1 plural)
    units: tuple[int, ...]  # the number units shown
    z: np.ndarray  # (T, len(units)) z_t,j of the live GRU
    ideal: np.ndarray  # (T,) the drawn gate in torch's convention: NaN before the subject, 0 at it, 1 after
    kept: np.ndarray  # (len(units),) prod_{t = s+1}^{T} z_t,j
    trace: Trace  # the replay the numbers come from
    p_plural: float  # the model's p(plural) at the last step

    def frame(self) -> pd.DataFrame:
        """Per word t: the idealised z_t and each number unit's z_t (and Gamma_u = 1 - z_t)."""
        table = {"t": np.arange(1, len(self.tokens) + 1), "word": self.tokens, "ideal z_t": self.ideal}
        for k, j in enumerate(self.units):
            table[f"z_t, unit {j}"] = self.z[:, k].astype(float)
            table[f"Γ_u = 1 - z_t, unit {j}"] = 1 - self.z[:, k].astype(float)
        return pd.DataFrame(table)

    def keep_steps(self) -> np.ndarray:
        """(T - s, len(units)) z_t,j on the words after the subject (t = s+1..T)."""
        return self.z[self.subject :]


def ideal_gate(T: int, subject: int) -> np.ndarray:
    """(T,) the course's drawn update gate in torch's convention for a subject at step ``subject``
    (1-based): undefined before it (nothing to keep yet), 0 at it (write), 1 on every word after (keep)."""
    ideal = np.full(T, np.nan)
    ideal[subject - 1] = 0.0
    ideal[subject:] = 1.0
    return ideal


def gate_story(model: SeqModel, task: Agreement, text: str, units: tuple[int, ...]) -> GateStory:
    """Trace the typed sentence ``text`` through the GRU ``model``; InputError if the task cannot
    read it or it has no subject."""
    x = task.encode(text)
    parsed = task.parse_ids(x)
    if parsed.subject is None:
        from rnnviz.errors import InputError

        raise InputError('the sentence has no subject: start it with "the" and a noun, e.g. "the cats"')
    tr = trace(model, x)
    lt = tr.layer(0)
    s = parsed.subject + 1  # 1-based t of the subject
    z = lt.gates["z"][:, list(units)].astype(np.float64)  # (T, k)
    # kept_j = prod_{t = s+1}^{T} z_t,j  (row t - 1 holds step t)
    kept = np.prod(z[s:], axis=0)
    tokens = [task.vocab[int(i)] for i in x]
    return GateStory(tokens, s, parsed.number, tuple(units), z, ideal_gate(len(tokens), s), kept, tr,
                     float(tr.probs[1]))  # fmt: skip
