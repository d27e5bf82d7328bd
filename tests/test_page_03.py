"""Lesson 3 page (char-RNN) under AppTest: defaults, a training click, checkpoints, sampling, bad input."""

import pytest

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
    assert len(at.get("html")) == 3  # coloured texts: surprise of a sequence, of the sample, a unit
    assert metric(at, "Model at training step") == "0"  # training never starts on page load
    bits = float(metric(at, "Held-out bits per character"))
    assert abs(bits - float(metric(at, "Guessing uniformly"))) < 0.5  # untrained: close to uniform
    assert any("untrained" in i.value for i in at.info)
    assert at.selectbox(key="l3_signal_Nested markup").value == "tag depth"


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
    ckpt = at.select_slider(key=f"l3_ckpt_{step}")
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
    at.text_input(key="l3_prime_Nested markup").set_value("<b>").run()
    assert errors(at) == []
    assert "&lt;b&gt;" not in html_texts(at)[1] and "&lt;" in html_texts(at)[1]
    assert html_texts(at)[1] != hotter


def test_bad_input_shows_an_error_and_the_page_goes_on(page):
    at = page
    at.text_input(key="l3_prime_Nested markup").set_value("<b>€").run()
    assert not at.exception
    assert len(at.error) == 1 and "€" in at.error[0].value
    assert len(at.get("plotly_chart")) >= 3  # the other views still draw
    at.text_area(key="l3_seq_Nested markup").set_value("x").run()
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
    assert at.selectbox(key="l3_signal_Python standard library").value == "inside a string"
    at.selectbox(key="l3_cell").set_value("gru")
    at.slider(key="l3_layers").set_value(2).run()
    assert errors(at) == []
    assert at.selectbox(key="l3_layer_2").value == 2
    assert "2 x 128 units" in at.caption[0].value
