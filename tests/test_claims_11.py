"""Lesson 11's fixed sentences, pinned at the page's defaults and for each task.

Computed sentences (the answers, the sharpening, accuracy by length, the baseline's "cannot write")
are built by rnnviz/pointer/story.py from the numbers shown and tested in test_page_11.py; these are
the sentences the page states without branching on numbers."""

import pytest
import torch

from rnnviz.pointer.lesson import DEFAULT_LENGTH, LENGTHS, PointerLesson
from rnnviz.seq2seq.attention import Attention
from rnnviz.seq2seq.decoder import AttnDecoder


@pytest.mark.parametrize("task", ["sort", "hull"])
def test_both_models_train_on_the_same_seed_and_batches(task):
    """Section 3: 'both models on the same seed and batches'."""
    lesson = PointerLesson(task=task, length=DEFAULT_LENGTH[task])
    a, b = lesson.trainer(), lesson.baseline_trainer()
    x, y = (t.task.batch(t.cfg.batch_size, t.generator) for t in (a, b))
    assert torch.equal(x.x, y.x) and torch.equal(x.y, y.y)


@pytest.mark.parametrize("task", ["sort", "hull"])
def test_the_same_attention_as_lesson_7_and_no_output_layer(task):
    """Section 2: the pointer scores 'exactly as lesson 7's additive attention does' and 'there is no
    output layer'; the baseline uses lesson 7's decoder with 'one row per token': end and 1 .. n."""
    for n in LENGTHS[task]:
        lesson = PointerLesson(task=task, length=n)
        net, base = lesson.trainer().model, lesson.baseline_trainer().model
        assert isinstance(net.attention, Attention) and net.attention.kind == "additive"
        assert not any(
            isinstance(m, torch.nn.Linear) and m.out_features > lesson.hidden_size for m in net.modules()
        )
        assert isinstance(base.decoder, AttnDecoder) and base.decoder.W_y.out_features == 3 + n


def test_sorting_answers_have_t_plus_one_steps_and_use_every_position():
    """Section 1's caption: 'Every answer has T + 1 steps', each position once."""
    for T in (2, 5, 12):
        b = PointerLesson(task="sort", length=T).make_task().batch(50, torch.Generator().manual_seed(T))
        assert b.y.shape == (50, T + 1) and bool(b.y_mask.all())
        assert all(sorted(row[:-1]) == list(range(1, T + 1)) for row in b.y.tolist())
