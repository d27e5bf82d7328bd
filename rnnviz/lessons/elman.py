"""Lesson 2 (the Elman RNN, step by step): the model, the task, and the equation's terms at step t.

The student types a short sequence; a character-level Elman RNN (``rnn_tanh``, one-hot input)
learns it by heart from the sequence repeated over and over. At every step t the lesson shows

    h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h)      W_xh = weight_ih, b_h = bias_ih + bias_hh
    y_t = softmax(W_hy h_t + b_y)                  W_hy, b_y = the head

with the actual numbers (``step_terms``, ``output_terms``). Architectures: one layer, stacked,
bidirectional, and the pyramid of Listen, Attend and Spell (many-to-one: read a window, predict
the character after it; ``NextChar``).

>>> cfg = ElmanConfig(sequence="hello", hidden_size=3)
>>> task = make_task(cfg)
>>> task.vocab
('\\n', 'e', 'h', 'l', 'o')
>>> model = make_model(cfg, task)
>>> x, y = sequence_ids(cfg, task)
>>> x.tolist(), y.tolist()          # y_t is the character after x_t
([2, 1, 3, 3, 4], [1, 3, 3, 4, 0])
>>> tr = trace(model, x, y, jacobians=False)
>>> terms = step_terms(tr, t=1)
>>> terms.x_index, terms.prev_step  # row 1 is step 2: x_2 = "e" picks column 1; row 0 (step 1) before
(1, 0)
>>> bool(np.allclose(np.tanh(terms.pre), tr.layer(0).h[1], atol=1e-6))
True
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks import CharLM
from rnnviz.tasks.base import Batch
from rnnviz.trace import Trace, trace  # noqa: F401  (trace: used in the docstring example)

ARCHITECTURES = ("single", "stacked", "bidirectional", "pyramid")
MAX_SEQUENCE = 40  # characters the views can show readably
MIN_CORPUS = 600  # the sequence is repeated until the training text is at least this long
WINDOW = 16  # characters per training window (seq_len)
MAX_SCALE = 3.0  # largest factor the student may multiply W_hh by


@dataclass(frozen=True)
class ElmanConfig:
    sequence: str = "hello world"  # what the student typed; the model learns to predict its next character
    hidden_size: int = 6  # H, units per layer and direction (2 to 16)
    architecture: str = "single"  # one of ARCHITECTURES
    num_layers: int = 2  # layers of the stacked and pyramid nets (2 or 3); 1 for the others
    seed: int = 0  # initial weights and training batches

    def __post_init__(self) -> None:
        if not isinstance(self.sequence, str) or len(self.sequence) < 2:
            raise InputError("type a sequence of at least 2 characters, e.g. 'hello world'")
        if len(self.sequence) > MAX_SEQUENCE:
            raise InputError(
                f"the sequence has {len(self.sequence)} characters; type at most {MAX_SEQUENCE} "
                "so every step stays readable"
            )
        if "\n" in self.sequence:
            raise InputError("type the sequence on one line: the line break marks where it ends")
        if len(set(self.sequence)) < 2:
            raise InputError("use at least 2 different characters, so there is something to predict")
        if self.architecture not in ARCHITECTURES:
            raise InputError(f"architecture must be one of {', '.join(ARCHITECTURES)}")
        if not isinstance(self.hidden_size, int) or not 2 <= self.hidden_size <= 16:
            raise InputError(f"hidden size must be from 2 to 16 units, not {self.hidden_size!r}")
        if self.num_layers not in (2, 3):
            raise InputError(f"a stacked or pyramid net here has 2 or 3 layers, not {self.num_layers!r}")
        if self.architecture == "pyramid" and len(self.sequence) < 2 ** (self.num_layers - 1):
            raise InputError(
                f"a {self.num_layers}-layer pyramid halves the sequence {self.num_layers - 1} times: "
                f"type at least {2 ** (self.num_layers - 1)} characters"
            )

    @property
    def layers(self) -> int:
        return self.num_layers if self.architecture in ("stacked", "pyramid") else 1


@dataclass(frozen=True)
class NextChar:
    """Many-to-one: read a window of characters, predict the one right after it.

    Wraps a ``CharLM``: x is the same (B, T) window, y (B,) is only its last target.
    """

    lm: CharLM  # the text and window length

    name = "next_char"
    input_kind = "tokens"
    head = "many_to_one"
    loss_kind = "ce"

    @property
    def vocab(self) -> tuple[str, ...]:
        return self.lm.vocab

    labels = vocab
    input_size = property(lambda self: self.lm.input_size)
    output_size = property(lambda self: self.lm.output_size)

    def encode(self, text: str) -> torch.Tensor:
        return self.lm.encode(text)

    def decode(self, ids) -> str:
        return self.lm.decode(ids)

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        b = self.lm.batch(batch_size, generator, split)
        return Batch(b.x, b.y[:, -1], None)


def corpus(sequence: str) -> str:
    """The training text: the sequence, a line break, again and again (at least MIN_CORPUS chars)."""
    line = sequence + "\n"
    return line * max(2, -(-MIN_CORPUS // len(line)))


def make_task(cfg: ElmanConfig) -> CharLM | NextChar:
    """Next-character prediction on the repeated sequence: per step, or once per window (pyramid)."""
    lm = CharLM(corpus(cfg.sequence), seq_len=WINDOW, seed=cfg.seed)
    return NextChar(lm) if cfg.architecture == "pyramid" else lm


def make_model(cfg: ElmanConfig, task) -> SeqModel:
    """A char-level Elman RNN with one-hot input (embed_dim 0): W_xh x_t is a column of W_xh."""
    return SeqModel(
        ModelConfig.for_task(
            task,
            cell="rnn_tanh",
            hidden_size=cfg.hidden_size,
            num_layers=cfg.layers,
            bidirectional=cfg.architecture == "bidirectional",
            pyramid=cfg.architecture == "pyramid",
            seed=cfg.seed,
        )
    )


def sequence_ids(cfg: ElmanConfig, task) -> tuple[torch.Tensor, torch.Tensor]:
    """x (T,) ids of the typed sequence and its targets: (T,) next characters, or (,) the one after."""
    x = task.encode(cfg.sequence)
    nxt = task.encode(cfg.sequence[1:] + "\n")
    return x, (nxt[-1] if cfg.architecture == "pyramid" else nxt)


# --- the student's edit of W_hh --------------------------------------------------------------


@dataclass(frozen=True)
class WeightEdit:
    scale: float = 1.0  # every W_hh (all layers, both directions) is multiplied by this
    layer: int = 0  # which layer's W_hh has one entry changed
    direction: int = 0  # 0 forward, 1 backward
    row: int = 0  # i of W_hh[i, j]: the unit that receives
    col: int = 0  # j of W_hh[i, j]: the unit of h_{t-1} that sends
    value: float | None = None  # new W_hh[i, j] before scaling; None keeps the trained value


def edited(model: SeqModel, edit: WeightEdit) -> SeqModel:
    """A copy of ``model`` with W_hh[row, col] = value, then every W_hh scaled; the original is untouched."""
    cfg = model.cfg
    if not isinstance(edit.scale, int | float) or not 0 <= edit.scale <= MAX_SCALE:
        raise InputError(f"the scale of W_hh must be between 0 and {MAX_SCALE}, not {edit.scale!r}")
    if not (0 <= edit.layer < cfg.num_layers and 0 <= edit.direction < cfg.directions):
        raise InputError(f"there is no layer {edit.layer + 1} / direction {edit.direction} to edit")
    if not (0 <= edit.row < cfg.hidden_size and 0 <= edit.col < cfg.hidden_size):
        H = cfg.hidden_size
        raise InputError(f"W_hh is {H} x {H}: pick i and j from 0 to {H - 1}")
    if edit.value is not None and not (np.isfinite(edit.value) and abs(edit.value) <= 10):
        raise InputError(f"a weight of {edit.value} is outside -10 to 10: try a value near the trained one")
    out = copy.deepcopy(model)
    with torch.no_grad():
        if edit.value is not None:
            out.layers[edit.layer].params(edit.direction)["weight_hh"][edit.row, edit.col] = edit.value
        for layer in out.layers:
            for d in range(cfg.directions):
                layer.params(d)["weight_hh"].mul_(edit.scale)  # W_hh <- s W_hh
    return out


# --- the equation at step t ------------------------------------------------------------------


@dataclass(frozen=True)
class StepTerms:
    t: int  # the step shown
    layer: int  # 0-based
    direction: int  # 0 forward, 1 backward
    W_hh: np.ndarray  # (H, H) weight_hh
    h_prev: np.ndarray  # (H,) h_{t-1} (forward) or h_{t+1} (backward); zeros at the first step
    prev_step: int | None  # the step h_prev was computed at; None = the initial state h_0 = 0
    W_xh: np.ndarray  # (H, D) weight_ih
    x: np.ndarray  # (D,) x_t as this layer reads it
    x_index: int | None  # one-hot x_t: the column of W_xh it picks (layer 0 of a char model)
    Wx: np.ndarray  # (H,) W_xh x_t
    Wh: np.ndarray  # (H,) W_hh h_{t-1}
    b: np.ndarray  # (H,) b_h = bias_ih + bias_hh
    pre: np.ndarray  # (H,) h_pre = W_hh h_{t-1} + W_xh x_t + b_h
    h: np.ndarray  # (H,) h_t = tanh(h_pre), recomputed here from the parts


def step_terms(tr: Trace, t: int, layer: int = 0, direction: int = 0) -> StepTerms:
    """Every term of h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h), computed with numpy from the trace."""
    try:
        lt = tr.layer(layer, direction)
    except StopIteration:
        raise InputError(f"this model has no layer {layer + 1} / direction {direction}") from None
    T = len(lt.h)
    if not 0 <= t < T:
        raise InputError(f"layer {layer + 1} has steps 0 to {T - 1}; step {t} does not exist")
    p = {k: v.astype(np.float64) for k, v in lt.params.items()}
    prev = t - 1 if direction == 0 else t + 1  # the backward direction reads from the end
    has_prev = 0 <= prev < T
    h_prev = lt.h[prev].astype(np.float64) if has_prev else np.zeros(len(lt.h[0]))
    x = lt.x[t].astype(np.float64)
    onehot = bool(np.all((x == 0) | (x == 1)) and x.sum() == 1)
    Wx = p["weight_ih"] @ x  # W_xh x_t: for one-hot x_t, a column of W_xh
    Wh = p["weight_hh"] @ h_prev  # W_hh h_{t-1}
    b = p["bias_ih"] + p["bias_hh"]  # b_h = b_ih + b_hh
    pre = Wh + Wx + b  # h_pre = W_hh h_{t-1} + W_xh x_t + b
    return StepTerms(
        t=t,
        layer=layer,
        direction=direction,
        W_hh=p["weight_hh"],
        h_prev=h_prev,
        prev_step=prev if has_prev else None,
        W_xh=p["weight_ih"],
        x=x,
        x_index=int(x.argmax()) if onehot else None,
        Wx=Wx,
        Wh=Wh,
        b=b,
        pre=pre,
        h=np.tanh(pre),  # h_t = tanh(h_pre)
    )


@dataclass(frozen=True)
class OutputTerms:
    h: np.ndarray  # (dirs*H,) what the head reads: h_t, or [h_fwd; h_bwd]
    W_hy: np.ndarray  # (O, dirs*H) head weight
    b_y: np.ndarray  # (O,) head bias
    z: np.ndarray  # (O,) logits z = W_hy h + b_y
    probs: np.ndarray  # (O,) y = softmax(z)


def head_input(tr: Trace, t: int | None) -> np.ndarray:
    """The vector the output layer reads: top layer's h_t ([h_fwd; h_bwd] when bidirectional).

    Many-to-one models read once (``t`` is ignored): forward at the last step, backward at the first.
    """
    top = max(lt.layer for lt in tr.layers)
    parts = [lt for lt in tr.layers if lt.layer == top]
    if tr.head == "many_to_one":
        return np.concatenate([lt.h[-1] if lt.direction == 0 else lt.h[0] for lt in parts])
    return np.concatenate([lt.h[t] for lt in parts])


def output_terms(model: SeqModel, tr: Trace, t: int | None = None) -> OutputTerms:
    """y_t = softmax(W_hy h_t + b_y) with the model's head and the trace's states."""
    h = head_input(tr, t).astype(np.float64)
    W = model.head.weight.detach().double().numpy()
    b_y = model.head.bias.detach().double().numpy()
    z = W @ h + b_y  # z_t = W_hy h_t + b_y
    e = np.exp(z - z.max())
    return OutputTerms(h=h, W_hy=W, b_y=b_y, z=z, probs=e / e.sum())  # y_t = softmax(z_t)


def concat_directions(tr: Trace, layer: int = 0) -> np.ndarray:
    """(T, 2H) [h_fwd_t; h_bwd_t] per step: what the next layer or the head reads at step t."""
    return np.concatenate([tr.layer(layer, 0).h, tr.layer(layer, 1).h], axis=1)


# --- the pyramid -------------------------------------------------------------------------------


def pyramid_lengths(T: int, num_layers: int) -> list[int]:
    """Steps per layer: T, T//2, T//4, ... (an odd last step is dropped before each halving)."""
    lengths = [T]
    for _ in range(num_layers - 1):
        lengths.append(lengths[-1] // 2)
    if lengths[-1] < 1:
        raise InputError(f"{T} steps are too few for {num_layers} pyramid layers: type a longer sequence")
    return lengths


def pyramid_spans(T: int, num_layers: int) -> list[list[tuple[int, int]]]:
    """For each layer, the input steps [start, stop) that each of its steps summarises."""
    lengths = pyramid_lengths(T, num_layers)
    return [[(j * 2**k, (j + 1) * 2**k) for j in range(n)] for k, n in enumerate(lengths)]


def pyramid_tokens(sequence: str, num_layers: int) -> list[list[str]]:
    """Axis labels per layer: the characters each step has read, e.g. 'he', 'll' in layer 2."""
    return [[sequence[a:b] for a, b in spans] for spans in pyramid_spans(len(sequence), num_layers)]


def layer_step(t: int, layer: int, lengths: list[int]) -> int | None:
    """Which step of ``layer`` covers input step ``t`` (None: t was dropped by an odd halving)."""
    j = t // 2**layer
    return j if j < lengths[layer] else None
