"""Lesson 10's race, read from its cached report (``python -m bench modern_race`` writes
assets/modern_race.json with ``rnnviz.race.run_race``): the curves, the parameter counts, and the
sentences the page states, all from the report's own numbers.

>>> curve = {"cell": "min_gru", "steps": [0, 10], "seconds": [0.0, 0.5], "metric": [0.25, 0.9], "params": 76}
>>> report = {"cells": {"min_gru": "minGRU"}, "lags": [4], "recipe": {}, "memory": {"4": {"min_gru": curve}},
...           "markup": {"min_gru": dict(curve, params=300)}}
>>> params_frame(checked(report)).values.tolist()
[['minGRU', 76, 300]]
>>> load("no/such/file.json") is None
True
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

CURVE_KEYS = ("cell", "steps", "seconds", "metric", "params")


def checked(report: dict) -> dict:
    """The report if it has what the page reads (every curve's steps, seconds, metric, params), else
    ValueError."""
    for key in ("cells", "lags", "memory", "markup", "recipe"):
        if key not in report:
            raise ValueError(f"race report without {key!r}")
    curves = [*report["markup"].values(), *(c for lag in report["memory"].values() for c in lag.values())]
    for curve in curves:
        if any(k not in curve for k in CURVE_KEYS) or not (
            len(curve["steps"]) == len(curve["seconds"]) == len(curve["metric"]) > 0
        ):
            raise ValueError(f"race curve of {curve.get('cell')!r} is incomplete")
    if [str(lag) for lag in report["lags"]] != list(report["memory"]):
        raise ValueError("race report: its lags and its memory curves differ")
    return report


def load(path) -> dict | None:
    """The cached race report, or None if the file is missing or not a race report."""
    try:
        return checked(json.loads(Path(path).read_text()))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def params_frame(report: dict) -> pd.DataFrame:
    """One row per cell: its parameter count on the memory task and on the markup text (same H)."""
    first = next(iter(report["memory"].values()))
    return pd.DataFrame(
        {
            "cell": [report["cells"][c] for c in report["cells"]],
            "parameters": [first[c]["params"] for c in report["cells"]],
            "parameters (markup model)": [report["markup"][c]["params"] for c in report["cells"]],
        }
    )


def seconds_sentence(report: dict) -> str:
    """Which cell trained fastest and slowest per step on the markup text, in this report's run."""
    per_step = {
        c: curve["seconds"][-1] / curve["steps"][-1] * 1000
        for c, curve in report["markup"].items()
        if curve["steps"][-1] > 0
    }
    fast, slow = min(per_step, key=per_step.get), max(per_step, key=per_step.get)
    titles = report["cells"]
    threads = report.get("machine", {}).get("threads")
    where = ""
    if threads is not None:
        where = " (one torch thread)" if threads == 1 else f" ({threads} torch threads)"
    return (
        f"Per training step on the markup text, the fastest was the {titles[fast]} "
        f"({per_step[fast]:.1f} ms) and the slowest the {titles[slow]} ({per_step[slow]:.1f} ms), on the "
        f"machine that ran the race{where}: seconds compare the cells of this one run, not other machines."
    )
