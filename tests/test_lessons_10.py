"""Lesson 10's equations against the models' own numbers (float64), and its computed sentences
against the numbers they are computed from."""

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch

from rnnviz.lessons import modern_lesson, modern_memory, modern_timing
from rnnviz.lessons.modern_lesson import LoopVsScan, ModernLesson
from rnnviz.lessons.modern_memory import MemoryRead
from rnnviz.scan import rounds
from rnnviz.trace import trace


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _softplus(v):
    return np.log1p(np.exp(v))


def _weights(model):
    sd = model.state_dict()
    W = sd["layers.0.rnn.weight_ih_l0"].double().numpy()
    b = sd["layers.0.rnn.bias_ih_l0"].double().numpy()
    assert "layers.0.rnn.weight_hh_l0" not in sd and "layers.0.rnn.bias_hh_l0" not in sd  # x_t only
    return W, b


def _by_the_table(model, x):
    """h_t as the page's tables write it, from the model's weights, one-hot x_t, h_0 = 0 (float64)."""
    W, bias = _weights(model)
    H, cell = model.cfg.hidden_size, model.cfg.cell
    xs = np.eye(model.cfg.input_size)[x.numpy()]
    h, hs, ab = np.zeros(H), [], []
    for x_t in xs:
        pre = W @ x_t + bias
        if cell == "min_gru":  # rows z, n
            z = _sigmoid(pre[:H])  # z_t = sigma(W_iz x_t + b_iz)
            n = pre[H:]  # n_t = W_in x_t + b_in (no tanh)
            a_t, b_t = z, (1 - z) * n
            h_new = (1 - z) * n + z * h  # h_t = (1 - z_t) n_t + z_t h_{t-1}
        elif cell == "min_lstm":  # rows f, i, g
            f, i = _sigmoid(pre[:H]), _sigmoid(pre[H : 2 * H])
            g = pre[2 * H :]  # g_t = W_ig x_t + b_ig (no tanh)
            f1, i1 = f / (f + i), i / (f + i)  # f'_t, i'_t
            a_t, b_t = f1, i1 * g
            h_new = f1 * h + i1 * g  # h_t = f'_t h_{t-1} + i'_t g_t
        else:  # selective: rows a, b
            a_t = np.exp(-_softplus(pre[:H]))  # a_t = exp(-softplus(W_ia x_t + b_ia))
            b_t = pre[H:]  # b_t = W_ib x_t + b_ib
            h_new = a_t * h + b_t
        np.testing.assert_allclose(h_new, a_t * h + b_t, rtol=1e-12, atol=1e-14)  # h_t = a_t h_{t-1} + b_t
        h = h_new
        hs.append(h)
        ab.append((a_t, b_t))
    return np.array(hs), np.array([p[0] for p in ab]), np.array([p[1] for p in ab])


@pytest.fixture(scope="module")
def trained():
    """One minGRU, minLSTM and selective model, each trained 60 steps (weights away from the init)."""
    out = {}
    for cell in ("min_gru", "min_lstm", "selective"):
        tr = ModernLesson(cell=cell, lag=6, hidden_size=6).trainer()
        tr.run(60, 600)
        out[cell] = tr
    return out


@pytest.mark.parametrize("cell", ["min_gru", "min_lstm", "selective"])
def test_the_tables_equations_are_the_model(trained, cell):
    tr = trained[cell]
    x = tr.task.batch(1, torch.Generator().manual_seed(3)).x[0]
    shown, a, b = _by_the_table(tr.model, x)
    twin = copy.deepcopy(tr.model).double()
    with torch.no_grad():
        h = twin.features(x[None])[0][0].numpy()
    np.testing.assert_allclose(shown, h, rtol=1e-10, atol=1e-12)
    both = modern_lesson.loop_vs_scan(tr.model, tr.task, x)
    np.testing.assert_allclose(both.a, a, rtol=1e-10, atol=1e-12)  # the table's a_t, b_t columns
    np.testing.assert_allclose(both.b, b, rtol=1e-10, atol=1e-12)
    for route in (both.loop, both.doubling, both.log):
        np.testing.assert_allclose(route, shown, rtol=1e-10, atol=1e-12)
    assert max(both.max_diff().values()) < 1e-10
    if cell == "min_lstm":
        np.testing.assert_allclose(both.a + (1 - both.a), 1)  # f' + i' = 1: b_t = i' g with i' = 1 - a


@pytest.mark.parametrize("cell", ["min_gru", "min_lstm"])
def test_the_unrolled_sum_and_its_log_form_equal_the_loop(trained, cell):
    """h_t = sum_k (prod_{s=k+1}^t a_s) b_k = e^{a*_t} sum_k e^{log b_k - a*_k}, a*_t = sum_{s<=t} log a_s."""
    tr = trained[cell]
    x = tr.task.batch(1, torch.Generator().manual_seed(5)).x[0]
    both = modern_lesson.loop_vs_scan(tr.model, tr.task, x)
    a, b = both.a, both.b
    T = len(a)
    unrolled = np.array(
        [sum(np.prod(a[k + 1 : t + 1], axis=0) * b[k] for k in range(t + 1)) for t in range(T)]
    )
    a_star = np.cumsum(np.log(a), axis=0)
    log_form = np.exp(a_star) * np.cumsum(np.exp(-a_star) * b, axis=0)  # the sign of b kept in b itself
    np.testing.assert_allclose(unrolled, both.loop, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(log_form, both.loop, rtol=1e-9, atol=1e-12)


def test_the_selective_gradient_is_the_product_of_a_t(trained):
    """dL/dh_1 = (prod_{t=2}^T a_t) dL/dh_T: many-to-one, only h_T reads the loss, no matrix in between."""
    tr = trained["selective"]
    x = tr.task.batch(1, torch.Generator().manual_seed(4)).x[0]
    y = int(x[0])
    lt = trace(copy.deepcopy(tr.model).double(), x, y, jacobians=False).layer(0)
    np.testing.assert_allclose(lt.grad_h[0], np.prod(lt.gates["a"][1:], axis=0) * lt.grad_h[-1], rtol=1e-9)
    mem = modern_memory.memory_read(
        tr.model, ModernLesson(cell="rnn_tanh", lag=6, hidden_size=6).model(), tr.task, x, y
    )
    np.testing.assert_allclose(mem.grad, lt.grad_h_norm, rtol=1e-5)
    assert mem.a.shape == (len(x), 6) and (mem.a > 0).all() and (mem.a <= 1).all()


def test_equality_sentence_follows_the_numbers():
    T, H = 4, 2
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 1, (T, H)), rng.normal(size=(T, H))
    loop = np.zeros((T, H))
    h = np.zeros(H)
    for t in range(T):
        h = a[t] * h + b[t]
        loop[t] = h
    same = LoopVsScan(list("abcd"), a, b, loop, loop.copy(), loop + 1e-13)
    assert "same numbers up to float64 rounding" in modern_lesson.equality_sentence(same)
    assert "1.0e-13" in modern_lesson.equality_sentence(same)
    off = LoopVsScan(list("abcd"), a, b, loop, loop.copy(), loop + 1e-3)
    assert "differ by more than rounding" in modern_lesson.equality_sentence(off)
    assert f"{rounds(4, 'doubling')} rounds" in modern_lesson.equality_sentence(off)
    assert list(same.frame(1)["h_t (loop)"]) == list(loop[:, 1])


def test_timing_measures_every_method_and_counts_its_rounds():
    timing = modern_timing.measure(Ts=(4, 32), H=3, repeats=1)
    assert set(timing.ms) == {"loop", "doubling", "log"}
    assert all(len(v) == 2 and all(ms > 0 for ms in v) for v in timing.ms.values())
    for m in timing.ms:
        assert timing.rounds[m] == (rounds(4, m), rounds(32, m))
    assert timing.rounds["loop"] == (4, 32) and timing.rounds["doubling"] == (2, 5)
    assert timing.threads == torch.get_num_threads()  # what the caption names
    assert replace(timing, threads=1).threads_text() == "one torch thread"
    assert replace(timing, threads=2).threads_text() == "2 torch threads"


def test_timing_sentences_read_the_measurement():
    rounds_ = {"loop": (16, 4096), "doubling": (4, 12), "log": (rounds(16, "log"), rounds(4096, "log"))}
    fast = modern_timing.ScanTiming(
        (16, 4096), 16, 1, 3, {"loop": (0.2, 51.2), "doubling": (0.1, 2.0), "log": (0.05, 0.5)}, rounds_
    )
    text = " ".join(modern_timing.timing_sentences(fast))
    assert "grew 256x" in text and "about in proportion to T" in text
    assert "12.5 µs a step at T = 16, 12.5 µs at T = 4096" in text  # 0.2 ms / 16, 51.2 ms / 4096
    assert "fastest was the **log-space scan**" in text and "102x as long" in text
    assert "makes the log-space scan the fastest" in text
    assert "needs 4096: its cumsum and logcumsumexp" in text  # rnnviz.scan.rounds(4096, "log")
    assert "it does 11x the loop's multiply-adds" in text  # (12 * 4096 - 4095) / 4096 = 11.0
    assert modern_timing.doubling_work(4) == (3 + 2) / 4  # rounds d = 1, 2 update T - d steps each
    slow = modern_timing.ScanTiming(
        (16, 4096), 16, 1, 3, {"loop": (10.0, 12.0), "doubling": (0.1, 20.0), "log": (0.05, 30.0)}, rounds_
    )
    text = " ".join(modern_timing.timing_sentences(slow))
    assert "less than in proportion to T" in text and "the loop beat both scans" in text
    assert "On this run the loop was the fastest of the three" in text
    steep = replace(fast, ms={**fast.ms, "loop": (0.1, 102.4)})  # 1024x for 256x the steps: share 4
    assert "more than in proportion to T" in " ".join(modern_timing.timing_sentences(steep))


def _memory(a, ids, tokens):
    T, H = a.shape
    g = np.linspace(1, 2, T)
    return MemoryRead(
        tokens, 2, ids, a, np.zeros((T, H)), np.zeros((T, H)), g, np.zeros((T, H)), g[::-1], "x", "y"
    )


def test_gate_sentences_and_question_are_computed_from_a_t():
    a = np.array([[0.5, 0.5, 0.5], [0.99, 0.5, 0.95], [0.98, 0.6, 0.93], [0.2, 0.1, 0.3]])
    mem = _memory(a, (0, 5, 6, 7), ["France", "the", "sea", "fluent"])
    assert list(mem.fillers()) == [1, 2]
    np.testing.assert_allclose(mem.filler_memory(), 1 / (1 - a[1:3].mean(axis=0)))
    text = " ".join(modern_memory.gate_sentences(mem))
    assert "2 of 3 units keep a_t > 0.9 on every filler" in text
    assert "'fluent'** (t = 4)" in text and "the last word" in text
    assert "Unit 0 keeps its memory longest" in text
    q = modern_memory.longest_memory_question(mem)
    assert q.options[q.answer] == "unit 0" and q.answer not in q.hints
    a2 = a.copy()
    a2[1:3, 2] = 0.999  # now unit 2 keeps longest
    q2 = modern_memory.longest_memory_question(_memory(a2, (0, 5, 6, 7), ["France", "the", "sea", "fluent"]))
    assert q2.options[q2.answer] == "unit 2"
    # the Elman RNN's gradient reaches t = 1 with ratio 2 (g reversed), the selective one with 1/2
    assert "more of the gradient reaches the first word in the Elman RNN" in modern_memory.gradient_sentence(
        mem
    )
    dropped = a.copy()
    dropped[2] = (0.2, 0.1, 0.3)  # t = 3 is a country now: a_t averages 0.2 there
    second = _memory(dropped, (0, 5, 1, 7), ["France", "the", "Spain", "fluent"])
    said = " ".join(modern_memory.gate_sentences(second))
    assert "On the 1 filler word a_t averages **0.813**" in said
    assert "At 'Spain' (t = 3), a second country, a_t averages 0.200 against 0.813" in said
    assert "forgets more there" in said
    kept = a.copy()
    kept[2] = 0.97
    said = " ".join(
        modern_memory.gate_sentences(_memory(kept, (0, 5, 1, 7), ["France", "the", "Spain", "fluent"]))
    )
    assert "keeps about as much there" in said
    assert "second country" not in " ".join(modern_memory.gate_sentences(mem))
    no_fillers = _memory(a[[0, 3]], (0, 7), ["France", "fluent"])
    assert modern_memory.longest_memory_question(no_fillers) is None
    assert not any("filler" in line for line in modern_memory.gate_sentences(no_fillers))


def test_memory_length_is_one_over_one_minus_a():
    np.testing.assert_allclose(modern_memory.memory_length([0.0, 0.5, 0.9, 0.99]), [1, 2, 10, 100])
    assert modern_memory.memory_length([1.0])[0] == modern_memory.MAX_MEMORY


def test_timing_chart_keeps_coinciding_round_lines_visible():
    """The loop's and the log-space scan's rounds are both T: the line drawn first is wider, and named."""
    from rnnviz.charts import modern as charts

    Ts = (16, 256)
    ms = {"loop": (1.0, 9.0), "doubling": (0.5, 1.0), "log": (0.4, 2.0)}
    counted = {"loop": (16, 256), "doubling": (4, 8), "log": (16, 256)}  # as rnnviz.scan.rounds counts
    fig = charts.scan_timing(Ts, ms, counted)
    drawn = {d.name: d for d in fig.data if d.xaxis == "x2"}
    notes = [a.text for a in fig.layout.annotations]
    assert drawn["loop"].marker.size > drawn["log-space scan"].marker.size
    assert drawn["loop"].line.width > (drawn["log-space scan"].line.width or 2)
    assert "loop and log-space scan: the same rounds (one line)" in notes
    assert drawn["doubling scan"].marker.size == 9  # no twin: drawn as in the left panel
    assert not any("doubling scan and" in n or "and doubling scan" in n for n in notes)
    assert list(fig.layout.yaxis2.ticktext) == ["1", "10", "100", "1000"]  # rounds 4 .. 256


# --- the reset task: the latest country counts ------------------------------------------------------


def test_latest_country_labels_the_last_country_named_among_the_fillers():
    from rnnviz.lessons.modern_reset import SECOND_SHARE, LatestCountry, latest_country

    task = LatestCountry(lag=8, n_countries=4, seed=0)
    b = task.batch(2000, torch.Generator().manual_seed(1))
    K = task.n_countries
    countries = b.x < K
    assert countries[:, 0].all() and not countries[:, -1].any()  # a country first, 'fluent' last
    per_row = countries.sum(1)
    assert set(per_row.tolist()) == {1, 2}  # at most one second country, among positions 1..lag
    assert abs(float((per_row == 2).float().mean()) - SECOND_SHARE) < 0.05
    for row in range(200):
        assert int(b.y[row]) == latest_country(task, b.x[row].tolist())
    again = task.batch(2000, torch.Generator().manual_seed(1))
    assert torch.equal(again.x, b.x) and torch.equal(again.y, b.y)  # seeded
    assert latest_country(task, task.encode("the sea fluent").tolist()) is None


def test_pair_target_follows_the_task():
    from rnnviz.lessons.modern_reset import LatestCountry

    first, latest = ModernLesson(lag=4).task(), ModernLesson(lag=4, task_name="latest_country").task()
    assert isinstance(latest, LatestCountry) and not isinstance(first, LatestCountry)
    x = first.encode("Spain the Italy sea fluent")
    assert modern_memory.pair_target(first, x) == 1  # Spain: the first word
    assert modern_memory.pair_target(latest, x) == 2  # Italy: the latest country
    assert modern_memory.pair_target(first, first.encode("the sea fluent")) is None
    with pytest.raises(Exception, match="the task must be one of"):
        ModernLesson(task_name="copy")


def test_gate_sentences_on_the_reset_task_say_whether_a_t_resets():
    a = np.array([[0.5, 0.5, 0.5], [0.99, 0.95, 0.95], [0.2, 0.3, 0.9], [0.98, 0.96, 0.93], [0.2, 0.1, 0.3]])
    tokens = ["France", "the", "Spain", "sea", "fluent"]
    reset = replace(_memory(a, (0, 5, 1, 6, 7), tokens), latest=True)
    said = " ".join(modern_memory.gate_sentences(reset))
    assert "At 'Spain' (t = 3), a second country, a_t averages 0.467" in said
    assert "(2 of 3 units below 0.5 there)" in said
    assert "That is the reset" in said and "no word calls for a reset" not in said
    kept = a.copy()
    kept[2] = 0.97
    said = " ".join(
        modern_memory.gate_sentences(replace(_memory(kept, (0, 5, 1, 6, 7), tokens), latest=True))
    )
    assert "it has not learned a reset through a_t" in said and "That is the reset" not in said
    one = replace(_memory(a, (0, 5, 6, 6, 7), ["France", "the", "sea", "sea", "fluent"]), latest=True)
    assert "Your sentence names no second country" in " ".join(modern_memory.gate_sentences(one))
    assert "Your sentence names no second country" not in " ".join(
        modern_memory.gate_sentences(replace(one, latest=False))
    )


# --- linear attention (the page's last section) ----------------------------------------------------


def _attention(seed=0, ids=(0, 5, 6, 7, 4, 9)):
    from rnnviz.lessons import modern_attention

    x = torch.tensor(ids)
    q, k, v = modern_attention.projections(x, 12, seed=seed)
    return modern_attention.attention_read(q, k, v, [f"w{i}" for i in ids]), (q, k, v)


def _elu1(v):
    return np.where(v > 0, v + 1, np.exp(v))  # phi(x) = elu(x) + 1


def test_linear_attention_forms_are_the_equations():
    """Both forms on screen, transcribed here in float64: out_t over s <= t, and S_t, z_t, out_t."""
    read, (q, k, v) = _attention()
    q, k, v = (t.numpy() for t in (q, k, v))
    fq, fk = _elu1(q), _elu1(k)
    T = len(q)
    direct = np.array(
        [
            sum((fq[t] @ fk[s]) * v[s] for s in range(t + 1)) / sum(fq[t] @ fk[s] for s in range(t + 1))
            for t in range(T)
        ]
    )
    np.testing.assert_allclose(read.parallel, direct, rtol=1e-12, atol=1e-14)
    S, z = np.zeros((q.shape[1], v.shape[1])), np.zeros(q.shape[1])
    for t in range(T):
        S = S + np.outer(fk[t], v[t])  # S_t = S_{t-1} + phi(k_t) v_t^T
        z = z + fk[t]  # z_t = z_{t-1} + phi(k_t)
        np.testing.assert_allclose(read.S[t], S, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(read.z[t], z, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(read.recurrent[t], S.T @ fq[t] / (z @ fq[t]), rtol=1e-12)  # out_t
    assert read.max_diff() < 1e-12
    np.testing.assert_allclose(read.norms(), np.linalg.norm(read.S, axis=(1, 2)))


def test_projections_give_each_word_its_own_fixed_query_key_value():
    from rnnviz.lessons import modern_attention

    x = torch.tensor([3, 1, 3])
    q, k, v = modern_attention.projections(x, 5, d_k=2, d_v=3, seed=4)
    assert q.dtype == torch.float64 and q.shape == (3, 2) and v.shape == (3, 3)
    torch.testing.assert_close(q[0], q[2])  # the same word, the same query
    assert not torch.equal(k[0], k[1])
    again = modern_attention.projections(x, 5, d_k=2, d_v=3, seed=4)
    assert all(torch.equal(a, b) for a, b in zip((q, k, v), again, strict=True))


def test_state_sentences_follow_the_numbers():
    from rnnviz.lessons import modern_attention

    read, _ = _attention()
    t = read.T
    text = " ".join(modern_attention.state_sentences(read, t))
    dk, dv = read.S.shape[1:]
    assert f"still {dk} x {dv} = {dk * dv} numbers" in text
    assert f"||S_t|| = {read.norms()[t - 1]:.3f}" in text
    grew = bool(np.all(np.diff(read.norms()) >= -1e-12))
    assert ("grown at every step so far" in text) == grew
    assert ("shrunk at some steps" in text) == (not grew)
    assert "the same numbers up to float64 rounding" in text
    off = replace(read, parallel=read.parallel + 1e-3)
    assert "not the same computation" in " ".join(modern_attention.state_sentences(off, t))
    one = " ".join(modern_attention.state_sentences(read, 1))
    assert "the sum of 1 outer product φ(k_s) v_s^T" in one and "grown" not in one


# --- the race, read from its report ----------------------------------------------------------------


def fake_race(cells=("rnn_tanh", "lstm", "min_gru"), lags=(10, 50)) -> dict:
    """A report shaped as rnnviz.race.run_race writes it, with numbers chosen here."""

    def curve(cell, k, metric, chance=None):
        out = {
            "cell": cell, "task": "t", "metric_name": "m", "steps": [0, 50, 100],
            "seconds": [0.0, 0.5 * (k + 1), 1.0 * (k + 1)], "metric": metric, "params": 100 * (k + 1),
        }  # fmt: skip
        if chance is not None:
            out["chance"] = chance
        return out

    return {
        "recipe": {"hidden_size": 8, "lr": 0.01, "batch_size": 32, "steps": 100},
        "seed": 0,
        "cells": {c: c.upper() for c in cells},
        "lags": list(lags),
        "memory": {
            str(lag): {c: curve(c, k, [0.25, 0.5, 0.3 + 0.2 * k], 0.25) for k, c in enumerate(cells)}
            for lag in lags
        },
        "markup": {c: curve(c, k, [5.0, 3.0, 2.0 - 0.1 * k]) for k, c in enumerate(cells)},
    }


def test_race_report_is_checked_and_loaded(tmp_path):
    import json

    from rnnviz.lessons import race_report

    report = fake_race()
    path = tmp_path / "race.json"
    path.write_text(json.dumps(report))
    assert race_report.load(path) == report
    assert race_report.load(tmp_path / "missing.json") is None
    broken = fake_race()
    del broken["memory"]["10"]["lstm"]["seconds"]
    path.write_text(json.dumps(broken))
    assert race_report.load(path) is None
    path.write_text("[1, 2]")
    assert race_report.load(path) is None
    frame = race_report.params_frame(report)
    assert frame["parameters"].tolist() == [100, 200, 300] and frame["cell"].tolist() == [
        "RNN_TANH",
        "LSTM",
        "MIN_GRU",
    ]


def test_race_seconds_sentence_reads_the_report():
    from rnnviz.lessons import race_report

    report = fake_race()
    text = race_report.seconds_sentence(report)
    # seconds per step at step 100: 1, 2, 3 s per 100 steps -> 10, 20, 30 ms
    assert "the fastest was the RNN_TANH (10.0 ms)" in text and "the slowest the MIN_GRU (30.0 ms)" in text
    report["machine"] = {"threads": 1}
    assert "(one torch thread)" in race_report.seconds_sentence(report)
    report["machine"] = {"threads": 2}
    assert "(2 torch threads)" in race_report.seconds_sentence(report)


def test_race_charts_draw_every_curve_with_its_params():
    from rnnviz.charts import modern as charts

    report = fake_race()
    for x in ("steps", "seconds"):
        fig = charts.race_memory(report, x)
        lines = [d for d in fig.data if d.type == "scatter"]
        assert len(lines) == 3 * 2  # every cell at every lag
        for d in lines:
            lag = {"x": "10", "x2": "50"}[d.xaxis]
            curve = report["memory"][lag][d.legendgroup]
            assert list(d.x) == curve[x] and list(d.y) == curve["metric"]
            assert f"({curve['params']:,} params)" in d.name
        assert sum(d.showlegend is not False for d in lines) == 3  # one legend entry per cell
        assert list(fig.layout.yaxis.range) == [0, 1.02]  # one y range for every lag (shared axes)
        markup = charts.race_markup(report, x)
        assert [list(d.y) for d in markup.data] == [report["markup"][c]["metric"] for c in report["cells"]]
    assert len({charts.RACE_STYLE[c] for c in charts.RACE_STYLE}) == len(charts.RACE_STYLE)  # distinct


def test_a_word_is_named_only_where_its_a_t_stands_out():
    flat = np.array([[0.5, 0.5], [0.90, 0.92], [0.89, 0.91], [0.91, 0.90]])
    text = " ".join(
        modern_memory.gate_sentences(_memory(flat, (0, 5, 6, 7), ["France", "the", "sea", "fluent"]))
    )
    assert (
        "No word stands out in a_t: from t = 2 on, its average over the units stays between 0.900 and 0.910"
        in text
    )
    assert "least is kept" not in text
    dip = flat.copy()
    dip[2] = 0.80  # 'sea' 0.80 against 0.9075 at t = 2, 4: 0.1075 below
    text = " ".join(
        modern_memory.gate_sentences(_memory(dip, (0, 5, 6, 7), ["France", "the", "sea", "fluent"]))
    )
    assert "**'sea'** (t = 3): a_t averages 0.800 there against 0.907 at the other steps from t = 2." in text


def test_reset_question_runs_the_changed_sentence():
    from rnnviz.lessons import modern_check

    cfg = ModernLesson(cell="selective", lag=6, hidden_size=4, task_name="latest_country")
    tr = cfg.trainer()
    tr.run(100, 600)
    task = tr.task
    x = task.encode("Italy the sea school friends moved played fluent")
    found = modern_check.probe(tr.model, task, x)
    fillers = list(range(1, 7))
    assert found.position == fillers[len(fillers) // 2] == 4 and found.was == "friends"
    assert found.country == "France"  # the first country that is not the first word (Italy)
    changed = x.clone()
    changed[4] = task.vocab.index("France")
    a = trace(tr.model, changed, None, jacobians=False).layer(0).gates["a"].astype(np.float64)
    assert found.at_country == pytest.approx(a[4].mean(), abs=1e-12)
    assert found.on_fillers == pytest.approx(a[[1, 2, 3, 5, 6]].mean(), abs=1e-12)
    q = modern_check.reset_question(tr.model, task, x)
    assert q.options == list(modern_check.OPTIONS) and q.answer == found.answer and q.answer not in q.hints
    assert f"a_t averages {found.at_country:.3f} there against {found.on_fillers:.3f}" in q.why
    assert modern_check.probe(tr.model, task, task.encode("Italy the fluent")) is None  # one filler


@pytest.mark.parametrize("at_country,answer", [(0.60, 0), (0.86, 1), (0.94, 1), (0.99, 2)])
def test_reset_answer_follows_the_gap(at_country, answer):
    from rnnviz.lessons.modern_check import ResetProbe

    assert ResetProbe(3, "sea", "Spain", at_country, 0.90).answer == answer
