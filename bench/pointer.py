"""Lesson 11 figures: exact-match and per-step accuracy against input length, pointer network vs the
fixed-vocabulary seq2seq, at the page's default budget.

Budget (the page's defaults, seed 0): PointerLesson defaults (LSTM, hidden size 32, Adam at lr 1e-2,
batches of 64, the mask on), one click of "Train both" = 300 steps of each model, trained at
T = 5 (sorting) or T = 8 (convex hull); then free running on 500 fresh inputs per length from the
training length to twice it. Steps bind, never the clock: same seed, same numbers.
"""

from __future__ import annotations

import time
from dataclasses import asdict

from rnnviz.pointer.evaluate import accuracy_by_length
from rnnviz.pointer.lesson import DEFAULT_LENGTH, PointerLesson

STEPS = 300  # the page's default "Steps per click"
N_TEST = 500  # fresh inputs per length


def run() -> dict:
    out: dict = {"steps": STEPS, "n_test": N_TEST}
    for task in ("sort", "hull"):
        lesson = PointerLesson(task=task, length=DEFAULT_LENGTH[task])
        trainers = {
            "pointer network": lesson.trainer(),
            "fixed-vocabulary seq2seq": lesson.baseline_trainer(),
        }
        seconds = {}
        for name, tr in trainers.items():
            start = time.perf_counter()
            tr.run(max_steps=STEPS, max_seconds=3600.0)
            seconds[name] = round(time.perf_counter() - start, 1)
        n = lesson.length
        lengths = list(range(n, 2 * n + 1))
        frame = accuracy_by_length(
            {k: t.model for k, t in trainers.items()}, lesson.make_task(), lengths, N_TEST
        )
        out[task] = {
            "lesson": asdict(lesson),
            "train_seconds": seconds,
            "by_length": {
                model: {
                    str(int(r["T"])): {
                        "exact": round(r["exact"], 3),
                        "per_step": round(r["per_step"], 3),
                        "writable": round(r["writable"], 3),
                    }
                    for _, r in rows.iterrows()
                }
                for model, rows in frame.groupby("model", sort=False)
            },
        }
    return out
