"""Lesson 4, short vs long memory: read the offline table of ``python -m bench memory_lag``
and say what it shows, every number taken from the table itself (nothing hand-written).

>>> report = load_bench("assets/memory_lag.json")
>>> report["accuracy"]["curriculum"]["lstm"][100]      # mean held-out accuracy over the seeds
1.0
>>> rows = accuracy_rows(report, "curriculum")         # one row per cell, one column per lag
>>> rows[0]["cell"], rows[0]["lag 100"]
('RNN', '91% (74%, 100%, 100%)')
>>> print(story(report))                               # markdown: what the table says at its longest lag
**At lag 100**, mean of 3 seeds: with the curriculum: RNN 91%, LSTM 100%, GRU 100%; ...
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pandas as pd

from rnnviz.lessons.memory_lag import CELL_NAMES, LAG_CELLS

PER_LAG = ("accuracy", "accuracy_by_seed", "accuracy_half", "accuracy_double", "seconds")
RECIPE_NAMES = {"curriculum": "with the curriculum", "direct": "trained directly"}


def load_bench(path) -> dict | None:
    """The offline table, lags as ints; None if it is missing or not in this format.

    ``accuracy`` (mean over seeds), ``accuracy_by_seed`` (a list), ``accuracy_half`` and
    ``accuracy_double`` (the same models at half and twice the lag) and ``seconds`` (mean per point)
    map recipe -> cell -> lag -> value; ``points`` lists every measured point.
    """
    try:
        report = json.loads(Path(path).read_text())
        for key in PER_LAG:
            report[key] = {
                recipe: {cell: {int(lag): v for lag, v in by_lag.items()} for cell, by_lag in cells.items()}
                for recipe, cells in report[key].items()
            }
        report["points"] = list(report["points"])
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return None
    return report


def _which(k: int, n: int, others: bool) -> str:
    """How to name the k of n seeds a sentence is about."""
    if not others:
        return f"With the curriculum, in {k} of {n} seeds"
    return "In the other seed" if k == 1 else f"In the other {k} seeds"


def _ratio(v: float) -> str:
    return "0 (below what float32 can hold)" if v == 0 else f"{v:.1g}"


def _join(items) -> str:
    """'a', 'a and b', 'a, b and c'."""
    shown = [str(v) for v in items]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _pct(values) -> str:
    """'72%', '72% and 73%', '11%, 1% and 0%'."""
    return _join(f"{v:.0%}" for v in values)


def accuracy_rows(report: dict, recipe: str) -> list[dict]:
    """Cells as rows, lags as columns: 'mean (each seed)'."""
    acc, by_seed = report["accuracy"][recipe], report["accuracy_by_seed"][recipe]

    def cell_text(c: str, L: int) -> str:
        return f"{acc[c][L]:.0%} ({', '.join(f'{a:.0%}' for a in by_seed[c][L])})"

    return [
        {"cell": CELL_NAMES[c], **{f"lag {L}": cell_text(c, L) for L in report["lags"]}} for c in LAG_CELLS
    ]


def transfer_rows(report: dict, recipe: str) -> list[dict]:
    """The same models scored at half and at twice the lag they were trained for: 'half / twice'."""
    half, double = report["accuracy_half"][recipe], report["accuracy_double"][recipe]
    return [
        {
            "cell": CELL_NAMES[c],
            **{f"lag {L}": f"{half[c][L]:.0%} / {double[c][L]:.0%}" for L in report["lags"]},
        }
        for c in LAG_CELLS
    ]


def accuracy_frame(report: dict, recipe: str) -> pd.DataFrame:
    """:func:`accuracy_rows` as the page's table."""
    return pd.DataFrame(accuracy_rows(report, recipe))


def transfer_frame(report: dict, recipe: str) -> pd.DataFrame:
    """:func:`transfer_rows` as the page's table."""
    return pd.DataFrame(transfer_rows(report, recipe))


def _points(report: dict, recipe: str, cell: str, lag: int) -> list[dict]:
    return [p for p in report["points"] if (p["recipe"], p["cell"], p["lag"]) == (recipe, cell, lag)]


def story(report: dict) -> str:
    """Markdown: what the table says at its longest lag, and where it disagrees with the course notes."""
    L, n = max(report["lags"]), len(report["seeds"])
    acc = report["accuracy"]
    lines = [
        f"**At lag {L}**, mean of {n} seeds: "
        + "; ".join(
            f"{RECIPE_NAMES[r]}: " + ", ".join(f"{CELL_NAMES[c]} {acc[r][c][L]:.0%}" for c in LAG_CELLS)
            for r in RECIPE_NAMES
        )
        + "."
    ]
    gated = [c for c in ("lstm", "gru") if all(p["acc"] >= 0.9 for p in _points(report, "curriculum", c, L))]
    if gated:
        names = " and the ".join(CELL_NAMES[c] for c in gated)
        kept = [p for c in gated for p in _points(report, "curriculum", c, L)]
        lo = min(min(p["acc_half"], p["acc_double"]) for p in kept)
        lines.append(
            f"With the curriculum the {names} reach at least 90% at lag {L} in every seed, and the same "
            f"models score {'' if lo >= 0.995 else 'at least '}{lo:.0%} on sentences with half and twice the "
            "gap: they learned to remember the first word, whatever the gap."
        )
    stuck = [c for c in ("lstm", "gru") if acc["direct"][c][L] < 0.5]
    if stuck:
        ratios = [p["grad_ratio"] or 0.0 for c in stuck for p in _points(report, "direct", c, L)]
        names_stuck = " and the ".join(CELL_NAMES[c] for c in stuck)
        lines.append(
            f"Trained directly, the {' and the '.join(CELL_NAMES[c] for c in stuck)} stay near chance at "
            f"lag {L} within {report['steps_per_point']} steps: after training, the gradient reaching the "
            f"first word is at most {_ratio(max(ratios))} of the last step's. Course notes often write that "
            f"the {names_stuck} {'handles' if len(stuck) == 1 else 'handle'} the vanishing gradient; trained "
            f"directly at lag {L}, within these steps, {'it does' if len(stuck) == 1 else 'they do'} not"
            + (": the curriculum is what made them learn it." if set(stuck) <= set(gated) else ".")
        )
    rnn_c, rnn_d = _points(report, "curriculum", "rnn_tanh", L), _points(report, "direct", "rnn_tanh", L)
    if not any(p["acc"] >= 0.5 for p in rnn_c + rnn_d):
        lines.append(
            f"The plain RNN stays near chance at lag {L} with both recipes, as course notes often write."
        )
        return "\n\n".join(lines)
    lines.append(
        "**Where the data disagrees with what course notes often write: the plain RNN does not fall to "
        "chance "
        "here.**"
    )
    learned = [p for p in rnn_c if p["acc"] >= 0.9 and min(p["acc_half"], p["acc_double"]) >= 0.9]
    if learned:
        lines.append(
            f"With the curriculum, {len(learned)} of {n} RNN seeds reach at least 90% at lag {L} and keep it "
            f"at half and twice the gap. In those models {_pct(p['latched'] for p in learned)} of the units "
            f"keep their sign over every distractor, {_pct(p['saturated'] for p in learned)} of all h values "
            f"are saturated (|h| > 0.99), and the gradient reaching the first word is "
            f"{_ratio(max(p['grad_ratio'] or 0.0 for p in learned))} of the last step's. Saturated units "
            "are a latch: where 1 - h² ≈ 0 neither a distractor nor a gradient gets through, so the word "
            "stays. The curriculum let the RNN build the latch at short gaps, where the gradient still "
            "arrives (section 2: one factor per step back, so a gap of 5 costs 5 "
            "factors and a gap of 100 costs 100), and a latch does not care how long the gap is."
        )
    failed = [p for p in rnn_c if p["acc"] < 0.9]
    if failed:
        gated_runs = [p for p in report["points"] if p["recipe"] == "curriculum" and p["cell"] != "rnn_tanh"]
        never = all(p["reached_lag"] == p["lag"] for p in gated_runs)
        stalled = [p["reached_lag"] for p in failed if p["reached_lag"] < p["lag"]]
        how = (
            f"the curriculum stalled at lag {_join(stalled)}" if stalled else f"the RNN trained up to lag {L}"
        )
        lines.append(
            f"{_which(len(failed), n, bool(learned))} {how}, and it ends at {_pct(p['acc'] for p in failed)}."
            + (" The curriculum never stalled for the LSTM or the GRU." if never else "")
        )
    if rnn_d:
        d_acc = statistics.mean(p["acc"] for p in rnn_d)
        d_half = statistics.mean(p["acc_half"] for p in rnn_d)
        d_double = statistics.mean(p["acc_double"] for p in rnn_d)
        d_latch = statistics.mean(p["latched"] for p in rnn_d)
        if d_acc >= 0.5 and min(d_half, d_double) < d_acc - 0.2:
            lines.append(
                f"Trained directly, the RNNs score {d_acc:.0%} at lag {L}, but the same models score "
                f"{d_half:.0%} at lag {L // 2} and {d_double:.0%} at lag {2 * L}, and "
                + ("none" if d_latch == 0 else f"{d_latch:.0%}")
                + " of their units keep their sign. They did not learn a memory that survives a different "
                + ("gap: their state keeps moving, and " if d_latch < 0.2 else "gap: ")
                + "what the head reads depends on how many steps have passed. A score at one lag is not "
                "proof of memory."
            )
    lines.append(
        "So the vanishing gradient does not make long memory impossible for a plain RNN; it makes it hard "
        "to learn and fragile."
        + (
            " With the curriculum the LSTM and the GRU learned it at every seed and every gap."
            if len(gated) == 2
            else ""
        )
    )
    return "\n\n".join(lines)


def offline_caption(report: dict, recipe: str, recipe_label: str) -> str:
    """Where the offline table comes from: command, date, budget, seeds, machine, seconds per point."""
    secs = report["seconds"][recipe]
    cost = ", ".join(
        f"{CELL_NAMES[c]} {min(secs[c].values()):.0f} to {max(secs[c].values()):.0f} s" for c in LAG_CELLS
    )
    seeds = ", ".join(map(str, report["seeds"]))
    return (
        f"Measured offline by `python -m bench memory_lag` on {report['machine']['date']}: "
        f"{report['steps_per_point']} training steps per point (a step budget, so a busy machine gives "
        f"the same numbers), seeds {seeds}, {report['eval_sentences']} "
        f"held-out sentences per point, torch {report['machine']['torch']} on "
        f"{report['machine']['threads']} thread. Training seconds per point "
        f"({recipe_label}, a shared 2-core machine): {cost}. With seed {seeds} "
        f"and {report['steps_per_point']} steps, **Measure** here "
        "trains the very same models and gets the same accuracy."
    )
