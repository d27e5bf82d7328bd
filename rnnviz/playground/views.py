"""One example through one saved checkpoint: every array the Playground's example views draw.

>>> from rnnviz.playground import PlaygroundConfig, build_trainer
>>> trainer = build_trainer(PlaygroundConfig(task="first_word", lag=10, cell="lstm"))
>>> _ = trainer.run(60, max_seconds=600)         # 60 steps of training: checkpoints at 0, 20, 40, 60
>>> ex = pick_example(trainer.task, index=3)     # or typed_example(trainer.task, "Spain i fluent")
>>> ex.text
'Italy to grew walked and with moved rain played books later fluent -> Italian'
>>> view = example_view(trainer.model_at(-1), trainer.task, ex, step=trainer.checkpoints[-1][0])
>>> view.step, view.tokens[:3], view.layer(0).h.shape, view.predictions.final_label
(60, ['Italy', 'to', 'grew'], (12, 32), 'Italian')

Character models read windows that start at a line start of the held-out text, so a fact like
the tag depth of nested markup (``tag_depth``) starts at 0 there; ``feature`` then names the
hidden unit (h or c) that follows that fact most closely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.errors import InputError
from rnnviz.model import SeqModel
from rnnviz.tasks import CharLM
from rnnviz.tasks.base import check_int
from rnnviz.tasks.corpora import string_mask, tag_depth
from rnnviz.tasks.sentiment import LABELS as SENTIMENT_LABELS
from rnnviz.tasks.sentiment import label_of
from rnnviz.trace import LayerTrace, Trace, trace
from rnnviz.train import Trainer

__all__ = [
    "Example",
    "ExampleView",
    "Feature",
    "Predictions",
    "example_view",
    "model_at",
    "pick_example",
    "typed_example",
]

MAX_TYPED = 400  # longest typed example, in tokens
VIEW_CHARS = 160  # characters a character model's example window shows
TOP_UNITS = 6  # units in the "most active units" view


@dataclass(frozen=True)
class Example:
    x: torch.Tensor  # (T,) ids or (T, F) vectors
    y: torch.Tensor | None  # targets (None: a typed example without a known answer)
    mask: torch.Tensor | None  # (T,) bool steps that count, or None
    tokens: list[str]  # one label per step (token text, or the adding task's value and marker)
    text: str  # the example as a sentence for the page
    feature: str | None = None  # the per-step fact to look for in units: "tag depth" | "inside a string"
    feature_values: np.ndarray | None = None  # (T,) that fact at each step


def _vector_tokens(x: torch.Tensor) -> list[str]:
    """Adding task steps: the value, starred where the marker is on."""
    return [f"{v:.2f}{'*' if m > 0 else ''}" for v, m in x.tolist()]


def _charlm_window(task: CharLM, index: int) -> tuple[int, int]:
    """(start, length) of example ``index``: a window starting at a line start of the held-out text."""
    text, n_val = task.text, task.split_sizes["val"]
    base = len(text) - n_val
    starts = [base + i + 1 for i, ch in enumerate(text[base:-2]) if ch == "\n"] or [base]
    start = starts[index % len(starts)]
    return start, min(max(VIEW_CHARS, task.seq_len), len(text) - start - 1)


def _feature(source: str | None, text: str) -> tuple[str | None, np.ndarray | None]:
    """The fact to look for in the units of a model of ``source`` text ("markup", "stdlib", "own")."""
    if source == "stdlib":
        return "inside a string", string_mask(text).astype(float)
    if source == "markup" or (source == "own" and "</" in text):
        return "tag depth", tag_depth(text).astype(float)
    return None, None


def pick_example(task, index: int = 0, source: str | None = None) -> Example:
    """Held-out example number ``index`` of ``task`` (the same for every run and every session).

    ``source`` names a character model's text ("markup", "stdlib", "own") to look for units
    that track a fact of it."""
    index = check_int("example number", index, 0, 9999)
    if isinstance(task, CharLM):
        start, n = _charlm_window(task, index)
        ids = task.ids[start : start + n + 1]
        x, y = ids[:-1], ids[1:]
        text = task.decode(x)
        name, values = _feature(source, text)
        return Example(x, y, None, list(text), text, name, values)
    b = task.example(index, split="val")
    x, y, mask = b.x[0], b.y[0], None if b.mask is None else b.mask[0]
    if task.input_kind == "vectors":
        return Example(x, y, mask, _vector_tokens(x), task.describe(b))
    return Example(x, y, mask, [task.vocab[int(i)] for i in x], task.describe(b))


def typed_example(task, text: str, source: str | None = None) -> Example:
    """The student's own input; targets where the task's rules give them (else the model's own guess)."""
    if task.input_kind == "vectors":
        raise InputError("the adding problem reads pairs of numbers, not text: pick an example by number")
    if not isinstance(text, str) or not text.strip():
        raise InputError("type an input first, or pick an example by number")
    if isinstance(task, CharLM):
        ids = task.encode(text)
        if len(ids) < 2:
            raise InputError("type at least 2 characters: the model predicts each next one")
        if len(ids) > MAX_TYPED + 1:
            raise InputError(f"type at most {MAX_TYPED} characters")
        x = ids[:-1]
        name, values = _feature(source, text[:-1])
        return Example(x, ids[1:], None, list(text[:-1]), text, name, values)
    x = task.encode(text)
    if not 1 <= len(x) <= MAX_TYPED:
        raise InputError(f"type 1 to {MAX_TYPED} words or symbols")
    y = None
    if task.name == "first_word" and int(x[0]) < task.n_countries:
        y = x[0].clone()  # the first word's language: country ids equal class ids
    elif task.name == "sentiment" and label_of(text) is not None:
        y = torch.tensor(SENTIMENT_LABELS.index(label_of(text)))
    return Example(x, y, None, [task.vocab[int(i)] for i in x], text)


@dataclass(frozen=True)
class Predictions:
    kind: str  # "per_step" | "final_class" | "final_value"
    labels: tuple[str, ...] | None  # class names
    predicted: list[str] | None = None  # per step: the most probable class
    p_predicted: np.ndarray | None = None  # (T,) its probability
    target: list[str | None] | None = None  # per step: the target (None where it does not count)
    p_target: np.ndarray | None = None  # (T,) probability given to the target (NaN where none)
    probs: np.ndarray | None = None  # final_class: (O,) the distribution
    final_label: str | None = None  # final_class: the most probable class
    final_prob: float = float("nan")  # its probability
    target_index: int | None = None  # final_class: the target's class index
    value: float = float("nan")  # final_value: the prediction y_hat
    target_value: float = float("nan")  # final_value: the target y


@dataclass(frozen=True)
class Feature:
    name: str  # e.g. "tag depth"
    values: np.ndarray  # (T,) the fact at each step
    layer: int  # where the best unit is
    direction: int
    state: str  # "h" or "c"
    unit: int
    r: float  # Pearson correlation of that unit with the fact over the example


@dataclass(frozen=True)
class ExampleView:
    step: int  # training step of the checkpoint
    tokens: list[str]
    trace: Trace
    predictions: Predictions
    feature: Feature | None

    def layer(self, k: int = 0, direction: int = 0) -> LayerTrace:
        return self.trace.layer(k, direction)

    def top_units(self, k: int = 0, direction: int = 0, n: int = TOP_UNITS) -> list[int]:
        """The ``n`` units with the largest mean |h_t| over the example, most active first."""
        h = self.layer(k, direction).h
        return [int(j) for j in np.argsort(-np.abs(h).mean(0), kind="stable")[:n]]


def _predictions(task, tr: Trace, ex: Example) -> Predictions:
    labels = tuple(task.labels) if task.labels is not None else None
    if task.loss_kind == "mse":
        target = float(ex.y) if ex.y is not None else float("nan")
        return Predictions("final_value", None, value=float(tr.logits.reshape(-1)[0]), target_value=target)
    if task.head == "many_to_one":
        probs = tr.probs
        best = int(np.argmax(probs))
        target = int(ex.y) if ex.y is not None else None
        return Predictions(
            "final_class",
            labels,
            probs=probs,
            final_label=labels[best],
            final_prob=float(probs[best]),
            target_index=target,
        )
    probs = tr.probs  # (T, O)
    best = probs.argmax(-1)
    T = probs.shape[0]
    counted = np.ones(T, dtype=bool) if ex.mask is None else ex.mask.numpy().astype(bool)
    target: list[str | None] = [None] * T
    p_target = np.full(T, np.nan)
    if ex.y is not None:
        for t in range(T):
            if counted[t]:
                target[t] = labels[int(ex.y[t])]
                p_target[t] = probs[t, int(ex.y[t])]
    return Predictions(
        "per_step",
        labels,
        predicted=[labels[int(i)] for i in best],
        p_predicted=probs[np.arange(T), best],
        target=target,
        p_target=p_target,
    )


def _best_unit(tr: Trace, name: str, values: np.ndarray) -> Feature | None:
    best = None
    if np.std(values) == 0:
        return None
    for lt in tr.layers:
        for state, arr in (("c", lt.c), ("h", lt.h)):
            if arr is None or arr.shape[0] != len(values):
                continue
            a = arr - arr.mean(0)
            sd = a.std(0) * values.std()
            with np.errstate(invalid="ignore", divide="ignore"):
                r = np.where(sd > 0, (a * (values - values.mean())[:, None]).mean(0) / sd, 0.0)
            j = int(np.argmax(np.abs(r)))
            if best is None or abs(r[j]) > abs(best.r):
                best = Feature(name, values, lt.layer, lt.direction, state, j, float(r[j]))
    return best


def model_at(trainer: Trainer, index: int = -1) -> SeqModel:
    """``trainer.model_at(index)`` (a copy in eval mode), for callers that still import it from here
    (tests/test_charts_readable.py, bench/playground.py); the Playground calls the Trainer's own."""
    return trainer.model_at(index)


def example_view(model: SeqModel, task, ex: Example, step: int = 0) -> ExampleView:
    """Trace ``ex`` through ``model``: states, gates, gradients of the last counted loss, predictions."""
    y = ex.y
    tr = trace(model, ex.x, y, ex.mask, grad_of="final", jacobians=False)
    feature = None
    if ex.feature is not None and ex.feature_values is not None:
        feature = _best_unit(tr, ex.feature, ex.feature_values)
    return ExampleView(step, ex.tokens, tr, _predictions(task, tr, ex), feature)
