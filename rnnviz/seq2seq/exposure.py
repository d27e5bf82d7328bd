"""Exposure bias, measured: teacher forcing against scheduled sampling on one seed and budget.

Two fresh models differ only in what training feeds the decoder (``sampling.py``); both are then
tested **free running** (fed their own guesses, greedy) on the same seeded test dates per input
length. The sentence the page shows is computed from the numbers.

    >>> from rnnviz.seq2seq.dates import DateTask
    >>> task = DateTask(tokens="words", min_words=2, max_words=3)
    >>> out = compare_sampling(task, SamplingConfig(steps=5, hidden_size=8, n_per_length=10))
    >>> sorted(out.curves), sorted(out.curves["teacher"])
    (['scheduled', 'teacher'], [2, 3])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from rnnviz.seq2seq.evaluate import accuracy_by_length
from rnnviz.seq2seq.model import Seq2Seq, Seq2SeqConfig
from rnnviz.seq2seq.sampling import SCHEDULES
from rnnviz.train import TrainConfig, Trainer

NAMES = {"teacher": "teacher forcing", "scheduled": "scheduled sampling"}


@dataclass(frozen=True)
class SamplingConfig:
    cell: str = "gru"  # encoder/decoder cell of both models
    attention: str = "dot"  # attention of both models
    hidden_size: int = 64  # H of both models
    steps: int = 400  # optimizer steps per model: the fixed budget
    max_seconds: float = 120.0  # wall-clock cap per model (a safety net; steps normally bind)
    lr: float = 5e-3  # Adam learning rate
    batch_size: int = 64  # dates per step
    sampling_k: float = 50.0  # the schedule's k: p_own = 1/2 at step k ln k (~196 for k = 50)
    n_per_length: int = 200  # free-running test dates per input length
    seed: int = 0  # same weights seed, batches and test dates for both


@dataclass(frozen=True)
class SamplingResult:
    curves: dict[str, dict[int, float]]  # {schedule: {input length: free-running exact match}}
    steps: dict[str, int]  # steps each model reached
    config: dict

    def overall(self, kind: str) -> float:
        curve = self.curves[kind]
        return sum(curve.values()) / len(curve)

    def sentence(self) -> str:
        t, s = self.overall("teacher"), self.overall("scheduled")
        gap = 100 * (s - t)
        if abs(gap) < 0.5:
            verdict = "the same within half a point: at this budget, scheduled sampling changes nothing clear"
        elif gap > 0:
            verdict = f"scheduled sampling is {gap:.1f} points better free running"
        else:
            verdict = f"scheduled sampling is {-gap:.1f} points worse free running"
        return (
            f"Free-running exact match, averaged over input lengths: teacher forcing {100 * t:.1f}%, "
            f"scheduled sampling {100 * s:.1f}%: {verdict}."
        )


def compare_sampling(
    task, cfg: SamplingConfig = SamplingConfig(), progress: Callable[[str, float], None] | None = None
) -> SamplingResult:
    curves, steps = {}, {}
    for i, kind in enumerate(SCHEDULES):
        model = Seq2Seq(
            Seq2SeqConfig.for_task(
                task, cell=cfg.cell, attention=cfg.attention, hidden_size=cfg.hidden_size, seed=cfg.seed,
                sampling=kind, sampling_k=cfg.sampling_k,
            )
        )  # fmt: skip
        train_cfg = TrainConfig(
            lr=cfg.lr, batch_size=cfg.batch_size, seed=cfg.seed, log_every=20, checkpoint_every=0
        )
        trainer = Trainer(model, task, train_cfg)

        def report(tr, row, i=i, kind=kind):
            if progress:
                progress(kind, (i + row.step / cfg.steps) / len(SCHEDULES))

        trainer.run(cfg.steps, cfg.max_seconds, callback=report)
        curves[kind] = accuracy_by_length(model, task, cfg.n_per_length, seed=cfg.seed + 1)
        steps[kind] = trainer.step
    return SamplingResult(curves=curves, steps=steps, config=asdict(cfg))
