"""The replay equals the fused forward pass, and its gradients equal autograd through it."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.cells import CELLS
from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.trace import GateClamp, trace


def _model(cell="lstm", **kw):
    base = dict(cell=cell, input_size=5, output_size=5, hidden_size=6, seed=4)
    return SeqModel(ModelConfig(**{**base, **kw})).double()


def _split_at(model, x, t):
    """Run the fused modules over x[:t+1], then on from the states they return.

    dL/dh_t through every path = the gradient through the state carried on (the recurrence)
    + the gradient through the layer's output at step t (the layer above, or the head).
    """
    h, first_out, states = model.embed(x[None, : t + 1]), [], []
    for layer in model.layers:
        h, s = layer(h)
        h.retain_grad()
        (s[0] if isinstance(s, tuple) else s).retain_grad()
        first_out.append(h)
        states.append(s)
    inp = model.embed(x[None, t + 1 :])
    logits_rest = None
    if inp.shape[1]:
        for k, layer in enumerate(model.layers):
            inp, _ = layer(inp, states[k])
        logits_rest = model.head(inp)[0]
    # the first segment's own logits, computed from its top output
    logits = model.head(first_out[-1])[0]
    if logits_rest is not None:
        logits = torch.cat([logits, logits_rest])
    return first_out, states, logits


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
def test_replay_equals_forward(cell, layers, bidirectional):
    model = _model(cell, num_layers=layers, bidirectional=bidirectional)
    x = torch.randint(0, 5, (9,))
    tr = trace(model, x, jacobians=False)
    logits, _ = model(x[None])
    np.testing.assert_allclose(tr.logits, logits[0].detach().numpy(), atol=1e-12)
    top, _ = model.features(x[None])
    H = 6
    np.testing.assert_allclose(tr.layer(layers - 1, 0).h, top[0, :, :H].detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("grad_of", ["final", "total", 3])
def test_trace_gradients_equal_autograd_through_fused(cell, grad_of):
    """Total derivatives dL/dh_t of the replay vs autograd through torch's fused kernels."""
    model = _model(cell, num_layers=2)
    x, y = torch.randint(0, 5, (8,)), torch.randint(0, 5, (8,))
    tr = trace(model, x, y, grad_of=grad_of, jacobians=False)
    for t in (0, 3, 6):
        model.zero_grad()
        outs, states, logits = _split_at(model, x, t)
        per = F.cross_entropy(logits, y, reduction="none")
        loss = {"final": per[-1], "total": per.sum(), 3: per[3]}[grad_of]
        loss.backward()
        assert tr.loss == pytest.approx(loss.item(), abs=1e-12)
        for k, (out, s) in enumerate(zip(outs, states, strict=True)):
            h_state = s[0] if isinstance(s, tuple) else s
            want = out.grad[0, t] + h_state.grad[0, 0]
            np.testing.assert_allclose(tr.layer(k).grad_h[t], want.numpy(), atol=1e-12)
        np.testing.assert_allclose(np.nansum(tr.loss_steps), per.sum().item(), atol=1e-12)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("clamped", [False, True])
def test_jacobian_norm_is_the_spectral_norm_of_the_step_jacobian(cell, clamped):
    model = _model(cell, hidden_size=4, num_layers=2)
    x = torch.randint(0, 5, (6,))
    spec = CELLS[cell]
    gate = spec.gates[min(1, len(spec.gates) - 1)] if clamped else None
    clamps = (GateClamp(gate, 0.3, start=2, stop=4, units=(1, 2), layer=1),) if clamped else ()
    tr = trace(model, x, clamps=clamps)
    for k in (0, 1):
        lt, p = tr.layer(k), model.layers[k].params()
        for t in (1, 3, 5):
            xt = torch.tensor(lt.x[t])
            mask = torch.tensor([False, True, True, False])
            clamp = {gate: (0.3, mask)} if clamped and k == 1 and 2 <= t < 4 else None

            def step(h, xt=xt, t=t, lt=lt, p=p, clamp=clamp):
                state = (h[None], torch.tensor(lt.c[t - 1])[None]) if spec.has_cell_state else h[None]
                new = spec.step(xt[None], state, p, clamp)[0]
                return (new[0] if spec.has_cell_state else new)[0]

            J = torch.autograd.functional.jacobian(step, torch.tensor(lt.h[t - 1]))
            want = float(torch.linalg.matrix_norm(J, ord=2))
            assert lt.jac_norm[t] == pytest.approx(want, rel=1e-10), (k, t)


def test_elman_jacobian_is_diag_times_w_hh():
    """dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh for the tanh RNN: the lesson's D_t W_h."""
    model = _model("rnn_tanh")
    tr = trace(model, torch.randint(0, 5, (6,)))
    lt = tr.layer(0)
    W = lt.params["weight_hh"]
    for t in range(1, 6):
        J = np.diag(1 - lt.h[t] ** 2) @ W
        assert lt.jac_norm[t] == pytest.approx(np.linalg.norm(J, 2), rel=1e-10)


def test_clamping_f_to_one_keeps_the_cell_additive():
    model = _model("lstm")
    tr = trace(model, torch.randint(0, 5, (10,)), clamps=(GateClamp("f", 1.0, start=2, stop=7),))
    lt = tr.layer(0)
    for t in range(2, 7):
        # c_t = c_{t-1} + i_t * g_t exactly, when f_t = 1
        np.testing.assert_array_equal(lt.gates["f"][t], 1.0)
        np.testing.assert_allclose(lt.c[t], lt.c[t - 1] + lt.gates["i"][t] * lt.gates["g"][t], atol=1e-15)
    assert not np.allclose(lt.gates["f"][7], 1.0)


def test_clamp_on_one_unit_changes_only_that_unit_at_that_step():
    model = _model("lstm")
    x = torch.randint(0, 5, (6,))
    free = trace(model, x).layer(0)
    held = trace(model, x, clamps=(GateClamp("o", 0.0, start=4, stop=5, units=(2,)),)).layer(0)
    np.testing.assert_allclose(held.h[:4], free.h[:4])
    assert held.h[4, 2] == 0.0
    np.testing.assert_allclose(np.delete(held.h[4], 2), np.delete(free.h[4], 2))


def test_two_clamps_of_one_gate_on_other_units_both_hold():
    """z to 0.1 on unit 0 and 0.7 on unit 1 at the same step: each unit keeps its own value (the
    later clamp used to wipe out the earlier one: z = [0.7, 0.7, free])."""
    model = _model("gru")
    x = torch.randint(0, 5, (5,))
    free = trace(model, x).layer(0)
    clamps = (
        GateClamp("z", 0.1, start=1, stop=2, units=(0,)),
        GateClamp("z", 0.7, start=1, stop=2, units=(1,)),
    )
    held = trace(model, x, clamps=clamps).layer(0)
    assert held.gates["z"][1][0] == pytest.approx(0.1) and held.gates["z"][1][1] == pytest.approx(0.7)
    assert held.gates["z"][1][2] == pytest.approx(free.gates["z"][1][2])


def test_trace_is_deterministic_and_leaves_no_gradients_behind():
    model = _model("gru", num_layers=2)
    x = torch.randint(0, 5, (7,))
    a, b = trace(model, x), trace(model, x)
    np.testing.assert_array_equal(a.layer(1).grad_h, b.layer(1).grad_h)
    np.testing.assert_array_equal(a.layer(0).jac_norm, b.layer(0).jac_norm)
    assert all(p.grad is None for p in model.parameters())


def test_many_to_one_and_regression_heads():
    model = _model(
        "lstm", input_kind="vectors", input_size=2, output_size=1, head="many_to_one", loss_kind="mse"
    )
    x = torch.rand(12, 2, dtype=torch.float64)
    tr = trace(model, x, torch.tensor(0.7))
    logits, _ = model(x[None])
    assert tr.logits.shape == (1,) and tr.probs is None and tr.loss_steps is None
    assert tr.loss == pytest.approx((logits[0, 0].item() - 0.7) ** 2)
    assert tr.layer(0).grad_h_norm.shape == (12,)


def test_pyramid_halves_the_steps_layer_by_layer():
    model = _model("gru", num_layers=3, pyramid=True, head="many_to_one", output_size=3)
    tr = trace(model, torch.randint(0, 5, (16,)))
    assert [tr.layer(k).h.shape[0] for k in range(3)] == [16, 8, 4]
    assert [trace(model, torch.arange(4)).layer(k).h.shape[0] for k in range(3)] == [4, 2, 1]
    with pytest.raises(InputError, match="at least 4 steps, not 3"):
        trace(model, torch.arange(3))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(x=torch.zeros(0, dtype=torch.long)), "1 to"),
        (dict(x=torch.zeros(2, 3, dtype=torch.long)), "one sequence"),
        (dict(clamps=(GateClamp("r", 1.0),)), "no gate 'r'"),
        (dict(clamps=(GateClamp("f", 1.0, units=(99,)),)), "units"),
        (dict(grad_of=50), "outside the sequence"),
        (dict(x=torch.tensor([0, 7])), "token ids"),
    ],
)
def test_bad_trace_input_says_what_is_wrong(kwargs, message):
    model = _model("lstm")
    args = {"x": torch.randint(0, 5, (6,)), **kwargs}
    with pytest.raises(InputError, match=message):
        trace(model, **args)


def test_two_clamps_of_one_gate_hold_their_own_values_on_their_own_steps():
    model = _model("lstm", num_layers=2)
    x = torch.randint(0, 5, (9,))
    clamps = (
        GateClamp("f", 1.0, 0, 4),
        GateClamp("f", 0.0, 3, 6, units=(1,)),
        GateClamp("o", 0.5, 2, layer=1),
    )
    tr = trace(model, x, clamps=clamps, jacobians=True)
    f = tr.layer(0).gates["f"]
    np.testing.assert_array_equal(f[:3], 1.0)
    # from step 3 the later clamp decides on its own unit; the first still holds on the others
    assert f[3, 1] == 0.0 and f[4, 1] == 0.0 and f[5, 1] == 0.0
    np.testing.assert_array_equal(np.delete(f[3], 1), 1.0)
    assert not np.any(np.delete(f[4:6], 1, axis=1) == 1.0)  # past its stop the first clamp is gone
    np.testing.assert_array_equal(tr.layer(1).gates["o"][2:], 0.5)
    assert np.all(np.isfinite(tr.layer(1).jac_norm))
