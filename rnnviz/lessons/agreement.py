"""Lesson 6's agreement experiment: one frozen config for the three cells that learn it (GRU, LSTM,
Elman RNN: the same task, sizes, budget and seed), and their accuracy against the clause length.

The three models train on clauses of ``min_length`` to ``max_length`` words and are tested on
fresh sentences of each length in ``LENGTHS`` (longer ones too: has the cell learnt to *keep* the
number, or only to span the lengths it saw?).

>>> cfg = AgreementLesson(cell="gru", hidden_size=8, seed=0)
>>> cfg.task().max_length, cfg.model_config().cell, cfg.trainer().cfg.lr
(12, 'gru', 0.02)
>>> AgreementLesson(cell="tcn")
Traceback (most recent call last):
rnnviz.errors.InputError: the agreement models are gru, lstm, rnn_tanh, not 'tcn'
>>> curve = accuracy_by_length(cfg.model(), cfg.task(), lengths=(4, 8), n=64)
>>> sorted(curve)
[4, 8]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks.agreement import Agreement
from rnnviz.tasks.base import check_int
from rnnviz.train import TrainConfig, Trainer

CELLS = {"GRU": "gru", "LSTM": "lstm", "RNN": "rnn_tanh"}  # display name -> cell, in the page's order
LENGTHS = (4, 8, 12, 16, 24, 32, 40)  # clause lengths the accuracy curve tests
CURVE_SENTENCES = 256  # held-out sentences per length
CURVE_SEED = 104_729  # the curve's sentences: the same for every model and every run


@dataclass(frozen=True)
class AgreementLesson:
    """Everything one agreement model is built from; the defaults are the page's."""

    cell: str = "gru"  # one of CELLS' values
    hidden_size: int = 8  # H, units of the one layer
    min_length: int = 4  # fewest words of a training clause
    max_length: int = 12  # most words of a training clause
    attractors: float = 0.5  # chance a clause noun has the subject's opposite number
    lr: float = 0.02  # Adam's learning rate
    batch_size: int = 32  # sentences per step
    seed: int = 0  # initial weights, batches and the example sentence

    def __post_init__(self) -> None:
        if self.cell not in CELLS.values():
            raise InputError(f"the agreement models are {', '.join(CELLS.values())}, not {self.cell!r}")
        check_int("hidden size", self.hidden_size, 2, 64)
        check_int("batch size", self.batch_size, 1, 1024)
        self.task()  # lengths, attractors and seed are checked there

    def task(self) -> Agreement:
        return Agreement(self.min_length, self.max_length, self.attractors, self.seed)

    def model_config(self) -> ModelConfig:
        # forget_bias acts on the LSTM only (f_t starts near sigma(1) = 0.73, as in lesson 5)
        return ModelConfig.for_task(
            self.task(), cell=self.cell, hidden_size=self.hidden_size, forget_bias=1.0, seed=self.seed
        )

    def model(self) -> SeqModel:
        return SeqModel(self.model_config())

    def trainer(self) -> Trainer:
        cfg = TrainConfig(lr=self.lr, batch_size=self.batch_size, seed=self.seed, checkpoint_every=0)
        return Trainer(self.model(), self.task(), cfg)


def accuracy_by_length(
    model: SeqModel, task: Agreement, lengths=LENGTHS, n: int = CURVE_SENTENCES
) -> dict[int, float]:
    """Share of ``n`` held-out sentences (clause of exactly L words) whose verb number the model
    gets right, for each L in ``lengths``; the same sentences for every model."""
    out = {}
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            for L in lengths:
                fixed = task.with_length(L)
                batch = fixed.batch(n, fixed.generator(CURVE_SEED + L), split="val")
                logits, _ = model(batch.x)  # (n, 2)
                out[L] = float((logits.argmax(-1) == batch.y).float().mean())
    finally:
        model.train(was)
    return out
