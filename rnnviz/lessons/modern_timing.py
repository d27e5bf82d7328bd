"""Lesson 10's measurement: the wall time of one call of the loop and of the two scans against the
sequence length T, on the machine running it, beside the number of dependent rounds each takes.

The time is CPU wall time of one call (the best of a few), with torch's threads as set (the app
sets one): it says what this server does, not what a GPU would. The rounds (rnnviz.scan.rounds)
count operations that must wait for each other: that is what a parallel machine cannot shorten,
and where the log depth lies.

>>> timing = measure(Ts=(4, 16), H=2, repeats=1)
>>> timing.rounds["loop"], timing.rounds["doubling"]
((4, 16), (2, 4))
>>> sorted(timing.frame().columns)[:3]
['T', 'dependent rounds, doubling scan', 'dependent rounds, log-space scan']
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
import torch

from rnnviz.scan import rounds, scan_doubling, scan_log, scan_loop

METHODS = {"loop": scan_loop, "doubling": scan_doubling, "log": scan_log}
NAMES = {"loop": "loop", "doubling": "doubling scan", "log": "log-space scan"}
LENGTHS = (16, 64, 256, 1024, 4096)


@dataclass(frozen=True)
class ScanTiming:
    Ts: tuple[int, ...]  # sequence lengths measured
    H: int  # units
    B: int  # sequences per call
    repeats: int  # calls per (method, T); the best is kept
    ms: dict[str, tuple[float, ...]]  # method -> milliseconds of one call, per T
    rounds: dict[str, tuple[int, ...]]  # method -> dependent rounds, per T
    threads: int = 1  # torch's intra-op threads during the measurement (the app runs with 1)

    def threads_text(self) -> str:
        return "one torch thread" if self.threads == 1 else f"{self.threads} torch threads"

    def frame(self) -> pd.DataFrame:
        table = {"T": list(self.Ts)}
        for m, name in NAMES.items():
            table[f"ms per call, {name}"] = [round(v, 3) for v in self.ms[m]]
        for m, name in NAMES.items():
            table[f"dependent rounds, {name}"] = list(self.rounds[m])
        return pd.DataFrame(table)

    def fastest(self, k: int) -> str:
        """The method with the shortest time at ``Ts[k]``."""
        return min(self.ms, key=lambda m: self.ms[m][k])


def measure(Ts=LENGTHS, H: int = 16, B: int = 1, repeats: int = 5, seed: int = 0) -> ScanTiming:
    """Time one call of each method at each T (float32, the best of ``repeats``)."""
    g = torch.Generator().manual_seed(seed)
    ms = {m: [] for m in METHODS}
    for T in Ts:
        a = torch.rand(B, T, H, generator=g) * 0.5 + 0.5  # a_t in [0.5, 1): kept shares
        b = torch.randn(B, T, H, generator=g)
        for m, fn in METHODS.items():
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                fn(a, b)
                best = min(best, time.perf_counter() - start)
            ms[m].append(best * 1000)
    return ScanTiming(
        tuple(Ts),
        H,
        B,
        repeats,
        {m: tuple(v) for m, v in ms.items()},
        {m: tuple(rounds(T, m) for T in Ts) for m in METHODS},
        torch.get_num_threads(),
    )


def doubling_work(T: int) -> float:
    """Multiply-adds of the doubling scan per one of the loop's: round k (d = 2^k) updates T - d steps."""
    work, d = 0, 1
    while d < T:
        work += T - d
        d *= 2
    return work / T


def timing_sentences(timing: ScanTiming) -> list[str]:
    """What the chart shows, every figure read from the measurement."""
    first, last = 0, len(timing.Ts) - 1
    T0, T1 = timing.Ts[first], timing.Ts[last]
    loop, log, dbl = timing.ms["loop"], timing.ms["log"], timing.ms["doubling"]
    growth = loop[last] / loop[first]
    per_step = (1000 * loop[first] / T0, 1000 * loop[last] / T1)  # microseconds per time step
    share = growth / (T1 / T0)  # 1: exactly in proportion to T
    if 0.5 <= share <= 2:
        how = "about in proportion to T, one dependent step per time step"
    elif share > 2:
        how = "more than in proportion to T on this run (each step cost more in the long sequence)"
    else:
        how = "less than in proportion to T on this run (a fixed cost per call weighs on the short ones)"
    out = [
        f"From T = {T0} to T = {T1} ({T1 // T0}x as many steps) the loop's time grew {growth:.0f}x "
        f"({loop[first]:.2f} ms to {loop[last]:.1f} ms; {per_step[0]:.1f} µs a step at T = {T0}, "
        f"{per_step[1]:.1f} µs at T = {T1}): {how}.",
    ]
    fastest = timing.fastest(last)
    ratio = loop[last] / min(log[last], dbl[last])
    out.append(
        f"At T = {T1} the fastest was the **{NAMES[fastest]}**: "
        + (
            f"the loop took {ratio:.0f}x as long as the faster scan"
            if fastest != "loop"
            else "the loop beat both scans on this run"
        )
        + f" (loop {loop[last]:.1f} ms, doubling scan {dbl[last]:.2f} ms, log-space scan {log[last]:.2f} ms)."
    )
    r = timing.rounds
    log_chain = (
        f"The log-space scan, as torch runs it here, needs {r['log'][last]}: its cumsum and logcumsumexp "
        "are each one sequential pass along T inside one kernel, so what it saves is the loop's "
        f"{r['loop'][last]} Python-level steps, not the chain of dependent additions."
        if r["log"][last] > r["doubling"][last]
        else f"The log-space scan needs {r['log'][last]}."
    )
    out.append(
        f"The right panel counts operations that must wait for each other: at T = {T1} the loop needs "
        f"{r['loop'][last]}, the doubling scan {r['doubling'][last]} (ceil(log2 T)), each over the whole "
        f"sequence, so it does {doubling_work(T1):.0f}x the loop's multiply-adds. {log_chain} "
        + (
            "On this CPU that makes the log-space scan the fastest: few, long kernel calls beat "
            "both the loop's many tiny steps and the doubling scan's extra work."
            if fastest == "log"
            else f"On this run the {NAMES[fastest]} was the fastest of the three."
        )
    )
    return out
