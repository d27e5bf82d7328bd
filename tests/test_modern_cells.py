"""minGRU, minLSTM and the selective recurrence: the papers' equations, the scan, the model, trace."""

import math

import numpy as np
import pytest
import torch

from rnnviz.cells import CELLS, MEMORY_INIT, CellModule, init_params
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.scan import scan_log, scan_loop
from rnnviz.tasks.first_word import FirstWord
from rnnviz.trace import GateClamp, trace
from rnnviz.train import TrainConfig, Trainer

MODERN = ("min_gru", "min_lstm", "selective")
B, T, D, H = 3, 9, 4, 5


def _sig(u):
    return 1 / (1 + torch.exp(-u))


def _paper(cell, x, W, bias, h0):
    """The papers' equations written out directly, one step at a time (float64).

    W, bias are the rows of weight_ih / bias_ih, split by hand below.
    """
    rows = {name: (W[k * H : (k + 1) * H], bias[k * H : (k + 1) * H]) for k, name in enumerate(_ROWS[cell])}

    def lin(name, x_t):
        w, c = rows[name]
        return x_t @ w.T + c

    h, hs = h0, []
    for t in range(x.shape[1]):
        x_t = x[:, t]
        if cell == "min_gru":  # Feng et al. eq. for minGRU, with their z_paper = 1 - our z
            z_paper = 1 - _sig(lin("z", x_t))  # share of the candidate
            h_tilde = lin("n", x_t)  # Linear_h(x_t)
            h = (1 - z_paper) * h + z_paper * h_tilde
        elif cell == "min_lstm":
            f, i = _sig(lin("f", x_t)), _sig(lin("i", x_t))
            h_tilde = lin("g", x_t)
            h = f / (f + i) * h + i / (f + i) * h_tilde
        else:  # a_t = exp(-softplus(u)) with softplus(u) = log(1 + e^u)
            a = torch.exp(-torch.log1p(torch.exp(lin("a", x_t))))
            h = a * h + lin("b", x_t)
        hs.append(h)
    return torch.stack(hs, 1)


_ROWS = {"min_gru": ("z", "n"), "min_lstm": ("f", "i", "g"), "selective": ("a", "b")}


def _cell(cell, seed=0):
    return CellModule(cell, D, H, seed=seed).double()


@pytest.mark.parametrize("cell", MODERN)
def test_step_equals_a_direct_transcription_of_the_paper(cell):
    m = _cell(cell, seed=3)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, T, D, generator=g, dtype=torch.float64) * 2
    h0 = torch.randn(B, H, generator=g, dtype=torch.float64)
    h, hs = h0, []
    for t in range(T):
        h = m.step(x[:, t], h)[0]
        hs.append(h)
    want = _paper(cell, x, m.weight_ih.detach(), m.bias_ih.detach(), h0)
    torch.testing.assert_close(torch.stack(hs, 1), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", MODERN)
def test_step_loop_equals_the_scan_form(cell):
    m, spec = _cell(cell, seed=5), CELLS[cell]
    x = torch.randn(B, 64, D, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    h0 = torch.randn(B, H, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    h, hs = h0, []
    for t in range(x.shape[1]):
        h, gates, _ = m.step(x[:, t], h)
        hs.append(h)
    loop = torch.stack(hs, 1)
    a, b = spec.scan(x @ m.weight_ih.T + m.bias_ih)
    torch.testing.assert_close(scan_log(a, b, h0), loop, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(scan_loop(a, b, h0), loop, rtol=1e-12, atol=1e-12)
    # and a_t is the gate the docstring names: z (minGRU), f' (minLSTM), a (selective)
    keep = {"min_gru": "z", "min_lstm": "f", "selective": "a"}[cell]
    torch.testing.assert_close(a[:, -1], gates[keep], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", MODERN)
def test_no_recurrent_weights(cell):
    params = init_params(CELLS[cell], D, H, torch.Generator().manual_seed(0))
    assert set(params) == {"weight_ih", "bias_ih"}
    assert params["weight_ih"].shape == (CELLS[cell].rows * H, D)


def test_min_lstm_gates_sum_to_one_and_clamp_acts_on_the_normalised_gate():
    m = _cell("min_lstm")
    x = torch.randn(B, D, dtype=torch.float64)
    h = torch.randn(B, H, dtype=torch.float64)
    h_new, gates, pre = m.step(x, h)
    torch.testing.assert_close(gates["f"] + gates["i"], torch.ones(B, H, dtype=torch.float64))
    f, i = _sig(pre["f"]), _sig(pre["i"])
    torch.testing.assert_close(gates["f"], f / (f + i))
    mask = torch.zeros(H, dtype=torch.bool)
    mask[1] = True
    h_c, g_c, _ = m.step(x, h, {"f": (1.0, mask)})
    torch.testing.assert_close(h_c[:, 1], h[:, 1] + gates["i"][:, 1] * gates["g"][:, 1])
    torch.testing.assert_close(h_c[:, 0], h_new[:, 0])


def test_selective_starts_with_memory_lengths_spread_over_two_to_a_hundred_steps():
    params = init_params(CELLS["selective"], D, 64, torch.Generator().manual_seed(7))
    a = torch.exp(-torch.nn.functional.softplus(params["bias_ih"][:64]))  # a at x = 0
    L = 1 / (1 - a)
    lo, hi = MEMORY_INIT
    assert float(L.min()) >= lo - 1e-4 and float(L.max()) <= hi + 1e-3
    assert float(L.max()) / float(L.min()) > 10  # spread, not one value
    again = init_params(CELLS["selective"], D, 64, torch.Generator().manual_seed(7))
    assert all(torch.equal(params[k], again[k]) for k in params)


def _model(cell, **kw):
    base = dict(cell=cell, input_size=5, output_size=5, hidden_size=4, seed=4)
    return SeqModel(ModelConfig(**{**base, **kw})).double()


@pytest.mark.parametrize("cell", MODERN)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"num_layers": 2, "bidirectional": True},
        {"head": "many_to_one", "embed_dim": 3},
        {"input_kind": "vectors", "input_size": 3, "num_layers": 2},
    ],
)
def test_trace_h_equals_the_models_scan_forward(cell, kw):
    model = _model(cell, **kw)
    g = torch.Generator().manual_seed(0)
    if model.cfg.input_kind == "vectors":
        x = torch.randn(11, 3, generator=g, dtype=torch.float64)
    else:
        x = torch.randint(0, 5, (11,), generator=g)
    tr = trace(model, x)
    top, _ = model.features(x[None])
    for d in range(model.cfg.directions):
        got = tr.layer(model.cfg.num_layers - 1, d).h
        np.testing.assert_allclose(got, top[0, :, d * 4 : (d + 1) * 4].detach().numpy(), rtol=0, atol=1e-10)
    logits, _ = model(x[None])
    np.testing.assert_allclose(tr.logits, logits[0].detach().numpy(), rtol=0, atol=1e-10)
    assert not any(n.startswith("weight_hh") for n, _ in model.named_parameters())


@pytest.mark.parametrize("cell", MODERN)
def test_trace_gradients_equal_autograd_through_the_scan(cell):
    model = _model(cell, num_layers=2)
    x = torch.randint(0, 5, (8,), generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 5, (8,), generator=torch.Generator().manual_seed(2))
    tr = trace(model, x, y, grad_of="total")
    emb = model.embed(x[None])
    h1, _ = model.layers[0](emb)
    h1.retain_grad()
    h2, _ = model.layers[1](h1)
    h2.retain_grad()
    torch.nn.functional.cross_entropy(model.head(h2)[0], y, reduction="sum").backward()
    # h2.grad holds dL/dh_t through the head only; the total adds what h_t passes on:
    # dL/dh_t = (through the head) + a_{t+1} * dL/dh_{t+1}
    p = model.layers[1].params()
    a, _ = CELLS[cell].scan(h1.detach()[0] @ p["weight_ih"].T + p["bias_ih"])
    total, carried = torch.zeros_like(a), torch.zeros_like(a[0])
    for t in reversed(range(a.shape[0])):
        carried = h2.grad[0, t] + (a[t + 1] * carried if t + 1 < a.shape[0] else 0)
        total[t] = carried
    np.testing.assert_allclose(tr.layer(1).grad_h, total.detach().numpy(), rtol=1e-9, atol=1e-12)
    model.zero_grad()


@pytest.mark.parametrize("cell", MODERN)
@pytest.mark.parametrize("clamped", [False, True])
def test_jac_norm_is_the_norm_of_autograds_jacobian(cell, clamped):
    model = _model(cell, num_layers=2)
    spec = CELLS[cell]
    gate = spec.gates[0]
    clamps = (GateClamp(gate, 0.3, start=2, stop=4, units=(1, 2), layer=1),) if clamped else ()
    tr = trace(model, torch.randint(0, 5, (6,), generator=torch.Generator().manual_seed(3)), clamps=clamps)
    for k in (0, 1):
        lt, p = tr.layer(k), model.layers[k].params()
        for t in (1, 3, 5):
            xt = torch.tensor(lt.x[t])
            mask = torch.tensor([False, True, True, False])
            clamp = {gate: (0.3, mask)} if clamped and k == 1 and 2 <= t < 4 else None

            def step(h, xt=xt, p=p, clamp=clamp):
                return spec.step(xt[None], h[None], p, clamp)[0][0]

            J = torch.autograd.functional.jacobian(step, torch.tensor(lt.h[t - 1]))
            assert torch.count_nonzero(J - torch.diag(torch.diagonal(J))) == 0  # diagonal: diag(a_t)
            keep = {"min_gru": "z", "min_lstm": "f", "selective": "a"}[cell]
            torch.testing.assert_close(torch.diagonal(J), torch.tensor(lt.gates[keep][t]))
            want = float(torch.linalg.matrix_norm(J, ord=2))
            assert lt.jac_norm[t] == pytest.approx(want, rel=1e-10), (k, t)


def test_clamping_the_selective_decay_to_one_makes_h_a_running_sum():
    model = _model("selective")
    x = torch.randint(0, 5, (7,), generator=torch.Generator().manual_seed(4))
    tr = trace(model, x, clamps=(GateClamp("a", 1.0),))
    lt = tr.layer(0)
    np.testing.assert_allclose(lt.h, np.cumsum(lt.gates["b"], axis=0), atol=1e-12)
    np.testing.assert_allclose(lt.jac_norm, 1.0, atol=1e-12)


@pytest.mark.parametrize("cell", MODERN)
def test_same_seed_same_weights_and_forget_bias_has_no_effect(cell):
    a, b = _model(cell), _model(cell, forget_bias=3.0)
    c = _model(cell, seed=5)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def _train(cell, steps):
    task = FirstWord(lag=10, n_countries=4)
    model = SeqModel(ModelConfig.for_task(task, cell=cell, hidden_size=16, seed=0))
    trainer = Trainer(model, task, TrainConfig(lr=1e-2, batch_size=32, seed=0, eval_batches=4))
    trainer.run(steps, 600.0)
    return trainer, task


@pytest.mark.parametrize("cell", ["min_gru", "selective"])
def test_learns_the_lesson_4_memory_task(cell):
    trainer, task = _train(cell, 300)
    acc = trainer.evaluate(8)["val_acc"]
    assert task.chance == pytest.approx(0.25)
    assert acc > 0.9, acc  # chance is 0.25


def test_training_is_deterministic():
    one, _ = _train("min_lstm", 20)
    two, _ = _train("min_lstm", 20)
    assert [r.loss for r in one.history] == [r.loss for r in two.history]
    assert math.isfinite(one.history[-1].loss)


@pytest.mark.parametrize("cell", MODERN)
def test_the_model_with_the_loop_scan_gives_the_same_outputs_and_gradients(cell):
    """bench/modern.py times the minGRU with ``Scanned.scan`` swapped for the loop: the same model."""
    x = torch.randint(0, 5, (2, 30), generator=torch.Generator().manual_seed(6))
    fast, slow = _model(cell, bidirectional=True), _model(cell, bidirectional=True)
    calls = []
    slow.layers[0].rnn.scan = lambda a, b, h0: calls.append(a.shape) or scan_loop(a, b, h0)
    out_fast, out_slow = fast(x)[0], slow(x)[0]
    assert calls == [(2, 30, 4)] * 2  # the loop ran, once per direction
    torch.testing.assert_close(out_fast, out_slow, rtol=1e-10, atol=1e-10)
    out_fast.square().sum().backward()
    out_slow.square().sum().backward()
    for (name, p), q in zip(fast.named_parameters(), slow.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-9, atol=1e-10, msg=name)


@pytest.mark.parametrize("cell", MODERN)
def test_a_saved_model_file_loads_back_with_the_same_outputs(cell):
    from rnnviz.io import load_bytes, save_bytes

    model = SeqModel(ModelConfig(cell=cell, input_size=5, output_size=5, hidden_size=4, num_layers=2, seed=3))
    again, _ = load_bytes(save_bytes(model))
    x = torch.randint(0, 5, (2, 7), generator=torch.Generator().manual_seed(0))
    assert again.cfg == model.cfg and torch.equal(again(x)[0], model(x)[0])
