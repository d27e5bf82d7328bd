"""Every lesson's closing check question: a wrong answer gets its hint and marks nothing; the right
answer explains why and marks the lesson done for this session (the home page lists it)."""

import pytest

from ui.lesson import DONE_KEY

# page file, a wrong option, words of the hint that option gets, the right option
CHECKS = [
    ("01_why_recurrence.py", 0, "fully connected network", 1),
    ("02_elman_rnn.py", 2, "Not quite", 1),
    ("03_char_lm.py", 0, "Not quite", 1),
    ("04_gradients.py", 3, "Not quite", 1),
    ("05_lstm.py", 1, "f_t \\approx 0", 0),
    ("06_gru.py", 1, "old", 0),
    ("07_attention.py", 3, "no softmax over the input", 0),
    ("08_embeddings.py", 3, "Frozen rows never change", 0),
]


@pytest.mark.parametrize(("file", "wrong", "hint", "right"), CHECKS, ids=[c[0] for c in CHECKS])
def test_check_question_gives_feedback_and_marks_the_lesson_done(open_page, file, wrong, hint, right):
    at = open_page(file)
    at.radio(key=f"check_{file}").set_value(wrong).run()
    assert not at.exception and len(at.error) == 1 and not at.success
    assert at.error[0].value.startswith("Not quite.") and hint in at.error[0].value
    assert file not in at.session_state[DONE_KEY] if DONE_KEY in at.session_state else True
    at.radio(key=f"check_{file}").set_value(right).run()
    assert not at.exception and not at.error
    assert any(s.value.startswith("Right.") for s in at.success)
    assert file in at.session_state[DONE_KEY]
