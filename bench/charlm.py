"""Lesson 3 figures: well-formed markup after a minute of training, bits per character vs time, first render.

- ``well_formed``: the lesson's default LSTM (``LMSettings()``) trained on the generated markup at its
  default difficulty (one element per line, 6 tag names, nesting up to depth 4) for
  ``WELL_FORMED_SECONDS`` of wall time; then ``N_LINES`` lines sampled from a newline prime at the
  page's default temperature, each judged by ``is_well_formed``.
- ``bits_per_char``: held-out bits per character (the markup's last 10%) after 10, 20, 40 and 60 s
  of training, for the Elman RNN, the LSTM and the GRU at the lesson's default sizes.
- ``own_text``: a user-style structured text (``records_text``: a stock list, one record a line) of
  12,000 and 50,000 characters, the built-in texts' H = 128 beside the size default the page suggests
  (``settings_for_text``), a fixed number of steps each: held-out bits per character at every
  checkpoint (best, last, whether the page calls it overfitting), then 100 lines sampled from the best
  checkpoint at tau = 0.5 judged by the format's own rule (``is_record_line``).
- ``first_render``: the page with default settings under AppTest, in a separate process (rnnviz
  never imports streamlit), opened through the router (app.py: one torch thread) as a student does:
  the process's first page run (imports, the text) and the median of the next runs, each a new session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from rnnviz.lessons.charlm import (
    CELL_CHOICES,
    MARKUP,
    LMSettings,
    bits_per_char,
    build_trainer,
    builtin_text,
    well_formed_rate,
)
from rnnviz.lessons.charlm_fit import FitTracker, settings_for_text
from rnnviz.lessons.charlm_records import is_record_line, records_text

WELL_FORMED_SECONDS = 60.0
N_LINES = 100
CURVE_SECONDS = (10.0, 20.0, 40.0, 60.0)
RENDER_RUNS = 5  # one cold run, then warm ones
APP = Path(__file__).resolve().parents[1] / "app.py"
PAGE = APP.parent / "app_pages" / "03_char_lm.py"


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _warm_up(text: str) -> None:
    """Pay a process's one-off costs of its first training steps (first backward pass) outside the timing."""
    trainer = build_trainer(text, replace(LMSettings(), hidden_size=8, seq_len=8, batch_size=2))
    trainer.run(2, 600.0)


def well_formed(seed: int = 0) -> dict:
    settings = LMSettings()
    _warm_up(builtin_text(MARKUP, seed=seed))
    trainer = build_trainer(builtin_text(MARKUP, seed=seed), settings, seed=seed)
    load_before = _load()
    start = time.perf_counter()
    result = trainer.run(max_steps=10**9, max_seconds=WELL_FORMED_SECONDS, callback=settings.schedule)
    wall = time.perf_counter() - start
    wf = well_formed_rate(trainer.model, trainer.task, N_LINES, settings.temperature, seed=seed)
    return {
        "settings": asdict(settings),
        "threads": torch.get_num_threads(),
        "load_average_before": load_before,
        "load_average_after": _load(),
        "train_wall_seconds": round(wall, 1),
        "steps": result.steps,
        "steps_per_s": round(result.steps / wall, 1),
        "final_train_loss": round(trainer.history[-1].loss, 4) if trainer.history else None,
        "held_out_bits_per_char": round(bits_per_char(trainer.model, trainer.task), 4),
        "sampling": {"prime": "\\n", "temperature": settings.temperature, "top_k": 0, "seed": seed},
        "lines_judged": len(wf.lines),
        "well_formed": sum(wf.ok),
        "well_formed_rate": round(wf.rate, 3),  # >= 0.9 wanted
        "first_lines": list(wf.lines[:5]),
        "broken_lines": [line for line, ok in zip(wf.lines, wf.ok, strict=True) if not ok][:5],
    }


def bits_per_char_curves(seed: int = 0) -> dict:
    text = builtin_text(MARKUP, seed=seed)
    curves = {}
    for cell in CELL_CHOICES:
        settings = replace(LMSettings(), cell=cell)
        trainer = build_trainer(text, settings, seed=seed)
        points = [
            {
                "seconds": 0.0,
                "steps": 0,
                "bits_per_char": round(bits_per_char(trainer.model, trainer.task), 4),
            }
        ]
        for target in CURVE_SECONDS:
            trainer.run(10**9, max(1e-3, target - trainer.seconds), callback=settings.schedule)
            bpc = bits_per_char(trainer.model, trainer.task)  # evaluation time is not training time
            points.append(
                {"seconds": round(trainer.seconds, 1), "steps": trainer.step, "bits_per_char": round(bpc, 4)}
            )
        curves[cell] = points
    return {"held_out_chars": len(text) // 10, "load_average_after": _load(), "curves": curves}


OWN_TEXT_RUNS = ((12_000, 1600), (50_000, 3000))  # (characters, training steps)


def own_text(seed: int = 0) -> dict:
    out = []
    for n_chars, steps in OWN_TEXT_RUNS:
        text = records_text(n_chars, seed=seed)
        for hidden in sorted(
            {LMSettings().hidden_size, settings_for_text(n_chars).hidden_size}, reverse=True
        ):
            settings = replace(LMSettings(), hidden_size=hidden)
            trainer = build_trainer(text, settings, seed=seed)
            tracker = FitTracker()

            def on_row(tr, row, settings=settings, tracker=tracker):
                settings.schedule(tr, row)
                tracker.observe(tr)

            start = time.perf_counter()
            trainer.run(steps, 3600.0, callback=on_row)
            wall = time.perf_counter() - start
            tracker.observe(trainer)
            fit = tracker.report(trainer)
            best = tracker.best_model(trainer.model.cfg)
            wf = well_formed_rate(
                best, trainer.task, N_LINES, settings.temperature, seed=seed, judge=is_record_line
            )
            out.append(
                {
                    "chars": len(text),
                    "hidden_size": hidden,
                    "size_default": hidden == settings_for_text(n_chars).hidden_size,
                    "steps": trainer.step,
                    "wall_seconds": round(wall, 1),
                    "held_out_curve": {s: round(v, 4) for s, v in zip(fit.steps, fit.held_out, strict=True)},
                    "best_step": fit.best_step,
                    "best_held_out_bits_per_char": round(tracker.curve[fit.best_step], 4),
                    "last_held_out_bits_per_char": round(fit.held_out[-1], 4),
                    "last_train_bits_per_char": round(fit.train[-1], 4),
                    "overfitting": fit.overfitting,
                    "well_formed_best": f"{sum(wf.ok)}/{len(wf.ok)}",
                    "broken_lines": [line for line, ok in zip(wf.lines, wf.ok, strict=True) if not ok][:3],
                }
            )
    return {"format": "YYYY-MM-DD fruit quantity status", "load_average_after": _load(), "runs": out}


_RENDER_SCRIPT = """
import json, sys, time
from streamlit.testing.v1 import AppTest
times = []
for _ in range(int(sys.argv[3])):
    at = AppTest.from_file(sys.argv[1], default_timeout=300).run()  # the router: threads, sidebar, seed
    at.switch_page(sys.argv[2])
    start = time.perf_counter()
    at.run()
    times.append(time.perf_counter() - start)
    assert not at.exception and not at.error, [e.value for e in list(at.exception) + list(at.error)]
print(json.dumps(times))
"""


def first_render() -> dict:
    env = {**os.environ, "PYTHONPATH": str(PAGE.parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", _RENDER_SCRIPT, str(APP), f"{PAGE.parent.name}/{PAGE.name}", str(RENDER_RUNS)],
        cwd=PAGE.parents[1],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    times = json.loads(out.stdout.strip().splitlines()[-1])
    warm = sorted(times[1:])
    return {
        "cold_process_first_run_s": round(times[0], 2),
        "warm_runs_s": [round(t, 2) for t in times[1:]],
        "median_warm_s": round(warm[len(warm) // 2], 2),  # < 3 s wanted
        "load_average_after": _load(),
    }


def run() -> dict:
    return {
        "well_formed": well_formed(),
        "bits_per_char_vs_seconds": bits_per_char_curves(),
        "own_text": own_text(),
        "first_render": first_render(),
    }
