"""Backend figures: trainer throughput vs a plain torch loop, trace cost, peak memory.

Sizes from the foundation issue: batch 32, length 64, hidden 128, vocabulary 65. The rnnviz
Trainer and a hand-written loop train the same fused module on the same batches; they run in
alternating rounds so a busy machine slows both alike, and the ratio is of medians.
"""

from __future__ import annotations

import resource
import statistics
import time

import torch
import torch.nn.functional as F

from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks.charlm import CharLM
from rnnviz.tasks.corpora import stdlib_source
from rnnviz.trace import trace
from rnnviz.train import TrainConfig, Trainer

BATCH, LENGTH, HIDDEN, VOCAB = 32, 64, 128, 65
ROUNDS, STEPS = 7, 30


def _task() -> CharLM:
    text = stdlib_source()
    keep = sorted(set(text))[:VOCAB]  # exactly 65 characters, as in the sizes
    text = "".join(ch for ch in text if ch in set(keep))
    return CharLM(text=text, seq_len=LENGTH)


def _plain_loop(model: SeqModel, task: CharLM, steps: int, generator: torch.Generator) -> float:
    """What a student would write by hand: batch, forward, loss, backward, clip, step."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(steps):
        b = task.batch(BATCH, generator)
        logits, _ = model(b.x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b.y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return (time.perf_counter() - start) / steps


def throughput(task: CharLM, cell: str) -> dict:
    cfg = ModelConfig.for_task(task, cell=cell, hidden_size=HIDDEN, seed=0)
    ours_model, plain_model = SeqModel(cfg), SeqModel(cfg)
    trainer = Trainer(ours_model, task, TrainConfig(lr=1e-3, batch_size=BATCH, clip=1.0, checkpoint_every=0))
    generator = torch.Generator().manual_seed(0)
    _plain_loop(plain_model, task, 3, generator)  # warm up both
    trainer.run(3, 60)
    ours, plain = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        trainer.run(STEPS, 600)
        ours.append((time.perf_counter() - start) / STEPS)
        plain.append(_plain_loop(plain_model, task, STEPS, generator))
    o, p = statistics.median(ours), statistics.median(plain)
    return {
        "rnnviz_steps_per_s": round(1 / o, 2),
        "plain_torch_steps_per_s": round(1 / p, 2),
        "ratio": round(p / o, 3),  # >= 0.95 wanted: the trainer adds ~nothing to a plain loop
    }


def trace_cost(cell: str) -> dict:
    """One trace (length 200, hidden 128, 2 layers, with gradients) vs one fused forward+backward of
    the same model: the cheap path (what every view asks for), and with every step's Jacobian norm."""
    task_size = VOCAB
    cfg = ModelConfig(
        cell=cell, input_size=task_size, output_size=task_size, hidden_size=HIDDEN, num_layers=2
    )
    model = SeqModel(cfg)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randint(task_size, (200,), generator=g), torch.randint(task_size, (200,), generator=g)

    def fused():
        logits, _ = model(x[None])
        F.cross_entropy(logits[0], y).backward()
        model.zero_grad(set_to_none=True)

    def timed(fn, repeats):
        fn()  # warm up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    t_fused = timed(fused, 7)
    t_grads = timed(lambda: trace(model, x, y, grad_of="total"), 5)
    t_full = timed(lambda: trace(model, x, y, grad_of="total", jacobians=True), 3)
    return {
        "fused_forward_backward_ms": round(t_fused * 1e3, 1),
        "trace_with_gradients_ms": round(t_grads * 1e3, 1),
        "trace_with_gradients_ratio": round(t_grads / t_fused, 2),
        "trace_with_gradients_and_jacobian_norms_ms": round(t_full * 1e3, 1),
        "trace_with_gradients_and_jacobian_norms_ratio": round(t_full / t_fused, 2),
    }


def run() -> dict:
    task = _task()
    report = {"sizes": {"batch": BATCH, "length": LENGTH, "hidden": HIDDEN, "vocab": len(task.vocab)}}
    report["training_throughput"] = {cell: throughput(task, cell) for cell in ("rnn_tanh", "lstm", "gru")}
    report["trace"] = {cell: trace_cost(cell) for cell in ("rnn_tanh", "lstm", "gru")}
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return report
