"""Lesson 4, truncated BPTT: the forward pass with the state detached every k steps.

Full BPTT sends the final loss's gradient back through all T steps. Truncated BPTT cuts the graph:
the forward pass is unchanged (h_t = f(h_{t-1}, x_t), the same numbers), but the state entering
steps T-k+1, T-2k+1, ... is a stop-gradient copy, so dL/dh_t = 0 for every t <= T-k. On the lag
task (``rnnviz.tasks.FirstWord``: the label is the first word's language, T = lag + 2) the first
word sits at step 1: a window k < T never lets the loss's gradient reach it.

>>> sorted(cut_before(T=22, k=10))   # h_12 and h_2 enter steps 13 and 3 as constants
[3, 13]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks import FirstWord
from rnnviz.tasks.base import check_int

TRUNC_CELLS = ("rnn_tanh", "lstm", "gru")
MAX_K, MAX_TRUNC_LAG = 60, 60


@dataclass(frozen=True)
class TruncRecipe:
    k: int = 10  # truncation window: the gradient crosses at most k steps back from the loss
    lag: int = 20  # distractors between the country and the query; T = lag + 2
    cell: str = "gru"
    hidden_size: int = 32  # H
    steps: int = 200  # training steps, the same budget for full and truncated BPTT
    lr: float = 1e-2  # Adam
    batch_size: int = 32
    clip: float = 1.0  # max gradient norm
    n_countries: int = 4  # chance = 1 / n_countries
    eval_sentences: int = 512  # held-out sentences
    seed: int = 0

    def __post_init__(self) -> None:
        check_int("truncation window k", self.k, 1, MAX_K)
        check_int("lag", self.lag, 1, MAX_TRUNC_LAG)
        check_int("training steps", self.steps, 1, 2000)
        check_int("hidden size", self.hidden_size, 1, 256)
        if self.cell not in TRUNC_CELLS:
            raise InputError(f"truncated BPTT is shown for {TRUNC_CELLS}, not {self.cell!r}")

    @property
    def T(self) -> int:
        return self.lag + 2

    def task(self, lag: int | None = None) -> FirstWord:
        return FirstWord(lag=self.lag if lag is None else lag, n_countries=self.n_countries)

    def model(self) -> SeqModel:
        cfg = ModelConfig.for_task(self.task(), cell=self.cell, hidden_size=self.hidden_size, seed=self.seed)
        return SeqModel(cfg)


def _detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def cut_before(T: int, k: int | None) -> set[int]:
    """Steps s (1-based) whose incoming state h_{s-1} is a stop-gradient copy: s = T-k+1, T-2k+1, ... > 1."""
    if k is None:
        return set()
    return {s for s in range(T - k + 1, 1, -k)}


def unroll(model: SeqModel, x: Tensor, k: int | None = None) -> tuple[Tensor, list[Tensor]]:
    """One step at a time through the model's (single) layer: logits (B, O) and every h_t (B, H),
    t = 1..T, each retaining its gradient. ``k``: detach the state every k steps, counted back from T."""
    if len(model.layers) != 1 or model.cfg.bidirectional or model.cfg.pyramid:
        raise InputError("truncated BPTT is shown for one unidirectional layer")
    layer, lstm = model.layers[0], model.layers[0].spec.has_cell_state
    e = model.embed(x)  # (B, T, D)
    T = e.shape[1]
    cuts = cut_before(T, k)
    state, hs = None, []
    for t in range(1, T + 1):
        if t in cuts:
            state = _detach(state)  # stop-gradient: h_{t-1} (and c_{t-1}) enter as constants
        out, final = layer(e[:, t - 1 : t], state)  # h_t = f(h_{t-1}, x_t), h_0 = 0
        h = out[:, 0]
        h.retain_grad()
        hs.append(h)
        state = (h.unsqueeze(0), final[1]) if lstm else h.unsqueeze(0)  # c_t from the cell (LSTM)
    return model.head(hs[-1]), hs  # many-to-one: y_hat = W_hy h_T + b_y


def chunked_logits(model: SeqModel, x: Tensor, k: int | None = None) -> Tensor:
    """The same truncated forward pass, by whole windows through the fused layer (used to train)."""
    e = model.embed(x)
    T = e.shape[1]
    starts = [1, *sorted(cut_before(T, k))]  # window j covers steps starts[j] .. starts[j+1]-1
    ends = [*starts[1:], T + 1]
    state, out = None, None
    for a, b in zip(starts, ends, strict=True):
        if state is not None:
            state = _detach(state)  # stop-gradient every k steps
        out, state = model.layers[0](e[:, a - 1 : b - 1], state)
    return model.head(out[:, -1])


def grad_norms(model: SeqModel, x: Tensor, y: Tensor, k: int | None = None) -> np.ndarray:
    """||dL/dh_t||, t = 1..T, of the final-step loss L = CE(y_hat_T, y) for one sequence (x: (T,) ids).
    Steps the cut graph never reaches get exactly 0."""
    model.zero_grad(set_to_none=True)
    logits, hs = unroll(model, x.unsqueeze(0), k)
    F.cross_entropy(logits, y.reshape(1)).backward()
    out = np.array([0.0 if h.grad is None else float(h.grad.norm()) for h in hs])
    model.zero_grad(set_to_none=True)
    return out


@dataclass(frozen=True)
class TruncResult:
    k: int
    lag: int
    T: int
    cell: str
    steps: int
    full_norms: list[float]  # ||dL/dh_t||, t = 1..T, after training with full BPTT
    trunc_norms: list[float]  # ... after training with truncation k (its own truncated gradient)
    zero_before: int  # the truncated gradient is exactly 0 for t <= zero_before (T - k, or 0)
    acc_full: float  # held-out accuracy at the lag
    acc_trunc: float
    chance: float

    @property
    def reaches_first(self) -> bool:
        """Does the truncated window include step 1, the first word? (k >= T)"""
        return self.zero_before == 0


def train(recipe: TruncRecipe, k: int | None) -> tuple[SeqModel, float]:
    """Train from the recipe's seed for ``recipe.steps`` steps (truncation ``k``, None = full BPTT);
    return the model and its held-out accuracy at the lag."""
    torch.manual_seed(recipe.seed)
    model, task = recipe.model(), recipe.task()
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    gen = torch.Generator().manual_seed(recipe.seed + 1)  # the same batches both ways
    for _ in range(recipe.steps):
        batch = task.batch(recipe.batch_size, gen)
        loss = F.cross_entropy(chunked_logits(model, batch.x, k), batch.y)  # L = -log p(y | x_1..x_T)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip)
        opt.step()
    with torch.no_grad():
        held = task.batch(recipe.eval_sentences, torch.Generator().manual_seed(recipe.seed + 104_729), "val")
        acc = float((model(held.x)[0].argmax(-1) == held.y).float().mean())
    return model, round(acc, 4)


def train_pair(recipe: TruncRecipe = TruncRecipe()) -> TruncResult:
    """Full BPTT and truncation k, same seed, batches and step budget; gradient norms on one held-out
    sentence after training, each with the gradient its own training used."""
    probe = recipe.task().example(0, split="val")
    full, acc_full = train(recipe, None)
    trunc, acc_trunc = train(recipe, recipe.k)
    return TruncResult(
        k=recipe.k,
        lag=recipe.lag,
        T=recipe.T,
        cell=recipe.cell,
        steps=recipe.steps,
        full_norms=grad_norms(full, probe.x[0], probe.y[0]).tolist(),
        trunc_norms=grad_norms(trunc, probe.x[0], probe.y[0], recipe.k).tolist(),
        zero_before=max(0, recipe.T - recipe.k),
        acc_full=acc_full,
        acc_trunc=acc_trunc,
        chance=1 / recipe.n_countries,
    )


def near_chance(acc: float, chance: float, eval_sentences: int = 512) -> bool:
    """Within 3 standard errors of guessing on the held-out set."""
    return abs(acc - chance) <= 3 * (chance * (1 - chance) / eval_sentences) ** 0.5


def story(r: TruncResult) -> str:
    """Sentences computed from the result's numbers (every count below is read off the norms)."""
    tn = np.asarray(r.trunc_norms)
    cut, inside = tn[: r.zero_before], tn[r.zero_before :]
    nonzero = int(np.sum(inside > 0))
    pct = lambda a: f"{100 * a:.0f}%"  # noqa: E731
    if r.reaches_first:
        reach = (
            f"With k = {r.k} >= T = {r.T} the window covers the whole sentence: nothing is cut, and "
            f"||dL/dh_t|| is nonzero at {nonzero} of the {r.T} steps."
        )
    elif np.all(cut == 0):
        reach = (
            f"With k = {r.k} no gradient reaches more than {r.k} steps back: ||dL/dh_t|| is exactly 0 for "
            f"t <= T - k = {r.zero_before} (including step 1, the first word) and nonzero at {nonzero} of "
            f"the last {len(inside)} steps."
        )
    else:  # cannot happen with a correct cut; said plainly rather than hidden
        reach = f"With k = {r.k}, ||dL/dh_t|| is nonzero at {int(np.sum(cut != 0))} steps before the window."
    chance_t, chance_f = near_chance(r.acc_trunc, r.chance), near_chance(r.acc_full, r.chance)
    where = f"at lag {r.lag} (T = {r.T} {'<=' if r.reaches_first else '>'} k)"
    trunc_txt = (
        f"the truncated model is at chance ({pct(r.acc_trunc)}, chance {pct(r.chance)})"
        if chance_t
        else f"the truncated model reaches {pct(r.acc_trunc)} (chance {pct(r.chance)})"
    )
    if chance_f:
        full_txt = f"full BPTT is at chance {'too ' if chance_t else ''}({pct(r.acc_full)})"
    else:
        full_txt = f"full BPTT reaches {pct(r.acc_full)}"
    join = " and " if chance_t == chance_f else " while "
    acc = f"After {r.steps} training steps each, {where} {trunc_txt}{join}{full_txt}."
    if not r.reaches_first and not chance_t:
        acc += " So the truncated model learned something although no gradient reached the first word."
    return reach + " " + acc
