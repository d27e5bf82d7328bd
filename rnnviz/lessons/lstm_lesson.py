"""Lesson 5 (LSTM): the lesson config the page builds its task, model and trainer from, and the
sentence the gate lessons (5 and 6) read: its words, trace and the model's answer.

``asdict(LSTMLesson(...))`` is the key that decides when a session's model is rebuilt: every setting
the trainer is built from is a field, and nothing else is (the views' pickers are not).

>>> lesson = LSTMLesson(cell="lstm", lag=4, hidden=6, seed=1)
>>> lesson.task().lag, lesson.model_config().hidden_size, lesson.model_config().forget_bias
(4, 6, 1.0)
>>> LSTMLesson(lag=1)
Traceback (most recent call last):
...
rnnviz.errors.InputError: the lag is 2 to 30 filler words between the country and 'fluent', not 1
>>> read = read_sentence(SeqModel(lesson.model_config()), lesson.task(), "Spain the rain fluent")
>>> read.tokens, read.right
(['Spain', 'the', 'rain', 'fluent'], 'Spanish')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.errors import InputError
from rnnviz.lessons import gating
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks import FirstWord
from rnnviz.trace import LayerTrace, Trace, trace
from rnnviz.train import TrainConfig, Trainer

VARIANTS = {
    "lstm": "LSTM (torch's nn.LSTM)",
    "lstm_peephole": "LSTM with peephole connections",
    "lstm_coupled": "LSTM with coupled input and forget gates",
}
HIDDEN_SIZES = (4, 6, 8, 12, 16, 24, 32)  # the page's choices of H
LAGS = (2, 30)  # fewest and most filler words
N_COUNTRIES = 4  # classes: guessing gives 1 / N_COUNTRIES


@dataclass(frozen=True)
class LSTMLesson:
    """Everything lesson 5's trainer is built from; the defaults are the page's."""

    cell: str = "lstm"  # one of VARIANTS
    lag: int = 10  # filler words between the country and 'fluent'
    hidden: int = 12  # H, units of the one layer
    forget_bias: bool = True  # start the forget-gate bias at +1 (f_t near sigma(1) = 0.73)
    seed: int = 0  # the sentences, the initial weights and the training batches
    n_countries: int = N_COUNTRIES  # classes of the task
    lr: float = 0.02  # Adam's learning rate
    batch_size: int = 32  # sentences per step
    checkpoint_every: int = 50  # steps between kept weights (checkpoint 0: the initial ones)

    def __post_init__(self) -> None:
        if self.cell not in VARIANTS:
            raise InputError(f"choose a cell from {', '.join(VARIANTS.values())}, not {self.cell!r}")
        if not isinstance(self.lag, int) or not LAGS[0] <= self.lag <= LAGS[1]:
            raise InputError(
                f"the lag is {LAGS[0]} to {LAGS[1]} filler words between the country and 'fluent', "
                f"not {self.lag!r}"
            )
        if self.hidden not in HIDDEN_SIZES:
            raise InputError(
                f"hidden units H must be one of {', '.join(map(str, HIDDEN_SIZES))}, not {self.hidden!r}"
            )
        if not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"the seed is a whole number >= 0, not {self.seed!r}")

    def task(self) -> FirstWord:
        return FirstWord(lag=self.lag, n_countries=self.n_countries, seed=self.seed)

    def model_config(self, cell: str | None = None) -> ModelConfig:
        """The live model's config (or the same sizes with another ``cell``, to count its parameters)."""
        return ModelConfig.for_task(
            self.task(),
            cell=cell or self.cell,
            hidden_size=self.hidden,
            forget_bias=1.0 if self.forget_bias else 0.0,
            seed=self.seed,
        )

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            lr=self.lr, batch_size=self.batch_size, seed=self.seed, checkpoint_every=self.checkpoint_every
        )

    def build_trainer(self) -> Trainer:
        return Trainer(SeqModel(self.model_config()), self.task(), self.train_config())

    def sizes_frame(self) -> pd.DataFrame:
        """Parameters of every variant at this task and H (one column, one row per variant)."""
        sizes = {v: sum(term.count for term in gating.param_terms(self.model_config(v))) for v in VARIANTS}
        sizes = {VARIANTS[v]: n for v, n in sizes.items()}
        return pd.DataFrame({"parameters at this size": sizes})


@dataclass(frozen=True)
class SentenceRead:
    """One sentence through the live model (lessons 5 and 6): its words, trace, and the answer."""

    x: torch.Tensor  # (T,) word ids
    y: int | None  # the right class, None when the first word is no country
    tokens: list[str]  # the words, t = 1..T
    trace: Trace  # the replay of x (gradients of the loss against y, or the model's own guess)
    guess: int  # the class with the highest probability at the last step
    said: str  # its name
    p_guess: float  # its probability
    right: str | None  # the right class's name, None when there is none

    @property
    def T(self) -> int:
        return len(self.tokens)

    @property
    def layer(self) -> LayerTrace:
        return self.trace.layer(0)

    def frame(self) -> pd.DataFrame:
        """Every gate and state of layer 1 as a table: one row per step t (from 1) and unit j.

        LSTM: i_t, f_t, g_t, o_t, c_t, h_t; GRU: r_t (if it has one), z_t, n_t, h_t and the course
        notes' update gate, Γ_u = 1 - z_t."""
        lt = self.layer
        T, H = lt.h.shape
        steps, units = np.repeat(np.arange(T), H), np.tile(np.arange(H), T)
        table = {"t": steps + 1, "word": [self.tokens[s] for s in steps], "unit j": units}
        table |= {f"{g}_t": lt.gates[g][steps, units].astype(float) for g in "ifgorzn" if g in lt.gates}
        if lt.c is not None:
            table["c_t"] = lt.c[steps, units].astype(float)
        table["h_t"] = lt.h[steps, units].astype(float)
        if "z" in lt.gates:  # Γ_u = 1 - z_t: the share of the candidate taken
            table["Γ_u = 1 - z_t"] = 1 - lt.gates["z"][steps, units].astype(float)
        return pd.DataFrame(table)


def per_step_frame(tokens: list[str], **columns: np.ndarray) -> pd.DataFrame:
    """Values per step t = 1..T beside its word: one column per name."""
    return pd.DataFrame({"t": range(1, len(tokens) + 1), "word": tokens, **columns})


def read(model: SeqModel, task, x: torch.Tensor, y: int | None) -> SentenceRead:
    """Trace the sentence ``x`` (target ``y``) through ``model``; the views' numbers and the verdict."""
    tokens = [task.vocab[int(i)] for i in x]
    tr = trace(model, x, y, jacobians=False)
    guess = int(np.argmax(tr.probs))
    right = task.labels[y] if y is not None else None
    return SentenceRead(x, y, tokens, tr, guess, task.labels[guess], float(tr.probs[guess]), right)


def read_sentence(model: SeqModel, task, text: str) -> SentenceRead:
    """:func:`read` of a typed sentence (refused with an InputError when the task cannot read it)."""
    return read(model, task, *gating.read_sentence(task, text))
