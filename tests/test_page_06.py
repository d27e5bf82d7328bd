"""Lesson 6 page (GRU, LSTM vs GRU, highway/residual) under AppTest: the shown numbers are the models'."""

import pytest
import torch

from rnnviz.lessons import gating
from rnnviz.model import ModelConfig, SeqModel, param_count

PAGE = "06_gru.py"


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def frame_with(at, column: str):
    """The first shown table that has ``column``."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def sentence(at):
    return at.text_input(key="l6_text_10_0")


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
    at.slider(key="l6_t_12").set_value(6).run()
    unit = at.slider(key="l6_unit_12_gru").value
    model = at.session_state["l6_trainer"][1].model
    x, _ = gating.read_sentence(at.session_state["l6_trainer"][1].task, sentence(at).value)
    out, _ = model.layers[0].rnn(model.embed(x[None]))  # torch.nn.GRU itself
    torch_h = float(out[0, 6, unit].detach())
    assert isinstance(model.layers[0].rnn, torch.nn.GRU)
    assert float(metric(at, "torch's h_t")) == pytest.approx(torch_h, abs=1e-4)
    assert float(metric(at, "correct formula")) == pytest.approx(torch_h, abs=1e-4)
    z, gamma = float(metric(at, "z_t (torch)")), float(metric(at, "Γ_u = 1 - z_t (course)"))
    assert gamma == pytest.approx(1 - z, abs=1e-4)  # the course's Gamma_u = 1 - z_t
    assert abs(float(metric(at, "slides' formula")) - torch_h) > 0.5  # the slides' version is not torch's
    at.radio(key="l6_stage_gru").set_value("output").run()
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
    at.radio(key="l6_stage_gru_paper").set_value("candidate").run()
    assert "W_hn (r_t ⊙ h_{t-1})" in at.dataframe[0].value["equation"].iloc[0]
    at.selectbox(key="l6_cell").set_value("gru_minimal").run()
    assert not at.exception and not at.error
    assert "reset" not in at.radio(key="l6_stage_gru_minimal").options
    before = at.dataframe[0].value["value"].tolist()
    at.slider(key="l6_unit_12_gru_minimal").set_value(3).run()
    assert at.dataframe[0].value["value"].tolist() != before


def test_training_and_race_runs(page):
    at = page
    at.button(key="l6_train").click().run()
    assert not at.exception and not at.error
    assert at.session_state["l6_trainer"][1].step > 0
    at.button(key="l6_race").click().run()
    assert not at.exception and not at.error
    race = frame_with(at, "ms per step").set_index("model")
    assert (race["training steps"] > 0).all() and (race["ms per step"] > 0).all()
    assert race.loc["LSTM", "parameters"] > race.loc["GRU", "parameters"]
    assert any("GRU step takes" in m.value for m in at.markdown)


def test_deep_stacks_train_and_gradients_are_shown(page):
    at = page
    at.slider(key="l6_depth").set_value(8).run()
    ratio_text = next(m.value for m in at.markdown if "Before any training" in m.value)
    assert "layer 8" in ratio_text
    at.button(key="l6_deep_train").click().run()
    assert not at.exception and not at.error
    table = at.dataframe[-1].value  # the deep stacks' table is the last one on the page
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
