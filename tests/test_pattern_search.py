"""Lesson 3's pattern search (LSTMVis) and the separating unit, on synthetic states and a tiny model."""

import numpy as np
import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.lessons import charlm as lm
from rnnviz.lessons import pattern_finding as pf
from rnnviz.lessons import pattern_search as ps


def planted(n=2000, H=16, seed=0):
    """Noise in (-0.4, 0.4), with units 3, 7, 11 at 0.9 together on planted spans of 5 characters."""
    rng = np.random.default_rng(seed)
    h = rng.uniform(-0.4, 0.4, size=(n, H)).astype(np.float16)
    spans = [(100, 105), (400, 405), (1234, 1239), (1900, 1905)]
    for a, b in spans:
        h[a:b, [3, 7, 11]] = 0.9
    return h, spans


def text_of(n):
    return ("abcdefghij" * (n // 10 + 1))[:n]


def test_a_planted_pattern_is_found_exactly():
    h, spans = planted()
    res = ps.search(h, text_of(len(h)), *spans[0], 0.5)
    assert res.units.tolist() == [3, 7, 11]
    found = sorted((m.start, m.stop) for m in res.matches)
    assert found == spans[1:]  # every other planted span, and nothing else; the selection excluded
    assert res.n_matches == 3 and all(m.score == 1.0 and m.extra == 0 and m.length == 5 for m in res.matches)
    assert res.matched_mask.sum() == 15 and res.matched_mask[400:405].all()
    m = next(m for m in res.matches if m.start == 400)
    assert m.text == text_of(2000)[400:405] and m.left == text_of(2000)[380:400]


def test_ranking_extra_units_cost_and_length_breaks_ties():
    h, spans = planted()
    h[1234:1239, 5] = 0.9  # one extra unit on throughout this match: score (3 - 1) / 3
    h[1900:1902, 9] = 0.9  # on for part of the match only: no cost
    h[1500:1503, [3, 7, 11]] = 0.9  # a shorter perfect match (3 characters)
    res = ps.search(h, text_of(len(h)), *spans[0], 0.5)
    got = [(m.start, round(m.score, 4)) for m in res.matches]
    assert got == [(400, 1.0), (1900, 1.0), (1500, 1.0), (1234, round(2 / 3, 4))]
    assert res.matches[3].kept == 3 and res.matches[3].extra == 1
    assert res.frame()["rank"].tolist() == [1, 2, 3, 4]
    assert res.frame()["first step t"].tolist()[0] == 401  # steps print from 1
    # a looser search: 2 of the 3 units on are enough
    h[700:704, [3, 7]] = 0.9
    loose = ps.search(h, text_of(len(h)), *spans[0], 0.5, min_share=0.6)
    m = next(m for m in loose.matches if m.start == 700)
    assert m.kept == 2 and m.score == pytest.approx(2 / 3)
    assert all(m.start != 700 for m in ps.search(h, text_of(len(h)), *spans[0], 0.5).matches)


def test_the_same_search_by_a_python_loop():
    """The vectorised search equals the definition written out step by step (small random states)."""
    rng = np.random.default_rng(3)
    h = np.tanh(rng.normal(size=(300, 6)) + np.sin(np.arange(300) / 7)[:, None]).astype(np.float16)
    text, thr = text_of(300), 0.2
    start, stop = next((a, a + 2) for a in range(300) if (h[a : a + 2] > thr).all(axis=0).any())
    units = [j for j in range(6) if all(h[t, j] > thr for t in range(start, stop))]
    assert units
    res = ps.search(h, text, start, stop, thr)
    want, t = [], 0
    while t < 300:
        if all(h[t, j] > thr for j in units):
            a = t
            while t < 300 and all(h[t, j] > thr for j in units):
                t += 1
            if not (a < stop and t > start):
                V = [j for j in range(6) if all(h[s, j] > thr for s in range(a, t))]
                kept, extra = len(set(V) & set(units)), len(set(V) - set(units))
                want.append((a, t, (kept - extra) / len(units)))
        else:
            t += 1
    assert res.units.tolist() == units and res.n_matches == len(want)
    ranked = sorted(want, key=lambda m: (-m[2], abs(m[1] - m[0] - (stop - start)), m[0]))
    assert [(m.start, m.stop, m.score) for m in res.matches] == ranked[: ps.MAX_MATCHES]


def test_bad_queries_are_refused_clearly():
    h, spans = planted()
    text = text_of(len(h))
    with pytest.raises(InputError, match="no unit stays above"):
        ps.search(h, text, 10, 15, 0.5)  # only noise there: an empty on set
    with pytest.raises(InputError, match="within steps 1 to 2,000"):
        ps.search(h, text, 1995, 2005, 0.5)
    with pytest.raises(InputError, match="end at or after"):
        ps.search(h, text, 50, 50, 0.5)
    with pytest.raises(InputError, match="at most 40"):
        ps.search(h, text, 0, 41, -0.9)
    for bad in (1.0, -1.5, float("nan"), "0.5"):
        with pytest.raises(InputError, match="between -1 and 1"):
            ps.search(h, text, *spans[0], bad)
    with pytest.raises(InputError, match="characters but h has"):
        ps.search(h, text[:-1], *spans[0], 0.5)
    with pytest.raises(InputError, match=r"\(0, 1\]"):
        ps.search(h, text, *spans[0], 0.5, min_share=0)


def test_default_threshold_keeps_the_on_set_non_empty():
    h, spans = planted()
    thr = ps.default_threshold(h, *spans[0])
    assert thr in ps.THRESHOLDS and thr == 0.89  # the highest slider value under 0.9
    assert ps.on_set(h, *spans[0], thr).tolist() == [3, 7, 11]
    two = ps.default_threshold(h, *spans[0], least=4)  # a 4th unit: the noise's highest floor
    assert (
        len(ps.on_set(h, *spans[0], two)) >= 4
        and len(ps.on_set(h, *spans[0], two + 0.01)) < 4
        or two == -0.99
    )


def test_the_separating_unit_and_its_cut():
    rng = np.random.default_rng(1)
    mask = rng.random(3000) < 0.3
    h = rng.uniform(-1, 1, size=(3000, 8)).astype(np.float32)
    h[:, 5] = np.where(mask, -0.6, 0.2) + rng.normal(0, 0.05, 3000)  # unit 5: low inside
    h[:, 2] = np.where(mask, 0.3, -0.1) + rng.normal(0, 0.3, 3000)  # unit 2: high inside, noisy
    sep = pf.separating_unit(h, mask)
    assert sep.unit == 5 and not sep.above and -0.6 < sep.threshold < 0.2
    assert sep.balanced_accuracy == 1.0
    # the shares are what the cut does, counted directly
    below = h[:, 5] < sep.threshold
    assert sep.inside_hit == below[mask].mean() and sep.outside_hit == (~below)[~mask].mean()
    h[:, 5] = rng.uniform(-1, 1, 3000)
    sep2 = pf.separating_unit(h, mask)
    above = h[:, 2] > sep2.threshold
    assert sep2.unit == 2 and sep2.above
    assert sep2.balanced_accuracy == pytest.approx((above[mask].mean() + (~above)[~mask].mean()) / 2)
    best = max(  # no cut of any unit does better (brute force over the midpoints)
        (np.mean((h[:, j] > c)[mask]) + np.mean((h[:, j] <= c)[~mask])) / 2
        for j in range(8)
        for c in np.unique(h[:, j])[::50]
    )
    assert sep2.balanced_accuracy >= max(best, 1 - best) - 1e-12
    with pytest.raises(InputError, match="never changes"):
        pf.separating_unit(h, np.zeros(3000, bool))


def test_regions_and_the_markup_mask():
    assert pf.inside_tag("<b>x</b>\n").tolist() == [1, 1, 1, 0, 1, 1, 1, 1, 0]
    r = pf.region_for("<p>hi</p>\n", "inside a tag")
    assert r.name == "inside a tag" and r.span == (0, 3)
    r = pf.region_for("x = 'abc'\ny = 2\n", "inside a tag")  # no tag: the string instead
    assert r.name == "inside a string" and r.span == (4, 9)
    assert pf.region_for("plain words only\n") is None


def test_states_equal_one_pass_of_the_model():
    text = lm.builtin_text(lm.MARKUP)[:2500]
    s = lm.LMSettings(hidden_size=16, num_layers=2, seq_len=16)
    trainer = lm.build_trainer(text, s, seed=0)
    ids = trainer.task.encode(text)
    old, ps.CHUNK = ps.CHUNK, 700  # chunks with the state carried = one pass
    try:
        h = ps.text_states(trainer.model, ids)
        h0 = ps.text_states(trainer.model, ids, layer=0)
    finally:
        ps.CHUNK = old
    whole = lm.hidden_states(trainer.model, ids)
    assert h.dtype == np.float16 and h.shape == (2500, 16)
    np.testing.assert_allclose(h, whole[1], atol=1e-3)
    np.testing.assert_allclose(h0, whole[0], atol=1e-3)
    key = ps.states_key(trainer.model, "markup", 2500)
    with torch.no_grad():
        trainer.model.head.bias[0] += 1
    assert ps.states_key(trainer.model, "markup", 2500) != key
    with pytest.raises(InputError, match="layer must be 1 to 2"):
        ps.text_states(trainer.model, ids, layer=2)
