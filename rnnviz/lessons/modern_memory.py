"""Lesson 10's selective recurrence on the memory task: what its decay a_t does per word and unit,
the memory length 1 / (1 - a_t), and the gradient through time beside an Elman RNN's.

h_t = a_t * h_{t-1} + b_t, with a_t = exp(-softplus(W_ia x_t + b_ia)) read from x_t alone, so
dh_t/dh_{t-1} = diag(a_t): going back from step T to step 1 the gradient is multiplied by the
product of the a_t, unit by unit, and by no weight matrix. The Elman RNN's factor is
diag(1 - h_t^2) W_hh, a matrix at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.lessons.modern_reset import latest_country
from rnnviz.model import SeqModel
from rnnviz.questions import Question
from rnnviz.trace import trace

STANDS_OUT = 0.05  # a word whose mean a_t is this much below the other steps' is named
MAX_MEMORY = 1e6  # 1 / (1 - a_t) shown at most this long (a_t = 1 in float32 keeps forever)


def memory_length(a: np.ndarray) -> np.ndarray:
    """1 / (1 - a_t): the steps over which a_t, kept up, shrinks a memory by a factor e (about)."""
    gap = np.clip(1.0 - np.asarray(a, dtype=np.float64), 1.0 / MAX_MEMORY, None)
    return 1.0 / gap


@dataclass(frozen=True)
class MemoryRead:
    """One sentence through the selective model and the Elman RNN (same task, size and seed)."""

    tokens: list[str]  # t = 1..T
    n_countries: int  # word ids below this are countries
    ids: tuple[int, ...]  # the word ids
    a: np.ndarray  # (T, H) a_t of the selective model
    b: np.ndarray  # (T, H) b_t
    h: np.ndarray  # (T, H) h_t
    grad: np.ndarray  # (T,) ||dL/dh_t|| of the selective model
    grad_units: np.ndarray  # (T, H) dL/dh_t
    elman_grad: np.ndarray  # (T,) ||dL/dh_t|| of the Elman RNN
    said: str  # the selective model's answer
    elman_said: str  # the Elman RNN's
    latest: bool = False  # the task's answer is the latest country's language (a second one resets)

    @property
    def T(self) -> int:
        return len(self.tokens)

    @property
    def memory(self) -> np.ndarray:
        return memory_length(self.a)

    def fillers(self) -> np.ndarray:
        """Rows of the words between the first and the last that are no country."""
        return np.array([s for s in range(1, self.T - 1) if self.ids[s] >= self.n_countries], dtype=int)

    def filler_memory(self) -> np.ndarray:
        """(H,) each unit's typical memory length on the fillers: 1 / (1 - mean a_t over them)."""
        rows = self.fillers()
        if rows.size == 0:
            return np.full(self.a.shape[1], np.nan)
        return memory_length(self.a[rows].mean(axis=0))

    def frame(self) -> pd.DataFrame:
        T, H = self.a.shape
        steps, units = np.repeat(np.arange(T), H), np.tile(np.arange(H), T)
        return pd.DataFrame(
            {
                "t": steps + 1,
                "word": [self.tokens[s] for s in steps],
                "unit j": units,
                "a_t": self.a[steps, units],
                "1/(1-a_t)": self.memory[steps, units],
                "b_t": self.b[steps, units],
                "h_t": self.h[steps, units],
                "dL/dh_t": self.grad_units[steps, units],
            }
        )


def memory_read(selective: SeqModel, elman: SeqModel, task, x: torch.Tensor, y: int | None) -> MemoryRead:
    """Trace ``x`` through both models (gradients of the loss against ``y``, or each one's own guess)."""
    tr, te = trace(selective, x, y, jacobians=False), trace(elman, x, y, jacobians=False)
    lt = tr.layer(0)
    return MemoryRead(
        tokens=[task.vocab[int(i)] for i in x],
        n_countries=task.n_countries,
        ids=tuple(int(i) for i in x),
        a=lt.gates["a"].astype(np.float64),
        b=lt.gates["b"].astype(np.float64),
        h=lt.h.astype(np.float64),
        grad=lt.grad_h_norm.astype(np.float64),
        grad_units=lt.grad_h.astype(np.float64),
        elman_grad=te.layer(0).grad_h_norm.astype(np.float64),
        said=task.labels[int(np.argmax(tr.probs))],
        elman_said=task.labels[int(np.argmax(te.probs))],
        latest=task.name == "latest_country",
    )


def pair_target(task, x: torch.Tensor) -> int | None:
    """The right answer for the sentence ``x`` under ``task``: the first word's language (lessons 4-6),
    or, on the reset task, the latest country's (None where no country is named where it counts)."""
    ids = [int(i) for i in x]
    if task.name == "latest_country":
        return latest_country(task, ids)
    return ids[0] if ids[0] < task.n_countries else None


def gate_sentences(read: MemoryRead) -> list[str]:
    """What the a_t heatmap shows, computed from it: the fillers, the lowest word, the longest unit."""
    out = []
    rows = read.fillers()
    if rows.size:
        on_fillers = read.a[rows]  # (fillers, H)
        kept = int((on_fillers.min(axis=0) > 0.9).sum())
        H = on_fillers.shape[1]
        out.append(
            f"On the {rows.size} filler {'word' if rows.size == 1 else 'words'} a_t averages "
            f"**{on_fillers.mean():.3f}** over all units; "
            f"{kept} of {H} units {'keeps' if kept == 1 else 'keep'} a_t > 0.9 on every filler"
            + (
                (", so it carries what it holds" if kept == 1 else ", so those carry what they hold")
                + " across the fillers."
                if kept
                else ": no unit holds a memory across all of them."
            )
        )
    mean_a = read.a.mean(axis=1)  # (T,)
    if read.T > 2:  # from t = 2: h_0 = 0, so what t = 1 keeps is nothing
        low = int(np.argmin(mean_a[1:])) + 1
        others = float(np.delete(mean_a[1:], low - 1).mean())
        if others - mean_a[low] < STANDS_OUT:
            out.append(
                f"No word stands out in a_t: from t = 2 on, its average over the units stays between "
                f"{mean_a[1:].min():.3f} and {mean_a[1:].max():.3f}."
            )
        else:
            out.append(
                f"The word after which the least is kept is **'{read.tokens[low]}'** (t = {low + 1}): a_t "
                f"averages {mean_a[low]:.3f} there against {others:.3f} at the other steps from t = 2"
                + (
                    " (the last word: the state is read there, so what it forgets no longer matters)."
                    if low == read.T - 1
                    else "."
                )
            )
    later = [s for s in range(1, read.T) if read.ids[s] < read.n_countries]  # countries after the first
    if later and rows.size:
        s = later[0]
        on_fillers = float(read.a[rows].mean())
        drop = mean_a[s] < on_fillers - 0.05
        fell = int((read.a[s] < 0.5).sum())
        head = (
            f"At '{read.tokens[s]}' (t = {s + 1}), a second country, a_t averages {mean_a[s]:.3f} against "
            f"{on_fillers:.3f} on the fillers ({fell} of {read.a.shape[1]} units below 0.5 there): the model "
        )
        if read.latest:
            tail = (
                "forgets more there, which is what this task needs: its answer is the *latest* country's "
                "language, so the second country must replace the first. That is the reset."
                if drop
                else "keeps about as much there as on the fillers: it has not learned a reset through a_t "
                "(this task's answer is the *latest* country's language; it can still overwrite h_t "
                "through b_t)."
            )
        else:
            tail = (
                "forgets more there. The task's answer is the *first* country's language, so on this task "
                "no word calls for a reset: a drop here costs memory the answer needs."
                if drop
                else "keeps about as much there as on the fillers, which is what this task needs: its answer "
                "is the *first* country's language, so no word calls for a reset."
            )
        out.append(head + tail)
    elif read.latest and rows.size:
        out.append(
            "Your sentence names no second country: put one among the filler words (any of the countries) "
            "to see whether a_t drops there, as a reset would."
        )
    memory = read.filler_memory()
    if np.isfinite(memory).any():
        j = int(np.nanargmax(memory))
        out.append(
            f"Unit {j} keeps its memory longest on the fillers: 1/(1 - a) = {memory[j]:.1f} steps "
            f"(the shortest, unit {int(np.nanargmin(memory))}: {np.nanmin(memory):.1f})."
        )
    return out


def gradient_sentence(read: MemoryRead) -> str:
    """How much of the last step's gradient reaches t = 1, in each model."""
    sel = read.grad[0] / read.grad[-1] if read.grad[-1] > 0 else float("nan")
    elm = read.elman_grad[0] / read.elman_grad[-1] if read.elman_grad[-1] > 0 else float("nan")
    more = "selective recurrence" if sel > elm else "Elman RNN"
    return (
        f"From the last step back to t = 1, ||dL/dh_t|| is multiplied by **{sel:.2g}** in the selective "
        f"recurrence and by **{elm:.2g}** in the Elman RNN: more of the gradient reaches the first word in "
        f"the {more}."
    )


def longest_memory_question(read: MemoryRead, n_options: int = 4) -> Question | None:
    """Which unit keeps its memory longest on the fillers? Options and answer from the live a_t."""
    memory = read.filler_memory()
    if not np.isfinite(memory).all() or len(memory) < 2:
        return None
    order = np.argsort(-memory)  # longest first
    picked = sorted(int(j) for j in order[:: max(1, len(order) // n_options)][:n_options])
    if int(order[0]) not in picked:
        picked = sorted([int(order[0]), *picked[1:]])
    answer = picked.index(int(order[0]))
    options = [f"unit {j}" for j in picked]
    why = (
        f"On the fillers unit {order[0]}'s a_t averages {1 - 1 / memory[order[0]]:.3f}: a memory length "
        f"1/(1 - a) of {memory[order[0]]:.1f} steps, the longest of the {len(memory)} units."
    )
    hints = {
        k: f"Unit {j}'s a_t on the fillers gives 1/(1 - a) = {memory[j]:.1f} steps: look for a row of the "
        "a_t heatmap that stays brighter (nearer 1) across the fillers."
        for k, j in enumerate(picked)
        if k != answer
    }
    return Question(
        "In the a_t heatmap above, which unit keeps its memory longest on the filler words (the largest "
        "1/(1 - a_t), averaged over them)?",
        options,
        answer,
        why,
        hints,
    )
