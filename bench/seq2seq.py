"""Lesson 7 figures: exact-match accuracy on the date task against input length, with and without
attention, at one fixed budget.

Budget (``CompareConfig`` defaults, the same numbers the page's comparison button shows for seed 0):
character-level inputs of 2-10 words (about 8-70 characters), GRU encoder and decoder with
hidden size 64, Adam at lr 5e-3, 400 steps of 64 dates per model, the same seed for weights and
batches; exact match (free-running greedy output equals the whole target) on 200 fresh dates
per length. Goal from the course issue: attention keeps >= 95% on the longest inputs, where the
plain encoder-decoder falls clearly below.
"""

from __future__ import annotations

from dataclasses import asdict

from rnnviz.lessons.attention_lesson import DatesLesson
from rnnviz.seq2seq.beam_eval import WIDTHS, beam_vs_greedy
from rnnviz.seq2seq.dates import DateTask
from rnnviz.seq2seq.evaluate import CompareConfig, compare_attention

GOAL = 0.95  # exact match attention must keep on the longest inputs


BEAM_AT = (200, 400)  # training steps: one click at the page's default (200 steps per click), then two


def beam() -> dict:
    """Beam against greedy for lesson 7's default model (chars, GRU, dot attention, seed 0), after one
    and two clicks of the page's default 200 steps: on the page's 500 test dates, per width, exact
    match and the answers beam wins / loses against greedy, with and without length normalisation."""
    trainer = DatesLesson().trainer()
    out = {}
    for steps in BEAM_AT:
        trainer.run(steps - trainer.step, 1800.0)
        for normalise in (False, True):
            cmp = beam_vs_greedy(trainer.model, trainer.task, WIDTHS, n=500, seed=0, normalise=normalise)
            out[f"step {steps}{', normalised' if normalise else ''}"] = {
                f"k={r.width}": dict(exact=round(r.exact, 3), wins=r.wins, losses=r.losses, differ=r.differ)
                for r in cmp.rows
            }
    return out


def run() -> dict:
    task = DateTask(min_words=2, max_words=10, tokens="chars", seed=0)
    cfg = CompareConfig(max_seconds=1800.0)  # steps bind, never the clock: same seed, same numbers
    result = compare_attention(task, cfg)
    longest = task.max_words
    at_longest = {kind: round(curve[longest], 3) for kind, curve in result["curves"].items()}
    attention_kinds = [k for k in cfg.kinds if k != "none"]
    budget_keys = ("steps", "batch_size", "lr", "hidden_size", "cell", "seed")
    return {
        "task": asdict(task),
        "budget": {k: result["config"][k] for k in budget_keys},
        "exact_match_by_length": {
            kind: {str(n): round(acc, 3) for n, acc in curve.items()}
            for kind, curve in result["curves"].items()
        },
        "exact_match_at_longest": at_longest,
        "steps_trained": result["steps"],
        "train_seconds": result["seconds"],
        "goal_met": all(at_longest[k] >= GOAL for k in attention_kinds) and at_longest["none"] < GOAL - 0.2,
        "beam_vs_greedy": beam(),
    }
