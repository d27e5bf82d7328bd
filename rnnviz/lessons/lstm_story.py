"""Lesson 5's sentences about the live LSTM, computed from its numbers so that each stays true.

- ``gate_means`` / ``start_sentence``: where the gates sit (mean over a batch), in words;
- ``filler_question``: the check question "which gate is near 1 on the filler words?", its options
  and answer from the live model's gates;
- ``cell_gradient_paths`` / ``paths_sentence``: ||dL/dc_t|| against its direct term along the cell,
  ||f_{t+1} ⊙ dL/dc_{t+1}|| (the rest comes through h_t);
- ``without_tanh``: the output written a_t = Γ_o ⊙ c_t (no tanh) against h_t = o_t ⊙ tanh(c_t);
  ``replay``: the whole sentence read with either output, the next steps and the head seeing it;
- ``coupled_saving``: how many parameters the coupled LSTM saves at a size.

>>> import numpy as np
>>> gates = {"i": np.full((2, 4, 3), 0.5), "f": np.full((2, 4, 3), 0.95), "o": np.full((2, 4, 3), 0.6)}
>>> q = filler_question(gates)
>>> q.options[q.answer]
'f, the forget gate'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.errors import InputError
from rnnviz.lessons.gating import param_terms, saturation
from rnnviz.model import ModelConfig
from rnnviz.questions import Question
from rnnviz.trace import LayerTrace

SIGMA_1 = float(1 / (1 + np.exp(-1.0)))  # σ(1) ≈ 0.731: where f starts with the forget bias at +1
NEAR = 0.1  # "near" a value: within 0.1 of it
HIGH = 0.9  # a gate "near 1": above 0.9
GATE_NAMES = {"i": "i, the input gate", "f": "f, the forget gate", "o": "o, the output gate"}


def gate_means(gates: dict[str, np.ndarray]) -> dict[str, float]:
    """Mean of every gate over all sentences, steps and units."""
    return {g: float(np.mean(v)) for g, v in gates.items() if g in "ifgo"}


def saturation_frame(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> pd.DataFrame:
    """Shares of gate values near 0, between and near 1 (columns), for i, f and o before and now (rows)."""
    shares = {
        f"{gate} {when}": saturation(values[gate])
        for gate in ("i", "f", "o")
        for when, values in (("before", before), ("now", after))
    }
    return pd.DataFrame(shares).T


def start_sentence(means: dict[str, float], forget_bias: bool, coupled: bool) -> str:
    """Where the gates of an (untrained) model sit, in words that follow ``means``."""

    def where(m: float) -> str:
        if abs(m - 0.5) < NEAR:
            return "near 0.5"
        if abs(m - SIGMA_1) < NEAR:
            return f"near σ(1) = {SIGMA_1:.2f}"
        return "far from 0.5"

    both = (
        "both near 0.5: a sigmoid of small random sums"
        if all(abs(means[g] - 0.5) < NEAR for g in "io")
        else f"{where(means['i'])} and {where(means['o'])}"
    )
    parts = [f"$i$ averages {means['i']:.2f} and $o$ {means['o']:.2f} ({both})"]
    if coupled:
        parts.append(f"$f = 1 - i$ averages {means['f']:.2f} (no forget bias of its own)")
    elif forget_bias:
        parts.append(f"$f$ averages {means['f']:.2f}, {where(means['f'])}, because its bias starts at +1")
    else:
        parts.append(f"$f$ averages {means['f']:.2f}, {where(means['f'])} (no forget bias)")
    g_word = "around 0" if abs(means["g"]) < NEAR else "away from 0"
    g_mean = "0.00" if round(means["g"], 2) == 0 else f"{means['g']:+.2f}"  # never "-0.00"
    parts.append(f"the candidate $g$, a tanh, averages {g_mean}, {g_word}")
    return "Over 64 sentences of the task, " + "; ".join(parts) + "."


@dataclass(frozen=True)
class FillerQuestion(Question):
    shares: dict[str, float]  # gate -> share of filler values above HIGH


def filler_question(gates: dict[str, np.ndarray]) -> FillerQuestion:
    """Which of i, f, o is above 0.9 most often on the filler words (t = 2 .. T-1) of a batch (B, T, H)?"""
    shares = {g: float(np.mean(gates[g][:, 1:-1] > HIGH)) for g in "ifo"}
    options = [*GATE_NAMES.values(), f"none: each is above {HIGH} on fewer than 1% of them"]
    best = max(shares, key=shares.get)
    answer = 3 if shares[best] < 0.01 else list(GATE_NAMES).index(best)
    counted = ", ".join(f"{g} {s:.0%}" for g, s in shares.items())
    mean_i = float(np.mean(gates["i"][:, 1:-1]))
    why = f"On the filler words of 64 sentences (every unit), the share of values above {HIGH}: {counted}."
    if answer == 1:
        why += (
            " Where $f_t$ is near 1 the cell keeps $c_{t-1}$; the input gate averages "
            f"{mean_i:.2f} there, so " + ("the cell also keeps adding $i_t g_t$." if mean_i > 0.5 else
                                         "little new is written.")
        )  # fmt: skip
    elif answer == 3:
        why += " An untrained model's gates sit in the middle; train it and ask again."
    hints = {
        k: f"Count again: the share above {HIGH} on the filler words is {counted}."
        for k in range(4)
        if k != answer
    }
    question = (
        "Predict: on the filler words (between the country and *fluent*) of 64 sentences of the task, which "
        f"gate of the live model is above {HIGH} most often? (The heatmaps show one sentence; the answer "
        "counts all 64.)"
    )
    return FillerQuestion(question, options, answer, why, hints, shares)


def cell_gradient_paths(lt: LayerTrace) -> dict[str, np.ndarray]:
    """Per t: ||dL/dc_t|| and its direct term along the cell, ||f_{t+1} ⊙ dL/dc_{t+1}|| (0 at t = T).

    Both (T,), row t - 1 holding step t."""
    f, gc = lt.gates["f"].astype(np.float64), lt.grad_c.astype(np.float64)
    direct = np.zeros(len(gc))
    direct[:-1] = np.linalg.norm(f[1:] * gc[1:], axis=1)  # ||f_{t+1} ⊙ dL/dc_{t+1}||
    return {"||dL/dc_t||": np.linalg.norm(gc, axis=1), "||f_(t+1) ⊙ dL/dc_(t+1)||": direct}


def paths_sentence(paths: dict[str, np.ndarray], peephole: bool) -> str:
    """How far the total gradient on the cell is from its direct term, on this sentence."""
    total, direct = paths.values()
    ok = direct[:-1] > 0
    rest = "through $h_t$" + (" and the peephole gates, which read $c_t$" if peephole else "")
    if not ok.any():
        return f"On this sentence nothing comes along the cell (f_t ⊙ dL/dc_t is 0): all of it comes {rest}."
    ratio = total[:-1][ok] / direct[:-1][ok]
    steps = np.arange(1, len(total))[ok]  # t = 1..T-1 (the last step has no direct term)
    hi, lo = int(np.argmax(ratio)), int(np.argmin(ratio))
    return (
        f"On this sentence the total $\\|dL/dc_t\\|$ is {ratio[lo]:.2f}× (t = {steps[lo]}) to "
        f"{ratio[hi]:.2f}× (t = {steps[hi]}) the direct term: the rest comes {rest}, and it can add to "
        "the direct term or partly cancel it."
    )


def h_saturated(lt: LayerTrace, level: float = 0.9) -> float:
    """Share of steps and units where |h_t| > ``level``: h sits near the ends of tanh's range."""
    return float(np.mean(np.abs(lt.h) > level))


@dataclass(frozen=True)
class WithoutTanh:
    max_h: float  # max |h_t| = max |o_t ⊙ tanh(c_t)| over the sentence and units
    max_wrong: float  # max |o_t ⊙ c_t| with the same o_t and c_t
    at: tuple[int, int]  # (t, unit) where |o_t ⊙ c_t| is largest
    max_c: float  # max |c_t|

    @property
    def leaves(self) -> bool:
        return self.max_wrong >= 1.0


def without_tanh(lt: LayerTrace) -> WithoutTanh:
    """h_t as often written without the tanh, a_t = Γ_o ⊙ c_t, against the model's h_t = o_t ⊙ tanh(c_t)."""
    o, c = lt.gates["o"].astype(np.float64), lt.c.astype(np.float64)
    wrong = np.abs(o * c)  # |Γ_o ⊙ c_t|, same o_t and c_t
    right = np.abs(o * np.tanh(c))  # |o_t ⊙ tanh(c_t)| = |h_t|
    t, j = np.unravel_index(int(np.argmax(wrong)), wrong.shape)
    return WithoutTanh(float(right.max()), float(wrong.max()), (int(t), int(j)), float(np.abs(c).max()))


def tanh_sentence(w: WithoutTanh) -> str:
    t, j = w.at[0] + 1, w.at[1]  # the page counts steps from 1
    if w.leaves:
        return (
            f"On this sentence $|c_t|$ reaches {w.max_c:.2f}, so $|\\Gamma_o \\odot c_t|$ reaches "
            f"{w.max_wrong:.2f} (t = {t}, unit {j}): outside (-1, 1), where $h_t = o_t \\odot \\tanh(c_t)$ "
            "can never be, so the next step's gates and the head would read values this model's $h_t$ "
            f"never takes. With the tanh the largest $|h_t|$ is {w.max_h:.3f}."
        )
    return (
        f"On this sentence $|c_t|$ is at most {w.max_c:.2f}, so even without the tanh "
        f"$|\\Gamma_o \\odot c_t|$ stays below 1 (largest {w.max_wrong:.2f}, against {w.max_h:.2f} with "
        "it); the two part ways as the cell grows: train the model and look again."
    )


@dataclass(frozen=True)
class Replay:
    h: np.ndarray  # (T, H) the output each step hands on
    probs: np.ndarray  # (O,) the head's answer at the last step


@torch.no_grad()
def replay(model, x, with_tanh: bool = True) -> Replay:
    """Read ``x`` with the LSTM's own weights, the output written h_t = o_t tanh(c_t) or, as often
    miswritten, a_t = Γ_o c_t; the next step's gates and the head read that output (float64)."""
    if model.cfg.cell != "lstm" or model.cfg.head != "many_to_one" or model.cfg.num_layers != 1:
        raise InputError("the replay is written for the standard LSTM (one layer, one answer)")
    p = {k: v.double() for k, v in model.layers[0].params(0).items()}
    xs = model.embed(torch.as_tensor(x)[None])[0].double()  # (T, D)
    H = model.cfg.hidden_size
    h, c, hs = xs.new_zeros(H), xs.new_zeros(H), []
    for x_t in xs:
        pre = p["weight_ih"] @ x_t + p["bias_ih"] + p["weight_hh"] @ h + p["bias_hh"]
        i, f, g, o = pre.chunk(4)  # torch's row order i, f, g, o
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g  # c_t = f_t c_{t-1} + i_t g_t
        h = o * torch.tanh(c) if with_tanh else o * c  # h_t = o_t tanh(c_t)  |  a_t = Γ_o c_t (wrong)
        hs.append(h)
    logits = model.head.weight.double() @ h + model.head.bias.double()
    return Replay(torch.stack(hs).numpy(), torch.softmax(logits, -1).numpy())


def replay_sentence(right: Replay, wrong: Replay, label: int, name: str) -> str:
    """What reading the whole sentence with a_t = Γ_o c_t does to the answer, in words."""
    p_right, p_wrong = float(right.probs[label]), float(wrong.probs[label])
    same = int(np.argmax(wrong.probs)) == int(np.argmax(right.probs))
    return (
        "Read the whole sentence with $a_t = \\Gamma_o \\odot c_t$ handed to the next step and the head: "
        f"the largest $|a_t|$ is {np.abs(wrong.h).max():.2f} (with the tanh {np.abs(right.h).max():.3f}), "
        f"and p({name}) is {p_wrong:.3f} instead of {p_right:.3f}"
        + (": the answer stays the same here." if same else ": the model now gives another answer.")
    )


@dataclass(frozen=True)
class Saving:
    lstm: int  # parameters of the LSTM model
    coupled: int  # parameters of the coupled LSTM model
    lstm_layer: int  # the LSTM's layer alone
    coupled_layer: int

    @property
    def share(self) -> float:
        return 1 - self.coupled / self.lstm


def coupled_saving(task, hidden: int) -> Saving:
    """Parameters of the LSTM and the coupled LSTM for ``task`` at ``hidden`` units."""
    counts = {}
    for cell in ("lstm", "lstm_coupled"):
        terms = param_terms(ModelConfig.for_task(task, cell=cell, hidden_size=hidden))
        counts[cell] = (
            sum(t.count for t in terms),
            sum(t.count for t in terms if t.part.startswith("layer")),
        )
    return Saving(counts["lstm"][0], counts["lstm_coupled"][0], counts["lstm"][1], counts["lstm_coupled"][1])


def saving_sentence(s: Saving) -> str:
    return (
        f"At this size the coupled layer has {s.coupled_layer:,} parameters against the LSTM layer's "
        f"{s.lstm_layer:,}: 3 blocks instead of 4, {1 - s.coupled_layer / s.lstm_layer:.0%} fewer. The "
        f"output head is the same, so the whole model has {s.coupled:,} parameters against {s.lstm:,}, "
        f"{s.share:.1%} fewer."
    )
