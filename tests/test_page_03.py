"""Lesson 3 page (char-RNN) under AppTest: defaults, a training click, checkpoints, sampling, bad input."""

import pytest

import apptools
from rnnviz.lessons.charlm import LMSettings

PAGE = "03_char_lm.py"
TRAIN = "l3_model_train"  # the training panel's button (ui/training.py: f"{key}_train")


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def widget(elements, label: str):
    return next(w for w in elements if w.label.startswith(label))


def html_texts(at) -> list[str]:
    return [h.proto.body for h in at.get("html")]


def errors(at) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert errors(at) == []
    return at


def small(at):
    """A model that trains many steps within one click, even on a busy machine."""
    at.select_slider(key="l3_hidden").set_value(16)
    at.select_slider(key="l3_seq_len").set_value(16)
    at.select_slider(key="l3_batch").set_value(8).run()
    assert errors(at) == []
    return at


def test_defaults_render_an_untrained_model_with_live_numbers(page):
    at = page
    assert at.radio(key="l3_source").value == "Nested markup"
    assert len(at.get("plotly_chart")) >= 4  # step losses, next characters, unit ranking, unit trace
    # coloured texts: surprise of a sequence, of the sample, a unit; the pattern search's selection and
    # matches (app.py's own <style> aside)
    assert len([b for b in html_texts(at) if not b.startswith("<style>")]) == 5
    assert metric(at, "Model at training step") == "0"  # training never starts on page load
    bits = float(metric(at, "Held-out bits per character"))
    assert abs(bits - float(metric(at, "Guessing uniformly"))) < 0.5  # untrained: close to uniform
    assert any("untrained" in i.value for i in at.info)
    assert at.selectbox(key="l3_signal").value == "tag depth"


def test_a_training_click_changes_the_model_and_keeps_checkpoints(page):
    at = small(page)
    bits_before = float(metric(at, "Held-out bits per character"))
    sample_before = html_texts(at)[1]
    at.button(key=TRAIN).click().run()
    assert errors(at) == []
    step = int(metric(at, "Model at training step"))
    assert step > 0
    assert float(metric(at, "Held-out bits per character")) < bits_before - 0.2
    assert html_texts(at)[1] != sample_before  # the trained model writes something else
    assert any("step" in c.value for c in at.code)  # samples printed during training
    # slide back to the initial weights: the views show the untrained model again
    ckpt = at.select_slider(key="l3_ckpt")
    assert ckpt.options[0] == "0" and ckpt.value == step
    ckpt.set_value(0).run()
    assert errors(at) == []
    assert metric(at, "Model at training step") == "0"
    assert float(metric(at, "Held-out bits per character")) == pytest.approx(bits_before, abs=1e-3)


def test_sampling_controls_change_the_sample(page):
    at = page
    before = html_texts(at)[1]
    at.slider(key="l3_temp").set_value(1.5).run()
    assert errors(at) == []
    hotter = html_texts(at)[1]
    assert hotter != before
    at.text_input(key="l3_prime").set_value("<b>").run()
    assert errors(at) == []
    assert "&lt;b&gt;" not in html_texts(at)[1] and "&lt;" in html_texts(at)[1]
    assert html_texts(at)[1] != hotter


def test_bad_input_shows_an_error_and_the_page_goes_on(page):
    at = page
    at.text_input(key="l3_prime").set_value("<b>€").run()
    assert not at.exception
    assert len(at.error) == 1 and "€" in at.error[0].value
    assert len(at.get("plotly_chart")) >= 3  # the other views still draw
    at.text_area(key="l3_seq").set_value("x").run()
    assert not at.exception and len(at.error) == 2
    at.radio(key="l3_source").set_value("Your own text").run()
    assert errors(at) == []  # the pasted example text works as it is
    at.text_area(key="l3_pasted").set_value("aaaa aaaa").run()
    assert not at.exception and len(at.error) == 1
    at.text_area(key="l3_pasted").set_value("").run()
    assert not at.exception and "empty" in at.error[0].value


def test_python_source_and_other_cells(page):
    at = page
    at.radio(key="l3_source").set_value("Python standard library").run()
    assert errors(at) == []
    assert at.selectbox(key="l3_signal").value == "inside a string"
    at.selectbox(key="l3_cell").set_value("gru")
    at.slider(key="l3_layers").set_value(2).run()
    assert errors(at) == []
    assert at.selectbox(key="l3_layer").value == 2
    assert "2 x 128 units" in at.caption[0].value


# --- shareable links, presenter mode, the check question (issue 6) ------------------------------


def view(at) -> dict:
    """Every number the page shows: metrics, equations, texts, coloured texts and chart data."""
    return {**apptools.view(at, "metrics", "latex", "markdown", "captions", "charts"), "html": html_texts(at)}


LINK = {
    "l3_cell": "Elman RNN (tanh)", "l3_hidden": "32", "l3_layers": "2", "l3_lr": "0.03", "l3_clip": "off",
    "l3_seq_len": "32", "l3_batch": "8", "l3_half": "never", "l3_temp": "1.2", "l3_topk": "5",
    "l3_length": "100", "l3_prime": "<b>", "l3_seq": "<b>cat</b>", "l3_signal": "position in the line",
    "l3_layer": "1", "l3_unit": "unit 3", "seed": "2",
}  # fmt: skip


def test_a_link_reproduces_the_view_in_a_fresh_session(open_url, page):
    first = apptools.opened_twice(open_url, PAGE, LINK, view)
    assert view(first) != view(page)  # the link's settings took effect
    assert dict(first.query_params) == LINK
    assert "Elman RNN (tanh), 2 x 32 units" in first.caption[0].value
    assert first.selectbox(key="l3_unit").value == 3 and first.selectbox(key="l3_layer").value == 1
    assert first.text_area(key="l3_seq").value == "<b>cat</b>"
    assert "h_t[3]" in " ".join(m.value for m in first.markdown)


def test_views_that_follow_the_text_keep_stable_keys(page):
    at = page
    at.text_area(key="l3_seq").set_value("<b>x</b>")
    at.selectbox(key="l3_signal").set_value("position in the line").run()
    assert at.text_area(key="l3_seq").value == "<b>x</b>"  # kept while the text stays
    at.radio(key="l3_source").set_value("Your own text").run()  # another text: its own defaults
    assert errors(at) == []
    assert at.text_area(key="l3_seq").value != "<b>x</b>"
    assert at.selectbox(key="l3_signal").value == "position in the line"  # this text's default
    at.radio(key="l3_source").set_value("Nested markup").run()
    assert at.selectbox(key="l3_signal").value == "tag depth"


def test_presenter_mode_folds_the_prose(open_url, open_page):
    said = "The chain rule of probability turns"
    at = open_url(PAGE, {"present": "true"})
    assert errors(at) == []
    folded = [m.value for e in at.expander for m in e.markdown]
    assert any(said in text for text in folded)
    assert any(text.startswith("The most surprising step") for text in (m.value for m in at.markdown))
    assert not any(text.startswith("The most surprising step") for text in folded)  # results stay in view
    assert len(at.get("plotly_chart")) >= 4 and len(at.metric) == 3
    plain = open_page(PAGE)
    assert not any(said in m.value for e in plain.expander for m in e.markdown)


def test_bad_link_values_run_clean(open_url):
    bad = {
        "l3_source": "zzz", "l3_hidden": "17", "l3_lr": "abc", "l3_clip": "999", "l3_half": "7",
        "l3_temp": "99", "l3_topk": "-1", "l3_length": "1e9", "l3_unit": "unit 999", "l3_layer": "5",
        "l3_ckpt": "300", "l3_signal": "😀", "l3_cell": "",
    }  # fmt: skip
    at = open_url(PAGE, bad)
    assert errors(at) == []
    default = LMSettings()  # the lesson's tuned defaults
    assert (
        at.radio(key="l3_source").value == "Nested markup"
        and at.selectbox(key="l3_cell").value == default.cell
    )
    assert (
        at.slider(key="l3_temp").value == default.temperature
        and at.selectbox(key="l3_signal").value == "tag depth"
    )
    at = open_url(PAGE, {"l3_prime": "😀", "l3_seq": ""})
    assert not at.exception and len(at.error) == 2 and len(at.get("plotly_chart")) >= 2
    at = open_url(PAGE, {"l3_source": "Your own text", "l3_pasted": "   "})
    assert not at.exception and len(at.error) == 1


def test_traces_have_csv_buttons(page):
    shown = [b.proto.id.rsplit("-", 1)[-1] for b in page.get("download_button")]
    assert [k for k in shown if "_csv_" in k] == [
        "l3_csv_steps",
        "l3_csv_sample",
        "l3_csv_units",
        "l3_csv_trace",
        "l3_csv_matches",
    ]


def test_pattern_search_refuses_and_follows_the_selection(page):
    """Section 7: a threshold no unit stays above is refused with a message (the page goes on); another
    selection searches again from its own on set."""
    at = page
    assert at.slider(key="l3_ps_start").value == 1  # the first tag of the markup, '<u>'
    at.select_slider(key="l3_ps_thr").set_value(0.99).run()
    assert not at.exception
    assert any("no unit stays above" in e.value for e in at.error)
    assert len(at.get("plotly_chart")) >= 4  # the other views still draw
    at.select_slider(key="l3_ps_thr").set_value(-0.5)
    at.slider(key="l3_ps_start").set_value(5).run()
    assert errors(at) == []
    said = next(m.value for m in at.markdown if m.value.startswith("Over steps 5 to 7"))
    assert "above θ = -0.5" in said
