"""Lesson 6's grid section: a grid LSTM and a stacked LSTM of about as many parameters, trained on the
same copy task with the same seed, and what the page says about them (every sentence from numbers).

The task is rnnviz.tasks.CopyTask: read ``length`` symbols, wait ``lag`` blanks, write them back.

>>> cfg = GridLesson(layers=3, hidden_size=8)
>>> cfg.stacked_hidden(), cfg.param_counts()  # the stacked LSTM's H is the one closest in size
(12, {'grid LSTM': 3364, 'stacked LSTM': 3508})
>>> GridLesson(layers=9)
Traceback (most recent call last):
rnnviz.errors.InputError: layers must be at most 6 (got 9): the grid has 1 to 6 layers
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from rnnviz.grid_lstm import GridConfig, GridLSTM, GridRun, grid_param_count
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.questions import Question
from rnnviz.tasks.base import check_int
from rnnviz.tasks.copy_task import CopyTask
from rnnviz.train import TrainConfig, Trainer

MODELS = ("grid LSTM", "stacked LSTM")
MAX_LAYERS = 6
EVAL_SEQUENCES = 256  # held-out sequences both models are scored on, one fixed draw per seed
TIE_POINTS = 2.0  # accuracies closer than this many percentage points are called level


@dataclass(frozen=True)
class GridLesson:
    """The grid section's settings: task, both models, training."""

    layers: int = 4  # L: blocks along depth (the grid) and stacked layers (the LSTM)
    hidden_size: int = 12  # H of every grid block; the stacked LSTM gets the H closest in parameters
    n_symbols: int = 4  # copy task: alphabet A, B, C, D
    length: int = 3  # copy task: symbols to recall
    lag: int = 5  # copy task: blanks before the delimiter
    lr: float = 0.01  # Adam learning rate, both models
    batch_size: int = 32  # sequences per training step, the same batches for both
    seed: int = 0  # weights of both models, batches, the test example

    def __post_init__(self) -> None:
        check_int("layers", self.layers, 1, MAX_LAYERS, f": the grid has 1 to {MAX_LAYERS} layers")
        check_int("hidden size", self.hidden_size, 2, 64)
        check_int("batch size", self.batch_size, 1, 1024)
        self.task()  # the task checks its own knobs

    def task(self) -> CopyTask:
        return CopyTask(n_symbols=self.n_symbols, length=self.length, lag=self.lag, seed=self.seed)

    def grid_config(self) -> GridConfig:
        return GridConfig.for_task(
            self.task(), hidden_size=self.hidden_size, num_layers=self.layers, seed=self.seed
        )

    def stacked_config(self, hidden: int | None = None) -> ModelConfig:
        return ModelConfig.for_task(
            self.task(), cell="lstm", hidden_size=hidden or self.stacked_hidden(), num_layers=self.layers,
            seed=self.seed,
        )  # fmt: skip

    def stacked_hidden(self) -> int:
        """The stacked LSTM's H whose parameter count is closest to the grid's (the smaller on a tie)."""
        target = grid_param_count(self.grid_config())
        return min(range(2, 129), key=lambda h: (abs(_stacked_count(self.stacked_config(h)) - target), h))

    def param_counts(self) -> dict[str, int]:
        return {
            "grid LSTM": grid_param_count(self.grid_config()),
            "stacked LSTM": _stacked_count(self.stacked_config()),
        }

    def train_config(self) -> TrainConfig:
        return TrainConfig(lr=self.lr, batch_size=self.batch_size, seed=self.seed, checkpoint_every=0)

    def grid_trainer(self) -> Trainer:
        return Trainer(GridLSTM(self.grid_config()), self.task(), self.train_config())

    def stacked_trainer(self) -> Trainer:
        return Trainer(SeqModel(self.stacked_config()), self.task(), self.train_config())


def _stacked_count(cfg: ModelConfig) -> int:
    """L layers of 4H (D_k + H + 2), plus the head O (H + 1): torch.nn.LSTM's count, without building it."""
    H = cfg.hidden_size
    return sum(4 * H * (cfg.layer_input_size(k) + H + 2) for k in range(cfg.num_layers)) + cfg.output_size * (
        H + 1
    )


@dataclass(frozen=True)
class Scores:
    """Both models on the same EVAL_SEQUENCES held-out sequences (a fixed draw for the seed)."""

    loss: dict[str, float]  # mean cross-entropy over the recall steps
    acc: dict[str, float]  # share of recall steps right, 0..1

    def frame(self, trainers: dict, counts: dict[str, int]):
        import pandas as pd

        return pd.DataFrame(
            {
                "model": list(trainers),
                "parameters": [counts[n] for n in trainers],
                "training steps": [tr.step for tr in trainers.values()],
                "training seconds": [round(tr.seconds, 1) for tr in trainers.values()],
                "held-out loss": [round(self.loss[n], 4) for n in trainers],
                "held-out accuracy (%)": [round(100 * self.acc[n], 1) for n in trainers],
            }
        )


def score(models: dict, task: CopyTask, seed: int) -> Scores:
    batch = task.batch(EVAL_SEQUENCES, torch.Generator().manual_seed(seed + 4_242), split="val")
    loss, acc = {}, {}
    with torch.no_grad():
        for name, model in models.items():
            was = model.training
            model.eval()
            value, metrics = model.loss(batch)
            model.train(was)
            loss[name], acc[name] = float(value), metrics["acc"]
    return Scores(loss, acc)


def result_sentence(scores: Scores, steps: dict[str, int], chance: float) -> str:
    """Which model recalls more of the held-out symbols, by how many points, after how much training."""
    if not any(steps.values()):
        return (
            f"Neither model is trained yet: with their initial weights the grid LSTM recalls "
            f"{100 * scores.acc['grid LSTM']:.1f}% of the held-out symbols and the stacked LSTM "
            f"{100 * scores.acc['stacked LSTM']:.1f}% (chance is {100 * chance:.0f}%)."
        )
    g, s = (100 * scores.acc[n] for n in MODELS)
    done = " and ".join(f"{steps[n]} steps for the {n}" for n in MODELS)
    if abs(g - s) < TIE_POINTS:
        verdict = (
            f"they are level: {g:.1f}% for the grid, {s:.1f}% for the stacked LSTM "
            f"(within {TIE_POINTS:g} points)"
        )
    else:
        win, lose = ("grid LSTM", "stacked LSTM") if g > s else ("stacked LSTM", "grid LSTM")
        verdict = (
            f"the **{win}** recalls more: {max(g, s):.1f}% of the held-out symbols against "
            f"{min(g, s):.1f}% for the {lose}, {abs(g - s):.1f} points ahead"
        )
    text = f"After {done}, {verdict} (chance is {100 * chance:.0f}%)."
    short = min(MODELS, key=lambda n: steps[n])
    if steps[short] != max(steps.values()):  # a click that ran out of time: not yet a fair race
        text += (
            f" Not an equal race yet: the {short} has trained {max(steps.values()) - steps[short]} steps "
            "fewer (its click ran out of time); the training curves compare them at equal steps."
        )
    return text


@dataclass(frozen=True, eq=False)
class Memory:
    """The trained grid read on one test example: per layer l and step t, for every unit."""

    tokens: list[str]  # the example's symbols, step t = index + 1
    run: GridRun  # everything the forward pass computed (batch of one)

    @cached_property
    def m(self) -> np.ndarray:
        return self.run.m[0].permute(1, 0, 2).numpy()  # (L, T, H): memory along depth m_{t,l}

    @cached_property
    def c(self) -> np.ndarray:
        return self.run.c[0].permute(1, 0, 2).numpy()  # (L, T, H): memory along time c_{t,l}

    def norms(self, which: str) -> np.ndarray:
        """||m_{t,l}|| or ||c_{t,l}|| over the units: (L, T)."""
        return np.linalg.norm(self.m if which == "m" else self.c, axis=-1)

    def depth_step(self, t: int, layer: int, unit: int) -> dict[str, float]:
        """The depth transform's numbers at step t (1..T), layer l (1..L), unit j: m_{t,l} from m_{t,l-1}."""
        T, L = len(self.tokens), self.m.shape[0]
        check_int("step t", t, 1, T)
        check_int("layer l", layer, 1, L)
        check_int("unit j", unit, 0, self.m.shape[2] - 1)
        gates = self.run.gates["depth"]
        at = (0, t - 1, layer - 1, unit)
        below = 0.0 if layer == 1 else float(self.m[layer - 2, t - 1, unit])  # m_{t,0} = 0
        return {
            "f": float(gates["f"][at]),
            "m_below": below,
            "i": float(gates["i"][at]),
            "g": float(gates["g"][at]),
            "o": float(gates["o"][at]),
            "m": float(self.m[layer - 1, t - 1, unit]),
            "h": float(self.run.h_depth[at]),
        }

    def scale_sentence(self, unit: int) -> str:
        """The two memories' largest sizes on this example, so a shared colour scale reads right."""
        m, c = (float(np.abs(v[:, :, unit]).max()) for v in (self.m, self.c))
        text = f"Largest |m| of unit {unit} on this example: {m:.3f}; largest |c|: {c:.3f}"
        if min(m, c) > 0:
            big, small = ("c", "m") if c >= m else ("m", "c")
            text += f" ({big} reaches {max(m, c) / min(m, c):.1f}× the size of {small})"
        return text + "."

    def sentence(self, unit: int) -> str:
        """Where the depth memory of unit j is largest and how much of it the top layer still holds."""
        m = self.m[:, :, unit]
        L, T = m.shape
        layer, t = np.unravel_index(np.argmax(np.abs(m)), m.shape)
        carry = self.run.gates["depth"]["f"][0, :, :, unit].numpy()  # (T, L)
        text = (
            f"On this test example unit {unit}'s depth memory is largest at layer {layer + 1}, step {t + 1} "
            f"($m = {m[layer, t]:+.3f}$, symbol {self.tokens[t]!r})."
        )
        if L > 1:
            upper = carry[:, 1:]  # f' of layers 2..L, which multiplies the m coming from below
            text += (
                f" Above layer 1 its depth forget gate $f'$ averages {upper.mean():.2f} (from "
                f"{upper.min():.2f} to {upper.max():.2f}): the share of $m_{{t,l-1}}$ each layer passes up."
            )
        return text


def read_memory(model: GridLSTM, task: CopyTask) -> Memory:
    """The grid on the task's own test example (``task.example()``, fixed by the task's seed)."""
    example = task.example(0, split="val")
    was = model.training
    model.eval()
    with torch.no_grad():
        run = model.run(example.x)
    model.train(was)
    return Memory(list(task.decode(example.x[0])), run)


def depth_question(memory: Memory, t: int, layer: int, unit: int) -> Question | None:
    """Predict how much of the layer below's m reaches m_{t,l} along the depth road, with the live
    gate: f' m_{t,l-1}. Asked at layer l >= 2 (the page's layer, or 2 when it shows layer 1); None for
    a one-layer grid, whose only m_{t,0} is 0."""
    layer = max(layer, 2)
    if memory.m.shape[0] < 2:
        return None
    v = memory.depth_step(t, layer, unit)
    kinds = {
        "kept": v["f"] * v["m_below"],  # f' ⊙ m_{t,l-1}: the right answer
        "all": v["m_below"],
        "forgotten": (1 - v["f"]) * v["m_below"],
        "sum": v["m"],
    }
    order = sorted(kinds, key=lambda k: kinds[k])  # the numbers decide where the right one stands
    options, seen = [], {f"{kinds['kept']:+.3f}"}  # an option that reads like the answer is dropped
    for kind in order:
        text = f"{kinds[kind]:+.3f}"
        if kind == "kept" or text not in seen:
            options.append((kind, text))
            seen.add(text)
    answer = next(i for i, (kind, _) in enumerate(options) if kind == "kept")
    miss = {
        "all": "that is all of $m_{t,l-1}$: the depth forget gate $f'$ scales it before it arrives.",
        "forgotten": "that is the part $f'$ drops, $(1 - f') \\, m_{t,l-1}$.",
        "sum": "that is $m_{t,l}$ itself, which also adds the new content $i' g'$.",
    }
    return Question(
        f"Predict: at step t = {t}, layer l = {layer}, unit {unit}, the live grid's depth forget gate is "
        f"$f' = {v['f']:.3f}$ and the layer below hands up $m_{{t,l-1}} = {v['m_below']:+.3f}$. How much "
        "of it reaches $m_{t,l}$ along the depth road, before the new content $i' g'$ is added?",
        [text for _, text in options],
        answer,
        f"$f' \\, m_{{t,l-1}} = {v['f']:.3f} \\times {v['m_below']:+.3f} = {kinds['kept']:+.3f}$; adding "
        f"$i' g' = {v['i'] * v['g']:+.3f}$ gives $m_{{t,l}} = {v['m']:+.3f}$. This road through depth is "
        "what a stacked LSTM does not have.",
        {i: miss[kind] for i, (kind, _) in enumerate(options) if kind != "kept"},
    )
