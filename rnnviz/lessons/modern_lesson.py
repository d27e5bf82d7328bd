"""Lesson 10's settings and its central equality: when the gates read x_t only, the recurrence is
linear in h, h_t = a_t * h_{t-1} + b_t, and a parallel scan computes the same h_t as the loop.

One frozen config for every trained model of the page (the minGRU / minLSTM, the selective
recurrence and the Elman RNN it is compared with): the same task, lag, size and seed, another cell.

>>> cfg = ModernLesson(cell="min_gru", lag=6, hidden_size=4)
>>> cfg.task().lag, cfg.model().cfg.cell
(6, 'min_gru')
>>> ModernLesson(cell="lstm")
Traceback (most recent call last):
rnnviz.errors.InputError: the cell must be one of min_gru, min_lstm, selective, rnn_tanh, not 'lstm'
>>> ModernLesson(cell="selective", task_name="latest_country").task().name
'latest_country'
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.cells import CELLS
from rnnviz.errors import InputError
from rnnviz.lessons.modern_reset import LatestCountry
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.scan import rounds, scan_doubling
from rnnviz.tasks import FirstWord
from rnnviz.tasks.base import check_int
from rnnviz.train import TrainConfig, Trainer

MIN_CELLS = ("min_gru", "min_lstm")  # the live model of the first section
LESSON_CELLS = (*MIN_CELLS, "selective", "rnn_tanh")  # + the selective recurrence and its Elman twin
TASKS = {"first_word": FirstWord, "latest_country": LatestCountry}  # the first / the latest country counts


@dataclass(frozen=True)
class ModernLesson:
    """One live model of lesson 10 reading *remember the first word* (lessons 4-6's task)."""

    cell: str = "min_gru"  # one of LESSON_CELLS
    lag: int = 10  # filler words between the country and 'fluent'
    hidden_size: int = 8  # H
    n_countries: int = 4  # classes of the task
    lr: float = 0.02  # Adam learning rate
    batch_size: int = 32  # sentences per training batch
    checkpoint_every: int = 50  # training steps between in-memory checkpoints
    seed: int = 0  # initial weights, batches and the example sentences
    task_name: str = "first_word"  # one of TASKS: lessons 4-6's task, or the one that needs a reset

    def __post_init__(self) -> None:
        if self.cell not in LESSON_CELLS:
            raise InputError(f"the cell must be one of {', '.join(LESSON_CELLS)}, not {self.cell!r}")
        if self.task_name not in TASKS:
            raise InputError(f"the task must be one of {', '.join(TASKS)}, not {self.task_name!r}")
        check_int("lag", self.lag, 1, 200)
        check_int("hidden size", self.hidden_size, 2, 256)
        check_int("batch size", self.batch_size, 1, 1024)

    def task(self) -> FirstWord:
        return TASKS[self.task_name](lag=self.lag, n_countries=self.n_countries, seed=self.seed)

    def model_config(self) -> ModelConfig:
        return ModelConfig.for_task(self.task(), cell=self.cell, hidden_size=self.hidden_size, seed=self.seed)

    def model(self) -> SeqModel:
        return SeqModel(self.model_config())

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            lr=self.lr, batch_size=self.batch_size, seed=self.seed, checkpoint_every=self.checkpoint_every
        )

    def trainer(self) -> Trainer:
        return Trainer(self.model(), self.task(), self.train_config())


@dataclass(frozen=True)
class LoopVsScan:
    """h_t of one sentence three ways, float64: the loop, the doubling scan, the log-space scan."""

    tokens: list[str]  # the words, t = 1..T
    a: np.ndarray  # (T, H) a_t, from x_t alone, all t at once
    b: np.ndarray  # (T, H) b_t
    loop: np.ndarray  # (T, H) the cell's step function, one step t after the other (T dependent steps)
    doubling: np.ndarray  # (T, H) rnnviz.scan.scan_doubling (ceil(log2 T) rounds)
    log: np.ndarray  # (T, H) the model's own forward pass (rnnviz.scan.scan_log)

    @property
    def T(self) -> int:
        return len(self.tokens)

    def rounds(self) -> dict[str, int]:
        return {method: rounds(self.T, method) for method in ("loop", "doubling", "log")}

    def max_diff(self) -> dict[str, float]:
        """The largest |h_t(scan) - h_t(loop)| over every step and unit, per scan."""
        return {
            "doubling": float(np.abs(self.doubling - self.loop).max()),
            "log": float(np.abs(self.log - self.loop).max()),
        }

    def frame(self, unit: int) -> pd.DataFrame:
        """One row per step t (from 1): a_t, b_t and the three h_t of unit ``unit``."""
        return pd.DataFrame(
            {
                "t": range(1, self.T + 1),
                "word": self.tokens,
                "a_t": self.a[:, unit],
                "b_t": self.b[:, unit],
                "h_t (loop)": self.loop[:, unit],
                "h_t (doubling scan)": self.doubling[:, unit],
                "h_t (log-space scan)": self.log[:, unit],
                "|log scan - loop|": np.abs(self.log[:, unit] - self.loop[:, unit]),
            }
        )


@torch.no_grad()
def loop_vs_scan(model: SeqModel, task, x: torch.Tensor) -> LoopVsScan:
    """The first layer's h_t for the sentence ``x`` (T,) by the loop and by both scans, in float64."""
    cell = model.cfg.cell
    spec = CELLS[cell]
    if spec.scan is None:
        raise InputError(f"the {spec.title or cell} is not linear in h: its gates read h_(t-1)")
    twin = copy.deepcopy(model).double()
    inp = twin.embed(x[None])[0]  # (T, D) x_t
    p = twin.layers[0].params()
    T, H = inp.shape[0], model.cfg.hidden_size
    # the loop: h_t = step(x_t, h_{t-1}), h_0 = 0, one step after the other
    h, hs = inp.new_zeros(1, H), []
    for t in range(T):
        h = spec.step(inp[t : t + 1], h, p)[0]
        hs.append(h[0])
    loop = torch.stack(hs)  # (T, H)
    # the gates read x_t only, so a_t and b_t come for every t at once from W_ih x_t + b_ih
    a, b = spec.scan(inp @ p["weight_ih"].T + p["bias_ih"])  # (T, H) each
    doubling = scan_doubling(a[None], b[None])[0]
    log = twin.features(x[None])[0][0, :, :H]  # the model's own forward pass: its log-space scan
    tokens = [task.vocab[int(i)] for i in x]
    return LoopVsScan(tokens, *(v.numpy() for v in (a, b, loop, doubling, log)))


def equality_sentence(read: LoopVsScan) -> str:
    """What the three columns show, from their numbers."""
    diff, r = read.max_diff(), read.rounds()
    worst = max(diff.values())
    verdict = (
        "They are the same numbers up to float64 rounding"
        if worst < 1e-9
        else "They differ by more than rounding: the recurrence is not the linear one written above"
    )
    return (
        f"Over all {read.T} steps and {read.loop.shape[1]} units, the log-space scan is at most "
        f"**{diff['log']:.1e}** away from the loop and the doubling scan **{diff['doubling']:.1e}**. "
        f"{verdict}. The loop took {r['loop']} dependent steps; the doubling scan {r['doubling']} rounds, "
        "each over the whole sentence at once."
    )
