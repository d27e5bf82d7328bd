"""Lesson 4, exploding gradients in practice: a run that diverges, and the same run with clipping.

The preset is a ReLU RNN whose W_hh starts as 1.1 I: a little above the IRNN of Le, Jaitly and Hinton
(2015), which starts from W_hh = I exactly. With nothing to squash h_t, both the state and the gradient
grow by about 10% per step back through time. Plain SGD takes a step of lr * g, however large ||g||
is; the first gradient of this preset has a norm in the hundreds to thousands, the step wrecks the
weights, and at step 2 the loss overflows. Clipping by norm rescales g to ||g|| <= clip before the step:

    g <- g * min(1, clip / ||g||)

so the same steps keep their direction but are at most lr * clip long, and the model trains.

>>> preset = ExplodingPreset()
>>> raw = exploding_run(preset, None, max_seconds=600)  # the preset's 300 steps end it, never the clock
>>> clipped = exploding_run(preset, preset.clip, max_seconds=600)
>>> raw.status, raw.diverged_step, clipped.status
('diverged', 2, 'done')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks import FirstWord
from rnnviz.train import TrainConfig, Trainer


@dataclass(frozen=True)
class ExplodingPreset:
    cell: str = "rnn_relu"  # Elman RNN with ReLU: nothing squashes h_t, so nothing caps the growth
    lag: int = 30  # remember-the-first-word: T = lag + 2 steps
    hidden_size: int = 32  # H
    w_hh_scale: float = 1.1  # W_hh starts as 1.1 * I (the IRNN starts at I), so rho(W_hh) = ||W_hh|| = 1.1
    optimizer: str = "sgd"  # plain gradient descent: the step is lr * gradient, however large
    lr: float = 0.02  # learning rate
    clip: float = 1.0  # the clipped run's threshold on the global gradient norm
    steps: int = 300  # training steps per run
    seed: int = 0  # initial weights and batches, the same for both runs

    def task(self) -> FirstWord:
        return FirstWord(lag=self.lag, seed=self.seed)

    def model(self) -> SeqModel:
        task = self.task()
        model = SeqModel(
            ModelConfig.for_task(task, cell=self.cell, hidden_size=self.hidden_size, seed=self.seed)
        )
        with torch.no_grad():
            # W_hh = scale * I: every unit keeps (scale x) its value from the step before
            model.layers[0].params(0)["weight_hh"].copy_(self.w_hh_scale * torch.eye(self.hidden_size))
        return model

    def trainer(self, clip: float | None) -> Trainer:
        cfg = TrainConfig(
            optimizer=self.optimizer,
            lr=self.lr,
            batch_size=32,
            clip=clip,
            seed=self.seed,
            log_every=1,
            checkpoint_every=0,
        )
        return Trainer(self.model(), self.task(), cfg)


def first_gradient_norm(preset: ExplodingPreset) -> float:
    """||g|| of the first training batch at the preset's initial weights (what step 1 would use)."""
    trainer = preset.trainer(None)
    batch = preset.task().batch(32, trainer.generator)
    loss, _ = trainer.model.loss(batch)
    loss.backward()
    # ||g|| = sqrt(sum over every parameter of its squared gradient entries)
    return float(torch.sqrt(sum((p.grad**2).sum() for p in trainer.model.parameters() if p.grad is not None)))


@dataclass(frozen=True)
class ClipCheck:
    norm: float  # ||g|| of the first batch's gradient
    norm_clipped: float  # ||g'|| after torch.nn.utils.clip_grad_norm_(params, clip), as the Trainer clips
    cosine: float  # cos(g, g') = g . g' / (||g|| ||g'||): 1 = the same direction
    cosine_by_value: float  # cos(g, g'') with g'' = every entry clipped to [-clip, clip] instead
    norm_by_value: float  # ||g''||


def _flat(params) -> torch.Tensor:
    return torch.cat([p.grad.detach().double().reshape(-1) for p in params])


def _cos(a: torch.Tensor, b: torch.Tensor) -> float:
    # cos(a, b) = a . b / (||a|| ||b||)
    return float(a @ b / (a.norm() * b.norm()))


def clip_check(preset: ExplodingPreset) -> ClipCheck:
    """Clip the first batch's gradient by norm (the Trainer's call) and by value: what happens to it."""
    trainer = preset.trainer(None)
    batch = preset.task().batch(32, trainer.generator)
    loss, _ = trainer.model.loss(batch)
    loss.backward()
    params = [p for p in trainer.model.parameters() if p.grad is not None]
    g = _flat(params)
    saved = [p.grad.clone() for p in params]
    # g' = g * min(1, c / ||g||): the same call Trainer.run makes
    torch.nn.utils.clip_grad_norm_(params, preset.clip)
    g_norm = _flat(params)
    for p, v in zip(params, saved, strict=True):
        p.grad.copy_(v)
    # g''_k = max(-c, min(c, g_k)): clipping by value, entry by entry
    torch.nn.utils.clip_grad_value_(params, preset.clip)
    g_value = _flat(params)
    return ClipCheck(
        norm=float(g.norm()),
        norm_clipped=float(g_norm.norm()),
        cosine=_cos(g, g_norm),
        cosine_by_value=_cos(g, g_value),
        norm_by_value=float(g_value.norm()),
    )


def clip_question(check: ClipCheck, clip: float) -> tuple[str, list[str], int, str, dict[int, str]]:
    """A predict question on clipping by norm: options, the right index and feedback, from ``check``.

    The right answer is the option whose cosine is nearest the measured cos(g, g')."""
    by_value = check.cosine_by_value if abs(check.cosine_by_value - 1) > 0.05 else 0.5
    choices = [
        (1.0, "cos = 1: the same direction, only shorter."),
        (by_value, f"cos ≈ {by_value:.2f}: it turns, the way clipping every entry to [-c, c] does."),
        (0.0, "cos = 0: it turns at right angles to the gradient."),
        (-1.0, "cos = -1: it points the other way, so the step goes uphill."),
    ]
    answer = min(range(len(choices)), key=lambda k: abs(choices[k][0] - check.cosine))
    question = (
        f"Section 4 clips the first batch's gradient, of norm {check.norm:,.0f}, to length c = "
        f"{clip:g}. Predict "
        "before you click *Train both runs*: what is the cosine between the gradient before and after "
        "clipping?"
    )
    why = (
        f"Measured: cos(g, g') = {check.cosine:.9f} and ||g'|| = {check.norm_clipped:.4f}. Clipping by norm "
        "multiplies every entry by the same number min(1, c / ||g||), so only the length changes. "
        "Clipping by "
        f"value cuts each entry separately and turns the gradient (cos = {check.cosine_by_value:.3f} here)."
    )
    hints = {
        k: (
            "Clipping by norm multiplies the whole gradient by one positive number, min(1, c / ||g||). "
            "What does multiplying a vector by a positive number do to its direction?"
        )
        for k in range(len(choices))
        if k != answer
    }
    return question, [text for _, text in choices], answer, why, hints


@dataclass(frozen=True)
class ExplodingRun:
    clip: float | None  # the clipping threshold (None = off)
    status: str  # "done" | "budget" | "diverged"
    message: str  # the trainer's sentence, e.g. "diverged at step 2: gradient norm inf, loss 2e+20"
    step: np.ndarray  # (n,) training steps of the rows
    loss: np.ndarray  # (n,) loss of each step's batch
    acc: np.ndarray  # (n,) accuracy on each step's batch
    grad_norm: np.ndarray  # (n,) ||g|| before clipping
    grad_norm_clipped: np.ndarray  # (n,) ||g|| after clipping: min(||g||, clip)
    diverged_step: int | None  # the step whose loss or gradient was not finite
    diverged_norm: float | None  # the gradient norm at that step

    def final_acc(self, last: int = 20) -> float:
        """Mean accuracy over the last ``last`` training batches (NaN if it diverged)."""
        if self.status == "diverged" or not len(self.acc):
            return float("nan")
        return float(np.mean(self.acc[-last:]))

    def frame(self, name: str) -> pd.DataFrame:
        """The run step by step, each row labelled ``name`` in its 'run' column."""
        return pd.DataFrame(
            {
                "run": name,
                "step": self.step,
                "loss": self.loss,
                "batch accuracy": self.acc,
                "||g||": self.grad_norm,
                "||g|| after clipping": self.grad_norm_clipped,
            }
        )


def runs_frame(raw: ExplodingRun, clipped: ExplodingRun) -> pd.DataFrame:
    """Both preset runs in one table: without clipping, then clipped at its threshold."""
    return pd.concat([raw.frame("without clipping"), clipped.frame(f"clipped at {clipped.clip:g}")])


def exploding_run(preset: ExplodingPreset, clip: float | None, max_seconds: float = 60.0) -> ExplodingRun:
    """Train the preset once, with or without clipping; a divergence is a result, not an error."""
    trainer = preset.trainer(clip)
    result = trainer.run(preset.steps, max_seconds)
    h = trainer.history
    last = h[-1] if h else None
    diverged = result.status == "diverged" and last is not None
    return ExplodingRun(
        clip=clip,
        status=result.status,
        message=result.message,
        step=np.array([r.step for r in h]),
        loss=np.array([r.loss for r in h], dtype=np.float64),
        acc=np.array([r.metrics.get("acc", np.nan) for r in h], dtype=np.float64),
        grad_norm=np.array([r.grad_norm for r in h], dtype=np.float64),
        grad_norm_clipped=np.array([r.grad_norm_clipped for r in h], dtype=np.float64),
        diverged_step=last.step if diverged else None,
        diverged_norm=last.grad_norm if diverged else None,
    )
