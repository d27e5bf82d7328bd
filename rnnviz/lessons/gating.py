"""Lessons 5 and 6 (LSTM and GRU): the numbers the pages show besides the worked arithmetic.

- ``read_sentence``: a typed sentence as ids, and its target;
- ``state_changes`` / ``busiest_unit``: ||c_t - c_{t-1}|| and ||h_t - h_{t-1}|| over time;
- ``batch_gates`` / ``saturation`` / ``model_at``: gate values over a batch, how many sit near 0
  or 1, before (checkpoint 0) and after training;
- ``intervene``: the same sequence with and without a clamped gate;
- ``with_cell``: the same weights read by another cell of the same layout (torch vs paper GRU);
- ``param_terms``: parameter counts as formulas of the chosen sizes; ``time_steps``: ms per step;
  ``held_out_accuracy``: accuracy on one fixed held-out batch.

The worked arithmetic of one step is in ``rnnviz.lessons.worked``, the deep feedforward stacks
(highway, residual) in ``rnnviz.lessons.depth``.

>>> from rnnviz.tasks.first_word import FirstWord
>>> cfg = ModelConfig.for_task(FirstWord(lag=4, n_countries=3), cell="gru", hidden_size=8)
>>> [(t.formula, t.count) for t in param_terms(cfg)]
[('3 × (8·34 + 8·8 + 2·8)', 1056), ('O·8 + O = 3·8 + 3', 27)]
>>> saturation(np.array([0.01, 0.5, 0.97, 0.99]))
{'near 0': 0.25, 'between': 0.25, 'near 1': 0.5}
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnnviz.cells import CELLS
from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.trace import GateClamp, LayerTrace, Trace, trace
from rnnviz.train import TrainConfig, Trainer


def read_sentence(task, text: str, max_words: int = 200) -> tuple[torch.Tensor, int | None]:
    """Word ids of ``text`` for a FirstWord task, and its target: the first word's language, if a country.

    >>> from rnnviz.tasks.first_word import FirstWord
    >>> read_sentence(FirstWord(lag=4), "Spain the rain fluent")
    (tensor([ 1, 11, 20, 34]), 1)
    """
    ids = task.encode(text)
    if not 2 <= len(ids) <= max_words:
        raise InputError(f"type 2 to {max_words} words, e.g. 'Spain the rain fluent' (got {len(ids)})")
    first = int(ids[0])
    return ids, first if first < task.n_countries else None


def state_changes(lt: LayerTrace) -> dict[str, np.ndarray]:
    """||h_t - h_{t-1}|| and (LSTMs) ||c_t - c_{t-1}|| for t = 1..T, with h_0 = c_0 = 0 (row t - 1)."""
    out = {}
    for name, a in (("c", lt.c), ("h", lt.h)):
        if a is not None:
            prev = np.vstack([np.zeros((1, a.shape[1])), a[:-1]])
            out[f"||{name}_t - {name}_(t-1)||"] = np.linalg.norm(a - prev, axis=1)
    return out


def busiest_unit(lt: LayerTrace) -> int:
    """The unit with the largest |c| (LSTMs) or |h| at the last step: usually one that remembers."""
    a = lt.c if lt.c is not None else lt.h
    return int(np.argmax(np.abs(a[-1])))


@torch.no_grad()
def batch_gates(model: SeqModel, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Gate values of layer 1 over a batch ``x`` (B, T): name -> (B, T, H), after the nonlinearity."""
    spec, p = CELLS[model.cfg.cell], model.layers[0].params(0)
    inp = model.embed(x)  # (B, T, D)
    h = inp.new_zeros(x.shape[0], model.cfg.hidden_size)
    state = (h, h) if spec.has_cell_state else h
    found: dict[str, list] = {g: [] for g in spec.gates}
    for t in range(inp.shape[1]):
        state, gates, _ = spec.step(inp[:, t], state, p)
        for g in spec.gates:
            found[g].append(gates[g])
    return {g: torch.stack(v, dim=1).numpy() for g, v in found.items()}


def saturation(values: np.ndarray, eps: float = 0.05) -> dict[str, float]:
    """Shares of gate values near 0 (< eps), near 1 (> 1 - eps) and in between (sigmoid gates)."""
    a = np.asarray(values).ravel()
    low, high = float(np.mean(a < eps)), float(np.mean(a > 1 - eps))
    return {"near 0": low, "between": 1.0 - low - high, "near 1": high}


def model_at(trainer: Trainer, index: int = 0) -> SeqModel:
    """``trainer.model_at(index)``: a copy at checkpoint ``index`` (0 = the initial weights), in eval mode."""
    return trainer.model_at(index)


def with_cell(model: SeqModel, cell: str) -> SeqModel:
    """The same weights read by another cell with the same layout (torch's GRU as the paper's GRU)."""
    old, new = CELLS[model.cfg.cell], CELLS[cell]
    if (old.rows, old.peephole) != (new.rows, new.peephole):
        raise InputError(f"{new.title} has a different weight layout from {old.title}: no weights to share")
    twin = SeqModel(dataclasses.replace(model.cfg, cell=cell))
    twin.load_state_dict(model.state_dict())
    return twin


@dataclass(frozen=True)
class Intervention:
    base: Trace  # the sequence as the model reads it
    clamped: Trace  # the same sequence with the clamps applied
    clamps: tuple[GateClamp, ...]  # what was fixed, where

    @property
    def loss_change(self) -> float:
        return self.clamped.loss - self.base.loss


def intervene(model: SeqModel, x, y, clamps: tuple[GateClamp, ...]) -> Intervention:
    """Trace ``x`` twice, free and clamped; gradients are of the loss against ``y`` (None = own guess)."""
    T = len(x)
    for c in clamps:
        if not 0 <= c.start < T or (c.stop is not None and not c.start < c.stop <= T):
            raise InputError(f"clamp steps must satisfy 0 <= start < stop <= {T}, got {c.start} to {c.stop}")
        lo = -1.0 if c.gate in ("g", "n") else 0.0
        if not lo <= c.value <= 1.0:
            raise InputError(
                f"gate {c.gate} lives in [{lo:g}, 1]: clamp it to a value in that range, not {c.value}"
            )
    base = trace(model, x, y, jacobians=False)
    return Intervention(base, trace(model, x, y, clamps=clamps, jacobians=False), tuple(clamps))


@torch.no_grad()
def held_out_accuracy(model: nn.Module, task, n: int = 256, seed: int = 0) -> float:
    """Accuracy on one fixed held-out batch of ``n`` (the same batch on every call: numbers do not jitter)."""
    batch = task.batch(n, torch.Generator().manual_seed(seed + 99), split="val")
    was_training = model.training
    model.eval()
    acc = model.loss(batch)[1]["acc"]
    model.train(was_training)
    return float(acc)


@dataclass(frozen=True)
class ParamTerm:
    part: str  # "layer 1", "output head", "embedding"
    formula: str  # with the sizes filled in, e.g. "4 × (16·34 + 16·16 + 2·16)"
    count: int  # the number of parameters it gives


def param_terms(cfg: ModelConfig) -> list[ParamTerm]:
    """Parameter counts of a model config, part by part; they add up to ``param_count(SeqModel(cfg))``."""
    spec, H, dirs = CELLS[cfg.cell], cfg.hidden_size, cfg.directions
    terms = []
    if cfg.input_kind == "tokens" and cfg.embed_dim:
        terms.append(
            ParamTerm("embedding", f"V·E = {cfg.input_size}·{cfg.embed_dim}", cfg.input_size * cfg.embed_dim)
        )
    for k in range(cfg.num_layers):
        D, G = cfg.layer_input_size(k), spec.rows
        if getattr(spec, "recurrent", True):
            # G gate blocks, each W_ih (H x D), W_hh (H x H), b_ih and b_hh (H each); peepholes add 3 H
            one = G * (H * D + H * H + 2 * H) + (3 * H if spec.peephole else 0)
            formula = f"{G} × ({H}·{D} + {H}·{H} + 2·{H})" + (f" + 3·{H}" if spec.peephole else "")
        else:  # gates that read x_t only: G blocks of W_ih (H x D) and b_ih (H), no W_hh, no b_hh
            one = G * (H * D + H)
            formula = f"{G} × ({H}·{D} + {H})"
        if dirs == 2:
            formula = f"2 directions × [{formula}]"
        terms.append(ParamTerm(f"layer {k + 1} ({spec.title})", formula, dirs * one))
    top = dirs * H
    terms.append(
        ParamTerm(
            "output head",
            f"O·{top} + O = {cfg.output_size}·{top} + {cfg.output_size}",
            cfg.output_size * (top + 1),
        )
    )
    return terms


def time_steps(
    models: dict[str, nn.Module], task, steps: int = 20, batch_size: int = 32, seed: int = 0, rounds: int = 3
) -> dict[str, float]:
    """Milliseconds per training step (forward, backward, Adam step) of copies of ``models``.

    Rounds alternate between the models, so a busy machine slows all of them alike; the median
    round counts. The models themselves are not changed.
    """
    cfg = TrainConfig(batch_size=batch_size, seed=seed, log_every=steps, checkpoint_every=0)
    trainers = {k: Trainer(copy.deepcopy(m), task, cfg) for k, m in models.items()}
    times: dict[str, list[float]] = {k: [] for k in models}
    for _ in range(rounds):
        for k, tr in trainers.items():
            start = time.perf_counter()
            tr.run(steps, 60.0)
            times[k].append(1000 * (time.perf_counter() - start) / steps)
    return {k: float(np.median(v)) for k, v in times.items()}
