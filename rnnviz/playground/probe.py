"""What the Playground records while it trains: gradients through time and gate saturation.

Every few steps a fixed probe batch (held-out sequences, the same for every compared run) is
replayed step by step through the model's own weights:

- ``grad_norm[t]`` = mean over the batch of ||dL_last/dh_t||: how strongly the loss at the last
  counted step of each sequence reaches back to the hidden state at step t, through every path
  (h_t -> h_{t+1} -> ... ). A vanishing gradient shows as a column that fades towards t = 1
  (the first step; arrays index it 0).
- ``saturation[gate]``: the share of gate values where the gate's nonlinearity is flat (sigmoid
  gates below 0.05 or above 0.95, tanh values beyond +-0.95, ReLU at 0), so almost no gradient
  passes through them; gates with no nonlinearity (``CellSpec.linear``: minGRU's n, minLSTM's g,
  the selective cell's b) have no flat part and no entry. ``near_one[gate]`` is the part above
  0.95 (an f near 1 keeps c_{t-1}).

>>> from rnnviz.playground import PlaygroundConfig, build_trainer
>>> trainer = build_trainer(PlaygroundConfig(task="first_word", lag=10, cell="lstm"))
>>> probe = Probe.for_task(trainer.task, size=16)          # first_word, lag 10: T = 12
>>> record = probe.record(trainer.model, step=0)
>>> record.grad_norm.shape, sorted(record.saturation)
((12,), ['f', 'g', 'i', 'o'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from rnnviz.cells import CELLS
from rnnviz.model import SeqModel
from rnnviz.tasks.base import Batch

EPS = 0.05  # "flat": within EPS of a sigmoid's 0 or 1, or of tanh's -1 or 1
PROBE_SIZE = 16  # sequences in the probe batch
MAX_PROBES = 200  # probe records kept per run; older ones are thinned beyond this
PROBE_OFFSET = 7_919  # the probe batch's generator offset: fixed, apart from example() indices


def gate_names(cell: str) -> tuple[str, ...]:
    """The gates: i, f, g, o (LSTM), r, z, n (GRU), h (RNN), z, n (minGRU), f, i, g (minLSTM), a, b
    (selective). Those in ``CellSpec.linear`` have no nonlinearity (and no saturation)."""
    spec = CELLS[cell]
    return tuple(g for g in spec.gates if g not in ("c", "h")) or ("h",)


# squashed into (0, 1) by something other than a plain sigmoid of a logit, yet flat where a sigmoid is
_SIGMOID_LIKE = {
    "min_lstm": "f, i (minLSTM, normalised: f' = f / (f + i) = σ(log f − log i))",
    "selective": "a (Selective linear recurrence: exp(−softplus(u)) = σ(−u))",
}


def saturation_rule(cells) -> str:
    """What counts as saturated, for the cells on the page (the rule ``flat_share`` applies).

    >>> saturation_rule(["lstm"])[:60]
    "The share of gate values where the gate's nonlinearity is fl"
    >>> saturation_rule(["lstm", "min_gru"]).endswith("No nonlinearity, so no line: n (minGRU).")
    True
    """
    asked = set(cells)
    cells = [c for c in CELLS if c in asked]  # CELLS' order, once each
    linear = [f"{', '.join(CELLS[c].linear)} ({CELLS[c].title})" for c in cells if CELLS[c].linear]
    tanh = "an LSTM's g, a GRU's n, or h of a tanh RNN" if linear else "g, n, or h of a tanh RNN"
    text = (
        "The share of gate values where the gate's nonlinearity is flat: a sigmoid gate (i, f, o, r, z) "
        f"below 0.05 or above 0.95, a tanh value ({tanh}) beyond ±0.95, a ReLU unit at 0. Little "
        "gradient passes there."
    )
    like = [_SIGMOID_LIKE[c] for c in cells if c in _SIGMOID_LIKE]
    if like:
        text += f" Counted as sigmoid gates: {'; '.join(like)}."
    if linear:
        text += f" No nonlinearity, so no line: {'; '.join(linear)}."
    return text


def flat_share(values: np.ndarray, gate: str, cell: str) -> tuple[float, float]:
    """(share in a flat region, share near 1) of ``values`` of ``gate`` in ``cell``."""
    a = np.asarray(values).ravel()
    if gate in ("g", "n") or (gate == "h" and cell == "rnn_tanh"):  # tanh: flat beyond +-(1 - EPS)
        return float(np.mean(np.abs(a) > 1 - EPS)), float(np.mean(a > 1 - EPS))
    if gate == "h":  # ReLU: no gradient where the unit is off
        return float(np.mean(a <= 0)), 0.0
    near_one = float(np.mean(a > 1 - EPS))
    return float(np.mean(a < EPS)) + near_one, near_one


@dataclass(frozen=True)
class ProbeRecord:
    step: int  # training step the record was taken at
    grad_norm: np.ndarray  # (T,) mean over the probe batch of ||dL_last/dh_t|| (top layer)
    saturation: dict[str, float]  # gate -> share of values where its nonlinearity is flat
    near_one: dict[str, float]  # gate -> share above 1 - EPS


@dataclass
class Probe:
    batch: Batch  # the fixed probe sequences
    records: list[ProbeRecord] = field(default_factory=list)

    @classmethod
    def for_task(cls, task, size: int = PROBE_SIZE) -> Probe:
        """Held-out sequences drawn from the task's own seed: the same for every compared run."""
        return cls(task.batch(size, task.generator(PROBE_OFFSET), split="val"))

    def record(self, model: SeqModel, step: int) -> ProbeRecord:
        rec = measure(model, self.batch, step)
        self.records.append(rec)
        if len(self.records) > MAX_PROBES:  # keep the first and the newest, thin the middle
            self.records = [self.records[0], *self.records[1:-1][1::2], self.records[-1]]
        return rec

    @property
    def steps(self) -> list[int]:
        return [r.step for r in self.records]

    def grad_matrix(self) -> np.ndarray:
        """(records, T) gradient norms over training (T may vary for padded tasks: NaN-padded)."""
        if not self.records:
            return np.zeros((0, 0))
        T = max(len(r.grad_norm) for r in self.records)
        out = np.full((len(self.records), T), np.nan)
        for i, r in enumerate(self.records):
            out[i, T - len(r.grad_norm) :] = r.grad_norm
        return out

    def saturation_series(self) -> dict[str, list[float]]:
        gates = self.records[0].saturation if self.records else {}
        return {g: [r.saturation[g] for r in self.records] for g in gates}


def _last_counted(batch: Batch, T: int) -> torch.Tensor:
    """(B,) index of the last step whose loss counts in each sequence."""
    if batch.mask is None:
        return torch.full((len(batch),), T - 1, dtype=torch.int64)
    steps = torch.arange(T).expand_as(batch.mask)
    return torch.where(batch.mask, steps, -1).max(dim=1).values.clamp(min=0)


def measure(model: SeqModel, batch: Batch, step: int = 0) -> ProbeRecord:
    """Replay ``batch`` step by step through ``model``'s weights (detached: training is untouched)."""
    cfg, spec = model.cfg, CELLS[model.cfg.cell]
    names = gate_names(cfg.cell)
    values: dict[str, list[torch.Tensor]] = {g: [] for g in names}
    with torch.enable_grad():
        inp = model.embed(batch.x).detach().requires_grad_()  # (B, T, D); the graph runs through h only
        B, T, _ = inp.shape
        top: list[list[torch.Tensor]] = []
        for k, layer in enumerate(model.layers):
            outs = []
            for d in range(cfg.directions):
                p = {n: v.detach() for n, v in layer.params(d).items()}
                ih = inp @ p["weight_ih"].T + p["bias_ih"]  # W_ih x_t + b_ih for every t: (B, T, G*H)
                h0 = inp.new_zeros(B, cfg.hidden_size)
                state = (h0, h0) if spec.has_cell_state else h0
                hs = [None] * T
                for t in range(T) if d == 0 else reversed(range(T)):
                    state, gates, _ = spec.step(inp[:, t], state, {**p, "ih": ih[:, t]})
                    hs[t] = state[0] if spec.has_cell_state else state
                    for g in names:
                        values[g].append(gates[g].detach())
                outs.append(hs)
            if k == len(model.layers) - 1:
                top = outs
            inp = torch.cat([torch.stack(hs, dim=1) for hs in outs], dim=-1)  # (B, T, dirs*H)
        if cfg.head == "many_to_one":
            last = torch.cat([top[0][-1], top[1][0]], dim=-1) if cfg.bidirectional else top[0][-1]
            out = model.head(last)  # (B, O)
            y = batch.y
        else:
            idx = _last_counted(batch, T)
            last = inp[torch.arange(B), idx]  # (B, dirs*H) at each sequence's last counted step
            out = model.head(last)
            y = batch.y[torch.arange(B), idx]
        if cfg.loss_kind == "mse":
            loss = ((out.squeeze(-1) - y.to(out.dtype)) ** 2).sum()
        else:
            # L_last = -log p(y_last | x_<=last), summed so each sequence keeps its own gradient
            loss = F.cross_entropy(out, y, reduction="sum")
        flat = [h for hs in top for h in hs]
        grads = torch.autograd.grad(loss, flat, allow_unused=True)
    sq = torch.zeros(B, T)
    for j, g in enumerate(grads):
        if g is not None:
            sq[:, j % T] += (g**2).sum(-1)
    grad_norm = sq.sqrt().mean(0).numpy()  # (T,)
    sat, one = {}, {}
    for g in (g for g in names if g not in spec.linear):  # a linear gate (minGRU's n) has no flat part
        sat[g], one[g] = flat_share(torch.stack(values[g]).numpy(), g, cfg.cell)
    return ProbeRecord(step, grad_norm, sat, one)


def reach(grad_norm: np.ndarray) -> tuple[float, float, int]:
    """How far back the last counted loss reaches, from one record's ``grad_norm`` (T,).

    Returns (ratio, per_step, n): ratio = ||dL/dh_1|| / ||dL/dh_end|| (``end`` the last step with a
    nonzero gradient), n = end - 1 steps back, per_step = ratio ** (1 / n), the geometric mean of the
    step-to-step factors ||dL/dh_{t}|| / ||dL/dh_{t+1}|| (they multiply to the ratio)."""
    g = np.asarray(grad_norm, dtype=np.float64)
    nonzero = np.flatnonzero(g > 0)
    if len(nonzero) == 0 or nonzero[-1] == 0:
        return float("nan"), float("nan"), 0
    end = int(nonzero[-1])
    ratio = g[0] / g[end]
    return float(ratio), float(ratio ** (1 / end)) if ratio > 0 else 0.0, end


def reach_sentence(label: str, record: ProbeRecord) -> str:
    """What the page says about one run's newest probe record (each branch follows the numbers)."""
    ratio, per_step, n = reach(record.grad_norm)
    if n == 0 or not np.isfinite(ratio):
        return f"{label}: at step {record.step} no gradient reaches back from the last counted loss."
    if ratio == 0:
        return (
            f"{label}, training step {record.step}: ‖∂L/∂h_1‖ is exactly 0, nothing reaches back from "
            f"step {n + 1} that far."
        )
    trend = (
        "it vanishes"
        if per_step < 0.9
        else ("it grows" if per_step > 1.1 else "it is roughly kept, neither vanishing nor growing fast")
    )
    return (
        f"{label}, training step {record.step}: ‖∂L/∂h_1‖ / ‖∂L/∂h_{n + 1}‖ = {ratio:.1e} over {n} steps "
        f"back, on average ×{per_step:.2f} per step (the geometric mean of the factors): {trend}."
    )
