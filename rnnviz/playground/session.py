"""Training in the Playground: one to three runs on the same task, data and seed, trained in ticks.

A tick is what the page does while Play is on: train for about ``seconds``, then redraw. With
one run a tick is time-bounded; with several, every run trains the same number of steps, so
their curves line up step for step (the number is chosen from each run's measured speed).

>>> from rnnviz.playground import compare_runs
>>> pg = Playground.build(compare_runs(PlaygroundConfig(task="copy", lag=30), {"cell": "rnn_tanh"}))
>>> tick = pg.tick(0.5)                  # about half a second of training
>>> tick.steps[0] == tick.steps[1]       # both runs trained the same number of steps
True
>>> pg.step_batch().steps                # exactly one batch each, as the Step button does
(1, 1)
>>> run = pg.runs[0]
>>> run.train(100, max_seconds=600).status   # 100 more steps of run A
'done'
>>> run.probe.steps[:3]                  # gradients through time: step 0, then every PROBE_EVERY
[0, 40, 80]

Training is part of the link. Time-bounded training goes in chunks that end on the step grid
(``GRID``: every log step and checkpoint step falls on it), so where a tick stopped leaves no trace
in the numbers; a run that ends off the grid (the first one-step tick, Step, a step budget) adds a
history row and a checkpoint, so those ends are recorded (``Run.runs``: rnnviz.store's format).
``Playground.replay`` trains a fresh copy through them with step budgets only: the same weights,
history, checkpoints and probe records, bit for bit, whatever the load.

>>> same = Playground.build(pg.configs)
>>> same.replay(pg.trained())
>>> [a.trainer.history[-1].loss for a in same.runs] == [b.trainer.history[-1].loss for b in pg.runs]
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rnnviz.errors import InputError
from rnnviz.playground.build import CHECKPOINT_EVERY, EVAL_BATCHES, LOG_EVERY, build_trainer
from rnnviz.playground.config import MAX_RUNS, PlaygroundConfig
from rnnviz.playground.probe import Probe
from rnnviz.store import Runs, replay
from rnnviz.train import LogRow, RunResult, Trainer

TICK_SECONDS = 0.5  # training per redraw while Play is on
DRAW_EVERY_SECONDS = 1.0  # while playing, the charts over training are redrawn at most this often
FIRST_TICK_SECONDS = 0.05  # the first tick after Play is short, so the first loss point shows at once
PLAY_RUN_SECONDS = 8.0  # the page trains this long per run of its live panel, then starts the next
VIEW_REFRESH_SECONDS = 10.0  # while playing, the example views are recomputed this often
DRAW_SHARE = 0.1  # redraws take at most this share of the time while playing (slow browsers, busy servers)
PROBE_EVERY = 40  # steps between probe records (a multiple of LOG_EVERY: probes run in the row callback)
MAX_TICK_STEPS = 5000  # most steps one run takes in one tick
SPEED_MEMORY = 0.5  # weight of the newest measurement in the seconds-per-step estimate
GRID = math.lcm(LOG_EVERY, CHECKPOINT_EVERY)  # time-bounded training stops only on these steps


@dataclass(eq=False)
class Run:
    """One configuration: its trainer (model, optimizer, history, checkpoints) and its probe records."""

    cfg: PlaygroundConfig
    trainer: Trainer
    probe: Probe
    initial: dict = field(default_factory=dict)  # held-out metrics of the untrained model (step 0)
    sec_per_step: float | None = None  # measured; None before the first training call
    ends: list = field(default_factory=list)  # (step, cut) of every run end that left a trace (off the grid)

    @classmethod
    def build(cls, cfg: PlaygroundConfig) -> Run:
        trainer = build_trainer(cfg)
        run = cls(cfg, trainer, Probe.for_task(trainer.task))
        run.probe.record(trainer.model, 0)  # the untrained model's gradients and gates
        run.initial = trainer.evaluate(EVAL_BATCHES)  # {"val_loss": ..., "val_acc": ...} at step 0
        return run

    def series(self, metric: str) -> dict[str, list]:
        """``metric`` ("loss", "acc", "grad_norm") over training, and its held-out twin from step 0."""
        rows = self.trainer.history
        out = {
            "step": [r.step for r in rows],
            metric: [getattr(r, metric) if hasattr(r, metric) else r.metrics.get(metric) for r in rows],
        }
        if f"val_{metric}" in self.initial:
            out["held_out_step"] = [0, *out["step"]]
            out["held_out"] = [self.initial[f"val_{metric}"], *[r.metrics.get(f"val_{metric}") for r in rows]]
        return out

    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def diverged(self) -> str | None:
        return self.trainer.diverged

    def live_data(self) -> dict:
        """Everything the charts over training draw: curves, gradient through time, saturation."""
        return {
            "step": self.step,
            **{m: self.series(m) for m in ("loss", "acc", "grad_norm")},
            "probe_steps": self.probe.steps,
            "grad": self.probe.grad_matrix(),
            "saturation": self.probe.saturation_series(),
        }

    def _on_row(self, trainer: Trainer, row: LogRow) -> None:
        if trainer.step % PROBE_EVERY == 0 and not trainer.diverged:
            self.probe.record(trainer.model, trainer.step)

    def train(self, steps: int, max_seconds: float) -> RunResult:
        """At most ``steps`` steps; once ``max_seconds`` have passed, stop at the next step on the grid
        (at most GRID - 1 steps later), so only a step budget can end a run off the grid."""
        start = time.perf_counter()
        taken, result = 0, None
        while taken < steps:
            chunk = min(steps - taken, GRID - self.trainer.step % GRID)
            before = self.trainer.step
            try:
                result = self.trainer.run(chunk, math.inf, callback=self._on_row)
            except BaseException:  # the page stopped mid-run (Pause, a closed tab): Streamlit's stop
                self._interrupted(before)
                raise
            taken += result.steps
            if result.steps and (self.trainer.step % GRID or self.trainer.diverged):
                self.ends.append((self.trainer.step, False))  # a history row and a checkpoint off the grid
            if result.status == "diverged" or time.perf_counter() - start >= max_seconds:
                break
        if taken:
            per = (time.perf_counter() - start) / taken
            old = self.sec_per_step
            self.sec_per_step = per if old is None else SPEED_MEMORY * per + (1 - SPEED_MEMORY) * old
        if result is None or result.status == "diverged":
            return result or RunResult("done", "trained 0 steps", 0)
        return RunResult("done", f"trained {taken} steps; {self.trainer.step} in total", taken)

    def _interrupted(self, before: int) -> None:
        """A stop raised between two steps of a run (Streamlit raises it at the run's next turn-taking
        check) leaves the trainer after a whole step, without the run's closing checkpoint. Take it
        now and record the end as cut: a replay's ``cut_after`` end adds the same checkpoint and,
        like here, no history row, so the link still gives these numbers."""
        trainer = self.trainer
        if trainer.step == before or trainer.step % GRID == 0 or trainer.diverged:
            return  # nothing trained, or stopped on the grid: no trace to record
        if trainer.cfg.checkpoint_every and trainer.checkpoints[-1][0] != trainer.step:
            trainer._checkpoint()  # what Trainer.run does when a run ends
        self.ends.append((trainer.step, True))

    @property
    def runs(self) -> Runs:
        """Where this run's training ended, for a link (rnnviz.store's runs): every end off the grid,
        and the step it has reached."""
        if not self.step:
            return ()
        ends = [(e, cut) for e, cut in self.ends if e < self.step]
        last = self.ends[-1] if self.ends and self.ends[-1][0] == self.step else (self.step, False)
        return (*ends, last)

    def replay(self, runs: Runs, between=None) -> None:
        """Train this (fresh) run through ``runs`` with step budgets only (see the module docstring)."""
        replay(self.trainer, runs, callback=self._on_row, between=between)
        self.ends = [end for end in runs if end[0] % GRID or end[0] == self.step and self.diverged]


@dataclass
class Pacer:
    """When to redraw while training: every tick, unless drawing costs more than DRAW_SHARE of the time.

    >>> pacer = Pacer()
    >>> pacer.due(), pacer.drew(0.2), pacer.due()   # a 0.2 s redraw: the next waits 1.8 s, not 1 s
    (True, None, False)
    """

    min_interval: float = DRAW_EVERY_SECONDS  # never more often than this
    last: float = -math.inf  # clock() of the last redraw
    cost: float = 0.0  # seconds the last redraw took
    clock: Callable[[], float] = field(default=time.perf_counter, repr=False)

    def due(self) -> bool:
        wait = max(self.min_interval, self.cost * (1 - DRAW_SHARE) / DRAW_SHARE)
        return self.clock() - self.last >= wait

    def drew(self, seconds: float) -> None:
        self.last, self.cost = self.clock(), seconds


@dataclass(frozen=True)
class Tick:
    steps: tuple[int, ...]  # steps each run took in this tick
    seconds: float  # wall time of the tick
    results: tuple[RunResult | None, ...]  # None for a run that had already diverged

    @property
    def diverged(self) -> list[str]:
        return [r.message for r in self.results if r is not None and r.status == "diverged"]


@dataclass(eq=False)
class Playground:
    """The runs a student compares (one to three), all on the same task, data and seed."""

    runs: list[Run]

    @classmethod
    def build(cls, configs: tuple[PlaygroundConfig, ...] | list[PlaygroundConfig]) -> Playground:
        configs = tuple(configs)
        if not 1 <= len(configs) <= MAX_RUNS:
            raise InputError(f"the Playground trains 1 to {MAX_RUNS} configurations, not {len(configs)}")
        keys = {c.task_key() for c in configs}
        if len(keys) > 1:
            raise InputError("compared runs must share the task, its settings, the batch size and the seed")
        return cls([Run.build(c) for c in configs])

    @property
    def configs(self) -> tuple[PlaygroundConfig, ...]:
        return tuple(r.cfg for r in self.runs)

    @property
    def step(self) -> int:
        """Training steps so far (the furthest run: a diverged run stops where it diverged)."""
        return max(r.step for r in self.runs)

    @property
    def live(self) -> list[Run]:
        return [r for r in self.runs if not r.diverged]

    def _train(self, steps: int, max_seconds: float, only: list[Run] | None = None) -> Tick:
        """``steps`` steps for each run of ``only`` (default: every run that has not diverged)."""
        start = time.perf_counter()
        chosen = self.live if only is None else only
        results = tuple(
            r.train(steps, max_seconds) if r in chosen and not r.diverged else None for r in self.runs
        )
        taken = tuple(0 if res is None else res.steps for res in results)
        return Tick(taken, time.perf_counter() - start, results)

    def trained(self) -> tuple[Runs, ...]:
        """Every run's training as a link carries it (empty for an untrained run)."""
        return tuple(r.runs for r in self.runs)

    def replay(self, trained: tuple[Runs, ...], between=None) -> None:
        """Bring fresh runs to where ``trained`` says (one entry per run; see ``Run.replay``)."""
        for run, runs in zip(self.runs, trained, strict=False):
            if runs:
                run.replay(runs, between)

    def step_batch(self) -> Tick:
        """Exactly one batch for every run that has not diverged."""
        return self._train(1, 60.0)

    def tick(self, seconds: float) -> Tick:
        """About ``seconds`` of training: runs that have not diverged advance by the same steps.

        The very first tick starts with one step per run, so a loss point appears at once.
        """
        if not seconds > 0:
            raise InputError("a tick needs some time to train")
        start = time.perf_counter()
        parts = []
        if self.step == 0:
            parts.append(self.step_batch())
        left = seconds - (time.perf_counter() - start)
        live = self.live
        if live and left > 0:
            if len(self.runs) == 1:  # one run: train until the time is up
                parts.append(self._train(MAX_TICK_STEPS, left))
            elif parts:  # no speeds measured yet: the first run sets the pace in its share of the time
                lead = self._train(MAX_TICK_STEPS, left / len(live), only=live[:1])
                parts.append(lead)
                n = lead.steps[self.runs.index(live[0])]
                if n and live[1:]:
                    parts.append(self._train(n, max(5.0, 4 * left), only=live[1:]))
            else:  # the same number of steps each, sized by the measured speeds
                per_step = sum(r.sec_per_step or 0.0 for r in live) or 1e-3
                n = max(1, min(MAX_TICK_STEPS, math.floor(left / per_step)))
                n += -(live[0].step + n) % GRID  # end on the grid: nothing of the tick shows in the numbers
                parts.append(self._train(n, max(5.0, 4 * left)))
        steps = tuple(sum(p.steps[i] for p in parts) for i in range(len(self.runs)))
        results = tuple(
            next((p.results[i] for p in reversed(parts) if p.results[i] is not None), None)
            for i in range(len(self.runs))
        )
        return Tick(steps, time.perf_counter() - start, results)
