"""The race: every cell trains on the same data with the same recipe; the curves and the summary are true."""

import json
import math
from pathlib import Path

import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel, param_count
from rnnviz.race import (
    LAGS,
    RACE_CELLS,
    RaceRecipe,
    markup_curve,
    markup_task,
    memory_curve,
    solved_at,
    summary,
)
from rnnviz.tasks import FirstWord

TINY = RaceRecipe(steps=20, eval_every=10, hidden_size=8, eval_sentences=64, seq_len=16)
ASSET = Path(__file__).resolve().parents[1] / "assets" / "modern_race.json"


@pytest.mark.parametrize("cell", ["min_gru", "lstm"])
def test_a_memory_curve_is_held_out_accuracy_over_training(cell):
    curve = memory_curve(cell, lag=6, recipe=TINY, seed=1)
    assert curve.steps == [0, 10, 20] and curve.seconds[0] == 0.0
    assert curve.seconds == sorted(curve.seconds) and curve.seconds[-1] > 0
    assert all(0 <= a <= 1 for a in curve.metric) and curve.chance == 0.25
    cfg = ModelConfig.for_task(FirstWord(lag=6, n_countries=4), cell=cell, hidden_size=8)
    assert curve.params == param_count(SeqModel(cfg))
    # the first point is the untrained model (seed 1) on the held-out sentences the curve uses
    task = FirstWord(lag=6, n_countries=4)
    model = SeqModel(ModelConfig.for_task(task, cell=cell, hidden_size=8, seed=1, forget_bias=1.0))
    held = task.batch(64, torch.Generator().manual_seed(1 + 104_729), split="val")
    with torch.no_grad():
        assert curve.metric[0] == round(model.loss(held)[1]["acc"], 4)
    again = memory_curve(cell, lag=6, recipe=TINY, seed=1)
    assert again.metric == curve.metric  # same seed, same data, same curve


def test_a_markup_curve_is_bits_per_character():
    task = markup_task(16)
    curve = markup_curve("selective", TINY, seed=0, task=task)
    assert curve.metric_name == "bits per character" and curve.steps == [0, 10, 20]
    model = SeqModel(ModelConfig.for_task(task, cell="selective", hidden_size=8, seed=0))
    held = task.batch(64, torch.Generator().manual_seed(104_729), split="val")
    with torch.no_grad():  # the untrained model: cross-entropy in nats / ln 2
        assert curve.metric[0] == round(float(model.loss(held)[0]) / math.log(2), 4)
    assert curve.metric[-1] < curve.metric[0]


def test_unknown_cells_and_bad_recipes_are_input_errors():
    with pytest.raises(InputError):
        memory_curve("transformer", 5, TINY)
    with pytest.raises(InputError):
        RaceRecipe(steps=10, eval_every=20)


def _report(finals: dict, bits: dict, steps=600) -> dict:
    def curve(cell, value, name, chance=None, n=steps):
        return {"cell": cell, "metric": [0.3, value], "steps": [0, n], "chance": chance, "metric_name": name}

    return {
        "cells": {"gru": "GRU", "min_gru": "minGRU"},
        "memory": {"50": {c: curve(c, v, "accuracy", 0.25) for c, v in finals.items()}},
        "markup": {c: curve(c, v, "bits per character") for c, v in bits.items()},
    }


def test_the_summary_ranks_by_the_final_numbers_and_counts_cells_above_chance():
    lines = summary(_report({"gru": 0.98, "min_gru": 0.31}, {"gru": 1.9, "min_gru": 2.4}))
    assert lines[0] == (
        "Lag 50, after 600 steps: GRU 98% (first >= 90% at step 600), minGRU 31% (chance 25%); "
        "1 of 2 cells is at least 25 points above chance."
    )
    assert (
        lines[1]
        == "Markup, held-out bits per character after 600 steps (lower is better): GRU 1.90, minGRU 2.40."
    )
    flipped = summary(_report({"gru": 0.26, "min_gru": 0.27}, {"gru": 2.5, "min_gru": 2.4}))
    assert flipped[0].endswith("minGRU 27%, GRU 26% (chance 25%); no cell is 25 points above chance.")
    assert flipped[1].endswith("minGRU 2.40, GRU 2.50.")


@pytest.mark.skipif(not ASSET.exists(), reason="assets/modern_race.json not generated yet")
def test_the_cached_race_covers_every_cell_and_lag_and_its_summary_reads_from_it():
    report = json.loads(ASSET.read_text())
    assert tuple(report["cells"]) == RACE_CELLS and report["lags"] == list(LAGS)
    recipe = RaceRecipe(**report["recipe"])
    for lag in LAGS:
        for cell in RACE_CELLS:
            c = report["memory"][str(lag)][cell]
            assert c["cell"] == cell and c["task"] == f"first_word lag {lag}"
            assert c["steps"][0] == 0 and all(0 <= a <= 1 for a in c["metric"])
            assert c["steps"][-1] == recipe.steps or c["metric"][-1] != c["metric"][-1]  # full run (or NaN)
    for cell in RACE_CELLS:
        cfg = ModelConfig.for_task(markup_task(recipe.seq_len), cell=cell, hidden_size=recipe.hidden_size)
        assert report["markup"][cell]["params"] == param_count(SeqModel(cfg))
    lines = summary(report)
    assert len(lines) == len(LAGS) + 1
    curves = report["memory"]["200"]
    best = min(RACE_CELLS, key=lambda c: (-curves[c]["metric"][-1], solved_at(curves[c]) or math.inf))
    assert lines[LAGS.index(200)].startswith(f"Lag 200, after {recipe.steps} steps: {report['cells'][best]} ")


def test_ties_are_ranked_by_the_first_step_at_90_percent():
    report = _report({"gru": 1.0, "min_gru": 1.0}, {"gru": 1.0, "min_gru": 1.0})
    report["memory"]["50"]["min_gru"].update(steps=[0, 50, 600], metric=[0.25, 0.95, 1.0])
    report["memory"]["50"]["gru"].update(steps=[0, 300, 600], metric=[0.25, 0.5, 1.0])
    assert solved_at(report["memory"]["50"]["min_gru"]) == 50
    assert summary(report)[0].startswith(
        "Lag 50, after 600 steps: minGRU 100% (first >= 90% at step 50), GRU 100% (first >= 90% at step 600)"
    )
