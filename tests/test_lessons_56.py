"""Lessons 5 and 6 backend: worked arithmetic equals the trace, counts equal the model, depth gradients."""

import re

import numpy as np
import pytest
import torch

from rnnviz.cells import CELLS
from rnnviz.charts import gates as charts
from rnnviz.errors import InputError
from rnnviz.lessons import depth, gating, worked
from rnnviz.model import ModelConfig, SeqModel, param_count
from rnnviz.tasks import FirstWord
from rnnviz.trace import GateClamp, trace
from rnnviz.train import TrainConfig, Trainer

GATED = ["lstm", "lstm_peephole", "lstm_coupled", "gru", "gru_paper", "gru_minimal"]
TASK = FirstWord(lag=4, n_countries=3)
SENTENCE = "France the rain walked school fluent"


def _model(cell, seed=1, hidden=5):
    return SeqModel(ModelConfig.for_task(TASK, cell=cell, hidden_size=hidden, seed=seed))


def _numbers(text: str) -> list[float]:
    """The numbers in a shown arithmetic: '0.5928 × (-0.1194) = -0.0708' -> [0.5928, -0.1194, -0.0708]."""
    return [float(n) for n in re.findall(r"-?\d+\.\d+", text)]


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


@pytest.mark.parametrize("cell", GATED)
def test_worked_step_rows_are_the_trace_and_add_up(cell):
    tr = trace(_model(cell), TASK.encode(SENTENCE), jacobians=False)
    lt = tr.layer(0)
    for t, unit in ((0, 0), (3, 2), (5, 4)):
        step = worked.worked_step(tr, t, unit)
        assert step.values["h"] == lt.h[t, unit]
        assert step.row("h_t").value == lt.h[t, unit]
        for row in step.rows:
            nums = _numbers(row.arithmetic)
            assert nums[-1] == pytest.approx(row.value, abs=5e-5), row  # the shown result is the value
            if row.symbol.endswith("_pre") and "×" not in row.arithmetic:
                # W x + W h + biases (+ peephole) as shown add up to the pre-activation of the trace
                assert sum(nums[:-1]) == pytest.approx(row.value, abs=3e-4), row
                gate = row.symbol[0]
                assert row.value == pytest.approx(lt.pre[gate][t, unit], abs=1e-6)
                fn = np.tanh if gate in "gn" else _sigmoid
                assert step.values[gate] == pytest.approx(fn(row.value), abs=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "lstm_peephole", "lstm_coupled"])
def test_lstm_update_shown_equals_the_trace(cell):
    tr = trace(_model(cell), TASK.encode(SENTENCE), jacobians=False)
    lt = tr.layer(0)
    for t in range(len(lt.h)):
        step = worked.worked_step(tr, t, 1)
        v = step.values
        c_prev = lt.c[t - 1, 1] if t else 0.0
        assert v["c_prev"] == c_prev and v["c"] == lt.c[t, 1]
        # c_t = f_t c_{t-1} + i_t g_t with the trace's numbers
        assert v["c"] == pytest.approx(v["f"] * c_prev + v["i"] * v["g"], abs=1e-6)
        f, cp, i, g, c = _numbers(step.row("c_t").arithmetic)  # and with the shown (rounded) numbers
        assert f * cp + i * g == pytest.approx(c, abs=2e-4)
        assert v["h"] == pytest.approx(v["o"] * np.tanh(v["c"]), abs=1e-6)
    if cell == "lstm_coupled":
        np.testing.assert_array_equal(lt.gates["f"], 1 - lt.gates["i"])
        assert step.row("f_t").equation == "1 - i_t"


def test_clamping_f_to_one_is_shown_as_a_purely_additive_update():
    model = _model("lstm")
    x = TASK.encode(SENTENCE)
    clamp = GateClamp("f", 1.0, start=1, stop=5)
    effect = gating.intervene(model, x, 0, (clamp,))
    lt = effect.clamped.layer(0)
    for t in range(1, 5):
        step = worked.worked_step(effect.clamped, t, 3, (clamp,))
        v = step.values
        assert v["f"] == 1.0
        # float32 arithmetic, exactly as torch computed it: c_t = c_{t-1} + i_t g_t
        assert np.float32(v["c"]) == np.float32(lt.c[t - 1, 3]) + np.float32(v["i"]) * np.float32(v["g"])
        assert "replaced by 1.0000" in step.row("f_t").arithmetic
        assert step.row("c_t").arithmetic.startswith("1.0000 × ")
    free = worked.worked_step(effect.clamped, 0, 3, (clamp,))  # step 0 is outside the clamp
    assert "replaced" not in free.row("f_t").arithmetic
    assert effect.loss_change != 0.0


@pytest.mark.parametrize("cell", ["gru", "gru_paper", "gru_minimal"])
def test_gru_update_shown_matches_torch_and_the_course_form(cell):
    model = _model(cell)
    x = TASK.encode(SENTENCE)
    tr = trace(model, x, jacobians=False)
    top, _ = model.features(x[None])  # the model's own forward pass (nn.GRU for "gru")
    lt = tr.layer(0)
    for t in (0, 2, 5):
        v = worked.worked_step(tr, t, 2).values
        assert v["h"] == pytest.approx(float(top[0, t, 2].detach()), abs=1e-6)
        # torch: h_t = (1 - z_t) n_t + z_t h_{t-1};  course: c_t = Gamma_u c~_t + (1 - Gamma_u) c_{t-1}
        assert v["h"] == pytest.approx((1 - v["z"]) * v["n"] + v["z"] * v["h_prev"], abs=1e-6)
        assert v["gamma_u"] == 1 - v["z"]
        assert v["h"] == pytest.approx(v["gamma_u"] * v["n"] + (1 - v["gamma_u"]) * v["h_prev"], abs=1e-6)
        if cell == "gru":  # r multiplies W_hn h + b_hn
            assert v["n_pre"] == pytest.approx(v["a_n"] + v["r"] * v["b_n"], abs=1e-5)
        if cell == "gru_paper":  # r multiplies h before W_hn
            p, H = lt.params, 5
            h_prev = lt.h[t - 1] if t else np.zeros(H)
            want = (
                p["weight_ih"][2 * H + 2] @ lt.x[t] + p["bias_ih"][2 * H + 2]
                + p["weight_hh"][2 * H + 2] @ (lt.gates["r"][t] * h_prev) + p["bias_hh"][2 * H + 2]
            )  # fmt: skip
            assert v["n_pre"] == pytest.approx(float(want), abs=1e-5)


def test_gru_as_torch_computes_it():
    model = _model("gru")
    assert isinstance(model.layers[0].rnn, torch.nn.GRU)
    x = TASK.encode(SENTENCE)
    out, _ = model.layers[0].rnn(model.embed(x[None]))
    tr = trace(model, x, jacobians=False)
    np.testing.assert_allclose(tr.layer(0).h, out[0].detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("extra", [{}, {"num_layers": 2, "bidirectional": True}, {"embed_dim": 3}])
def test_param_terms_add_up_to_param_count(cell, extra):
    cfg = ModelConfig.for_task(TASK, cell=cell, hidden_size=7, **extra)
    terms = gating.param_terms(cfg)
    assert sum(term.count for term in terms) == param_count(SeqModel(cfg))
    for term in terms:  # the shown formula evaluates to the count
        expr = (
            term.formula.split("=")[-1]
            .replace("×", "*")
            .replace("·", "*")
            .replace("[", "(")
            .replace("]", ")")
        )
        expr = expr.replace("2 directions", "2")
        assert eval(expr) == term.count, term  # noqa: S307 (digits and operators only)


def test_batch_gates_equal_the_trace_of_each_sequence():
    model = _model("lstm_peephole")
    batch = TASK.batch(3, torch.Generator().manual_seed(2))
    gates = gating.batch_gates(model, batch.x)
    for row in range(3):
        lt = trace(model, batch.x[row], jacobians=False).layer(0)
        for name in ("i", "f", "g", "o", "c", "h"):
            np.testing.assert_allclose(gates[name][row], lt.gates[name], atol=1e-6)


def test_saturation_counts_values_near_0_and_1():
    shares = gating.saturation(np.array([0.01, 0.02, 0.5, 0.97, 0.99, 0.6, 0.3, 0.04]))
    assert shares == {"near 0": 3 / 8, "between": 3 / 8, "near 1": 2 / 8}


def test_model_at_gives_the_initial_weights_after_training():
    model = _model("lstm")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = Trainer(model, TASK, TrainConfig(batch_size=8, checkpoint_every=5))
    trainer.run(5, 30)
    start = gating.model_at(trainer, 0)
    for k, v in start.state_dict().items():
        torch.testing.assert_close(v, before[k])
    assert not torch.equal(model.state_dict()["head.weight"], before["head.weight"])


def test_intervention_and_sentence_errors_say_what_to_do():
    model, x = _model("lstm"), TASK.encode(SENTENCE)
    with pytest.raises(InputError, match="start < stop"):
        gating.intervene(model, x, 0, (GateClamp("f", 1.0, start=4, stop=2),))
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        gating.intervene(model, x, 0, (GateClamp("f", 1.5),))
    with pytest.raises(InputError, match="not in the vocabulary"):
        gating.read_sentence(TASK, "France the moon fluent")
    with pytest.raises(InputError, match="2 to 200 words"):
        gating.read_sentence(TASK, "France")
    assert gating.read_sentence(TASK, "Italy rain fluent")[1] == 2
    assert gating.read_sentence(TASK, "rain Italy fluent")[1] is None
    with pytest.raises(InputError, match="at most 4"):
        worked.worked_step(trace(model, x, jacobians=False), 0, 5)


def test_state_changes_are_step_norms():
    lt = trace(_model("lstm"), TASK.encode(SENTENCE), jacobians=False).layer(0)
    ch = gating.state_changes(lt)
    dc, dh = ch["||c_t - c_(t-1)||"], ch["||h_t - h_(t-1)||"]
    assert dc[0] == pytest.approx(np.linalg.norm(lt.c[0]))
    assert dh[3] == pytest.approx(np.linalg.norm(lt.h[3] - lt.h[2]))


def test_same_weights_other_form_differ_and_layouts_must_match():
    model, x = _model("gru"), TASK.encode(SENTENCE)
    twin = gating.with_cell(model, "gru_paper")
    for k, v in model.state_dict().items():
        torch.testing.assert_close(twin.state_dict()[k], v)
    a, b = trace(model, x, jacobians=False).layer(0), trace(twin, x, jacobians=False).layer(0)
    # at step 0 (h_{-1} = 0) the forms differ only in the bias: torch gates b_hn with r, the paper does not
    np.testing.assert_array_equal(a.gates["r"][0], b.gates["r"][0])
    b_hn = model.layers[0].params()["bias_hh"].detach().numpy()[10:]
    np.testing.assert_allclose(a.pre["n"][0] - b.pre["n"][0], (a.gates["r"][0] - 1) * b_hn, atol=1e-6)
    assert np.abs(a.h[1:] - b.h[1:]).max() > 1e-3
    with pytest.raises(InputError, match="layout"):
        gating.with_cell(model, "lstm")


def test_timing_and_accuracy_leave_the_models_alone():
    models = {"LSTM": _model("lstm"), "GRU": _model("gru")}
    before = {k: {n: v.clone() for n, v in m.state_dict().items()} for k, m in models.items()}
    ms = gating.time_steps(models, TASK, steps=2, batch_size=4, rounds=1)
    assert set(ms) == {"LSTM", "GRU"} and all(v > 0 for v in ms.values())
    for k, m in models.items():
        for n, v in m.state_dict().items():
            torch.testing.assert_close(v, before[k][n])
    acc = gating.held_out_accuracy(models["LSTM"], TASK, n=64)
    assert acc == gating.held_out_accuracy(models["LSTM"], TASK, n=64) and 0 <= acc <= 1


# --- depth --------------------------------------------------------------------------------------


def test_deep_nets_share_their_layers_and_differ_only_in_wiring():
    nets = {k: depth.DeepNet(depth.DeepConfig(kind=k, depth=6, width=8)) for k in depth.DEEP_KINDS}
    for k in ("residual", "highway"):
        for a, b in zip(nets["plain"].blocks, nets[k].blocks, strict=True):
            torch.testing.assert_close(a.weight, b.weight)
    assert torch.all(nets["highway"].gates[0].bias == 2.0)
    x = torch.rand(5, 2)
    _, plain = nets["plain"](x)
    _, res = nets["residual"](x)
    torch.testing.assert_close(plain[1], torch.tanh(nets["plain"].blocks[1](plain[0])))  # a_l = tanh(W a + b)
    torch.testing.assert_close(res[1] - res[0], torch.tanh(nets["residual"].blocks[1](res[0])))  # + a_{l-1}


def test_a_highway_with_its_carry_gate_open_passes_activations_through():
    net = depth.DeepNet(depth.DeepConfig(kind="highway", depth=5, width=4, carry_bias=60.0))
    _, acts = net(torch.rand(3, 2))
    for a in acts[1:]:  # a_l = z a_{l-1} + (1 - z) h with z = 1
        torch.testing.assert_close(a, acts[0], atol=1e-6, rtol=0)


def test_plain_stack_gradient_vanishes_with_depth_where_residual_and_highway_keep_it():
    probe = depth.Rings().batch(128, torch.Generator().manual_seed(5))
    ratio = {}
    for kind in depth.DEEP_KINDS:
        g = depth.depth_gradients(depth.DeepNet(depth.DeepConfig(kind=kind, depth=20, width=16)), probe)
        ratio[kind] = g["||dL/da_l||"][0] / g["||dL/da_l||"][-1]
    assert ratio["plain"] < 1e-3
    assert ratio["residual"] > 0.1 and ratio["highway"] > 1e-2
    assert ratio["highway"] > 100 * ratio["plain"]


def test_depth_gradients_equal_autograd():
    net = depth.DeepNet(depth.DeepConfig(kind="highway", depth=4, width=6))
    batch = depth.Rings().batch(16, torch.Generator().manual_seed(1))
    got = depth.depth_gradients(net, batch)
    logits, _ = net(batch.x)
    loss = torch.nn.functional.cross_entropy(logits, batch.y)
    grads = torch.autograd.grad(loss, [b.weight for b in net.blocks])
    np.testing.assert_allclose(got["||dL/dW_l||"], [float(g.norm()) for g in grads], rtol=1e-5)
    assert all(p.grad is None for p in net.parameters())


def test_rings_labels_and_deep_config_checks():
    b = depth.Rings().batch(200, torch.Generator().manual_seed(0))
    r = b.x.norm(dim=1)
    assert torch.equal(b.y.bool(), (r > 0.3) & (r < 0.75))
    assert 0.2 < b.y.float().mean() < 0.6
    with pytest.raises(InputError, match="kind"):
        depth.DeepConfig(kind="dense")
    with pytest.raises(InputError, match="depth"):
        depth.DeepConfig(depth=100)


# --- charts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", GATED)
def test_cell_diagram_lights_the_chosen_stage_and_shows_the_numbers(cell):
    tr = trace(_model(cell), TASK.encode(SENTENCE), jacobians=False)
    step = worked.worked_step(tr, 2, 1)
    stages = worked.GRU_STAGES if cell.startswith("gru") else worked.LSTM_STAGES
    for stage in stages:
        if cell == "gru_minimal" and stage == "reset":
            continue
        fig = charts.cell_diagram(cell, stage, step.values)
        colors = charts.GRU_STAGE_COLORS if cell.startswith("gru") else charts.STAGE_COLORS
        lit = [tr_.line.color for tr_ in fig.data if tr_.line.width == 6]
        assert lit and set(lit) == {colors[stage]}
        grey = [tr_ for tr_ in fig.data if tr_.line.width == 3]
        assert grey, "the other stages are drawn too, in grey"
    texts = " ".join(a.text for a in fig.layout.annotations)
    gate = "f" if cell.startswith("lstm") else "z"
    assert f"{step.values[gate]:.3f}" in texts


def test_tables_histograms_and_depth_charts():
    tr = trace(_model("lstm"), TASK.encode(SENTENCE), jacobians=False)
    step = worked.worked_step(tr, 1, 0)
    table = step.frame("update")
    assert list(table["quantity"]) == ["c_t"] and table["value"][0] == step.values["c"]
    assert len(step.frame()) == len(step.rows)
    g = gating.batch_gates(_model("lstm"), TASK.batch(4, torch.Generator().manual_seed(0)).x)
    fig = charts.gate_histograms(g, g, ("i", "f", "g"))
    assert len(fig.data) == 6 and fig.layout.xaxis3.range == (-1.0, 1.0)
    grid = charts.grid_lstm_diagram(steps=3, layers=2)
    assert len(grid.layout.shapes) == 6
    chart = charts.depth_gradient_chart(
        {"plain": np.array([1e-6, 1e-3]), "highway": np.array([0.1, 0.2])}, "g"
    )
    assert chart.layout.yaxis.type == "log" and len(chart.data) == 2
    bars = charts.clamp_bars(np.array([0.2, 0.8]), np.array([0.7, 0.3]), ("A", "B"), target=1)
    assert list(bars.data[0].x) == ["A", "B ✓"]


# --- the computed sentences of lessons 5 and 6: each branch follows its numbers -------------------


def test_lesson_5_sentences_branch_on_their_numbers():
    from rnnviz.lessons import lstm_story

    paths = {"total": np.array([2.0, 1.0, 0.5]), "direct": np.array([1.0, 1.0, 0.0])}
    text = lstm_story.paths_sentence(paths, peephole=False)
    assert "1.00× (t = 2) to 2.00× (t = 1)" in text and "peephole" not in text  # rows 1, 0: steps 2, 1
    assert "peephole gates" in lstm_story.paths_sentence(paths, peephole=True)
    assert "nothing comes along the cell" in lstm_story.paths_sentence(
        {"total": np.ones(3), "direct": np.zeros(3)}, peephole=False
    )
    inside = lstm_story.WithoutTanh(max_h=0.4, max_wrong=0.6, at=(2, 1), max_c=0.9)
    outside = lstm_story.WithoutTanh(max_h=0.99, max_wrong=3.5, at=(2, 1), max_c=4.0)
    assert not inside.leaves and "stays below 1" in lstm_story.tanh_sentence(inside)
    assert outside.leaves and "outside (-1, 1)" in lstm_story.tanh_sentence(outside)
    assert "(t = 3, unit 1)" in lstm_story.tanh_sentence(outside)  # row 2 is step t = 3
    means = {"i": 0.5, "f": 0.74, "g": -0.003, "o": 0.52}
    start = lstm_story.start_sentence(means, forget_bias=True, coupled=False)
    assert "near σ(1) = 0.73" in start and "averages 0.00, around 0" in start and "-0.00" not in start
    assert "far from 0.5" in lstm_story.start_sentence({**means, "f": 0.95}, True, False)
    gates = {g: np.full((2, 5, 3), 0.5) for g in "ifo"}
    assert lstm_story.filler_question(gates).answer == 3  # no gate above 0.9: "none"
    gates["o"][:, 1:-1] = 0.95
    assert lstm_story.filler_question(gates).answer == 2


def test_lesson_6_sentences_branch_on_their_numbers():
    from rnnviz.lessons import gru_story

    params = {"LSTM": 400, "GRU": 300}
    slower = gru_story.speed_sentence({"LSTM": 2.0, "GRU": 2.8}, params, 12, 32)
    assert (
        "**1.40×**" in slower
        and "0.75× the LSTM's parameters" in slower
        and "did not make it faster" in slower
    )
    assert "by less than" in gru_story.speed_sentence({"LSTM": 2.0, "GRU": 1.9}, params, 12, 32)
    assert "follows its weight count" in gru_story.speed_sentence({"LSTM": 2.0, "GRU": 1.5}, params, 12, 32)
    assert (
        gru_story.ms_cell(None, "GRU").startswith("not timed yet")
        and gru_story.ms_cell({"GRU": 1.234}, "GRU") == "1.23"
    )
    assert "shrinks on the way down" in gru_story.depth_sentence(
        {"plain": 1e-5, "residual": 0.1, "highway": 0.3}, 20
    )
    assert "keeps the least" in gru_story.depth_sentence({"plain": 0.05, "residual": 0.1, "highway": 0.3}, 4)
    assert "as much as the others" in gru_story.depth_sentence(
        {"plain": 0.5, "residual": 0.1, "highway": 0.3}, 4
    )
    for hidden in (4, 12, 32):
        q = gru_story.weights_question(TASK, hidden)
        lstm, gru = (param_count(_model(c, hidden=hidden)) for c in ("lstm", "gru"))
        assert q.options[q.answer] == f"{lstm - gru:,}" and len(set(q.options)) == 4
        assert set(q.hints) == set(range(4)) - {q.answer}


def test_step_labels_count_from_one_on_every_sequence_chart():
    """t = 1..T on the axis and in the hover (h_0 = 0 is the state before the first token); the
    charts' x positions stay the arrays' rows 0..T-1, so mark_step is a row."""
    from rnnviz.charts.sequence import over_time, step_labels, unit_heatmap

    assert step_labels(["Spain", "the", " "], 3) == ["1:Spain", "2:the", "3:␣"]
    assert step_labels(None, 3) == ["1", "2", "3"]
    values = np.arange(6.0).reshape(3, 2)  # (T, H)
    heat = unit_heatmap(values, ["Spain", "the", "fluent"], "h", mark_step=0)
    assert list(heat.layout.xaxis.ticktext) == ["1:Spain", "2:the", "3:fluent"]
    assert list(heat.data[0].customdata[0]) == ["1:Spain", "2:the", "3:fluent"]
    assert heat.layout.shapes[0].x0 == -0.5  # the frame of step t = 1 sits on row 0
    line = over_time({"a": np.ones(3)}, ["Spain", "the", "fluent"])
    assert list(line.data[0].customdata) == ["1:Spain", "2:the", "3:fluent"]
    assert list(line.layout.xaxis.ticktext)[0] == "1:Spain"


def test_lstm_lesson_config_builds_the_trainer_and_refuses_bad_settings():
    from dataclasses import asdict

    from rnnviz.lessons.lstm_lesson import LSTMLesson

    lesson = LSTMLesson(cell="lstm_coupled", lag=6, hidden=8, forget_bias=False, seed=3)
    trainer = lesson.build_trainer()
    assert trainer.task == FirstWord(lag=6, n_countries=4, seed=3)
    assert trainer.model.cfg == lesson.model_config() and trainer.model.cfg.forget_bias == 0.0
    assert (trainer.cfg.lr, trainer.cfg.checkpoint_every, trainer.cfg.seed) == (0.02, 50, 3)
    # every setting the trainer is built from is in the rebuild key: another value, another key
    assert asdict(lesson) != asdict(LSTMLesson(cell="lstm_coupled", lag=6, hidden=8, seed=3))
    for bad, words in ((dict(cell="gru"), "choose a cell"), (dict(lag=31), "lag"), (dict(hidden=5), "H")):
        with pytest.raises(InputError, match=words):
            LSTMLesson(**bad)
    sizes = lesson.sizes_frame()["parameters at this size"]
    assert sizes.iloc[0] == param_count(SeqModel(lesson.model_config("lstm")))


def test_sentence_read_and_its_frame_hold_the_trace():
    from rnnviz.lessons import lstm_lesson, lstm_story

    model = _model("lstm")
    read = lstm_lesson.read_sentence(model, TASK, SENTENCE)
    tr = trace(model, TASK.encode(SENTENCE), read.y, jacobians=False)
    assert read.tokens == SENTENCE.split() and read.right == TASK.labels[read.y]
    assert read.guess == int(np.argmax(tr.probs)) and read.p_guess == pytest.approx(float(tr.probs.max()))
    table = read.frame()
    assert len(table) == read.T * 5 and list(table.columns[-2:]) == ["c_t", "h_t"]
    row = table[(table["t"] == 2) & (table["unit j"] == 3)].iloc[0]
    assert row["f_t"] == pytest.approx(float(read.layer.gates["f"][1, 3])) and row["word"] == "the"
    gates = gating.batch_gates(model, TASK.batch(4, torch.Generator().manual_seed(0)).x)
    shares = lstm_story.saturation_frame(gates, gates)
    assert list(shares.index) == ["i before", "i now", "f before", "f now", "o before", "o now"]
    assert np.allclose(shares.sum(axis=1), 1.0)


@pytest.mark.parametrize("cell", ["gru", "gru_minimal"])
def test_gru_sentence_frame_holds_the_gates_and_gamma_u(cell):
    from rnnviz.lessons import lstm_lesson

    read = lstm_lesson.read_sentence(_model(cell), TASK, SENTENCE)
    table = read.frame()
    gates = [g for g in "rzn" if g in read.layer.gates]
    assert list(table.columns) == ["t", "word", "unit j", *(f"{g}_t" for g in gates), "h_t", "Γ_u = 1 - z_t"]
    row = table[(table["t"] == 3) & (table["unit j"] == 2)].iloc[0]  # step t = 3 is row 2 of the trace
    z = float(read.layer.gates["z"][2, 2])
    assert row["z_t"] == pytest.approx(z) and row["Γ_u = 1 - z_t"] == pytest.approx(1 - z)
    assert row["h_t"] == pytest.approx(float(read.layer.h[2, 2])) and row["word"] == "rain"


def test_lesson_6_tables_count_and_measure_the_live_models():
    from rnnviz.lessons import gru_tables
    from rnnviz.lessons.gru_lesson import DeepLesson, GRULesson

    lesson = GRULesson(lag=4, hidden_size=6)
    configs = {"LSTM": lesson.model_config("lstm"), "GRU": lesson.model_config("gru")}
    params = gru_tables.param_frame(configs)
    totals = params[params.part == "total"].set_index("model").parameters
    assert totals.to_dict() == {name: param_count(SeqModel(cfg)) for name, cfg in configs.items()}
    racers = {"GRU": lesson.trainer()}
    racers["GRU"].run(3, 600.0)
    race = gru_tables.race_frame(racers, lesson.task(), None, seed=2).iloc[0]
    assert race["training steps"] == 3 and race["parameters"] == totals["GRU"]
    assert race["held-out accuracy"] == round(
        gating.held_out_accuracy(racers["GRU"].model, lesson.task(), seed=2), 3
    )
    deep = {kind: DeepLesson(kind=kind, depth=4, width=8).trainer() for kind in depth.DEEP_KINDS}
    table = gru_tables.deep_frame(deep, depth.Rings(), seed=0)
    assert list(table.index) == list(depth.DEEP_KINDS) and (table["training steps"] == 0).all()
    assert table.loc["plain", "parameters"] == param_count(deep["plain"].model)
    norms = {kind: np.arange(4.0) + k for k, kind in enumerate(depth.DEEP_KINDS)}
    layers = gru_tables.per_layer_frame(norms, "||dL/da_l||")
    assert layers["layer l"].tolist() == [1, 2, 3, 4] and layers["||dL/da_l|| residual"].tolist() == [
        1,
        2,
        3,
        4,
    ]
