"""The Playground's backend: config, URL codec, probes, training in ticks, views, presets, charts."""

import dataclasses
import json

import numpy as np
import plotly.io as pio
import pytest
import torch

from rnnviz.cells import CELLS
from rnnviz.charts.playground import compare_curves, fast_figure, live_figures, training_heatmap
from rnnviz.charts.style import base_layout
from rnnviz.errors import InputError
from rnnviz.playground import (
    PRESETS,
    Playground,
    PlaygroundConfig,
    build_task,
    build_trainer,
    compare_runs,
    decode,
    encode,
    example_view,
    link_notes,
    pick_example,
    typed_example,
)
from rnnviz.playground.config import INT_LIMITS, TASK_NAMES, short_labels
from rnnviz.playground.probe import Probe, measure
from rnnviz.playground.session import Pacer
from rnnviz.playground.url import MAX_URL_TEXT
from rnnviz.trace import trace

SMALL = dict(hidden_size=8, batch_size=8)
TASK_SETTINGS = {
    "first_word": dict(lag=4),
    "copy": dict(lag=3, length=2),
    "adding": dict(lag=5),
    "charlm": dict(seq_len=16),
    "tagging": dict(),
    "sentiment": dict(),
}


def small(task: str, **changes) -> PlaygroundConfig:
    return PlaygroundConfig(task=task, **{**SMALL, **TASK_SETTINGS[task], **changes})


# --- config ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", TASK_NAMES)
def test_every_task_builds_and_trains_a_step(task):
    trainer = build_trainer(small(task))
    result = trainer.run(2, 30)
    assert result.status == "done" and trainer.step == 2
    assert np.isfinite(trainer.history[-1].loss)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_every_cell_builds_with_layers_and_both_directions(cell):
    cfg = small("tagging", cell=cell, num_layers=2, bidirectional=True, embed_dim=4)
    trainer = build_trainer(cfg)
    assert trainer.model.cfg.cell == cell and trainer.model.cfg.num_layers == 2
    assert trainer.run(1, 30).status == "done"


@pytest.mark.parametrize(
    "changes, word",
    [
        (dict(lag=0), "lag"),
        (dict(hidden_size=500), "hidden size"),
        (dict(lr=-1.0), "learning rate"),
        (dict(clip=0.0), "gradient clipping"),
        (dict(cell="transformer"), "cell"),
        (dict(task="charlm", text="own", own_text="   "), "empty"),
        (dict(bidirectional="yes"), "bidirectional"),
    ],
)
def test_bad_settings_raise_input_errors_that_name_the_setting(changes, word):
    with pytest.raises(InputError, match=word):
        PlaygroundConfig(**changes)


def test_knobs_are_only_what_the_task_reads():
    assert PlaygroundConfig(task="copy").knobs() == {"n_symbols": 4, "length": 3, "lag": 10}
    assert "depth" in PlaygroundConfig(task="charlm", text="markup").knobs()
    own = PlaygroundConfig(task="charlm", text="own", own_text="hello there")
    assert own.knobs()["own_text"] == "hello there" and "depth" not in own.knobs()


def test_compared_runs_share_task_data_and_seed():
    runs = compare_runs(PlaygroundConfig(task="copy"), {"cell": "gru", "clip": None}, {"lr": 0.1})
    assert [r.cell for r in runs] == ["lstm", "gru", "lstm"]
    assert len({r.task_key() for r in runs}) == 1
    with pytest.raises(InputError, match="share the task"):
        compare_runs(PlaygroundConfig(), {"lag": 3})
    with pytest.raises(InputError, match="at most 3"):
        compare_runs(PlaygroundConfig(), {}, {}, {})
    assert short_labels(runs) == [
        "A: LSTM, learning rate 0.01, clip 1",
        "B: GRU (torch form), learning rate 0.01, no clipping",
        "C: LSTM, learning rate 0.1, clip 1",
    ]


# --- URL ---------------------------------------------------------------------------------------------


def test_url_round_trip_keeps_every_setting():
    base = PlaygroundConfig(
        task="charlm",
        text="own",
        own_text="a <b>bold</b> text, with commas & signs?",
        seq_len=12,
        cell="gru_paper",
        num_layers=2,
        bidirectional=True,
        hidden_size=17,
        embed_dim=5,
        optimizer="sgd",
        lr=0.3,
        clip=None,
        batch_size=16,
        seed=123,
    )
    configs = compare_runs(base, {"cell": "rnn_relu", "lr": 0.01}, {"clip": 2.5})
    params = encode(configs, hide={"task", "lr"}, example=7)
    assert all(isinstance(v, str) for v in params.values())
    link = decode(params)
    assert link.configs == configs and link.hide == {"task", "lr"} and link.example == 7
    assert link.warnings == ()


def test_decoding_clamps_bad_values_and_names_each_parameter():
    link = decode(
        {
            "lag": "999",
            "lr": "abc",
            "hidden": "0",
            "bidir": "maybe",
            "cell": "rnn",
            "seed": "-3",
            "foo": "1",
            "b_lag": "2",
            "c_cell": "gru",
            "runs": "2",
            "hide": "model,banana",
        }
    )
    cfg = link.configs[0]
    assert cfg.lag == INT_LIMITS["lag"][1] and cfg.lr == PlaygroundConfig().lr and cfg.hidden_size == 1
    assert cfg.cell == "rnn_tanh" and cfg.seed == 0 and len(link.configs) == 2 and link.hide == {"model"}
    text = "\n".join(link.warnings)
    for name in (
        "lag=999",
        "lr='abc'",
        "hidden=0",
        "bidir='maybe'",
        "seed=-3",
        "'foo'",
        "b_lag",
        "runs=2",
        "banana",
    ):
        assert name in text, name


@pytest.mark.parametrize(
    "params",
    [
        {"task": "nope"},
        {"task": "charlm", "text": "own"},  # no text given
        {"task": "charlm", "text": "own", "own": "x"},  # too short to cut a window from
        {"clip": "inf", "lr": "nan", "layers": "1e300", "ex": "-4", "runs": "zz"},
        {"hide": ",,,", "embed": "true", "embed_options": "light_theme"},
        {"b_cell": "", "c_hidden": "[]", "countries": ["3", "5"]},
    ],
)
def test_decoding_never_raises(params):
    link = decode(params)
    assert 1 <= len(link.configs) <= 3
    for cfg in link.configs:
        assert isinstance(cfg, PlaygroundConfig)


def test_long_own_text_stays_out_of_links_and_says_so():
    cfg = PlaygroundConfig(task="charlm", text="own", own_text="ab " * MAX_URL_TEXT)
    assert "own" not in encode((cfg,))
    assert "at most" in link_notes((cfg,))[0]
    assert decode(encode((cfg,))).configs[0].text == "markup"


def test_missing_parameters_come_from_the_defaults_given():
    link = decode({"task": "copy"}, defaults=PlaygroundConfig(seed=42, hidden_size=12))
    assert link.configs[0].seed == 42 and link.configs[0].hidden_size == 12 and link.configs[0].task == "copy"


# --- probe -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task, changes",
    [
        ("copy", dict(cell="lstm_peephole")),
        ("first_word", dict(cell="gru_paper", num_layers=2)),
        ("sentiment", dict(cell="rnn_tanh", bidirectional=True)),
        ("adding", dict(cell="gru")),
    ],
)
def test_probe_gradients_equal_the_trace_of_each_sequence(task, changes):
    trainer = build_trainer(small(task, **changes))
    batch = Probe.for_task(trainer.task, size=3).batch
    together = measure(trainer.model, batch).grad_norm
    per_row = []
    for i in range(len(batch)):
        row = batch.row(i)
        tr = trace(
            trainer.model, row.x[0], row.y[0], None if row.mask is None else row.mask[0], jacobians=False
        )
        top = [lt for lt in tr.layers if lt.layer == trainer.model.cfg.num_layers - 1]
        per_row.append(np.sqrt(sum(lt.grad_h_norm**2 for lt in top)))
    np.testing.assert_allclose(together, np.mean(per_row, axis=0), rtol=1e-4, atol=1e-9)


def test_probe_leaves_training_untouched():
    a, b = build_trainer(small("copy")), build_trainer(small("copy"))
    probe = Probe.for_task(a.task)
    for _ in range(3):
        a.run(2, 30)
        probe.record(a.model, a.step)
        b.run(2, 30)
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    rec = probe.records[-1]
    assert set(rec.saturation) == {"i", "f", "g", "o"}
    assert all(0 <= rec.near_one[g] <= rec.saturation[g] <= 1 for g in rec.saturation)


def test_saturation_counts_the_flat_parts():
    trainer = build_trainer(small("first_word", cell="rnn_relu"))
    with torch.no_grad():
        trainer.model.layers[0].params(0)["bias_ih"].fill_(-100.0)  # every ReLU unit off
    rec = measure(trainer.model, Probe.for_task(trainer.task, size=2).batch)
    assert rec.saturation == {"h": 1.0}


# --- training ------------------------------------------------------------------------------------------


def test_same_configs_same_numbers():
    configs = compare_runs(small("copy"), {"cell": "gru"})
    a, b = Playground.build(configs), Playground.build(configs)
    for _ in range(3):
        a.step_batch()
    b.step_batch()
    b._train(2, 60.0)  # the same steps in other chunks: the same batches and weights
    for ra, rb in zip(a.runs, b.runs, strict=True):
        assert ra.step == rb.step == 3
        assert [r.loss for r in ra.trainer.history][-1] == [r.loss for r in rb.trainer.history][-1]
        for va, vb in zip(
            ra.trainer.model.state_dict().values(), rb.trainer.model.state_dict().values(), strict=True
        ):
            assert torch.equal(va, vb)
        assert ra.initial == rb.initial


def test_ticks_keep_compared_runs_step_aligned_and_start_with_a_loss_point():
    pg = Playground.build(compare_runs(small("first_word"), {"cell": "rnn_tanh"}, {"hidden_size": 4}))
    first = pg.tick(0.05)
    assert len(set(first.steps)) == 1 and first.steps[0] >= 1
    assert all(run.trainer.history for run in pg.runs)  # the first step logged a row
    pg.tick(0.2)
    assert len({run.step for run in pg.runs}) == 1
    assert pg.step_batch().steps == (1, 1, 1)


def test_a_diverged_run_stops_and_the_others_go_on():
    pg = Playground.build(PRESETS["exploding"].configs)
    for _ in range(20):
        pg.tick(0.5)
        if pg.runs[0].diverged:
            break
    a, b = pg.runs
    assert a.diverged and "diverged at step" in a.diverged
    before = a.step
    pg.tick(0.3)
    assert a.step == before and b.step > before and b.diverged is None
    data = {"A": a.live_data(), "B": b.live_data()}
    data["A"]["loss"]["loss"][-1] = 300.0  # as a row just before the NaN can show
    figs = live_figures(data, mark_step=b.step)
    low, high = figs["loss"].layout.yaxis.range  # B's curve is not flattened by A's blow-up
    assert low == 0 and 2 * data["A"]["loss"]["held_out"][0] <= high < 300
    assert not figs["heat_0"].layout.shapes and figs["heat_1"].layout.shapes  # no line past A's end


def test_pacer_keeps_redraws_to_a_share_of_the_time():
    pacer = Pacer(min_interval=0.0)
    assert pacer.due()
    pacer.drew(0.5)  # a slow redraw: the next one waits 9 times as long
    assert not pacer.due()
    pacer.last -= 4.6
    assert pacer.due()


# --- views -------------------------------------------------------------------------------------------


def test_examples_are_fixed_and_typed_ones_get_targets_where_the_rules_give_them():
    task = build_task(small("first_word"))
    assert torch.equal(pick_example(task, 3).x, pick_example(task, 3).x)
    assert not torch.equal(pick_example(task, 3).x, pick_example(task, 4).x)
    ex = typed_example(task, "Spain i grew up fluent")
    assert ex.tokens[0] == "Spain" and task.labels[int(ex.y)] == "Spanish"
    assert typed_example(build_task(small("sentiment")), "the movie was not good").y.item() == 0
    lm = typed_example(build_task(small("charlm")), "<b>hi</b>", source="markup")
    assert lm.tokens == list("<b>hi</b")[:8] and lm.feature == "tag depth"
    with pytest.raises(InputError, match="pick an example by number"):
        typed_example(build_task(small("adding")), "1 2 3")
    with pytest.raises(InputError, match="not in the vocabulary"):
        typed_example(task, "Atlantis fluent")


def test_example_view_through_a_checkpoint():
    trainer = build_trainer(small("copy", cell="lstm"))
    trainer.run(25, 60)
    ex = pick_example(trainer.task, 0)
    first = example_view(trainer.model_at(0), trainer.task, ex, trainer.checkpoints[0][0])
    last = example_view(trainer.model_at(-1), trainer.task, ex, trainer.checkpoints[-1][0])
    T, H = len(ex.tokens), trainer.model.cfg.hidden_size
    assert first.layer(0).h.shape == (T, H) and set(first.layer(0).gates) >= {"i", "f", "g", "o"}
    assert not np.allclose(first.layer(0).h, last.layer(0).h)
    p = last.predictions
    assert p.kind == "per_step" and len(p.predicted) == T
    assert np.isnan(p.p_target[0]) and np.isfinite(p.p_target[-1])  # only the recall steps count
    assert len(last.top_units(0, 0, n=3)) == 3


def test_a_unit_tracking_tag_depth_is_found_when_one_exists():
    trainer = build_trainer(small("charlm", cell="lstm"))
    ex = pick_example(trainer.task, 2, source="markup")
    view = example_view(trainer.model, trainer.task, ex)
    assert ex.feature == "tag depth" and len(ex.feature_values) == len(ex.tokens)
    f = view.feature
    lt = view.layer(f.layer, f.direction)
    unit = (lt.c if f.state == "c" else lt.h)[:, f.unit]
    assert f.r == pytest.approx(np.corrcoef(unit, ex.feature_values)[0, 1], abs=1e-6)


# --- presets -----------------------------------------------------------------------------------------


def test_every_preset_builds_and_fits_a_link():
    for key, preset in PRESETS.items():
        assert 1 <= len(preset.configs) <= 3 and preset.watch
        assert decode(encode(preset.configs)).configs == preset.configs, key


def test_vanishing_preset_starts_with_a_vanishing_gradient():
    pg = Playground.build(PRESETS["vanishing"].configs)
    g = pg.runs[0].probe.records[0].grad_norm
    assert g[0] / g[-1] < 1e-8


@pytest.fixture
def one_thread():
    """Training tests run on one thread, as the app does: faster on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
def test_lstm_preset_remembers_what_the_rnn_forgets(one_thread):
    pg = Playground.build(PRESETS["lstm_remembers"].configs)
    for run in pg.runs:
        run.train(900, 600)
    acc = {run.cfg.cell: run.trainer.evaluate(8)["val_acc"] for run in pg.runs}
    assert acc["lstm"] > 0.9 and acc["rnn_tanh"] < 0.75


@pytest.mark.slow
def test_bracket_preset_grows_a_depth_unit(one_thread):
    run = Playground.build(PRESETS["bracket_depth"].configs).runs[0]
    task = run.trainer.task

    def best() -> float:
        views = [example_view(run.trainer.model, task, pick_example(task, i, "markup")) for i in range(5)]
        return float(np.mean([abs(v.feature.r) for v in views]))

    before = best()
    run.train(400, 600)
    assert best() > max(0.8, before + 0.3)


# --- charts ------------------------------------------------------------------------------------------


def test_fast_figures_look_exactly_like_base_layout():
    import plotly.graph_objects as go

    data = [dict(type="scatter", x=[1, 2], y=[3, 4], name="a")]
    slow = base_layout(go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="a")), "Title", 280)
    fast = fast_figure(data, {}, "Title", 280)
    assert json.loads(pio.to_json(fast, validate=False)) == json.loads(pio.to_json(slow, validate=False))


def test_live_figures_of_a_compare_run():
    pg = Playground.build(compare_runs(small("first_word"), {"cell": "gru"}))
    pg.tick(0.2)
    labels = short_labels(pg.configs)
    figs = live_figures(
        {label: run.live_data() for run, label in zip(pg.runs, labels, strict=True)}, mark_step=1
    )
    assert sorted(figs) == ["acc", "grad", "heat_0", "heat_1", "loss", "sat_0", "sat_1"]
    loss = figs["loss"].to_dict()
    names = [t["name"] for t in loss["data"]]
    assert names == [labels[0], f"{labels[0]} (held out)", labels[1], f"{labels[1]} (held out)"]
    assert loss["data"][1]["x"][0] == 0  # held out starts at the untrained model
    assert loss["layout"]["shapes"][0]["x0"] == 1
    heat = training_heatmap([0, 20], np.array([[1e-3, 1.0], [1e-6, 1.0]]), mark_step=None)
    np.testing.assert_allclose(np.asarray(heat.data[0].z, dtype=float), [[-3, -6], [0, 0]])
    assert compare_curves({}, "loss").to_dict()["data"] == []


def test_url_example_in_module_docstring_is_true():
    params = encode((dataclasses.replace(PlaygroundConfig(), lag=20),), hide=("task", "model"))
    assert params["lag"] == "20" and params["hide"] == "model,task"
