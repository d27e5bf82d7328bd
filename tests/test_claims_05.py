"""Lesson 5's prose against its numbers: every sentence the page states about the live LSTM, at the
defaults, at each cell variant and forget-bias setting, and after training; every equation on screen
against the model's own numbers (float64)."""

import json
import re

import numpy as np
import pytest
import torch

from rnnviz.lessons import gating, lstm_backward, lstm_story
from rnnviz.model import param_count
from rnnviz.trace import GateClamp, trace

PAGE = "05_lstm.py"
SIGMA_1 = 1 / (1 + np.exp(-1.0))


def _trainer(at):
    return at.session_state["l5_trainer"][1]


def _sentence(at):
    trainer = _trainer(at)
    return gating.read_sentence(trainer.task, at.text_input(key="l5_text").value)


def _text(at, words: str) -> str:
    """The one markdown / info block of the page that holds ``words``."""
    found = [m.value for m in [*at.markdown, *at.info] if words in m.value]
    assert len(found) == 1, (words, found)
    return found[0]


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+\.\d+", text)]


def _batch_means(model, task):
    """Mean of each gate over the page's 64 sentences, computed here from the trace of each one."""
    batch = task.batch(64, task.generator(7))
    sums = {g: [] for g in "ifgo"}
    for x in batch.x:
        lt = trace(model, x, jacobians=False).layer(0)
        for g in sums:
            sums[g].append(lt.gates[g])
    return {g: float(np.mean(v)) for g, v in sums.items()}, batch


def _float64(model):
    import copy

    return copy.deepcopy(model).double()


@pytest.mark.parametrize(
    ("cell", "fbias"),
    [("lstm", True), ("lstm", False), ("lstm_peephole", True), ("lstm_coupled", True)],
)
def test_the_untrained_gates_are_where_the_page_says(open_page, cell, fbias):
    at = open_page(PAGE)
    at.selectbox(key="l5_cell").set_value(cell)
    at.checkbox(key="l5_fbias").set_value(fbias).run()
    assert not at.exception and not at.error
    trainer = _trainer(at)
    assert trainer.step == 0 and trainer.model.cfg.cell == cell
    means, _ = _batch_means(trainer.model, trainer.task)
    info = _text(at, "This model is **untrained**")
    assert f"$i$ averages {means['i']:.2f} and $o$ {means['o']:.2f}" in info
    g_shown = "0.00" if round(means["g"], 2) == 0 else f"{means['g']:+.2f}"
    assert f"averages {means['f']:.2f}" in info and f"averages {g_shown}," in info
    assert abs(means["i"] - 0.5) < 0.1 and abs(means["o"] - 0.5) < 0.1 and "both near 0.5" in info
    assert abs(means["g"]) < 0.1 and "around 0" in info  # g is a tanh around 0
    if cell == "lstm_coupled":
        assert "$f = 1 - i$" in info and means["f"] == pytest.approx(1 - means["i"], abs=1e-6)
    elif fbias:  # the forget bias +1 puts f near sigma(1) = 0.73, not 0.5
        assert abs(means["f"] - SIGMA_1) < 0.1 and abs(means["f"] - 0.5) > 0.15
        assert "near σ(1) = 0.73, because its bias starts at +1" in info
    else:
        assert abs(means["f"] - 0.5) < 0.1 and "near 0.5 (no forget bias)" in info
    assert "all near 0.5" not in " ".join(m.value for m in at.markdown)
    # the saturation section repeats the same computed sentence
    assert f"averages {means['f']:.2f}" in _text(at, "These histograms count")


@pytest.mark.parametrize("cell", ["lstm", "lstm_coupled"])
def test_the_cell_gradient_has_the_two_terms_the_equation_shows(open_page, cell):
    at = open_page(PAGE)
    at.selectbox(key="l5_cell").set_value(cell).run()
    for trained in (False, True):
        if trained:
            at.button(key="l5_train").click().run()
            assert not at.exception and _trainer(at).step > 0
        model = _trainer(at).model
        x, y = _sentence(at)
        lt = trace(_float64(model), x, y, jacobians=False).layer(0)
        f, o, c = lt.gates["f"], lt.gates["o"], lt.c
        # dL/dc_{t-1} = f_t dL/dc_t + o_{t-1} (1 - tanh^2 c_{t-1}) dL/dh_{t-1}, for every t >= 1
        both = f[1:] * lt.grad_c[1:] + o[:-1] * (1 - np.tanh(c[:-1]) ** 2) * lt.grad_h[:-1]
        np.testing.assert_allclose(lt.grad_c[:-1], both, rtol=1e-9, atol=1e-14)
        # the page's sentence: total / direct term, from the float32 trace the page shows
        lt32 = trace(model, x, y, jacobians=False).layer(0)
        direct = np.linalg.norm(lt32.gates["f"][1:] * lt32.grad_c[1:], axis=1)
        ratio = lt32.grad_c_norm[:-1] / direct
        text = _text(at, "the direct term: the rest comes")
        lo, hi = _numbers(text)[:2]
        assert lo == pytest.approx(ratio.min(), abs=0.006) and hi == pytest.approx(ratio.max(), abs=0.006)
        assert f"(t = {int(np.argmax(ratio)) + 1})" in text  # row k of the arrays is step t = k + 1
        if (
            trained and cell == "lstm"
        ):  # after training the total is well above the direct term near the start
            assert ratio.max() > 1.3
        chart = next(ch for ch in at.get("plotly_chart") if "Gradient, back through time" in ch.proto.spec)
        names = [trace_["name"] for trace_ in json.loads(chart.proto.spec)["data"]]
        assert names == ["||dL/dc_t||", "||f_(t+1) ⊙ dL/dc_(t+1)||", "||dL/dh_t||"]  # total and direct term


def test_with_peepholes_the_two_terms_are_not_all(open_page):
    at = open_page(PAGE)
    at.selectbox(key="l5_cell").set_value("lstm_peephole").run()
    model = _trainer(at).model
    assert model.state_dict()["layers.0.rnn.weight_ch_l0"].abs().min() > 0  # the gates do read c
    x, y = _sentence(at)
    lt = trace(_float64(model), x, y, jacobians=False).layer(0)
    f, o, c = lt.gates["f"], lt.gates["o"], lt.c
    both = f[1:] * lt.grad_c[1:] + o[:-1] * (1 - np.tanh(c[:-1]) ** 2) * lt.grad_h[:-1]
    assert np.abs(lt.grad_c[:-1] - both).max() > 1e-6
    assert "adds more terms" in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("cell", ["lstm", "lstm_peephole", "lstm_coupled"])
def test_the_cell_edit_identity_and_the_output_equation_hold_on_the_model(open_page, cell):
    at = open_page(PAGE)
    at.selectbox(key="l5_cell").set_value(cell).run()
    x, y = _sentence(at)
    lt = trace(_float64(_trainer(at).model), x, y, jacobians=False).layer(0)
    i, f, g, o, c = *(lt.gates[k] for k in "ifgo"), lt.c
    c_prev = np.vstack([np.zeros((1, c.shape[1])), c[:-1]])
    # c_t - c_{t-1} = i_t g_t - (1 - f_t) c_{t-1}
    np.testing.assert_allclose(c - c_prev, i * g - (1 - f) * c_prev, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lt.h, o * np.tanh(c), rtol=1e-12, atol=1e-15)  # h_t = o_t tanh(c_t)
    if cell != "lstm":  # c_{t-1} reaches the gates too: the written-out backward step is not offered
        assert any("written out for the standard LSTM" in m.value for m in at.info)
    if cell == "lstm_coupled":
        np.testing.assert_allclose(f, 1 - i, atol=1e-15)
        assert "**0.0000** (exactly 0" in _text(at, "Live check on the current model")


def test_the_c_and_h_verdict_and_the_forget_share_follow_the_trace(open_page):
    at = open_page(PAGE)
    x, y = _sentence(at)
    lt = trace(_trainer(at).model, x, y, jacobians=False).layer(0)
    dc = np.linalg.norm(np.diff(lt.c, axis=0), axis=1).mean()
    dh = np.linalg.norm(np.diff(lt.h, axis=0), axis=1).mean()
    text = _text(at, "The forget gate averages")
    assert f"{dc:.3f}" in text and f"{dh:.3f}" in text
    assert ("the slogan holds" in text) == (dc < dh)
    if dc >= dh:
        assert f"$|h_t| > 0.9$ on {np.mean(np.abs(lt.h) > 0.9):.0%} of the steps and units" in text
    f_mean = lt.gates["f"][1:].mean()
    assert f"averages {f_mean:.3f} after the first step" in text and f"about {1 - f_mean:.0%}" in text


def test_the_output_without_tanh_panel(open_page):
    at = open_page(PAGE)
    for trained in (False, True):
        if trained:
            at.button(key="l5_train").click().run()
        x, y = _sentence(at)
        lt = trace(_trainer(at).model, x, y, jacobians=False).layer(0)
        wrong = np.abs(lt.gates["o"].astype(np.float64) * lt.c).max()
        right = np.abs(lt.h).max()
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["max |h_t| = max |o_t tanh(c_t)|"] == f"{right:.3f}" and right < 1
        assert metrics["max |Γ_o c_t| (no tanh)"] == f"{wrong:.3f}"
        text = _text(at, "even without the tanh") if wrong < 1 else _text(at, "outside (-1, 1)")
        assert f"{wrong:.2f}" in text
        if trained:  # the trained cell grows past 1, and the tanh-less output leaves (-1, 1)
            assert wrong > 1 and "outside (-1, 1)" in text


def test_the_replay_without_tanh_is_the_model_with_one_change(open_page):
    at = open_page(PAGE)
    at.button(key="l5_train").click().run()
    model = _trainer(at).model
    x, y = _sentence(at)
    right, wrong = lstm_story.replay(model, x), lstm_story.replay(model, x, with_tanh=False)
    twin = _float64(model)
    out, _ = twin.layers[0].rnn(twin.embed(x[None]))  # torch's fused LSTM
    np.testing.assert_allclose(right.h, out[0].detach().numpy(), rtol=1e-10, atol=1e-12)
    probs = torch.softmax(twin.head(out[0, -1]), -1).detach().numpy()
    np.testing.assert_allclose(right.probs, probs, rtol=1e-10)
    assert np.abs(right.h).max() < 1 < np.abs(wrong.h).max()  # the tanh-less output leaves (-1, 1)
    text = _text(at, "Read the whole sentence with")
    assert (
        f"{np.abs(wrong.h).max():.2f}" in text
        and f"{wrong.probs[y]:.3f} instead of {right.probs[y]:.3f}" in text
    )
    assert ("stays the same" in text) == (np.argmax(wrong.probs) == np.argmax(right.probs))


def test_the_check_question_is_graded_on_the_live_gates(open_page):
    at = open_page(PAGE)
    for trained, expected in ((False, 3), (True, 1)):  # untrained: no gate above 0.9; trained: f
        if trained:
            at.button(key="l5_train").click().run()
        trainer = _trainer(at)
        batch = trainer.task.batch(64, trainer.task.generator(7))
        shares = {}
        for gate in "ifo":
            values = np.stack(
                [trace(trainer.model, xb, jacobians=False).layer(0).gates[gate] for xb in batch.x]
            )
            shares[gate] = float((values[:, 1:-1] > 0.9).mean())
        best = max(shares, key=shares.get)
        answer = 3 if shares[best] < 0.01 else "ifo".index(best)
        assert answer == expected, shares
        radio = at.radio(key="check_05_lstm.py")
        assert radio.options[3].startswith("none")
        radio.set_value(answer).run()
        assert at.success and not at.error
        assert all(f"{g} {s:.0%}" in at.success[0].value for g, s in shares.items())
        at.radio(key="check_05_lstm.py").set_value((answer + 1) % 4).run()
        assert at.error and "Not quite" in at.error[0].value
        at.radio(key="check_05_lstm.py").set_value(None).run()


def test_the_coupled_saving_is_the_models_own_count(open_page):
    at = open_page(PAGE)
    task, hidden = _trainer(at).task, at.select_slider(key="l5_hidden").value
    saving = lstm_story.coupled_saving(task, hidden)
    at.selectbox(key="l5_cell").set_value("lstm_coupled").run()
    coupled = _trainer(at).model
    at.selectbox(key="l5_cell").set_value("lstm").run()
    lstm = _trainer(at).model
    assert (saving.lstm, saving.coupled) == (param_count(lstm), param_count(coupled))
    layer = {m: param_count(m) - param_count(m.head) for m in (lstm, coupled)}
    assert layer[coupled] * 4 == layer[lstm] * 3  # exactly a quarter fewer in the layer
    text = _text(at, "3 blocks instead of 4")
    assert "25% fewer" in text and f"{1 - param_count(coupled) / param_count(lstm):.1%} fewer" in text
    assert "a quarter fewer weights" not in text


def test_the_backward_table_is_the_backward_step_of_the_live_model(open_page):
    at = open_page(PAGE)
    at.button(key="l5_train").click().run()
    at.select_slider(key="l5_t").set_value(3).run()  # t = 3, the third word: row 2 of the arrays
    unit = at.select_slider(key="l5_unit").value
    x, y = _sentence(at)
    step = lstm_backward.backward_step(_trainer(at).model, x, y, 2, unit)
    shown = next(f.value for f in at.dataframe if "norm over units" in f.value.columns)
    np.testing.assert_allclose(shown["value"].to_numpy(), [r.value for r in step.rows])
    lt = trace(_float64(_trainer(at).model), x, y, jacobians=False).layer(0)
    rows = dict(zip(shown["quantity"], shown["value"], strict=True))
    assert rows["dL/dc_t"] == pytest.approx(lt.grad_c[2, unit], rel=1e-9, abs=1e-15)
    assert rows["dL/dc_{t-1}"] == pytest.approx(lt.grad_c[1, unit], rel=1e-9, abs=1e-15)
    assert rows["dL/dh_{t-1}"] == pytest.approx(lt.grad_h[1, unit], rel=1e-9, abs=1e-15)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["share of dL/dc_(t-1) along the cell (f_t)"] == f"{step.share_f:.0%}"
    assert lstm_backward.share_sentence(step) in [m.value for m in at.markdown]


def test_clamping_f_to_zero_wipes_the_cells_copy_only(open_page):
    at = open_page(PAGE)
    at.button(key="l5_train").click().run()
    x, y = _sentence(at)
    lt = trace(_trainer(at).model, x, y, clamps=(GateClamp("f", 0.0, 1),), jacobians=False).layer(0)
    np.testing.assert_allclose(lt.c[1:], lt.gates["i"][1:] * lt.gates["g"][1:], rtol=1e-6)  # c_t = i_t g_t
    assert "must travel through $h$" in " ".join(m.value for m in at.markdown)


def test_guessing_is_one_in_four(open_page):
    at = open_page(PAGE)
    task = _trainer(at).task
    y = task.batch(4000, torch.Generator().manual_seed(1)).y
    assert len(task.labels) == 4 and abs(np.bincount(y.numpy()) / 4000 - 0.25).max() < 0.03
    assert "Guessing gives 25%" in " ".join(m.value for m in at.markdown)


# --- one indexing convention: steps t = 1..T, h_0 = c_0 = 0 before the first word (issue 11) -----


def _chart(at, words: str) -> dict:
    """The one chart whose spec holds ``words`` (its title), as plotly JSON."""
    found = [json.loads(ch.proto.spec) for ch in at.get("plotly_chart") if words in ch.proto.spec]
    assert len(found) == 1, words
    return found[0]


def _backward_rows(at) -> dict[str, dict]:
    """The shown backward table as {quantity: row}."""
    frame = next(f.value for f in at.dataframe if "norm over units" in f.value.columns)
    return {r["quantity"]: r for r in frame.to_dict("records")}


def test_steps_count_from_one_on_the_picker_tables_charts_and_backward_step(open_page):
    at = open_page(PAGE)
    words = at.text_input(key="l5_text").value.split()
    T = len(words)
    picker = at.select_slider(key="l5_t")
    assert [int(o) for o in picker.options] == list(range(1, T + 1))  # t = 1..T
    assert at.select_slider(key="l5_clamp_span").value == (2, T)  # after the first word, to the last
    x, y = _sentence(at)
    lt = trace(_float64(_trainer(at).model), x, y, jacobians=False).layer(0)
    picker.set_value(1).run()
    at.radio(key="l5_stage").set_value("update").run()
    assert not at.exception and not at.error
    unit = at.select_slider(key="l5_unit").value
    # t = 1 reads the first word, and the state before it is c_0 = 0
    diagram = _chart(at, "): step t=")
    assert f"step t=1 ('{words[0]}')" in diagram["layout"]["title"]["text"]
    row = next(r for r in at.dataframe[0].value.to_dict("records") if r["quantity"] == "c_t")
    f, c_prev, i, g, c = _numbers(row["with the numbers"])
    assert c_prev == 0.0 and c == pytest.approx(i * g, abs=2e-4)  # c_1 = f_1 c_0 + i_1 g_1 with c_0 = 0
    assert row["value"] == pytest.approx(float(lt.c[0, unit]), abs=1e-6)  # row 0 of the trace is step 1
    assert any("at step 1;" in cap.value and "h_0 = c_0 = 0" in cap.value for cap in at.caption)
    # every step axis and hover starts at "1:<first word>"
    for title in ("i: input gate", "Step size of c and h", "Gradient, back through time"):
        spec = _chart(at, title)
        assert spec["layout"]["xaxis"]["ticktext"][0] == f"1:{words[0]}", title
        assert spec["layout"]["xaxis"]["ticktext"][-1].endswith(f":{words[-1]}")
        hover = np.asarray(spec["data"][0]["customdata"]).reshape(-1, T)[0] if "i:" in title else None
        if hover is not None:
            assert hover[0] == f"1:{words[0]}" and hover[-1] == f"{T}:{words[-1]}"
    # the backward step at t = 1: nothing comes through h_0, which is given
    back = _backward_rows(at)
    assert back["through h_{t-1}"]["value"] == 0.0 and "h_0 = 0" in back["through h_{t-1}"][f"unit {unit}"]
    assert back["dL/dc_t"]["value"] == pytest.approx(lt.grad_c[0, unit], rel=1e-9, abs=1e-15)
    assert any(m.value.startswith("At t = 1 all of dL/dc_0") for m in at.markdown)
    # the last word is t = T: nothing comes back from a step T + 1
    at.select_slider(key="l5_t").set_value(T).run()
    assert f"step t={T} ('{words[-1]}')" in _chart(at, "): step t=")["layout"]["title"]["text"]
    back = _backward_rows(at)
    assert back["dL/dc_{t+1}"]["value"] == 0.0
    assert any(f"at t = {T} (norm" in m.value for m in at.markdown)


def _clamped_table(at):
    """The shown step with the clamp: the last worked table (the intervention closes the step views)."""
    return [f.value for f in at.dataframe if "with the numbers" in f.value.columns][-1]


def test_the_clamped_step_says_where_t_stands_to_the_clamped_steps(open_page):
    at = open_page(PAGE)  # default clamp: f = 0 on steps 2..T
    T = len(at.text_input(key="l5_text").value.split())
    at.select_slider(key="l5_t").set_value(1).run()
    before = _text(at, "**with the clamp**")
    assert f"t = 1 comes before the clamped steps 2 to {T}: nothing is replaced yet" in before
    clamped = _clamped_table(at)
    assert not clamped["with the numbers"].str.contains("replaced by").any()
    free = at.dataframe[0].value  # the forget step without the clamp: the same numbers at t = 1
    shared = free["quantity"][free["quantity"].isin(clamped["quantity"])]
    for q in shared:
        assert clamped.set_index("quantity").loc[q, "value"] == free.set_index("quantity").loc[q, "value"]
    at.select_slider(key="l5_clamp_span").set_value((2, 4))
    at.select_slider(key="l5_t").set_value(3).run()
    assert "comes" not in _text(at, "**with the clamp**")  # inside the span: no remark
    assert _clamped_table(at)["with the numbers"].str.contains("replaced by").any()
    at.select_slider(key="l5_t").set_value(6).run()
    assert "t = 6 comes after the clamped steps 2 to 4: f is free again" in _text(at, "**with the clamp**")


def test_prose_joined_from_pieces_reads_whole(open_page):
    """Sentences written over several string pieces: no word lost at a join (three had: 'ask of and',
    'The cell c_t not bounded', 'makes cell purely additive')."""
    at = open_page(PAGE)
    assert "step t+1 ask of $h_t$) and $dL/dc_{t+1}$" in _text(at, "(the picker above) receives")
    assert "The cell $c_t$ is not bounded" in _text(at, "without the tanh the output can leave")
    assert "Clamping $f = 1$ makes the cell purely additive" in _text(at, "Force a gate to a value")
