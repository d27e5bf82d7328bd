"""What-if editing (rnnviz.seq2seq.whatif): an input edit is a fresh decode of the edited input, a
forced output leaves rows 1..s of alpha as they were and continues free running from the forced token."""

import numpy as np
import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.lessons.attention_lesson import DatesLesson
from rnnviz.seq2seq.trace import trace_date
from rnnviz.seq2seq.whatif import MOVED, edit_input, force_output

TEXT = "the fifth of may nineteen ninety"


@pytest.fixture(scope="module")
def trainer():
    t = DatesLesson(tokens="words").trainer()
    t.run(30, 60)
    return t


def test_an_input_edit_is_the_edited_input_decoded_again(trainer):
    m, task = trainer.model, trainer.task
    w = edit_input(m, task, TEXT, 4, "june")
    again = trace_date(m, task, "the fifth of june nineteen ninety")
    assert w.after.answer == again.answer and w.after.target == "05-06-1990"
    np.testing.assert_array_equal(w.after.alpha, again.alpha)
    np.testing.assert_array_equal(w.before.alpha, trace_date(m, task, TEXT).alpha)
    n = min(len(w.after.alpha), len(w.before.alpha))
    np.testing.assert_array_equal(w.moved[:n], np.abs(w.after.alpha[:n] - w.before.alpha[:n]) >= MOVED)
    assert ("answer stays" in w.sentence()) == (w.before.answer == w.after.answer)


def test_forcing_step_s_keeps_rows_up_to_s_and_continues_from_the_forced_token(trainer):
    m, task = trainer.model, trainer.task
    before = trace_date(m, task, TEXT)
    for s in (1, 3):
        w = force_output(m, task, TEXT, s, "7")
        np.testing.assert_array_equal(w.after.alpha[:s], before.alpha[:s])  # same tokens read up to step s
        assert w.after.out[: s - 1] == before.out[: s - 1] and w.after.out[s - 1] == "7"
        assert not w.moved[:s].any() and (w.first_changed_row() or s + 1) > s
        # from step s + 1: teacher forcing on the forced prefix, then the model's own argmax
        prefix = [task.tgt_vocab.index(t) for t in w.after.out[:s]]
        x = task.encode(TEXT)[None]
        with torch.no_grad():
            mask = torch.ones_like(x, dtype=torch.bool)
            out = m.eval().decode(x, mask, task.max_target_len, y=torch.tensor([prefix]))
        expect = out.tokens[0, s : len(w.after.out)].tolist()
        assert [task.tgt_vocab.index(t) for t in w.after.out[s:]] == expect


def test_bad_edits_are_refused(trainer):
    m, task = trainer.model, trainer.task
    with pytest.raises(InputError):
        edit_input(m, task, TEXT, 99, "june")
    with pytest.raises(InputError):
        edit_input(m, task, TEXT, 1, "bogus")
    with pytest.raises(InputError):
        force_output(m, task, TEXT, 0, "7")
    with pytest.raises(InputError):
        force_output(m, task, TEXT, 1, "<pad>")
