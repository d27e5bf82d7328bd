"""Beam search (rnnviz.seq2seq.beam): k = 1 is the greedy decoder, a wide enough beam finds the
brute-force best sequence, bad widths are refused, and the search tree's winner is its best."""

import itertools

import numpy as np
import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.lessons.attention_lesson import DatesLesson
from rnnviz.seq2seq.beam import MAX_WIDTH, beam_search, search_tree
from rnnviz.seq2seq.model import Seq2Seq, Seq2SeqConfig
from rnnviz.seq2seq.tokens import EOS
from rnnviz.seq2seq.trace import trace_date


def greedy(model, x, mask, steps):
    """The existing free-running decoder, each row cut after its first <eos>."""
    with torch.no_grad():
        tokens = model.eval().decode(x, mask, steps=steps).tokens.tolist()
    return [row[: row.index(EOS) + 1] if EOS in row else row for row in tokens]


@pytest.fixture(scope="module")
def dates():
    """A date model trained 30 steps (words: quick), so its outputs are neither uniform nor all right."""
    torch.manual_seed(0)
    trainer = DatesLesson(tokens="words", cell="gru").trainer()
    trainer.run(30, 60)
    return trainer


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_width_one_is_the_greedy_decoder(dates, cell):
    task = dates.task
    model = dates.model if cell == "gru" else DatesLesson(tokens="words", cell="lstm", seed=3).trainer().model
    b = task.batch(64, torch.Generator().manual_seed(11))
    result, _ = beam_search(model, b.x, b.x_mask, 1, task.max_target_len)
    assert result.tokens == greedy(model, b.x, b.x_mask, task.max_target_len)
    text = "monday the twenty first of march two thousand five"
    assert search_tree(model, task, text, 1).answer == trace_date(model, task, text).answer


def all_scores(model, x, V, L):
    """Brute force: every output sequence of at most L tokens (stopping at its first <eos>), its
    summed log-probability and its length, scored by teacher forcing one sequence at a time."""
    out = {}
    mask = torch.ones_like(x, dtype=torch.bool)
    for seq in itertools.product(range(V), repeat=L):
        n = seq.index(EOS) + 1 if EOS in seq else L
        seq = seq[:n]
        if seq in out:
            continue
        y = torch.tensor([seq])
        with torch.no_grad():
            logp = model.decode(x, mask, steps=n, y=y).logits.double().log_softmax(-1)[0]
        out[seq] = float(sum(logp[s, tok] for s, tok in enumerate(seq)))
    return out


@pytest.mark.parametrize("normalise", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_wide_beam_finds_the_brute_force_best(seed, normalise):
    """V = 5 output tokens. Length 2 with k = V (every first token is kept, every pair is scored)
    and length 3 with k = V^2 (every prefix is kept) are exact: beam = brute force."""
    V = 5
    cfg = Seq2SeqConfig(src_vocab_size=6, tgt_vocab_size=V, embed_dim=4, hidden_size=6, seed=seed)
    model = Seq2Seq(cfg).double().eval()  # float64: scores compared to 1e-9
    with torch.no_grad():
        model.decoder.W_y.weight.mul_(6.0)  # peaked distributions: a real difference between choices
    x = torch.tensor([[1, 4, 2, 5]])
    mask = torch.ones_like(x, dtype=torch.bool)
    for L, k in ((2, V), (3, V * V)):
        scores = all_scores(model, x, V, L)
        rank = {seq: sc / len(seq) if normalise else sc for seq, sc in scores.items()}
        best = max(rank, key=rank.get)
        result, _ = beam_search(model, x, mask, k, L, normalise)
        assert tuple(result.tokens[0]) == best
        assert result.scores[0] == pytest.approx(scores[best], abs=1e-9)
        assert result.ranks[0] == pytest.approx(rank[best], abs=1e-9)
        # a narrow beam never beats the optimum
        narrow, _ = beam_search(model, x, mask, 1, L, normalise)
        assert narrow.ranks[0] <= rank[best] + 1e-9


@pytest.mark.parametrize("width", [0, -1, MAX_WIDTH + 1, 10**6, 2.5, True, "3"])
def test_bad_widths_are_refused_with_a_message(dates, width):
    with pytest.raises(InputError, match="beam width"):
        search_tree(dates.model, dates.task, "twenty one march", width)


def test_the_tree_keeps_k_per_step_and_its_winner_is_the_best_kept(dates):
    tree = search_tree(dates.model, dates.task, "the fifth of may nineteen ninety", 4, normalise=True)
    for step in tree.steps:
        kept = step.kept
        assert len(kept) == 4
        ranks = [c.rank for c in step.candidates]
        assert ranks == sorted(ranks, reverse=True)  # best first, kept ones before pruned ones
        for c in kept:
            assert c.rank == pytest.approx(c.score / c.length)
    path = tree.winner_path()
    assert len(path) == len(tree.tokens)
    assert [tree.steps[s].kept[j].token for s, j in enumerate(path)] == tree.tokens
    # the summed log-probabilities along the path add up to the winner's score
    assert sum(tree.steps[s].kept[j].logp for s, j in enumerate(path)) == pytest.approx(tree.score)
    last = tree.steps[-1].kept
    assert tree.rank == max(c.rank for c in last)


def test_the_score_is_the_summed_log_probability_of_the_decoders_own_p(dates):
    """score(y_1..y_n) = sum_s log p(y_s | y_<s, x): recomputed from the trace's p(y_s) (greedy, k = 1)."""
    text = "the fifth of may nineteen ninety"
    tree = search_tree(dates.model, dates.task, text, 1)
    tr = trace_date(dates.model, dates.task, text)
    ids = [dates.task.tgt_vocab.index(tok) for tok in tr.out]
    assert ids == tree.tokens
    by_hand = float(np.sum(np.log(tr.probs[np.arange(len(ids)), ids].astype(np.float64))))
    assert tree.score == pytest.approx(by_hand, abs=1e-4)


def test_beam_against_greedy_counts_follow_from_the_answers(dates):
    """The table's counts, recomputed from the answers of each width on the same test dates."""
    from rnnviz.seq2seq.beam_eval import TEST_SEED_OFFSET, beam_vs_greedy

    task = dates.task
    cmp = beam_vs_greedy(dates.model, task, (1, 3), n=200, seed=4)
    pairs = task.pairs(200, torch.Generator().manual_seed(4 + TEST_SEED_OFFSET))
    b = task.collate(pairs)
    got = {}
    for k in (1, 3):
        res, _ = beam_search(dates.model, b.x, b.x_mask, k, task.max_target_len)
        want = [task.encode_target(t).tolist() for _, t in pairs]
        got[k] = [tok == w for tok, w in zip(res.tokens, want, strict=True)]
        got[k, "tokens"] = res.tokens
    row1, row3 = cmp.rows
    assert row1.exact == sum(got[1]) / 200 and row3.exact == sum(got[3]) / 200
    assert row3.wins == sum(a and not g for a, g in zip(got[3], got[1], strict=True))
    assert row3.losses == sum(g and not a for a, g in zip(got[3], got[1], strict=True))
    assert row3.differ == sum(a != g for a, g in zip(got[3, "tokens"], got[1, "tokens"], strict=True))
    if cmp.case is not None:
        assert cmp.case.beam != cmp.case.greedy
