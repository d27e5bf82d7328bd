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

from rnnviz.seq2seq.dates import DateTask
from rnnviz.seq2seq.evaluate import CompareConfig, compare_attention

GOAL = 0.95  # exact match attention must keep on the longest inputs


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
    }
