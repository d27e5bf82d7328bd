"""Lesson 6's prose against its numbers: every sentence the page states about the live GRU, the
LSTM/GRU comparison and the deep stacks, at the defaults, at each GRU form and after training; every
equation on screen against the models' own numbers (float64, torch's fused modules where they exist)."""

import copy
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.cells import CELLS
from rnnviz.lessons import depth, gating
from rnnviz.model import param_count
from rnnviz.trace import trace

PAGE = "06_gru.py"


def _trainer(at, key="l6"):
    return at.session_state[key + "_trainer"][1]


def _sentence(at):
    return gating.read_sentence(_trainer(at).task, at.text_input(key="l6_text").value)


def at_markdown(at):
    return [*at.markdown, *at.caption, *at.info]


def _text(at, words: str) -> str:
    found = [m.value for m in at_markdown(at) if words in m.value]
    assert len(found) == 1, (words, found)
    return found[0]


def _frame(at, column: str):
    return next(df.value for df in at.dataframe if column in df.value.columns)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _gru_by_the_table(sd, prefix, x, H, cell):
    """h_t of the GRU written as the page's equations, float64, from the model's own weights."""
    W_ih, W_hh = (sd[f"{prefix}weight_{k}_l0"].double().numpy() for k in ("ih", "hh"))
    b_ih, b_hh = (sd[f"{prefix}bias_{k}_l0"].double().numpy() for k in ("ih", "hh"))
    h, out = np.zeros(H), []
    for x_t in x:
        a, b = W_ih @ x_t + b_ih, W_hh @ h + b_hh  # the input and recurrent parts, torch's row order
        if cell == "gru_minimal":  # rows z, n
            z = _sigmoid(a[:H] + b[:H])
            n = np.tanh(a[H:] + b[H:])  # n_t = tanh(W_in x_t + b_in + W_hn h_{t-1} + b_hn)
        else:  # rows r, z, n
            r = _sigmoid(a[:H] + b[:H])  # r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
            z = _sigmoid(a[H : 2 * H] + b[H : 2 * H])  # z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
            if cell == "gru":  # n_t = tanh(W_in x_t + b_in + r_t (W_hn h_{t-1} + b_hn))
                n = np.tanh(a[2 * H :] + r * b[2 * H :])
            else:  # n_t = tanh(W_in x_t + b_in + W_hn (r_t h_{t-1}) + b_hn)
                n = np.tanh(a[2 * H :] + W_hh[2 * H :] @ (r * h) + b_hh[2 * H :])
        h = (1 - z) * n + z * h  # h_t = (1 - z_t) n_t + z_t h_{t-1}
        gamma = 1 - z
        np.testing.assert_allclose(gamma * n + (1 - gamma) * out[-1] if out else gamma * n, h)  # Gamma_u form
        out.append(h)
    return np.array(out)


def _lstm_by_the_table(sd, x, H):
    W_ih, W_hh = (sd[f"layers.0.rnn.weight_{k}_l0"].double().numpy() for k in ("ih", "hh"))
    b = sd["layers.0.rnn.bias_ih_l0"].double().numpy() + sd["layers.0.rnn.bias_hh_l0"].double().numpy()
    h, c, hs, cs = np.zeros(H), np.zeros(H), [], []
    for x_t in x:
        pre = W_ih @ x_t + W_hh @ h + b
        i, f, o = (_sigmoid(pre[k * H : (k + 1) * H]) for k in (0, 1, 3))  # i, f, o = sigma(...)
        g = np.tanh(pre[2 * H : 3 * H])  # g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        c = f * c + i * g  # c_t = f_t c_{t-1} + i_t g_t
        h = o * np.tanh(c)  # h_t = o_t tanh(c_t)
        hs.append(h)
        cs.append(c)
    return np.array(hs), np.array(cs)


@pytest.mark.parametrize("cell", ["gru", "gru_paper", "gru_minimal"])
def test_untrained_gates_and_the_gru_equations(open_page, cell):
    at = open_page(PAGE)
    at.selectbox(key="l6_cell").set_value(cell).run()
    assert not at.exception and not at.error
    model = _trainer(at).model
    task = _trainer(at).task
    batch = task.batch(64, task.generator(7))
    found = {g: [] for g in CELLS[cell].gates if g in "rzn"}
    for xb in batch.x:
        lt = trace(model, xb, jacobians=False).layer(0)
        for g in found:
            found[g].append(lt.gates[g])
    means = {g: float(np.mean(v)) for g, v in found.items()}
    caption = _text(at, "The model is untrained")
    for g in ("r", "z"):
        if g in means:
            assert f"averages {means[g]:.2f} (near 0.5)" in caption and abs(means[g] - 0.5) < 0.1
    n_shown = "0.00" if round(means["n"], 2) == 0 else f"{means['n']:+.2f}"  # never "-0.00"
    assert f"a tanh, averages {n_shown} (around 0)" in caption and abs(means["n"]) < 0.1
    assert "reset gate" in caption if cell != "gru_minimal" else "reset gate" not in caption
    # the equations on screen reproduce the model (torch's nn.GRU for the torch form), float64
    x, y = _sentence(at)
    xs = F.one_hot(x, task.input_size).double().numpy()
    shown = _gru_by_the_table(model.state_dict(), "layers.0.rnn.", xs, model.cfg.hidden_size, cell)
    twin = copy.deepcopy(model).double()
    if cell == "gru":
        assert isinstance(twin.layers[0].rnn, torch.nn.GRU)
        ref = twin.layers[0].rnn(twin.embed(x[None]))[0][0].detach().numpy()
    else:
        ref = trace(twin, x, y, jacobians=False).layer(0).h
    np.testing.assert_allclose(shown, ref, rtol=1e-10, atol=1e-12)


def test_the_lstm_gru_table_is_what_torch_computes(open_page):
    at = open_page(PAGE)
    task = _trainer(at).task
    lstm, gru = (_trainer(at, f"l6_race_{n}").model for n in ("LSTM", "GRU"))
    H = lstm.cfg.hidden_size
    x, _ = _sentence(at)
    xs = F.one_hot(x, task.input_size).double().numpy()
    torch_lstm = copy.deepcopy(lstm).double().layers[0].rnn
    assert isinstance(torch_lstm, torch.nn.LSTM)
    out, (h_T, c_T) = torch_lstm(torch.as_tensor(xs)[None])
    hs, cs = _lstm_by_the_table(lstm.state_dict(), xs, H)
    np.testing.assert_allclose(hs, out[0].detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cs[-1], c_T[0, 0].detach().numpy(), rtol=1e-10, atol=1e-12)  # states h and c
    torch_gru = copy.deepcopy(gru).double().layers[0].rnn
    ref = torch_gru(torch.as_tensor(xs)[None])[0][0].detach().numpy()
    np.testing.assert_allclose(
        _gru_by_the_table(gru.state_dict(), "layers.0.rnn.", xs, H, "gru"), ref, rtol=1e-10
    )
    # weight blocks 4 : 3 and the gates named in the table
    assert lstm.state_dict()["layers.0.rnn.weight_ih_l0"].shape[0] == 4 * H
    assert gru.state_dict()["layers.0.rnn.weight_ih_l0"].shape[0] == 3 * H
    table = _text(at, "| weight blocks | 4 | 3 |")
    assert "$i_t, f_t, o_t" in table and "$r_t, z_t" in table and "W x_t + U h" not in table
    assert set(CELLS["gru"].gates) >= {"r", "z"} and "o" not in CELLS["gru"].gates  # no output gate


def test_ms_per_step_says_why_it_is_empty_then_the_speed_sentence_follows_the_timing(open_page):
    at = open_page(PAGE)
    race = _frame(at, "ms per step").set_index("model")
    assert (race["ms per step"] == "not timed yet: press Train both").all()
    assert "None" not in race.to_csv()
    at.button(key="l6_race_train").click().run()
    assert not at.exception and not at.error
    ms = at.session_state["l6_race_ms"][1]
    race = _frame(at, "ms per step").set_index("model")
    assert race.loc["GRU", "ms per step"] == f"{ms['GRU']:.2f}"
    text = _text(at, "a GRU step takes")
    counts = {n: param_count(_trainer(at, f"l6_race_{n}").model) for n in ("LSTM", "GRU")}
    assert f"**{ms['GRU'] / ms['LSTM']:.2f}×**" in text
    assert f"{counts['GRU'] / counts['LSTM']:.2f}× the LSTM's parameters" in text
    ratio = ms["GRU"] / ms["LSTM"]
    assert ("did not make it faster" in text) == (ratio >= 1)
    assert ("follows its weight count" in text) == (ratio <= counts["GRU"] / counts["LSTM"] + 0.1)


def test_the_weights_question_is_the_models_own_count(open_page):
    at = open_page(PAGE)
    for hidden in (12, 32):
        at.select_slider(key="l6_hidden").set_value(hidden).run()
        lstm, gru = (_trainer(at, f"l6_race_{n}").model for n in ("LSTM", "GRU"))
        saved = param_count(lstm) - param_count(gru)
        radio = at.radio(key="check_06_gru.py:weights")
        assert radio.options.count(f"{saved:,}") == 1
        right = radio.options.index(f"{saved:,}")
        radio.set_value(right).run()
        assert any(f"{saved:,} fewer" in s.value for s in at.success)
        at.radio(key="check_06_gru.py:weights").set_value((right + 1) % 4).run()
        assert at.error and at.error[0].value.startswith("Not quite.")
        at.radio(key="check_06_gru.py:weights").set_value(None).run()


def test_the_forms_of_the_candidate_and_their_counts(open_page):
    at = open_page(PAGE)
    text = _text(at, "No reset gate at all")
    minimal, full = (int(n.replace(",", "")) for n in re.findall(r"[\d,]{3,}", text)[:2])
    assert "about as good" not in " ".join(m.value for m in at_markdown(at))
    at.selectbox(key="l6_cell").set_value("gru_minimal").run()
    assert minimal == param_count(_trainer(at).model)
    at.selectbox(key="l6_cell").set_value("gru").run()
    assert full == param_count(_trainer(at).model)
    model = _trainer(at).model
    x, y = _sentence(at)
    gap = np.abs(trace(gating.with_cell(model, "gru_paper"), x, y, jacobians=False).layer(0).h
                 - trace(model, x, y, jacobians=False).layer(0).h).max()  # fmt: skip
    same = _text(at, "Same weights, other form")
    assert f"**{gap:.4f}**" in same and gap > 1e-6 and "do not transfer exactly" in same


def test_the_miswritten_gru_update_is_computed_from_the_step(open_page):
    at = open_page(PAGE)
    wanted = ("as often written", "correct formula")
    metrics = {m.label: float(m.value) for m in at.metric if m.label in wanted}
    step_text = _text(at, "With the numbers of unit")
    gamma, n, h_prev = (float(v) for v in re.findall(r"= (-?\d+\.\d+)", step_text)[:3])
    assert metrics["as often written"] == pytest.approx(gamma * n + (1 + gamma) + h_prev, abs=2e-4)
    assert metrics["correct formula"] == pytest.approx(gamma * n + (1 - gamma) * h_prev, abs=2e-4)
    leaves = abs(metrics["as often written"]) >= 1
    assert ("leaves the range (-1, 1)" in step_text) == leaves


def test_highway_residual_and_plain_layers_compute_what_the_page_writes(open_page):
    at = open_page(PAGE)
    nets = {kind: _trainer(at, f"l6_deep_{kind}").model for kind in depth.DEEP_KINDS}
    x = depth.Rings().batch(128, torch.Generator().manual_seed(3)).x.double()
    zs = []
    # the page's nets, and the highway with its carry bias moved so that z spans (0, 1), not only z -> 1
    cases = [(kind, net, None) for kind, net in nets.items()] + [
        ("highway", nets["highway"], bias) for bias in (0.0, -3.0)
    ]
    for kind, net, carry_bias in cases:
        net = copy.deepcopy(net).double()
        with torch.no_grad():
            if carry_bias is not None:
                for gate in net.gates:
                    gate.bias.fill_(carry_bias)
            _, acts = net(x)
            a = torch.tanh(net.inp(x))
            for k, block in enumerate(net.blocks):
                h = torch.tanh(a @ block.weight.T + block.bias)  # h = tanh(W_l a_{l-1} + b_l)
                if kind == "plain":
                    new = h
                elif kind == "residual":
                    new = a + h  # a_l = a_{l-1} + tanh(W_l a_{l-1} + b_l)
                else:
                    z = torch.sigmoid(
                        a @ net.gates[k].weight.T + net.gates[k].bias
                    )  # z = sigma(W_zl a + b_zl)
                    new = z * a + (1 - z) * h  # a_l = z a_{l-1} + (1 - z) h
                    zs.append(z)
                torch.testing.assert_close(new, acts[k], rtol=1e-12, atol=1e-12)
                a = new
    z = torch.cat(zs)
    assert float(z.min()) < 0.1 and float(z.max()) > 0.85  # the mix holds across the range, not only z -> 1
    assert 0.7 < float(torch.cat(zs[: len(nets["highway"].gates)]).min())  # the page's z starts near 0.88


def test_the_untrained_depth_sentence_follows_the_gradients(open_page):
    at = open_page(PAGE)
    n_layers = at.slider(key="l6_depth").value
    probe = depth.Rings().batch(256, torch.Generator().manual_seed(11))  # the page's probe batch, seed 0
    ratio = {}
    for kind in depth.DEEP_KINDS:
        net = copy.deepcopy(_trainer(at, f"l6_deep_{kind}").model)
        logits, acts = net(probe.x)
        grads = torch.autograd.grad(F.cross_entropy(logits, probe.y), acts)
        ratio[kind] = float(grads[0].norm() / grads[-1].norm())
    text = _text(at, "Before any training")
    for kind, r in ratio.items():
        assert f"{kind} {r:.1e}" in text
    assert f"layer {n_layers}:" in text
    assert ratio["plain"] < 1e-2 and min(ratio["residual"], ratio["highway"]) > 10 * ratio["plain"]
    assert "shrinks on the way down" in text and "exactly as" not in text


def test_residual_and_highway_let_the_deep_stack_learn(open_page):
    """The page's promise ("highway and residual connections let a deep stack learn") at its defaults."""
    at = open_page(PAGE)
    at.button(key="l6_deep_train").click().run()
    assert not at.exception and not at.error
    for kind in depth.DEEP_KINDS:  # a busy machine may cut a click short of 100 steps: finish them here
        trainer = _trainer(at, f"l6_deep_{kind}")
        if trainer.step < 100:
            trainer.run(100 - trainer.step, 120.0)
        assert trainer.step == 100
    acc = {
        kind: gating.held_out_accuracy(_trainer(at, f"l6_deep_{kind}").model, depth.Rings(), seed=0)
        for kind in depth.DEEP_KINDS
    }
    assert acc["plain"] < 0.7 < min(acc["residual"], acc["highway"]), acc
    at.run()
    shown = next(df.value for df in at.dataframe if "plain" in df.value.index)
    assert shown.loc["plain", "held-out accuracy"] == pytest.approx(acc["plain"])


# --- one indexing convention: steps t = 1..T, h_0 = 0 before the first word (issue 11) ------------


def test_steps_count_from_one_on_the_picker_captions_and_heatmaps(open_page):
    import json

    at = open_page(PAGE)
    words = at.text_input(key="l6_text").value.split()
    T = len(words)
    picker = at.select_slider(key="l6_t")
    assert [int(o) for o in picker.options] == list(range(1, T + 1))  # t = 1..T
    x, y = _sentence(at)
    model = _trainer(at).model
    out = model.layers[0].rnn(model.embed(x[None]))[0].detach()  # torch.nn.GRU: row k is step t = k + 1
    for t in (1, T):
        picker.set_value(t).run()
        assert not at.exception and not at.error
        unit = at.select_slider(key="l6_unit").value
        specs = [json.loads(ch.proto.spec) for ch in at.get("plotly_chart")]
        titles = [s["layout"].get("title", {}).get("text", "") for s in specs]
        assert any(f"step t={t} ('{words[t - 1]}')" in title for title in titles)
        assert float(next(m.value for m in at.metric if m.label == "torch's h_t")) == pytest.approx(
            float(out[0, t - 1, unit]), abs=1e-4
        )
        step_text = _text(at, "With the numbers of unit")
        assert f"at step {t}:" in step_text
        h_prev = float(re.findall(r"h_\(t-1\) = (-?\d+\.\d+)", step_text)[0])
        want = 0.0 if t == 1 else float(out[0, t - 2, unit])  # h_0 = 0 before the first word
        assert h_prev == pytest.approx(want, abs=1e-4)
        assert any(f"at step t = {t}." in c.value and "h_0 = 0" in c.value for c in at.caption)
    heat = next(s for s, title in zip(specs, titles, strict=True) if title.startswith("z: update gate"))
    assert heat["layout"]["xaxis"]["ticktext"][0] == f"1:{words[0]}"  # the first word is step 1
    hover = np.asarray(heat["data"][0]["customdata"])
    assert hover[0][0] == f"1:{words[0]}" and hover[0][-1] == f"{T}:{words[-1]}"
