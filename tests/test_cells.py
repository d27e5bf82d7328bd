"""Every equation on screen is pinned here: instrumented cells vs torch's kernels, in float64."""

import pytest
import torch
from torch import nn

from rnnviz.cells import CELLS, CellModule
from rnnviz.model import ModelConfig, SeqModel

TOL = dict(rtol=0, atol=1e-10)
TORCH_CELLS = {"rnn_tanh": nn.RNNCell, "rnn_relu": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
TORCH_LAYERS = {"rnn_tanh": nn.RNN, "rnn_relu": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _torch_kwargs(cell):
    return {"nonlinearity": cell[4:]} if cell.startswith("rnn") else {}


@pytest.mark.parametrize("cell", sorted(TORCH_CELLS))
def test_cell_equals_torch_cell(cell):
    ours = CellModule(cell, 3, 5, seed=1).double()
    ref = TORCH_CELLS[cell](3, 5, **_torch_kwargs(cell)).double()
    ref.load_state_dict(ours.state_dict())  # same names, same shapes: no reshuffling
    x = torch.randn(4, 3, dtype=torch.float64)
    h = torch.randn(4, 5, dtype=torch.float64)
    state = (h, torch.randn(4, 5, dtype=torch.float64)) if cell == "lstm" else h
    got, want = ours(x, state), ref(x, state)
    for a, b in zip(got if cell == "lstm" else [got], want if cell == "lstm" else [want], strict=True):
        torch.testing.assert_close(a, b, **TOL)
    # parameter gradients
    sum(s.sum() for s in (got if cell == "lstm" else [got])).backward()
    sum(s.sum() for s in (want if cell == "lstm" else [want])).backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, **TOL, msg=name)
    # and back: torch's weights load into ours
    ours.load_state_dict(ref.state_dict())


def _copy_to_torch(model: SeqModel, ref: nn.Module) -> None:
    """Our layer k, direction suffix s -> torch's multi-layer names weight_ih_l{k}{s}."""
    with torch.no_grad():
        for k, layer in enumerate(model.layers):
            for name, p in layer.rnn.named_parameters():
                getattr(ref, name.replace("_l0", f"_l{k}")).copy_(p)


@pytest.mark.parametrize("cell", sorted(TORCH_LAYERS))
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (1, True), (3, True)])
def test_stack_equals_torch_multilayer(cell, layers, bidirectional):
    cfg = ModelConfig(
        cell=cell,
        input_kind="vectors",
        input_size=3,
        output_size=2,
        hidden_size=5,
        num_layers=layers,
        bidirectional=bidirectional,
        seed=2,
    )
    model = SeqModel(cfg).double()
    ref = TORCH_LAYERS[cell](
        3, 5, num_layers=layers, bidirectional=bidirectional, batch_first=True, **_torch_kwargs(cell)
    ).double()
    _copy_to_torch(model, ref)
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    out, finals = model.features(x)
    want, want_state = ref(x)
    torch.testing.assert_close(out, want, **TOL)
    # final states: ours per layer (dirs, B, H); torch's stacked (layers*dirs, B, H)
    if cell == "lstm":
        torch.testing.assert_close(torch.cat([f[0] for f in finals]), want_state[0], **TOL)
        torch.testing.assert_close(torch.cat([f[1] for f in finals]), want_state[1], **TOL)
    else:
        torch.testing.assert_close(torch.cat(finals), want_state, **TOL)
    out.pow(2).sum().backward()
    want.pow(2).sum().backward()
    for k, layer in enumerate(model.layers):
        for name, p in layer.rnn.named_parameters():
            torch.testing.assert_close(p.grad, getattr(ref, name.replace("_l0", f"_l{k}")).grad, **TOL)


def _params(cell, D=3, H=4, seed=0):
    return CellModule(cell, D, H, seed=seed).double().params()


def test_peephole_matches_its_equations():
    p = _params("lstm_peephole")
    x, h, c = (torch.randn(2, n, dtype=torch.float64) for n in (3, 4, 4))
    W, U, b = p["weight_ih"], p["weight_hh"], p["bias_ih"] + p["bias_hh"]
    w_ci, w_cf, w_co = p["weight_ch"].chunk(3)
    z = x @ W.T + h @ U.T + b
    zi, zf, zg, zo = z.chunk(4, dim=-1)
    i = torch.sigmoid(zi + w_ci * c)
    f = torch.sigmoid(zf + w_cf * c)
    g = torch.tanh(zg)
    c_new = f * c + i * g
    o = torch.sigmoid(zo + w_co * c_new)
    (h_got, c_got), gates, _ = CELLS["lstm_peephole"].step(x, (h, c), p)
    torch.testing.assert_close(c_got, c_new, **TOL)
    torch.testing.assert_close(h_got, o * torch.tanh(c_new), **TOL)
    torch.testing.assert_close(gates["o"], o, **TOL)


def test_coupled_forgets_what_it_writes():
    p = _params("lstm_coupled")
    x, h, c = (torch.randn(2, n, dtype=torch.float64) for n in (3, 4, 4))
    zi, zg, zo = (x @ p["weight_ih"].T + h @ p["weight_hh"].T + p["bias_ih"] + p["bias_hh"]).chunk(3, dim=-1)
    i, g, o = torch.sigmoid(zi), torch.tanh(zg), torch.sigmoid(zo)
    c_new = (1 - i) * c + i * g
    (h_got, c_got), gates, _ = CELLS["lstm_coupled"].step(x, (h, c), p)
    torch.testing.assert_close(gates["f"], 1 - gates["i"], **TOL)
    torch.testing.assert_close(c_got, c_new, **TOL)
    torch.testing.assert_close(h_got, o * torch.tanh(c_new), **TOL)


def test_paper_gru_puts_reset_inside():
    p = _params("gru_paper")
    x, h = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    Wr, Wz, Wn = p["weight_ih"].chunk(3)
    Ur, Uz, Un = p["weight_hh"].chunk(3)
    br, bz, bn = (p["bias_ih"] + 0).chunk(3)
    cr, cz, cn = p["bias_hh"].chunk(3)
    r = torch.sigmoid(x @ Wr.T + br + h @ Ur.T + cr)
    z = torch.sigmoid(x @ Wz.T + bz + h @ Uz.T + cz)
    n = torch.tanh(x @ Wn.T + bn + (r * h) @ Un.T + cn)
    got, gates, _ = CELLS["gru_paper"].step(x, h, p)
    torch.testing.assert_close(got, (1 - z) * n + z * h, **TOL)
    # the torch form differs whenever r is not all ones
    torch_form = CELLS["gru"].step(x, h, p)[0]
    assert (torch_form - got).abs().max() > 1e-6


def test_minimal_gru_has_no_reset_gate():
    p = _params("gru_minimal")
    x, h = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    zz, zn = (x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]).chunk(2, dim=-1)
    z, n = torch.sigmoid(zz), torch.tanh(zn)
    got, gates, _ = CELLS["gru_minimal"].step(x, h, p)
    assert "r" not in gates
    torch.testing.assert_close(got, (1 - z) * n + z * h, **TOL)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_every_cell_trains_through_the_model(cell):
    cfg = ModelConfig(cell=cell, input_size=4, output_size=4, hidden_size=6, num_layers=2, bidirectional=True)
    model = SeqModel(cfg)
    logits, _ = model(torch.randint(0, 4, (3, 5)))
    logits.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_forget_bias_is_added_to_the_f_rows():
    H = 6
    base = SeqModel(ModelConfig(cell="lstm", hidden_size=H, seed=3))
    biased = SeqModel(ModelConfig(cell="lstm", hidden_size=H, seed=3, forget_bias=1.0))
    diff = biased.layers[0].params()["bias_ih"] - base.layers[0].params()["bias_ih"]
    torch.testing.assert_close(diff, torch.tensor([0.0] * H + [1.0] * H + [0.0] * 2 * H))
