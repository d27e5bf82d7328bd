"""The Playground's one frozen config: task and its knobs, model, training; and what builds from it.

>>> cfg = PlaygroundConfig(task="copy", lag=30, length=3, n_symbols=4, cell="lstm", forget_bias=3.0)
>>> cfg.knobs()
{'n_symbols': 4, 'length': 3, 'lag': 30}
>>> compare_runs(cfg, {"cell": "rnn_tanh"})[1].cell     # same task, data and seed; another cell
'rnn_tanh'
>>> short_labels(compare_runs(cfg, {"cell": "rnn_tanh"}))
['A: LSTM', 'B: Elman RNN (tanh)']

``rnnviz.playground.build`` turns a config into its task, model and trainer.

Every number has a range in ``INT_LIMITS`` / ``FLOAT_LIMITS``: the page's sliders use them, the
URL decoder clamps to them, and ``PlaygroundConfig`` raises ``InputError`` outside them.
"""

from __future__ import annotations

import dataclasses
import math

from rnnviz.cells import CELLS
from rnnviz.errors import InputError
from rnnviz.train import OPTIMIZERS

TASK_NAMES = ("first_word", "copy", "adding", "charlm", "tagging", "sentiment")
TASK_TITLES = {
    "first_word": "Remember the first word",
    "copy": "Copy after a gap",
    "adding": "Adding problem",
    "charlm": "Character language model",
    "tagging": "Part-of-speech tagging",
    "sentiment": "Sentiment",
}
TEXTS = {"markup": "Nested markup", "stdlib": "Python standard library", "own": "Your own text"}
CELL_NAMES = tuple(CELLS)
MAX_OWN_TEXT = 200_000  # characters of pasted text the Playground trains on

# (low, high) of every whole-number setting: slider ranges, URL clamping and validation
INT_LIMITS = {
    "lag": (1, 120),
    "n_countries": (2, 10),
    "n_symbols": (2, 10),
    "length": (1, 8),
    "n_train": (0, 5000),
    "depth": (1, 6),
    "seq_len": (8, 200),
    "num_layers": (1, 3),
    "hidden_size": (1, 128),
    "embed_dim": (0, 64),
    "batch_size": (1, 256),
    "seed": (0, 2**31 - 1),
}
FLOAT_LIMITS = {"lr": (1e-4, 5.0), "forget_bias": (0.0, 5.0), "clip": (0.01, 100.0)}

# The knobs each task reads (the others keep their values but change nothing).
TASK_KNOBS = {
    "first_word": ("lag", "n_countries"),
    "copy": ("n_symbols", "length", "lag"),
    "adding": ("lag",),
    "charlm": ("text", "depth", "own_text", "seq_len"),
    "tagging": ("ambiguous",),
    "sentiment": ("n_train",),
}
MODEL_FIELDS = ("cell", "num_layers", "bidirectional", "hidden_size", "embed_dim", "forget_bias")
TRAIN_FIELDS = ("optimizer", "lr", "clip", "batch_size", "seed")
# What may differ between compared runs; the task, its data (batch size) and the seed may not.
RUN_FIELDS = (*MODEL_FIELDS, "optimizer", "lr", "clip")
MAX_RUNS = 3


@dataclasses.dataclass(frozen=True)
class PlaygroundConfig:
    # task and its knobs
    task: str = "first_word"  # one of TASK_NAMES
    lag: int = 10  # first_word, copy, adding: steps between what to remember and when it is needed
    n_countries: int = 4  # first_word: classes (countries / languages)
    n_symbols: int = 4  # copy: alphabet size
    length: int = 3  # copy: symbols to remember
    ambiguous: bool = True  # tagging: include words with two tags (fish, watch, light, ...)
    n_train: int = 0  # sentiment: fixed training sentences (0 = fresh sentences every batch)
    text: str = "markup"  # charlm: "markup" | "stdlib" | "own"
    depth: int = 4  # charlm on markup: deepest nesting of tags
    own_text: str = dataclasses.field(default="", repr=False)  # charlm with text="own"
    seq_len: int = 64  # charlm: characters per training window T
    # model
    cell: str = "lstm"  # a key of rnnviz.cells.CELLS
    num_layers: int = 1  # stacked layers L
    bidirectional: bool = False  # a second direction reads the sequence backwards
    hidden_size: int = 32  # H, units per direction
    embed_dim: int = 0  # E; 0 = one-hot input (token tasks)
    forget_bias: float = 1.0  # added to the LSTM forget-gate bias at init (LSTM cells only; 1 is common)
    # training
    optimizer: str = "adam"  # "adam" | "sgd"
    lr: float = 0.01  # learning rate
    clip: float | None = 1.0  # max global gradient norm; None = no clipping
    batch_size: int = 32  # sequences per step
    seed: int = 0  # data, initial weights and batch order

    def __post_init__(self) -> None:
        _choice("task", self.task, TASK_NAMES)
        _choice("text", self.text, tuple(TEXTS))
        _choice("cell", self.cell, CELL_NAMES)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        for name, (lo, hi) in INT_LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise InputError(f"{LABELS[name]} must be a whole number from {lo} to {hi:,}, not {value!r}")
        for name, (lo, hi) in FLOAT_LIMITS.items():
            value = getattr(self, name)
            if name == "clip" and value is None:
                continue
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not ok or not lo <= value <= hi:
                raise InputError(f"{LABELS[name]} must be a number from {lo:g} to {hi:g}, not {value!r}")
        for name in ("ambiguous", "bidirectional"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"{LABELS[name]} must be on or off, not {getattr(self, name)!r}")
        if not isinstance(self.own_text, str) or len(self.own_text) > MAX_OWN_TEXT:
            raise InputError(
                f"your own text may have at most {MAX_OWN_TEXT:,} characters: paste a shorter part"
            )
        if self.task == "charlm" and self.text == "own" and not self.own_text.strip():
            raise InputError("the text is empty: paste a few paragraphs to train on, or pick a built-in text")

    def knobs(self) -> dict:
        """The task settings this config's task reads (own text only when it is used)."""
        names = TASK_KNOBS[self.task]
        out = {k: getattr(self, k) for k in names}
        if self.task == "charlm":
            if self.text != "markup":
                out.pop("depth")
            if self.text != "own":
                out.pop("own_text")
        return out

    def task_key(self) -> tuple:
        """Everything that fixes the task and its data: equal keys, equal batches."""
        return (self.task, tuple(sorted(self.knobs().items())), self.batch_size, self.seed)

    def notes(self) -> list[str]:
        """Settings that run but mislead, in a sentence each (the page shows them as warnings)."""
        out = []
        if self.task == "charlm" and self.bidirectional:
            out.append(
                "A bidirectional language model reads the next character through its backward "
                "direction, so its loss drops to almost 0 without learning to predict: turn it off "
                "to see real predictions."
            )
        return out


def _choice(name: str, value, choices: tuple) -> None:
    if value not in choices:
        raise InputError(f"{LABELS[name]} must be one of {', '.join(map(str, choices))}, not {value!r}")


LABELS = {
    "task": "task",
    "lag": "lag",
    "n_countries": "number of countries",
    "n_symbols": "number of symbols",
    "length": "symbols to copy",
    "ambiguous": "ambiguous words",
    "n_train": "training sentences",
    "text": "text",
    "depth": "nesting depth",
    "own_text": "your own text",
    "seq_len": "sequence length",
    "cell": "cell",
    "num_layers": "layers",
    "bidirectional": "bidirectional",
    "hidden_size": "hidden size",
    "embed_dim": "embedding size",
    "forget_bias": "forget-gate bias",
    "optimizer": "optimizer",
    "lr": "learning rate",
    "clip": "gradient clipping",
    "batch_size": "batch size",
    "seed": "seed",
}


def title(cell: str) -> str:
    return CELLS[cell].title


def run_label(cfg: PlaygroundConfig) -> str:
    """A short name for a run: 'LSTM, H=32' plus what else is not the default."""
    parts = [title(cfg.cell), f"H={cfg.hidden_size}"]
    if cfg.num_layers > 1:
        parts.append(f"{cfg.num_layers} layers")
    if cfg.bidirectional:
        parts.append("bidirectional")
    if cfg.forget_bias and CELLS[cfg.cell].has_cell_state:
        parts.append(f"forget bias {cfg.forget_bias:g}")
    parts.append(f"{cfg.optimizer} lr {cfg.lr:g}")
    parts.append("no clipping" if cfg.clip is None else f"clip {cfg.clip:g}")
    return ", ".join(parts)


def _effective(cfg: PlaygroundConfig, field: str):
    """The value that changes the run (the forget-gate bias of a cell without one is None)."""
    if field == "forget_bias" and not CELLS[cfg.cell].has_cell_state:
        return None
    return getattr(cfg, field)


def short_labels(configs: tuple[PlaygroundConfig, ...]) -> list[str]:
    """'A', 'B', 'C' and what sets each run apart from the others, e.g. 'B: GRU (torch form)'."""
    letters = "ABC"
    if len(configs) == 1:
        return [f"A: {run_label(configs[0])}"]
    # a forget-gate bias differs only between cells that have one
    differ = [
        f
        for f in RUN_FIELDS
        if len({_effective(c, f) for c in configs} - ({None} if f == "forget_bias" else set())) > 1
    ]
    out = []
    for letter, cfg in zip(letters, configs, strict=False):
        parts = []
        for f in differ:
            v = _effective(cfg, f)
            if v is None and f == "forget_bias":
                continue
            if f == "cell":
                parts.append(title(v))
            elif f == "clip":
                parts.append("no clipping" if v is None else f"clip {v:g}")
            elif isinstance(v, bool):
                parts.append(f"{LABELS[f]} {'on' if v else 'off'}")
            else:
                parts.append(f"{LABELS[f]} {v:g}" if isinstance(v, float) else f"{LABELS[f]} {v}")
        out.append(f"{letter}: " + (", ".join(parts) or "same settings"))
    return out


def compare_runs(base: PlaygroundConfig, *changes: dict) -> tuple[PlaygroundConfig, ...]:
    """``base`` and one config per dict of ``changes`` (run settings only: same task, data, seed)."""
    if len(changes) + 1 > MAX_RUNS:
        raise InputError(f"compare at most {MAX_RUNS} configurations at once")
    runs = [base]
    for change in changes:
        fixed = sorted(set(change) - set(RUN_FIELDS))
        if fixed:
            raise InputError(
                f"compared runs share the task, data and seed: {LABELS.get(fixed[0], fixed[0])} "
                "cannot differ between them"
            )
        runs.append(dataclasses.replace(base, **change))
    return tuple(runs)
