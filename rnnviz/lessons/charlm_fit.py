"""Lesson 3: notice overfitting from the trainer's history, keep the best held-out checkpoint.

A language model trained long on a short text learns its training part by heart: the training
loss keeps falling while the held-out bits per character (the last 10% of the text) rise again.

    tracker = FitTracker()
    tracker.observe(trainer)            # held-out bits/char of every checkpoint not yet measured
    fit = tracker.report(trainer)       # best checkpoint, the rise since, the training loss meanwhile
    fit.overfitting, fit.sentence()

The tracker measures each checkpoint as it appears (call ``observe`` from the training callback),
so a checkpoint the trainer later thins out keeps its point on the curve, and the best one keeps its
weights for sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rnnviz.errors import InputError
from rnnviz.lessons.charlm import LMSettings, bits_per_char
from rnnviz.model import SeqModel
from rnnviz.train import Trainer

HELD_OUT_CHARS = 5000  # held-out characters each checkpoint is measured on (the page's metric too)
RISE_BITS = 0.02  # a rise of at least this many bits/char above the best counts (not noise: same text)
MIN_HELD_OUT = 2  # characters of held-out text needed to measure anything


def train_bits_at(trainer: Trainer, step: int, window: int = 100) -> float:
    """Mean training loss of the history rows in (step - window, step], in bits per character (NaN if none).

    Each row's loss is a batch mean of L_t in nats, so bits = nats / ln 2."""
    losses = [r.loss for r in trainer.history if step - window < r.step <= step]
    return float(np.mean(losses) / math.log(2)) if losses else float("nan")


@dataclass
class FitTracker:
    """Held-out bits per character of a trainer's checkpoints, and the weights of the best one."""

    max_chars: int = HELD_OUT_CHARS
    curve: dict[int, float] = field(default_factory=dict)  # checkpoint step -> held-out bits/char
    best_state: dict | None = None  # weights of the checkpoint with the lowest held-out bits/char

    @property
    def best_step(self) -> int | None:
        return min(self.curve, key=lambda s: (self.curve[s], s)) if self.curve else None

    def observe(self, trainer: Trainer) -> None:
        """Measure every checkpoint of ``trainer`` not measured yet; keep the best one's weights."""
        if trainer.task.split_sizes["val"] < MIN_HELD_OUT:
            return
        for step, state in trainer.checkpoints:
            if step in self.curve:
                continue
            model = SeqModel(trainer.model.cfg)
            model.load_state_dict(state)
            best_before = self.best_step
            self.curve[step] = bits_per_char(model, trainer.task, "val", self.max_chars)
            if self.best_step != best_before:
                self.best_state = {k: v.clone() for k, v in state.items()}

    def best_model(self, cfg) -> SeqModel:
        if self.best_state is None:
            raise InputError("no checkpoint has been measured on the held-out text yet")
        model = SeqModel(cfg)
        model.load_state_dict(self.best_state)
        model.eval()
        return model

    def report(self, trainer: Trainer) -> FitReport | None:
        """What the curve says so far; None before two checkpoints have been measured."""
        if len(self.curve) < 2:
            return None
        steps = sorted(self.curve)
        best, latest = self.best_step, steps[-1]
        return FitReport(
            steps=tuple(steps),
            held_out=tuple(self.curve[s] for s in steps),
            train=tuple(train_bits_at(trainer, s) for s in steps),
            best_step=best,
            latest_step=latest,
        )


@dataclass(frozen=True)
class FitReport:
    steps: tuple[int, ...]  # checkpoint steps measured, in order
    held_out: tuple[float, ...]  # held-out bits per character at each
    train: tuple[float, ...]  # mean training loss in bits/char over the 100 steps before each (NaN at 0)
    best_step: int  # checkpoint with the lowest held-out bits/char
    latest_step: int

    def at(self, step: int) -> tuple[float, float]:
        i = self.steps.index(step)
        return self.held_out[i], self.train[i]

    @property
    def rise(self) -> float:
        """Held-out bits/char now minus at the best checkpoint (>= 0)."""
        return self.at(self.latest_step)[0] - self.at(self.best_step)[0]

    @property
    def overfitting(self) -> bool:
        """Held-out bits/char rose >= RISE_BITS since the best checkpoint while the training loss fell."""
        (_, train_best), (_, train_now) = self.at(self.best_step), self.at(self.latest_step)
        train_fell = math.isnan(train_best) or train_now < train_best  # best at step 0: no row before it
        return self.latest_step > self.best_step and self.rise >= RISE_BITS and train_fell

    def sentence(self) -> str:
        """The page's words for the curve, computed from its numbers."""
        (val_best, train_best), (val_now, train_now) = self.at(self.best_step), self.at(self.latest_step)
        if self.overfitting:
            since = (
                f" while the training loss fell from {train_best:.3f} to {train_now:.3f} bits per character"
                if not math.isnan(train_best)
                else f" while the training loss fell to {train_now:.3f} bits per character"
            )
            return (
                f"**The model is overfitting.** Since step {self.best_step} the held-out bits per character "
                f"rose from {val_best:.3f} to {val_now:.3f}{since}: it is learning the training part of this "
                "text by heart, not rules that carry over to text it has not seen. So far, more training has "
                f"made it worse. The views below use the best checkpoint, step {self.best_step}. To do "
                "better: stop here (train no further), use fewer hidden units H, or give it a longer text."
            )
        if self.latest_step == self.best_step:
            return (
                f"No sign of overfitting yet: the held-out bits per character is at its lowest so far "
                f"({val_now:.3f} at step {self.latest_step})."
            )
        return (
            f"The held-out bits per character is {val_now:.3f} at step {self.latest_step}, "
            f"{self.rise:.3f} above its lowest ({val_best:.3f} at step {self.best_step}): less than the "
            f"{RISE_BITS} bits that this page counts as overfitting, so far."
        )


SIZE_CLASSES = ((20_000, 32), (200_000, 64))  # (texts shorter than this many characters, H)
SIZE_HELP = (
    "For your own text H starts by its size: 32 units under 20,000 characters, 64 under 200,000, else 128 "
    "(the built-in texts' tuned value). A large model learns a short text by heart sooner."
)


def settings_for_text(n_chars: int) -> LMSettings:
    """Defaults for a text of ``n_chars`` characters: a smaller H for a shorter text.

    Measured on ``records_text`` (bench/charlm.py, ``own_text``): on 12,000 characters H = 128
    reached its best held-out 0.866 bits per character near step 400 and rose to 1.24 by step 1,600,
    while H = 32 reached 0.856 near step 1,000 and stayed under 0.88; on 50,000 characters H = 64 and
    128 were level (0.83) after 3,000 steps. The tuned defaults (H = 128) are for the built-in texts of
    300,000+ characters."""
    for limit, hidden in SIZE_CLASSES:
        if n_chars < limit:
            return LMSettings(hidden_size=hidden)
    return LMSettings()


def saved_states(trainer: Trainer, tracker: FitTracker) -> dict[int, dict]:
    """step -> weights of every checkpoint the trainer holds, plus the tracker's best one (kept even
    when the trainer has thinned it out)."""
    saved = dict(trainer.checkpoints)
    if tracker.best_state is not None:
        saved.setdefault(tracker.best_step, tracker.best_state)
    if not saved:
        raise InputError("this model has no checkpoints: train it first")
    return saved


def model_from_state(cfg, state: dict) -> SeqModel:
    """A model of ``cfg`` with the weights ``state``, in eval mode (the trainer's model is untouched)."""
    model = SeqModel(cfg)
    model.load_state_dict(state)
    model.eval()
    return model
