"""Lesson 4, short vs long memory: RNN, LSTM and GRU trained on remember-the-first-word at a lag.

"I grew up in France ... I speak fluent French": the label is the first word's language, read
``lag`` words later (``rnnviz.tasks.FirstWord``). One point of the accuracy-vs-lag chart is one
cell trained from scratch at one lag within a budget, then scored on 512 held-out sentences at
that lag (chance = 1 / n_countries).

The recipe is what practitioners do: Adam, gradient clipping at 1.0, forget-gate bias 1 (LSTM),
and optionally a curriculum on the lag: train at ``start_lag`` first and multiply the lag by
``grow`` each time two logged training batches in a row are >= 95% right, up to the target lag.
Each curriculum batch draws its lag from [L/2, L], L the current lag, so shorter gaps stay in the mix.

>>> point = measure("gru", lag=10, recipe=LagRecipe(), seed=0, max_steps=150, max_seconds=600)
>>> point.acc, point.chance, point.reached_lag      # a GRU solves lag 10 in 150 steps
(1.0, 0.25, 10)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.errors import InputError
from rnnviz.lessons.gate_paths import gate_path
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks import FirstWord
from rnnviz.tasks.base import Batch, check_int
from rnnviz.trace import trace
from rnnviz.train import LogRow, TrainConfig, Trainer

LAG_CELLS = ("rnn_tanh", "lstm", "gru")  # the three cells compared, one curve each
CELL_NAMES = {"rnn_tanh": "RNN", "lstm": "LSTM", "gru": "GRU"}
MAX_LAG = 200


@dataclass(frozen=True)
class LagRecipe:
    curriculum: bool = True  # start at short lags and lengthen them as they are solved
    hidden_size: int = 64  # H, units of each cell
    lr: float = 1e-2  # Adam learning rate
    batch_size: int = 32  # sentences per step
    clip: float = 1.0  # max gradient norm
    forget_bias: float = 1.0  # added to the LSTM forget-gate bias at init: f starts near sigma(1) = 0.73
    n_countries: int = 4  # classes; chance accuracy is 1 / n_countries
    start_lag: int = 5  # curriculum: the first lag trained
    grow: float = 1.5  # curriculum: lag multiplied by this once solved
    solved_acc: float = 0.95  # curriculum: batch accuracy that counts as solved (twice in a row)
    eval_sentences: int = 512  # held-out sentences scored at the target lag

    def __post_init__(self) -> None:
        check_int("hidden size", self.hidden_size, 1, 512)
        check_int("start lag", self.start_lag, 1, MAX_LAG)
        if not self.grow > 1:
            raise InputError(f"the curriculum must lengthen the lag (grow > 1), not {self.grow}")

    def describe(self) -> str:
        how = (
            f"curriculum from lag {self.start_lag}, x{self.grow:g} when solved"
            if self.curriculum
            else "trained directly at the lag"
        )
        return (
            f"hidden {self.hidden_size}, Adam lr {self.lr:g}, batch {self.batch_size}, clip {self.clip:g}, "
            f"forget-gate bias {self.forget_bias:g} (LSTM), {how}"
        )


class LagCurriculum:
    """A task whose lag grows during training; ``batch`` follows the Task contract for the Trainer."""

    def __init__(self, target: int, recipe: LagRecipe, seed: int):
        self.target, self.recipe = target, recipe
        self.lag = min(recipe.start_lag, target) if recipe.curriculum else target
        self.tasks = {}  # lag -> FirstWord, built once each
        self.generator = torch.Generator().manual_seed(seed + 7_919)  # draws each batch's lag
        self.streak = 0  # logged batches in a row at or above solved_acc

    def task(self, lag: int) -> FirstWord:
        if lag not in self.tasks:
            self.tasks[lag] = FirstWord(lag=lag, n_countries=self.recipe.n_countries)
        return self.tasks[lag]

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        lag = self.lag
        if self.recipe.curriculum and lag > 1:
            lag = int(torch.randint(lag // 2, lag + 1, (1,), generator=self.generator))
        return self.task(max(lag, 1)).batch(batch_size, generator, split)

    def __call__(self, trainer: Trainer, row: LogRow) -> None:
        """Trainer callback: lengthen the lag once the current one is solved."""
        self.streak = self.streak + 1 if row.metrics.get("acc", 0.0) >= self.recipe.solved_acc else 0
        if self.streak >= 2 and self.lag < self.target:
            self.lag = min(self.target, math.ceil(self.lag * self.recipe.grow))
            self.streak = 0


@dataclass(frozen=True)
class LagPoint:
    cell: str  # "rnn_tanh" | "lstm" | "gru"
    lag: int  # target lag: words between the country and the query
    acc: float  # held-out accuracy at the target lag
    acc_half: float  # the same model on sentences with half the lag (at least 1)
    acc_double: float  # ... and with twice the lag: did it learn to remember, or to count to the lag?
    loss: float  # held-out cross-entropy at the target lag
    chance: float  # 1 / n_countries
    steps: int  # training steps taken
    seconds: float  # wall time of training (evaluation excluded)
    reached_lag: int  # the lag the curriculum had reached (= lag without a curriculum)
    status: str  # "done" (step budget used) | "budget" (time budget used) | "diverged"
    latched: float  # share of (sentence, unit) pairs whose sign of h_t stays fixed over all distractors
    saturated: float  # share of h_t entries with |h_t| > 0.99 (tanh saturated: 1 - h^2 < 0.02)
    grad_ratio: float | None  # ||dL/dh_1|| / ||dL/dh_T|| on one held-out sentence: the signal reaching word 1
    radius: float | None  # rho(W_hh) at the end, for the plain RNN (the gated cells stack gate blocks)
    path: float | None = None  # gated cells: the largest unit's prod_{t=2..T} f_t (LSTM) or z_t (GRU)

    def as_dict(self) -> dict:
        return asdict(self)


class LagRun:
    """One cell at one lag: ``run`` trains it within a budget, ``point()`` scores it on held-out sentences."""

    def __init__(self, cell: str, lag: int, recipe: LagRecipe = LagRecipe(), seed: int = 0):
        if cell not in LAG_CELLS:
            raise InputError(f"the lag experiment compares {LAG_CELLS}, not {cell!r}")
        self.cell, self.lag, self.recipe, self.seed = cell, check_int("lag", lag, 1, MAX_LAG), recipe, seed
        self.curriculum = LagCurriculum(lag, recipe, seed)
        target = FirstWord(lag=lag, n_countries=recipe.n_countries)
        forget = recipe.forget_bias if cell == "lstm" else 0.0
        cfg = ModelConfig.for_task(
            target, cell=cell, hidden_size=recipe.hidden_size, forget_bias=forget, seed=seed
        )
        train = TrainConfig(
            lr=recipe.lr,
            batch_size=recipe.batch_size,
            clip=recipe.clip,
            seed=seed,
            log_every=10,
            checkpoint_every=0,
        )
        self.trainer = Trainer(SeqModel(cfg), self.curriculum, train)
        self.status = "done"

    def run(self, max_steps: int, max_seconds: float, callback=None) -> LagPoint:
        """Train within the budget (``callback(trainer, row)`` sees every logged row), then score."""

        def both(trainer: Trainer, row: LogRow) -> None:
            self.curriculum(trainer, row)
            if callback:
                callback(trainer, row)

        self.status = self.trainer.run(max_steps, max_seconds, callback=both).status
        return self.point()

    @torch.no_grad()
    def point(self) -> LagPoint:
        """Held-out accuracy at the target lag (a fixed set of sentences for every cell and recipe), at
        half and twice the lag, and the gradient reaching the first word of one held-out sentence."""
        task = FirstWord(lag=self.lag, n_countries=self.recipe.n_countries)
        model = self.trainer.model
        model.eval()
        scores = {}
        for lag in (self.lag, max(1, self.lag // 2), 2 * self.lag):
            held_out = torch.Generator().manual_seed(self.seed + 104_729)
            other = FirstWord(lag=lag, n_countries=self.recipe.n_countries)
            scores[lag] = model.loss(other.batch(self.recipe.eval_sentences, held_out, split="val"))
        model.train()
        loss, metrics = scores[self.lag]
        held_out = torch.Generator().manual_seed(self.seed + 104_729)
        h, _ = model.features(task.batch(self.recipe.eval_sentences, held_out, split="val").x)  # (B, T, H)
        # a latch: the unit's sign after the first word never changes while the distractors pass
        middle = torch.sign(h[:, 1:-1])
        latched = float((middle == middle[:, :1]).all(dim=1).float().mean())
        saturated = float((h.abs() > 0.99).float().mean())
        probe = task.example(0, split="val")
        g = trace(model, probe.x[0], probe.y[0], grad_of="final", jacobians=False).layer(0).grad_h_norm
        # ||dL/dh_1|| / ||dL/dh_T||: how much of the final loss's gradient reaches the first word
        ratio = float(f"{g[0] / g[-1]:.3g}") if g[-1] > 0 else None
        w_hh = model.layers[0].params(0)["weight_hh"].detach()
        radius = float(torch.linalg.eigvals(w_hh.double()).abs().max()) if self.cell == "rnn_tanh" else None
        path = (
            None if self.cell == "rnn_tanh" else gate_path(model, self.lag, self.recipe.n_countries).largest
        )
        return LagPoint(
            cell=self.cell,
            lag=self.lag,
            acc=round(float(metrics["acc"]), 4),
            acc_half=round(float(scores[max(1, self.lag // 2)][1]["acc"]), 4),
            acc_double=round(float(scores[2 * self.lag][1]["acc"]), 4),
            loss=round(float(loss), 4),
            chance=1 / self.recipe.n_countries,
            steps=self.trainer.step,
            seconds=round(self.trainer.seconds, 3),
            reached_lag=self.curriculum.lag,
            status=self.status,
            latched=round(latched, 3),
            saturated=round(saturated, 3),
            grad_ratio=ratio,
            radius=None if radius is None else round(radius, 3),
            path=None if path is None else float(f"{path:.3g}"),
        )


def measure(
    cell: str,
    lag: int,
    recipe: LagRecipe = LagRecipe(),
    seed: int = 0,
    max_steps: int = 600,
    max_seconds: float = 60.0,
    callback=None,
) -> LagPoint:
    """Train ``cell`` from scratch at ``lag`` within the budget and score it on held-out sentences."""
    return LagRun(cell, lag, recipe, seed).run(max_steps, max_seconds, callback)


def table(points: list[LagPoint]) -> dict[str, dict[int, float]]:
    """{cell: {lag: acc}} for a chart with one curve per cell (the last point per (cell, lag) wins)."""
    out: dict[str, dict[int, float]] = {}
    for p in points:
        out.setdefault(p.cell, {})[p.lag] = p.acc
    return {cell: dict(sorted(by_lag.items())) for cell, by_lag in out.items()}


SETTING = ("cell", "lag", "recipe", "budget", "seed")  # what makes a measured point the same measurement


def keep_point(points: list[dict], point: dict) -> None:
    """Add a measured point (``LagPoint.as_dict()`` + the page's recipe, budget and seed) to ``points``,
    in place: a point measured before at the same setting is replaced, not shown twice."""
    same = tuple(point[k] for k in SETTING)
    points[:] = [p for p in points if tuple(p[k] for k in SETTING) != same]
    points.append(point)


def curves(points: list[dict]) -> dict[str, dict[int, float]]:
    """{cell: {lag: acc}} of measured points (dicts), one curve per cell, sorted by lag."""
    out: dict[str, dict[int, float]] = {}
    for p in points:
        out.setdefault(p["cell"], {})[p["lag"]] = p["acc"]
    return {cell: dict(sorted(by_lag.items())) for cell, by_lag in out.items()}


def points_frame(points: list[dict]) -> pd.DataFrame:
    """Measured points (``LagPoint.as_dict()`` + the page's recipe, budget and seed) as a table,
    by lag then cell; a figure a cell has no meaning for (rho for a gated cell) is NaN."""

    def value(v) -> float:
        return np.nan if v is None else v

    return pd.DataFrame(
        [
            {
                "cell": CELL_NAMES[p["cell"]],
                "lag": p["lag"],
                "accuracy": p["acc"],
                "at half the lag": p["acc_half"],
                "at twice the lag": p["acc_double"],
                "steps": p["steps"],
                "seconds": p["seconds"],
                "lag the curriculum reached": p["reached_lag"],
                "units latched": p["latched"],
                "‖dL/dh_1‖ / ‖dL/dh_T‖": value(p["grad_ratio"]),
                "ρ(W_hh), RNN": value(p["radius"]),
                "largest path ∏ f_t (LSTM) / ∏ z_t (GRU)": value(p.get("path")),
                "cut by the time cap": p["status"] == "budget",
                "seed": p["seed"],
            }
            for p in sorted(points, key=lambda p: (p["lag"], LAG_CELLS.index(p["cell"])))
        ]
    )
