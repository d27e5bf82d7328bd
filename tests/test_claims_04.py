"""Lesson 4: every claim the page's prose makes, at its defaults and at its settings that change the
story, and every equation on screen against the model's own numbers (float64 where it matters)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.lessons.exploding import ExplodingPreset, clip_check, clip_question, exploding_run
from rnnviz.lessons.gate_paths import gate_path, sigmoid_power
from rnnviz.lessons.gradient_mistakes import derivative_max, ordered_vs_commuted, relu_d_norms
from rnnviz.lessons.gradients import GradientsConfig, ScalarConfig, scalar_chain
from rnnviz.lessons.memory_lag import LagRecipe, LagRun, measure
from rnnviz.lessons.memory_report import load_bench
from rnnviz.lessons.scalar_regime import chain_regime
from rnnviz.lessons.step_factors import acting_factors, drawn_copy, factor_story, step_factors

torch.set_num_threads(1)
PAGE = "04_gradients.py"
DEFAULT_SCALE = 0.03  # the page's default input scale


def texts(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def metric(at, label: str) -> float:
    return float(next(m for m in at.metric if m.label == label).value)


@pytest.fixture(scope="module")
def setup():
    cfg = GradientsConfig()  # the page's defaults: lag 20, H = 32, seed 0
    x, y = cfg.probe()
    return cfg.model(), x, y


def replay64(model, x, y, h_start=None, start=0):
    """The tanh RNN in float64 by hand, h_0 = 0: [h_0, h_1, ..., h_T] (each with .grad after backward)."""
    p = {k: v.detach().double() for k, v in model.layers[0].params(0).items()}
    xs = F.one_hot(x, model.cfg.input_size).double()
    h = (
        torch.zeros(model.cfg.hidden_size, dtype=torch.float64, requires_grad=True)
        if h_start is None
        else h_start
    )
    hs = [h]
    for t in range(start, len(x)):
        # h_t = tanh(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh)
        h = torch.tanh(p["weight_ih"] @ xs[t] + p["bias_ih"] + p["weight_hh"] @ h + p["bias_hh"])
        h.retain_grad()
        hs.append(h)
    logits = model.head.weight.detach().double() @ h + model.head.bias.detach().double()
    loss = F.cross_entropy(logits[None], y.reshape(1))
    return hs, loss


# --- section 1: the scalar chain's wording follows its factors -----------------------------------


@pytest.mark.parametrize(
    "kw, kind, says",
    [
        ({}, "geometric", "**vanishes** at least geometrically"),
        ({"w_h": 1.0, "x": 0.0}, "exactly one", "**exactly 1**"),
        ({"w_h": -1.0, "x": 0.0}, "exactly one", "**exactly 1**"),
        ({"w_h": 1.0}, "power law", "**power of t**"),
        ({"w_h": -1.0, "steps": 150}, "power law", "**power of t**"),
        ({"w_h": 1.5, "x": 0.0}, "grows", "**explodes**"),
        ({"w_h": 1.5, "x": 0.5}, "grows", "**grows** over those steps"),
    ],
)  # fmt: skip
def test_scalar_wording_is_true_of_the_factors(kw, kind, says):
    cfg = ScalarConfig(**kw)
    chain = scalar_chain(cfg)
    regime = chain_regime(chain, cfg.w_h)
    assert regime.kind == kind and says in regime.sentence()
    f, p = np.abs(chain.step), np.abs(chain.product)
    t = np.arange(1, cfg.steps + 1)
    if kind == "exactly one":
        assert np.all(f == 1.0) and np.all(p == 1.0)
        assert "Some factors exceed 1" not in regime.sentence()
    elif kind == "geometric":
        assert np.all(p <= regime.largest**t * (1 + 1e-12)) and regime.largest < 1
    elif kind == "power law":
        assert np.all(f < 1) and np.all(np.diff(f[cfg.steps // 2 :]) > 0)  # creeping up to 1
        # a power law: |product| t^-k stays within a factor 2 over the second half, a geometric fall would not
        k = regime.exponent
        scaled = p[cfg.steps // 2 :] / t[cfg.steps // 2 :] ** k
        assert scaled.max() / scaled.min() < 2 and -2 < k < -1
        q = f[cfg.steps // 2 - 1]  # the best geometric rate over the second half would fall much faster
        assert p[-1] / p[cfg.steps // 2 - 1] > q ** (cfg.steps - cfg.steps // 2)
    elif regime.above == cfg.steps:
        assert np.all(p >= regime.smallest**t * (1 - 1e-12)) and regime.smallest > 1
    else:
        assert 0 < regime.above < cfg.steps and np.sum(f > 1) == regime.above


def test_scalar_page_text_at_the_cases(open_page):
    at = open_page(PAGE)
    assert "**vanishes** at least geometrically" in texts(at) and "at most 0.900" in texts(at)
    at.slider(key="l4_w_h").set_value(1.0)
    at.slider(key="l4_x").set_value(0.0).run()
    assert "**exactly 1**" in texts(at) and "Some factors exceed 1" not in texts(at)
    at.slider(key="l4_x").set_value(1.0).run()
    assert "**power of t**" in texts(at) and "geometrically" not in texts(at).split("### 2.")[0]
    # try_this: x = 0, w_h = 1.5 gives exactly 1.5^t; an input of 0.5 saturates it and the explosion stops
    assert scalar_chain(ScalarConfig(w_h=1.5, x=0.0)).product[-1] == pytest.approx(1.5**40)
    assert abs(scalar_chain(ScalarConfig(w_h=1.5, x=0.5)).product[-1]) < 1


# --- section 2: the factor acting on the gradient, against autograd in float64 --------------------


@pytest.mark.parametrize("rho, scale", [(0.9, DEFAULT_SCALE), (1.5, DEFAULT_SCALE), (1.2, 1.0)])
def test_acting_factor_is_the_autograd_ratio_in_float64(setup, rho, scale):
    model, x, y = setup
    model = drawn_copy(model, rho, scale)
    hs, loss = replay64(model, x, y)
    loss.backward()
    g = torch.stack([h.grad for h in hs]).numpy()  # (T + 1, H): g_0 .. g_T
    h = torch.stack(hs[1:]).detach().numpy()
    w = model.layers[0].params(0)["weight_hh"].detach().double().numpy()
    acting, g0 = acting_factors(w, h, g[1:])
    # a_t = ||(D_t W_hh)^T g_t|| / ||g_t|| = ||g_{t-1}|| / ||g_t||, for t = 1..T
    norms = np.linalg.norm(g, axis=1)
    assert acting == pytest.approx(norms[:-1] / norms[1:], rel=1e-10)
    assert g0 == pytest.approx(g[0], rel=1e-9, abs=1e-15)
    # ||D_t W_hh||_2 bounds it, and the page's float32 numbers agree with float64
    worst = np.array([np.linalg.norm(np.diag(1 - h_t**2) @ w, ord=2) for h_t in h])
    assert np.all(acting <= worst * (1 + 1e-12))
    sf = step_factors(model, x, y)
    assert sf.acting == pytest.approx(acting, rel=1e-4)
    assert sf.worst == pytest.approx(worst, rel=1e-4)
    assert sf.profile.grad_norm == pytest.approx(norms[1:], rel=1e-4)
    # ||g_t|| = ||g_T|| prod_{s=t+1..T} a_s exactly
    tail = np.concatenate([np.cumprod(acting[::-1])[::-1][1:], [1.0]])
    assert norms[1:] == pytest.approx(norms[-1] * tail, rel=1e-9)


def test_rho_tilts_the_gradient_from_vanishing_to_exploding_on_screen(open_page):
    at = open_page(PAGE)
    assert metric(at, "‖dL/dh_1‖ / ‖dL/dh_T‖") < 0.01 and metric(at, "factor per step back") < 0.8
    assert "the gradient shrinks" in texts(at)
    at.slider(key="l4_rho").set_value(1.5).run()
    assert not at.exception
    assert metric(at, "‖dL/dh_1‖ / ‖dL/dh_T‖") > 10 and metric(at, "factor per step back") > 1.1  # explodes
    assert "the gradient grows" in texts(at)
    at.select_slider(key="l4_input_scale").set_value(
        1.0
    ).run()  # try_this: saturated units, the explosion fades
    assert metric(at, "‖dL/dh_1‖ / ‖dL/dh_T‖") < 1


@pytest.mark.parametrize("rho, scale", [(0.9, DEFAULT_SCALE), (1.5, DEFAULT_SCALE), (1.5, 1.0), (0.5, 0.01)])
def test_factor_story_states_its_numbers(setup, rho, scale):
    model, x, y = setup
    sf = step_factors(drawn_copy(model, rho, scale), x, y)
    text = factor_story(sf)
    worst, acting = sf.worst[1:], sf.acting[1:]
    for f in (worst, acting):
        lo, hi = f"{f.min():.2f}", f"{f.max():.2f}"
        shown = f"are all {lo}" if lo == hi else f"lie between {lo} and {hi}"
        assert f"{shown} ({np.sum(f > 1)} of {len(f)} above 1)" in text
    assert ("shrinks" if sf.ratio < 1 else "grows") in text.split(":")[0]
    # W_hh is not normal, ||W_hh|| > rho, and the long-run rate of W_hh^T alone is rho
    w = model.layers[0].params(0)["weight_hh"].detach().double().numpy() * (rho / sf.radius)
    assert np.linalg.norm(w @ w.T - w.T @ w) > 1e-3 and sf.w_norm > 1.2 * sf.radius
    assert sf.long_run == pytest.approx(rho, rel=0.01) and "which is $\\rho$" in text
    assert ("below that" in text) == (sf.rate < 0.99 * sf.long_run)
    assert f"at best $a_t$ reaches {np.max(acting / worst):.0%} of the worst case" in text
    assert ("partly saturated" in text) == (sf.d_mean < 0.9)
    if scale == DEFAULT_SCALE:  # the default input scale keeps the units near 0 (D_t ~ I)
        assert rho == 1.5 or sf.d_mean > 0.99


def test_bound_holds_and_t_counts_from_one(open_page):
    at = open_page(PAGE)
    csv = next(b for b in at.get("download_button") if b.proto.id.endswith("-l4_csv_bound"))
    assert csv is not None
    sf = step_factors(drawn_copy(GradientsConfig().model(), 0.9, DEFAULT_SCALE), *GradientsConfig().probe())
    assert np.all(sf.profile.bound >= sf.profile.grad_norm * (1 - 1e-6))
    assert np.all(sf.profile.step_bound >= sf.profile.grad_norm * (1 - 1e-6))
    chart = next(c for c in at.get("plotly_chart") if "bounds" in c.proto.spec)
    assert '"x":[1,2,3' in chart.proto.spec.replace(" ", "")  # t = 1..T on the axis


# --- section 3: dark columns on the left at the start ---------------------------------------------


def test_untrained_heatmap_is_dark_on_the_left(open_page):
    at = open_page(PAGE)
    row = at.session_state["l4_recorder"][1].grid()[0]
    assert row[0] / row[-1] < 1e-3 and np.all(np.diff(np.log(row)) > 0)  # rising towards the last step
    said = "\n".join(c.value for c in at.caption)
    assert f"‖dL/dh_1‖ / ‖dL/dh_T‖ = {row[0] / row[-1]:.3g}" in said and "gets less learning signal" in said


# --- section 4: clipping keeps the direction; the SGD step; the predict question ------------------


def test_clipping_keeps_the_direction_and_the_sgd_step_is_eta_g():
    preset = ExplodingPreset()
    c = clip_check(preset)
    assert c.cosine == pytest.approx(1.0, abs=1e-12) and c.norm_clipped == pytest.approx(
        preset.clip, rel=1e-6
    )
    assert c.cosine_by_value < 0.9  # clipping by value turns it
    # g <- g min(1, c / ||g||), by hand against torch's clip_grad_norm_
    trainer = preset.trainer(None)
    loss, _ = trainer.model.loss(preset.task().batch(32, trainer.generator))
    loss.backward()
    params = [p for p in trainer.model.parameters() if p.grad is not None]
    g = torch.cat([p.grad.reshape(-1) for p in params]).double()
    by_hand = g * min(1.0, preset.clip / float(g.norm()))
    torch.nn.utils.clip_grad_norm_(params, preset.clip)
    assert torch.cat([p.grad.reshape(-1) for p in params]).double() == pytest.approx(
        by_hand.numpy(), rel=1e-5
    )
    # theta <- theta - eta g: the first plain SGD step moves the weights by eta ||g||
    trainer = preset.trainer(None)
    before = torch.cat([p.detach().reshape(-1).clone() for p in trainer.model.parameters()]).double()
    trainer.run(1, 60)
    after = torch.cat([p.detach().reshape(-1) for p in trainer.model.parameters()]).double()
    assert float((after - before).norm()) == pytest.approx(preset.lr * c.norm, rel=1e-4)


def test_clip_question_is_graded_by_the_live_cosine(open_page):
    preset = ExplodingPreset()
    c = clip_check(preset)
    question, options, answer, why, hints = clip_question(c, preset.clip)
    assert answer == 0 and options[0].startswith("cos = 1") and f"{c.norm:,.0f}" in question
    assert f"{c.cosine_by_value:.2f}" in options[1]
    assert answer not in hints and set(hints) == {1, 2, 3}
    at = open_page(PAGE)
    at.radio(key="check_04_gradients.py").set_value(answer).run()
    assert len(at.success) == 1 and "Right." in at.success[0].value
    at.radio(key="check_04_gradients.py").set_value(1).run()
    assert len(at.error) == 1 and "Not quite." in at.error[0].value


def test_preset_diverges_without_clipping_and_trains_with_it():
    preset = ExplodingPreset()
    raw, clipped = exploding_run(preset, None), exploding_run(preset, preset.clip)
    assert raw.diverged_step is not None and clipped.status == "done"
    assert np.allclose(clipped.grad_norm_clipped, np.minimum(clipped.grad_norm, preset.clip))


# --- section 5: the same computation as the table; the gated path ---------------------------------


def test_live_measure_is_the_offline_tables_computation(open_page):
    bench = load_bench("assets/memory_lag.json")
    point = next(
        p
        for p in bench["points"]
        if (p["recipe"], p["cell"], p["lag"], p["seed"]) == ("curriculum", "rnn_tanh", 100, 0)
    )
    live = measure("rnn_tanh", 100, LagRecipe(curriculum=True), 0, bench["steps_per_point"], 600)
    assert live.steps == bench["steps_per_point"] and live.acc == point["acc"]
    import importlib.util

    spec = importlib.util.spec_from_file_location("p4", "app_pages/04_gradients.py")
    source = spec.loader.get_source("p4")
    assert "MEASURE_SECONDS = 600.0" in source  # a safety cap far above any point's training time
    assert max(max(v.values()) for v in bench["seconds"]["direct"].values()) < 600 / 10


def test_gated_paths_start_tiny_and_the_page_says_so(open_page):
    assert sigmoid_power(1.0, 100) == pytest.approx(2.48e-14, rel=0.01)  # sigma(1)^100 ~ 2.5e-14
    lstm = gate_path(LagRun("lstm", 100).trainer.model, 100)
    gru = gate_path(LagRun("gru", 100).trainer.model, 100)
    assert lstm.steps == gru.steps == 101 and lstm.largest < 1e-6 and gru.largest < 1e-6
    assert 0.7 < lstm.gate_mean < 0.76 and 0.45 < gru.gate_mean < 0.55  # f ~ sigma(1), z ~ 0.5
    # the product of f_t by hand, from torch's fused LSTM states
    model = LagRun("lstm", 100).trainer.model
    from rnnviz.tasks import FirstWord

    probe = FirstWord(lag=100, n_countries=4).example(0, split="val")
    p = {k: v.detach().double() for k, v in model.layers[0].params(0).items()}
    xs = F.one_hot(probe.x[0], model.cfg.input_size).double()
    h, _ = model.features(probe.x)
    h = torch.cat([torch.zeros(1, 64), h[0].detach()]).double()  # h_0 .. h_T
    H = 64
    f = torch.sigmoid(
        xs @ p["weight_ih"][H : 2 * H].T
        + p["bias_ih"][H : 2 * H]
        + h[:-1] @ p["weight_hh"][H : 2 * H].T
        + p["bias_hh"][H : 2 * H]
    )  # f_t = sigma(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    assert lstm.per_unit == pytest.approx(torch.prod(f[1:], dim=0).numpy(), rel=1e-4)
    at = open_page(PAGE)
    said = texts(at)
    assert "neither starts with a path that does not shrink" in said
    assert f"$\\sigma(1)^{{101}} = {sigmoid_power(1.0, 101):.1e}$" in said
    assert "Course notes often write that a plain RNN" in said  # the promise is quoted, then tested
    for lag in (5, 200):  # every factor is below 1 at any lag the page offers
        assert gate_path(LagRun("lstm", lag).trainer.model, lag).largest < 1


def test_labels_irnn_as_starting_from_identity(open_page):
    at = open_page(PAGE)
    assert "which starts from $W_{hh} = I$" in texts(at)


# --- section 7: the course notes' shortcuts, against autograd ---------------------------------------


def test_ordered_product_is_the_autograd_jacobian_and_the_commuted_one_is_not(setup):
    model, x, y = setup
    for scale, apart in ((DEFAULT_SCALE, False), (1.0, True)):
        m = drawn_copy(model, 0.9, scale)
        o = ordered_vs_commuted(m, x, y, t=1)
        hs, _ = replay64(m, x, y)
        h1 = hs[1].detach()

        def to_last(h_1, m=m):
            return replay64(m, x, y, h_start=h_1, start=1)[0][-1]

        jac = torch.autograd.functional.jacobian(to_last, h1).numpy()  # dh_T/dh_1
        assert o.ordered == pytest.approx(jac, rel=1e-4, abs=1e-9)
        assert o.grad_ordered == pytest.approx(o.grad_measured, rel=1e-4)
        assert (o.relative_difference > 0.1) == apart and (o.relative_difference < 0.01) == (not apart)


def test_ordered_panel_text_at_defaults(open_page):
    at = open_page(PAGE)
    said = texts(at)
    assert "They nearly agree here" in said and "the units saturate and the two part" in said
    cfg = GradientsConfig()
    here = ordered_vs_commuted(drawn_copy(cfg.model(), 0.9, DEFAULT_SCALE), *cfg.probe())
    there = ordered_vs_commuted(drawn_copy(cfg.model(), 0.9, 1.0), *cfg.probe())
    assert f"differ by {here.relative_difference:.1%} of the true one" in said
    assert f"matrices {there.relative_difference:.0%} apart" in said and there.relative_difference > 0.1


def test_activation_derivative_maxima():
    sig, tanh = derivative_max("sigmoid"), derivative_max("tanh")
    assert sig.largest == pytest.approx(0.25, abs=1e-12) and abs(sig.at) < 1e-9
    assert tanh.largest == pytest.approx(1.0, abs=1e-12)
    z = torch.linspace(-6, 6, 101, dtype=torch.float64)
    assert float((torch.sigmoid(z) * (1 - torch.sigmoid(z))).max()) <= 0.25  # sigma' = sigma (1 - sigma)


def test_relu_d_is_one_wherever_a_unit_is_active():
    preset = ExplodingPreset()
    model = preset.model()
    x = preset.task().example(0).x[0]
    r = relu_d_norms(model, x)
    assert np.all(r.d_norm == 1.0) and np.all(r.active > 0)
    # the z_s the panel differentiates are the model's own: relu(z_s) = h_s of the fused forward
    h, _ = model.features(x[None])
    p = {k: v.detach().double() for k, v in model.layers[0].params(0).items()}
    xs = F.one_hot(x, model.cfg.input_size).double()
    hh = torch.cat([torch.zeros(1, 32, dtype=torch.float64), h[0].detach().double()])
    z = xs @ p["weight_ih"].T + p["bias_ih"] + hh[:-1] @ p["weight_hh"].T + p["bias_hh"]
    assert (z > 0).sum(dim=1).numpy().tolist() == r.active.tolist()
    assert torch.relu(z).numpy() == pytest.approx(h[0].detach().double().numpy(), rel=1e-4, abs=1e-5)
    assert math.isclose(float(r.d_norm.max()), 1.0)


def test_what_the_curriculum_changes_on_the_lstms_path():
    """Section 5: trained with the curriculum the LSTM learns a path that keeps the word (f_t ~ 1 on the
    distractors); trained directly at lag 100 its path shrinks further and it stays at chance."""
    start = gate_path(LagRun("lstm", 100).trainer.model, 100).largest
    grown = LagRun("lstm", 100, LagRecipe(curriculum=True), 0)
    point = grown.run(600, 600)
    assert point.acc > 0.9 and point.path > 0.1 > 1e6 * start
    direct = LagRun("lstm", 100, LagRecipe(curriculum=False), 0)
    point = direct.run(600, 600)
    assert point.acc < 0.35 and point.path < start


def test_activation_panels_show_the_autograd_numbers(open_page):
    said = texts(open_page(PAGE))
    assert "the largest $\\sigma'$ is 0.2500 (at $z = 0$) and the largest $\\tanh'$ is 1.0000" in said
    preset = ExplodingPreset()
    r = relu_d_norms(preset.model(), preset.task().example(0).x[0])
    n = len(r.d_norm)
    shown = f"$\\|D_s\\| = 1$ at {n} of {n} steps ({r.active.min()} to {r.active.max()} of 32 units active)"
    assert shown in said
    w = GradientsConfig().model()
    sf = step_factors(drawn_copy(w, 0.9, DEFAULT_SCALE), *GradientsConfig().probe())
    assert f"at most $\\|W_{{hh}}\\| / 4 = {sf.w_norm / 4:.3f}$, where tanh allows {sf.w_norm:.3f}" in said
