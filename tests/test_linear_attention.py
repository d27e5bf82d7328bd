"""Linear attention: the recurrent form equals the parallel form and a direct O(T^2) loop (float64)."""

import math

import numpy as np
import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.linear_attention import (
    LinearAttentionLM,
    linear_weights,
    parallel,
    phi,
    recurrent,
    softmax_attention,
)
from rnnviz.sample import sample
from rnnviz.tasks.charlm import CharLM
from rnnviz.train import TrainConfig, Trainer


def _qkv(T, dk=4, dv=3, batch=(), seed=0):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(*batch, T, d, generator=g, dtype=torch.float64) * 1.5 for d in (dk, dk, dv))


def _direct(q, k, v):
    """Katharopoulos et al. eq. 3 written out: a double loop over t and s <= t, plain floats."""
    T = q.shape[0]
    out = torch.zeros(T, v.shape[1], dtype=torch.float64)
    for t in range(T):
        num, den = torch.zeros(v.shape[1], dtype=torch.float64), 0.0
        for s in range(t + 1):
            fq = [x + 1 if x > 0 else math.exp(x) for x in q[t].tolist()]  # elu(x) + 1
            fk = [x + 1 if x > 0 else math.exp(x) for x in k[s].tolist()]
            sim = sum(a * b for a, b in zip(fq, fk, strict=True))
            num += sim * v[s]
            den += sim
        out[t] = num / den
    return out


def test_phi_is_elu_plus_one_and_positive():
    x = torch.tensor([-30.0, -1.0, 0.0, 0.5, 3.0], dtype=torch.float64)
    torch.testing.assert_close(phi(x), torch.where(x > 0, x + 1, torch.exp(x)))
    assert bool((phi(x) > 0).all())


@pytest.mark.parametrize("T", [1, 2, 7, 40])
def test_recurrent_equals_parallel_and_the_direct_loop(T):
    q, k, v = _qkv(T, seed=T)
    want = _direct(q, k, v)
    out, S, z = recurrent(q, k, v)
    torch.testing.assert_close(parallel(q, k, v), want, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(out, want, rtol=1e-10, atol=1e-10)
    assert S.shape == (T, 4, 3) and z.shape == (T, 4)


def test_batched_inputs_match_one_sequence_at_a_time():
    q, k, v = _qkv(6, batch=(2, 3), seed=1)
    out, S, z = recurrent(q, k, v)
    torch.testing.assert_close(parallel(q, k, v), out, rtol=1e-10, atol=1e-10)
    for i in range(2):
        for j in range(3):
            one, S1, z1 = recurrent(q[i, j], k[i, j], v[i, j])
            torch.testing.assert_close(out[i, j], one, rtol=0, atol=1e-14)
            torch.testing.assert_close(S[i, j], S1, rtol=0, atol=1e-14)


def test_the_state_is_the_running_sum_of_outer_products():
    q, k, v = _qkv(9, seed=2)
    _, S, z = recurrent(q, k, v)
    fk = phi(k)
    last = sum(torch.outer(fk[t], v[t]) for t in range(9))  # sum_t phi(k_t) v_t^T
    torch.testing.assert_close(S[-1], last, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(z[-1], fk.sum(0), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(S[3] - S[2], torch.outer(fk[3], v[3]), rtol=1e-12, atol=1e-12)
    # out_t = S_t^T phi(q_t) / (z_t . phi(q_t)), read off the stored states
    t = 5
    torch.testing.assert_close(
        recurrent(q, k, v)[0][t], S[t].T @ phi(q[t]) / (z[t] @ phi(q[t])), rtol=1e-12, atol=1e-12
    )


def test_recurrent_continues_from_a_state():
    q, k, v = _qkv(10, seed=3)
    whole, S, z = recurrent(q, k, v)
    second, S2, _ = recurrent(q[4:], k[4:], v[4:], S0=S[3], z0=z[3])
    torch.testing.assert_close(second, whole[4:], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(S2[-1], S[-1], rtol=1e-12, atol=1e-12)


def test_weights_rows_sum_to_one_and_are_causal():
    q, k, v = _qkv(8, seed=4)
    A = linear_weights(q, k)
    torch.testing.assert_close(A.sum(-1), torch.ones(8, dtype=torch.float64))
    below = torch.ones(8, 8, dtype=torch.bool).tril()
    assert bool((A[~below] == 0).all()) and bool((A[below] > 0).all())
    torch.testing.assert_close(A @ v, parallel(q, k, v))


def test_softmax_attention_against_its_definition():
    q, k, v = _qkv(6, seed=5)
    out, w = softmax_attention(q, k, v)
    for t in range(6):
        s = torch.tensor([float(q[t] @ k[j]) / 2.0 for j in range(t + 1)], dtype=torch.float64)  # sqrt(4)
        e = torch.exp(s - s.max())
        torch.testing.assert_close(w[t, : t + 1], e / e.sum(), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(out[t], (e / e.sum()) @ v[: t + 1], rtol=1e-12, atol=1e-12)
    assert bool((w.triu(1) == 0).all())


def test_bad_shapes_are_input_errors():
    q, k, v = _qkv(5)
    with pytest.raises(InputError):
        parallel(q, k[:4], v)
    with pytest.raises(InputError):
        recurrent(q[0], k[0], v[0])
    with pytest.raises(InputError):
        LinearAttentionLM(0, 8)
    with pytest.raises(InputError):
        LinearAttentionLM(5, 8).trace(torch.tensor([0, 7]))


TEXT = "<a><b>hi</b></a>\n<b><a>ok</a></b>\n" * 40


def test_model_trace_equals_forward_and_the_parallel_form():
    task = CharLM(text=TEXT, seq_len=16)
    model = LinearAttentionLM(task.input_size, 8, seed=1).double()
    x = task.encode("<a><b>hi</b></a>")
    tr = model.trace(x)
    logits, (S_T, z_T) = model(x[None])
    np.testing.assert_allclose(tr.logits, logits[0].detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(tr.S[-1], S_T[0].detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(tr.z[-1], z_T[0].detach().numpy(), rtol=0, atol=1e-12)
    e = model.embedding.detach()[x]
    np.testing.assert_allclose(tr.q, (e @ model.W_q.detach().T).numpy(), atol=1e-14)
    # continuing from (S_t, z_t) gives the same logits as the whole sequence at once
    head, state = model(x[None, :9])
    tail, _ = model(x[None, 9:], state)
    np.testing.assert_allclose(torch.cat([head, tail], 1)[0].detach().numpy(), tr.logits, atol=1e-10)


def test_same_seed_same_weights():
    a, b, c = (
        LinearAttentionLM(7, 4, seed=2),
        LinearAttentionLM(7, 4, seed=2),
        LinearAttentionLM(7, 4, seed=3),
    )
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[n], sb[n]) for n in sa)
    assert not all(torch.equal(sa[n], sc[n]) for n in sa)


def test_trains_with_the_trainer_and_samples_from_its_state():
    task = CharLM(text=TEXT, seq_len=32)
    model = LinearAttentionLM(task.input_size, 16, seed=0)
    trainer = Trainer(model, task, TrainConfig(lr=1e-2, batch_size=16, seed=0, eval_batches=2, log_every=50))
    before = trainer.evaluate(2)["val_loss"]
    trainer.run(150, 600.0)
    after = trainer.evaluate(2)["val_loss"]
    assert after < 0.6 * before, (before, after)  # uniform guessing is log V
    s = sample(model, task, prime="<a>", length=20, seed=0)
    assert len(s.text) == 23 and s.text == sample(model, task, prime="<a>", length=20, seed=0).text
