"""From a ``PlaygroundConfig`` to the task, the model and the trainer (everything seeded by it).

>>> cfg = PlaygroundConfig(task="copy", lag=30, length=3, n_symbols=4)
>>> build_task(cfg).seq_len, build_task(cfg).vocab
(36, ('A', 'B', 'C', 'D', '_', '='))
>>> trainer = build_trainer(cfg)       # a fresh model: same cfg, same initial weights and batches
>>> trainer.cfg.log_every, trainer.cfg.checkpoint_every, trainer.cfg.eval_batches
(10, 20, 1)

Tasks are frozen dataclasses and cached: sessions with the same settings share one (never modified).
"""

from __future__ import annotations

import functools

from rnnviz.cells import CELLS
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.playground.config import PlaygroundConfig
from rnnviz.tasks import Adding, CharLM, CopyTask, FirstWord, Sentiment, Tagging
from rnnviz.tasks.corpora import markup, stdlib_source
from rnnviz.train import TrainConfig, Trainer

MARKUP_LINES = 3000  # lines of the generated markup corpus (~60k characters)
STDLIB_CHARS = 200_000  # characters of standard-library source
LOG_EVERY = 10  # training steps between loss points
CHECKPOINT_EVERY = 20  # steps between saved checkpoints (the training-history slider)
MAX_CHECKPOINTS = 40  # older checkpoints are thinned beyond this many
EVAL_BATCHES = 1  # held-out batches behind each validation point


@functools.lru_cache(maxsize=16)
def builtin_text(name: str, depth: int, seed: int) -> str:
    """The built-in corpus ``name`` ("markup" or "stdlib"); cached, never modified."""
    if name == "markup":
        return markup(MARKUP_LINES, max_depth=depth, seed=seed)
    return stdlib_source(STDLIB_CHARS)


@functools.lru_cache(maxsize=32)
def _task(task: str, knobs: tuple, seed: int):
    k = dict(knobs)
    if task == "first_word":
        return FirstWord(lag=k["lag"], n_countries=k["n_countries"], seed=seed)
    if task == "copy":
        return CopyTask(n_symbols=k["n_symbols"], length=k["length"], lag=k["lag"], seed=seed)
    if task == "adding":
        return Adding(lag=k["lag"], seed=seed)
    if task == "tagging":
        return Tagging(ambiguous=k["ambiguous"], seed=seed)
    if task == "sentiment":
        return Sentiment(n_train=k["n_train"], seed=seed)
    if k["text"] == "own":
        text = k["own_text"]
    elif k["text"] == "markup":
        text = builtin_text("markup", k["depth"], seed)
    else:
        text = builtin_text("stdlib", 0, 0)  # the same source for every seed
    return CharLM(text=text, seq_len=k["seq_len"], seed=seed)


def build_task(cfg: PlaygroundConfig):
    """The task of ``cfg`` (a frozen dataclass: shared between sessions, never modified)."""
    return _task(cfg.task, tuple(sorted(cfg.knobs().items())), cfg.seed)


def model_config(cfg: PlaygroundConfig, task=None) -> ModelConfig:
    task = task if task is not None else build_task(cfg)
    return ModelConfig.for_task(
        task,
        cell=cfg.cell,
        hidden_size=cfg.hidden_size,
        num_layers=cfg.num_layers,
        bidirectional=cfg.bidirectional,
        embed_dim=cfg.embed_dim if task.input_kind == "tokens" else 0,
        forget_bias=cfg.forget_bias if CELLS[cfg.cell].has_cell_state else 0.0,
        seed=cfg.seed,
    )


def train_config(cfg: PlaygroundConfig) -> TrainConfig:
    return TrainConfig(
        optimizer=cfg.optimizer,
        lr=cfg.lr,
        batch_size=cfg.batch_size,
        clip=cfg.clip,
        seed=cfg.seed,
        log_every=LOG_EVERY,
        checkpoint_every=CHECKPOINT_EVERY,
        eval_batches=EVAL_BATCHES,
        max_checkpoints=MAX_CHECKPOINTS,
    )


def build_trainer(cfg: PlaygroundConfig) -> Trainer:
    """A fresh model (initial weights from ``cfg.seed``) and its trainer on ``cfg``'s task."""
    task = build_task(cfg)
    return Trainer(SeqModel(model_config(cfg, task)), task, train_config(cfg))
