"""The Playground with the cells whose gates read x_t only: they train; its saturation rule holds for them."""

import numpy as np
import pytest
import torch
from test_page_09 import metric, open_playground, problems, runs

from rnnviz.cells import CELLS
from rnnviz.playground import PlaygroundConfig, build_trainer
from rnnviz.playground.controls import shows
from rnnviz.playground.probe import Probe, gate_names, saturation_rule
from rnnviz.trace import trace

MODERN = ("min_gru", "min_lstm", "selective")


@pytest.mark.parametrize("cell", MODERN)
def test_the_probe_measures_saturation_only_where_a_gate_has_a_nonlinearity(cell):
    trainer = build_trainer(PlaygroundConfig(task="first_word", lag=10, cell=cell))
    probe = Probe.for_task(trainer.task, size=8)
    rec = probe.record(trainer.model, step=0)
    spec = CELLS[cell]
    assert spec.linear and set(spec.linear) <= set(gate_names(cell))
    assert sorted(rec.saturation) == sorted(g for g in gate_names(cell) if g not in spec.linear)
    # the gates measured are squashed into (0, 1), as a sigmoid's values
    x = probe.batch.x[0]
    lt = trace(trainer.model, x).layer(0)
    for g in rec.saturation:
        v = lt.gates[g]
        assert float(v.min()) > 0 and float(v.max()) < 1
    assert np.isfinite(rec.grad_norm).all() and rec.grad_norm.shape == (x.shape[0],)


def test_the_saturation_rule_names_what_the_probe_skips():
    classic = saturation_rule(iter(["lstm", "gru", "lstm"]))  # any iterable, as the page passes
    assert "no line" not in classic and "g, n, or h of a tanh RNN" in classic
    rule = saturation_rule(["gru", *MODERN])
    for cell in MODERN:
        spec = CELLS[cell]
        assert f"{', '.join(spec.linear)} ({spec.title})" in rule.split("No nonlinearity, so no line:")[1]
    assert "σ(log f − log i)" in rule and "σ(−u)" in rule
    # a selective cell's a = exp(-softplus(u)) is sigma(-u), as the rule says
    u = torch.linspace(-8, 8, 33, dtype=torch.float64)
    torch.testing.assert_close(torch.exp(-torch.nn.functional.softplus(u)), torch.sigmoid(-u))


@pytest.mark.parametrize("cell", MODERN)
def test_the_playground_trains_them_and_hides_the_forget_bias(cell):
    at = open_playground({"cell": cell})
    assert problems(at) == [] and at.query_params["cell"] == cell
    assert runs(at)[0].cfg.cell == cell
    assert not shows("forget_bias", {**runs(at)[0].cfg.__dict__})
    assert "Forget-gate bias at start" not in [w.label for w in at.select_slider]
    at.button(key="pg_step").click().run()
    assert metric(at, "Step") == "1" and problems(at) == []
    assert not any(n.startswith("weight_hh") for n, _ in runs(at)[0].trainer.model.named_parameters())
    shown = [m.value for m in at.main.markdown if m.value.startswith("**Saturated gates.**")]
    assert len(shown) == 1 and saturation_rule([cell]) in shown[0]


@pytest.mark.parametrize(
    ("cell", "gate", "bounded"), [("min_gru", "n", False), ("min_lstm", "g", False), ("selective", "a", True)]
)
def test_the_gate_view_colours_each_gate_over_its_own_range(cell, gate, bounded):
    from rnnviz.charts.playground import example_figures
    from rnnviz.playground.views import example_view, pick_example

    trainer = build_trainer(PlaygroundConfig(task="first_word", lag=10, cell=cell))
    view = example_view(trainer.model_at(-1), trainer.task, pick_example(trainer.task, 1), step=0)
    heat = example_figures(view, "A", gate=gate)["gate"].data[0]
    values = view.layer(0).gates[gate]
    if bounded:  # a = exp(-softplus(u)) in (0, 1): a sequential scale from 0 to 1
        assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    else:  # no nonlinearity: +-max|value|, so no value is drawn beyond the scale's end
        m = float(np.abs(values).max())
        assert (heat.zmin, heat.zmax) == (-m, m)
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float), values.T)


@pytest.mark.parametrize(
    ("cells", "gate", "says"),
    [
        (("lstm",), "f", "near 0 it shuts, near 1 it lets through"),
        (("selective",), "a", "near 0 it shuts, near 1 it lets through"),
        (("gru",), "n", "a tanh value between -1 and 1"),
        (("min_gru",), "n", "no nonlinearity, any real number"),
        (("min_lstm",), "g", "no nonlinearity, any real number"),
        (("gru", "min_gru"), "n", "GRU (torch form): -1 to 1; minGRU: any real number"),
    ],
)
def test_the_gate_caption_says_the_range_the_values_have(cells, gate, says):
    from rnnviz.playground.controls import gate_caption

    configs = tuple(PlaygroundConfig(task="first_word", lag=10, cell=c) for c in cells)
    assert says in gate_caption(configs, gate)
    for cfg in configs:
        trainer = build_trainer(cfg)
        x = trainer.task.batch(1, torch.Generator().manual_seed(0)).x[0]
        v = trace(trainer.model, x).layer(0).gates[gate]
        lo, hi = {"near 0": (0, 1), "a tanh": (-1, 1)}.get(says[:6], (-np.inf, np.inf))
        if cfg.cell == "min_gru" or "no nonlinearity" in says:
            lo, hi = -np.inf, np.inf
        assert lo < float(v.min()) and float(v.max()) < hi
