"""The grid LSTM (rnnviz/grid_lstm.py) against a plain transcription of its equations, and lesson 6's
grid section backend (rnnviz/lessons/grid_lesson.py): parameter counts, the computed sentences."""

import base64
import copy
import dataclasses
import json
import math
import re

import numpy as np
import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.grid_lstm import GridConfig, GridLSTM, grid_param_count
from rnnviz.lessons import grid_lesson
from rnnviz.lessons.grid_lesson import GridLesson, Scores
from rnnviz.model import SeqModel, param_count

CFG = GridConfig(
    input_kind="tokens", input_size=5, output_size=3, head="many_to_many", hidden_size=3, num_layers=3
)


def sig(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def transcribe(model: GridLSTM, ids: list[int]) -> dict:
    """The paper's equations one number at a time, in Python floats (float64), no torch in the loop."""
    cfg, H = model.cfg, model.cfg.hidden_size
    P = {k: v.detach().double().tolist() for k, v in model.named_parameters()}
    T, L = len(ids), cfg.num_layers
    below = [[1.0 if d == x else 0.0 for d in range(cfg.input_size)] for x in ids]  # h^D_{t,0} = x_t
    m_below = [[0.0] * H for _ in ids]  # m_{t,0} = 0
    out = {"c": [], "m": [], "h_time": [], "h_depth": []}
    for k in range(L):
        h_prev, c_prev = [0.0] * H, [0.0] * H  # h^T_0 = c_0 = 0
        layer = {name: [] for name in out}
        for t in range(T):
            new = {}
            for dim in ("time", "depth"):
                wi, wh = P[f"weight_ih_l{k}_{dim}"], P[f"weight_hh_l{k}_{dim}"]
                bi, bh = P[f"bias_ih_l{k}_{dim}"], P[f"bias_hh_l{k}_{dim}"]
                a = [
                    sum(wi[r][d] * below[t][d] for d in range(len(below[t])))
                    + sum(wh[r][d] * h_prev[d] for d in range(H))
                    + bi[r]
                    + bh[r]
                    for r in range(4 * H)
                ]
                i = [sig(v) for v in a[:H]]
                f = [sig(v) for v in a[H : 2 * H]]
                g = [math.tanh(v) for v in a[2 * H : 3 * H]]
                o = [sig(v) for v in a[3 * H :]]
                old = c_prev if dim == "time" else m_below[t]
                cell = [f[j] * old[j] + i[j] * g[j] for j in range(H)]
                new[dim] = (cell, [o[j] * math.tanh(cell[j]) for j in range(H)])
            (c, h_t), (m, h_d) = new["time"], new["depth"]
            for name, v in zip(out, (c, m, h_t, h_d), strict=True):
                layer[name].append(v)
            h_prev, c_prev = h_t, c
        for name in out:
            out[name].append(layer[name])
        below, m_below = layer["h_depth"], layer["m"]
    w, b = P["head.weight"], P["head.bias"]
    out["logits"] = [
        [sum(w[o][j] * h[j] for j in range(H)) + b[o] for o in range(cfg.output_size)] for h in below
    ]
    return {k: np.array(v) for k, v in out.items()}


def test_grid_matches_a_plain_transcription_of_its_equations_in_float64():
    model = GridLSTM(CFG).double()
    ids = [0, 3, 1, 4, 2, 2]
    run = model.run(torch.tensor([ids]))
    want = transcribe(model, ids)
    for name in ("c", "m", "h_time", "h_depth"):  # want is (L, T, H), run is (B, T, L, H)
        got = getattr(run, name)[0].permute(1, 0, 2).detach().numpy()
        np.testing.assert_allclose(got, want[name], rtol=0, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(run.logits[0].detach().numpy(), want["logits"], rtol=0, atol=1e-12)
    fast, _ = model(torch.tensor([ids]))  # training's forward keeps no states: the same logits
    np.testing.assert_allclose(fast[0].detach().numpy(), want["logits"], rtol=0, atol=1e-12)
    for dim in ("time", "depth"):  # the gates it reports are the nonlinearities of its pre-activations
        assert torch.equal(run.gates[dim]["g"], torch.tanh(run.pre[dim]["g"]))
        assert torch.equal(run.gates[dim]["f"], torch.sigmoid(run.pre[dim]["f"]))
    # the depth cell really travels up: m of layer 2 depends on m of layer 1 (f' is not 0)
    assert np.abs(want["m"][1]).max() > 0 and np.abs(want["m"][0] - want["m"][1]).max() > 1e-3


def test_layout_seed_gradients_and_counts():
    a, b = GridLSTM(CFG), GridLSTM(CFG)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))  # per seed
    other = GridLSTM(GridConfig(**{**CFG.__dict__, "seed": 1}))
    assert not torch.equal(a.weight_hh_l0_time, other.weight_hh_l0_time)
    assert tuple(a.weight_ih_l0_time.shape) == (4 * 3, 5) and tuple(a.weight_ih_l1_depth.shape) == (12, 3)
    assert grid_param_count(CFG) == param_count(a)
    x = torch.tensor([[0, 3, 1, 4, 2, 2], [1, 1, 1, 0, 0, 4]])
    loss, metrics = a.loss(type("B", (), {"x": x, "y": torch.zeros_like(x), "mask": None})())
    loss.backward()
    grads = {n: p.grad for n, p in a.named_parameters()}
    assert all(g is not None and torch.isfinite(g).all() for g in grads.values())
    assert grads["weight_ih_l0_depth"].abs().sum() > 0  # the loss reaches layer 1's depth transform
    assert 0 <= metrics["acc"] <= 1


@pytest.mark.parametrize("layers", [0, 9, 2.5])
def test_layer_count_out_of_range_is_a_clear_message(layers):
    with pytest.raises(InputError, match="number of layers"):
        GridConfig(num_layers=layers)


# --- lesson 6's grid section backend ------------------------------------------------------------


def test_parameter_counts_are_the_models_and_the_stack_is_the_closest_size():
    cfg = GridLesson(layers=2, hidden_size=6)
    grid, stack = cfg.grid_trainer().model, cfg.stacked_trainer().model
    assert isinstance(stack.layers[0].rnn, torch.nn.LSTM) and stack.cfg.num_layers == 2
    assert cfg.param_counts() == {"grid LSTM": param_count(grid), "stacked LSTM": param_count(stack)}
    H = cfg.stacked_hidden()
    gap = abs(param_count(stack) - param_count(grid))
    for other in (H - 1, H + 1):  # no other H is closer
        twin = GridLesson(layers=2, hidden_size=6).stacked_config(other)
        assert abs(param_count(SeqModel(twin)) - param_count(grid)) >= gap


def test_about_as_many_parameters_at_every_layer_count_the_page_offers():
    """The page's 'of about as many parameters': within 5% at every L of its slider."""
    for layers in range(1, grid_lesson.MAX_LAYERS + 1):
        counts = GridLesson(layers=layers).param_counts()
        assert abs(counts["grid LSTM"] - counts["stacked LSTM"]) < 0.05 * counts["grid LSTM"], layers


def test_result_sentence_follows_the_scores():
    def scores(g, s):
        return Scores({"grid LSTM": 1.0, "stacked LSTM": 1.0}, {"grid LSTM": g, "stacked LSTM": s})

    steps = {"grid LSTM": 300, "stacked LSTM": 300}
    start = grid_lesson.result_sentence(scores(0.2, 0.3), dict.fromkeys(steps, 0), 0.25)
    assert "Neither model is trained" in start and "recalls 20.0%" in start
    assert "stacked LSTM 30.0% (chance is 25%)" in start
    won = grid_lesson.result_sentence(scores(0.9, 0.6), steps, 0.25)
    assert "**grid LSTM** recalls more: 90.0%" in won and "60.0% for the stacked LSTM, 30.0 points" in won
    lost = grid_lesson.result_sentence(scores(0.5, 0.75), steps, 0.25)
    assert "**stacked LSTM** recalls more: 75.0%" in lost and "25.0 points ahead" in lost
    assert "they are level" in grid_lesson.result_sentence(scores(0.5, 0.51), steps, 0.25)
    assert "Not an equal race" not in won
    cut = grid_lesson.result_sentence(scores(0.5, 0.75), {"grid LSTM": 120, "stacked LSTM": 200}, 0.25)
    assert (
        "After 120 steps for the grid LSTM and 200 steps" in cut
        and "grid LSTM has trained 80 steps fewer" in cut
    )


def test_memory_chart_scales_and_marks_the_written_block():
    from rnnviz.charts.grid import memory_maps

    m, c = np.array([[0.1, -0.2, 0.0], [0.3, 0.0, 0.1]]), np.array([[2.0, -1.0, 0.5], [0.0, 0.4, -0.2]])
    shared = memory_maps(m, c, list("AB="), unit=1, mark=(2, 2))
    assert [(tr.zmin, tr.zmax) for tr in shared.data] == [(-2.0, 2.0), (-2.0, 2.0)]  # one range for both
    own = memory_maps(m, c, list("AB="), unit=1, shared=False)
    assert [(tr.zmin, tr.zmax) for tr in own.data] == [(-0.3, 0.3), (-2.0, 2.0)] and all(
        tr.showscale for tr in own.data
    )
    box = shared.layout.shapes[0]
    assert (box.x0, box.x1, box.y0, box.y1) == (0.5, 1.5, 0.5, 1.5)  # step t = 2 is column 1, layer 2 row 1
    assert list(shared.data[0].y) == ["layer 1", "layer 2"] and shared.layout.xaxis.ticktext[0] == "1:A"


def test_memory_and_depth_step_are_the_grids_own_numbers():
    cfg = GridLesson(layers=3, hidden_size=4, seed=2)
    trainer = cfg.grid_trainer()
    trainer.run(5, 60.0)  # a few steps: the weights are no longer the initial ones
    model, task = trainer.model, cfg.task()
    memory = grid_lesson.read_memory(model, task)
    ids = task.example(0, split="val").x[0].tolist()
    assert memory.tokens == list(task.decode(ids))
    want = transcribe(copy.deepcopy(model).double(), ids)  # (L, T, H), float64
    np.testing.assert_allclose(memory.m, want["m"], atol=1e-5)
    np.testing.assert_allclose(memory.c, want["c"], atol=1e-5)
    for t, layer, unit in ((1, 1, 0), (4, 2, 3), (len(ids), 3, 1)):
        v = memory.depth_step(t, layer, unit)
        below = 0.0 if layer == 1 else want["m"][layer - 2, t - 1, unit]
        assert v["m_below"] == pytest.approx(below, abs=1e-5)
        assert v["m"] == pytest.approx(want["m"][layer - 1, t - 1, unit], abs=1e-5)
        assert v["m"] == pytest.approx(v["f"] * v["m_below"] + v["i"] * v["g"], abs=1e-6)  # the shown sum
        assert v["h"] == pytest.approx(v["o"] * math.tanh(v["m"]), abs=1e-6)
    with pytest.raises(InputError, match="layer l"):
        memory.depth_step(1, 4, 0)
    m = memory.m[:, :, 1]
    layer, t = np.unravel_index(np.argmax(np.abs(m)), m.shape)
    text = memory.sentence(1)
    assert f"largest at layer {layer + 1}, step {t + 1} ($m = {m[layer, t]:+.3f}$" in text
    f_up = memory.run.gates["depth"]["f"][0, :, 1:, 1]
    assert f"averages {float(f_up.mean()):.2f} (from {float(f_up.min()):.2f}" in text
    big_m, big_c = np.abs(memory.m[:, :, 1]).max(), np.abs(memory.c[:, :, 1]).max()
    scale = memory.scale_sentence(1)
    assert f"Largest |m| of unit 1 on this example: {big_m:.3f}; largest |c|: {big_c:.3f}" in scale
    assert f"{max(big_m, big_c) / min(big_m, big_c):.1f}× the size of" in scale


def test_depth_question_answer_is_f_times_the_m_from_below():
    cfg = GridLesson(layers=2, hidden_size=4, seed=1)
    memory = grid_lesson.read_memory(cfg.grid_trainer().model, cfg.task())
    q = grid_lesson.depth_question(memory, 3, 1, 2)  # layer 1 has no m from below: asked at layer 2
    v = memory.depth_step(3, 2, 2)
    assert "layer l = 2" in q.question and q.options[q.answer] == f"{v['f'] * v['m_below']:+.3f}"
    assert sorted(q.options, key=float) == q.options and len(set(q.options)) == len(q.options)
    assert set(q.hints) == set(range(len(q.options))) - {q.answer}
    one = GridLesson(layers=1, hidden_size=4)
    assert (
        grid_lesson.depth_question(grid_lesson.read_memory(one.grid_trainer().model, one.task()), 1, 1, 0)
        is None
    )


def test_scores_are_the_models_loss_on_one_fixed_held_out_draw():
    cfg = GridLesson(layers=1, hidden_size=4)
    models = {"grid LSTM": cfg.grid_trainer().model, "stacked LSTM": cfg.stacked_trainer().model}
    a, b = grid_lesson.score(models, cfg.task(), 0), grid_lesson.score(models, cfg.task(), 0)
    assert a.acc == b.acc and a.loss == b.loss
    batch = cfg.task().batch(grid_lesson.EVAL_SEQUENCES, torch.Generator().manual_seed(4_242), split="val")
    with torch.no_grad():
        loss, metrics = models["stacked LSTM"].loss(batch)
    assert a.loss["stacked LSTM"] == pytest.approx(float(loss)) and a.acc["stacked LSTM"] == metrics["acc"]


# --- the page section (lesson 6), one AppTest session at L = 2 ----------------------------------

GRID_KEYS = {"grid LSTM": "l6_grid_net", "stacked LSTM": "l6_grid_stack"}
NUMBER = r"[-+]?\d+\.\d+"


def test_page_section_shows_the_grids_own_numbers(open_page):
    at = open_page("06_gru.py")
    at.slider(key="l6_grid_layers").set_value(2).run()  # untrained here: the browser test trains both
    for key, value in (("l6_grid_unit", 3), ("l6_grid_t", 4), ("l6_grid_l", 2)):
        at.slider(key=key).set_value(value)
    at.run()
    assert not at.exception and not at.error
    trainers = {name: at.session_state[f"{key}_trainer"][1] for name, key in GRID_KEYS.items()}
    cfg = GridLesson(layers=2)
    assert at.session_state["l6_grid_net_trainer"][0] == dataclasses.asdict(cfg)
    text = " ".join(m.value for m in at.markdown)
    for name, tr in trainers.items():  # the parameter counts stated are the live models'
        assert f"**{param_count(tr.model):,} parameters**" in text, name
    task = cfg.task()
    scores = grid_lesson.score({n: tr.model for n, tr in trainers.items()}, task, 0)
    steps = {n: tr.step for n, tr in trainers.items()}
    assert grid_lesson.result_sentence(scores, steps, task.chance) in text  # which won, by how much
    table = next(df.value for df in at.dataframe if "held-out accuracy (%)" in df.value.columns)
    assert list(table["held-out accuracy (%)"]) == [round(100 * scores.acc[n], 1) for n in trainers]
    # the equation block against the grid's own weights, recomputed in float64 by the transcription
    model = trainers["grid LSTM"].model
    ids = task.example(0, split="val").x[0].tolist()
    want = transcribe(copy.deepcopy(model).double(), ids)
    block = next(x.value for x in at.latex if "m_{4,2} = f'" in x.value)
    f, below, i, g, m = (float(v) for v in re.findall(NUMBER, block.split("=", 2)[2]))
    assert below == pytest.approx(want["m"][0, 3, 3], abs=1e-4)  # m_{4,1}, unit 3
    assert m == pytest.approx(want["m"][1, 3, 3], abs=1e-4)  # m_{4,2}
    assert m == pytest.approx(f * below + i * g, abs=1e-3)  # the numbers shown add up
    h_block = next(x.value for x in at.latex if "h^D_{4,2} = o'" in x.value)
    o, m_again, h = (float(v) for v in re.findall(NUMBER, h_block.split("=", 2)[2]))
    assert m_again == m and h == pytest.approx(want["h_depth"][1, 3, 3], abs=1e-4)
    # the memory chart draws unit 3's m and c over (layer, step), read from the same model
    spec = next(
        json.loads(c.proto.spec) for c in at.get("plotly_chart") if "m: passed up a layer" in c.proto.spec
    )
    # the check question's answer: f' m_{4,1} of the same block, from the float64 numbers
    options = next(r.options for r in at.radio if r.key == "check_06_gru.py:grid")
    kept = f * want["m"][0, 3, 3]
    assert float(options[at.session_state["check_06_gru.py:grid_answer"]]) == pytest.approx(kept, abs=2e-3)
    np.testing.assert_allclose(_array(spec["data"][0]["z"]), want["m"][:, :, 3], atol=1e-5)
    np.testing.assert_allclose(_array(spec["data"][1]["z"]), want["c"][:, :, 3], atol=1e-5)
    at.slider(key="l6_grid_layers").set_value(1).run()  # one layer: no layer slider, no m from below
    assert not at.exception and not at.error
    assert any("Layer 1 reads $m_{t,0} = 0$" in c.value for c in at.caption)
    assert "check_06_gru.py:grid" not in {r.key for r in at.radio}


def _array(value) -> np.ndarray:
    """Plotly's JSON stores numpy arrays as {'dtype', 'bdata' (base64), 'shape'}; lists as lists."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).astype(float)
        return flat.reshape([int(n) for n in str(value["shape"]).split(",")])
    return np.array(value, dtype=float)
