"""Lesson 11 page (pointer networks) under AppTest: it opens, trains both models, refuses bad lists."""

import numpy as np
import pytest

from rnnviz.pointer.evaluate import read
from rnnviz.pointer.story import answer_sentence, length_sentences

PAGE = "11_pointer.py"
SORT_TEXT = "0.62, 0.15, 0.93, 0.41, 0.07"


@pytest.fixture(scope="module")
def page():
    """One page opened through the router for the whole module (each open costs seconds)."""
    from conftest import APP, APPTEST_TIMEOUT
    from streamlit.testing.v1 import AppTest

    import course

    at = AppTest.from_file(str(APP), default_timeout=APPTEST_TIMEOUT).run()
    at = at.switch_page(f"{course.PAGES_DIR.name}/{PAGE}").run()
    assert not at.exception, at.exception
    return at


def trainers(at):
    return at.session_state["l11_trainer"][1], at.session_state["l11_base_trainer"][1]


def markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def shown_sentences_match_the_models(at):
    """The answer sentence, the check answer and the length sentences are those of the live models."""
    pointer, base = trainers(at)
    task = pointer.task
    r = read(pointer.model, task, task.parse(SORT_TEXT), base.model)
    assert any(answer_sentence("pointer network", r.answer, r.target) in m for m in markdown(at))
    q_options = at.radio(key="check_11_pointer.py").options
    answer = at.session_state["check_11_pointer.py_answer"]
    first = int(np.argmax(r.alpha[0]))
    label = q_options[answer]
    assert label.startswith(f"t = {first}:") or (first == 0 and label.startswith("end"))
    frame = at.session_state["l11_lengths"][1]
    for line in length_sentences(frame, task.length, base.model.decoder.W_y.out_features):
        assert line in markdown(at)
    return r, frame


def test_defaults_render_untrained(page):
    at = page
    assert not at.error
    assert len(at.get("plotly_chart")) >= 4  # pointer matrix, the drawn answer, sharpening, accuracy
    pointer, base = trainers(at)
    assert pointer.step == 0 and base.step == 0
    assert base.model.decoder.W_y.out_features == 3 + 5  # <pad>, <sos>, end, positions 1 .. 5
    shown_sentences_match_the_models(at)


def test_train_both_and_the_step_table_is_the_models(page):
    at = page
    at.select_slider(key="l11_steps").set_value(50).run()
    at.button(key="l11_both_train").click().run()
    assert not at.exception and not at.error
    pointer, base = trainers(at)
    assert pointer.step == 50 and base.step == 50
    r, frame = shown_sentences_match_the_models(at)
    table = next(df.value for df in at.dataframe if "alpha_ts" in df.value.columns)
    np.testing.assert_allclose(table["alpha_ts"].to_numpy(float), r.alpha[0], atol=1e-12)
    assert abs(table["alpha_ts"].sum() - 1) < 1e-6
    # longer than n_train = 5: the fixed vocabulary cannot write any answer at T >= 6 (sorting uses all)
    assert (frame[(frame["model"] == "fixed-vocabulary seq2seq") & (frame["T"] > 5)]["writable"] == 0).all()
    assert (frame[frame["model"] == "fixed-vocabulary seq2seq"]["T"] > 5).any()
    assert any("the pointer sharpened" in m or "hardly changed" in m or "flatter" in m for m in markdown(at))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.1, banana, 0.3", "'banana' is not a number"),
        ("", "empty"),
        (" ".join(["0.5"] * 31), "between 2 and 30"),
    ],
)
def test_bad_lists_get_a_clear_message(page, text, message):
    at = page
    at.text_area(key="l11_text_sort").set_value(text).run()
    assert not at.exception
    assert any(message in e.value.replace("\\", "") for e in at.error), [e.value for e in at.error]
    at.text_area(key="l11_text_sort").set_value(SORT_TEXT).run()
    assert not at.error


def test_a_longer_list_than_training_and_the_hull_task(page):
    at = page
    at.text_area(key="l11_text_sort").set_value("0.5 0.4 0.3 0.2 0.1 0.05 0.6").run()
    assert not at.exception and not at.error
    assert any("It **cannot** write this answer: it needs position t = 7" in m for m in markdown(at))
    at.radio(key="l11_task").set_value("hull").run()
    assert not at.exception and not at.error
    pointer, base = trainers(at)
    assert pointer.task.name == "hull" and pointer.step == 0 and pointer.model.cfg.features == 2
    at.text_area(key="l11_text_hull").set_value("0 0; 1 0; 1").run()
    assert any("do not make points" in e.value.replace("\\", "") for e in at.error)


def test_a_training_link_rebuilds_both_models(open_url):
    """'Link to this view' after one click: a fresh session trains both models to the same weights."""
    import torch

    from rnnviz.pointer.lesson import PointerLesson

    at = open_url(PAGE, {"l11_steps": "25", "l11_trained": "25", "l11_base_trained": "25"})
    assert not at.exception and not at.error
    pointer, base = trainers(at)
    assert pointer.step == 25 and base.step == 25
    lesson = PointerLesson()
    for shown, fresh in ((pointer, lesson.trainer()), (base, lesson.baseline_trainer())):
        fresh.run(max_steps=25, max_seconds=600)
        a, b = shown.model.state_dict(), fresh.model.state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a)
