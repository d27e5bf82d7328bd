"""Lesson 6's agreement section under AppTest: every number its sentences, chart and question state is
the live models' own (untrained, then after one click of Train), and a sentence the task cannot read
gets a message. One page load and one training click (~16 s): the math is pinned in test_agreement.py."""

import base64
import json

import numpy as np
import pytest

from rnnviz.lessons import agreement_story as story
from rnnviz.lessons.agreement import accuracy_by_length
from rnnviz.lessons.agreement_clamp import clamp_number, weakest
from rnnviz.lessons.agreement_units import gate_story, number_units
from rnnviz.trace import trace

PAGE = "06_gru.py"
S = "the cat which already ate the mice near the dogs"  # the page's example sentence
NAMES = ("GRU", "LSTM", "RNN")


def _shown(at, start: str) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith(start)]


def _values(value) -> np.ndarray:
    """Plotly's JSON stores numpy arrays as {'dtype', 'bdata' (base64), 'shape'}; lists as lists."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).astype(float)
    return np.array([np.nan if v is None else v for v in value], dtype=float)


def _chart(at, title_part: str) -> dict:
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        if title_part in str(spec["layout"].get("title", {}).get("text", "")):
            return spec
    raise AssertionError(f"no chart titled {title_part!r}")


def _check_views(at, trained: bool) -> None:
    trainers = {n: at.session_state[f"l6_agree_{n}_trainer"][1] for n in NAMES}
    task = trainers["GRU"].task
    found = {n: number_units(t.model, task) for n, t in trainers.items()}
    for n in NAMES:  # which units carry the number: the page's sentence is the probe's
        assert story.units_sentence(found[n], n) in [m.value for m in at.markdown]
    gru = trainers["GRU"].model
    g = gate_story(gru, task, S, found["GRU"].units)
    assert story.gate_sentence(g, found["GRU"].clear) in [m.value for m in at.markdown]
    # the chart's lines are the trace's z_t on those units (float32 -> JSON), the drawn gate 0 then 1
    spec = _chart(at, "the drawn gate")
    z = trace(gru, task.encode(S)).layer(0).gates["z"]
    lines = {d["name"]: d for d in spec["data"]}
    for j in found["GRU"].units:
        assert np.allclose(_values(lines[f"unit {j}"]["y"]), z[:, j], atol=1e-6)
    drawn = _values(lines["as the course draws it"]["y"])
    assert np.array_equal(drawn, [np.nan, 0] + [1] * 8, equal_nan=True)
    # kept_j = prod z: the equation's numbers, float64, are those the sentence prints
    kept = np.prod(z[2:, list(found["GRU"].units)].astype(np.float64), axis=0)
    assert all(f"{k:.3g}" in story.gate_sentence(g, found["GRU"].clear) for k in kept)
    # the check question's answer is the zone of the live mean z_t after the subject
    q = story.gate_question(g, found["GRU"].clear)
    assert at.session_state["check_06_gru.py:agreement_answer"] == story.zone(
        float(z[2:, list(g.units)].mean())
    )
    assert q.question in [r.label for r in at.radio]
    # accuracy against length: the chart's points are each model's measured accuracy
    curve_spec = _chart(at, "Held-out accuracy")
    for n, t in trainers.items():
        line = next(d for d in curve_spec["data"] if d.get("name") == n)
        curve = accuracy_by_length(t.model, task)
        assert _values(line["y"]) == pytest.approx([curve[L] for L in sorted(curve)])
    # the clamp: each sentence is the one the backend computes for that model
    for n, t in trainers.items():
        out = clamp_number(t.model, task, S, found[n].units, "all")
        ctrl_units = weakest(found[n].r, len(found[n].units))
        control = clamp_number(t.model, task, S, ctrl_units, "all")
        text = story.clamp_sentence(n, out, control, float(max(abs(found[n].r[j]) for j in ctrl_units)))
        assert text in [m.value for m in at.markdown]
    if (
        trained
    ):  # one click: the GRU and LSTM learn agreement, their clamp flips the verb; the RNN stays at chance
        assert "GRU: 100% at 4 words" in story.curve_sentence(
            {n: accuracy_by_length(t.model, task) for n, t in trainers.items()}, (4, 12)
        )
        assert all("the verb flips" in m for m in _shown(at, "GRU: clamping") + _shown(at, "LSTM: clamping"))
        assert _shown(at, "No unit of the RNN carries the number yet")


def test_agreement_section_shows_the_live_models_numbers(open_url):
    at = open_url(PAGE, {"l6_agree_text": "the unicorn near the dogs"})
    assert not at.exception
    refused = [e.value for e in at.error]
    assert any("unicorn" in e and "example sentence" in e for e in refused), refused
    _check_views(at, trained=False)
    assert _shown(
        at, "No unit of the GRU carries the number yet"
    )  # untrained: said so, and no mechanism claimed
    assert not any("does not ride on" in m.value for m in at.markdown)
    at.text_input(key="l6_agree_text").set_value(S)
    at.button(key="l6_agree_train").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    _check_views(at, trained=True)
