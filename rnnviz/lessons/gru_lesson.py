"""Lesson 6's settings, one frozen config each for its trained models: the live GRU (and the LSTM vs
GRU race, the same config with another cell) and the deep stacks. The page builds task, model and
trainer from them, and ``asdict(config)`` is the key that decides when a session's model is rebuilt.

>>> cfg = GRULesson(cell="gru", lag=10, hidden_size=12, seed=0)
>>> cfg.task().lag, cfg.trainer().cfg.lr
(10, 0.02)
>>> GRULesson(cell="lstm", hidden_size=8).model().cfg.cell
'lstm'
>>> GRULesson(cell="gru_fancy")
Traceback (most recent call last):
rnnviz.errors.InputError: the cell must be one of gru, gru_paper, gru_minimal, lstm, not 'gru_fancy'
>>> DeepLesson(kind="highway", depth=8, width=16).trainer().step
0
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnviz.errors import InputError
from rnnviz.lessons.depth import DEEP_KINDS, DeepConfig, DeepNet, Rings
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks import FirstWord
from rnnviz.tasks.base import check_int
from rnnviz.train import TrainConfig, Trainer

# the live model's three GRU forms, and the LSTM it races against
GRU_CELLS = ("gru", "gru_paper", "gru_minimal", "lstm")


@dataclass(frozen=True)
class GRULesson:
    """The live model of lesson 6 reading *remember the first word* (lesson 5's task)."""

    cell: str = "gru"  # one of GRU_CELLS
    lag: int = 10  # filler words between the country and 'fluent'
    hidden_size: int = 12  # H
    n_countries: int = 4  # classes of the task
    lr: float = 0.02  # Adam learning rate
    batch_size: int = 32  # sentences per training batch
    checkpoint_every: int = 50  # training steps between in-memory checkpoints
    seed: int = 0  # initial weights, batches and the example sentences

    def __post_init__(self) -> None:
        if self.cell not in GRU_CELLS:
            raise InputError(f"the cell must be one of {', '.join(GRU_CELLS)}, not {self.cell!r}")
        check_int("lag", self.lag, 1, 200)
        check_int("hidden size", self.hidden_size, 2, 256)
        check_int("batch size", self.batch_size, 1, 1024)

    def task(self) -> FirstWord:
        return FirstWord(lag=self.lag, n_countries=self.n_countries, seed=self.seed)

    def model_config(self, cell: str | None = None) -> ModelConfig:
        """The model's settings; ``cell`` reads the same task with another cell (parameter counts)."""
        return ModelConfig.for_task(
            self.task(), cell=cell or self.cell, hidden_size=self.hidden_size, seed=self.seed
        )

    def model(self) -> SeqModel:
        return SeqModel(self.model_config())

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            lr=self.lr, batch_size=self.batch_size, seed=self.seed, checkpoint_every=self.checkpoint_every
        )

    def trainer(self) -> Trainer:
        return Trainer(self.model(), self.task(), self.train_config())


@dataclass(frozen=True)
class DeepLesson:
    """One of the three deep stacks (plain, residual, highway) learning the rings."""

    kind: str = "plain"  # one of depth.DEEP_KINDS
    depth: int = 20  # L layers
    width: int = 16  # units per layer
    lr: float = 0.01  # Adam learning rate
    batch_size: int = 64  # points per training batch
    seed: int = 0  # the same seed gives the three kinds the same W_l

    def __post_init__(self) -> None:
        if self.kind not in DEEP_KINDS:
            raise InputError(f"the stack must be one of {', '.join(DEEP_KINDS)}, not {self.kind!r}")
        self.net_config()  # depth and width are checked there
        check_int("batch size", self.batch_size, 1, 1024)

    def net_config(self) -> DeepConfig:
        return DeepConfig(kind=self.kind, depth=self.depth, width=self.width, seed=self.seed)

    def trainer(self) -> Trainer:
        cfg = TrainConfig(lr=self.lr, batch_size=self.batch_size, seed=self.seed, checkpoint_every=0)
        return Trainer(DeepNet(self.net_config()), Rings(), cfg)
