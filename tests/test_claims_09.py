"""The Playground's claims and its gradient equations against the page's own numbers and autograd.

The ordered Jacobian product and the LSTM's two-path recursion for dL/dc_t are recomputed by hand
in float64 and compared with the gradients the page draws (autograd); the sentences about how far
the gradient reaches are computed (rnnviz.playground.probe.reach_sentence) and checked against the
heatmap; each preset's measured claims are pinned at the steps they name.
"""

import json
import math

import numpy as np
import pytest
import torch
from test_page_07 import array
from test_page_09 import open_playground, problems, runs

from rnnviz.playground import PRESETS, Playground, example_view, pick_example
from rnnviz.playground.probe import reach
from rnnviz.playground.session import EVAL_BATCHES


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def gradient_figure(at) -> dict:
    (fig,) = [
        f
        for f in figures(at)
        if f["layout"].get("title", {}).get("text", "").endswith("gradient of the last counted loss")
    ]
    return fig


def line(fig: dict, name: str) -> np.ndarray:
    (trace,) = [t for t in fig["data"] if t["name"] == name]
    return array(trace["y"]).astype(np.float64)


def sig(x):
    return 1 / (1 + np.exp(-x))


@pytest.fixture(scope="module")
def at():
    at = open_playground()
    assert problems(at) == []
    return at


def test_lstm_gradients_shown_follow_the_two_path_recursion(at):
    """dL/dc_t = dL/dc_{t+1} * f_{t+1} + dL/dh_t * o_t * (1 - tanh^2 c_t) and, for t < T,
    dL/dh_t = dL/da_{t+1} W_hh, worked backwards by hand in float64 from the page's model."""
    run = runs(at)[0]
    assert run.cfg.cell == "lstm"
    task, model = run.trainer.task, run.trainer.model
    view = example_view(model, task, pick_example(task, 0), 0)
    lt = view.layer(0)
    i, f, g, o = (lt.gates[k].astype(np.float64) for k in "ifgo")
    c = lt.c.astype(np.float64)
    W_hh = model.layers[0].params()["weight_hh"].detach().double().numpy()  # (4H, H), rows i, f, g, o
    T, H = c.shape
    dh = np.zeros((T, H))
    dc = np.zeros((T, H))
    dh[-1] = lt.grad_h[-1]  # dL/dh_T: from the readout (the loss at the last step)
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            # dL/da_{t+1}: the four gates' pre-activations of step t+1 (c_t is step t+1's c_{t-1})
            da = np.concatenate(
                [
                    dc[t + 1] * g[t + 1] * i[t + 1] * (1 - i[t + 1]),
                    dc[t + 1] * c[t] * f[t + 1] * (1 - f[t + 1]),
                    dc[t + 1] * i[t + 1] * (1 - g[t + 1] ** 2),
                    dh[t + 1] * np.tanh(c[t + 1]) * o[t + 1] * (1 - o[t + 1]),
                ]
            )
            dh[t] = da @ W_hh
        cell_path = dc[t + 1] * f[t + 1] if t < T - 1 else 0.0
        dc[t] = cell_path + dh[t] * o[t] * (1 - np.tanh(c[t]) ** 2)
    np.testing.assert_allclose(dh, lt.grad_h, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(dc, lt.grad_c, rtol=1e-4, atol=1e-9)
    # what the page draws: the norms of both, at every step
    fig = gradient_figure(at)
    np.testing.assert_allclose(line(fig, "‖∂L/∂h_t‖"), np.linalg.norm(dh, axis=1), rtol=1e-4)
    np.testing.assert_allclose(line(fig, "‖∂L/∂c_t‖"), np.linalg.norm(dc, axis=1), rtol=1e-4)
    # the cell path alone is a product of f: along c only, dc_t/dc_{t+1} = f_{t+1}
    assert np.abs(dc[:-1] - dh[:-1] * o[:-1] * (1 - np.tanh(c[:-1]) ** 2) - dc[1:] * f[1:]).max() < 1e-6


def test_the_jacobian_product_in_the_order_shown_is_autograd():
    """dL/dh_t = dL/dh_T dh_T/dh_{T-1} ... dh_{t+1}/dh_t for the vanishing preset's tanh RNN, with
    dh_k/dh_{k-1} = diag(1 - h_k^2) W_hh; the commuted product is not."""
    run = Playground.build(PRESETS["vanishing"].configs).runs[0]
    task, model = run.trainer.task, run.trainer.model
    lt = example_view(model, task, pick_example(task, 0), 0).layer(0)
    h = lt.h.astype(np.float64)
    W_hh = model.layers[0].params()["weight_hh"].detach().double().numpy()
    T = h.shape[0]
    J = [np.diag(1 - h[k] ** 2) @ W_hh for k in range(T)]  # J[k] = dh_k/dh_{k-1} (0-based k)
    row = lt.grad_h[-1].astype(np.float64)  # dL/dh_T
    ordered, commuted = [None] * T, [None] * T
    ordered[-1] = commuted[-1] = row
    prod = np.eye(h.shape[1])
    for t in range(T - 2, -1, -1):
        ordered[t] = (
            ordered[t + 1] @ J[t + 1]
        )  # one more factor on the right: ... dh_{t+2}/dh_{t+1} dh_{t+1}/dh_t
        prod = J[t + 1] @ prod  # the same factors multiplied the other way round
        commuted[t] = row @ prod
    ordered, commuted = np.array(ordered), np.array(commuted)
    scale = np.linalg.norm(lt.grad_h, axis=1, keepdims=True)
    np.testing.assert_allclose(ordered / scale, lt.grad_h / scale, atol=1e-5)
    # column form: (dh_{t+1}/dh_t)^T ... (dh_T/dh_{T-1})^T grad_{h_T}
    col = lt.grad_h[-1].astype(np.float64)
    for t in range(T - 2, T - 6, -1):
        col = J[t + 1].T @ col
        np.testing.assert_allclose(col, ordered[t], rtol=1e-6, atol=1e-12)
    wrong = np.linalg.norm(commuted[:-2] - lt.grad_h[:-2], axis=1) / scale[:-2, 0]
    assert wrong.max() > 0.1  # the factors do not commute


def test_reach_sentences_follow_the_heatmap(at):
    shown = "\n".join(m.value for m in at.markdown)
    run = runs(at)[0]
    rec = run.probe.records[-1]
    (heat,) = [
        f
        for f in figures(at)
        if f["layout"].get("title", {}).get("text", "").endswith("gradient through time")
    ]
    g = array(heat["data"][0]["customdata"]).astype(np.float64)[:, -1]  # (T,) newest probe column
    np.testing.assert_allclose(g, rec.grad_norm, rtol=1e-6)
    ratio, per_step, n = reach(g)
    assert ratio == pytest.approx(g[0] / g[n]) and per_step == pytest.approx(ratio ** (1 / n))
    assert f"= {ratio:.1e} over {n} steps back, on average ×{per_step:.2f} per step" in shown
    trend = "it vanishes" if per_step < 0.9 else ("it grows" if per_step > 1.1 else "roughly kept")
    assert trend in shown


# --- presets: every measured claim of the 'what to watch' box, at the steps it names ---------------
def test_vanishing_preset_at_step_0_and_the_live_line():
    at = open_playground()
    at.button(key="pg_preset_vanishing").click().run()
    assert not problems(at)
    run = runs(at)[0]
    ratio, _, n = reach(run.probe.records[0].grad_norm)
    assert n == 61 and 10**-13.5 < ratio < 10**-12.5  # "10^-13 times the one at the end at step 0"
    assert any(f"‖∂L/∂h_62‖ = {ratio:.0e}" in c.value for c in at.caption)
    assert "10^-13" in PRESETS["vanishing"].watch


def test_exploding_preset_diverges_within_a_few_dozen_steps_and_clipping_trains():
    pg = Playground.build(PRESETS["exploding"].configs)
    a, b = pg.runs
    a.train(300, 600)
    b.train(300, 600)
    assert a.diverged and a.step <= 60  # "NaN within a few dozen steps" (seed 0: step 32)
    assert b.diverged is None and b.trainer.history[-1].metrics["val_loss"] < 0.5 * b.initial["val_loss"]


@pytest.mark.slow
def test_vanishing_preset_at_step_1000():
    run = Playground.build(PRESETS["vanishing"].configs).runs[0]
    run.train(1000, 900)
    assert run.step == 1000
    assert max(reach(r.grad_norm)[0] for r in run.probe.records) < 1e-6  # "never more than 10^-6"
    loss = run.trainer.history[-1].metrics["val_loss"]
    assert abs(loss - math.log(4)) < 0.1  # "still near the guessing level ln 4 = 1.39"


@pytest.mark.slow
def test_lstm_preset_at_step_1000():
    pg = Playground.build(PRESETS["lstm_remembers"].configs)
    for run in pg.runs:
        run.train(1000, 900)
    acc = {run.cfg.cell: run.trainer.history[-1].metrics["val_acc"] for run in pg.runs}
    assert acc["lstm"] >= 0.97 and 0.4 <= acc["rnn_tanh"] <= 0.6  # "about 100%", "around 40-60%"
    lstm = next(run for run in pg.runs if run.cfg.cell == "lstm")
    task = lstm.trainer.task
    ex = pick_example(task, 0)
    f = example_view(lstm.trainer.model, task, ex, lstm.step).layer(0).gates["f"]
    gap = [t for t, tok in enumerate(ex.tokens[: ex.tokens.index("=")]) if tok == "_"]  # the 30 blanks
    assert len(gap) == 30
    assert float(np.mean(f[gap])) > 0.9  # "f gate ... stay near 1 across the gap"
    with torch.no_grad():
        assert lstm.trainer.evaluate(EVAL_BATCHES)["val_acc"] >= 0.97


@pytest.mark.slow
def test_bracket_preset_step_0_and_400():
    run = Playground.build(PRESETS["bracket_depth"].configs).runs[0]
    task = run.trainer.task

    def best() -> float:
        views = [example_view(run.trainer.model, task, pick_example(task, i, "markup")) for i in range(5)]
        return float(np.mean([abs(v.feature.r) for v in views]))

    assert 0.3 < best() < 0.5  # "at step 0 the best unit reaches about 0.4"
    run.train(400, 600)
    assert best() > 0.85  # "correlation about 0.9"
    # "one unit of its cell state c": the same unit of c in every example
    found = {
        (v.feature.state, v.feature.unit)
        for v in (example_view(run.trainer.model, task, pick_example(task, i, "markup")) for i in range(5))
    }
    assert len(found) == 1 and next(iter(found))[0] == "c"


def test_the_equations_on_the_page_are_the_ones_tested(at):
    latex = "\n".join(x.value for x in at.latex)
    product = r"\frac{\partial L}{\partial h_T}\,\frac{\partial h_T}{\partial h_{T-1}}\,"
    assert product in latex and latex.index(product) < latex.index(r"\frac{\partial h_{t+1}}{\partial h_t}")
    assert r"\frac{\partial L}{\partial c_{t+1}} \odot f_{t+1}" in latex
    assert r"\odot o_t \odot (1 - \tanh^2 c_t)" in latex
    assert r"\frac{\partial L}{\partial a_{t+1}}\, W_{hh}" in latex


def test_clipping_as_shown_rescales_and_keeps_the_direction():
    """g <- g * min(1, c / ||g||), through the Playground's own trainer: with plain SGD at lr 1 the
    step taken is minus the clipped gradient, so it can be read off the weights."""
    import copy

    from rnnviz.playground import PlaygroundConfig, build_trainer

    for clip in (0.05, 100.0):  # clipping on (the norm is far above 0.05) and, in effect, off
        trainer = build_trainer(PlaygroundConfig(optimizer="sgd", lr=1.0, clip=clip, hidden_size=8))
        gen = torch.Generator()
        gen.set_state(trainer.generator.get_state())
        batch = trainer.task.batch(trainer.cfg.batch_size, gen)
        model = copy.deepcopy(trainer.model)
        model.train()
        loss, _ = model.loss(batch)
        loss.backward()
        g = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]).double()
        before = torch.cat([p.detach().flatten() for p in trainer.model.parameters()]).double()
        trainer.run(1, 60)
        after = torch.cat([p.detach().flatten() for p in trainer.model.parameters()]).double()
        step = before - after  # lr * clipped g
        norm = float(g.norm())
        expected = g * min(1.0, clip / norm)
        torch.testing.assert_close(step, expected, rtol=1e-4, atol=1e-7)
        assert float(torch.nn.functional.cosine_similarity(step, g, dim=0)) > 1 - 1e-6  # direction kept
        row = trainer.history[-1]
        assert row.grad_norm == pytest.approx(norm, rel=1e-4)
        assert row.grad_norm_clipped == pytest.approx(min(norm, clip), rel=1e-4)
