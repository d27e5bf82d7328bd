"""Lesson 2, the bidirectional RNN: why it cheats at next-character prediction, measured, and why it
is not "two RNNs stacked", computed on the live model.

The cheat. To predict y_t = x_{t+1}, the head reads [h->_t; h<-_t]; the backward state h<-_t has read
x_T, ..., x_{t+1}: the very character it must predict. On random letters (each drawn uniformly from
``letters`` letters, so the past says nothing about the next one) a one-direction RNN cannot beat
chance, ln(letters) nats per character; a bidirectional one copies x_{t+1} at every step of a window
but the last, whose next character lies outside the window:

>>> r = measure_cheat(CheatConfig(steps=150))
>>> round(r.chance, 3)
1.386
>>> bool(r.single.mean() > 0.9 * r.chance and r.bidirectional[:-1].mean() < r.single.mean() / 2)
True

Not stacked. A stacked second layer reads the first layer's states in the same direction, so at
step 1 both layers have read x_1 only; the backward direction of a bidirectional layer has read the
whole sequence by step 1 (``reach_of_last_input``).
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.questions import Question
from rnnviz.tasks import CharLM
from rnnviz.train import TrainConfig, Trainer

ALPHABET = "abcdefgh"


@dataclass(frozen=True)
class CheatConfig:
    letters: int = 4  # the random text draws each character uniformly from this many letters
    length: int = 3000  # characters of random text (the last 10% held out)
    window: int = 16  # characters per training window, T
    hidden_size: int = 8  # H of both models
    steps: int = 300  # training steps of each model (Adam, lr 0.03, batch 16)
    eval_windows: int = 256  # held-out windows the per-step losses are averaged over
    seed: int = 0  # text, initial weights, batches


@dataclass(frozen=True)
class CheatResult:
    config: CheatConfig
    chance: float  # ln(letters): the loss of the best prediction from the past alone
    single: np.ndarray  # (window,) held-out loss at window position t = 1..T, one-direction RNN
    bidirectional: np.ndarray  # (window,) the same for the bidirectional RNN

    def frame(self):
        import pandas as pd

        return pd.DataFrame(
            {
                "t (position in the window)": np.arange(1, self.config.window + 1),
                "loss, one direction (nats)": self.single,
                "loss, bidirectional (nats)": self.bidirectional,
                "chance ln V (nats)": self.chance,
            }
        )


def random_text(letters: int, length: int, seed: int) -> str:
    """``length`` characters, each drawn uniformly and independently from the first ``letters`` letters."""
    if not 2 <= letters <= len(ALPHABET):
        raise InputError(f"pick from 2 to {len(ALPHABET)} letters, not {letters!r}")
    ids = torch.randint(0, letters, (length,), generator=torch.Generator().manual_seed(seed))
    return "".join(ALPHABET[i] for i in ids.tolist())


def _per_step_loss(model: SeqModel, task: CharLM, cfg: CheatConfig) -> np.ndarray:
    batch = task.batch(cfg.eval_windows, torch.Generator().manual_seed(cfg.seed + 1), split="val")
    with torch.no_grad():
        logits, _ = model(batch.x)  # (B, T, V)
        # L_t = -log y_t[x_{t+1}], averaged over the held-out windows at each position t
        per = torch.nn.functional.cross_entropy(logits.transpose(1, 2), batch.y, reduction="none")
    return per.mean(0).double().numpy()


@functools.lru_cache(maxsize=8)  # pure in its frozen config: a page and a test share one measurement
def measure_cheat(cfg: CheatConfig = CheatConfig()) -> CheatResult:
    """Train a one-direction and a bidirectional RNN on the same random letters; per-step held-out loss."""
    task = CharLM(random_text(cfg.letters, cfg.length, cfg.seed), seq_len=cfg.window, seed=cfg.seed)
    losses = []
    for bidirectional in (False, True):
        mcfg = ModelConfig.for_task(
            task, cell="rnn_tanh", hidden_size=cfg.hidden_size, bidirectional=bidirectional, seed=cfg.seed
        )
        model = SeqModel(mcfg)
        trainer = Trainer(model, task, TrainConfig(lr=0.03, batch_size=16, seed=cfg.seed, checkpoint_every=0))
        trainer.run(cfg.steps, max_seconds=float("inf"))  # steps are the budget: same numbers on any machine
        model.eval()
        loss = _per_step_loss(model, task, cfg)
        loss.flags.writeable = False  # shared by every caller of the cache
        losses.append(loss)
    return CheatResult(cfg, math.log(cfg.letters), losses[0], losses[1])


def cheat_sentences(r: CheatResult) -> list[str]:
    """What the measurement shows, in words that follow its numbers."""
    T, V = r.config.window, r.config.letters
    one, both = float(r.single.mean()), float(r.bidirectional.mean())
    inner, last = float(r.bidirectional[:-1].mean()), float(r.bidirectional[-1])
    near_chance = one > r.chance - 0.05  # a held-out sample can land a little below ln V by luck
    out = [
        f"On {r.config.length:,} random letters (each of {V} letters equally likely, whatever came before), "
        f"no model can predict the next letter from the past better than chance, ln {V} = {r.chance:.2f} "
        f"nats per character. After {r.config.steps} training steps each, on held-out text:",
        f"- the one-direction RNN's loss is **{one:.2f}**"
        + (", no better than chance, as it must be;" if near_chance else f", against chance {r.chance:.2f};"),
        f"- the bidirectional RNN's is **{both:.2f}**"
        + (f", {one / both:.0f} times lower." if both > 0 else "."),
    ]
    if inner < 0.25 * one:
        out.append(
            f"It has not learnt to predict: at steps 1 to {T - 1} of a window its loss is {inner:.3f}, "
            "because $\\overleftarrow{h}_t$ has already read $x_{t+1}$ and copies it."
            f" At the last step, t = {T}, the next "
            f"letter is outside the window, nothing has read it, and the loss is {last:.2f}, chance again."
        )
    else:
        out.append(
            f"Here the backward state has not (yet) learnt to copy: its loss at steps 1 to {T - 1} is "
            f"{inner:.2f}. Train longer and it falls towards 0."
        )
    return out


# --- not "two RNNs stacked" --------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    replaced: str  # the character x_T was replaced with
    forward: np.ndarray  # (T,) ||change of h->_t||: 0 before t = T, it reads x_T last
    backward: np.ndarray  # (T,) ||change of h<-_t||: nonzero at every t, it reads x_T first
    stacked: np.ndarray  # (T,) ||change of h^(2)_t|| of a two-layer stacked RNN: 0 before t = T
    width_bidirectional: int  # numbers the head reads per step: [h->_t; h<-_t], 2H
    width_stacked: int  # numbers the head of the stacked net reads: h^(2)_t, H

    def frame(self, inputs) -> pd.DataFrame:
        """How far each state moves, one row per step t, beside ``inputs`` (x_t as the page writes it)."""
        return pd.DataFrame(
            {
                "t": range(1, len(self.backward) + 1),
                "x_t": list(inputs),
                "‖Δh→_t‖ (this model)": self.forward,
                "‖Δh←_t‖ (this model)": self.backward,
                "‖Δh^(2)_t‖ (stacked)": self.stacked,
            }
        )


def _states(model: SeqModel, x: torch.Tensor) -> list[np.ndarray]:
    """The top layer's states (T, H) per direction, in float64."""
    m = copy.deepcopy(model).double()
    with torch.no_grad():
        feats, _ = m.features(x[None])  # (1, T, dirs*H)
    H = model.cfg.hidden_size
    return [feats[0, :, d * H : (d + 1) * H].numpy() for d in range(model.cfg.directions)]


def reach_of_last_input(bidirectional: SeqModel, stacked: SeqModel, x: torch.Tensor, vocab) -> Reach:
    """Replace the last character x_T by another one and measure how far every state h_t moves."""
    if bidirectional.cfg.directions != 2 or stacked.cfg.directions != 1 or stacked.cfg.num_layers < 2:
        raise InputError("compare a bidirectional one-layer RNN with a stacked one-direction RNN")
    if len(x) < 2:
        raise InputError("type at least 2 characters: step 1 and a last step")
    last = int(x[-1])
    others = [i for i, c in enumerate(vocab) if i != last and not c.isspace()]
    other = (others or [i for i in range(len(vocab)) if i != last])[0]
    x2 = x.clone()
    x2[-1] = other

    def moved(model: SeqModel) -> list[np.ndarray]:
        # ||h_t(x with x_T replaced) - h_t(x)|| at every t, per direction
        return [
            np.linalg.norm(a - b, axis=1) for a, b in zip(_states(model, x2), _states(model, x), strict=True)
        ]

    fwd, bwd = moved(bidirectional)
    (top,) = moved(stacked)
    H = bidirectional.cfg.hidden_size
    return Reach(vocab[other], fwd, bwd, top, 2 * H, stacked.cfg.hidden_size)


def reach_sentence(r: Reach, show) -> str:
    """The comparison at step 1, in words that follow the numbers (``show`` renders a character)."""
    T = len(r.backward)
    b1 = float(r.backward[0])

    def by(v: float) -> str:
        return "exactly 0" if v == 0 else f"{v:.2g}"

    moved = f"by {b1:.2g}" if b1 > 0 else "by less than float64 can show (it is not cut off, only faded)"
    faded = (
        f" (small: $x_{{{T}}}$ reaches it through {T - 1} steps of $W_{{hh}}$, but not 0)"
        if 0 < b1 < 1e-3
        else ""
    )
    return (
        f"Replace the last character $x_{{{T}}}$ by {show(r.replaced)} and look at step 1. The stacked "
        f"net's top state $h^{{(2)}}_1$ moves by {by(float(r.stacked[0]))}: its second RNN reads the first "
        "one's states in the same direction, so at step 1 both have read $x_1$ only. In this bidirectional "
        f"model the forward state $\\overrightarrow{{h}}_1$ moves by {by(float(r.forward[0]))}, but the "
        f"backward state $\\overleftarrow{{h}}_1$ moves {moved}{faded}: it read $x_{{{T}}}$ first. The head "
        "reads the two states side by side, $[\\overrightarrow{h}_t; \\overleftarrow{h}_t]$ = "
        f"{r.width_bidirectional} numbers per step, not one on top of the other (the stacked net's head "
        f"reads $h^{{(2)}}_t$, {r.width_stacked} numbers)."
    )


# --- the check question: where does the cheat stop? ----------------------------------------------

FLAT = 0.1  # nats: per-step losses whose max and min differ by less than this count as "about the same"


def leak_question(r: CheatResult) -> Question:
    """At which step t of the window is the bidirectional model's held-out loss highest? Graded on ``r``."""
    b, T, V = r.bidirectional, r.config.window, r.config.letters
    worst = int(np.argmax(b))  # row t - 1 holds step t
    spread = float(b.max() - b.min())
    options = [
        "t = 1, the first step: its forward state has read only $x_1$",
        f"a step in the middle of the window, t = 2..{T - 1}",
        f"t = {T}, the last step",
        f"about the same at every step (highest and lowest within {FLAT} nats)",
    ]
    answer = 3 if spread < FLAT else 0 if worst == 0 else 2 if worst == T - 1 else 1
    inner = float(b[1:-1].max()) if T > 2 else float(b[0])
    measured = (
        f"The measured losses: {float(b[0]):.3f} at t = 1, at most {inner:.3f} at t = 2..{T - 1}, "
        f"{float(b[-1]):.2f} at t = {T}."
    )
    if answer == 2:
        copied = float(b[:-1].max())
        why = (
            f"At t = 1..{T - 1} the backward state $\\overleftarrow{{h}}_t$ has already read "
            f"$x_{{t+1}}$, the letter to predict, and copies it: the loss there is at most {copied:.3f} "
            f"nats. At t = {T} the next letter $x_{{{T + 1}}}$ lies outside the window, nothing has read "
            f"it, and the loss is {float(b[-1]):.2f}, against chance ln {V} = {r.chance:.2f} (the "
            f"one-direction model's is {float(r.single[-1]):.2f} there)."
        )
    elif answer == 3:
        why = (
            f"The bidirectional model's losses lie between {float(b.min()):.2f} and "
            f"{float(b.max()):.2f}: its backward state has not (yet) learnt to copy "
            "$x_{t+1}$, so no step stands out. Train longer and the steps before the last fall towards 0."
        )
    else:
        why = f"{measured} The highest is at t = {worst + 1}, {float(b[worst]):.2f} nats."
    mechanism = (
        f" Which letter has $\\overleftarrow{{h}}_t$ read at step t, and which one at t = {T}?"
        if answer == 2
        else ""
    )
    hints = {k: measured + mechanism for k in range(len(options)) if k != answer}
    question = (
        "Predict before you read the chart below: at which step t of a "
        f"{T}-character window is the bidirectional model's held-out loss highest?"
    )
    return Question(question, options, answer, why, hints)
