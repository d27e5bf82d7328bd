"""Truncated BPTT (lesson 4, section 8): the cut gradient against autograd, and the page section."""

from dataclasses import asdict, replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnviz.lessons.truncated import (
    TruncRecipe,
    TruncResult,
    chunked_logits,
    cut_before,
    grad_norms,
    near_chance,
    story,
    unroll,
)

PAGE = "04_gradients.py"


def small(cell: str, lag: int = 10) -> tuple:
    recipe = TruncRecipe(cell=cell, lag=lag, hidden_size=8, steps=1)
    model = recipe.model().double()
    ex = recipe.task().example(0, split="val")
    return model, ex.x[0], ex.y[0], recipe.T


def param_grads(model, logits, y) -> list[torch.Tensor]:
    model.zero_grad(set_to_none=True)
    F.cross_entropy(logits, y.reshape(1)).backward()
    out = [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    return out


def test_cuts_are_counted_back_from_the_loss():
    assert cut_before(22, 10) == {13, 3}  # windows 13..22, 3..12, 1..2
    assert cut_before(22, 22) == set() and cut_before(22, 40) == set() and cut_before(5, None) == set()


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("k", [1, 4, 7])
def test_truncated_gradient_is_autograd_of_the_detached_graph(cell, k):
    model, x, y, T = small(cell)
    full = grad_norms(model, x, y)
    trunc = grad_norms(model, x, y, k)
    # the forward pass is unchanged: the same logits as the model's own fused forward
    logits, _ = unroll(model, x.unsqueeze(0), k)
    torch.testing.assert_close(logits, model(x.unsqueeze(0))[0], rtol=0, atol=1e-12)
    # exactly zero more than k steps back (t <= T - k), nonzero inside the window
    assert np.all(trunc[: T - k] == 0.0)
    assert np.all(trunc[T - k :] > 0)
    assert np.all(full > 0)
    # inside the last window the loss's paths only run forward, so dL/dh_t is the full one
    np.testing.assert_allclose(trunc[T - k :], full[T - k :], rtol=1e-12)
    # weight gradients: step-by-step with detach == whole windows through the fused layer
    step = param_grads(model, unroll(model, x.unsqueeze(0), k)[0], y)
    window = param_grads(model, chunked_logits(model, x.unsqueeze(0), k), y)
    for a, b in zip(step, window, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    # and they differ from full BPTT's: the cut removed terms
    whole = param_grads(model, model(x.unsqueeze(0))[0], y)
    assert any(not torch.allclose(a, b) for a, b in zip(step, whole, strict=True))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_window_covering_the_sequence_is_full_bptt(cell):
    model, x, y, T = small(cell, lag=5)
    for k in (T, T + 3):
        np.testing.assert_array_equal(grad_norms(model, x, y, k), grad_norms(model, x, y))
        full = param_grads(model, model(x.unsqueeze(0))[0], y)
        for a, b in zip(param_grads(model, chunked_logits(model, x.unsqueeze(0), k), y), full, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


def result(**kw) -> TruncResult:
    base = dict(k=10, lag=20, T=22, cell="gru", steps=200, full_norms=[1.0] * 22, chance=0.25)
    base.update(kw)
    return TruncResult(**base)


def test_story_branches_on_the_numbers():
    cut = [0.0] * 12 + [0.1] * 10
    s = story(result(trunc_norms=cut, zero_before=12, acc_full=1.0, acc_trunc=0.24))
    assert "exactly 0 for t <= T - k = 12" in s and "nonzero at 10 of the last 10" in s
    assert "truncated model is at chance (24%" in s and "while full BPTT reaches 100%" in s
    s = story(result(trunc_norms=cut, zero_before=12, acc_full=1.0, acc_trunc=0.6))
    assert "reaches 60%" in s and "learned something although" in s
    s = story(result(trunc_norms=cut, zero_before=12, acc_full=0.26, acc_trunc=0.24))
    assert "full BPTT is at chance too" in s
    s = story(
        result(
            trunc_norms=[0.1] * 7, full_norms=[0.1] * 7, lag=5, T=7, zero_before=0, acc_full=1, acc_trunc=1
        )
    )
    assert "nothing is cut" in s and "nonzero at 7 of the 7" in s and "(T = 7 <= k)" in s
    assert near_chance(0.25, 0.25) and not near_chance(0.4, 0.25)


def test_page_section_trains_and_says_what_the_numbers_show(open_page):
    at = open_page(PAGE)
    assert not at.exception, at.exception
    assert "l4_trunc" not in at.session_state  # nothing trains on page load
    at.button(key="l4_trunc_train").click().run()
    assert not at.exception, at.exception
    assert not at.error
    config, held = at.session_state["l4_trunc"]
    assert config == asdict(TruncRecipe(k=10, lag=20, seed=config["seed"]))
    r = TruncResult(**held)
    text = "\n".join(m.value for m in at.markdown)
    assert story(r) in text
    # the numbers behind the sentence: a cut beyond k, and the accuracies shown as metrics
    tn = np.asarray(r.trunc_norms)
    assert r.zero_before == r.T - r.k == 12 and np.all(tn[:12] == 0) and np.all(tn[12:] > 0)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Held-out accuracy, full BPTT"] == f"{100 * r.acc_full:.0f}%"
    assert shown["Held-out accuracy, truncated k = 10"] == f"{100 * r.acc_trunc:.0f}%"
    # at the defaults (lag 20 > k = 10) the cut costs the memory: pinned, and the sentence says it
    assert near_chance(r.acc_trunc, r.chance) and r.acc_full >= 0.9
    assert "truncated model is at chance" in text
    # a lag whose T is within k: truncation cuts nothing and both learn
    at.number_input(key="l4_trunc_lag").set_value(5).run()
    at.button(key="l4_trunc_train").click().run()
    assert not at.exception, at.exception
    r = TruncResult(**at.session_state["l4_trunc"][1])
    assert r.reaches_first and r.trunc_norms == r.full_norms
    assert story(r) in "\n".join(m.value for m in at.markdown)


def test_recipe_rejects_bad_input():
    from rnnviz.errors import InputError

    with pytest.raises(InputError):
        TruncRecipe(k=0)
    with pytest.raises(InputError):
        replace(TruncRecipe(), cell="rnn_relu")


def test_chart_marks_the_exact_zeros_and_shares_one_colour_range():
    from rnnviz.charts.gradients import truncation_rows

    full, cut = [0.01, 0.02, 0.04, 0.08], [0.0, 0.0, 0.05, 0.1]
    fig = truncation_rows(full, cut, k=2)
    colours, zeros = fig.data
    assert list(colours.y) == ["full BPTT", "truncated, k = 2"] and list(colours.x) == [1, 2, 3, 4]
    assert colours.zmin == pytest.approx(np.log10(0.01)) and colours.zmax == pytest.approx(np.log10(0.1))
    assert np.isnan(colours.z[1][0]) and np.isnan(colours.z[1][1])  # no colour for an exact 0 ...
    assert [list(r) for r in zeros.text] == [["", "", "", ""], ["0", "0", "", ""]]  # ... it is labelled 0
