"""Lesson 6 figures: the grid LSTM against a stacked LSTM of the closest parameter count, at the page's
default budget.

Each seed builds the page's two models (rnnviz.lessons.grid_lesson.GridLesson: the copy task of 3
symbols of 4 after 5 blanks, H = 12 for the grid, L layers each) and trains both on the same batches
with the page's click budget in steps (200 a click; a step budget, so the accuracy does not depend on
how busy the machine is; the seconds are measured on top, one torch thread by default). Reported per
L and model: held-out accuracy and loss on the page's fixed draw (grid_lesson.score) after 1 and 2
clicks, mean and range over the seeds, how often the grid is ahead by TIE_POINTS or more, and the
training seconds of one click. ``python -m bench grid_lstm --threads 1``.
"""

from __future__ import annotations

import statistics
import time

from rnnviz.lessons.grid_lesson import MODELS, TIE_POINTS, GridLesson, score

CLICK_STEPS = 200  # the page's GRID_STEPS
CLICKS = (1, 2)
SEEDS = (0, 1, 2)
LAYERS = (2, 4)  # 4 is the page's default


def run(seeds=SEEDS, clicks=CLICKS, layers=LAYERS, steps: int = CLICK_STEPS) -> dict:
    start = time.perf_counter()
    out: dict = {}
    for L in layers:
        rows: dict = {}
        for seed in seeds:
            cfg = GridLesson(layers=L, seed=seed)
            trainers = {"grid LSTM": cfg.grid_trainer(), "stacked LSTM": cfg.stacked_trainer()}
            done = 0
            for n in clicks:
                for name, tr in trainers.items():
                    t0 = time.perf_counter()
                    tr.run(n * steps - done, 1e9)
                    if n == clicks[0]:
                        rows.setdefault("click_seconds", {}).setdefault(name, []).append(
                            time.perf_counter() - t0
                        )
                done = n * steps
                s = score({k: tr.model for k, tr in trainers.items()}, cfg.task(), seed)
                for name in MODELS:
                    rows.setdefault(f"{n}_click", {}).setdefault(name, []).append((s.acc[name], s.loss[name]))
        summary: dict = {"params": GridLesson(layers=L).param_counts()}
        for key, per in rows.items():
            if key == "click_seconds":
                summary[key] = {k: round(statistics.mean(v), 2) for k, v in per.items()}
                continue
            summary[key] = {
                name: {
                    "acc_mean": round(statistics.mean(a for a, _ in v), 3),
                    "acc_range": [round(min(a for a, _ in v), 3), round(max(a for a, _ in v), 3)],
                    "loss_mean": round(statistics.mean(loss for _, loss in v), 4),
                }
                for name, v in per.items()
            }
            grid, stack = per["grid LSTM"], per["stacked LSTM"]
            summary[key]["grid_ahead"] = sum(
                100 * (g[0] - s[0]) >= TIE_POINTS for g, s in zip(grid, stack, strict=True)
            )
            summary[key]["stacked_ahead"] = sum(
                100 * (s[0] - g[0]) >= TIE_POINTS for g, s in zip(grid, stack, strict=True)
            )
        out[f"L={L}"] = summary
    return {
        "task": "copy 3 symbols of 4 after 5 blanks (T = 11); grid H = 12, stacked H closest in "
        "parameters; chance 0.25",
        "steps_per_click": steps,
        "seeds": list(seeds),
        "by_layers": out,
        "seconds": round(time.perf_counter() - start, 1),
    }
