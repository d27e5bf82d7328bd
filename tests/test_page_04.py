"""Lesson 4 page (vanishing and exploding gradients) under AppTest: defaults and every main control."""

import pytest
import torch

PAGE = "04_gradients.py"


def metric(at, label: str) -> float:
    return float(next(m for m in at.metric if m.label == label).value)


def texts(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert not at.exception, at.exception
    return at


def test_defaults_render_live_numbers_without_training(page):
    at = page
    assert not at.error
    assert len(at.get("plotly_chart")) >= 6  # scalar x2, bound, strip, heatmap, accuracy vs lag
    assert metric(at, "ρ(W_hh) drawn") == pytest.approx(0.9, abs=1e-3)  # the default rescaling
    assert 0 < metric(at, "factor per step back") < 1  # rho < 1 and tanh: the gradient vanishes
    assert at.session_state["l4_trainer"][1].step == 0  # nothing trained on page load
    assert "What you will learn" in texts(at) and "Try this" in [h.value for h in at.subheader]


def test_spectral_radius_tilts_the_gradient(page):
    at = page
    at.slider(key="l4_rho").set_value(0.5).run()
    assert not at.exception and not at.error
    low = metric(at, "factor per step back")
    assert metric(at, "ρ(W_hh) drawn") == pytest.approx(0.5, abs=1e-3)
    at.slider(key="l4_rho").set_value(1.5).run()
    high = metric(at, "factor per step back")
    assert metric(at, "ρ(W_hh) drawn") == pytest.approx(1.5, abs=1e-3)
    assert low < high
    at.toggle(key="l4_rescale").set_value(False).run()  # the model's own W_hh
    own = at.session_state["l4_trainer"][1].model.layers[0].params(0)["weight_hh"].detach()
    assert metric(at, "ρ(W_hh) drawn") == pytest.approx(
        float(torch.linalg.eigvals(own).abs().max()), abs=2e-3
    )


def test_scalar_controls_and_bad_typed_input(page):
    at = page
    at.slider(key="l4_w_h").set_value(1.5)
    at.slider(key="l4_x").set_value(0.0).run()
    assert not at.exception
    assert "1.5" in texts(at) and "Some factors exceed 1" in texts(at)
    at.selectbox(key="l4_pattern").set_value("typed").run()
    at.text_input(key="l4_typed").set_value("1, two").run()
    assert not at.exception
    assert len(at.error) == 1 and "'two' is not a number" in at.error[0].value
    assert len(at.get("plotly_chart")) >= 4  # the rest of the page still draws
    at.text_input(key="l4_typed").set_value("1, 0.5").run()
    assert not at.error


def test_train_fills_the_gradient_heatmap(page):
    at = page
    at.slider(key="l4_lag").set_value(8).run()
    rows_before = len(at.session_state["l4_recorder"][1].steps)
    at.button(key="l4_train").click().run()
    assert not at.exception and not at.error
    trainer = at.session_state["l4_trainer"][1]
    assert trainer.step > 0
    recorder = at.session_state["l4_recorder"][1]
    assert len(recorder.steps) > rows_before and recorder.steps[0] == 0
    assert "trained for" in "\n".join(c.value for c in at.caption)


def test_exploding_preset_and_clipping(page):
    at = page
    at.button(key="l4_explode").click().run()
    assert not at.exception and not at.error
    assert len(at.warning) >= 1 and "diverged at step" in at.warning[0].value
    assert len(at.success) == 1 and "Clipped at 1" in at.success[0].value


def test_measure_three_cells_at_a_short_lag(page):
    at = page
    at.select_slider(key="l4_mem_lag").set_value(5)
    at.select_slider(key="l4_budget").set_value(100).run()
    at.button(key="l4_measure").click().run()
    assert not at.exception and not at.error
    points = at.session_state["l4_points"]
    assert [p["cell"] for p in points] == ["rnn_tanh", "lstm", "gru"]
    assert all(p["lag"] == 5 and p["steps"] <= 100 and 0 <= p["acc"] <= 1 for p in points)
    table = at.dataframe[0].value
    assert list(table["cell"]) == ["RNN", "LSTM", "GRU"]
    at.radio(key="l4_recipe").set_value("direct").run()  # the other recipe: its own points
    assert not at.exception and not at.error
