"""A mistake course notes often make in the attention weights, computed on the live model.

Written with the numerator's index in the denominator's sum,

    alpha_{t,s} = exp(score_{t,s}) / sum_{t'=1}^{T} exp(score_{t,s})      (as often written)
                = exp(score_{t,s}) / (T exp(score_{t,s})) = 1/T

every weight is 1/T whatever the scores: c_s = (1/T) sum_t e_t, the same context at every step.
The correct softmax sums over the index it runs over:

    alpha_{t,s} = exp(score_{t,s}) / sum_{t'=1}^{T} exp(score_{t',s})

    >>> written_weights(np.array([[2.0, 0.0, -1.0]]))
    array([[0.33333333, 0.33333333, 0.33333333]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.seq2seq.tokens import EOS, SOS, decode_ids


def written_weights(score: np.ndarray) -> np.ndarray:
    """(S, T) scores -> the weights as often written, computed literally in float64."""
    score = np.asarray(score, dtype=np.float64)
    shift = score - score.max(axis=1, keepdims=True)  # the same shift in numerator and denominator
    num = np.exp(shift)  # exp(score_{t,s})
    T = score.shape[1]
    # sum_{t'=1}^{T} exp(score_{t,s}): the summand does not depend on t', so the sum is T copies of it
    den = np.stack([num] * T, axis=-1).sum(-1)
    return num / den


def correct_weights(score: np.ndarray) -> np.ndarray:
    """The softmax over t: exp(score_{t,s}) / sum_{t'} exp(score_{t',s}), in float64."""
    score = np.asarray(score, dtype=np.float64)
    num = np.exp(score - score.max(axis=1, keepdims=True))
    return num / num.sum(axis=1, keepdims=True)


@torch.no_grad()
def decode_uniform(model, task, text: str) -> list[str]:
    """Free-running output when every weight is 1/T (c_s = mean_t e_t): what the written formula
    would make this model answer. Same decoder, same weights; only alpha differs."""
    was = model.training
    model.eval()
    x = task.encode(text)[None]
    mask = torch.ones_like(x, dtype=torch.bool)
    e, state = model.encode(x, mask)
    dec = model.decoder
    c = e.mean(dim=1)  # c_s = sum_t (1/T) e_t, for every s
    prev = torch.tensor([SOS])
    tokens = []
    for _ in range(task.max_target_len):
        state = dec.cell(dec.embed(prev), state)
        d = state[0] if isinstance(state, tuple) else state
        logits = dec.W_y(torch.tanh(dec.W_c(torch.cat([d, c], dim=-1))))
        prev = logits.argmax(-1)
        tokens.append(int(prev))
        if tokens[-1] == EOS:
            break
    model.train(was)
    return decode_ids(tokens, task.tgt_vocab)


@dataclass(frozen=True)
class WrittenSoftmax:
    written: np.ndarray  # (S, T) the weights as often written (all 1/T)
    correct: np.ndarray  # (S, T) the softmax over t
    answer_written: str  # what the model answers with the written weights
    answer: str  # what it answers with the softmax

    def sentence(self) -> str:
        T = self.written.shape[1]
        same = self.answer_written == self.answer
        out = (
            f"As written, every weight is 1/T = 1/{T} = {1 / T:.3f} (largest deviation "
            f"{np.abs(self.written - 1 / T).max():.1e}), whatever the scores: $c_s$ is the plain mean of "
            "the $e_t$, the same context at every output step, and the scores do nothing. "
        )
        if same:
            return out + (
                f"This model still answers `{self.answer or '(nothing)'}`: here its decoder state $d_s$, "
                "which starts from $d_0 = e_T$ (the state after the whole input), carries the answer alone."
            )
        return out + (
            f"With those weights this model answers `{self.answer_written or '(nothing)'}` instead of "
            f"`{self.answer or '(nothing)'}`."
        )


def written_softmax(model, task, text: str, score: np.ndarray, answer: str) -> WrittenSoftmax:
    """Both weightings of one traced input (``score`` (S, T) from its trace) and both answers."""
    return WrittenSoftmax(
        written_weights(score), correct_weights(score), "".join(decode_uniform(model, task, text)), answer
    )
