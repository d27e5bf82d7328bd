"""Lesson 6 page (GRU, LSTM vs GRU, highway/residual) under AppTest: the shown numbers are the models'."""

import re

import pytest
import torch

import apptools
from rnnviz.lessons import gating
from rnnviz.model import ModelConfig, SeqModel, param_count

PAGE = "06_gru.py"


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def frame_with(at, column: str):
    """The first shown table that has ``column``."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def sentence(at):
    return at.text_input(key="l6_text")


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert not at.exception, at.exception
    return at


def test_defaults_render_and_name_the_live_form(page):
    at = page
    assert not at.error
    assert len(at.get("plotly_chart")) >= 7  # diagram, 4 heatmaps, depth gradients, grid LSTM
    assert "The live model is: GRU, torch's form (nn.GRU)" in at.info[0].value
    assert at.session_state["l6_trainer"][1].model.cfg.cell == "gru"


def test_gru_update_shown_matches_torch(page):
    at = page
    at.select_slider(key="l6_t").set_value(7).run()  # t = 7: row 6 of torch's output
    unit = at.select_slider(key="l6_unit").value
    model = at.session_state["l6_trainer"][1].model
    x, _ = gating.read_sentence(at.session_state["l6_trainer"][1].task, sentence(at).value)
    out, _ = model.layers[0].rnn(model.embed(x[None]))  # torch.nn.GRU itself
    torch_h = float(out[0, 6, unit].detach())
    assert isinstance(model.layers[0].rnn, torch.nn.GRU)
    assert float(metric(at, "torch's h_t")) == pytest.approx(torch_h, abs=1e-4)
    assert float(metric(at, "correct formula")) == pytest.approx(torch_h, abs=1e-4)
    z, gamma = float(metric(at, "z_t (torch)")), float(metric(at, "Γ_u = 1 - z_t (course notes)"))
    assert gamma == pytest.approx(1 - z, abs=1e-4)  # the course's Gamma_u = 1 - z_t
    assert abs(float(metric(at, "as often written")) - torch_h) > 0.5  # the slides' version is not torch's
    at.radio(key="l6_stage").set_value("output").run()
    shown = at.dataframe[0].value.set_index("quantity")
    assert shown.loc["h_t", "value"] == pytest.approx(torch_h, abs=1e-6)
    assert shown.loc["c_t (course)", "value"] == shown.loc["h_t", "value"]


def test_parameter_counts_equal_param_count(page):
    at = page
    at.select_slider(key="l6_hidden").set_value(16).run()
    assert not at.exception and not at.error
    counts = frame_with(at, "formula")
    totals = counts[counts["part"] == "total"].set_index("model")["parameters"]
    task = at.session_state["l6_trainer"][1].task
    for name, cell in (("LSTM", "lstm"), ("GRU", "gru")):
        model = SeqModel(ModelConfig.for_task(task, cell=cell, hidden_size=16))
        assert totals[name] == param_count(model)
    assert "3 × (16·35 + 16·16 + 2·16)" in counts["formula"].tolist()


def test_variant_switch_and_step_selection(page):
    at = page
    at.selectbox(key="l6_cell").set_value("gru_paper").run()
    assert not at.exception and not at.error
    assert "paper's form" in at.info[0].value
    assert at.session_state["l6_trainer"][1].model.cfg.cell == "gru_paper"
    at.radio(key="l6_stage").set_value("candidate").run()
    assert "W_hn (r_t ⊙ h_{t-1})" in at.dataframe[0].value["equation"].iloc[0]
    at.selectbox(key="l6_cell").set_value("gru_minimal").run()
    assert not at.exception and not at.error
    assert "reset" not in at.radio(key="l6_stage").options
    before = at.dataframe[0].value["value"].tolist()
    at.select_slider(key="l6_unit").set_value(3).run()
    assert at.dataframe[0].value["value"].tolist() != before


def test_training_and_race_runs(page):
    at = page
    at.button(key="l6_train").click().run()
    assert not at.exception and not at.error
    assert at.session_state["l6_trainer"][1].step > 0
    at.button(key="l6_race_train").click().run()
    assert not at.exception and not at.error
    race = frame_with(at, "ms per step").set_index("model")
    assert (race["training steps"] > 0).all() and (race["ms per step"].astype(float) > 0).all()
    assert race.loc["LSTM", "parameters"] > race.loc["GRU", "parameters"]
    assert any("GRU step takes" in m.value for m in at.markdown)
    # the one training panel writes where each racer's run ended into the link, as for one model
    for name in ("LSTM", "GRU"):
        steps = at.session_state[f"l6_race_{name}_trainer"][1].step
        given = at.query_params[f"l6_race_{name}_trained"]
        given = given[0] if isinstance(given, list) else given
        assert given in (str(steps), f"{steps}t")  # "t": the run was cut by its time budget
    assert any(c.value.startswith("LSTM: ") for c in at.caption)  # how each run ended, by name


def test_deep_stacks_train_and_gradients_are_shown(page):
    at = page
    at.slider(key="l6_depth").set_value(8).run()
    ratio_text = next(m.value for m in at.markdown if "Before any training" in m.value)
    assert "layer 8" in ratio_text
    at.button(key="l6_deep_train").click().run()
    assert not at.exception and not at.error
    table = next(df.value for df in at.dataframe if "highway" in df.value.index)  # the deep stacks' table
    assert (table["training steps"] > 0).all()
    assert (
        table.loc["highway", "parameters"]
        > table.loc["plain", "parameters"]
        == table.loc["residual", "parameters"]
    )
    at.radio(key="l6_grad_kind").set_value("||dL/dW_l||").run()
    assert not at.exception and not at.error


def test_unknown_word_shows_an_error_and_the_page_goes_on(page):
    at = page
    sentence(at).set_value("Spain the spaceship fluent").run()
    assert not at.exception
    assert len(at.error) == 1 and "spaceship" in at.error[0].value
    assert len(at.get("plotly_chart")) >= 7


# --- shared links, presenter mode, the check question (issue 6) ----------------------------------

LINK = {
    "seed": "2",
    "l6_cell": "GRU, the paper's form (Cho et al. 2014)",
    "l6_lag": "5",
    "l6_hidden": "8",
    "l6_text": "Germany the old house fluent",
    "l6_stage": "3. candidate",
    "l6_t": "2",
    "l6_unit": "6",
    "l6_depth": "6",
    "l6_width": "8",
    "l6_grad_kind": "||dL/dW_l||",
}


def view(at) -> dict:
    """Every number the page shows: metrics, text, tables and chart data."""
    return apptools.view(at, "metrics", "markdown", "tables", "charts")


def test_a_link_shows_everyone_the_same_view(open_url):
    a = apptools.opened_twice(open_url, PAGE, LINK, view)
    assert sentence(a).value == LINK["l6_text"]
    assert (
        a.radio(key="l6_stage").value,
        a.select_slider(key="l6_t").value,
        a.select_slider(key="l6_unit").value,
    ) == (
        "candidate",
        2,
        6,
    )
    assert a.session_state["l6_trainer"][1].model.cfg.cell == "gru_paper"
    assert "W_hn (r_t ⊙ h_{t-1})" in a.dataframe[0].value["equation"].iloc[0]
    assert any("layer 6" in m.value for m in a.markdown)
    assert {"l6_csv_gates", "l6_csv_depth"} <= {b.key for b in a.get("download_button")}
    apptools.differs_in_every_part(view(open_url(PAGE, {})), view(a))


def test_switching_to_no_reset_gate_keeps_the_controls_valid(page):
    at = page
    at.radio(key="l6_stage").set_value("reset")
    at.select_slider(key="l6_t").set_value(12).run()
    at.selectbox(key="l6_cell").set_value("gru_minimal").run()
    assert not at.exception and not at.error
    assert at.radio(key="l6_stage").value == "update"
    sentence(at).set_value("Spain the sea fluent").run()
    assert not at.exception and not at.error
    assert at.select_slider(key="l6_t").value == 4  # its last word


def test_presenter_mode_folds_the_prose(open_url):
    prose = "Turn the GRU's update 90 degrees"
    at = open_url(PAGE, {"present": "true"})
    assert not at.exception and not at.error
    assert apptools.folded(at, prose) == (1, 1)
    assert len(at.get("plotly_chart")) >= 7 and at.get("latex")
    assert apptools.folded(open_url(PAGE, {}), prose) == (1, 0)


@pytest.mark.parametrize(
    "bad",
    [
        {
            "l6_t": "999",
            "l6_unit": "-1",
            "l6_lag": "0",
            "l6_hidden": "5",
            "l6_depth": "1000",
            "l6_grid_layers": "99",
        },
        {
            "l6_cell": "lstm",
            "l6_stage": "😀",
            "l6_width": "big",
            "l6_grad_kind": "",
            "l6_t": "1.5",
            "l6_grid_l": "x",
        },
        {"l6_cell": "GRU without a reset gate", "l6_stage": "1. reset"},
        {"l6_text": "😀 " * 300},
        {"l6_text": " \t "},
    ],
)
def test_bad_link_values_run_clean(open_url, bad):
    at = open_url(PAGE, bad)
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 6  # the page went on (no reset-gate heatmap without r)
    assert len(at.error) <= 1
    if "l6_text" in bad:
        assert at.error and "e.g." in re.sub(r"\\(.)", r"\1", at.error[0].value)  # shown unescaped


def test_every_model_is_rebuilt_from_its_lesson_config(page):
    """The key that decides when a session's model is rebuilt is the lesson config itself
    (asdict), never a hand-typed dict: each model holds exactly the settings it was built from."""
    from dataclasses import asdict

    from rnnviz.lessons.gru_lesson import DeepLesson, GRULesson

    at = page
    key = at.session_state["l6_trainer"][0]
    assert key == asdict(GRULesson(cell="gru", lag=10, hidden_size=12, seed=0))
    for name, cell in (("LSTM", "lstm"), ("GRU", "gru")):
        assert at.session_state[f"l6_race_{name}_trainer"][0] == asdict(GRULesson(cell=cell))
    for kind in ("plain", "residual", "highway"):
        assert at.session_state[f"l6_deep_{kind}_trainer"][0] == asdict(DeepLesson(kind=kind))
    live = at.session_state["l6_trainer"][1]
    assert live.cfg == GRULesson().train_config() and live.model.cfg == GRULesson().model_config()
    at.select_slider(key="l6_hidden").set_value(16).run()
    assert at.session_state["l6_trainer"][0] == asdict(GRULesson(hidden_size=16))
    assert at.session_state["l6_race_LSTM_trainer"][0] == asdict(GRULesson(cell="lstm", hidden_size=16))
