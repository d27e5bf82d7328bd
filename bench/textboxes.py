"""Text boxes fed hostile amounts of text (issue 15): seconds until the answer or the refusal.

Before the fix, collecting 689 kB of distinct unknown words took 55 s (a list membership scan,
quadratic) and lesson 8's vocabulary box parsed 40k words in 6.2 s.
"""

from __future__ import annotations

import time

from rnnviz.embeddings.onehot import parse_words
from rnnviz.errors import InputError
from rnnviz.tasks.base import Vocab


def _seconds(fn, *args) -> float:
    start = time.perf_counter()
    try:
        fn(*args)
    except InputError:
        pass  # a refusal is the expected answer here
    return round(time.perf_counter() - start, 4)


def run() -> dict:
    words = [f"w{i:06d}" for i in range(100_000)]  # 100,000 distinct unknown words, ~800 kB typed
    vocab = Vocab(("<pad>", "a", "b"), unit="word")
    forty_k = " ".join(f"word{i}" for i in range(40_000))
    return {
        "encode_kb": round(len(" ".join(words)) / 1000),
        "encode_distinct_unknown_s": _seconds(vocab.encode, words),
        "vocab_box_40k_words_s": _seconds(parse_words, forty_k),
        "vocab_box_at_cap_s": _seconds(parse_words, ("cat dog " * 100)[:600]),
    }
