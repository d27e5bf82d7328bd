"""Lesson 4 page (vanishing and exploding gradients) under AppTest: defaults and every main control."""

import pytest
import torch

import apptools

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
    assert "at least 1.500, above 1" in texts(at) and "**explodes**" in texts(at)  # s stays 0: 1.5^t
    at.selectbox(key="l4_pattern").set_value("typed").run()
    at.text_input(key="l4_typed").set_value("1, two").run()
    assert not at.exception
    assert len(at.error) == 1 and "'two' is not a number" in at.error[0].value.replace("\\", "")
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
    assert "**the same direction**, only shorter" in texts(at)  # cos(g, g') = 1 after clipping by norm
    assert len(at.success) == 1 and "Clipped at 1" in at.success[0].value
    assert any(b.proto.id.endswith("-l4_csv_clip") for b in at.get("download_button"))


def test_measure_three_cells_at_a_short_lag(page):
    at = page
    at.select_slider(key="l4_mem_lag").set_value(5)
    at.select_slider(key="l4_budget").set_value(100).run()
    at.button(key="l4_measure").click().run()
    assert not at.exception and not at.error
    points = at.session_state["l4_points"]
    assert [p["cell"] for p in points] == ["rnn_tanh", "lstm", "gru"]
    assert all(p["lag"] == 5 and p["steps"] == 100 and 0 <= p["acc"] <= 1 for p in points)  # no time cut
    assert [p["path"] is None for p in points] == [True, False, False]  # prod f_t, prod z_t for the gated
    assert all(0 < p["path"] < 1 for p in points[1:])
    said = texts(at)
    assert "**The path after training**" in said and f"to {points[1]['path']:.2g}" in said
    table = at.dataframe[0].value
    assert list(table["cell"]) == ["RNN", "LSTM", "GRU"]
    assert any(b.proto.id.endswith("-l4_csv_points") for b in at.get("download_button"))
    at.radio(key="l4_recipe").set_value("direct").run()  # the other recipe: its own points
    assert not at.exception and not at.error


# --- shareable links, presenter mode, the check question (issue 6) ------------------------------


def view(at) -> dict:
    """Every number the page shows: metrics, texts, captions and the data of every chart."""
    return apptools.view(at, "metrics", "markdown", "captions", "charts")


LINK = {
    "l4_w_h": "1.5", "l4_w_x": "0.5", "l4_x": "0.0", "l4_pattern": "typed by you", "l4_typed": "1, 0.5, -2",
    "l4_b": "0.3", "l4_T": "60", "l4_lag": "12", "l4_hidden": "16", "l4_rho": "1.2", "l4_mem_lag": "20",
    "l4_recipe": "directly at the lag", "l4_budget": "300", "seed": "4",
}  # fmt: skip


def test_a_link_reproduces_the_view_in_a_fresh_session(open_url, page):
    first = apptools.opened_twice(open_url, PAGE, LINK, view)
    assert view(first) != view(page)  # the link's settings took effect
    assert dict(first.query_params) == LINK
    assert metric(first, "ρ(W_hh) drawn") == pytest.approx(1.2, abs=1e-3)
    assert "After $T = 60$ steps" in texts(first)
    assert (
        first.radio(key="l4_recipe").value == "direct"
        and first.text_input(key="l4_typed").value == "1, 0.5, -2"
    )
    assert first.session_state["l4_trainer"][1].model.cfg.hidden_size == 16


def test_presenter_mode_folds_the_prose(open_url, open_page):
    said = "Take the smallest RNN there is"
    at = open_url(PAGE, {"present": "true"})
    assert not at.exception and not at.error
    folded = [m.value for e in at.expander for m in e.markdown]
    assert any(said in text for text in folded)
    assert not any(text.startswith("After $T") for text in folded)  # the scalar result stays in view
    assert len(at.get("plotly_chart")) >= 6 and len(at.metric) == 4
    plain = open_page(PAGE)
    assert not any(said in m.value for e in plain.expander for m in e.markdown)


@pytest.mark.parametrize(
    "params, errors",
    [
        (
            {"l4_w_h": "9", "l4_x": "abc", "l4_pattern": "😀", "l4_lag": "1000", "l4_hidden": "7",
             "l4_rescale": "maybe", "l4_rho": "-1", "l4_mem_lag": "13", "l4_recipe": "", "l4_budget": "1e9"},
            0,
        ),
        ({"l4_pattern": "typed by you", "l4_typed": "1, two, 😀"}, 1),
        ({"l4_pattern": "typed by you", "l4_typed": "9" * 5000}, 1),
        ({"l4_pattern": "typed by you", "l4_typed": "   "}, 1),
    ],
)  # fmt: skip
def test_bad_link_values_run_clean(open_url, params, errors):
    at = open_url(PAGE, params)
    assert not at.exception and len(at.error) == errors
    assert at.slider(key="l4_w_h").value == 0.9 and at.slider(key="l4_rho").value == 0.9
    assert metric(at, "ρ(W_hh) drawn") == pytest.approx(0.9, abs=1e-3)  # section 2 still draws


def test_traces_have_csv_buttons(page):
    shown = [b.proto.id.rsplit("-", 1)[-1] for b in page.get("download_button")]
    assert [k for k in shown if "_csv_" in k] == ["l4_csv_scalar", "l4_csv_bound", "l4_csv_heat"]
