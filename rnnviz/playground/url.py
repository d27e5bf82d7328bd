"""The whole Playground state as URL query parameters, so a teacher's link starts everyone alike.

>>> params = encode((PlaygroundConfig(task="first_word", lag=20),), hide=("task", "model"))
>>> "&".join(f"{k}={v}" for k, v in params.items())
'task=first_word&lag=20&countries=4&cell=lstm&layers=1&bidir=0&hidden=32&emb=0&fbias=1&opt=adam&lr=0.01&clip=1&batch=32&seed=0&hide=model,task'
>>> link = decode({"task": "copy", "lag": "999", "b_cell": "gru", "hide": "lr,banana"})
>>> [c.cell for c in link.configs], link.configs[0].lag, sorted(link.hide)
(['lstm', 'gru'], 120, ['lr'])
>>> link.warnings
('lag=999 is outside 1 to 120: using 120', "hide: there is no control called 'banana' (ignored)")

Decoding never raises: a bad or extreme value becomes the nearest allowed one (or the default)
and a warning names the parameter. Compared runs are ``b_...`` and ``c_...`` parameters that
override run settings of the first configuration (``runs=2`` or ``3`` may say how many).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from rnnviz.errors import InputError
from rnnviz.playground.config import (
    CELL_NAMES,
    FLOAT_LIMITS,
    INT_LIMITS,
    MAX_RUNS,
    RUN_FIELDS,
    TASK_NAMES,
    TEXTS,
    PlaygroundConfig,
    compare_runs,
)
from rnnviz.store import Runs, format_runs, parse_runs
from rnnviz.tasks.base import QUOTE_CHARS, quote
from rnnviz.train import OPTIMIZERS

# URL parameter -> config field
PARAMS = {
    "task": "task",
    "lag": "lag",
    "countries": "n_countries",
    "symbols": "n_symbols",
    "length": "length",
    "ambiguous": "ambiguous",
    "sentences": "n_train",
    "text": "text",
    "depth": "depth",
    "own": "own_text",
    "seq": "seq_len",
    "cell": "cell",
    "layers": "num_layers",
    "bidir": "bidirectional",
    "hidden": "hidden_size",
    "emb": "embed_dim",
    "fbias": "forget_bias",
    "opt": "optimizer",
    "lr": "lr",
    "clip": "clip",
    "batch": "batch_size",
    "seed": "seed",
}
FIELD_PARAM = {f: p for p, f in PARAMS.items()}
RUN_PREFIXES = ("b_", "c_")  # the second and third compared runs
MODEL_PARAMS = ("cell", "layers", "bidir", "hidden", "emb", "fbias")
TRAINING_PARAMS = ("opt", "lr", "clip", "batch", "seed")
# Controls a link can hide: whole groups, or one control by its parameter name.
HIDE_GROUPS = ("task", "model", "training", "compare", "example", "teacher")
HIDEABLE = (*HIDE_GROUPS, *PARAMS)
MAX_URL_TEXT = 2000  # own text longer than this stays out of links (URLs get unwieldy)
CELL_ALIASES = {"rnn": "rnn_tanh", "relu": "rnn_relu", "peephole": "lstm_peephole", "coupled": "lstm_coupled"}
IGNORED = ("embed", "embed_options")  # Streamlit's own parameters
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclasses.dataclass(frozen=True)
class Link:
    configs: tuple[PlaygroundConfig, ...]  # one to three runs on the same task, data and seed
    hide: frozenset[str] = frozenset()  # controls the link hides (groups or parameter names)
    example: int | None = None  # the held-out example to show, if the link names one
    warnings: tuple[str, ...] = ()  # one sentence per parameter that could not be used as given
    trained: tuple[Runs, ...] = ()  # per run, where its training ended (``trained=1,40``); () untrained


def _fmt(field: str, value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if field == "clip" and value is None:
        return "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def encode(
    configs: tuple[PlaygroundConfig, ...],
    hide=(),
    example: int | None = None,
    trained: tuple[Runs, ...] = (),
) -> dict[str, str]:
    """Query parameters for ``configs`` (first = the main run), the hidden controls, the example and
    how far each run was trained (``trained``, ``b_trained``, ``c_trained``: rnnviz.store's runs)."""
    base = configs[0]
    out = {"task": base.task}
    for field, value in base.knobs().items():
        if field == "own_text" and len(value) > MAX_URL_TEXT:
            continue  # too long for a link: see link_notes()
        out[FIELD_PARAM[field]] = _fmt(field, value)
    for field in (*RUN_FIELDS, "batch_size", "seed"):
        out[FIELD_PARAM[field]] = _fmt(field, getattr(base, field))
    if len(configs) > 1:
        out["runs"] = str(len(configs))
        for prefix, cfg in zip(RUN_PREFIXES, configs[1:], strict=False):
            for field in RUN_FIELDS:
                if getattr(cfg, field) != getattr(base, field):
                    out[prefix + FIELD_PARAM[field]] = _fmt(field, getattr(cfg, field))
    for prefix, runs in zip(("", *RUN_PREFIXES), trained, strict=False):
        if runs:
            out[prefix + "trained"] = format_runs(runs)
    if hide:
        out["hide"] = ",".join(sorted(hide))
    if example is not None:
        out["ex"] = str(example)
    return out


def link_notes(configs: tuple[PlaygroundConfig, ...]) -> list[str]:
    """What a link of ``configs`` cannot carry, in a sentence each."""
    base = configs[0]
    if base.task == "charlm" and base.text == "own" and len(base.own_text) > MAX_URL_TEXT:
        return [
            f"Your text has {len(base.own_text):,} characters; a link carries at most {MAX_URL_TEXT:,}, "
            "so this link opens on the nested markup text instead."
        ]
    return []


def _bare(raw) -> str:
    """A number as the link gave it, unquoted, unless it is too long to show whole."""
    raw = str(raw)
    return raw if len(raw) <= QUOTE_CHARS else quote(raw)


def _value(name: str, field: str, raw: str, default, warn: list[str]):
    """One parameter's value, parsed and clamped; the default (and a warning) when unusable."""
    raw = raw.strip()
    if field in ("ambiguous", "bidirectional"):
        if raw.lower() in TRUE or raw.lower() in FALSE:
            return raw.lower() in TRUE
        warn.append(f"{name}={quote(raw)} is not on (1) or off (0): using {_fmt(field, default)}")
        return default
    choices = {
        "task": TASK_NAMES,
        "text": tuple(TEXTS),
        "cell": CELL_NAMES,
        "optimizer": OPTIMIZERS,
    }.get(field)
    if choices is not None:
        value = raw.lower()
        value = CELL_ALIASES.get(value, value) if field == "cell" else value
        if value in choices:
            return value
        warn.append(f"{name}={quote(raw)} is not one of {', '.join(choices)}: using {default}")
        return default
    if field == "own_text":
        return raw
    if field == "clip" and raw.lower() in ("off", "none", "0"):
        return None
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        warn.append(f"{name}={quote(raw)} is not a number: using {_fmt(field, default)}")
        return default
    if field in INT_LIMITS:
        lo, hi = INT_LIMITS[field]
        if number != int(number):
            warn.append(f"{name}={quote(raw)} is not a whole number: using {round(number)}")
        value = int(round(number))
    else:
        lo, hi = FLOAT_LIMITS[field]
        value = number
    if not lo <= value <= hi:
        value = min(max(value, lo), hi)
        span = f"{lo:,} to {hi:,}" if field in INT_LIMITS else f"{lo:g} to {hi:g}"
        warn.append(f"{name}={_bare(raw)} is outside {span}: using {_fmt(field, value)}")
    return value


def decode(params: Mapping[str, str | list[str]], defaults: PlaygroundConfig | None = None) -> Link:
    """A ``Link`` from query parameters; never raises (see the module docstring).

    Parameters the link leaves out take their values from ``defaults``."""
    flat = {k: (v[-1] if isinstance(v, list) else v) for k, v in params.items() if k not in IGNORED}
    warn: list[str] = []
    defaults = defaults or PlaygroundConfig()
    fields: dict = dataclasses.asdict(defaults)
    runs_fields: dict[str, dict] = {p: {} for p in RUN_PREFIXES}
    for name, raw in flat.items():
        raw = str(raw)
        prefix = next((p for p in RUN_PREFIXES if name.startswith(p)), "")
        key = name[len(prefix) :]
        if name in ("hide", "ex", "runs") or key == "trained":
            continue
        if key not in PARAMS:
            warn.append(f"the link parameter {quote(name)} is unknown (ignored)")
            continue
        field = PARAMS[key]
        if prefix and field not in RUN_FIELDS:
            warn.append(f"{name}: compared runs share the task, data and seed (ignored)")
            continue
        value = _value(name, field, raw, getattr(defaults, field), warn)
        (runs_fields[prefix] if prefix else fields)[field] = value
    if (
        fields.get("task", defaults.task) == "charlm"
        and fields.get("text") == "own"
        and not fields.get("own_text")
    ):
        warn.append("text=own needs the text itself (own=...): using the nested markup text")
        fields["text"] = "markup"
    try:
        base = PlaygroundConfig(**fields)
    except InputError as err:
        warn.append(f"{err}: using the default settings")
        base = PlaygroundConfig()
    n_runs = 1 + sum(1 for p in RUN_PREFIXES if runs_fields[p])
    if "runs" in flat:
        n_runs = _whole("runs", flat["runs"], 1, MAX_RUNS, warn) or n_runs
        for p in RUN_PREFIXES[n_runs - 1 :]:
            if runs_fields[p]:
                warn.append(f"runs={n_runs}: the {p}... parameters are ignored")
    changes = [runs_fields[p] for p in RUN_PREFIXES[: n_runs - 1]]
    try:
        configs = compare_runs(base, *changes)
    except InputError as err:
        warn.append(f"{err}: comparing nothing")
        configs = (base,)
    hide = set()
    for name in str(flat.get("hide", "")).split(","):
        name = name.strip().lower()
        if name and name not in HIDEABLE:
            warn.append(f"hide: there is no control called {quote(name)} (ignored)")
        elif name:
            hide.add(name)
    example = None
    if "ex" in flat:
        example = _whole("ex", flat["ex"], 0, 9999, warn)
    trained = []
    for prefix in ("", *RUN_PREFIXES)[: len(configs)]:
        raw = flat.get(prefix + "trained")
        try:
            trained.append(parse_runs(str(raw)) if raw else ())
        except ValueError as err:
            warn.append(f"{prefix}trained={quote(raw)} {err}: that run starts untrained")
            trained.append(())
    return Link(configs, frozenset(hide), example, tuple(warn), tuple(trained))


def _whole(name: str, raw, lo: int, hi: int, warn: list[str]) -> int | None:
    """A whole number from ``raw``, clamped to [lo, hi]; None (and a warning) when it is none."""
    try:
        value = int(float(str(raw)))
    except (ValueError, OverflowError):
        warn.append(f"{name}={quote(raw)} is not a whole number (ignored)")
        return None
    if not lo <= value <= hi:
        warn.append(f"{name}={_bare(raw)} is outside {lo} to {hi}: using {min(max(value, lo), hi)}")
    return min(max(value, lo), hi)
