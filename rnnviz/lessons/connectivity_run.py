"""Lesson 4, connectivity: RNN, LSTM and GRU trained on the lag sentences, C[s, t] at every checkpoint.

Two heads on the same sentences, seed and recipe (section 5's ``LagRecipe``, its curriculum on the lag):

- **many-to-one** (the lag task itself): the answer is read once, at s = T, so C is one row C[T, 1..T];
- **many-to-many**: the same sentences with the first word's language as the target at *every* step
  (``EveryStep``), so each row s of C[s, t] is one prediction and the map is the full (s, t) triangle.

Each model keeps a checkpoint every ``checkpoint_every`` steps; ``ConnectivityRun`` holds C on one
held-out sentence and the held-out accuracy at each of them (plain arrays: cached per setting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.errors import InputError
from rnnviz.lessons.connectivity import connectivity
from rnnviz.lessons.memory_lag import CELL_NAMES, LAG_CELLS, LagCurriculum, LagRecipe
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks import FirstWord
from rnnviz.tasks.base import Batch, check_int
from rnnviz.train import TrainConfig, Trainer

HEADS = ("many_to_one", "many_to_many")


class EveryStep(LagCurriculum):
    """The lag curriculum's sentences with y_t = the first word's language at every step t = 1..T."""

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        b = super().batch(batch_size, generator, split)
        return Batch(b.x, b.y[:, None].expand(-1, b.x.shape[1]).contiguous(), None)  # y (B, T)


@dataclass(frozen=True)
class ConnectivityConfig:
    lag: int = 20  # distractors; T = lag + 2
    steps: int = 300  # training steps per model
    checkpoint_every: int = 25  # steps between checkpoints (the slider's stops)
    seed: int = 0  # weights, batches and the curriculum's lag draws, the same for every cell
    eval_sentences: int = 256  # held-out sentences scored at each checkpoint

    def __post_init__(self) -> None:
        check_int("lag", self.lag, 1, 60)
        check_int("training steps", self.steps, 1, 2_000)
        check_int("steps between checkpoints", self.checkpoint_every, 1, self.steps)
        check_int("held-out sentences", self.eval_sentences, 1, 2_048)

    def trainer(self, cell: str, head: str) -> Trainer:
        """A fresh ``cell`` model on the lag sentences with ``head``, section 5's recipe."""
        if cell not in LAG_CELLS or head not in HEADS:
            raise InputError(
                f"connectivity trains {LAG_CELLS} with a head in {HEADS}, not {cell!r}, {head!r}"
            )
        recipe = LagRecipe()
        task = (EveryStep if head == "many_to_many" else LagCurriculum)(self.lag, recipe, self.seed)
        forget = recipe.forget_bias if cell == "lstm" else 0.0
        cfg = ModelConfig.for_task(
            self.target(),
            cell=cell,
            head=head,
            hidden_size=recipe.hidden_size,
            forget_bias=forget,
            seed=self.seed,
        )
        train = TrainConfig(
            lr=recipe.lr,
            batch_size=recipe.batch_size,
            clip=recipe.clip,
            seed=self.seed,
            log_every=10,
            checkpoint_every=self.checkpoint_every,
            max_checkpoints=self.steps // self.checkpoint_every + 2,  # keep every one: the slider's stops
        )
        return Trainer(SeqModel(cfg), task, train)

    def target(self) -> FirstWord:
        return FirstWord(lag=self.lag, n_countries=LagRecipe().n_countries)

    def probe(self) -> Batch:
        """The held-out sentence every C is computed on."""
        return self.target().example(0, split="val")


@dataclass(frozen=True)
class ConnectivityRun:
    config: ConnectivityConfig
    tokens: tuple[str, ...]  # the probe sentence, t = 1..T
    answer: str  # its label
    steps: tuple[int, ...]  # the checkpoints' training steps (0 = initial weights)
    rows: dict[str, np.ndarray]  # cell -> (K, T) C[T, t] of the many-to-one model at each checkpoint
    maps: dict[str, np.ndarray]  # cell -> (K, T, T) C[s, t] of the many-to-many model at each checkpoint
    acc: dict[str, np.ndarray]  # cell -> (K,) held-out accuracy of the many-to-one model
    acc_every: dict[str, np.ndarray]  # cell -> (K,) held-out accuracy over every step, many-to-many model
    reached_lag: dict[str, int]  # cell -> the lag the many-to-one model's curriculum reached

    def frame(self, k: int) -> pd.DataFrame:
        """Every C[s, t] (t <= s) of both heads at checkpoint ``k``, one row each, steps from 1."""
        out = []
        for cell in LAG_CELLS:
            T = len(self.tokens)
            for head, grid, rows in (
                ("many_to_one", self.rows[cell][k][None], [T]),
                ("many_to_many", self.maps[cell][k], range(1, T + 1)),
            ):
                for i, s in enumerate(rows):
                    out += [
                        {"training step": self.steps[k], "cell": CELL_NAMES[cell], "head": head, "s": s,
                         "t": t, "word x_t": self.tokens[t - 1], "C[s, t]": float(grid[i, t - 1])}
                        for t in range(1, s + 1)
                    ]  # fmt: skip
        return pd.DataFrame(out)

    def ratio(self, cell: str, k: int = -1) -> float:
        """C[T, 1] / C[T, T] of the many-to-one ``cell`` at checkpoint ``k``."""
        row = self.rows[cell][k]
        return float(row[0] / row[-1]) if row[-1] > 0 else float("inf")


def _accuracy(model, batch: Batch) -> float:
    with torch.no_grad():
        return float(model.loss(batch)[1]["acc"])


def run_connectivity(config: ConnectivityConfig = ConnectivityConfig()) -> ConnectivityRun:
    """Train the three cells with both heads and compute C at every checkpoint (8-23 s at the defaults
    for seeds 0-4 on the shared 2-core dev machine, one thread, measured)."""
    probe = config.probe()
    x = probe.x[0]  # (T,)
    held = config.target().batch(
        config.eval_sentences, torch.Generator().manual_seed(config.seed + 104_729), "val"
    )
    held_every = Batch(held.x, held.y[:, None].expand(-1, held.x.shape[1]), None)
    rows, maps, acc, acc_every, reached, steps = {}, {}, {}, {}, {}, ()
    for cell in LAG_CELLS:
        for head in HEADS:
            trainer = config.trainer(cell, head)
            trainer.run(config.steps, 600.0, callback=trainer.task)  # the curriculum lengthens the lag
            steps = tuple(s for s, _ in trainer.checkpoints)
            models = [trainer.model_at(k) for k in range(len(steps))]
            cs = np.stack([connectivity(m, x).matrix for m in models])  # (K, S, T)
            if head == "many_to_one":
                rows[cell] = cs[:, 0]
                acc[cell] = np.array([_accuracy(m, held) for m in models])
                reached[cell] = trainer.task.lag
            else:
                maps[cell] = cs
                acc_every[cell] = np.array([_accuracy(m, held_every) for m in models])
    task = config.target()
    return ConnectivityRun(
        config=config,
        tokens=tuple(task.decode(x).split()),
        answer=task.labels[int(probe.y[0])],
        steps=steps,
        rows=rows,
        maps=maps,
        acc=acc,
        acc_every=acc_every,
        reached_lag=reached,
    )
