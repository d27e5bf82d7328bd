"""Lesson 6 figures: long-range agreement for the GRU, the LSTM and the Elman RNN at the page's budget.

Each seed builds the page's three models (rnnviz.lessons.agreement.AgreementLesson, H = 8, clauses
of 4 to 12 words, attractors 0.5) and trains them with the page's click budget in steps (150 a
click; a step budget, so the figures do not depend on how busy the machine is), after 1 and 3
clicks. Reported per cell: held-out accuracy at each clause length of LENGTHS (256 sentences each,
the page's curve), how many units reach |r_j| >= 0.5, the GRU's mean z_t on its number units after
the subject (the course draws 1), and over CLAMP_SENTENCES held-out sentences how often clamping the
number units flips the verb (every word from the subject on; at the subject only) against the
control (as many least-correlated units). ``python -m bench agreement --threads 1``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from rnnviz.lessons.agreement import CELLS, LENGTHS, AgreementLesson, accuracy_by_length
from rnnviz.lessons.agreement_clamp import clamp_number, weakest
from rnnviz.lessons.agreement_units import gate_story, number_units

CLICK_STEPS = 150  # the page's AGREE_STEPS
CLICKS = (1, 3)
SEEDS = (0, 1, 2, 3, 4)
CLAMP_SENTENCES = 50


def _clamps(model, task, found, seed: int) -> dict:
    g = torch.Generator().manual_seed(31_337 + seed)
    batch = task.batch(CLAMP_SENTENCES, g, split="val")
    texts = [task.decode(batch.x[i]) for i in range(CLAMP_SENTENCES)]
    control = weakest(found.r, len(found.units))
    flips = {"all": 0, "subject": 0, "control_all": 0}
    for text in texts:
        flips["all"] += clamp_number(model, task, text, found.units, "all").flipped
        flips["subject"] += clamp_number(model, task, text, found.units, "subject").flipped
        flips["control_all"] += clamp_number(model, task, text, control, "all").flipped
    return {k: v / CLAMP_SENTENCES for k, v in flips.items()}


def _mean_z_after_subject(model, task, units, seed: int) -> float:
    g = torch.Generator().manual_seed(271_828 + seed)
    batch = task.batch(CLAMP_SENTENCES, g, split="val")
    zs = [
        gate_story(model, task, task.decode(batch.x[i]), units).keep_steps().mean() for i in range(len(batch))
    ]
    return float(np.mean(zs))


def run(seeds=SEEDS, clicks=CLICKS, steps: int = CLICK_STEPS) -> dict:
    start = time.perf_counter()
    per: dict = {}
    for seed in seeds:
        for name, cell in CELLS.items():
            cfg = AgreementLesson(cell=cell, seed=seed)
            trainer, task = cfg.trainer(), cfg.task()
            done = 0
            for n in clicks:
                trainer.run(n * steps - done, 1e9)
                done = n * steps
                found = number_units(trainer.model, task)
                row = {
                    "acc": accuracy_by_length(trainer.model, task),
                    "units_r_ge_0.5": int(np.sum(np.abs(found.r) >= 0.5)),
                    "flip_rate": _clamps(trainer.model, task, found, seed),
                }
                if cell == "gru":
                    row["mean_z_after_subject"] = _mean_z_after_subject(
                        trainer.model, task, found.units, seed
                    )
                per.setdefault(f"{n}_click", {}).setdefault(name, []).append(row)
    summary: dict = {}
    for click, cells in per.items():
        summary[click] = {}
        for name, rows in cells.items():
            s = {
                "acc_by_length_mean": {
                    L: round(statistics.mean(r["acc"][L] for r in rows), 3) for L in LENGTHS
                },
                "acc_by_length_min": {L: round(min(r["acc"][L] for r in rows), 3) for L in LENGTHS},
                "units_r_ge_0.5_mean": statistics.mean(r["units_r_ge_0.5"] for r in rows),
                "flip_rate_mean": {
                    k: round(statistics.mean(r["flip_rate"][k] for r in rows), 3)
                    for k in rows[0]["flip_rate"]
                },
            }
            if name == "GRU":
                s["mean_z_after_subject"] = [round(r["mean_z_after_subject"], 3) for r in rows]
            summary[click][name] = s
    return {
        "task": "agreement: clauses of 4-12 words, attractors 0.5, H = 8; chance 0.5",
        "steps_per_click": steps,
        "seeds": list(seeds),
        "lengths": list(LENGTHS),
        "summary": summary,
        "seconds": round(time.perf_counter() - start, 1),
    }
