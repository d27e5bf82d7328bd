"""Lesson 10's check question: predict what the live selective recurrence does at a word it has not
seen there. One filler of the student's sentence becomes a second country; the options are the
three things a_t can do there (drop: a reset, stay, rise) and the answer is what the model does, run
on that changed sentence just now.

>>> import torch
>>> from rnnviz.lessons.modern_lesson import ModernLesson
>>> cfg = ModernLesson(cell="selective", lag=4, hidden_size=4)
>>> task = cfg.task()
>>> q = reset_question(cfg.model(), task, task.encode("Spain the sea school friends fluent"))
>>> q.options[q.answer] in OPTIONS, len(q.options)
(True, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.model import SeqModel
from rnnviz.questions import Question
from rnnviz.trace import trace

SAME = 0.05  # a_t within this of its filler average counts as "about the same"
OPTIONS = (
    "it drops clearly below its value on the fillers: the model resets its memory there",
    "it stays about where it is on the fillers (within 0.05): the second country is kept like a filler",
    "it rises clearly above its value on the fillers",
)


@dataclass(frozen=True)
class ResetProbe:
    """The changed sentence and what the selective model's a_t does at the changed word."""

    position: int  # 0-based row of the changed word (t = position + 1)
    was: str  # the filler it replaced
    country: str  # the country put there
    at_country: float  # mean a_t over the units at that word
    on_fillers: float  # mean a_t over the units and the other fillers

    @property
    def answer(self) -> int:
        gap = self.at_country - self.on_fillers
        return 0 if gap < -SAME else 2 if gap > SAME else 1


def probe(selective: SeqModel, task, x: torch.Tensor) -> ResetProbe | None:
    """Put a second country in the middle filler of ``x`` and trace the selective model on it; None
    if ``x`` has fewer than two fillers (there would be no filler left to compare with)."""
    ids = [int(i) for i in x]
    K = task.n_countries
    fillers = [s for s in range(1, len(ids) - 1) if ids[s] >= K]
    if len(fillers) < 2:
        return None
    p = fillers[len(fillers) // 2]
    first = ids[0] if ids[0] < K else -1
    country = next(c for c in range(K) if c != first)  # another country than the first word
    changed = torch.tensor(ids[:p] + [country] + ids[p + 1 :])
    a = trace(selective, changed, None, jacobians=False).layer(0).gates["a"].astype(np.float64)  # (T, H)
    rest = [s for s in fillers if s != p]
    return ResetProbe(p, task.vocab[ids[p]], task.vocab[country], float(a[p].mean()), float(a[rest].mean()))


def reset_question(selective: SeqModel, task, x: torch.Tensor) -> Question | None:
    """'Predict: what does a_t do at a second country?', answered by running the changed sentence."""
    found = probe(selective, task, x)
    if found is None:
        return None
    t = found.position + 1
    why = (
        f"With '{found.country}' at t = {t} instead of '{found.was}', the selective model's a_t averages "
        f"{found.at_country:.3f} there against {found.on_fillers:.3f} on the other fillers "
        f"({found.at_country - found.on_fillers:+.3f})."
    )
    hints = {
        k: f"Run it: a_t at '{found.country}' would average {found.at_country:.3f}, against "
        f"{found.on_fillers:.3f} on the fillers. Did the model learn that a country should reset (the "
        "task where the latest country counts), or was it trained at all?"
        for k in range(len(OPTIONS))
        if k != found.answer
    }
    return Question(
        f"Predict: if the word '{found.was}' at t = {t} of your sentence became '{found.country}', a second "
        "country, what would the selective recurrence's a_t do at that word, averaged over its units?",
        list(OPTIONS),
        found.answer,
        why,
        hints,
    )
