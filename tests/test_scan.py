"""rnnviz.scan: the loop, the doubling scan and the log-space scan give the same h_t (float64)."""

import math

import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.scan import rounds, scan_doubling, scan_log, scan_loop


def _direct(a, b, h0):
    """h_t = a_t h_{t-1} + b_t, written out with Python floats, one number at a time."""
    B, T, H = a.shape
    out = torch.zeros(B, T, H, dtype=torch.float64)
    for i in range(B):
        for j in range(H):
            h = 0.0 if h0 is None else float(h0[i, j])
            for t in range(T):
                h = float(a[i, t, j]) * h + float(b[i, t, j])
                out[i, t, j] = h
    return out


def _inputs(T, seed, B=2, H=3):
    g = torch.Generator().manual_seed(seed)
    a = 1 - torch.rand(B, T, H, generator=g, dtype=torch.float64)  # (0, 1]
    b = torch.randn(B, T, H, generator=g, dtype=torch.float64)  # both signs
    h0 = torch.randn(B, H, generator=g, dtype=torch.float64)
    return a, b, h0


@pytest.mark.parametrize("T", [1, 2, 3, 7, 64, 4096])
@pytest.mark.parametrize("with_h0", [False, True])
def test_three_scans_equal_a_direct_loop(T, with_h0):
    a, b, h0 = _inputs(T, seed=T)
    h0 = h0 if with_h0 else None
    want = _direct(a, b, h0) if T <= 64 else scan_loop(a, b, h0)
    if T > 64:  # the Python-float loop is slow at 4096: check scan_loop against it on one row
        torch.testing.assert_close(
            scan_loop(a[:1, :, :1], b[:1, :, :1], None if h0 is None else h0[:1, :1]),
            _direct(a[:1, :, :1], b[:1, :, :1], None if h0 is None else h0[:1, :1]),
            rtol=0,
            atol=1e-12,
        )
    for scan in (scan_loop, scan_doubling, scan_log):
        torch.testing.assert_close(scan(a, b, h0), want, rtol=1e-10, atol=1e-10)


def test_log_scan_stable_with_a_near_zero_and_near_one():
    g = torch.Generator().manual_seed(1)
    T = 4096
    a = torch.rand(1, T, 4, generator=g, dtype=torch.float64)
    a[..., 0] = 1e-6 + 1e-6 * a[..., 0]  # almost forgets every step: a* reaches about -56000
    a[..., 1] = 1.0  # keeps everything: h_t is the running sum of b
    b = torch.randn(1, T, 4, generator=g, dtype=torch.float64)
    h = scan_log(a, b)
    assert torch.isfinite(h).all()
    torch.testing.assert_close(h, scan_loop(a, b), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(h[0, :, 1], b[0, :, 1].cumsum(0), rtol=1e-10, atol=1e-10)


def test_log_scan_float32_long_sequence_close():
    a, b, h0 = _inputs(4096, seed=5)
    h = scan_log(a.float(), b.float(), h0.float())
    torch.testing.assert_close(h.double(), scan_loop(a, b, h0), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("with_h0", [False, True])
def test_gradients_through_log_scan_equal_the_loops(with_h0):
    a, b, h0 = _inputs(50, seed=3)
    w = torch.randn(a.shape, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    grads = []
    for scan in (scan_loop, scan_log, scan_doubling):
        leaves = [t.clone().requires_grad_() for t in (a, b, h0)]
        out = scan(leaves[0], leaves[1], leaves[2] if with_h0 else None)
        (out * w).sum().backward()
        grads.append([leaf.grad for leaf in (leaves if with_h0 else leaves[:2])])
    for other in grads[1:]:
        for g_loop, g_other in zip(grads[0], other, strict=True):
            assert torch.isfinite(g_other).all()
            torch.testing.assert_close(g_other, g_loop, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("bad", [0.0, -0.5, 1.5, float("nan")])
def test_log_scan_refuses_a_outside_zero_one(bad):
    a, b, _ = _inputs(5, seed=0)
    a[0, 2, 1] = bad
    with pytest.raises(InputError, match=r"\(0, 1\]"):
        scan_log(a, b)


def test_shapes_are_checked():
    a, b, h0 = _inputs(5, seed=0)
    with pytest.raises(InputError):
        scan_log(a, b[:, :4])
    with pytest.raises(InputError):
        scan_loop(a, b, h0[:, :2])


def test_rounds():
    for T in (1, 2, 3, 7, 64, 4096):
        assert rounds(T, "loop") == T
        assert rounds(T, "log") == T  # torch's CPU cumsum is a sequential pass along T
        assert rounds(T, "doubling") == (math.ceil(math.log2(T)) if T > 1 else 0)
    assert rounds(4096, "doubling") == 12
    with pytest.raises(InputError):
        rounds(10, "fft")


def test_doubling_takes_the_rounds_it_says(monkeypatch):
    """Count the rounds (two concatenations each): ceil(log2 65) = 7, six would cover 64 steps."""
    a, b, _ = _inputs(65, seed=2)
    calls = []
    real_cat = torch.cat

    def counting_cat(*args, **kwargs):
        calls.append(1)
        return real_cat(*args, **kwargs)

    monkeypatch.setattr(torch, "cat", counting_cat)
    scan_doubling(a, b)
    monkeypatch.undo()
    assert len(calls) == 2 * rounds(65, "doubling") == 14
