"""Exact-match accuracy against input length, and the with/without attention comparison.

Exact match: the free-running (greedy) output equals the whole target, ``<eos>`` included.

    >>> task = DateTask(tokens="words", min_words=2, max_words=4)
    >>> small = CompareConfig(kinds=("none", "dot"), hidden_size=16, steps=20, n_per_length=20)
    >>> result = compare_attention(task, small)    # a tiny budget: the shape of the answer
    >>> result["steps"]                            # every kind trains the same steps
    {'none': 20, 'dot': 20}
    >>> {kind: sorted(curve) for kind, curve in result["curves"].items()}  # exact match by input length
    {'none': [2, 3, 4], 'dot': [2, 3, 4]}

The default budget (``CompareConfig()``: 400 steps per model, character inputs of 2-10 words) is
what ``python -m bench seq2seq`` measures and README quotes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from rnnviz.seq2seq.dates import DateTask
from rnnviz.seq2seq.model import Seq2Seq, Seq2SeqConfig
from rnnviz.train import TrainConfig, Trainer


@torch.no_grad()
def accuracy_by_length(model, task: DateTask, n_per_length: int = 200, seed: int = 0) -> dict[int, float]:
    """{input length in words: exact-match accuracy} on fresh inputs of exactly that length.

    Every length in the task's range gets its own seeded batch, so two models evaluated with
    the same ``seed`` see the same inputs.
    """
    out = {}
    for length in range(task.min_words, task.max_words + 1):
        g = torch.Generator().manual_seed(seed * 1_000 + length)
        out[length] = float(model.exact_match(task.batch(n_per_length, g, length=length)).float().mean())
    return out


@dataclass(frozen=True)
class CompareConfig:
    kinds: tuple[str, ...] = ("none", "dot", "additive")  # attention kinds trained side by side
    cell: str = "gru"  # encoder/decoder cell of every model
    hidden_size: int = 64  # H of every model
    steps: int = 400  # optimizer steps per model: the fixed budget
    max_seconds: float = 120.0  # wall-clock cap per model (a safety net; steps normally bind)
    lr: float = 5e-3  # Adam learning rate
    batch_size: int = 64  # sequences per step
    n_per_length: int = 200  # evaluation inputs per length
    seed: int = 0  # same weights seed, batches and evaluation inputs for every kind


def compare_attention(
    task: DateTask, cfg: CompareConfig = CompareConfig(), progress: Callable[[str, float], None] | None = None
) -> dict:
    """Train one model per attention kind from scratch on the same seed and budget.

    Returns ``{"curves": {kind: {length: accuracy}}, "steps": {kind: steps}, "seconds": {kind: s},
    "config": asdict(cfg)}``. ``progress(kind, fraction)`` is called as training goes.
    """
    curves, steps, seconds = {}, {}, {}
    for i, kind in enumerate(cfg.kinds):
        model = Seq2Seq(
            Seq2SeqConfig.for_task(
                task, cell=cfg.cell, attention=kind, hidden_size=cfg.hidden_size, seed=cfg.seed
            )
        )
        train_cfg = TrainConfig(
            lr=cfg.lr, batch_size=cfg.batch_size, seed=cfg.seed, log_every=20, checkpoint_every=0
        )
        trainer = Trainer(model, task, train_cfg)

        def report(tr, row, i=i, kind=kind):
            if progress:
                progress(kind, (i + row.step / cfg.steps) / len(cfg.kinds))

        trainer.run(cfg.steps, cfg.max_seconds, callback=report)
        curves[kind] = accuracy_by_length(model, task, cfg.n_per_length, seed=cfg.seed + 1)
        steps[kind], seconds[kind] = trainer.step, round(trainer.seconds, 1)
    return {"curves": curves, "steps": steps, "seconds": seconds, "config": asdict(cfg)}
