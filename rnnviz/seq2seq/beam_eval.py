"""How often beam search beats greedy decoding, measured on a test set of dates, and a case found there.

Greedy is the beam of width 1 (``beam.py``; tests/test_beam.py pins that it equals the free-running
decoder). For each width k on the same seeded test set: exact match (the whole answer right), how
many answers differ from greedy's, how many of those beam gets right and greedy wrong ("beam wins")
and the other way round ("beam loses"). The case shown is the first test date whose answers differ,
a win if there is one.

    >>> from rnnviz.lessons.attention_lesson import DatesLesson
    >>> trainer = DatesLesson(tokens="words").trainer()          # untrained here
    >>> cmp = beam_vs_greedy(trainer.model, trainer.task, (1, 3), n=20)
    >>> [row.width for row in cmp.rows], cmp.rows[0].differ       # width 1 never differs from itself
    ([1, 3], 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch

from rnnviz.seq2seq.beam import beam_search, check_width
from rnnviz.seq2seq.tokens import EOS

TEST_SEED_OFFSET = 7_919  # the test dates' generator: seed + this (training batches use other streams)
WIDTHS = (1, 2, 3, 5, 8)  # the widths measured on the page


@dataclass(frozen=True)
class WidthRow:
    width: int  # k
    exact: float  # exact-match share on the test set
    differ: int  # answers that differ from greedy's
    wins: int  # beam right, greedy wrong
    losses: int  # greedy right, beam wrong
    higher: int  # answers whose summed log-probability is above greedy's (beam found a likelier one)


@dataclass(frozen=True)
class Case:
    text: str  # the test date
    target: str
    width: int  # the width at which it differs
    greedy: str  # greedy's answer
    beam: str  # the beam's answer
    greedy_score: float  # summed log-probability of greedy's answer
    beam_score: float  # and of the beam's


@dataclass(frozen=True)
class BeamComparison:
    n: int  # test dates
    normalise: bool
    rows: list[WidthRow]
    case: Case | None  # a test date where greedy and beam answer differently, or None

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "beam width k": r.width,
                    "exact match": f"{100 * r.exact:.1f}%",
                    "answers differing from greedy": r.differ,
                    "beam right, greedy wrong": r.wins,
                    "greedy right, beam wrong": r.losses,
                    "likelier than greedy's answer": r.higher,
                }
                for r in self.rows
            ]
        )

    def sentence(self) -> str:
        """What the table says, from its numbers."""
        beams = [r for r in self.rows if r.width > 1]
        if not beams:
            return "Only width 1 (greedy) was measured."
        greedy = next((r for r in self.rows if r.width == 1), None)
        best = max(beams, key=lambda r: (r.exact, -r.width))
        differ = sum(r.differ for r in beams)
        if differ == 0:
            return (
                f"On these {self.n} test dates every beam width ends on exactly greedy's answers: keeping "
                "more hypotheses changes nothing for this model."
            )
        head = f"On {self.n} test dates, " + (
            f"greedy gets {100 * greedy.exact:.1f}% exactly right; " if greedy is not None else ""
        )
        if greedy is not None and best.exact > greedy.exact:
            verdict = f"the best beam, k = {best.width}, gets {100 * best.exact:.1f}%."
        elif greedy is not None and best.exact == greedy.exact:
            verdict = "no beam width gets more exactly right."
        else:
            verdict = f"every beam width gets fewer right (best {100 * best.exact:.1f}%)."
        wins = ", ".join(f"k = {r.width}: {r.wins} won, {r.losses} lost" for r in beams)
        return head + verdict + f" Against greedy, date by date: {wins}."


def _texts(task, pairs) -> list[str]:
    return [" ".join(words) for words, _ in pairs]


@torch.no_grad()
def beam_vs_greedy(
    model, task, widths=WIDTHS, n: int = 300, seed: int = 0, normalise: bool = False
) -> BeamComparison:
    """Every width on the same ``n`` seeded test dates (batched: about 0.1 s per width for 300)."""
    widths = sorted({check_width(k) for k in (1, *widths)})
    pairs = task.pairs(n, torch.Generator().manual_seed(seed + TEST_SEED_OFFSET))
    batch = task.collate(pairs)
    targets = [t for _, t in pairs]
    wanted = [task.encode_target(t).tolist() for t in targets]  # exact match: every token, <eos> included
    answers, scores, tokens_of = {}, {}, {}
    for k in widths:
        result, _ = beam_search(model, batch.x, batch.x_mask, k, task.max_target_len, normalise)
        answers[k] = [task.decode(tokens) for tokens in result.tokens]
        scores[k], tokens_of[k] = result.scores, result.tokens
        # an answer that never wrote <eos> is not the target even if its characters are
        ended = [tokens[-1:] == [EOS] for tokens in result.tokens]
        answers[k] = [a if end else a + "…" for a, end in zip(answers[k], ended, strict=True)]
    g, g_score = answers[1], scores[1]
    rows, case = [], None
    for k in widths:
        right = [a == t for a, t in zip(tokens_of[k], wanted, strict=True)]
        g_right = [a == t for a, t in zip(tokens_of[1], wanted, strict=True)]
        differ = [a != b for a, b in zip(tokens_of[k], tokens_of[1], strict=True)]
        rows.append(
            WidthRow(
                width=k,
                exact=sum(right) / n,
                differ=sum(differ),
                wins=sum(r and not gr for r, gr in zip(right, g_right, strict=True)),
                losses=sum(gr and not r for r, gr in zip(right, g_right, strict=True)),
                higher=sum(d and s > gs for d, s, gs in zip(differ, scores[k], g_score, strict=True)),
            )
        )
    texts = _texts(task, pairs)
    for want_win in (True, False):  # a date where the beam is right and greedy wrong, else any difference
        for k in widths[1:]:
            for i, (a, b) in enumerate(zip(answers[k], g, strict=True)):
                if a != b and (not want_win or tokens_of[k][i] == wanted[i]):
                    case = Case(texts[i], targets[i], k, b, a, g_score[i], scores[k][i])
                    break
            if case:
                break
        if case:
            break
    return BeamComparison(n=n, normalise=normalise, rows=rows, case=case)
