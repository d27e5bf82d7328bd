"""Every lesson's closing check question: a wrong answer gets its hint and marks nothing; the right
answer explains why and marks the lesson done for this session (the home page lists it)."""

import pytest

from ui.lesson import DONE_KEY

FILES = [
    "01_why_recurrence.py",
    "02_elman_rnn.py",
    "03_char_lm.py",
    "04_gradients.py",
    "05_lstm.py",
    "06_gru.py",
    "07_attention.py",
    "08_embeddings.py",
    "10_rnns_today.py",
]


@pytest.mark.parametrize("file", FILES)
def test_check_question_gives_feedback_and_marks_the_lesson_done(open_page, file):
    at = open_page(file)
    key = f"check_{file}"
    right = at.session_state[f"{key}_answer"]  # the page computes it from its live model
    options = at.radio(key=key).options
    assert len(options) >= 2 and 0 <= right < len(options)
    wrong = next(i for i in range(len(options)) if i != right)
    at.radio(key=key).set_value(wrong).run()
    assert not at.exception and not at.success
    (error,) = [e for e in at.error if e.value.startswith("Not quite.")]
    assert len(error.value) > len("Not quite. ")  # a hint follows
    assert file not in at.session_state[DONE_KEY] if DONE_KEY in at.session_state else True
    at.radio(key=key).set_value(right).run()
    assert not at.exception and not [e for e in at.error if e.value.startswith("Not quite.")]
    assert any(s.value.startswith("Right.") for s in at.success)
    assert file in at.session_state[DONE_KEY]
