"""What if (Seq2Seq-Vis, Strobelt et al. 2018): change one input token, or force one output token,
and let the decoder continue; the attention and the answer before and after, and which weights moved.

Input edit: x_t is replaced (the other tokens stay), the whole input is encoded again and decoded
free running. Output edit: steps 1 .. s-1 are the model's own (as before), step s writes the forced
token, and from step s + 1 the decoder is fed its own guesses again. Rows 1 .. s of alpha cannot
change under an output edit (the decoder has read the same tokens up to there); a test pins it.

    >>> from rnnviz.lessons.attention_lesson import DatesLesson
    >>> trainer = DatesLesson(tokens="words").trainer()        # untrained here
    >>> w = edit_input(trainer.model, trainer.task, "twenty one march", 3, "may")
    >>> w.after.src, w.after.target
    (['twenty', 'one', 'may'], '21-05')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.errors import InputError
from rnnviz.seq2seq.tokens import EOS, decode_ids
from rnnviz.seq2seq.trace import AttentionTrace, date_target, trace_date, trace_tokens

MOVED = 0.05  # a weight "moved" when |alpha_after - alpha_before| is at least this


@dataclass(frozen=True)
class WhatIf:
    kind: str  # "input" (x_t replaced) or "output" (y_s forced)
    position: int  # t or s, counted from 1
    old: str  # the token before
    new: str  # the token after
    before: AttentionTrace
    after: AttentionTrace

    @property
    def moved(self) -> np.ndarray:
        """(S_after, T) bool: weights that moved by at least MOVED; rows the before-run never had count
        as moved when any weight there is at least MOVED."""
        a, b = self.after.alpha, self.before.alpha
        out = np.zeros(a.shape, dtype=bool)
        n = min(len(a), len(b))
        out[:n] = np.abs(a[:n] - b[:n]) >= MOVED
        out[n:] = a[n:] >= MOVED
        return out

    def first_changed_row(self) -> int | None:
        """The first output step s (from 1) with a weight that moved, or None."""
        rows = np.flatnonzero(self.moved.any(axis=1))
        return int(rows[0]) + 1 if len(rows) else None

    def sentence(self) -> str:
        old, new = (tok.replace(" ", "␣") for tok in (self.old, self.new))
        what = (
            f"Input token $t={self.position}$ '{old}' -> '{new}'"
            if self.kind == "input"
            else f"Output step $s={self.position}$ forced from '{old}' to '{new}'"
        )
        before, after = self.before.answer or "(nothing)", self.after.answer or "(nothing)"
        answer = (
            f"the answer stays `{before}`"
            if before == after
            else f"the answer changes from `{before}` to `{after}`"
        )
        n = int(self.moved.sum())
        first = self.first_changed_row()
        moved = (
            "no attention weight moves by 0.05 or more"
            if first is None
            else f"{n} attention weights move by {MOVED} or more, the first in row $s={first}$"
        )
        return f"{what}: {answer}; {moved} (outlined in the heatmap on the right)."


def _free_after(model, x, mask, prefix, task, src, target) -> AttentionTrace:
    """Decode with the first len(prefix) outputs fixed to ``prefix``, free running after them."""
    steps = task.max_target_len
    was = model.training
    model.eval()
    with torch.no_grad():
        out = model.decode(x, mask, steps=steps, y=torch.tensor([prefix]))
    model.train(was)
    tokens = list(prefix) + out.tokens[0, len(prefix) :].tolist()
    S = tokens.index(EOS) + 1 if EOS in tokens else len(tokens)
    vocab = task.tgt_vocab

    def cut(t):
        return None if t is None else t[0, :S].numpy()

    return AttentionTrace(
        src=list(src),
        out=[vocab[t] for t in tokens[:S]],
        answer="".join(decode_ids(tokens, vocab)),
        target=target,
        teacher_forced=False,
        d=cut(out.d),
        e=out.e[0].numpy(),
        probs=cut(out.logits.softmax(-1)),
        score=cut(out.score),
        alpha=cut(out.alpha),
        c=cut(out.c),
    )


def edit_input(model, task, text: str, t: int, token: str) -> WhatIf:
    """Replace input token x_t (t from 1) by ``token`` and decode again, free running."""
    before = trace_date(model, task, text)
    if before.alpha is None:
        raise InputError("what-if compares attention: choose dot or additive attention")
    T = len(before.src)
    if not 1 <= t <= T:
        raise InputError(f"the input has tokens t = 1 to {T}, not {t}")
    if token not in task.src_vocab[1:]:
        raise InputError(f"'{token}' is not an input token of this task")
    src = list(before.src)
    old, src[t - 1] = src[t - 1], token
    x = torch.tensor([[task.src_vocab.index(tok) for tok in src]])
    joined = "".join(src) if task.tokens == "chars" else " ".join(src)
    target = date_target(task, joined) if joined.strip() else None
    mask = torch.ones_like(x, dtype=torch.bool)
    after = trace_tokens(model, x, mask, src, task.tgt_vocab, task.max_target_len, target=target)
    return WhatIf("input", t, old, token, before, after)


def force_output(model, task, text: str, s: int, token: str) -> WhatIf:
    """Force output step s (from 1) to write ``token``; the decoder continues from there."""
    before = trace_date(model, task, text)
    if before.alpha is None:
        raise InputError("what-if compares attention: choose dot or additive attention")
    S = len(before.out)
    if not 1 <= s <= S:
        raise InputError(f"the answer has output steps s = 1 to {S}, not {s}")
    vocab = task.tgt_vocab
    if token not in vocab[2:]:  # <eos>, the digits and '-'
        raise InputError(f"'{token}' is not an output token the model writes")
    ids = [vocab.index(tok) for tok in before.out]
    prefix = [*ids[: s - 1], vocab.index(token)]
    x = task.encode(text)[None]
    mask = torch.ones_like(x, dtype=torch.bool)
    after = _free_after(model, x, mask, prefix, task, before.src, before.target)
    return WhatIf("output", s, before.out[s - 1], token, before, after)


def beam_answers(model, task, w: WhatIf, width: int) -> tuple[str, str]:
    """The beam's answers (width k) on the input before and after an input edit."""
    from rnnviz.seq2seq.beam import beam_search

    out = []
    for tr in (w.before, w.after):
        x = torch.tensor([[task.src_vocab.index(tok) for tok in tr.src]])
        result, _ = beam_search(model, x, torch.ones_like(x, dtype=torch.bool), width, task.max_target_len)
        out.append("".join(decode_ids(result.tokens[0], task.tgt_vocab)))
    return out[0], out[1]
