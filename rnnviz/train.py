"""Training with budgets: every call to ``run`` is bounded in steps and seconds.

A page calls ``trainer.run(max_steps=200, max_seconds=5, callback=draw)`` per click; the next
click continues where this one stopped. A non-finite loss or gradient stops training with a
structured reason instead of an exception:

    >>> from rnnviz.model import ModelConfig, SeqModel
    >>> from rnnviz.tasks.adding import Adding
    >>> task = Adding(lag=10)
    >>> model = SeqModel(ModelConfig.for_task(task, cell="rnn_relu", hidden_size=16))
    >>> trainer = Trainer(model, task, TrainConfig(optimizer="sgd", lr=3.0, clip=None))
    >>> result = trainer.run(100, 600.0)               # at most 100 steps and 600 s of training
    >>> result.status, result.message
    ('diverged', 'diverged at step 3: gradient norm nan, loss inf')
    >>> start = trainer.model_at(0)                    # a copy at checkpoint 0: the initial weights
    >>> start.training, trainer.model.training         # the copy is in eval mode, the trainer untouched
    (False, True)

Works for any ``nn.Module`` with ``loss(batch) -> (loss, metrics)`` and any task with
``batch(batch_size, generator)``.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnviz.errors import InputError
from rnnviz.optim import SGD, Adam

OPTIMIZERS = ("adam", "sgd")

# A ``between`` hook for every run on this thread that is given none (see between_steps).
_ambient = threading.local()


@contextmanager
def between_steps(hook: Callable[[], object] | None):
    """While the block runs, every :meth:`Trainer.run` on this thread called without ``between``
    calls ``hook`` after each step: a job that trains many models under one held training slot
    (a comparison, a sweep) then takes turns like a single Train click, without being told."""
    before = getattr(_ambient, "hook", None)
    _ambient.hook = hook
    try:
        yield
    finally:
        _ambient.hook = before


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "adam"  # "adam" | "sgd"
    lr: float = 1e-2  # learning rate
    batch_size: int = 32  # sequences per step
    clip: float | None = 1.0  # max global gradient norm; None = no clipping
    seed: int = 0  # seeds the batch generator (the model has its own seed)
    log_every: int = 10  # steps between history rows and callback calls
    checkpoint_every: int = 50  # steps between in-memory checkpoints (0 = none)
    eval_batches: int = 0  # > 0: metrics also on fresh held-out batches at each log row
    max_checkpoints: int = 40  # oldest checkpoints are thinned beyond this many

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"optimizer must be one of {OPTIMIZERS}, not {self.optimizer!r}")
        if not isinstance(self.lr, (int, float)) or not math.isfinite(self.lr) or self.lr <= 0:
            raise InputError(f"learning rate must be a positive number, not {self.lr!r}")
        if self.lr > 10:
            raise InputError(f"learning rate {self.lr} is far too large: try 0.001 to 0.1")
        if not 1 <= self.batch_size <= 1024:
            raise InputError(f"batch size must be between 1 and 1024, not {self.batch_size}")
        if self.clip is not None and (not math.isfinite(self.clip) or self.clip <= 0):
            raise InputError(f"clipping threshold must be a positive number (or off), not {self.clip!r}")
        if self.log_every < 1:
            raise InputError("log_every must be at least 1")
        if self.checkpoint_every < 0 or self.eval_batches < 0:
            raise InputError("checkpoint_every and eval_batches must not be negative")


@dataclass(frozen=True)
class LogRow:
    step: int  # optimizer steps taken so far (1-based: the row after step 1 says 1)
    loss: float  # training loss of this step's batch
    grad_norm: float  # global gradient norm before clipping
    grad_norm_clipped: float  # after clipping (equal to grad_norm when clipping is off)
    seconds: float  # wall time spent training so far, over all runs
    metrics: dict = field(default_factory=dict)  # e.g. {"acc": 0.9, "val_loss": 1.2}


@dataclass(frozen=True)
class RunResult:
    status: str  # "done" (steps used up) | "budget" (seconds used up) | "diverged"
    message: str  # a sentence for the page
    steps: int  # steps taken in this run


def model_copy(model: nn.Module, state: dict) -> nn.Module:
    """A copy of ``model`` holding the weights ``state``, in eval mode, sharing no tensors with either."""
    twin = copy.deepcopy(model)
    twin.load_state_dict(state)  # copies the values into the twin's own tensors
    for p in twin.parameters():
        p.grad = None
    return twin.eval()


class Trainer:
    """Owns the optimizer, the batch generator and the training history of one model."""

    def __init__(self, model: nn.Module, task, cfg: TrainConfig = TrainConfig()):
        self.model, self.task, self.cfg = model, task, cfg
        self._optimizer: Adam | SGD | None = None
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.eval_generator = torch.Generator().manual_seed(cfg.seed + 1_000_003)
        self.step = 0
        self.seconds = 0.0
        self.history: list[LogRow] = []
        self.checkpoints: list[tuple[int, dict]] = []
        self.diverged: str | None = None
        if cfg.checkpoint_every:
            self._checkpoint()

    @property
    def optimizer(self) -> Adam | SGD:
        """Built on first use, from the parameters that train at that moment."""
        if self._optimizer is None:
            params = [p for p in self.model.parameters() if p.requires_grad]
            kind = Adam if self.cfg.optimizer == "adam" else SGD
            self._optimizer = kind(params, lr=self.cfg.lr)
        return self._optimizer

    def _checkpoint(self) -> None:
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.checkpoints.append((self.step, state))
        if len(self.checkpoints) > self.cfg.max_checkpoints:
            # keep the first and the newest; thin the middle by dropping every other one
            middle = self.checkpoints[1:-1][1::2]
            self.checkpoints = [self.checkpoints[0], *middle, self.checkpoints[-1]]

    def model_at(self, index: int = -1, *, step: int | None = None) -> nn.Module:
        """A copy of the model holding checkpoint ``index``, in eval mode; the trainer is untouched.

        ``index`` counts in ``checkpoints`` as a list does (0 = the first, usually the initial
        weights; -1 = the newest); ``step=s`` asks for the checkpoint saved after training step s
        instead. Checkpoints are thinned as they accumulate, so not every step has one.
        """
        if not self.checkpoints:
            raise InputError("this model keeps no checkpoints yet: train it (with checkpoint_every above 0)")
        if step is not None:
            saved = dict(self.checkpoints)
            if step not in saved:
                raise InputError(f"no checkpoint at step {step}: the saved steps are {sorted(saved)}")
            return model_copy(self.model, saved[step])
        n = len(self.checkpoints)
        if isinstance(index, bool) or not isinstance(index, int) or not -n <= index < n:
            raise InputError(
                f"checkpoint {index} does not exist: there are {n} (0 to {n - 1}, or -1 for the newest)"
            )
        return model_copy(self.model, self.checkpoints[index][1])

    def load_checkpoint(self, index: int) -> int:
        """Load checkpoint ``index`` into the model itself (views only: training history is kept).

        ``model_at`` gives a copy instead and leaves the live model alone.
        """
        step, state = self.checkpoints[index]
        self.model.load_state_dict(state)
        return step

    def _val_batch(self):
        try:
            return self.task.batch(self.cfg.batch_size, self.eval_generator, split="val")
        except TypeError:  # tasks without a held-out split draw fresh batches instead
            return self.task.batch(self.cfg.batch_size, self.eval_generator)

    @torch.no_grad()
    def evaluate(self, batches: int) -> dict:
        """Mean loss and metrics over fresh held-out batches (a fixed generator stream)."""
        self.model.eval()
        totals: dict[str, float] = {}
        for _ in range(batches):
            loss, metrics = self.model.loss(self._val_batch())
            for k, v in {"loss": float(loss), **metrics}.items():
                totals[k] = totals.get(k, 0.0) + v / batches
        self.model.train()
        return {f"val_{k}": v for k, v in totals.items()}

    def run(
        self,
        max_steps: int,
        max_seconds: float,
        callback: Callable[[Trainer, LogRow], None] | None = None,
        between: Callable[[], object] | None = None,
        *,
        cut_after: int | None = None,
    ) -> RunResult:
        """Train for at most ``max_steps`` steps and ``max_seconds`` of training time.

        ``callback(trainer, row)`` gets every history row. ``between()`` is called after every step;
        the time it takes (waiting for a turn on a shared server) counts neither against the budget
        nor in ``seconds``.

        ``cut_after=k`` ends the run after k steps exactly as a time budget would have (status
        "budget", no extra history row): replaying a run that wall time cut, for a link."""
        if self.diverged:
            return RunResult("diverged", self.diverged + " (reset the model to train again)", 0)
        if max_steps < 1 or not max_seconds > 0:
            raise InputError("a training run needs at least one step and some time")
        cfg = self.cfg
        if between is None:
            between = getattr(_ambient, "hook", None)
        self.model.train()
        start = time.perf_counter()
        paused = 0.0  # seconds spent in between(): not training

        def elapsed() -> float:
            return time.perf_counter() - start - paused

        taken = 0
        status = "done"
        while taken < max_steps:
            if elapsed() >= max_seconds or (cut_after is not None and taken >= cut_after):
                status = "budget"
                break
            batch = self.task.batch(cfg.batch_size, self.generator)
            loss, metrics = self.model.loss(batch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            params = [p for p in self.model.parameters() if p.grad is not None]
            # ||g|| over all parameters; clip_grad_norm_ returns the norm before clipping
            max_norm = cfg.clip if cfg.clip is not None else float("inf")
            grad_norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
            loss_value = loss.item()
            taken += 1
            self.step += 1
            if not (math.isfinite(loss_value) and math.isfinite(grad_norm)):
                self.seconds += elapsed()
                self.diverged = (
                    f"diverged at step {self.step}: gradient norm {grad_norm:.3g}, loss {loss_value:.3g}"
                )
                row = LogRow(self.step, loss_value, grad_norm, grad_norm, self.seconds, metrics)
                self.history.append(row)
                if callback:
                    callback(self, row)
                return RunResult("diverged", self.diverged, taken)
            self.optimizer.step()
            if self.step % cfg.log_every == 0 or taken == max_steps:
                clipped = min(grad_norm, cfg.clip) if cfg.clip is not None else grad_norm
                seconds = self.seconds + elapsed()
                if cfg.eval_batches:
                    metrics = {**metrics, **self.evaluate(cfg.eval_batches)}
                row = LogRow(self.step, loss_value, grad_norm, clipped, seconds, metrics)
                self.history.append(row)
                if callback:
                    callback(self, row)
            if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                self._checkpoint()
            if between is not None and taken < max_steps:
                pause_start = time.perf_counter()
                between()
                paused += time.perf_counter() - pause_start
        self.seconds += elapsed()
        if cfg.checkpoint_every and (not self.checkpoints or self.checkpoints[-1][0] != self.step):
            self._checkpoint()
        why = "time budget used" if status == "budget" else "step budget used"
        return RunResult(status, f"trained {taken} steps ({why}); {self.step} in total", taken)
