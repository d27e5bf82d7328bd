"""Lesson 7's settings, one frozen config each for its trained models: the date translator
(section 3) and the captioner (section 7). The page builds task, model and trainer from them, and
``asdict(config)`` is the key that decides when a session's model is rebuilt.

>>> cfg = DatesLesson(tokens="words", min_words=3, max_words=6, cell="gru", attention="dot")
>>> cfg.task().max_words, cfg.model_config().attention, cfg.train_config().checkpoint_every
(6, 'dot', 25)
>>> DatesLesson(min_words=7, max_words=4)
Traceback (most recent call last):
rnnviz.errors.InputError: the shortest input (7 words) must not be longer than the longest (4 words)
>>> CaptionsLesson(attention="additive").trainer().model.cfg.hidden_size
64
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnviz.errors import InputError
from rnnviz.seq2seq.attention import KINDS
from rnnviz.seq2seq.captions import CaptionConfig, CaptionModel, CaptionTask
from rnnviz.seq2seq.dates import LONGEST, SHORTEST, DateTask
from rnnviz.seq2seq.model import CELLS, Seq2Seq, Seq2SeqConfig
from rnnviz.seq2seq.sampling import SCHEDULES
from rnnviz.tasks.base import check_int
from rnnviz.train import TrainConfig, Trainer

TOKENS = ("chars", "words")


def _attention(kind: str) -> None:
    if kind not in KINDS:
        raise InputError(f"attention must be one of {', '.join(KINDS)}, not {kind!r}")


@dataclass(frozen=True)
class DatesLesson:
    """The encoder-decoder of sections 3-6: dates in words (or characters) -> digits."""

    tokens: str = "chars"  # one input token per character, or per word
    min_words: int = SHORTEST  # shortest date, in words
    max_words: int = LONGEST  # longest date, in words
    cell: str = "gru"  # encoder and decoder cell
    attention: str = "dot"  # "none" | "dot" | "additive"
    lr: float = 5e-3  # Adam learning rate
    batch_size: int = 64  # dates per training batch
    log_every: int = 10  # training steps between history rows
    checkpoint_every: int = 25  # training steps between the checkpoints section 5 slides through
    seed: int = 0  # initial weights, batches and the example dates
    sampling: str = "teacher"  # decoder input in training: "teacher" forcing or "scheduled" sampling

    def __post_init__(self) -> None:
        if self.sampling not in SCHEDULES:
            raise InputError(f"training input must be 'teacher' or 'scheduled', not {self.sampling!r}")
        if self.tokens not in TOKENS:
            raise InputError(f"input tokens must be 'chars' or 'words', not {self.tokens!r}")
        check_int("the shortest input (words)", self.min_words, SHORTEST, LONGEST)
        check_int("the longest input (words)", self.max_words, SHORTEST, LONGEST)
        if self.min_words > self.max_words:
            raise InputError(
                f"the shortest input ({self.min_words} words) must not be longer than the longest "
                f"({self.max_words} words)"
            )
        if self.cell not in CELLS:
            raise InputError(f"the cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        _attention(self.attention)
        check_int("batch size", self.batch_size, 1, 1024)

    def task(self) -> DateTask:
        return DateTask(
            min_words=self.min_words, max_words=self.max_words, tokens=self.tokens, seed=self.seed
        )

    def model_config(self) -> Seq2SeqConfig:
        return Seq2SeqConfig.for_task(
            self.task(), cell=self.cell, attention=self.attention, seed=self.seed, sampling=self.sampling
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
        return Trainer(Seq2Seq(self.model_config()), self.task(), self.train_config())


@dataclass(frozen=True)
class CaptionsLesson:
    """The captioner of section 7: a picture's grid cells -> a caption, word by word."""

    attention: str = "additive"  # "dot" | "additive" ("none": the caption is read from d_0 alone)
    hidden_size: int = 64  # H: size of e_t and d_s
    attn_size: int = 64  # hidden size of the additive scorer
    lr: float = 5e-3  # Adam learning rate
    batch_size: int = 64  # pictures per training batch
    seed: int = 0  # initial weights, batches and the example pictures

    def __post_init__(self) -> None:
        _attention(self.attention)
        check_int("hidden size", self.hidden_size, 2, 512)
        check_int("attention size", self.attn_size, 2, 512)
        check_int("batch size", self.batch_size, 1, 1024)

    def task(self) -> CaptionTask:
        return CaptionTask(seed=self.seed)

    def model_config(self) -> CaptionConfig:
        return CaptionConfig.for_task(
            self.task(),
            attention=self.attention,
            hidden_size=self.hidden_size,
            attn_size=self.attn_size,
            seed=self.seed,
        )

    def trainer(self) -> Trainer:
        cfg = TrainConfig(lr=self.lr, batch_size=self.batch_size, seed=self.seed)
        return Trainer(CaptionModel(self.model_config()), self.task(), cfg)
