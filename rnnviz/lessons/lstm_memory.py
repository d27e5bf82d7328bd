"""Lesson 5's sentences about what the cell keeps: "c slow, h fast" on the live sentence, the
coupled variant's f_t + i_t = 1, and where step t stands to a clamped span. Each is computed from
the numbers the page shows, so it stays true.

>>> changes = {"||c_t - c_(t-1)||": np.array([1.0, 0.1, 0.1]), "||h_t - h_(t-1)||": np.array([0.5, 0.3, 0.3])}
>>> slogan_holds(changes)
(True, 0.1, 0.3)
>>> clamp_position(1, (2, 5), "f")
' (t = 1 comes before the clamped steps 2 to 5: nothing is replaced yet)'
"""

from __future__ import annotations

import numpy as np

from rnnviz.lessons.lstm_story import h_saturated
from rnnviz.trace import LayerTrace


def slogan_holds(changes: dict[str, np.ndarray]) -> tuple[bool, float, float]:
    """Does c move less than h per step? (holds, mean ||c_t - c_{t-1}||, mean ||h_t - h_{t-1}||) over
    steps t = 2..T (step 1 starts from c_0 = h_0 = 0, a jump every state makes). ``changes`` holds the
    c series first, then the h series (``gating.state_changes``)."""
    dc, dh = (float(np.mean(v[1:])) for v in changes.values())
    return dc < dh, dc, dh


def slogan_sentence(lt: LayerTrace, changes: dict[str, np.ndarray]) -> str:
    """ "c changes slowly, h fast" said of this sentence: whether it holds, and the forget gate's mean."""
    holds, dc, dh = slogan_holds(changes)
    f_mean = float(lt.gates["f"][1:].mean())  # after the first step, as the step sizes
    verdict = (
        f"On this sentence the slogan holds: c moves {dc:.3f} per step on average, h {dh:.3f}."
        if holds
        else f"On this sentence c moves *more* than h ({dc:.3f} against {dh:.3f} per step): the cell keeps "
        "adding $i_t \\odot g_t$ (it can count), while $h$ is squashed into (-1, 1) by tanh ($|h_t| > 0.9$ "
        f"on {h_saturated(lt):.0%} of the steps and units here). What the slogan gets right is "
        "*how* they change: c is edited, h is recomputed."
    )
    return (
        f"{verdict} The forget gate averages {f_mean:.3f} after the first step, so each step wipes about "
        f"{1 - f_mean:.0%} of the old cell."
    )


def coupling_gap(lt: LayerTrace) -> float:
    """max |f_t + i_t - 1| over the sentence: exactly 0 for the coupled LSTM (f_t = 1 - i_t)."""
    return float(np.abs(lt.gates["f"] + lt.gates["i"] - 1).max())


def coupling_sentence(lt: LayerTrace, title: str, coupled: bool) -> str:
    """The live check of f_t + i_t = 1 on the current model (``title`` its name)."""
    return (
        f"**Live check on the current model ({title}):** the largest $|f_t + i_t - 1|$ over this sentence "
        f"is **{coupling_gap(lt):.4f}**" + (" (exactly 0: the gates are coupled)." if coupled else ".")
    )


def clamp_position(t: int, span: tuple[int, int], gate: str) -> str:
    """Where step t stands to the clamped steps span[0]..span[1] (1-based, both included): a remark
    before or after the span, nothing inside it."""
    lo, hi = span
    if t < lo:
        return f" (t = {t} comes before the clamped steps {lo} to {hi}: nothing is replaced yet)"
    if t > hi:
        return (
            f" (t = {t} comes after the clamped steps {lo} to {hi}: "
            f"{gate} is free again, but c_(t-1) and h_(t-1) carry what the clamp did)"
        )
    return ""
