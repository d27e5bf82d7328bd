"""Lesson 4 backend: the scalar chain, the bound on a real RNN, spectral radius, recorder, clipping, lags."""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from bench import memory_lag as bench
from rnnviz.errors import InputError
from rnnviz.lessons.exploding import ExplodingPreset, exploding_run, first_gradient_norm
from rnnviz.lessons.gradients import (
    PATTERNS,
    GradientRecorder,
    GradientsConfig,
    ScalarConfig,
    decay_rate,
    gradient_profile,
    parse_inputs,
    scalar_chain,
    spectral_radius,
    with_spectral_radius,
)
from rnnviz.lessons.memory_lag import LagCurriculum, LagRecipe, LagRun, measure, table
from rnnviz.lessons.memory_report import accuracy_rows, load_bench, story, transfer_rows
from rnnviz.train import LogRow

torch.set_num_threads(1)  # tiny models: extra threads only contend on a busy 2-core machine

# --- scalar chain -------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("w_h", [-1.3, 0.6, 1.4])
def test_scalar_product_is_the_autograd_derivative(pattern, w_h):
    cfg = ScalarConfig(w_h=w_h, w_x=0.8, b=0.1, x=0.7, pattern=pattern, steps=25, seed=3, typed=(1, -0.5, 2))
    chain = scalar_chain(cfg)
    s0 = torch.zeros((), dtype=torch.float64, requires_grad=True)
    s, states = s0, []
    for x_t in cfg.inputs():
        s = torch.tanh(s * w_h + float(x_t) * cfg.w_x + cfg.b)
        states.append(s)
    for t in (0, 7, 24):
        (grad,) = torch.autograd.grad(states[t], s0, retain_graph=True)
        assert chain.product[t] == pytest.approx(float(grad), rel=1e-9, abs=1e-300)
    assert np.allclose(chain.s, [float(v.detach()) for v in states])
    assert np.all((chain.dsdz > 0) & (chain.dsdz <= 1))
    assert np.all(np.abs(chain.product) <= chain.bound * (1 + 1e-12))


def test_scalar_without_input_is_a_pure_power():
    grow = scalar_chain(ScalarConfig(w_h=1.5, x=0.0, steps=30))
    assert grow.product[-1] == pytest.approx(1.5**30)  # s stays 0: every factor is w_h
    saturated = scalar_chain(ScalarConfig(w_h=1.5, x=0.5, pattern="constant", steps=30))
    assert abs(saturated.product[-1]) < 1e-3  # with input the state saturates and the product vanishes


@pytest.mark.parametrize(
    "bad",
    [
        dict(w_h=float("nan")),
        dict(w_h=9.0),
        dict(pattern="sawtooth"),
        dict(steps=0),
        dict(steps=10_000),
        dict(pattern="typed"),
    ],
)
def test_scalar_config_rejects_bad_input(bad):
    with pytest.raises(InputError):
        ScalarConfig(**bad)


def test_typed_inputs_are_parsed_and_padded_with_zeros():
    assert parse_inputs("1, 0 -0.5;2") == (1.0, 0.0, -0.5, 2.0)
    cfg = ScalarConfig(x=2.0, pattern="typed", typed=parse_inputs("1, -1"), steps=4)
    assert cfg.inputs().tolist() == [2.0, -2.0, 0.0, 0.0]
    for bad, says in (("", "at least one"), ("1, two", "'two' is not a number"), ("7", "between -5 and 5")):
        with pytest.raises(InputError, match=says):
            parse_inputs(bad)


# --- the vector case ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def setup():
    cfg = GradientsConfig(lag=12, hidden_size=16, seed=1)
    x, y = cfg.probe()
    return cfg, cfg.model(), x, y


@pytest.mark.parametrize("rho", [0.5, 0.9, 1.2, 1.5])
def test_bound_is_above_the_measured_norm_at_every_step(setup, rho):
    _, model, x, y = setup
    prof = gradient_profile(with_spectral_radius(model, rho), x, y)
    tol = 1e-5 * prof.grad_norm.max()
    assert np.all(prof.grad_norm <= prof.step_bound + tol)
    assert np.all(prof.step_bound <= prof.bound * (1 + 1e-9))
    assert prof.bound[-1] == pytest.approx(prof.grad_norm[-1])  # at t = T the bound is the norm itself
    assert prof.radius == pytest.approx(rho, rel=1e-5)


def test_bound_holds_for_a_trained_model():
    cfg = GradientsConfig(lag=6, hidden_size=8, seed=2)
    trainer = cfg.trainer()
    trainer.run(40, 30)
    x, y = cfg.probe()
    prof = gradient_profile(trainer.model, x, y)
    assert np.all(prof.grad_norm <= prof.bound * (1 + 1e-5))


def test_gradient_follows_d_t_w_hh_backwards(setup):
    """dL/dh_{t-1} = W_hh^T D_t dL/dh_t, replayed by hand from the trace's h and W_hh."""
    _, model, x, y = setup
    prof = gradient_profile(model, x, y)
    w = model.layers[0].params(0)["weight_hh"].detach().double().numpy()
    from rnnviz.trace import trace

    g = trace(model, x, y, grad_of="final").layer(0).grad_h.astype(np.float64)
    for t in range(len(g) - 1, 0, -1):
        # dL/dh_{t-1} = (D_t W_hh)^T dL/dh_t,  D_t = diag(1 - h_t^2)
        back = w.T @ ((1 - prof.h[t].astype(np.float64) ** 2) * g[t])
        assert np.allclose(back, g[t - 1], rtol=1e-4, atol=1e-9)
    assert np.allclose(np.linalg.norm(g, axis=1), prof.grad_norm, rtol=1e-6)


def test_small_spectral_radius_makes_the_gradient_vanish_and_large_tilts_it(setup):
    _, model, x, y = setup
    rates = {}
    for rho in (0.5, 1.0, 1.5):
        prof = gradient_profile(with_spectral_radius(model, rho), x, y)
        rates[rho] = decay_rate(prof.grad_norm)
        if rho == 0.5:
            assert prof.grad_norm[0] < 1e-3 * prof.grad_norm[-1]
            assert np.all(np.diff(np.log(prof.grad_norm)) > 0)  # shrinks at every step back
    assert rates[0.5] < 0.6 < rates[1.5]
    assert rates[0.5] < rates[1.0] < rates[1.5]


def test_rescaling_copies_and_keeps_the_original(setup):
    _, model, _, _ = setup
    w_before = model.layers[0].params(0)["weight_hh"].detach().clone()
    scaled = with_spectral_radius(model, 1.3)
    assert spectral_radius(scaled.layers[0].params(0)["weight_hh"].detach()) == pytest.approx(1.3, rel=1e-6)
    assert torch.equal(model.layers[0].params(0)["weight_hh"], w_before)
    assert torch.equal(scaled.layers[0].params(0)["weight_ih"], model.layers[0].params(0)["weight_ih"])
    for bad in (0.0, -1.0, float("inf"), 10.0):
        with pytest.raises(InputError):
            with_spectral_radius(model, bad)


def test_profile_refuses_models_the_bound_is_not_drawn_for():
    cfg = GradientsConfig(lag=4, hidden_size=4)
    other = dataclasses.replace(cfg.model().cfg, cell="lstm")
    from rnnviz.model import SeqModel

    x, y = cfg.probe()
    with pytest.raises(InputError, match="tanh RNN"):
        gradient_profile(SeqModel(other), x, y)


def test_recorder_keeps_a_row_every_n_steps():
    cfg = GradientsConfig(lag=6, hidden_size=8)
    trainer = cfg.trainer()  # log_every = 5
    x, y = cfg.probe()
    rec = GradientRecorder(x, y, every=10)
    rec.record(trainer.model, trainer.step)
    trainer.run(30, 60, callback=rec)
    assert rec.steps == [0, 10, 20, 30]
    grid = rec.grid()
    assert grid.shape == (4, len(x)) and np.all(np.isfinite(grid))
    assert not np.allclose(grid[0], grid[-1])  # training changed the gradients


# --- exploding and clipping ------------------------------------------------------------------------


def test_preset_diverges_without_clipping_and_trains_with_it():
    preset = ExplodingPreset()
    raw = exploding_run(preset, None)
    assert raw.status == "diverged" and raw.diverged_step is not None
    assert "diverged at step" in raw.message and f"step {raw.diverged_step}" in raw.message
    assert not (math.isfinite(raw.loss[-1]) and math.isfinite(raw.grad_norm[-1]))
    assert raw.grad_norm[0] > 100 * preset.clip  # the gradient that wrecked the weights
    assert first_gradient_norm(preset) == pytest.approx(raw.grad_norm[0], rel=1e-4)

    clipped = exploding_run(preset, preset.clip)
    assert clipped.status == "done" and len(clipped.step) == preset.steps
    assert np.all(np.isfinite(clipped.loss))
    assert np.all(clipped.grad_norm_clipped <= preset.clip * (1 + 1e-6))
    assert clipped.grad_norm[0] == pytest.approx(raw.grad_norm[0])  # the same run up to the first step
    assert clipped.final_acc() > 0.6  # chance is 0.25
    assert np.mean(clipped.loss[-20:]) < 0.5 * np.mean(clipped.loss[:20])


# --- short vs long memory ------------------------------------------------------------------------


def test_curriculum_lengthens_the_lag_only_when_solved():
    cur = LagCurriculum(target=20, recipe=LagRecipe(), seed=0)
    assert cur.lag == 5
    row = lambda acc: LogRow(1, 0.1, 1.0, 1.0, 0.0, {"acc": acc})  # noqa: E731
    cur(None, row(0.99))
    assert cur.lag == 5  # once is not enough
    cur(None, row(0.99))
    assert cur.lag == 8  # ceil(5 * 1.5)
    cur(None, row(0.99))
    cur(None, row(0.5))
    cur(None, row(0.99))
    assert cur.lag == 8  # the streak was broken
    for _ in range(20):
        cur(None, row(1.0))
    assert cur.lag == 20  # never past the target
    lags = {cur.batch(4, torch.Generator().manual_seed(i)).x.shape[1] - 2 for i in range(40)}
    assert lags <= set(range(10, 21)) and len(lags) > 3  # batches mix lags in [L/2, L]
    direct = LagCurriculum(target=20, recipe=LagRecipe(curriculum=False), seed=0)
    assert direct.lag == 20 and direct.batch(2).x.shape[1] == 22


def test_measure_is_deterministic_and_scores_held_out_sentences():
    a = measure("gru", 5, LagRecipe(hidden_size=16), seed=3, max_steps=30, max_seconds=60)
    b = measure("gru", 5, LagRecipe(hidden_size=16), seed=3, max_steps=30, max_seconds=60)
    assert a == dataclasses.replace(b, seconds=a.seconds)
    assert a.steps == 30 and a.status == "done" and a.chance == 0.25
    for share in (a.acc, a.acc_half, a.acc_double, a.latched, a.saturated):
        assert 0 <= share <= 1
    assert a.radius is None and a.grad_ratio > 0  # gated cells have no square W_hh


def test_short_lag_is_learned_by_every_cell():
    for cell in ("rnn_tanh", "lstm", "gru"):
        point = LagRun(cell, 3, LagRecipe(hidden_size=16), seed=0).run(200, 60)
        assert point.acc > 0.9, point
        assert point.reached_lag == 3
        if cell == "rnn_tanh":
            assert point.radius > 0


def test_lag_run_rejects_bad_input():
    with pytest.raises(InputError):
        LagRun("transformer", 10)
    with pytest.raises(InputError):
        LagRun("lstm", 0)
    with pytest.raises(InputError):
        LagRecipe(grow=1.0)


def test_table_and_bench_roundtrip(tmp_path):
    out = tmp_path / "memory_lag.json"
    report = bench.run(lags=(2, 4), steps=5, seeds=(1, 2), out=out)
    loaded = load_bench(out)
    assert loaded["steps_per_point"] == 5 and loaded["lags"] == [2, 4] and loaded["seeds"] == [1, 2]
    for recipe in bench.RECIPES:
        for cell in ("rnn_tanh", "lstm", "gru"):
            assert set(loaded["accuracy"][recipe][cell]) == {2, 4}
            seeds = loaded["accuracy_by_seed"][recipe][cell][4]
            assert loaded["accuracy"][recipe][cell][4] == pytest.approx(sum(seeds) / 2, abs=1e-4)
            assert loaded["accuracy"][recipe][cell][4] == report["accuracy"][recipe][cell]["4"]
            assert loaded["seconds"][recipe][cell][2] > 0
    assert len(loaded["points"]) == 2 * 3 * 2 * 2  # recipes x cells x lags x seeds
    assert load_bench(tmp_path / "missing.json") is None
    (tmp_path / "broken.json").write_text(json.dumps({"accuracy": 3}))
    assert load_bench(tmp_path / "broken.json") is None
    points = [measure("rnn_tanh", 2, LagRecipe(hidden_size=4), 0, 3, 30)]
    assert table(points) == {"rnn_tanh": {2: points[0].acc}}


def test_shipped_bench_table_is_complete():
    report = load_bench(bench.ASSET)
    if report is None:
        pytest.skip("assets/memory_lag.json not generated yet: python -m bench memory_lag")
    assert report["lags"] == list(bench.LAGS) and report["steps_per_point"] == bench.STEPS
    assert report["seeds"] == list(bench.SEEDS)
    for recipe in bench.RECIPES:
        for cell in ("rnn_tanh", "lstm", "gru"):
            accs = report["accuracy"][recipe][cell]
            assert set(accs) == set(bench.LAGS) and all(0 <= a <= 1 for a in accs.values())


def _report(rnn_direct_half: float, rnn_curriculum_acc: float) -> dict:
    """A small offline table in the bench's format, with chosen numbers, to read back.

    Gated cells: 100% with the curriculum, chance directly; the RNN: ``rnn_curriculum_acc`` with the
    curriculum, 100% directly but ``rnn_direct_half`` at half and twice the lag."""
    lags, seeds, cells = [10, 40], [0, 1], ("rnn_tanh", "lstm", "gru")
    points = []
    for recipe in ("curriculum", "direct"):
        for cell in cells:
            if cell == "rnn_tanh":
                acc = rnn_curriculum_acc if recipe == "curriculum" else 1.0
                other = acc if recipe == "curriculum" else rnn_direct_half
            else:
                acc = other = 1.0 if recipe == "curriculum" else 0.25
            for lag in lags:
                for seed in seeds:
                    point = dict(recipe=recipe, seed=seed, cell=cell, lag=lag, acc=acc, acc_half=other)
                    stalled = cell == "rnn_tanh" and recipe == "curriculum" and acc < 0.9
                    point.update(
                        acc_double=other, latched=0.7, saturated=0.5, reached_lag=7 if stalled else lag
                    )
                    point.update(
                        grad_ratio=1e-3 if lag == 10 else 0.0, radius=3.0 if cell == "rnn_tanh" else None
                    )
                    points.append(point)

    def mean(recipe, cell, lag, field):
        values = [p[field] for p in points if (p["recipe"], p["cell"], p["lag"]) == (recipe, cell, lag)]
        return sum(values) / len(values)

    report = {"lags": lags, "seeds": seeds, "steps_per_point": 600, "points": points}
    for key, field in (("accuracy", "acc"), ("accuracy_half", "acc_half"), ("accuracy_double", "acc_double")):
        report[key] = {
            r: {c: {L: mean(r, c, L, field) for L in lags} for c in cells} for r in ("curriculum", "direct")
        }
    report["accuracy_by_seed"] = {
        r: {c: {L: [mean(r, c, L, "acc")] * 2 for L in lags} for c in cells} for r in ("curriculum", "direct")
    }
    return report


def test_story_reports_the_tables_own_numbers():
    text = story(_report(rnn_direct_half=0.1, rnn_curriculum_acc=1.0))
    assert "**At lag 40**" in text and "trained directly: RNN 100%, LSTM 25%, GRU 25%" in text
    assert "does not fall to chance" in text
    assert "2 of 2 RNN seeds" in text  # the curriculum RNN learned and kept it at other gaps
    assert "score 100% at lag 40, but the same models score 10% at lag 20" in text
    slides = story(_report(rnn_direct_half=0.1, rnn_curriculum_acc=0.25))
    assert "does not fall to chance" in slides  # the direct RNN still scores 100% at its own lag
    assert "in 2 of 2 seeds the curriculum stalled at lag 7 and 7, and it ends at 25% and 25%" in slides
    rows = accuracy_rows(_report(0.1, 1.0), "direct")
    assert rows[0] == {"cell": "RNN", "lag 10": "100% (100%, 100%)", "lag 40": "100% (100%, 100%)"}
    assert transfer_rows(_report(0.1, 1.0), "direct")[0]["lag 40"] == "10% / 10%"


def test_charts_draw_the_numbers_they_are_given():
    from rnnviz.charts import gradients as charts

    heat = charts.training_heatmap([0, 10], np.array([[1.0, 10.0, 100.0], [0.1, 1.0, 10.0]]))
    assert np.allclose(heat.data[0].z, [[0, 1, 2], [-1, 0, 1]])  # log10 ||dL/dh_t||
    assert list(heat.data[0].y) == [0, 10]
    lag = charts.accuracy_vs_lag(
        {"gru": {5: 1.0}}, {"lstm": {5: 0.9, 10: 0.5}}, spread={"lstm": {5: [0.8, 1.0], 10: [0.25, 0.75]}}
    )
    offline = next(t for t in lag.data if t.name.startswith("LSTM"))
    assert list(offline.error_y.array) == pytest.approx([0.1, 0.25])  # max - mean
    assert list(offline.error_y.arrayminus) == pytest.approx([0.1, 0.25])  # mean - min
    product = charts.scalar_product(np.array([-0.5, 0.0, 0.25]), np.array([0.5, 0.25, 0.125]), -0.5)
    drawn = next(t for t in product.data if t.name == "|ds_t/ds_0|")
    assert np.isnan(drawn.y[1]) and drawn.y[0] == 0.5 and list(drawn.customdata) == [-0.5, 0.0, 0.25]


def test_lesson_4_tables_hold_the_results_they_come_from():
    from rnnviz.lessons.exploding import runs_frame
    from rnnviz.lessons.memory_lag import points_frame
    from rnnviz.lessons.step_factors import step_factors

    chain = scalar_chain(ScalarConfig(w_h=1.2, x=0.5, steps=6)).frame()
    assert chain["t"].tolist() == [1, 2, 3, 4, 5, 6]  # steps count from 1
    assert np.allclose(chain["ds_t/ds_0"], np.cumprod(chain["ds_t/ds_{t-1}"]))  # the product, step by step
    setup = GradientsConfig(lag=4, hidden_size=8)
    trainer = setup.trainer()
    x, y = setup.probe()
    tokens = setup.task().decode(x).split()
    profile = step_factors(trainer.model, x, y).frame(tokens)
    assert profile["x_t (word)"].tolist() == tokens
    assert (profile["||dL/dh_t||"] <= profile["product of ||D_s W_hh||"] * (1 + 1e-6)).all()
    rec = GradientRecorder(x, y, every=1)
    rec.record(trainer.model, 0)
    rec.record(trainer.model, 5)
    heat = rec.frame(tokens)
    assert len(heat) == 2 * len(tokens) and np.allclose(heat["||dL/dh_t||"], rec.grid().ravel())
    preset = ExplodingPreset(steps=5)
    raw, clipped = exploding_run(preset, None), exploding_run(preset, preset.clip)
    runs = runs_frame(raw, clipped)
    assert len(runs) == len(raw.step) + len(clipped.step)
    assert (
        runs[runs.run == f"clipped at {preset.clip:g}"]["||g|| after clipping"] <= preset.clip + 1e-6
    ).all()
    point = {"cell": "lstm", "lag": 5, "acc": 1.0, "acc_half": 1.0, "acc_double": 0.5, "steps": 10,
             "seconds": 1.0, "reached_lag": 5, "latched": 0.2, "grad_ratio": None, "radius": None,
             "path": 0.9, "status": "done", "seed": 0}  # fmt: skip
    shown = points_frame([{**point, "lag": 20}, point, {**point, "cell": "rnn_tanh", "radius": 0.8}])
    assert shown[["cell", "lag"]].values.tolist() == [["RNN", 5], ["LSTM", 5], ["LSTM", 20]]
    assert np.isnan(shown["ρ(W_hh), RNN"].iloc[1]) and shown["ρ(W_hh), RNN"].iloc[0] == 0.8


def test_a_measured_setting_is_kept_once_and_drawn_by_lag():
    from rnnviz.lessons.memory_lag import curves, keep_point

    points: list[dict] = []
    base = {"cell": "lstm", "lag": 50, "recipe": "curriculum", "budget": 300, "seed": 0, "acc": 0.5}
    keep_point(points, base)
    keep_point(points, {**base, "lag": 10, "acc": 0.9})
    keep_point(points, {**base, "budget": 600, "acc": 0.7})  # another budget: another measurement
    keep_point(points, {**base, "acc": 0.6})  # the same setting again: replaces the first
    kept = [(p["lag"], p["budget"], p["acc"]) for p in points]
    assert kept == [(10, 300, 0.9), (50, 600, 0.7), (50, 300, 0.6)]
    assert curves(points) == {"lstm": {10: 0.9, 50: 0.6}}  # the last point per (cell, lag), by lag
    assert list(curves(points)["lstm"]) == [10, 50]
