"""Lesson 7 backend: attention math, the date and caption tasks, the encoder-decoder, learning."""

import random

import numpy as np
import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.seq2seq.attention import AdditiveScore, Attention, attend, context, dot_scores, masked_softmax
from rnnviz.seq2seq.captions import COLOURS, CaptionConfig, CaptionModel, CaptionTask, shape_mask
from rnnviz.seq2seq.dates import DateTask, cardinal, ordinal, year_words
from rnnviz.seq2seq.evaluate import CompareConfig, accuracy_by_length, compare_attention
from rnnviz.seq2seq.model import Seq2Seq, Seq2SeqConfig
from rnnviz.seq2seq.trace import trace_caption, trace_date
from rnnviz.train import TrainConfig, Trainer


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def padded_inputs(B=4, T=6, H=5, seed=0):
    """Random encoder states, decoder states and a right-padding mask with lengths 6, 4, 2, 1."""
    g = gen(seed)
    e = torch.randn(B, T, H, generator=g, dtype=torch.float64)
    d = torch.randn(B, H, generator=g, dtype=torch.float64)
    lengths = torch.tensor([6, 4, 2, 1])[:B]
    mask = torch.arange(T)[None, :] < lengths[:, None]
    return e, d, mask


# --- attention math -------------------------------------------------------------------------------
def test_weights_sum_to_one_over_the_input_and_are_zero_on_padding():
    e, d, mask = padded_inputs()
    alpha = masked_softmax(dot_scores(e, d), mask)
    torch.testing.assert_close(alpha.sum(1), torch.ones(4, dtype=torch.float64))
    assert (alpha[~mask] == 0).all() and (alpha[mask] > 0).all()
    # whatever sits in the padded positions cannot change the weights of the real tokens
    scores = dot_scores(e, d)
    noisy = torch.where(mask, scores, torch.full_like(scores, 1e6))
    torch.testing.assert_close(masked_softmax(noisy, mask), alpha)
    # on a single real token the weight is exactly 1
    assert alpha[3, 0] == 1


def test_softmax_matches_the_formula():
    e, d, mask = padded_inputs()
    scores = dot_scores(e, d)
    alpha = masked_softmax(scores, mask)
    for b in range(4):
        n = int(mask[b].sum())
        expo = [np.exp(float(scores[b, t])) for t in range(n)]
        np.testing.assert_allclose(alpha[b, :n].numpy(), np.array(expo) / sum(expo), rtol=1e-12)


def test_context_is_the_weighted_sum_of_encoder_states():
    e, d, mask = padded_inputs()
    alpha, c = attend(dot_scores(e, d), e, mask)
    for b in range(4):
        expected = sum(float(alpha[b, t]) * e[b, t] for t in range(e.shape[1]))
        torch.testing.assert_close(c[b], expected)
    torch.testing.assert_close(context(alpha, e), c)


def test_dot_scores_against_direct_transcription():
    e, d, _ = padded_inputs()
    scores = dot_scores(e, d)
    for b in range(4):
        for t in range(6):
            # score_{t,s} = e_t . d_s = sum_k e_t[k] d_s[k]
            assert float(scores[b, t]) == pytest.approx(sum(float(e[b, t, k] * d[b, k]) for k in range(5)))


def test_additive_scores_against_direct_transcription():
    e, d, _ = padded_inputs()
    torch.manual_seed(0)
    scorer = AdditiveScore(hidden_size=5, attn_size=3).double()
    scores = scorer(scorer.project(e), d)
    W_e, W_d, b, v = scorer.W_e.weight, scorer.W_d.weight, scorer.W_d.bias, scorer.v.weight[0]
    for bi in range(4):
        for t in range(6):
            # score_{t,s} = v . tanh(W_e e_t + W_d d_s + b)
            expected = v @ torch.tanh(W_e @ e[bi, t] + W_d @ d[bi] + b)
            torch.testing.assert_close(scores[bi, t], expected)


def test_attention_module_combines_score_softmax_and_context():
    e, d, mask = padded_inputs()
    for kind in ("dot", "additive"):
        attn = Attention(kind, hidden_size=5, attn_size=4).double()
        score, alpha, c = attn(attn.prepare(e), e, mask, d)
        torch.testing.assert_close(alpha, masked_softmax(score, mask))
        torch.testing.assert_close(c, context(alpha, e))
    with pytest.raises(InputError):
        Attention("cosine", 5)


# --- the date task --------------------------------------------------------------------------------
def test_number_words():
    assert cardinal(21) == ("twenty", "one") and cardinal(13) == ("thirteen",) and cardinal(40) == ("forty",)
    assert (
        ordinal(21) == ("twenty", "first") and ordinal(30) == ("thirtieth",) and ordinal(12) == ("twelfth",)
    )
    assert year_words(1905) == ("nineteen", "oh", "five") and year_words(1900) == ("nineteen", "hundred")
    assert year_words(2021) == ("two", "thousand", "twenty", "one") and year_words(2000) == (
        "two",
        "thousand",
    )


@pytest.mark.parametrize(
    "text, target",
    [
        ("twenty one march", "21-03"),
        ("monday the twenty first of march two thousand five", "21-03-2005"),
        ("first march nineteen oh five", "01-03-1905"),
        ("Thirtieth, December nineteen ninety nine", "30-12-1999"),
        ("twenty march", "20-03"),
        ("twenty nine february two thousand four", "29-02-2004"),
    ],
)
def test_parse_gives_the_correct_target(text, target):
    assert DateTask().parse(text) == target


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "type a date"),
        ("twenty one marhc", "did you mean march"),
        ("march twenty one", "does not start with a day"),
        ("thirty first april", "april has no day 31"),
        ("twenty nine february two thousand five", "no day 29 in 2005"),
        ("twenty one march two", "not a year"),
    ],
)
def test_bad_text_is_an_input_error_a_student_can_act_on(text, fragment):
    with pytest.raises(InputError, match=fragment):
        DateTask().parse(text)


@pytest.mark.parametrize("tokens", ["words", "chars"])
def test_batches_round_trip_and_are_deterministic(tokens):
    task = DateTask(min_words=2, max_words=10, tokens=tokens)
    pairs = task.pairs(300, gen(1))
    assert {len(ws) for ws, _ in pairs} == set(range(2, 11))  # every length in the range occurs
    for ws, target in pairs:
        assert task.parse(" ".join(ws)) == target  # the generator and the parser agree
    batch = task.collate(pairs[:50])
    for b, (ws, target) in enumerate(pairs[:50]):
        ids = batch.x[b][batch.x_mask[b]]
        assert [task.src_vocab[i] for i in ids] == task.src_tokens(ws)
        assert task.decode(batch.y[b]) == target
        assert int(batch.y_mask[b].sum()) == len(target) + 1  # the characters and <eos>
    again = task.batch(32, gen(7))
    torch.testing.assert_close(task.batch(32, gen(7)).x, again.x)
    assert not torch.equal(task.batch(32, gen(8)).x, again.x)
    assert task.examples() == task.examples() != DateTask(tokens=tokens, seed=1).examples()


def test_fixed_length_batches_and_range_checks():
    task = DateTask(tokens="words")
    assert (task.batch(40, gen(), length=7).x_mask.sum(1) == 7).all()
    with pytest.raises(InputError):
        DateTask(min_words=5, max_words=3)
    with pytest.raises(InputError):
        DateTask(max_words=11)


# --- the encoder-decoder --------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("kind", ["none", "dot", "additive"])
def test_padding_does_not_change_any_output(cell, kind):
    task = DateTask(tokens="words")
    model = Seq2Seq(Seq2SeqConfig.for_task(task, cell=cell, attention=kind, hidden_size=16, embed_dim=8))
    batch = task.batch(6, gen(3))
    out = model.decode(batch.x, batch.x_mask, steps=batch.y.shape[1], y=batch.y)
    for b in range(6):
        n = int(batch.x_mask[b].sum())
        alone = model.decode(
            batch.x[b : b + 1, :n], batch.x_mask[b : b + 1, :n], batch.y.shape[1], batch.y[b : b + 1]
        )
        torch.testing.assert_close(out.logits[b], alone.logits[0], atol=1e-5, rtol=1e-5)
        if kind != "none":
            assert (out.alpha[b, :, n:] == 0).all()
            torch.testing.assert_close(out.alpha[b].sum(-1), torch.ones(batch.y.shape[1]))
            torch.testing.assert_close(out.c[b], torch.einsum("st,th->sh", out.alpha[b], out.e[b]))


def test_free_running_feeds_its_own_guesses():
    task = DateTask(tokens="words")
    model = Seq2Seq(Seq2SeqConfig.for_task(task, hidden_size=16, embed_dim=8))
    batch = task.batch(5, gen(4))
    free = model.decode(batch.x, batch.x_mask, steps=8)
    # teacher forcing with the model's own predictions as the "targets" must reproduce free running
    forced = model.decode(batch.x, batch.x_mask, steps=8, y=free.tokens)
    torch.testing.assert_close(forced.logits, free.logits)
    # with the true targets instead, the inputs (and so the outputs) differ
    true_forced = model.decode(batch.x, batch.x_mask, steps=batch.y.shape[1], y=batch.y)
    assert not torch.allclose(true_forced.logits[:, 1:8], free.logits[:, 1 : batch.y.shape[1]])


def test_same_seed_same_weights():
    task = DateTask()
    a, b, c = (Seq2Seq(Seq2SeqConfig.for_task(task, seed=s)) for s in (0, 0, 1))
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters(), strict=True))
    with pytest.raises(InputError):
        Seq2SeqConfig.for_task(task, attention="cosine")


def test_trace_of_typed_text():
    task = DateTask(tokens="words")
    model = Seq2Seq(Seq2SeqConfig.for_task(task, attention="additive", hidden_size=16))
    tr = trace_date(model, task, "the first of may")
    assert tr.src == ["the", "first", "of", "may"] and tr.target == "01-05"
    assert tr.alpha.shape == (len(tr.out), 4) and tr.score.shape == tr.alpha.shape
    np.testing.assert_allclose(tr.alpha.sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(tr.c, tr.alpha @ tr.e, rtol=1e-4, atol=1e-6)
    forced = trace_date(model, task, "the first of may", teacher_forcing=True)
    assert len(forced.out) == len("01-05") + 1 and forced.teacher_forced
    with pytest.raises(InputError, match="no correct answer"):
        trace_date(model, task, "may may", teacher_forcing=True)
    assert trace_date(model, task, "may may").target is None


@pytest.fixture
def one_thread():
    """Tiny models train faster on one thread, and far faster when the machine is busy."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_the_model_learns_short_dates(one_thread):
    """Fixed seed, 150 steps of batch 32 (a few seconds): >= 85% exact match at every length 2-3."""
    task = DateTask(min_words=2, max_words=3, tokens="words")
    model = Seq2Seq(Seq2SeqConfig.for_task(task, attention="dot", hidden_size=32, embed_dim=16))
    assert max(accuracy_by_length(model, task, 100, seed=1).values()) < 0.05  # untrained: nothing right
    trainer = Trainer(model, task, TrainConfig(lr=1e-2, batch_size=32, checkpoint_every=0))
    result = trainer.run(150, 120)
    assert result.steps == 150, result.message
    accuracy = accuracy_by_length(model, task, 200, seed=1)
    assert min(accuracy.values()) >= 0.85, accuracy


def test_compare_attention_shape(one_thread):
    task = DateTask(min_words=2, max_words=4, tokens="words")
    cfg = CompareConfig(kinds=("none", "dot"), hidden_size=8, steps=3, n_per_length=10, batch_size=8)
    result = compare_attention(task, cfg)
    assert set(result["curves"]) == {"none", "dot"} and result["steps"] == {"none": 3, "dot": 3}
    for curve in result["curves"].values():
        assert sorted(curve) == [2, 3, 4] and all(0 <= v <= 1 for v in curve.values())
    assert compare_attention(task, cfg)["curves"] == result["curves"]  # same seed, same numbers


# --- image captions -------------------------------------------------------------------------------
def test_caption_images_and_captions_agree():
    task = CaptionTask(grid=3, cell_px=10)
    rng = random.Random(0)
    for _ in range(50):
        objs, words = task.sample(rng)
        image = task.render(objs)
        by_cell = {cell: (colour, shape) for cell, colour, shape in objs}
        (a, b) = sorted(by_cell, key=lambda cell: (cell % 3, cell // 3))
        assert words[:2] == list(by_cell[a]) and words[-2:] == list(by_cell[b])
        assert words[2:-2] == (["left", "of"] if a % 3 != b % 3 else ["above"])
        for cell, (colour, shape) in by_cell.items():
            r, c = divmod(cell, 3)
            patch = image[r * 10 : (r + 1) * 10, c * 10 : (c + 1) * 10]
            np.testing.assert_allclose(
                patch[shape_mask(shape, 10)], np.tile(COLOURS[colour], (shape_mask(shape, 10).sum(), 1))
            )
        # cell t of the encoder input is exactly that block of the image
        x = task.patches(image[None])[0]
        r, c = divmod(a, 3)
        np.testing.assert_allclose(
            x[a].numpy(), (image[r * 10 : (r + 1) * 10, c * 10 : (c + 1) * 10] - 0.96).ravel(), atol=1e-6
        )


def test_caption_model_attends_over_cells():
    task = CaptionTask()
    model = CaptionModel(CaptionConfig.for_task(task, attention="additive"))
    loss, metrics = model.loss(task.batch(8, gen()))
    assert loss.item() > 0 and 0 <= metrics["acc"] <= 1
    image, words = task.example(3)
    tr = trace_caption(model, task, image, words)
    assert tr.alpha.shape == (len(tr.out), 9) and tr.src[0] == "0,0" and tr.target == " ".join(words)
    np.testing.assert_allclose(tr.alpha.sum(1), 1, rtol=1e-5)
    assert np.array_equal(task.example(3)[0], image)  # fixed examples are fixed


def test_an_unknown_word_message_names_a_few_each_cut_never_the_whole_paste():
    with pytest.raises(InputError) as long_word:
        DateTask().words("twenty " + "x" * 380)
    assert "x" * 61 not in str(long_word.value) and "(and 320 more characters)" in str(long_word.value)
    with pytest.raises(InputError) as many:
        DateTask().words(" ".join(f"q{i}" for i in range(9)) + " q0")  # q0 twice: named once
    message = str(many.value)
    assert "'q4' and 4 more." in message and "'q5'" not in message and message.count("'q0'") == 1
