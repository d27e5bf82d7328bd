"""The fast trace (torch's kernel + gates recomputed for all t at once) equals the step-by-step replay."""

import numpy as np
import pytest
import torch

import rnnviz.trace as trace_module
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.trace import GateClamp, _replay, trace

FUSED_CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
SHAPES = {
    "2 layers": dict(num_layers=2),
    "2 layers, bidirectional": dict(num_layers=2, bidirectional=True),
    "3 layers, bidirectional pyramid": dict(
        num_layers=3, bidirectional=True, pyramid=True, head="many_to_one", output_size=3
    ),
    "embedding, 3 layers": dict(num_layers=3, embed_dim=4),
}


def _model(cell, **kw):
    base = dict(cell=cell, input_size=5, output_size=5, hidden_size=6, seed=3)
    return SeqModel(ModelConfig(**{**base, **kw})).double()


def _both(model, x, y=None, mask=None, grad_of="final"):
    fast = _replay(model, x, y, mask, grad_of, (), False, fused=True)
    steps = _replay(model, x, y, mask, grad_of, (), False, fused=False)
    return fast, steps


def _assert_same(fast, steps, atol=1e-12):
    assert (fast.cell, fast.head, fast.grad_of) == (steps.cell, steps.head, steps.grad_of)
    assert fast.loss == pytest.approx(steps.loss, abs=atol)
    np.testing.assert_allclose(fast.logits, steps.logits, rtol=0, atol=atol)
    for a, b in (
        (fast.probs, steps.probs),
        (fast.loss_steps, steps.loss_steps),
        (fast.targets, steps.targets),
    ):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=0, atol=atol)
    assert [(lt.layer, lt.direction) for lt in fast.layers] == [
        (lt.layer, lt.direction) for lt in steps.layers
    ]
    for a, b in zip(fast.layers, steps.layers, strict=True):
        where = (a.layer, a.direction)
        assert set(a.gates) == set(b.gates) and set(a.pre) == set(b.pre) and set(a.params) == set(b.params)
        for name in ("x", "h", "c", "grad_h", "grad_h_norm", "grad_c", "grad_c_norm", "jac_norm"):
            u, v = getattr(a, name), getattr(b, name)
            assert (u is None) == (v is None), (name, where)
            if u is not None:
                assert u.shape == v.shape, (name, where)
                np.testing.assert_allclose(u, v, rtol=0, atol=atol, err_msg=f"{name} {where}")
        for kind in ("gates", "pre", "params"):
            for g, u in getattr(a, kind).items():
                np.testing.assert_allclose(
                    u, getattr(b, kind)[g], rtol=0, atol=atol, err_msg=f"{kind} {g} {where}"
                )


@pytest.mark.parametrize("cell", FUSED_CELLS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_fast_trace_equals_step_by_step_in_float64(cell, shape):
    model = _model(cell, **SHAPES[shape])
    g = torch.Generator().manual_seed(5)
    x = torch.randint(0, 5, (11,), generator=g)
    many = model.cfg.head == "many_to_many"
    y = torch.randint(0, 5, (11,), generator=g) if many else torch.tensor(1)
    for grad_of in ("final", "total", 4) if many else ("final",):
        _assert_same(*_both(model, x, y, grad_of=grad_of))


@pytest.mark.parametrize("cell", FUSED_CELLS)
def test_fast_trace_equals_step_by_step_with_a_mask_and_own_targets(cell):
    model = _model(cell, num_layers=2, bidirectional=True)
    x = torch.randint(0, 5, (9,), generator=torch.Generator().manual_seed(1))
    mask = torch.tensor([1, 1, 0, 1, 1, 1, 0, 0, 0], dtype=torch.bool)
    _assert_same(*_both(model, x, None, mask, "total"))
    _assert_same(*_both(model, x, None, mask, "final"))


@pytest.mark.parametrize("cell", FUSED_CELLS)
def test_fast_trace_equals_step_by_step_for_vectors_and_regression(cell):
    model = _model(
        cell,
        input_kind="vectors",
        input_size=3,
        output_size=1,
        head="many_to_one",
        loss_kind="mse",
        num_layers=2,
    )
    x = torch.rand(13, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    _assert_same(*_both(model, x, torch.tensor(0.4)))


@pytest.mark.parametrize("cell", FUSED_CELLS)
def test_trace_takes_the_fast_path_for_standard_cells_and_steps_for_clamps(cell, monkeypatch):
    model = _model(cell, num_layers=2)
    x = torch.randint(0, 5, (7,))
    ref = trace(model, x)

    def refuse(*args):
        raise AssertionError("step-by-step replay used")

    monkeypatch.setattr(trace_module, "_steps", refuse)
    np.testing.assert_array_equal(trace(model, x).layer(1).grad_h, ref.layer(1).grad_h)
    with pytest.raises(AssertionError, match="step-by-step"):
        trace(
            model,
            x,
            clamps=(GateClamp("h" if cell.startswith("rnn") else "z" if cell == "gru" else "f", 0.5),),
        )


def test_fast_trace_equals_the_model_in_float32():
    """On the float32 kernels (oneDNN for the LSTM) the trace is the model's own pass to rounding."""
    for cell in FUSED_CELLS:
        model = SeqModel(ModelConfig(cell=cell, input_size=7, output_size=7, hidden_size=16, num_layers=2))
        x = torch.randint(0, 7, (40,), generator=torch.Generator().manual_seed(0))
        fast = trace(model, x)
        steps = _replay(model, x, None, None, "total", (), False, fused=False)
        logits, _ = model(x[None])
        np.testing.assert_allclose(fast.logits, logits[0].detach().numpy(), rtol=0, atol=1e-5)
        top, _ = model.features(x[None])
        np.testing.assert_allclose(fast.layer(1).h, top[0].detach().numpy(), rtol=0, atol=1e-6)
        for a, b in zip(fast.layers, steps.layers, strict=True):
            for g in a.gates:
                np.testing.assert_allclose(a.gates[g], b.gates[g], rtol=0, atol=1e-5, err_msg=f"{cell} {g}")


def test_jacobian_norms_are_computed_when_read_from_the_weights_of_the_trace():
    model = _model("lstm", num_layers=2, bidirectional=True)
    x = torch.randint(0, 5, (8,))
    now = trace(model, x, jacobians=True)
    later = trace(model, x)
    assert all(lt._jac_norm is not None for lt in now.layers)
    assert all(lt._jac_norm is None for lt in later.layers)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1.5)  # the model trains on after the trace: the trace's numbers stay its own
    for a, b in zip(now.layers, later.layers, strict=True):
        np.testing.assert_array_equal(a.jac_norm, b.jac_norm)
    changed = trace(model, x, jacobians=True)
    assert not np.allclose(changed.layer(0).jac_norm, now.layer(0).jac_norm)
