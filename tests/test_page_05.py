"""Lesson 5 page (LSTM) under AppTest: defaults, the shown arithmetic equals the trace, clamps, variants."""

import re

import numpy as np
import pytest
import torch

import apptools
from rnnviz.lessons import gating
from rnnviz.trace import GateClamp, trace

PAGE = "05_lstm.py"


def numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+\.\d+", text)]


def table_rows(frame) -> dict[str, dict]:
    """A shown worked table as {quantity: row}."""
    return {row["quantity"]: row for row in frame.value.to_dict("records")}


def clamped_table(at):
    """The shown step with the clamp: the last worked table (the intervention closes the step views)."""
    return [f for f in at.dataframe if "with the numbers" in f.value.columns][-1]


def saturation_table(at):
    """The shown table of gate saturation shares (rows "i before", "i now", ...)."""
    return next(f.value for f in at.dataframe if "f before" in f.value.index)


def live_model(at):
    return at.session_state["l5_trainer"][1].model


def sentence(at):
    return at.text_input(key="l5_text")


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert not at.exception, at.exception
    return at


def test_defaults_render_with_live_numbers(page):
    at = page
    assert not at.error
    assert len(at.get("plotly_chart")) >= 12  # diagram, 6 heatmaps, 2 over time, histograms, 2 clamp views
    assert at.session_state["l5_trainer"][1].step == 0
    assert any("untrained" in i.value for i in at.info)


def test_update_shown_equals_the_trace(page):
    at = page
    at.radio(key="l5_stage").set_value("update").run()
    at.select_slider(key="l5_t").set_value(4).run()  # t = 4: the fourth word, row 3 of the trace
    unit = at.select_slider(key="l5_unit").value
    row = table_rows(at.dataframe[0])["c_t"]
    f, c_prev, i, g, c = numbers(row["with the numbers"])
    assert f * c_prev + i * g == pytest.approx(c, abs=2e-4)  # c_t = f_t c_{t-1} + i_t g_t, shown numbers
    x, y = gating.read_sentence(at.session_state["l5_trainer"][1].task, sentence(at).value)
    lt = trace(live_model(at), x, y, jacobians=False).layer(0)
    assert row["value"] == pytest.approx(float(lt.c[3, unit]), abs=1e-6)
    assert c_prev == pytest.approx(float(lt.c[2, unit]), abs=1e-4)
    assert f == pytest.approx(float(lt.gates["f"][3, unit]), abs=1e-4)


def test_time_step_and_unit_selection_move_the_worked_numbers(page):
    at = page
    before = at.dataframe[0].value["value"].tolist()
    at.select_slider(key="l5_t").set_value(7)
    at.select_slider(key="l5_unit").set_value(2).run()
    assert not at.exception and not at.error
    after = at.dataframe[0].value["value"].tolist()
    assert after != before
    x, y = gating.read_sentence(at.session_state["l5_trainer"][1].task, sentence(at).value)
    lt = trace(live_model(at), x, y, jacobians=False).layer(0)
    assert table_rows(at.dataframe[0])["f_t"]["value"] == pytest.approx(float(lt.gates["f"][6, 2]), abs=1e-6)


def test_clamping_f_to_one_shows_a_purely_additive_cell(page):
    at = page
    at.selectbox(key="l5_clamp_gate").set_value("f").run()
    at.select_slider(key="l5_clamp_value").set_value(1.0)
    at.select_slider(key="l5_clamp_span").set_value((1, 12))  # every step, t = 1..12
    at.select_slider(key="l5_t").set_value(6).run()  # row 5
    assert not at.exception and not at.error
    unit = at.select_slider(key="l5_unit").value
    clamped = table_rows(clamped_table(at))
    assert clamped["f_t"]["with the numbers"].endswith("replaced by 1.0000")
    shown = clamped["c_t"]
    f, c_prev, i, g, c = numbers(shown["with the numbers"])
    assert f == 1.0
    assert c_prev + i * g == pytest.approx(c, abs=2e-4)
    x, y = gating.read_sentence(at.session_state["l5_trainer"][1].task, sentence(at).value)
    lt = trace(live_model(at), x, y, clamps=(GateClamp("f", 1.0, 0, 12),), jacobians=False).layer(0)
    # c_t = c_{t-1} + i_t g_t exactly (float32, as torch computed it), and the page shows that number
    assert (
        np.float32(lt.c[5, unit])
        == np.float32(lt.c[4, unit]) + lt.gates["i"][5, unit] * lt.gates["g"][5, unit]
    )
    assert shown["value"] == pytest.approx(float(lt.c[5, unit]), abs=1e-7)


def test_train_changes_the_model_and_its_views(page):
    at = page
    p_before = [m.value for m in at.metric][:2]
    specs_before = [chart.proto.spec for chart in at.get("plotly_chart")]
    saturation_before = saturation_table(at)
    at.button(key="l5_train").click().run()
    assert not at.exception and not at.error
    trainer = at.session_state["l5_trainer"][1]
    assert trainer.step > 0 and trainer.history
    assert [m.value for m in at.metric][:2] != p_before
    specs_after = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert len(specs_after) == len(specs_before) + 1  # the training history
    assert sum(a != b for a, b in zip(specs_before, specs_after[1:], strict=True)) >= 10
    saturation_after = saturation_table(at)
    assert saturation_after.loc["f before"].equals(saturation_before.loc["f before"])
    assert not saturation_after.loc["f now"].equals(saturation_before.loc["f now"])


def test_variant_switch_keeps_data_and_shows_coupled_gates(page):
    at = page
    text = sentence(at).value
    at.selectbox(key="l5_cell").set_value("lstm_coupled").run()
    assert not at.exception and not at.error
    assert sentence(at).value == text
    assert at.session_state["l5_trainer"][1].model.cfg.cell == "lstm_coupled"
    assert any("exactly 0" in m.value for m in at.markdown)
    forget = table_rows(at.dataframe[0])
    assert forget["f_t"]["equation"] == "1 - i_t"
    at.selectbox(key="l5_cell").set_value("lstm_peephole").run()
    assert not at.exception and not at.error
    assert "w_cf c_{t-1}" in table_rows(at.dataframe[0])["f_pre"]["equation"]


def test_unknown_word_shows_an_error_and_the_page_goes_on(page):
    at = page
    n_charts = len(at.get("plotly_chart"))
    sentence(at).set_value("France the moon fluent").run()
    assert not at.exception
    assert len(at.error) == 1 and "moon" in at.error[0].value
    assert len(at.get("plotly_chart")) == n_charts


def test_same_seed_same_numbers(open_page):
    a, b = open_page(PAGE), open_page(PAGE)
    assert a.dataframe[0].value.equals(b.dataframe[0].value)
    torch.testing.assert_close(
        a.session_state["l5_trainer"][1].model.state_dict()["head.weight"],
        b.session_state["l5_trainer"][1].model.state_dict()["head.weight"],
    )


# --- shared links, presenter mode, the check question (issue 6) ----------------------------------

LINK = {
    "seed": "3",
    "l5_lag": "6",
    "l5_hidden": "8",
    "l5_cell": "LSTM with coupled input and forget gates",
    "l5_fbias": "false",
    "l5_text": "Italy the sea moved to the market fluent",
    "l5_stage": "3. update",
    "l5_t": "4",
    "l5_unit": "5",
    "l5_clamp_gate": "i",
    "l5_clamp_value": "0.5",
    "l5_clamp_span": ["2", "5"],
    "l5_clamp_units": "only unit j (chosen above)",
}


def view(at) -> dict:
    """Every number the page shows: metrics, text, tables and chart data."""
    return apptools.view(at, "metrics", "markdown", "tables", "charts")


def test_a_link_shows_everyone_the_same_view(open_url):
    a = apptools.opened_twice(open_url, PAGE, LINK, view)
    assert sentence(a).value == LINK["l5_text"]
    assert (a.select_slider(key="l5_t").value, a.select_slider(key="l5_unit").value) == (4, 5)
    assert a.select_slider(key="l5_clamp_span").value == (2, 5)
    assert a.session_state["l5_trainer"][1].model.cfg.cell == "lstm_coupled"
    assert any("unit 5 at step 4" in c.value for c in a.caption)
    assert table_rows(a.dataframe[0])["c_t"]  # the update step, as the link says
    assert {"l5_csv_gates", "l5_csv_steps"} <= {b.key for b in a.get("download_button")}
    apptools.differs_in_every_part(view(open_url(PAGE, {})), view(a))


def test_moving_the_sentence_keeps_the_controls_valid(page):
    at = page
    at.select_slider(key="l5_t").set_value(12)
    at.select_slider(key="l5_unit").set_value(3).run()
    sentence(at).set_value("Spain the sea fluent").run()  # 4 words: t = 12 no longer exists
    assert not at.exception and not at.error
    assert at.select_slider(key="l5_t").value == 4 and at.select_slider(key="l5_clamp_span").value == (2, 4)
    assert at.select_slider(key="l5_unit").value == 3  # same model: the unit stays
    at.select_slider(key="l5_hidden").set_value(4).run()  # a new model starts at its busiest unit
    assert not at.exception
    assert at.select_slider(key="l5_unit").value < 4
    at.slider(key="l5_lag").set_value(5).run()  # a new task brings its own example sentence
    assert len(sentence(at).value.split()) == 7


def test_presenter_mode_folds_the_prose(open_url):
    prose = "The model reads a sentence that starts with a country"
    at = open_url(PAGE, {"present": "true"})
    assert not at.exception and not at.error
    assert apptools.folded(at, prose) == (1, 1)  # in a closed expander
    assert len(at.get("plotly_chart")) >= 12 and at.get("latex")  # charts and equations stay
    assert apptools.folded(open_url(PAGE, {}), prose) == (1, 0)  # open on the page otherwise


@pytest.mark.parametrize(
    "bad",
    [
        {"l5_t": "999", "l5_unit": "-4", "l5_lag": "1e9", "l5_hidden": "7"},
        {"l5_t": "three", "l5_cell": "gru", "l5_stage": "😀", "l5_fbias": "maybe", "l5_clamp_value": "nan"},
        {"l5_text": "😀 🙂", "l5_clamp_span": ["9", "2"], "l5_clamp_units": "", "l5_clamp_gate": "z"},
        {"l5_text": "   ", "seed": "-1"},
        {"l5_t": "0", "l5_clamp_span": ["0", "3"]},  # steps count from 1: 0 is no step
        {"l5_text": "Spain " + "the " * 5000 + "fluent"},
    ],
)
def test_bad_link_values_run_clean(open_url, bad):
    at = open_url(PAGE, bad)
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 12  # the page went on
    assert len(at.error) <= 1  # at most the sentence's own message
    if "l5_text" in bad:
        shown = re.sub(r"\\(.)", r"\1", at.error[0].value) if at.error else ""  # shown unescaped
        assert "e.g." in shown or "type a shorter one" in shown  # what to type instead, or how long at most
