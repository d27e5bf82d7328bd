"""Scheduled sampling (rnnviz.seq2seq.sampling): the coins decide each step's input, the schedule
rises as the paper's inverse sigmoid, and the two ends are teacher forcing and free running."""

import math

import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.lessons.attention_lesson import DatesLesson
from rnnviz.seq2seq.sampling import coin_flips, own_probability


@pytest.fixture(scope="module")
def setup():
    lesson = DatesLesson(tokens="words", sampling="scheduled")
    trainer = lesson.trainer()
    batch = trainer.task.batch(16, torch.Generator().manual_seed(3))
    return trainer, batch


def test_no_coin_is_teacher_forcing_and_every_coin_is_free_running(setup):
    trainer, b = setup
    model = trainer.model.eval()
    S = b.y.shape[1]
    with torch.no_grad():
        forced = model.decode(b.x, b.x_mask, S, y=b.y).logits
        never = model.decode(b.x, b.x_mask, S, y=b.y, own=torch.zeros_like(b.y, dtype=torch.bool)).logits
        free = model.decode(b.x, b.x_mask, S).logits
        always = model.decode(b.x, b.x_mask, S, y=b.y, own=torch.ones_like(b.y, dtype=torch.bool)).logits
    torch.testing.assert_close(never, forced, rtol=0, atol=0)
    torch.testing.assert_close(always, free, rtol=0, atol=0)
    assert not torch.equal(forced, free)  # the two ends really differ


def test_the_schedule_is_the_inverse_sigmoid_and_rises():
    k = 50.0
    ps = [own_probability(i, k) for i in range(0, 1001, 10)]
    assert all(a < b for a, b in zip(ps, ps[1:], strict=False))
    # eps_i = k / (k + exp(i / k)); p_own = 1/2 exactly at i = k ln k
    assert own_probability(k * math.log(k), k) == pytest.approx(0.5)
    assert own_probability(0, k) == pytest.approx(1 - k / (k + 1))
    flips = coin_flips(400, k, (2000, 11), seed=0)
    assert flips.float().mean() == pytest.approx(own_probability(400, k), abs=0.02)
    assert torch.equal(flips, coin_flips(400, k, (2000, 11), seed=0))  # seeded: a replay flips the same


def test_training_loss_uses_the_coins_of_its_step_and_counts_steps(setup):
    trainer, b = setup
    model = trainer.model.train()
    step = int(model.sampled_steps)
    loss, metrics = model.loss(b)
    assert int(model.sampled_steps) == step + 1
    own = coin_flips(step, model.cfg.sampling_k, b.y.shape, model.cfg.seed)
    out = model.decode(b.x, b.x_mask, b.y.shape[1], y=b.y, own=own)
    by_hand = torch.nn.functional.cross_entropy(out.logits[b.y_mask], b.y[b.y_mask])
    torch.testing.assert_close(loss, by_hand)
    assert metrics["p_own"] == own_probability(step, model.cfg.sampling_k)
    model.eval()  # held-out loss: teacher forcing, and no step counted
    with torch.no_grad():
        model.loss(b)
    assert int(model.sampled_steps) == step + 1


def test_same_seed_same_training_and_bad_settings_refused():
    a, b = (DatesLesson(tokens="words", sampling="scheduled").trainer() for _ in range(2))
    a.run(3, 60), b.run(3, 60)
    for (ka, va), (kb, vb) in zip(a.model.state_dict().items(), b.model.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)
    assert int(a.model.sampled_steps) == 3
    with pytest.raises(InputError, match="training input"):
        DatesLesson(sampling="sometimes")


def test_the_sentence_follows_the_measured_numbers():
    from rnnviz.seq2seq.exposure import SamplingResult, compare_sampling

    def said(teacher, scheduled):
        return SamplingResult({"teacher": {2: teacher}, "scheduled": {2: scheduled}}, {}, {}).sentence()

    assert "3.0 points better" in said(0.90, 0.93) and "teacher forcing 90.0%" in said(0.90, 0.93)
    assert "2.0 points worse" in said(0.95, 0.93)
    assert "same within half a point" in said(0.95, 0.952)
    from rnnviz.seq2seq.dates import DateTask
    from rnnviz.seq2seq.exposure import SamplingConfig

    tiny = compare_sampling(DateTask(tokens="words", max_words=3), SamplingConfig(steps=4, hidden_size=8))
    assert tiny.steps == {"teacher": 4, "scheduled": 4}
    assert f"{100 * tiny.overall('teacher'):.1f}%" in tiny.sentence()
