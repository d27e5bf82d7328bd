"""Lesson 10's race: every cell of lessons 4-6 and the x_t-only cells on the same tasks and seed.

``rnnviz.race.run_race`` with its default recipe (H = 32, Adam 1e-2, batch 32, clip 1, 600 steps,
a held-out point every 50): remember-the-first-word at lags 10, 50, 100, 200 (lesson 4's
curriculum) and lesson 3's nested markup as a character model. One seed; accuracy (or bits per
character) against steps is what the race compares, the seconds are this machine's and this run's.
The report is written to ``assets/modern_race.json`` (the lesson's cached race):
``python -m bench modern_race --threads 1`` regenerates it (508 s on the shared 2-core machine; two
torch threads on a busy machine made every step many times slower).
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import torch

from rnnviz.race import run_race, summary

ASSET = Path(__file__).resolve().parents[1] / "assets" / "modern_race.json"


def run(out: Path | None = ASSET) -> dict:
    start = time.perf_counter()
    report = run_race()
    report["machine"] = {
        "platform": platform.platform(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    report["seconds_total"] = round(time.perf_counter() - start, 1)
    if out is not None:
        out.write_text(json.dumps(report, indent=1) + "\n")
    return {
        "summary": summary(report),
        "params": {c: report["markup"][c]["params"] for c in report["cells"]},
        "asset": str(out) if out else None,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
