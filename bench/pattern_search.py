"""Lesson 3's pattern search (LSTMVis): how long it takes at the largest sizes the page allows.

- ``states``: h_t of the lesson's default LSTM (H = 128) and of the largest one (H = 256) over the
  ``SEARCH_CHARS`` characters the page searches (once per checkpoint; the page caches it).
- ``search``: one search (on set, runs, every match's own on set, ranking) over ``SEARCH_CHARS`` steps
  with H = 256 (the largest hidden size on the page), median of 5, for a selection with 3 units on and
  one with about 40; and over 2,000,000 steps (``MAX_TEXT_CHARS``, the longest text the app accepts)
  with H = 32, to show it stays vectorised (time grows with N x H, no loop over positions).
- ``finding``: the default LSTM trained ``BENCH_PS_SECONDS`` (default 60) on the markup and on the
  Python source: the unit that best separates "inside a tag" / "inside a string", as the page words it.

Measured on the shared 2-core machine (``python -m bench pattern_search --threads 1``, six sessions busy):
states over 100,000 characters 1.69 s (H = 128) and 4.03 s (H = 256), once per checkpoint; one search at
H = 256 0.29 s (40 units in U) and 0.37 s (3 units); at 2,000,000 x 32 2.79 s. After 60 s of training
(5,409 steps on the markup, 2,342 on the Python source) the best unit splits 'inside a tag' at 83%
balanced accuracy and 'inside a string' at 62%: the finding is partial, and the page says so.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
import torch

from rnnviz.lessons import charlm as lm
from rnnviz.lessons import pattern_finding as pf
from rnnviz.lessons import pattern_search as ps
from rnnviz.tasks.base import MAX_TEXT_CHARS

REGION = {lm.MARKUP: "inside a tag", lm.PYTHON: "inside a string"}


def _planted(n: int, H: int, seed: int = 0) -> tuple[np.ndarray, tuple[int, int]]:
    """Noise states with a 5-character pattern of 40 units planted every ~500 steps."""
    rng = np.random.default_rng(seed)
    h = rng.uniform(-0.5, 0.5, size=(n, H)).astype(np.float16)
    units = np.arange(min(40, H))
    for a in range(100, n - 10, 497):
        h[a : a + 5, units[:, None]] = 0.9
    return h, (100, 105)


def _median_seconds(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 4)


def run() -> dict:
    out: dict = {"search_chars": ps.SEARCH_CHARS}
    text = lm.builtin_text(lm.MARKUP)[: ps.SEARCH_CHARS]
    for H in (128, 256):
        trainer = lm.build_trainer(text, lm.LMSettings(hidden_size=H), seed=0)
        ids = trainer.task.encode(text)
        out[f"states_seconds_H{H}"] = _median_seconds(lambda m=trainer.model, i=ids: ps.text_states(m, i), 3)
    letters = ("abcdefghij" * (ps.SEARCH_CHARS // 10 + 1))[: ps.SEARCH_CHARS]
    h, (a, b) = _planted(ps.SEARCH_CHARS, 256)
    res = ps.search(h, letters, a, b, 0.85)
    out["search_H256_40_units"] = {
        "seconds": _median_seconds(lambda: ps.search(h, letters, a, b, 0.85)),
        "units": len(res.units),
        "matches": res.n_matches,
    }
    h[a:b, 3:40] = 0.0  # a selection with 3 units on: many more steps match
    res = ps.search(h, letters, a, b, 0.85)
    out["search_H256_3_units"] = {
        "seconds": _median_seconds(lambda: ps.search(h, letters, a, b, 0.85)),
        "units": len(res.units),
        "matches": res.n_matches,
    }
    h = None
    big, (a, b) = _planted(MAX_TEXT_CHARS, 32)
    letters = ("abcdefghij" * (MAX_TEXT_CHARS // 10 + 1))[:MAX_TEXT_CHARS]
    res = ps.search(big, letters, a, b, 0.85)
    out["search_2M_H32"] = {
        "seconds": _median_seconds(lambda: ps.search(big, letters, a, b, 0.85), 3),
        "units": len(res.units),
        "matches": res.n_matches,
    }
    big = None  # free 192 MB before training
    seconds = float(os.environ.get("BENCH_PS_SECONDS", "60"))
    out["finding"] = {}
    for name, region in REGION.items():
        full = lm.builtin_text(name)
        settings = lm.LMSettings()
        trainer = lm.build_trainer(full, settings, seed=0)
        trainer.run(max_steps=100_000, max_seconds=seconds, callback=settings.schedule)
        searched = full[: ps.SEARCH_CHARS]
        h = ps.text_states(trainer.model, trainer.task.encode(searched))
        r = pf.region_for(searched, region)
        sep = pf.separating_unit(h[: pf.FINDING_CHARS], r.mask[: pf.FINDING_CHARS])
        theta = ps.default_threshold(h, *r.span)
        res = ps.search(h, searched, *r.span, theta)
        inside, base = res.share_in(r.mask)
        out["finding"][name] = {
            "steps": trainer.step,
            "unit": sep.unit,
            "balanced_accuracy": round(sep.balanced_accuracy, 3),
            "sentence": pf.separation_sentence(sep, region, trainer.step),
            "search": ps.search_sentence(res, region, r.mask),
            "matched_inside": round(inside, 3),
            "all_inside": round(base, 3),
        }
    out["torch_threads"] = torch.get_num_threads()
    return out
