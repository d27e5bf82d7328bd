"""Run one input through an encoder-decoder and keep every number the lesson shows.

    >>> import numpy as np
    >>> from rnnviz.lessons.attention_lesson import DatesLesson
    >>> trainer = DatesLesson(tokens="words").trainer()     # untrained here; the lesson trains it
    >>> tr = trace_date(trainer.model, trainer.task, "twenty one march")   # free running (greedy)
    >>> tr.src, tr.target                                   # the input tokens and the correct answer
    (['twenty', 'one', 'march'], '21-03')
    >>> tr = trace_date(trainer.model, trainer.task, "twenty one march", teacher_forcing=True)
    >>> tr.alpha.shape, np.allclose(tr.alpha.sum(1), 1)     # (S, T): each output step's weights sum to 1
    ((6, 3), True)

``teacher_forcing=True`` feeds the correct previous character instead of the model's own
guess (the task knows the answer for any date phrase it can parse).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.errors import InputError
from rnnviz.seq2seq.tokens import EOS, decode_ids
from rnnviz.train import model_copy


@dataclass(frozen=True)
class AttentionTrace:
    src: list[str]  # input tokens, length T
    out: list[str]  # the token predicted at each decoder step s, length S (ends with "<eos>" if reached)
    answer: str  # the output as text, up to <eos>
    target: str | None  # the correct output when known
    teacher_forced: bool  # True: step s was fed the correct y_{s-1}; False: the model's own guess
    d: np.ndarray  # (S, H) decoder states d_s
    e: np.ndarray  # (T, H) encoder states e_t
    probs: np.ndarray  # (S, V) p(y_s) over the output vocabulary
    score: np.ndarray | None  # (S, T) score_{t,s}; None without attention
    alpha: np.ndarray | None  # (S, T) alpha_{t,s}
    c: np.ndarray | None  # (S, H) context c_s


@torch.no_grad()
def trace_tokens(model, x, x_mask, src, vocab, steps, y=None, target=None, sep="") -> AttentionTrace:
    """Decode one input ``x`` (1, T, ...); with ``y`` (1, S) teacher forcing, else free running."""
    was_training = model.training
    model.eval()
    out = model.decode(x, x_mask, steps=steps if y is None else y.shape[1], y=y)
    model.train(was_training)
    tokens = out.tokens[0].tolist()
    S = tokens.index(EOS) + 1 if y is None and EOS in tokens else len(tokens)  # stop at <eos>
    words = [vocab[t] for t in tokens[:S]]
    answer = sep.join(decode_ids(tokens, vocab))

    def cut(t):
        return None if t is None else t[0, :S].numpy()

    return AttentionTrace(
        src=list(src),
        out=words,
        answer=answer,
        target=target,
        teacher_forced=y is not None,
        d=cut(out.d),
        e=out.e[0].numpy(),
        probs=cut(out.logits.softmax(-1)),
        score=cut(out.score),
        alpha=cut(out.alpha),
        c=cut(out.c),
    )


def date_target(task, text: str) -> str | None:
    """The correct answer for a typed phrase, or None if it is not a date the task writes."""
    try:
        return task.parse(text)
    except InputError:
        return None


def trace_date(model, task, text: str, teacher_forcing: bool = False) -> AttentionTrace:
    """Trace typed text through a date model (InputError for unknown words, with suggestions)."""
    x = task.encode(text)[None]  # (1, T); unknown words raise InputError here, with suggestions
    target = date_target(task, text)
    y = None
    if teacher_forcing:
        if target is None:
            raise InputError(f"'{text}' is not a date the task writes, so there is no correct answer to feed")
        y = task.encode_target(target)[None]
    src = task.src_tokens(task.words(text))
    mask = torch.ones_like(x, dtype=torch.bool)
    return trace_tokens(model, x, mask, src, task.tgt_vocab, task.max_target_len, y=y, target=target)


def trace_caption(model, task, image: np.ndarray, words: list[str] | None = None) -> AttentionTrace:
    """Caption one image (free running); ``src`` names the grid cells 'row,col' in reading order."""
    x = task.patches(image[None])
    src = [f"{r},{c}" for r in range(task.grid) for c in range(task.grid)]
    target = " ".join(words) if words else None
    mask = torch.ones(x.shape[:2], dtype=torch.bool)
    return trace_tokens(model, x, mask, src, task.tgt_vocab, 8, target=target, sep=" ")


def with_checkpoint(model, state_dict: dict):
    """A copy of ``model`` holding a checkpoint's weights, in eval mode (``rnnviz.train.model_copy``;
    with a trainer at hand, ``trainer.model_at(step=s)`` says the same)."""
    return model_copy(model, state_dict)
