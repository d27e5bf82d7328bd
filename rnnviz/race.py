"""The race of lesson 10: the cells of lessons 4-6 and the x_t-only cells on the same tasks and seed.

Two tasks, each cell trained from scratch with the same recipe, data stream and seed:

- remember-the-first-word (``FirstWord``, 4 countries, chance 0.25) at a lag, with lesson 4's
  curriculum (``memory_lag.LagCurriculum``: start at lag 5, x1.5 once solved); the curve is the
  held-out accuracy at the target lag (a fixed set of sentences) against training steps and seconds;
- the nested-markup language model of lesson 3; the curve is held-out bits per character
  (cross-entropy / ln 2 on fixed validation windows).

Every cell has the same H, so the parameter counts differ (an LSTM has 4 blocks of weights, the
minGRU 2 and no W_hh): each curve states its own. Seconds are training time on the machine that ran
it (evaluation excluded), so they compare cells of one run only. ``python -m bench modern_race``
writes ``assets/modern_race.json``; ``summary`` turns a report into sentences true of its numbers.

>>> curve = memory_curve("selective", lag=5, recipe=RaceRecipe(steps=20, eval_every=10, hidden_size=8))
>>> curve.steps, len(curve.metric), curve.metric_name
([0, 10, 20], 3, 'accuracy')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from rnnviz.cells import CELLS
from rnnviz.errors import InputError
from rnnviz.lessons.memory_lag import LagCurriculum, LagRecipe
from rnnviz.model import ModelConfig, SeqModel, param_count
from rnnviz.tasks import CharLM, FirstWord
from rnnviz.tasks.base import check_int
from rnnviz.tasks.markup import markup
from rnnviz.train import TrainConfig, Trainer

RACE_CELLS = ("rnn_tanh", "lstm", "gru", "min_gru", "min_lstm", "selective")
LAGS = (10, 50, 100, 200)
N_COUNTRIES = 4
MARKUP_LINES, MARKUP_DEPTH = 4000, 4  # lesson 3's generator and depth, fewer lines


@dataclass(frozen=True)
class RaceRecipe:
    hidden_size: int = 32  # H for every cell
    lr: float = 1e-2  # Adam
    batch_size: int = 32
    clip: float = 1.0  # max gradient norm
    forget_bias: float = 1.0  # LSTM only (the other cells have no forget row to bias)
    steps: int = 600  # training steps per curve
    eval_every: int = 50  # a curve point every this many steps (and one at step 0)
    eval_sentences: int = 256  # held-out sentences (memory) or windows (markup) per point
    seq_len: int = 64  # markup: characters per window

    def __post_init__(self) -> None:
        check_int("hidden size", self.hidden_size, 1, 512)
        check_int("steps", self.steps, 1, 100_000)
        check_int("steps between points", self.eval_every, 1, self.steps)


@dataclass(frozen=True)
class RaceCurve:
    cell: str
    task: str  # "first_word lag 50" | "markup"
    metric_name: str  # "accuracy" (higher is better) | "bits per character" (lower is better)
    steps: list[int]  # training step of each point, from 0
    seconds: list[float]  # training seconds at each point
    metric: list[float]  # held-out metric at each point
    params: int  # the model's parameter count
    chance: float | None = None  # accuracy of guessing (memory task)

    @property
    def final(self) -> float:
        return self.metric[-1]

    def as_dict(self) -> dict:
        return asdict(self)


def _check_cell(cell: str) -> None:
    if cell not in CELLS:
        raise InputError(f"unknown cell {cell!r}; the race runs {', '.join(RACE_CELLS)}")


def _train_curve(trainer: Trainer, recipe: RaceRecipe, score, callback=None) -> tuple[list, list, list]:
    steps, seconds, metric = [0], [0.0], [score()]
    while trainer.step < recipe.steps:
        n = min(recipe.eval_every, recipe.steps - trainer.step)
        result = trainer.run(n, 3600.0, callback=callback)
        steps.append(trainer.step)
        seconds.append(round(trainer.seconds, 3))
        metric.append(score())
        if result.status == "diverged":
            break
    return steps, seconds, metric


def _trainer(model: SeqModel, train_on, held_out_of, recipe: RaceRecipe, seed: int):
    """The race's one training recipe for ``model`` on ``train_on``, and the held-out batch of
    ``held_out_of`` it is scored on (the same sentences for every cell: seeded by ``seed``)."""
    cfg = TrainConfig(
        lr=recipe.lr,
        batch_size=recipe.batch_size,
        clip=recipe.clip,
        seed=seed,
        log_every=10,
        checkpoint_every=0,
    )
    held_out = held_out_of.batch(
        recipe.eval_sentences, torch.Generator().manual_seed(seed + 104_729), split="val"
    )
    return Trainer(model, train_on, cfg), held_out


def memory_curve(cell: str, lag: int, recipe: RaceRecipe = RaceRecipe(), seed: int = 0) -> RaceCurve:
    """One cell on remember-the-first-word at ``lag``: held-out accuracy over training."""
    _check_cell(cell)
    lag = check_int("lag", lag, 1, 500)
    target = FirstWord(lag=lag, n_countries=N_COUNTRIES)
    lag_recipe = LagRecipe(hidden_size=recipe.hidden_size, n_countries=N_COUNTRIES, curriculum=True)
    curriculum = LagCurriculum(lag, lag_recipe, seed)
    forget = recipe.forget_bias if CELLS[cell].has_cell_state else 0.0
    model = SeqModel(
        ModelConfig.for_task(target, cell=cell, hidden_size=recipe.hidden_size, forget_bias=forget, seed=seed)
    )
    trainer, held_out = _trainer(model, curriculum, target, recipe, seed)

    @torch.no_grad()
    def accuracy() -> float:
        model.eval()
        acc = model.loss(held_out)[1]["acc"]
        model.train()
        return round(float(acc), 4)

    steps, seconds, metric = _train_curve(trainer, recipe, accuracy, callback=curriculum)
    return RaceCurve(
        cell, f"first_word lag {lag}", "accuracy", steps, seconds, metric, param_count(model), 1 / N_COUNTRIES
    )


def markup_task(seq_len: int = 64) -> CharLM:
    """Lesson 3's nested markup (depth 4), 4000 lines: the same text for every cell."""
    return CharLM(text=markup(n_lines=MARKUP_LINES, max_depth=MARKUP_DEPTH, seed=0), seq_len=seq_len)


def markup_curve(
    cell: str, recipe: RaceRecipe = RaceRecipe(), seed: int = 0, task: CharLM | None = None
) -> RaceCurve:
    """One cell as a character model of the markup text: held-out bits per character over training."""
    _check_cell(cell)
    task = task or markup_task(recipe.seq_len)
    model = SeqModel(ModelConfig.for_task(task, cell=cell, hidden_size=recipe.hidden_size, seed=seed))
    trainer, held_out = _trainer(model, task, task, recipe, seed)

    @torch.no_grad()
    def bits() -> float:
        model.eval()
        loss = float(model.loss(held_out)[0])  # mean cross-entropy in nats per character
        model.train()
        return round(loss / math.log(2), 4)  # bits = nats / ln 2

    steps, seconds, metric = _train_curve(trainer, recipe, bits)
    return RaceCurve(cell, "markup", "bits per character", steps, seconds, metric, param_count(model))


def run_race(cells=RACE_CELLS, lags=LAGS, recipe: RaceRecipe = RaceRecipe(), seed: int = 0) -> dict:
    """Every cell on every lag and on the markup text: a JSON-able report."""
    task = markup_task(recipe.seq_len)
    return {
        "recipe": asdict(recipe),
        "seed": seed,
        "cells": {c: CELLS[c].title for c in cells},
        "lags": list(lags),
        "memory": {
            str(lag): {c: memory_curve(c, lag, recipe, seed).as_dict() for c in cells} for lag in lags
        },
        "markup": {c: markup_curve(c, recipe, seed, task).as_dict() for c in cells},
    }


SOLVED = 0.9  # held-out accuracy that counts as solved in the summary


def solved_at(curve: dict) -> int | None:
    """The first curve point's step with held-out accuracy >= SOLVED, or None."""
    return next((s for s, a in zip(curve["steps"], curve["metric"], strict=True) if a >= SOLVED), None)


def _part(title: str, curve: dict, n: int, fmt: str) -> str:
    stopped = f" (diverged: stopped at step {curve['steps'][-1]})" if curve["steps"][-1] < n else ""
    first = solved_at(curve) if curve.get("chance") is not None else None
    when = f" (first >= {SOLVED:.0%} at step {first})" if first is not None else ""
    return f"{title} {format(curve['metric'][-1], fmt)}{when}{stopped}"


def summary(report: dict) -> list[str]:
    """One sentence per lag and one for the markup text, from the report's own numbers: each cell's
    final held-out accuracy (and the first step it was >= 90%), or its final bits per character."""
    titles = report["cells"]
    out = []
    for lag, curves in report["memory"].items():
        # best final accuracy first; among equals, the one that got there in fewer steps
        ranked = sorted(curves.values(), key=lambda c: (-c["metric"][-1], solved_at(c) or math.inf))
        chance, n = ranked[0]["chance"], max(c["steps"][-1] for c in ranked)
        above = sum(c["metric"][-1] >= chance + 0.25 for c in ranked)
        parts = ", ".join(_part(titles[c["cell"]], c, n, ".0%") for c in ranked)
        verdict = (
            f"{above} of {len(ranked)} cells {'is' if above == 1 else 'are'} at least 25 points above chance."
            if above
            else "no cell is 25 points above chance."
        )
        out.append(f"Lag {lag}, after {n} steps: {parts} (chance {chance:.0%}); {verdict}")
    ranked = sorted(report["markup"].values(), key=lambda c: c["metric"][-1])
    n = max(c["steps"][-1] for c in ranked)
    parts = ", ".join(_part(titles[c["cell"]], c, n, ".2f") for c in ranked)
    out.append(f"Markup, held-out bits per character after {n} steps (lower is better): {parts}.")
    return out
