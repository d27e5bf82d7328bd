"""The pointer lesson's one frozen config: task, lengths, the two models and their training.

``asdict(config)`` decides when a session's models are rebuilt; the page builds both trainers
from it, on the same seed, task and budget.

>>> cfg = PointerLesson(task="hull", length=6)
>>> cfg.make_task().length, cfg.model_config().features, cfg.model_config().n_train
(6, 2, 6)
>>> PointerLesson(task="tsp")
Traceback (most recent call last):
rnnviz.errors.InputError: the task must be one of sort, hull, not 'tsp'
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnviz.errors import InputError
from rnnviz.pointer.model import CELLS, PointerConfig, PointerNet, VocabBaseline
from rnnviz.tasks.base import check_int, check_seed
from rnnviz.tasks.hull import HullTask
from rnnviz.tasks.sorting import SortTask
from rnnviz.train import TrainConfig, Trainer

TASKS = {"sort": SortTask, "hull": HullTask}
LENGTHS = {"sort": (2, 12), "hull": (4, 14)}  # training lengths a student may pick
DEFAULT_LENGTH = {"sort": 5, "hull": 8}


@dataclass(frozen=True)
class PointerLesson:
    task: str = "sort"  # "sort" (numbers) | "hull" (2-D points)
    length: int = 5  # T at training: numbers or points per input
    cell: str = "lstm"  # encoder and decoder cell of both models
    mask_used: bool = True  # the pointer may not point twice at one input
    hidden_size: int = 32  # H
    lr: float = 1e-2  # Adam learning rate
    batch_size: int = 64  # inputs per training batch
    log_every: int = 10  # training steps between history rows
    checkpoint_every: int = 25  # steps between the checkpoints the heatmap slides through
    seed: int = 0  # initial weights, batches, example and test sets

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise InputError(f"the task must be one of {', '.join(TASKS)}, not {self.task!r}")
        lo, hi = LENGTHS[self.task]
        check_int("the training length", self.length, lo, hi)
        if self.cell not in CELLS:
            raise InputError(f"the cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        check_int("batch size", self.batch_size, 1, 1024)
        check_seed(self.seed)

    def make_task(self) -> SortTask | HullTask:
        return TASKS[self.task](length=self.length, seed=self.seed)

    def model_config(self) -> PointerConfig:
        t = TASKS[self.task]
        return PointerConfig(
            features=t.features,
            cell=self.cell,
            hidden_size=self.hidden_size,
            attn_size=self.hidden_size,
            mask_used=self.mask_used,
            n_train=self.length,
            seed=self.seed,
        )

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            lr=self.lr,
            batch_size=self.batch_size,
            seed=self.seed,
            log_every=self.log_every,
            checkpoint_every=self.checkpoint_every,
        )

    def trainer(self) -> Trainer:
        return Trainer(PointerNet(self.model_config()), self.make_task(), self.train_config())

    def baseline_trainer(self) -> Trainer:
        return Trainer(VocabBaseline(self.model_config()), self.make_task(), self.train_config())
