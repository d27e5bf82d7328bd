"""The Playground's controls as data: which widget draws each setting, and which settings show.

The page draws ``spec(field, value)`` with ``getattr(st, spec.kind)(spec.label, **spec.kwargs)``;
nothing here imports streamlit, so the table is tested as data.

>>> spec("hidden_size", 32)
Widget(kind='slider', label='Hidden size H', kwargs={'min_value': 1, 'max_value': 128})
>>> spec("lr", 0.05).kwargs["options"][:4]          # a link's value joins the usual choices
[0.0001, 0.0003, 0.001, 0.003]
>>> 0.05 in spec("lr", 0.05).kwargs["options"]
True
>>> task_fields("charlm", "stdlib")                 # no nesting depth, no text box for the library
('text', 'seq_len')
>>> model_fields("adding", "gru")                   # adding reads numbers (no embedding); a GRU has no c
('cell', 'num_layers', 'bidirectional', 'hidden_size')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from rnnviz.cells import CELLS, value_range
from rnnviz.playground.config import (
    CELL_NAMES,
    INT_LIMITS,
    MAX_OWN_TEXT,
    MODEL_FIELDS,
    TASK_KNOBS,
    TASK_NAMES,
    TASK_TITLES,
    TEXTS,
    PlaygroundConfig,
    title,
)
from rnnviz.playground.probe import gate_names

LR_CHOICES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0)
CLIP_CHOICES = (None, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
BATCH_CHOICES = (8, 16, 32, 64, 128, 256)
FB_CHOICES = tuple(x / 2 for x in range(11))
TRAINING_FIELDS = ("optimizer", "lr", "clip", "batch_size", "seed")
# Knobs a task reads that do not apply to the text chosen: (knob, text)
UNUSED_KNOBS = frozenset(
    {("depth", "stdlib"), ("depth", "own"), ("own_text", "markup"), ("own_text", "stdlib")}
)

SLIDERS = {
    "lag": "Lag: steps to remember across",
    "n_countries": "Countries (classes)",
    "n_symbols": "Symbols in the alphabet",
    "length": "Symbols to copy",
    "depth": "Deepest nesting of tags",
    "seq_len": "Characters per training window (T)",
    "num_layers": "Layers",
    "hidden_size": "Hidden size H",
    "embed_dim": "Embedding size (0 = one-hot)",
}


class Widget(NamedTuple):
    kind: str  # the streamlit function: "slider", "selectbox", ...
    label: str
    kwargs: dict  # its keyword arguments (options, limits, format_func, help)


def _g(x) -> str:
    return f"{x:g}"


def _clip_name(c) -> str:
    return "off" if c is None else f"{c:g}"


FIXED = {
    "task": Widget("selectbox", "Task", {"options": TASK_NAMES, "format_func": TASK_TITLES.get}),
    "text": Widget("selectbox", "Text", {"options": list(TEXTS), "format_func": TEXTS.get}),
    "cell": Widget("selectbox", "Cell", {"options": CELL_NAMES, "format_func": title}),
    "ambiguous": Widget("toggle", "Ambiguous words (fish, watch, light, ...)", {}),
    "bidirectional": Widget("toggle", "Bidirectional", {}),
    "n_train": Widget(
        "number_input",
        "Fixed training sentences (0 = fresh ones every batch)",
        {"min_value": 0, "max_value": INT_LIMITS["n_train"][1], "step": 100},
    ),
    "own_text": Widget(
        "text_area",
        "Your text",
        {"max_chars": MAX_OWN_TEXT, "height": 120, "help": "Paste a few paragraphs; Ctrl+Enter applies."},
    ),
    "forget_bias": Widget(
        "select_slider",
        "Forget-gate bias at start",
        {
            "options": FB_CHOICES,
            "format_func": _g,
            "help": "Added to b_f at the start: f begins near σ(bias), keeping c.",
        },
    ),
    "optimizer": Widget("radio", "Optimizer", {"options": ("adam", "sgd"), "horizontal": True}),
    "seed": Widget("number_input", "Seed", {"min_value": 0, "max_value": INT_LIMITS["seed"][1], "step": 1}),
}


def spec(field: str, current) -> Widget:
    """The widget for ``field`` whose value is now ``current`` (a link's value joins the choices)."""
    if field in SLIDERS:
        lo, hi = INT_LIMITS[field]
        return Widget("slider", SLIDERS[field], {"min_value": lo, "max_value": hi})
    if field == "lr":
        return Widget(
            "select_slider", "Learning rate", {"options": sorted({*LR_CHOICES, current}), "format_func": _g}
        )
    if field == "batch_size":
        return Widget("select_slider", "Batch size", {"options": sorted({*BATCH_CHOICES, current})})
    if field == "clip":
        clips = [None, *sorted({c for c in (*CLIP_CHOICES, current) if c is not None})]
        return Widget(
            "select_slider", "Gradient clipping (max norm)", {"options": clips, "format_func": _clip_name}
        )
    return FIXED[field]


def shows(field: str, values: Mapping) -> bool:
    """Whether the control for ``field`` applies to a run whose settings are ``values`` (a dict of
    PlaygroundConfig fields; the page asks as it draws, so a changed cell or text counts at once)."""
    if (field, values["text"]) in UNUSED_KNOBS:
        return False
    if field == "embed_dim":  # the adding problem reads numbers: nothing to embed
        return values["task"] != "adding"
    if field == "forget_bias":  # only cells with a cell state have a forget gate to bias
        return CELLS[values["cell"]].has_cell_state
    return True


def task_fields(task: str, text: str) -> tuple[str, ...]:
    """The knobs of ``task`` that show when the text is ``text``."""
    return tuple(k for k in TASK_KNOBS[task] if shows(k, {"task": task, "text": text, "cell": "lstm"}))


def model_fields(task: str, cell: str) -> tuple[str, ...]:
    """The model controls that show for ``task`` and ``cell``."""
    return tuple(f for f in MODEL_FIELDS if shows(f, {"task": task, "text": "", "cell": cell}))


# --- the example views' pickers ---------------------------------------------------------------


def layer_options(configs: tuple[PlaygroundConfig, ...]) -> list[tuple[int, int]]:
    """(layer, direction) pairs the layer picker offers: every layer of the deepest run.

    >>> layer_options((PlaygroundConfig(num_layers=2), PlaygroundConfig(bidirectional=True)))
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    """
    two_way = any(c.bidirectional for c in configs)
    n_layers = max(c.num_layers for c in configs)
    return [(k, d) for k in range(n_layers) for d in range(2 if two_way else 1)]


def layer_name(option: tuple[int, int], two_way: bool) -> str:
    """'layer 2 backward' for (1, 1); no direction when no run reads backwards."""
    k, d = option
    return f"layer {k + 1}" + ((" forward", " backward")[d] if two_way else "")


def gate_options(configs: tuple[PlaygroundConfig, ...]) -> list[str]:
    """Every gate of every run, in order, and c for cells with a cell state.

    >>> gate_options((PlaygroundConfig(cell="lstm"), PlaygroundConfig(cell="gru")))
    ['i', 'f', 'g', 'o', 'c', 'r', 'z', 'n']
    """
    gates: list[str] = []
    for c in configs:
        gates += [*gate_names(c.cell), *(["c"] if CELLS[c.cell].has_cell_state else [])]
    return list(dict.fromkeys(gates))


def gate_caption(configs: tuple[PlaygroundConfig, ...], gate: str) -> str:
    """The caption under the gate view, true of ``gate`` in every run that has it.

    >>> gate_caption((PlaygroundConfig(cell="lstm"),), "f")
    'The gate for every unit at every step: near 0 it shuts, near 1 it lets through.'
    >>> gate_caption((PlaygroundConfig(cell="min_gru"),), "n")
    'n for every unit at every step: no nonlinearity, any real number (coloured to ±its largest |value|).'
    """
    cells = [
        c.cell
        for c in configs
        if gate in (*gate_names(c.cell), *(["c"] if CELLS[c.cell].has_cell_state else []))
    ]
    if gate == "c":
        return "The LSTM's cell state c_t for every unit at every step."
    if gate == "h":
        return "h_t itself for every unit at every step (this cell has no gates)."
    ranges = {value_range(c, gate) for c in cells}
    if ranges == {(0.0, 1.0)}:
        return "The gate for every unit at every step: near 0 it shuts, near 1 it lets through."
    if ranges == {(-1.0, 1.0)}:
        return f"{gate} for every unit at every step: a tanh value between -1 and 1, what the cell may write."
    if ranges == {None}:
        return (
            f"{gate} for every unit at every step: no nonlinearity, any real number "
            "(coloured to ±its largest |value|)."
        )
    return (
        f"{gate} for every unit at every step, in each run's own range: "
        + "; ".join(
            f"{CELLS[c].title}: " + ("any real number" if r is None else f"{r[0]:g} to {r[1]:g}")
            for c, r in zip(cells, (value_range(c, gate) for c in cells), strict=True)
        )
        + "."
    )
