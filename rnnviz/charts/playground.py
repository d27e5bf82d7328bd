"""Chart kinds the Playground adds to ``rnnviz.charts.sequence`` (which it reuses for the rest).

- ``compare_curves``: one metric of up to three runs over training, held-out dotted;
- ``training_heatmap``: a per-time-step quantity over training (gradient norm through time);
- ``saturation_curves``: share of saturated gate values over training, one line per gate;
- ``coloured_tokens``: chosen units coloured over the input text, the tokens written in the cells;
- ``step_predictions``: what a many-to-many model predicts at each step, and how sure it is;
- ``live_figures``: the set the Playground redraws while it trains (the page and the benchmark);
- ``example_figures``: one example's views at one checkpoint (predictions, gradient through time,
  h, a gate, the most active units, the unit tracking a fact of the text), from a ``views.ExampleView``;
- ``wire_json``: a figure as the browser receives it.

Every chart takes ``mark_step``: the training step of the checkpoint the views show.

The Playground redraws the charts over training a few times a second while it trains, so those
are built for speed: ``fast_figure`` gives ``base_layout``'s look (same settings, same template)
from plain dicts, validated nowhere. Validating the template is where ``base_layout`` spends
~20 ms a figure (measured: 22 ms vs 1 ms for the same JSON).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go
import plotly.io

from rnnviz.cells import value_range
from rnnviz.charts.sequence import distribution_bars, over_time, step_labels, unit_heatmap
from rnnviz.charts.style import (
    COLORS,
    DIVERGING,
    LOG_AXIS,
    SEQUENTIAL,
    SERIES,
    SERIES_SYMBOLS,
    base_layout,
    columns_that_fit,
    decades,
    step_ticks,
)

RUN_COLORS = SERIES[:3]  # runs A, B, C everywhere on the page (Okabe-Ito)
RUN_SYMBOLS = SERIES_SYMBOLS[:3]  # and a marker each, so runs that coincide both show
GRAD_NAME = "‖∂L_last/∂h_t‖"  # the probe's gradient through time
SHOWN = {" ": "␣", "\n": "↵", "\t": "⇥"}


@functools.cache
def _base(titled: bool) -> dict:
    """What ``base_layout`` sets (template included), as a plain dict; built once."""
    return base_layout(go.Figure(), "title" if titled else None, 300).layout.to_plotly_json()


@functools.cache
def _scale(name: str) -> list:
    """A named colour scale as plotly.js reads it ([position, colour] pairs): dict specs skip the
    validation that would otherwise resolve names like "RdBu_r"."""
    return [list(pair) for pair in plotly.colors.get_colorscale(name)]


def fast_figure(
    data: list[dict], layout: dict, title: str | None, height: int, mark_step: int | None = None
) -> go.Figure:
    """A figure with ``base_layout``'s look built from plain dicts, validated nowhere: what the
    Playground redraws while it trains. ``layout`` adds to (or overrides) the base settings;
    ``mark_step`` draws a dotted vertical line at that training step."""
    full = {**_base(title is not None), **layout, "height": height}
    full["title"] = {**_base(True)["title"], "text": title} if title else None
    if mark_step is not None:
        line = dict(type="line", x0=mark_step, x1=mark_step, xref="x", y0=0, y1=1, yref="paper")
        full["shapes"] = [*full.get("shapes", []), {**line, "line": dict(color="black", width=1, dash="dot")}]
    return go.Figure({"data": data, "layout": full}, _validate=False)


def _inside(step: int | None, steps: Sequence[int], until: int | None = None) -> int | None:
    """``step`` if it lies between the first of ``steps`` and ``until`` (default: the last of them):
    a run that stopped early gets no line past its end."""
    if step is None or not len(steps):
        return None
    return step if steps[0] <= step <= (steps[-1] if until is None else until) else None


def _line(
    x, y, name: str, color: str | None, metric: str, dash: str | None = None, symbol: str | None = None
) -> dict:
    """One line over training steps, as ``sequence.training_curves`` draws it; with ``symbol``, a
    dozen markers along it (runs on top of each other stay told apart)."""
    marker = dict(symbol=symbol, size=8, maxdisplayed=12, color=color) if symbol else None
    return dict(
        type="scatter",
        x=list(x),
        y=[np.nan if v is None else v for v in y],
        name=name,
        mode="lines+markers" if len(x) < 2 or symbol else "lines",
        line=dict(color=color, dash=dash),
        marker=marker,
        hovertemplate=f"{name}<br>step %{{x}}<br>{metric} = %{{y:.4g}}<extra></extra>",
    )


def _before_training(*steps: Sequence[int]) -> dict:
    """The x axis of a chart over training that holds only step 0 (nothing trained yet): 0 at the
    left, labelled, instead of plotly's -1..1 around the lone point; {} once training has begun."""
    last = max((max(s, default=0) for s in steps), default=0)
    return dict(range=[-0.05, 1], tickvals=[0], ticktext=["0 (untrained)"]) if last <= 0 else {}


def compare_curves(
    runs: dict[str, dict[str, Sequence[float]]],
    metric: str,
    title: str | None = None,
    y_title: str | None = None,
    log_y: bool = False,
    mark_step: int | None = None,
    height: int = 300,
    y_max: float | None = None,
    x_max: float | None = None,
) -> go.Figure:
    """``runs``: name -> {"step": [...], metric: [...], optional "held_out": [...] measured at optional
    "held_out_step": [...] (default: "step")}; one colour per run, held-out values dotted."""
    data = []
    for i, (name, run) in enumerate(runs.items()):
        color = RUN_COLORS[i % len(RUN_COLORS)]
        symbol = RUN_SYMBOLS[i % len(RUN_SYMBOLS)] if len(runs) > 1 else None
        data.append(_line(run["step"], run[metric], name, color, metric, symbol=symbol))
        held = run.get("held_out")
        if held is not None and any(v is not None for v in held):
            x = run.get("held_out_step", run["step"])
            data.append(_line(x, held, f"{name} (held out)", color, metric, dash="dot", symbol=symbol))
    y_axis = dict(title=dict(text=y_title or metric), type="log" if log_y else "linear")
    if y_max is not None:  # a diverging run leaves the chart upwards instead of flattening the others
        y_axis["range"] = [0, y_max]
    if log_y:
        y_axis.update(LOG_AXIS)
    if x_max is not None:  # zoomed on where a run stopped (the title says so)
        x_range = dict(range=[0, x_max])
    else:
        x_range = _before_training(*(run["step"] for run in runs.values()))
    # below the axis: run names are long, and a legend on top would cover the title
    legend = dict(orientation="h", yanchor="top", y=-0.3, xanchor="left", x=0)
    layout = dict(
        xaxis=dict(title=dict(text="training step"), **x_range),
        yaxis=y_axis,
        showlegend=len(runs) > 1,
        legend=legend,
        margin=dict(l=60, r=20, t=50 if title else 20, b=50 + (45 if len(runs) > 1 else 0)),
    )
    return fast_figure(data, layout, title, height + (45 if len(runs) > 1 else 0), mark_step)


def log_range(matrices: Sequence[np.ndarray]) -> tuple[float, float]:
    """One log10 colour range (lo, hi) for every positive, finite value of ``matrices``: compared
    heatmaps drawn with it show the same colour for the same number."""
    arrays = [np.asarray(v, dtype=float) for v in matrices]
    finite = [np.log10(m[np.isfinite(m) & (m > 0)]) for m in arrays if m.size]
    values = np.concatenate(finite) if finite else np.array([])
    if not values.size:
        return (-1.0, 0.0)
    lo, hi = float(values.min()), float(values.max())
    return lo, max(hi, lo + 1e-6)


def _edges(steps: Sequence[int], until: int | None) -> list[float]:
    """Column edges: each probe's column reaches to the next probe, the last one to the run's end
    (so a run probed once, at step 0, fills its 0..end instead of a sliver around 0)."""
    steps = list(steps)
    gap = steps[-1] - steps[-2] if len(steps) > 1 else 1
    end = max(until if until is not None else steps[-1] + gap, steps[-1] + 1)
    return [*steps, end]


def training_heatmap(
    steps: Sequence[int],
    values: np.ndarray,
    name: str = "‖∂L/∂h_t‖",
    title: str | None = None,
    mark_step: int | None = None,
    log: bool = True,
    height: int = 320,
    until: int | None = None,
    zrange: tuple[float, float] | None = None,
    x_max: float | None = None,
) -> go.Figure:
    """``values`` (N, T): row i measured at training step ``steps[i]``; x = training step, y = time step t.

    Drawn as log10 when ``log`` (gradients span many orders of magnitude); hover gives the value.
    ``until``: the run's last training step (the probe at ``steps[i]`` colours steps[i]..steps[i+1],
    the last one up to ``until``; the ``mark_step`` line is drawn only up to it). ``zrange``: the colour
    range (log10 when ``log``), shared by compared runs; default: this run's own. ``x_max``: the
    x axis runs 0..x_max (compared runs share it)."""
    values = np.asarray(values, dtype=float)
    N, T = values.shape if values.ndim == 2 and values.size else (0, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(np.where(values > 0, values, np.nan)) if log else values
    if zrange is None and N:
        zrange = log_range([values]) if log else (float(np.nanmin(z)), float(np.nanmax(z)))
    heat = dict(
        type="heatmap",
        z=z.T if N else [[]],
        x=_edges(steps, until) if N else [],
        y=list(range(1, T + 1)),  # t = 1..T, as the lessons count
        colorscale=_scale(SEQUENTIAL),
        colorbar=dict(title=dict(text="log10" if log else "", side="right"), thickness=12),
        customdata=values.T if N else None,
        text=[[str(step) for step in steps]] * T if N else None,  # columns span to the next probe
        hovertemplate=f"probed at training step %{{text}}<br>time step t = %{{y}}<br>{name} = "
        "%{customdata:.3g}<extra></extra>",
    )
    if zrange is not None:
        heat.update(zmin=zrange[0], zmax=zrange[1])
    xaxis = dict(title=dict(text="training step"), nticks=8)
    if x_max is not None:
        xaxis["range"] = [0, x_max]
    layout = dict(xaxis=xaxis, yaxis=dict(title=dict(text="time step t"), autorange="reversed"))
    return fast_figure([heat], layout, title, height, _inside(mark_step, steps, until))


def saturation_curves(
    steps: Sequence[int],
    series: dict[str, Sequence[float]],
    title: str | None = None,
    mark_step: int | None = None,
    height: int = 300,
    until: int | None = None,
) -> go.Figure:
    """Share of each gate's values in the flat part of its nonlinearity, over training."""
    data = [_line(steps, v, gate, COLORS.get(gate, COLORS["h"]), "saturated") for gate, v in series.items()]
    for trace in data:
        trace["mode"] = "lines+markers" if len(steps) < 30 else "lines"
    layout = dict(
        xaxis=dict(title=dict(text="training step"), **_before_training(steps)),
        yaxis=dict(title=dict(text="share saturated"), range=[-0.02, 1.02], tickformat=".0%"),
        showlegend=True,
    )
    return fast_figure(data, layout, title, height, _inside(mark_step, steps, until))


def coloured_tokens(
    tokens: Sequence[str],
    values: np.ndarray,
    rows: Sequence[str],
    name: str = "h",
    title: str | None = None,
    zrange: tuple[float, float] | None = None,
    wrap: int = 48,
    text_px: int | None = None,
    width_px: int | None = None,
) -> go.Figure:
    """``values`` (K, T): one row per unit (``rows`` names them), each cell the unit's value at a
    step, coloured, with the token read at that step written in it. Sequences longer than ``wrap``
    steps are cut into lines of text, each followed by its units, so they read like a page.

    ``text_px`` sets the tokens' size; with ``width_px`` (the chart's width on screen) a line holds
    only as many steps as fit at that size (presenter mode: 20 px tokens; long words need wide cells).

    Not ``lm.colored_text``: K units aligned under each token need a grid (and a colour bar); that one
    colours one value per character as HTML prose, which wraps at any width and scrolls by keyboard."""
    values = np.asarray(values, dtype=float)
    K, T = values.shape
    if zrange is None:
        m = float(np.nanmax(np.abs(values))) if values.size else 1.0
        zrange = (-(m or 1.0), m or 1.0)
    size = text_px or (13 if min(T, wrap) <= 40 else 11)
    if width_px:  # the plot is the chart less its margins, row labels and colour bar (~200 px)
        wrap = min(wrap, columns_that_fit([SHOWN.get(t, t) for t in tokens[:T]], size, width_px - 200))
    width = min(T, wrap)
    lines = -(-T // width)  # ceil
    pad = lines * width - T
    shown = np.array([SHOWN.get(t, t) for t in tokens[:T]] + [""] * pad).reshape(lines, width)
    steps = np.array(step_labels(list(tokens), T) + [""] * pad).reshape(lines, width)
    z = np.concatenate([values, np.full((K, pad), np.nan)], axis=1).reshape(K, lines, width)
    # rows: line 0 of every unit, line 1 of every unit, ... (a unique label per row)
    # line i starts at t = i * width + 1, and position p of it is t = i * width + p (t counts from 1)
    y = [f"{r} · t {i * width + 1}+" if lines > 1 else r for i in range(lines) for r in rows]
    fig = go.Figure(
        go.Heatmap(
            z=z.transpose(1, 0, 2).reshape(lines * K, width),
            x=list(range(1, width + 1)),
            y=y,
            zmin=zrange[0],
            zmax=zrange[1],
            colorscale=SEQUENTIAL if zrange[0] >= 0 else DIVERGING,
            text=np.repeat(shown, K, axis=0),
            texttemplate="%{text}",
            textfont=dict(size=size),
            customdata=np.repeat(steps, K, axis=0),
            colorbar=dict(title=dict(text=name), thickness=12),
            xgap=1,
            ygap=3,
            hovertemplate=f"step %{{customdata}}<br>%{{y}}<br>{name} = %{{z:.4f}}<extra></extra>",
        )
    )
    fig.update_xaxes(
        title="time step t" if lines == 1 else "position in the line", showticklabels=width <= 40
    )
    fig.update_yaxes(autorange="reversed")
    return base_layout(fig, title, 100 + 30 * K * lines)


def step_predictions(
    tokens: Sequence[str],
    predicted: Sequence[str],
    p_predicted: np.ndarray,
    target: Sequence[str | None],
    p_target: np.ndarray,
    title: str | None = None,
    height: int = 200,
    text_px: int | None = None,
    width_px: int | None = None,
) -> go.Figure:
    """Two rows over the steps: the target (coloured by the probability the model gave it) and
    the model's most probable output (coloured by its probability). Steps without a target are blank.

    ``text_px`` and ``width_px`` as in ``coloured_tokens``: when the steps' words at that size do not
    fit across the chart, the steps wrap into lines (two rows each), like a page."""
    T = len(predicted)
    p_target = np.asarray(p_target, dtype=float)
    p_predicted = np.asarray(p_predicted, dtype=float)
    target_text = ["" if t is None else SHOWN.get(t, t) for t in target]
    predicted_text = [SHOWN.get(p, p) for p in predicted]
    labels = step_labels(list(tokens), T)
    size = text_px or (13 if T <= 40 else 10)
    per = T
    if width_px and T:  # the plot is the chart less its margins, row labels and colour bar (~200 px)
        per = min(T, columns_that_fit(target_text + predicted_text, size, width_px - 200))
    lines = -(-T // per) if T else 1
    pad = lines * per - T

    def rows(values, fill) -> list:
        """One row per line of ``per`` steps, the last padded with ``fill``."""
        full = list(values) + [fill] * pad
        return [full[i * per : (i + 1) * per] for i in range(lines)]

    hover = [
        f"step {labels[t]}<br>target {target_text[t] or '(none)'}: p = {p_target[t]:.3f}"
        f"<br>predicted {predicted_text[t]}: p = {p_predicted[t]:.3f}"
        for t in range(T)
    ]
    names = ["p(target)", "p(predicted)"]
    # rows: line 0's target and prediction, line 1's, ...; line i starts at step i * per + 1
    y = [f"{n} · t {i * per + 1}+" if lines > 1 else n for i in range(lines) for n in names]
    z, text, custom = [], [], []
    for i in range(lines):
        z += [rows(p_target, np.nan)[i], rows(p_predicted, np.nan)[i]]
        text += [rows(target_text, "")[i], rows(predicted_text, "")[i]]
        custom += [rows(hover, "")[i]] * 2
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(per)),
            y=y,
            zmin=0,
            zmax=1,
            colorscale=SEQUENTIAL,
            text=text,
            texttemplate="%{text}",
            textfont=dict(size=size),
            customdata=custom,
            xgap=1,
            ygap=3,
            colorbar=dict(title=dict(text="p"), thickness=12),
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    if lines == 1:
        inputs = [SHOWN.get(tok, tok) for tok in tokens[:T]]
        fig.update_xaxes(title="time step t (input token below)", **step_ticks(inputs))
    else:  # the input token of each cell is in its hover
        fig.update_xaxes(title="position in the line (hover: the input token)", showticklabels=False)
    fig.update_yaxes(autorange="reversed")
    return base_layout(fig, title, height + 60 * (lines - 1))


def _loss_ceiling(runs: dict[str, dict]) -> float | None:
    """Twice the largest loss of an untrained model, when some run's loss (training or held-out) went
    beyond it: the loss axis stops there (the title says so), so the other runs are not flattened."""
    start = [v for run in runs.values() for v in (run.get("held_out") or [])[:1] + list(run["loss"][:1])]
    start = [v for v in start if v is not None and np.isfinite(v)]
    values = [
        v
        for run in runs.values()
        for v in [*run["loss"], *(run.get("held_out") or [])]
        if v is not None and np.isfinite(v)
    ]
    if not start or not values or max(values) <= 2 * max(start):
        return None
    return 2 * max(start)


def stopped_early(runs: dict[str, dict]) -> tuple[str, int] | None:
    """(name, step) of a run that stopped before a third of the longest run's steps, else None: the
    charts where it happened zoom on it (and say so), else it is a few pixels at the left edge."""
    ends = {label: data["step"] for label, data in runs.items()}
    longest = max(ends.values(), default=0)
    short = [(label, end) for label, end in ends.items() if end < longest / 3]
    return min(short, key=lambda le: le[1]) if short else None


def wire_json(fig: go.Figure) -> str:
    """The figure as ``st.plotly_chart`` sends it to the browser (``plotly.io.to_json``, unvalidated)."""
    return plotly.io.to_json(fig, validate=False)


def live_figures(
    runs: dict[str, dict], acc_title: str = "accuracy", mark_step: int | None = None
) -> dict[str, go.Figure]:
    """The charts over training, for runs given as label -> ``Run.live_data()``: "loss", "acc",
    "grad" (one chart each, every run on it), then "heat_i" and "sat_i" for run i.

    Compared runs share their heatmaps' colour range and x axis. When a run stopped early (diverged
    within the first third), the gradient-norm chart and that run's heatmap zoom on its steps, and
    their titles say so."""
    pick = {m: {label: data[m] for label, data in runs.items()} for m in ("loss", "acc", "grad_norm")}
    stopped = stopped_early(runs) if len(runs) > 1 else None
    grad_title = "Gradient norm ‖g‖ before clipping"
    ceiling, zoom = _loss_ceiling(pick["loss"]), None
    if stopped:
        zoom = 3 * max(stopped[1], 1)
        # short: the chart is a third of the page wide; the heatmap's title says which run stopped
        grad_title = f"‖g‖ before clipping, zoomed: steps 0-{zoom}"
    figs = {
        "loss": compare_curves(
            pick["loss"],
            "loss",
            "Loss (dotted: held out)" + (", axis cut" if ceiling else ""),
            mark_step=mark_step,
            y_max=ceiling,
        ),
        "acc": compare_curves(  # an accuracy lies in [0, 1]: the axis too, from the first step on
            pick["acc"], "acc", "Accuracy (dotted: held out)", acc_title, mark_step=mark_step, y_max=1.02
        ),
        "grad": compare_curves(
            pick["grad_norm"], "grad_norm", grad_title, "‖g‖", True, mark_step, x_max=zoom
        ),
    }
    zrange = log_range([data["grad"] for data in runs.values()])  # one colour scale for every run
    ends = [_edges(d["probe_steps"], d.get("step"))[-1] for d in runs.values() if len(d["probe_steps"])]
    x_max = max(ends, default=None)
    shared = " (colours shared by all runs)" if len(runs) > 1 else ""
    for i, (label, data) in enumerate(runs.items()):
        name = label.split(":")[0]
        steps, until = data["probe_steps"], data.get("step")
        own = stopped is not None and stopped[0] == label
        x_end = _edges(steps, until)[-1] if own and len(steps) else x_max
        title = f"{name}: gradient through time{shared}"
        if own:
            title = f"{name}: gradient through time (stopped at step {until}: own x axis)"
        figs[f"heat_{i}"] = training_heatmap(
            steps, data["grad"], GRAD_NAME, title, mark_step, until=until, zrange=zrange, x_max=x_end
        )
        title = f"{name}: saturated gate values"
        figs[f"sat_{i}"] = saturation_curves(steps, data["saturation"], title, mark_step, until=until)
        if len(runs) > 1 and x_end is not None:
            figs[f"sat_{i}"].update_xaxes(range=[0, x_end])
    return figs


# --- one example at one checkpoint --------------------------------------------------------------------

VIEW_TITLES = {
    "predictions": "Predictions",
    "gradient": "Gradient through time, this example",
    "h": "Hidden state h_t",
    "gate": "Gate",
    "active": "Most active units, coloured over the input",
    "feature": "A unit that tracks a fact of the text",
}


def _layer(view, layer: int, direction: int):
    """The chosen layer and direction, or the nearest the run has (compared runs may differ)."""
    have = {(lt.layer, lt.direction) for lt in view.trace.layers}
    if (layer, direction) not in have:
        layer, direction = min(layer, max(k for k, _ in have)), 0
    return view.layer(layer, direction), (layer, direction)


def example_figures(
    view,
    run: str,
    layer: int = 0,
    direction: int = 0,
    gate: str = "h",
    text_px: int | None = None,
    width_px: int | None = None,
) -> dict:
    """The views of one example (``rnnviz.playground.views.ExampleView``) for run ``run`` ("A"):
    name -> figure, or a sentence where a view is a number or does not apply (keys of VIEW_TITLES;
    "feature" only when the text has a fact to track). ``text_px`` and ``width_px``: the size of the
    tokens written in cells and the width their charts get (``coloured_tokens``, ``step_predictions``)."""
    fit = dict(text_px=text_px, width_px=width_px)
    lt, (k, d) = _layer(view, layer, direction)
    p, out = view.predictions, {}
    if p.kind == "final_value":
        target = "" if np.isnan(p.target_value) else f" (target y = {p.target_value:.3f})"
        out["predictions"] = f"{run}: prediction ŷ = **{p.value:.3f}**{target}"
    elif p.kind == "final_class":
        title = f"{run}: p(class) at the last step, step {view.step}"
        out["predictions"] = distribution_bars(p.probs, p.labels, title, highlight=p.target_index)
    else:
        title = f"{run}: target and prediction per step"
        out["predictions"] = step_predictions(
            view.tokens, p.predicted, p.p_predicted, p.target, p.p_target, title, **fit
        )
    grads = {"‖∂L/∂h_t‖": lt.grad_h_norm}
    if lt.grad_c_norm is not None:
        grads["‖∂L/∂c_t‖"] = lt.grad_c_norm
    colors = {"‖∂L/∂h_t‖": COLORS["grad"], "‖∂L/∂c_t‖": COLORS["i"]}
    title = f"{run}: gradient of the last counted loss"
    out["gradient"] = decades(over_time(grads, view.tokens, title, "norm", log_y=True, colors=colors))
    out["h"] = unit_heatmap(lt.h, view.tokens, "h", f"{run}: h_t at step {view.step}")
    values = lt.c if gate == "c" else lt.gates.get(gate)
    if values is None:
        out["gate"] = f"{run}: this cell has no {gate}."
    else:
        no_gates = gate == "h" and view.trace.cell.startswith("rnn")
        title = f"{run}: no gates, h itself" if no_gates else f"{run}: {gate} at step {view.step}"
        # the gate's own range ((0, 1), (-1, 1)), or +-max|value| where it has none (minGRU's n)
        m = float(np.nanmax(np.abs(values))) if np.size(values) else 1.0
        zrange = value_range(view.trace.cell, gate) or (-(m or 1.0), m or 1.0)
        out["gate"] = unit_heatmap(values, view.tokens, gate, title, zrange=zrange)
    units = view.top_units(k, d, n=6 if len(view.tokens) <= 48 else 3)
    rows = [f"unit {j}" for j in units]
    out["active"] = coloured_tokens(
        view.tokens, lt.h[:, units].T, rows, "h", f"{run}: most active units of h", **fit
    )
    f = view.feature
    if f is not None:
        fl = view.layer(f.layer, f.direction)
        unit = (fl.c if f.state == "c" else fl.h)[:, f.unit]
        scaled = [v / max(1e-9, float(np.abs(v).max())) for v in (unit, f.values)]
        names = [f"{f.state} unit {f.unit} (layer {f.layer + 1})", f.name]
        title = f"{run}: {f.state} unit {f.unit} vs {f.name}, r = {f.r:.2f} (both scaled to ±1)"
        out["feature"] = coloured_tokens(view.tokens, np.array(scaled), names, "scaled", title, **fit)
    return out


def share_log_y(figures: Sequence[go.Figure]) -> None:
    """One log y range for charts drawn side by side (the runs' gradient views): the same height means
    the same number in every column. Figures without positive values are left alone."""
    values = [
        np.asarray(trace.y, dtype=float) for fig in figures for trace in fig.data if trace.y is not None
    ]
    positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in values]) if values else np.array([])
    if not positive.size:
        return
    lo, hi = np.log10(positive.min()), np.log10(positive.max())
    pad = max(0.1, 0.05 * (hi - lo))
    for fig in figures:
        fig.update_yaxes(range=[lo - pad, hi + pad])
