"""Lesson 6's sentences about the agreement models, each computed from the numbers the page shows,
and the predict-first question on the GRU's update gate.

>>> curve_sentence({"GRU": {4: 1.0, 40: 0.98}, "RNN": {4: 0.51, 40: 0.5}}, (4, 12))
'GRU: 100% at 4 words, 98% at 40. RNN: 51% at 4 words, 50% at 40 (chance is 50%).'
"""

from __future__ import annotations

import numpy as np

from rnnviz.lessons.agreement_clamp import Clamped
from rnnviz.lessons.agreement_units import STRONG, GateStory, NumberUnits
from rnnviz.questions import Question

KEEP = 0.9  # z_t from which a word counts as kept, as drawn (1)
WRITE = 0.1  # z_t under which the subject counts as written, as drawn (0)
SMALL = 0.1  # a share of h_s "under a tenth"
CONFIDENT = 0.9  # p of the right verb from which the model "carries" the number on this sentence


def units_sentence(found: NumberUnits, cell: str) -> str:
    """Which units of ``cell`` carry the number, with their r_j (or that none does yet)."""
    if not found.clear:
        j = found.units[0]
        return (
            f"No unit of the {cell} carries the number yet: the largest |r_j| over {found.n} held-out "
            f"sentences is {abs(found.r[j]):.2f} (unit {j}), under {STRONG}."
        )
    named = ", ".join(f"unit {j} (r = {found.r[j]:+.2f})" for j in found.units)
    total = int(np.sum(np.abs(found.r) >= STRONG))
    more = f" {total} of its {len(found.r)} units reach |r_j| ≥ {STRONG}"
    more += f"; the strongest {len(found.units)}:" if total > len(found.units) else ":"
    return (
        f"In the {cell}, h_T follows the subject's number over {found.n} held-out sentences.{more} {named}."
    )


def units_name(units: tuple[int, ...], clear: bool) -> str:
    """ "the number units 0, 7, 2" or, before any unit carries the number, "unit 5 (the one most tied to
    the number, though none carries it yet)"."""
    listed = ", ".join(map(str, units))
    if not clear:
        return f"unit {listed} (the one most tied to the number, though none carries it yet)"
    return f"number unit{'s' if len(units) > 1 else ''} {listed}"


def gate_title(units: tuple[int, ...], clear: bool) -> str:
    """The gate chart's title: which units it draws, and whether they carry the number yet."""
    listed = ", ".join(map(str, units))
    kind = "number unit" if clear else "unit most tied to the number"
    return f"GRU: z_t of {kind}{'s' if len(units) > 1 else ''} {listed}, and the drawn gate"


def gate_sentence(story: GateStory, clear: bool) -> str:
    """The live GRU's z_t on the number units against the drawn gate, on this sentence; ``clear``:
    whether those units carry the number (NumberUnits.clear)."""
    s, words = story.subject, story.tokens
    at = ", ".join(f"{z:.2f}" for z in story.z[s - 1])
    after = story.keep_steps()
    parts = [
        f"The course draws z_t = 0 at the subject ('{words[s - 1]}', t = {s}: write its number) and "
        f"z_t = 1 on each of the {len(after)} words after it (keep). The live GRU's "
        f"{units_name(story.units, clear)} {'has' if len(story.units) == 1 else 'have'} z_t = {at} at the "
        "subject"
    ]
    if len(after):
        kept = ", ".join(f"{k:.3g}" for k in story.kept)
        parts.append(
            f"; after it, z_t averages {after.mean():.2f} (from {after.min():.2f} to {after.max():.2f}), "
            f"≥ {KEEP} on {int(np.sum(after >= KEEP))} of {after.size} word-unit pairs. Along the keep path "
            f"alone, ∏ z_t keeps {kept} of h_s to the verb"
        )
    text = "".join(parts) + "."
    p_right = story.p_plural if story.number == 1 else 1 - story.p_plural
    said = "plural" if story.p_plural >= 0.5 else "singular"
    verdict = f" The model says {said} (p(plural) = {story.p_plural:.3f}): "
    verdict += "right." if p_right >= 0.5 else "wrong."
    # the mechanism follows from h_t = (1 - z_t) n_t + z_t h_{t-1} only when the model does carry the
    # number (units found, verb right with confidence) and the keep path leaves under a tenth of h_s
    if len(after) and clear and p_right >= CONFIDENT and float(np.max(story.kept)) < SMALL:
        verdict += (
            " So the number does not ride on z_t ≈ 1 as drawn: with under a tenth of h_s left on the keep "
            "path, it reaches the verb through the candidate n_t, which reads h_{t-1} and writes the "
            "number again at every word."
        )
    return text + verdict


def curve_sentence(curves: dict[str, dict[int, float]], trained: tuple[int, int]) -> str:
    """Each cell's accuracy at the shortest and the longest length tested, and which lines coincide
    (the same accuracy at every length: one line hides the other)."""
    parts = []
    for name, curve in curves.items():
        lo, hi = min(curve), max(curve)
        parts.append(f"{name}: {curve[lo]:.0%} at {lo} words, {curve[hi]:.0%} at {hi}")
    text = ". ".join(parts) + " (chance is 50%)."
    names = list(curves)
    same = [(a, b) for k, a in enumerate(names) for b in names[k + 1 :] if curves[a] == curves[b]]
    if same:
        pairs = "; ".join(f"{a} and {b}" for a, b in same)
        text += f" {pairs}: the same accuracy at every length, so one line lies on top of the other."
    return text


def clamp_sentence(name: str, out: Clamped, control: Clamped, control_r: float) -> str:
    """What clamping ``name``'s number units did to the verb, against the control."""
    units = ", ".join(map(str, out.units))
    how = "at every word from the subject on" if out.where == "all" else "at the subject only"
    head = (
        f"{name}: clamping unit{'s' if len(out.units) > 1 else ''} {units} {how} to their values for "
        f"'{out.counterfactual}' moves p(plural) from {out.p_plural:.3f} to {out.p_clamped:.3f}"
    )
    head += " — the verb flips." if out.flipped else ": the verb does not flip."
    ctrl = (
        f" The control, as many units least tied to the number (|r_j| ≤ {control_r:.2f}), moves it to "
        f"{control.p_clamped:.3f}{' (it flips too: those units carry the number as well)' * control.flipped}."
    )
    return head + ctrl


ZONES = (
    "above 0.9: it keeps h_{t-1}, as drawn",
    "between 0.5 and 0.9",
    "below 0.5: it mostly takes the candidate",
)


def zone(mean_z: float) -> int:
    return 0 if mean_z > KEEP else 1 if mean_z >= 0.5 else 2


def gate_question(story: GateStory, clear: bool) -> Question | None:
    """Predict the live GRU's mean z_t on the number units over the words after the subject."""
    after = story.keep_steps()
    if not len(after):
        return None
    mean = float(after.mean())
    answer = zone(mean)
    question = (
        f"The course draws z_t = 1 (keep) on every word after the subject. On the {len(after)} words after "
        f"'{story.tokens[story.subject - 1]}' in your sentence, what is the live GRU's mean z_t on its "
        f"{units_name(story.units, clear)}? Predict, then look at the chart."
    )
    why = (
        f"The mean is {mean:.2f} (from {after.min():.2f} to {after.max():.2f}). z_t is the share of "
        "h_{t-1} kept; what the gate does not keep, the candidate n_t (which reads h_{t-1}) writes."
    )
    hints = {
        k: f"The live mean is {mean:.2f}: read the unit lines on the words after the subject."
        for k in range(len(ZONES))
        if k != answer
    }
    return Question(question, list(ZONES), answer, why, hints)
