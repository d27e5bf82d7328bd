"""Lesson 10's figures: the linear recurrence as a loop, a doubling scan and a log-space scan, and
one training step of the minGRU (log-space scan, and the same model with the loop instead) against
the GRU (torch's fused kernel) and the GRU without reset gate (rnnviz's step-by-step loop).

The three scans compute h_t = a_t * h_{t-1} + b_t on the same a, b (B = 8, H = 64, float32) for
T = 16 .. 4096; they run in alternating rounds (loop, doubling, log, loop, ...) so a busy machine
slows all alike, and each is reported as ms per call and as a ratio to the loop of the same round
set (medians). ``rounds`` is rnnviz.scan.rounds: dependent rounds, not time. The training step is
forward + backward + Adam on a character-sized task (V = 65, T = 256, B = 8, H = 64), the same
data for the three cells, also alternated.
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F

from rnnviz.model import ModelConfig, SeqModel, param_count
from rnnviz.scan import SCANS, rounds, scan_loop

B, H = 8, 64
LENGTHS = (16, 64, 256, 1024, 4096)
ROUNDS = 9
TARGET_S = 0.02  # each timed block runs enough calls to take about this long
TRAIN_T, VOCAB, TRAIN_ROUNDS = 256, 65, 9
# run name -> cell; "min_gru_loop" is the minGRU with its scan swapped for the loop (same numbers)
TRAIN_RUNS = {"min_gru": "min_gru", "min_gru_loop": "min_gru", "gru": "gru", "gru_minimal": "gru_minimal"}


def _inputs(T: int, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(T)
    a = torch.rand(B, T, H, generator=g, dtype=dtype) * 0.5 + 0.5  # a_t in [0.5, 1): a GRU-like keep
    b = torch.randn(B, T, H, generator=g, dtype=dtype)
    return a, b


def _per_call(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def scan_times() -> list[dict]:
    rows = []
    for T in LENGTHS:
        a, b = _inputs(T)
        fns = {m: (lambda f=f, a=a, b=b: f(a, b)) for m, f in SCANS.items()}
        # calls per timed block from one untimed call each (which also warms up)
        calls = {m: max(1, round(TARGET_S / max(_per_call(fn, 1), 1e-6))) for m, fn in fns.items()}
        times: dict[str, list[float]] = {m: [] for m in fns}
        for _ in range(ROUNDS):
            for m, fn in fns.items():
                times[m].append(_per_call(fn, calls[m]))
        med = {m: statistics.median(v) for m, v in times.items()}
        a64, b64 = _inputs(T, torch.float64)
        ref = SCANS["loop"](a64, b64)
        rows.append(
            {
                "T": T,
                "ms_per_call": {m: round(1e3 * s, 3) for m, s in med.items()},
                "ratio_to_loop": {m: round(s / med["loop"], 3) for m, s in med.items()},
                "rounds": {m: rounds(T, m) for m in SCANS},
                # float64, the same a and b: the three agree (what the tests assert to 1e-10)
                "max_abs_diff_to_loop_f64": {
                    m: float((SCANS[m](a64, b64) - ref).abs().max()) for m in ("doubling", "log")
                },
            }
        )
    return rows


def _train_step(model: SeqModel, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor) -> None:
    logits, _ = model(x)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def train_steps() -> dict:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(VOCAB, (B, TRAIN_T), generator=g)
    y = torch.randint(VOCAB, (B, TRAIN_T), generator=g)
    runs = {}
    for name, cell in TRAIN_RUNS.items():
        model = SeqModel(ModelConfig(cell=cell, input_size=VOCAB, output_size=VOCAB, hidden_size=H, seed=0))
        if name == "min_gru_loop":
            model.layers[0].rnn.scan = scan_loop
        runs[name] = (model, torch.optim.Adam(model.parameters(), lr=1e-3))
        _train_step(*runs[name], x, y)  # warm up
    times: dict[str, list[float]] = {c: [] for c in TRAIN_RUNS}
    for _ in range(TRAIN_ROUNDS):
        for cell, (model, opt) in runs.items():
            times[cell].append(_per_call(lambda m=model, o=opt: _train_step(m, o, x, y), 1))
    med = {c: statistics.median(v) for c, v in times.items()}
    return {
        "T": TRAIN_T,
        "batch": B,
        "hidden": H,
        "ms_per_step": {c: round(1e3 * s, 2) for c, s in med.items()},
        "ratio_to_gru": {c: round(s / med["gru"], 3) for c, s in med.items()},
        "params": {c: param_count(runs[c][0]) for c in TRAIN_RUNS},
    }


def run() -> dict:
    torch.manual_seed(0)
    return {"scan": scan_times(), "train_step": train_steps()}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
