"""Lesson 6's sentences about the live GRU and the LSTM/GRU comparison, computed from their numbers.

- ``start_sentence``: where an untrained GRU's gates sit (mean over a batch);
- ``weights_question``: "how many weights does the GRU save here?", options and answer from the
  parameter counts at the page's sizes;
- ``speed_sentence``: the measured ms per step against the weight count, in words that follow both;
- ``ms_cell``: a "ms per step" table cell that says why it is empty before the first timing;
- ``depth_sentence``: what the untrained deep stacks' gradients show, layer 1 against layer L.

>>> from rnnviz.tasks import FirstWord
>>> q = weights_question(FirstWord(lag=4, n_countries=4), 12)
>>> q.options[q.answer]
'588'
"""

from __future__ import annotations

import numpy as np

from rnnviz.lessons.gating import param_terms
from rnnviz.model import ModelConfig
from rnnviz.questions import Question

NEAR = 0.1  # "near" a value: within 0.1 of it


def _signed(v: float) -> str:
    """+0.12, -0.05, and 0.00 (never -0.00)."""
    return "0.00" if round(v, 2) == 0 else f"{v:+.2f}"


def start_sentence(gates: dict[str, np.ndarray]) -> str:
    """Where an untrained GRU's gates sit, from ``gates`` (name -> values over a batch)."""
    parts = []
    for g, name in (("r", "the reset gate $r$"), ("z", "the update gate $z$")):
        if g in gates:
            m = float(np.mean(gates[g]))
            parts.append(f"{name} averages {m:.2f} ({'near' if abs(m - 0.5) < NEAR else 'away from'} 0.5)")
    m = float(np.mean(gates["n"]))
    parts.append(
        f"the candidate $n$, a tanh, averages {_signed(m)} ({'around' if abs(m) < NEAR else 'away from'} 0)"
    )
    return "Over 64 sentences of the task, " + "; ".join(parts) + "."


def _total(cfg: ModelConfig) -> int:
    return sum(t.count for t in param_terms(cfg))


def weights_question(task, hidden: int) -> Question:
    """How many parameters a GRU saves against an LSTM of the same size on ``task``."""
    lstm, gru = (_total(ModelConfig.for_task(task, cell=c, hidden_size=hidden)) for c in ("lstm", "gru"))
    D, H, n_out = task.input_size, hidden, task.output_size
    block = H * D + H * H + 2 * H  # one gate block: W_i· (H x D), W_h· (H x H), b_i·, b_h·
    saved = lstm - gru
    assert saved == block  # the head is the same: the GRU saves exactly one block
    candidates = {
        saved: "one block",
        lstm // 4: "a quarter of the LSTM",
        2 * block: "two blocks",
        H * H: "W_hh",
    }
    values = sorted(candidates)
    options = [f"{v:,}" for v in values]
    answer = values.index(saved)
    why = (
        f"The LSTM has {lstm:,} parameters, the GRU {gru:,}: {saved:,} fewer. Each gate block holds W_i· "
        f"({H}×{D}), W_h· ({H}×{H}) and two biases; the LSTM has 4 blocks (i, f, g, o), the GRU 3 (r, z, n), "
        f"and the output head ({n_out}·{H} + {n_out}) is the same, so the GRU saves one block, "
        f"{saved / lstm:.1%} of the LSTM."
    )
    hints = {
        values.index(
            lstm // 4
        ): f"That is a quarter of the LSTM's {lstm:,}, output head included; both models have the same head.",
        values.index(
            2 * block
        ): "The LSTM has 4 gate blocks and the GRU 3: how many blocks is the difference?",
        values.index(H * H): f"That is one recurrent matrix W_h· ({H}·{H}); a gate block also holds W_i· "
        f"({H}·{D}) and two biases.",
    }
    question = (
        f"Predict: the page's GRU and LSTM have H = {H} units and read D = {D} one-hot inputs, with "
        f"O = {n_out} classes. How many parameters does the GRU save?"
    )
    return Question(question, options, answer, why, hints)


def ms_cell(ms: dict[str, float] | None, name: str) -> str:
    """The 'ms per step' cell of the comparison table: a number once timed, else what to press."""
    return f"{ms[name]:.2f}" if ms else "not timed yet: press Train both"


def speed_sentence(ms: dict[str, float], params: dict[str, int], hidden: int, batch_size: int) -> str:
    """The measured step times against the parameter counts, in words that follow both."""
    time_ratio = ms["GRU"] / ms["LSTM"]
    weight_ratio = params["GRU"] / params["LSTM"]
    head = (
        f"Measured just now on this server: a GRU step takes **{time_ratio:.2f}×** the time of an LSTM step "
        f"(median of three interleaved rounds of 20 training steps: forward, backward and the Adam update, "
        f"batch {batch_size}, H = {hidden}; the machine is shared, so expect noise). The GRU has "
        f"{weight_ratio:.2f}× the LSTM's parameters, and so about that share of its multiplications. "
    )
    if time_ratio >= 1:
        return head + (
            "Fewer weights did not make it faster here: what is timed is torch's CPU kernels, and at this "
            "size their time is not set by the count of multiplications but by how each cell's kernels are "
            "written."
        )
    if time_ratio > weight_ratio + 0.1:
        return head + (
            "It is faster, but by less than its weight count suggests: the time of torch's CPU kernels at "
            "this size is not set by the multiplications alone."
        )
    return head + "Here its step time follows its weight count."


def depth_sentence(ratio: dict[str, float], n_layers: int) -> str:
    """Layer 1's gradient against layer L's in the untrained stacks, in words that follow the ratios."""
    shown = ", ".join(f"{kind} {r:.1e}" for kind, r in ratio.items())
    text = (
        f"**Before any training**, the gradient reaching layer 1 compared with the one reaching layer "
        f"{n_layers}: {shown}."
    )
    plain, kept = ratio["plain"], min(ratio["residual"], ratio["highway"])
    if plain < 1e-2 and kept > 10 * plain:
        text += (
            " In the plain stack each layer multiplies the gradient by $W_l^\\top$ and a tanh slope of at "
            "most 1, and here it shrinks on the way down, as it can back through time in an Elman RNN "
            "(lesson 4); the residual and highway roads keep far more of it."
        )
    elif plain < kept:
        text += " The plain stack keeps the least of it, the residual and highway stacks more."
    else:
        text += " At this depth the plain stack keeps as much as the others: make it deeper and look again."
    return text + " Press **Train all three**."
