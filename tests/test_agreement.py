"""The agreement task (lesson 6) and its backend: labels, distractor numbers, determinism, the number
units, the update gate story and the clamp, checked against the models' own numbers."""

import numpy as np
import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.lessons import agreement_story as story
from rnnviz.lessons.agreement import AgreementLesson, accuracy_by_length
from rnnviz.lessons.agreement_clamp import clamp_number, clamp_table, run_clamped, swapped, weakest
from rnnviz.lessons.agreement_units import correlations, gate_story, ideal_gate, number_units
from rnnviz.tasks.agreement import NUMBER, TEMPLATES, VERBS, Agreement, clause, parse
from rnnviz.tasks.base import PAD, Rng
from rnnviz.trace import trace

S = "the cat which already ate the mice near the dogs"


def rows(task, n=400, seed=3):
    b = task.batch(n, torch.Generator().manual_seed(seed))
    return b, [task.decode(b.x[i]).split() for i in range(n)]


def test_labels_are_the_subjects_number_for_every_template():
    task = Agreement(min_length=3, max_length=14, attractors=0.5)
    b, sentences = rows(task, 600)
    seen = set()
    for words, y in zip(sentences, b.y.tolist(), strict=True):
        assert words[0] == "the" and NUMBER[words[1]] == y  # the subject is word 2; y is its number
        assert 3 <= len(words) - 2 <= 14
        p = parse(words)
        assert (p.subject, p.number) == (1, y)
        tense = "past" if words[2] in ("which",) or (words[2] == "that" and words[3] == "the") else "present"
        assert p.tense == tense and p.verb == VERBS[tense][y]
        seen.add(next(k for k, t in enumerate(TEMPLATES) if words[2] == t[0] and (k != 1 or words[3] == "the")
                      and (k != 2 or words[3] in ("can", "will"))))  # fmt: skip
    assert seen == set(range(len(TEMPLATES)))
    assert 0.4 < b.y.float().mean() < 0.6  # both numbers drawn


@pytest.mark.parametrize("attractors", [0.0, 0.5, 1.0])
def test_distractor_nouns_have_the_opposite_number_as_configured(attractors):
    _, sentences = rows(Agreement(min_length=10, max_length=20, attractors=attractors), 300)
    parsed = [parse(w) for w in sentences]
    nouns = sum(len(p.clause_numbers) for p in parsed)
    opposite = sum(p.attractors for p in parsed) / nouns
    assert nouns >= 600
    if attractors in (0.0, 1.0):
        assert opposite == attractors
    else:
        assert 0.45 < opposite < 0.55


@pytest.mark.parametrize("length", [3, 4, 7, 11, 40])
def test_every_clause_has_exactly_its_length(length):
    rng = Rng(1)
    for _ in range(50):
        assert len(clause(rng, length, 0, 0.5)) == length
    b = Agreement().with_length(length).batch(20, torch.Generator().manual_seed(0))
    assert b.x.shape[1] == length + 2 and not (b.x == 0).any()  # one length: no padding


def test_batches_are_deterministic_per_seed_and_differ_between_seeds():
    task = Agreement(seed=4)
    a, b = (task.batch(32, torch.Generator().manual_seed(9)) for _ in range(2))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert torch.equal(task.example(2).x, Agreement(seed=4).example(2).x)
    assert not torch.equal(task.example(0).x, Agreement(seed=5).example(0).x)
    shorter = task.batch(32, torch.Generator().manual_seed(10))
    assert (shorter.x[:, 0] == 0).any()  # left padding with PAD
    assert task.vocab[0] == PAD


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "empty"), ("   ", "empty"), ("the cat was", "leave out the verb"), ("the unicorn", "unicorn")],
)
def test_bad_sentences_get_a_clear_message(text, says):
    with pytest.raises(InputError, match=says):
        Agreement().encode(text)


@pytest.mark.parametrize(
    "knobs",
    [dict(min_length=2), dict(min_length=8, max_length=5), dict(attractors=1.5), dict(attractors="a")],
)
def test_bad_settings_are_refused(knobs):
    with pytest.raises(InputError):
        Agreement(**knobs)


def test_correlations_are_pearsons_r():
    g = np.random.default_rng(0)
    s = g.integers(0, 2, 200)
    h = np.c_[s + g.normal(0, 0.5, 200), g.normal(size=200), -s + 0.0 * g.normal(size=200), np.ones(200)]
    r = correlations(h, s)
    for j in range(3):
        assert r[j] == pytest.approx(np.corrcoef(h[:, j], s)[0, 1], abs=1e-12)
    assert r[3] == 0.0  # a constant unit carries nothing


@pytest.fixture(scope="module")
def trained():
    """The page's three models after one click's budget (150 steps)."""
    out = {}
    for cell in ("gru", "lstm", "rnn_tanh"):
        trainer = AgreementLesson(cell=cell).trainer()
        trainer.run(150, 60)
        out[cell] = trainer
    return out


def test_trained_gru_and_lstm_carry_the_number_and_the_rnn_does_not(trained):
    task = AgreementLesson().task()
    for cell in ("gru", "lstm"):
        found = number_units(trained[cell].model, task)
        assert found.clear and all(abs(found.r[j]) >= 0.5 for j in found.units)
        assert list(np.abs(found.r[list(found.units)])) == sorted(
            np.abs(found.r[list(found.units)]), reverse=True
        )
        curve = accuracy_by_length(trained[cell].model, task)
        assert min(curve.values()) > 0.95
    rnn = accuracy_by_length(trained["rnn_tanh"].model, task)
    assert max(rnn.values()) < 0.7


def test_accuracy_by_length_counts_right_verbs(trained):
    model, task = trained["lstm"].model, AgreementLesson().task()
    curve = accuracy_by_length(model, task, lengths=(6,), n=50)
    fixed = task.with_length(6)
    b = fixed.batch(50, fixed.generator(104_729 + 6), split="val")
    right = sum(int(np.argmax(trace(model, b.x[i]).probs) == int(b.y[i])) for i in range(50))
    assert curve[6] == pytest.approx(right / 50)


def test_the_gate_story_is_the_traces_z_and_its_product(trained):
    model, task = trained["gru"].model, AgreementLesson().task()
    found = number_units(model, task)
    g = gate_story(model, task, S, found.units)
    z = trace(model, task.encode(S)).layer(0).gates["z"][:, list(found.units)].astype(np.float64)
    assert g.subject == 2 and np.array_equal(g.z, z)
    assert np.allclose(g.kept, np.prod(z[2:], axis=0), rtol=0, atol=1e-15)  # prod_{t=3}^{T} z_t,j
    assert np.array_equal(ideal_gate(4, 2), np.array([np.nan, 0.0, 1.0, 1.0]), equal_nan=True)
    assert g.frame()["ideal z_t"].tolist()[1:] == [0.0] + [1.0] * 8
    text = story.gate_sentence(g, found.clear)
    assert f"{g.z[1].min():.2f}" in text and f"averages {g.z[2:].mean():.2f}" in text
    q = story.gate_question(g, found.clear)
    assert q.answer == story.zone(float(g.z[2:].mean()))
    with pytest.raises(InputError, match="no subject"):
        gate_story(model, task, "near the", found.units)


def test_an_empty_clamp_table_replays_the_model(trained):
    for cell, trainer in trained.items():
        x = AgreementLesson().task().encode(S)
        h, c, probs = run_clamped(trainer.model, x, {})
        tr = trace(trainer.model, x)
        assert np.allclose(h, tr.layer(0).h, atol=1e-6) and np.allclose(probs, tr.probs, atol=1e-6), cell
        if cell == "lstm":
            assert np.allclose(c, tr.layer(0).c, atol=1e-6)


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn_tanh"])
@pytest.mark.parametrize("where", ["all", "subject"])
def test_the_clamp_makes_the_units_hold_the_other_numbers_states(trained, cell, where):
    model, task = trained[cell].model, AgreementLesson().task()
    units = number_units(model, task).units
    out = clamp_number(model, task, S, units, where)
    x_other, s = swapped(task, task.encode(S))
    assert task.decode(x_other).split()[1] == "cats" and s == 1
    other = trace(model, x_other).layer(0)
    free = trace(model, task.encode(S)).layer(0)
    stop = len(x_other) if where == "all" else s + 1
    assert np.allclose(out.h_clamped[s:stop][:, list(units)], other.h[s:stop][:, list(units)], atol=1e-6)
    assert np.allclose(out.h_clamped[:s], free.h[:s], atol=1e-7)  # before the subject: untouched
    table = clamp_table(cell, trace(model, x_other), units, s, stop)  # the gates the docstring names
    assert set(table) == {"rnn_tanh": {"h"}, "gru": {"z", "n"}, "lstm": {"f", "i", "g", "o"}}[cell]
    assert int(table[next(iter(table))][1].sum()) == len(units) * (stop - s)  # only those units and steps
    # p(plural) = softmax(W_hy h_T + b_y)_1, float64 from the clamped h_T
    W, b = (p.detach().double().numpy() for p in (model.head.weight, model.head.bias))
    logits = W @ out.h_clamped[-1].astype(np.float64) + b
    assert out.p_clamped == pytest.approx(float(np.exp(logits[1]) / np.exp(logits).sum()), abs=1e-6)


def test_clamping_the_gru_and_lstm_number_units_flips_the_verb(trained):
    task = AgreementLesson().task()
    for cell in ("gru", "lstm"):
        model = trained[cell].model
        found = number_units(model, task)
        out = clamp_number(model, task, S, found.units, "all")
        assert out.p_plural < 0.5 and out.p_other > 0.5 and out.flipped
        control = clamp_number(model, task, S, weakest(found.r, len(found.units)))
        text = story.clamp_sentence(cell, out, control, float(np.abs(found.r[list(control.units)]).max()))
        assert "flips" in text and f"{out.p_clamped:.3f}" in text
