"""Lesson 5's LSTM backward step: every number written out equals autograd (float64), on an
independent forward pass written here from the model's own torch weights."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.errors import InputError
from rnnviz.lessons import lstm_backward
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks import FirstWord
from rnnviz.train import TrainConfig, Trainer

TASK = FirstWord(lag=6, n_countries=4, seed=0)


def _trained(steps=120):
    cfg = ModelConfig.for_task(TASK, cell="lstm", hidden_size=8, forget_bias=1.0, seed=0)
    trainer = Trainer(SeqModel(cfg), TASK, TrainConfig(lr=0.02, batch_size=32, seed=0, checkpoint_every=0))
    trainer.run(steps, 60.0)
    return trainer.model


def _autograd(model, x, y):
    """dL/d(gate), dL/dc_t, dL/dh_t for every step, by torch autograd on a float64 forward written out."""
    sd = {k: v.double() for k, v in model.state_dict().items()}
    W_ih, W_hh = sd["layers.0.rnn.weight_ih_l0"], sd["layers.0.rnn.weight_hh_l0"]
    b = sd["layers.0.rnn.bias_ih_l0"] + sd["layers.0.rnn.bias_hh_l0"]
    H = W_hh.shape[1]
    xs = F.one_hot(x, TASK.input_size).double()
    h = torch.zeros(H, dtype=torch.float64, requires_grad=True)  # h_0 and c_0: leaves, to get their grads
    c = torch.zeros(H, dtype=torch.float64, requires_grad=True)
    h0, c0, kept = h, c, []
    for t in range(len(x)):
        i, f, g, o = (W_ih @ xs[t] + W_hh @ h + b).chunk(4)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        for v in (i, f, g, o):
            v.retain_grad()
        c = f * c + i * g
        h = o * torch.tanh(c)
        c.retain_grad()
        h.retain_grad()
        kept.append({"i": i, "f": f, "g": g, "o": o, "c": c, "h": h})
    logits = sd["head.weight"] @ h + sd["head.bias"]
    F.cross_entropy(logits[None], torch.tensor([y])).backward()
    grads = [{k: v.grad.numpy() for k, v in step.items()} for step in kept]
    return grads, h0.grad.numpy(), c0.grad.numpy()


@pytest.mark.parametrize("trained", [False, True])
@pytest.mark.parametrize("t", [0, 1, 4, 7])
def test_every_number_of_the_backward_step_equals_autograd(trained, t):
    model = (
        _trained() if trained else SeqModel(ModelConfig.for_task(TASK, cell="lstm", hidden_size=8, seed=3))
    )
    x, y = TASK.encode("Spain the rain walked school to sea fluent"), 1
    grads, dh0, dc0 = _autograd(model, x, y)
    step = lstm_backward.backward_step(model, x, y, t, unit=2)
    v, T = step.v, len(x)
    close = dict(rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(v["dc"], grads[t]["c"], **close)  # dL/dc_t, both paths
    np.testing.assert_allclose(v["do"], grads[t]["o"], **close)
    np.testing.assert_allclose(v["df"], grads[t]["f"], **close)
    np.testing.assert_allclose(v["di"], grads[t]["i"], **close)
    np.testing.assert_allclose(v["dg"], grads[t]["g"], **close)
    prev_h = grads[t - 1]["h"] if t > 0 else dh0
    prev_c = grads[t - 1]["c"] if t > 0 else dc0
    np.testing.assert_allclose(v["dh_prev"], prev_h, **close)
    np.testing.assert_allclose(v["dc_prev"], prev_c, **close)
    if t + 1 < T:  # path 2 of dL/dc_t is the next step's forget gate times its dL/dc
        np.testing.assert_allclose(v["dc_along"], v["f_next"] * grads[t + 1]["c"], **close)
    assert step.share_f + step.share_h == pytest.approx(1.0, abs=1e-12)
    if t == 0:
        assert step.share_f == pytest.approx(1.0) and not v["dc_prev_h"].any()
    rows = {r.symbol: r for r in step.rows}
    assert rows["dL/dc_{t-1}"].value == pytest.approx(prev_c[2], rel=1e-12, abs=1e-15)
    assert rows["dL/dc_{t-1}"].norm == pytest.approx(np.linalg.norm(prev_c), rel=1e-12)
    assert len(step.frame()) == len(step.rows)


def test_the_h_path_is_a_real_part_of_the_cell_gradient_after_training():
    model = _trained()
    x = TASK.encode("Spain the rain walked school to sea fluent")
    step = lstm_backward.backward_step(model, x, 1, t=1, unit=0)
    assert abs(step.share_h) > 0.05  # the direct term f_t dL/dc_t alone would miss it
    text = lstm_backward.share_sentence(step)
    assert f"{step.share_f:.0%}" in text and f"{step.share_h:.0%}" in text


def test_other_cells_are_refused_with_a_message():
    model = SeqModel(ModelConfig.for_task(TASK, cell="gru", hidden_size=4))
    with pytest.raises(InputError, match="standard LSTM"):
        lstm_backward.backward_step(model, TASK.encode("Spain the fluent"), 1, 1, 0)


def test_the_written_step_counts_from_one_with_h_0_given():
    """backward_step takes the arrays' row; what it prints is step t = row + 1 (h_0 = c_0 = 0 before it)."""
    model = SeqModel(ModelConfig.for_task(TASK, cell="lstm", hidden_size=4, seed=0))
    x = TASK.encode("Spain the rain fluent")
    first = lstm_backward.backward_step(model, x, 1, t=0, unit=0)
    assert lstm_backward.share_sentence(first).startswith("At t = 1 all of dL/dc_0")
    assert "h_0 = 0" in {r.symbol: r for r in first.rows}["through h_{t-1}"].arithmetic
    second = lstm_backward.backward_step(model, x, 1, t=1, unit=0)
    assert "at t = 2 (norm" in lstm_backward.share_sentence(second)


def test_one_float64_replay_gives_every_step_as_a_replay_each():
    """The page replays the sentence once (float64_layer) and writes out each (t, unit) from it."""
    model = _trained(40)
    x = TASK.encode("Spain the rain walked fluent")
    layer = lstm_backward.float64_layer(model, x, 1)
    for t, unit in ((0, 0), (2, 3), (4, 7)):
        once, fresh = lstm_backward.step_of(layer, t, unit), lstm_backward.backward_step(model, x, 1, t, unit)
        assert once.rows == fresh.rows
        assert all(np.array_equal(once.v[k], fresh.v[k]) for k in fresh.v)


def test_opposite_paths_are_said_in_one_whole_sentence():
    """Shares of opposite sign (2 and -1 of a total 1): the sentence says they cancel and ends whole
    (it once stopped at "shares are projections ", the rest a stray string)."""
    v = {"dc_prev_f": np.array([2.0]), "dc_prev_h": np.array([-1.0]), "dc_prev": np.array([1.0])}
    step = lstm_backward.BackwardStep(t=3, unit=0, v=v, rows=())
    assert (step.share_f, step.share_h) == (2.0, -1.0)
    text = lstm_backward.share_sentence(step)
    assert "partly cancel" in text and text.endswith("so they add up to 100%).")
    assert "200% comes along the cell" in text and "-100% through h_(t-1)" in text
