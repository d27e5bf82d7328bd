"""Beam search of width k on an attention decoder (k = 1 is greedy), and its search tree.

Every hypothesis y_1 .. y_n is scored by its summed log-probability, optionally divided by its
length (length normalisation: the mean log-probability per token, so short answers do not win
only for having fewer negative terms)::

    score(y_1..y_n) = sum_{s=1}^{n} log p(y_s | y_<s, x)        rank = score          (normalise off)
                                                              rank = score / n      (normalise on)

At each step every live hypothesis is extended by every token of the output vocabulary; a
finished one (it wrote <eos>) is carried as it is; the k best by rank are kept, the rest pruned.
The search stops when the k kept are all finished or after ``max_len`` steps; the winner is the
best kept. With k = 1 this is exactly the greedy decoder (tests/test_beam.py): the single live
hypothesis is extended by its argmax token (ties: the lowest id, as ``argmax``).

    >>> from rnnviz.lessons.attention_lesson import DatesLesson
    >>> trainer = DatesLesson(tokens="words").trainer()               # untrained here
    >>> tree = search_tree(trainer.model, trainer.task, "twenty one march", width=3)
    >>> len(tree.steps[0].kept), tree.width                           # step 1 keeps the k best tokens
    (3, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from rnnviz.errors import InputError
from rnnviz.seq2seq.tokens import EOS, decode_ids

MAX_WIDTH = 64  # widest beam accepted (the date task's output vocabulary has 14 tokens)


def check_width(width) -> int:
    if isinstance(width, bool) or not isinstance(width, int):
        raise InputError(f"the beam width must be a whole number from 1 to {MAX_WIDTH}, not {width!r}")
    if not 1 <= width <= MAX_WIDTH:
        raise InputError(f"the beam width must be 1 (greedy) to {MAX_WIDTH}, not {width}")
    return width


@dataclass(frozen=True)
class Candidate:
    parent: int  # index of the hypothesis it extends in the previous step's kept list (-1: none)
    token: int  # the token it adds (for a carried finished hypothesis, its <eos>)
    logp: float  # log p(token | prefix, x); 0 for a carried one
    score: float  # summed log-probability of the whole hypothesis
    rank: float  # what the beam sorts by: score, or score / length
    length: int  # tokens in the hypothesis, <eos> included
    finished: bool  # it ends with <eos>
    carried: bool  # a finished hypothesis carried from an earlier step (not a new extension)
    kept: bool  # among the k best at this step


@dataclass(frozen=True)
class BeamStep:
    """One step of the search: every candidate, best rank first (kept ones first)."""

    candidates: list[Candidate]

    @property
    def kept(self) -> list[Candidate]:
        return [c for c in self.candidates if c.kept]


@dataclass(frozen=True)
class BeamResult:
    tokens: list[list[int]]  # per input: the winner's tokens (up to and including <eos> if reached)
    scores: list[float]  # per input: the winner's summed log-probability
    ranks: list[float]  # per input: the winner's rank (score, or score / length)


def _reorder(state, index: Tensor):
    return tuple(s[index] for s in state) if isinstance(state, tuple) else state[index]


@torch.no_grad()
def beam_search(
    model, x: Tensor, x_mask: Tensor, width: int, max_len: int, normalise: bool = False, record: bool = False
) -> tuple[BeamResult, list[BeamStep] | None]:
    """Beam search of width k for every input of the batch ``x`` (B, T) at once.

    ``record=True`` (one input only) also returns every candidate of every step: the search tree."""
    k = check_width(width)
    if record and x.shape[0] != 1:
        raise InputError("the search tree is recorded for one input at a time")
    was = model.training
    model.eval()
    dec = model.decoder
    B = x.shape[0]
    e, state = model.encode(x, x_mask)
    # k copies of every input, hypothesis j of input b at row b * k + j               (B*k, T, H)
    rep = torch.arange(B).repeat_interleave(k)
    e, mask, state = e[rep], x_mask[rep], _reorder(state, rep)
    prepared = dec.prepare(e)
    V = dec.W_y.out_features
    # only hypothesis 0 is live at the start: the others start at -inf so step 1 has no duplicates
    score = torch.full((B, k), float("-inf"), dtype=torch.float64)
    score[:, 0] = 0.0
    length = torch.zeros(B, k, dtype=torch.long)
    done = torch.zeros(B, k, dtype=torch.bool)
    prev = torch.full((B * k,), 1, dtype=torch.long)  # <sos>
    history = torch.zeros(B, k, 0, dtype=torch.long)
    steps: list[BeamStep] = []
    for _ in range(max_len):  # output steps s = 1 .. max_len
        state, logits, *_ = dec.step(prev, state, prepared, e, mask)
        logp = logits.double().log_softmax(-1).view(B, k, V)  # log p(y_s | y_<s, x)
        # candidates (B, k, V + 1): V extensions of each live hypothesis, and slot V carries a finished one
        ext = torch.where(done[..., None], float("-inf"), score[..., None] + logp)
        carry = torch.where(done, score, float("-inf"))[..., None]
        cand = torch.cat([ext, carry], dim=-1)
        cand_len = torch.cat([(length + 1)[..., None].expand(B, k, V), length[..., None]], dim=-1)
        # rank = score (normalise off) or score / n (on)
        rank = cand / cand_len.clamp(min=1) if normalise else cand
        flat = rank.view(B, -1)
        order = torch.sort(flat, dim=-1, descending=True, stable=True).indices  # ties: lowest index first
        top = order[:, :k]
        parent, slot = top // (V + 1), top % (V + 1)
        carried = slot == V
        token = torch.where(carried, EOS, slot)
        if record:
            steps.append(_record(cand[0], rank[0], cand_len[0], logp[0], done[0], order[0], k, V))
        score = cand.view(B, -1).gather(1, top)
        length = cand_len.view(B, -1).gather(1, top)
        done = done.gather(1, parent) | (token == EOS)
        history = torch.cat(
            [history.gather(1, parent[..., None].expand(-1, -1, history.shape[2])), token[..., None]], dim=2
        )
        # carried hypotheses keep their history: their extra token is dropped by ``length``
        rows = (torch.arange(B)[:, None] * k + parent).view(-1)
        state = _reorder(state, rows)
        prev = token.view(-1)
        if bool((done | torch.isinf(score)).all()):
            break
    model.train(was)
    final_rank = score / length.clamp(min=1) if normalise else score
    best = torch.sort(final_rank, dim=-1, descending=True, stable=True).indices[:, 0]
    tokens = [history[b, int(best[b]), : int(length[b, best[b]])].tolist() for b in range(B)]
    result = BeamResult(
        tokens=tokens,
        scores=[float(score[b, best[b]]) for b in range(B)],
        ranks=[float(final_rank[b, best[b]]) for b in range(B)],
    )
    return result, (steps if record else None)


def _record(cand, rank, cand_len, logp, done, order, k, V) -> BeamStep:
    """Every finite candidate of one input's step, best rank first; the first k are kept."""
    out = []
    for i, idx in enumerate(order.tolist()):
        parent, slot = divmod(idx, V + 1)
        value = float(cand[parent, slot])
        if value == float("-inf"):
            continue  # a dead slot: no hypothesis (step 1's copies, an extension of a finished one)
        carried = slot == V
        token = EOS if carried else slot
        out.append(
            Candidate(
                parent=parent,
                token=token,
                logp=0.0 if carried else float(logp[parent, slot]),
                score=value,
                rank=float(rank[parent, slot]),
                length=int(cand_len[parent, slot]),
                finished=carried or token == EOS,
                carried=carried,
                kept=i < k,
            )
        )
    return BeamStep(out)


@dataclass(frozen=True)
class SearchTree:
    """The search for one typed input: every step's candidates, and the winner."""

    width: int
    normalise: bool
    steps: list[BeamStep]
    tokens: list[int]  # the winner's tokens
    answer: str  # the winner as text, up to <eos>
    score: float  # its summed log-probability
    rank: float  # its rank (score or score / length)
    vocab: tuple[str, ...]

    def winner_path(self) -> list[int]:
        """For each step s (from 1) the index in that step's kept list of the winner's prefix."""
        kept = [st.kept for st in self.steps]
        # the last step's kept list is sorted by rank, so the winner is its first; walk back by parents
        path = [0]
        for s in range(len(kept) - 1, 0, -1):
            path.append(kept[s][path[-1]].parent)
        path.reverse()
        # a winner that finished early was carried on: its own steps are those up to its length
        return path[: len(self.tokens)]


def search_tree(model, task, text: str, width: int, normalise: bool = False) -> SearchTree:
    """Beam search of width k on a typed date (InputError for unknown words or a bad width)."""
    check_width(width)
    x = task.encode(text)[None]
    mask = torch.ones_like(x, dtype=torch.bool)
    result, steps = beam_search(model, x, mask, width, task.max_target_len, normalise, record=True)
    tokens = result.tokens[0]
    return SearchTree(
        width=width,
        normalise=normalise,
        steps=steps,
        tokens=tokens,
        answer="".join(decode_ids(tokens, task.tgt_vocab)),
        score=result.scores[0],
        rank=result.ranks[0],
        vocab=task.tgt_vocab,
    )
