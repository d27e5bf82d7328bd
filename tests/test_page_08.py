"""Lesson 8 page (word embeddings) under AppTest: defaults, analogies, unknown words, transfer run."""

import pytest

PAGE = "08_embeddings.py"


def texts(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def table(at, column: str) -> list:
    """A column of the transfer results table (the last dataframe on the page)."""
    return at.dataframe[-1].value[column].tolist()


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert not at.exception, at.exception
    return at


def test_defaults_render_with_live_numbers(page):
    at = page
    assert not at.error
    assert len(at.get("plotly_chart")) >= 9
    assert "man : woman :: king : **queen**" in texts(at)
    # untrained classifiers are shown with real numbers before anyone trains
    assert table(at, "steps") == [0, 0, 0]
    assert len(at.metric) == 3 and all(0 <= float(m.value) <= 1 for m in at.metric)


def test_preset_and_free_analogy(page):
    at = page
    capital = next(o for o in at.selectbox(key="l8_preset").options if o.startswith("capital"))
    at.selectbox(key="l8_preset").set_value(capital).run()
    assert [at.text_input(key=f"l8_{k}").value for k in "abc"] == ["france", "paris", "japan"]
    assert "france : paris :: japan : **tokyo**" in texts(at)
    # free text, with capitals and stray spaces
    at.text_input(key="l8_a").set_value(" Paris")
    at.text_input(key="l8_b").set_value("FRANCE ")
    at.text_input(key="l8_c").set_value("rome").run()
    assert not at.exception and not at.error
    assert "paris : france :: rome : **italy**" in texts(at)
    assert at.selectbox(key="l8_preset").value == "your own words"


def test_unknown_word_shows_error_with_suggestions(page):
    at = page
    at.text_input(key="l8_c").set_value("kingg").run()
    assert not at.exception
    assert len(at.error) == 1 and "Did you mean" in at.error[0].value and "king" in at.error[0].value
    at.text_input(key="l8_u").set_value("").run()
    assert not at.exception and len(at.error) == 2
    at.text_input(key="l8_c").set_value("king").run()
    at.text_input(key="l8_u").set_value("cat").run()
    assert not at.error and "**queen**" in texts(at)


def test_one_hot_demo_with_glove_rows(page):
    at = page
    at.radio(key="l8_table").set_value("pretrained GloVe").run()
    assert not at.exception and not at.error
    at.text_input(key="l8_vocab").set_value("cat").run()
    assert len(at.error) == 1 and "at least 2" in at.error[0].value


def test_transfer_training_run(page):
    at = page
    before = [m.value for m in at.metric]
    at.slider(key="l8_n_train").set_value(40)
    at.slider(key="l8_steps").set_value(10).run()
    at.button(key="l8_train").click().run()
    assert not at.exception and not at.error
    assert table(at, "steps") == [10, 10, 10]
    assert [m.value for m in at.metric] != before  # the models changed
    at.button(key="l8_continue").click().run()
    assert table(at, "steps") == [20, 20, 20]
    at.text_input(key="l8_review").set_value("the plot was superb").run()
    assert not at.exception and len(at.error) == 1 and "superb" in at.error[0].value
    at.button(key="l8_reset").click().run()
    assert table(at, "steps") == [0, 0, 0]
