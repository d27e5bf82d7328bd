"""Lesson 3 (character LM): the lesson config the page builds its trainer from.

``asdict(LMLesson(...))`` decides when a session's model is rebuilt. It holds what the trainer is
built from (the text, by name or hash, every training setting of ``LMSettings``, the seed) and no
view-only setting: the sampling temperature is a slider of the sampling view, so moving it never
throws the trained model away.

>>> lesson = LMLesson(text_id="markup", hidden_size=32, seq_len=16)
>>> lesson.settings.hidden_size, lesson.settings.temperature == LMSettings().temperature
(32, True)
>>> "temperature" in asdict(lesson)
False
>>> LMLesson(text_id="markup", cell="transformer")
Traceback (most recent call last):
...
rnnviz.errors.InputError: choose a cell from Elman RNN (tanh), LSTM, GRU, not 'transformer'
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from rnnviz.errors import InputError
from rnnviz.lessons.charlm import OWN, LMSettings, StepLosses, build_trainer
from rnnviz.sample import Sample
from rnnviz.train import Trainer

D = LMSettings()
VIEW_ONLY = ("temperature",)  # fields of LMSettings a view reads, that the trainer does not depend on


@dataclass(frozen=True)
class LMLesson:
    """Everything lesson 3's trainer is built from; the training fields are LMSettings' (a test holds
    them to it: a setting added there and not here fails it)."""

    text_id: str  # the built-in text's name, or the sha1 of the student's own text
    cell: str = D.cell  # "rnn_tanh" | "lstm" | "gru"
    hidden_size: int = D.hidden_size  # H, units per layer
    num_layers: int = D.num_layers  # L, stacked layers
    seq_len: int = D.seq_len  # T, characters per training window
    batch_size: int = D.batch_size  # windows per optimizer step
    lr: float = D.lr  # Adam learning rate at the start
    lr_half_life: int = D.lr_half_life  # steps before the rate starts to halve (0 = constant)
    clip: float | None = D.clip  # max global gradient norm; None = no clipping
    forget_bias: float = D.forget_bias  # added to the LSTM forget-gate bias at init
    seed: int = 0  # initial weights and training windows

    def __post_init__(self) -> None:
        if not isinstance(self.text_id, str) or not self.text_id:
            raise InputError("choose a text to learn, or paste your own")
        self.settings  # noqa: B018  LMSettings checks its own fields (InputError)

    @property
    def settings(self) -> LMSettings:
        """The training settings as the backend takes them (the view-only ones at their defaults)."""
        own = {f.name for f in fields(LMSettings)} - set(VIEW_ONLY)
        return LMSettings(**{name: value for name, value in asdict(self).items() if name in own})

    def build_trainer(self, text: str) -> Trainer:
        return build_trainer(text, self.settings, self.seed)


def text_id(source: str, text: str) -> str:
    """How the lesson config names a text: a built-in one by its name, the student's own by its sha1."""
    return hashlib.sha1(text.encode()).hexdigest() if source == OWN else source


# The lesson's tables (CSV downloads and the unit ranking), built from the backend's results. They
# live here and not beside StepLosses / Sample / UnitScore because those modules belong to other
# rooms (rnnviz.lessons.charlm, rnnviz.sample); each is one row per step or character.


def step_losses_frame(sl: StepLosses, contributions: np.ndarray | None = None) -> pd.DataFrame:
    """Section 4's per-step table: x_t, x_(t+1), L_t, ||dL/dh_t|| (and step t's part of dL/dW_hh)."""
    table = pd.DataFrame(
        {"t": range(1, len(sl.loss) + 1), "x_t": list(sl.inputs), "x_{t+1}": list(sl.targets),
         "L_t": sl.loss, "||dL/dh_t||": sl.grad_h_norm}
    )  # fmt: skip
    if contributions is not None:
        table["||delta_t h_{t-1}^T||"] = contributions
    return table


def drawn_p(smp: Sample) -> np.ndarray:
    """The probability each generated character had when it was drawn."""
    return smp.probs[np.arange(len(smp.ids)), smp.ids]


def sample_frame(smp: Sample) -> pd.DataFrame:
    """A sample, one row per generated character: what it followed, what was drawn, p and -ln p."""
    gen, p = smp.text[len(smp.prime) :], drawn_p(smp)
    return pd.DataFrame(
        {"position": range(1, len(gen) + 1), "after": list(smp.text[len(smp.prime) - 1 : -1]),
         "drawn": list(gen), "p": p, "-ln p": -np.log(p)}
    )  # fmt: skip


def unit_trace_frame(text: str, h_unit: np.ndarray, unit: int, signal_name: str, signal) -> pd.DataFrame:
    """One unit's activation h_t[unit] beside a structural signal of the text, per character."""
    return pd.DataFrame(
        {"t": range(1, len(text) + 1), "x_t": list(text), f"h_t[{unit}]": h_unit[: len(text)],
         signal_name: signal}
    )  # fmt: skip


def ranking_frame(ranked) -> pd.DataFrame:
    """``rank_units``' answer as a table: every unit and its r with the signal, best match first."""
    return pd.DataFrame({"unit": [s.unit for s in ranked], "r": [s.r for s in ranked]})
