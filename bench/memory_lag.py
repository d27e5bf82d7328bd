"""Lesson 4 figures: accuracy vs lag on remember-the-first-word for RNN, LSTM and GRU.

Every point trains one cell from scratch at one lag for a fixed number of steps (a step budget,
so the numbers do not depend on how busy the machine is), then scores 512 held-out sentences at
that lag, and also at half and twice the lag (did the model learn to remember the word, or to
count to one lag?). Each point is repeated for SEEDS; the mean is reported with every seed's
value. Two recipes: a curriculum on the lag (the lesson's default) and training directly at the
lag. The seconds each point cost are reported too; they do depend on the machine. The result is
also written to ``assets/memory_lag.json``, which the lesson page shows as the offline table:
``python -m bench memory_lag`` regenerates it.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path

import torch

from rnnviz.lessons.memory_lag import CELL_NAMES, LAG_CELLS, LagRecipe, measure

LAGS = (5, 10, 20, 50, 100)
STEPS = 600  # training steps per point
SEEDS = (0, 1, 2)
RECIPES = {"curriculum": LagRecipe(curriculum=True), "direct": LagRecipe(curriculum=False)}
ASSET = Path(__file__).resolve().parents[1] / "assets" / "memory_lag.json"


def run(lags=LAGS, steps: int = STEPS, seeds=SEEDS, out: Path | None = ASSET) -> dict:
    start = time.perf_counter()
    report: dict = {
        "task": "first_word (remember the first word), 4 countries: chance accuracy 0.25",
        "steps_per_point": steps,
        "seeds": list(seeds),
        "eval_sentences": LagRecipe().eval_sentences,
        "lags": list(lags),
        "cells": {cell: CELL_NAMES[cell] for cell in LAG_CELLS},
        "recipes": {name: recipe.describe() for name, recipe in RECIPES.items()},
        "accuracy": {},  # recipe -> cell -> str(lag) -> mean held-out accuracy over seeds
        "accuracy_by_seed": {},  # recipe -> cell -> str(lag) -> [accuracy of each seed]
        "accuracy_half": {},  # recipe -> cell -> str(lag) -> mean accuracy of the same models at lag // 2
        "accuracy_double": {},  # recipe -> cell -> str(lag) -> mean accuracy at 2 * lag
        "seconds": {},  # recipe -> cell -> str(lag) -> mean seconds of training per point
        "points": [],  # every point: LagPoint fields + recipe and seed
    }
    for name, recipe in RECIPES.items():
        for key in ("accuracy", "accuracy_by_seed", "accuracy_half", "accuracy_double", "seconds"):
            report[key][name] = {cell: {} for cell in LAG_CELLS}
        for cell in LAG_CELLS:
            for lag in lags:
                points = [
                    measure(cell, lag, recipe, seed, max_steps=steps, max_seconds=3600) for seed in seeds
                ]
                accs = [p.acc for p in points]
                report["accuracy"][name][cell][str(lag)] = round(statistics.mean(accs), 4)
                report["accuracy_by_seed"][name][cell][str(lag)] = accs
                for key, field in (("accuracy_half", "acc_half"), ("accuracy_double", "acc_double")):
                    value = statistics.mean(getattr(p, field) for p in points)
                    report[key][name][cell][str(lag)] = round(value, 4)
                report["seconds"][name][cell][str(lag)] = round(statistics.mean(p.seconds for p in points), 3)
                for seed, p in zip(seeds, points, strict=True):
                    report["points"].append({"recipe": name, "seed": seed, **p.as_dict()})
    report["total_seconds"] = round(time.perf_counter() - start, 1)
    report["machine"] = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "processor": platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
    return report
