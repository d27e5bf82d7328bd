"""Lesson 10's prose against its numbers: every sentence the page states about its live models and
its measurement, at the defaults, with the minLSTM, and after training."""

import json

import numpy as np
import pytest
import torch

from rnnviz.lessons import gating, modern_attention, modern_check, modern_lesson, modern_memory, modern_timing
from rnnviz.lessons.modern_lesson import ModernLesson

PAGE = "10_rnns_today.py"


def _trainer(at, key="l10"):
    return at.session_state[key + "_trainer"][1]


def _texts(at):
    return [m.value for m in [*at.markdown, *at.caption, *at.info]]


def _sentence(at):
    return gating.read_sentence(_trainer(at).task, at.text_input(key="l10_text").value)


def _shown(at, text: str) -> None:
    assert text in _texts(at), (text, _texts(at))


def _claims_hold(at):
    """Every computed sentence on screen is the one its function gives for the page's own models."""
    assert not at.exception and not at.error
    x, y = _sentence(at)
    tr = _trainer(at)
    both = modern_lesson.loop_vs_scan(tr.model, tr.task, x)
    _shown(at, modern_lesson.equality_sentence(both))
    assert max(both.max_diff().values()) < 1e-10  # so the sentence says 'the same numbers'
    assert any("same numbers up to float64 rounding" in t for t in _texts(at))
    suffix = "" if at.radio(key="l10_pair_task").value == "first_word" else "_reset"
    sel, elman = _trainer(at, "l10_sel" + suffix), _trainer(at, "l10_elman" + suffix)
    assert sel.task == elman.task and sel.task.name == at.radio(key="l10_pair_task").value
    pair_y = modern_memory.pair_target(sel.task, x)
    mem = modern_memory.memory_read(sel.model, elman.model, sel.task, x, pair_y)
    for line in modern_memory.gate_sentences(mem):
        _shown(at, line)
    _shown(at, modern_memory.gradient_sentence(mem))
    read = modern_attention.attention_read(
        *modern_attention.projections(x, len(tr.task.vocab), seed=tr.task.seed), mem.tokens
    )
    t = at.select_slider(key="l10_att_t").value
    for line in modern_attention.state_sentences(read, t):
        _shown(at, line)
    assert read.max_diff() < 1e-10  # so the sentence says 'the same numbers'
    q = modern_check.reset_question(sel.model, sel.task, x) or modern_memory.longest_memory_question(mem)
    assert at.session_state[f"check_{PAGE}_answer"] == q.answer
    assert at.radio(key=f"check_{PAGE}").options == q.options
    return both, mem


@pytest.fixture(scope="module")
def at():
    from conftest import APP, APPTEST_TIMEOUT
    from streamlit.testing.v1 import AppTest

    import course

    at = AppTest.from_file(str(APP), default_timeout=APPTEST_TIMEOUT).run()
    return at.switch_page(f"{course.PAGES_DIR.name}/{PAGE}").run()


def test_claims_at_the_defaults(at):
    both, mem = _claims_hold(at)
    # the timing sentences and chart are the server's one measurement
    chart = next(c for c in at.get("plotly_chart") if "ms per call" in c.proto.spec)
    spec = json.loads(chart.proto.spec)
    shown = {d["name"]: d["y"] for d in spec["data"] if d.get("showlegend", True) is not False}
    timing_lines = [t for t in _texts(at) if t.startswith("From T = ")]
    assert len(timing_lines) == 1
    for name, values in shown.items():
        assert len(values) == 5 and all(v > 0 for v in values), name
    # the sentence's loop figures are the chart's
    loop = shown["loop"]
    assert f"({loop[0]:.2f} ms to {loop[-1]:.1f} ms;" in timing_lines[0]
    # 'one torch thread': the caption names the threads the measurement ran with (the router sets 1)
    assert any("CPU wall time of one call (the best of 5), one torch thread," in t for t in _texts(at))


def test_the_race_on_the_page_is_the_cached_report(at):
    """The page's race sentences are those of assets/modern_race.json, or it says the report is missing."""
    import course
    from rnnviz import race
    from rnnviz.lessons import race_report

    report = race_report.load(course.ROOT / "assets" / "modern_race.json")
    if report is None:
        assert any("has no race report" in c.value for c in at.caption)
    else:
        for line in [*race.summary(report), race_report.seconds_sentence(report)]:
            _shown(at, line)


def test_the_two_compared_models_share_task_size_seed_and_batches(at):
    sel, elman = _trainer(at, "l10_sel"), _trainer(at, "l10_elman")
    assert sel.model.cfg.cell == "selective" and elman.model.cfg.cell == "rnn_tanh"
    assert sel.task == elman.task == _trainer(at).task
    assert sel.cfg == elman.cfg
    assert sel.model.cfg.hidden_size == elman.model.cfg.hidden_size


def test_claims_with_the_min_lstm_and_after_training(at):
    at.selectbox(key="l10_cell").set_value("min_lstm").run()
    _claims_hold(at)
    at.button(key="l10_train").click().run()
    at.button(key="l10_mem_train").click().run()
    assert _trainer(at).step > 0 and _trainer(at, "l10_sel").step > 0
    _claims_hold(at)


@pytest.mark.parametrize("cell,gate", [("min_gru", "n"), ("min_lstm", "g")])
def test_the_state_never_exceeds_the_largest_candidate(cell, gate):
    """'|h_t| never exceeds the largest |n_t| (|g_t|) so far': h_t is a convex mix of h_{t-1} and it."""
    tr = ModernLesson(cell=cell, lag=20, hidden_size=8).trainer()
    tr.run(40, 600)
    x = tr.task.batch(1, torch.Generator().manual_seed(1)).x[0]
    both = modern_lesson.loop_vs_scan(tr.model, tr.task, x)
    b_over = both.b / (1 - both.a)  # n_t (minGRU: b = (1 - z) n) or g_t (minLSTM: b = i' g, i' = 1 - f')
    so_far = np.maximum.accumulate(np.abs(b_over), axis=0)
    assert (np.abs(both.loop) <= so_far + 1e-12).all()


def test_the_log_space_scan_stays_finite_where_the_product_underflows():
    """'stays finite for long sequences where the products of a_s would underflow'."""
    from rnnviz.scan import scan_log, scan_loop

    T = 4096
    a = torch.full((1, T, 2), 0.5, dtype=torch.float32)
    b = torch.ones(1, T, 2)
    assert float(torch.prod(a[0, :, 0])) == 0.0  # prod of 4096 halves underflows float32
    out = scan_log(a, b)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, scan_loop(a, b), rtol=1e-4, atol=1e-4)


def test_memory_length_is_about_the_e_folding_time():
    """'keeps its memory for about 1/(1 - a_t) steps': a^(1/(1-a)) is about 1/e for a near 1."""
    for a in (0.9, 0.99, 0.999):
        assert 0.34 < a ** (1 / (1 - a)) < 1 / np.e


def test_the_timing_sentence_names_what_was_measured():
    timing = modern_timing.measure(Ts=(16, 256), H=4, repeats=1)
    text = " ".join(modern_timing.timing_sentences(timing))
    assert f"{timing.ms['loop'][0]:.2f} ms" in text
    assert f"the loop needs {timing.rounds['loop'][-1]}" in text
    fastest = timing.fastest(1)
    assert f"fastest was the **{modern_timing.NAMES[fastest]}**" in text


@pytest.mark.parametrize("cell", ["min_gru", "min_lstm", "selective"])
def test_the_live_model_trains_with_the_log_space_scan(monkeypatch, cell):
    """'The live model trains with it': its forward pass (and so every training step) calls scan_log."""
    import rnnviz.model
    from rnnviz.scan import scan_log

    calls = []

    def counted(*args, **kwargs):
        calls.append(args[0].shape)
        return scan_log(*args, **kwargs)

    assert rnnviz.model.Scanned.scan is scan_log  # what the model runs unless a bench swaps it
    monkeypatch.setattr(rnnviz.model.Scanned, "scan", staticmethod(counted))
    tr = ModernLesson(cell=cell, lag=4, hidden_size=4).trainer()
    tr.run(2, 600)
    assert len(calls) >= 2 and all(shape[1] == 6 for shape in calls)  # whole sentences, T = lag + 2


def test_the_reset_task_learns_a_reset_at_the_defaults(at):
    """Pinned: at the defaults (seed 0, lag 10, H = 8) one click trains the selective recurrence on the
    reset task to drop a_t at a second country, and the page says so; its Elman twin is worse."""
    at.radio(key="l10_pair_task").set_value("latest_country").run()
    _claims_hold(at)
    assert _trainer(at, "l10_sel_reset").step == 0 and _trainer(at, "l10_sel").step > 0  # kept apart
    at.button(key="l10_mem_train").click().run()
    at.text_input(key="l10_text").set_value(
        "Spain the sea school Italy friends moved played sea fluent"
    ).run()
    both, mem = _claims_hold(at)
    said = " ".join(modern_memory.gate_sentences(mem))
    assert "At 'Italy' (t = 5), a second country" in said and "That is the reset" in said
    assert mem.said == "Italian"
    # the check question's right answer is then the reset: a_t drops at a second country put in
    assert at.session_state[f"check_{PAGE}_answer"] == 0
    assert at.radio(key=f"check_{PAGE}").options[0].startswith("it drops clearly below")
    sel, elman = _trainer(at, "l10_sel_reset"), _trainer(at, "l10_elman_reset")
    b = sel.task.batch(512, torch.Generator().manual_seed(7))
    with torch.no_grad():
        acc = {
            n: float((tr.model(b.x)[0].argmax(-1) == b.y).float().mean())
            for n, tr in [("sel", sel), ("elm", elman)]
        }
    assert acc["sel"] > 0.9 and acc["sel"] > acc["elm"], acc


def test_the_race_sentences_are_the_reports(monkeypatch):
    """The race section states race.summary and the seconds sentence of the report it draws."""
    from conftest import APP, APPTEST_TIMEOUT
    from streamlit.testing.v1 import AppTest
    from test_lessons_10 import fake_race

    import course
    from rnnviz import race
    from rnnviz.lessons import race_report

    report = fake_race()
    monkeypatch.setattr(race_report, "load", lambda path: report)
    at = AppTest.from_file(str(APP), default_timeout=APPTEST_TIMEOUT).run()
    at = at.switch_page(f"{course.PAGES_DIR.name}/{PAGE}").run()
    assert not at.exception and not at.error
    for line in [*race.summary(report), race_report.seconds_sentence(report)]:
        _shown(at, line)
    spec = next(c.proto.spec for c in at.get("plotly_chart") if "Remember the first word" in c.proto.spec)
    assert json.loads(spec)["data"][0]["x"] == report["memory"]["10"]["rnn_tanh"]["steps"]
    at.radio(key="l10_race_x").set_value("seconds").run()
    assert not at.exception
    spec = next(c.proto.spec for c in at.get("plotly_chart") if "Remember the first word" in c.proto.spec)
    assert json.loads(spec)["data"][0]["x"] == report["memory"]["10"]["rnn_tanh"]["seconds"]
    monkeypatch.setattr(race_report, "load", lambda path: None)
    at.run()
    assert not at.exception and any("has no race report" in c.value for c in at.caption)
