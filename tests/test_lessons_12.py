"""Backends and charts of lessons 1 and 2: what the pages claim, checked against the model itself.

- parameter-count formulas vs param_count of real torch modules;
- the Elman step rebuilt with numpy (W_hh h_{t-1} + W_xh x_t + b) vs the trace, for every architecture;
- the equation as rendered (LaTeX) vs the trace's h_t; the output softmax vs the trace's probabilities;
- the bidirectional concatenation vs the fused torch forward; pyramid lengths and pairings;
- edits of W_hh on a copy; the usage-pattern examples on real models.
"""

import re

import numpy as np
import pytest
import torch
from torch import nn

from rnnviz.charts import diagrams
from rnnviz.charts import elman as charts
from rnnviz.errors import InputError
from rnnviz.lessons import elman, recurrence
from rnnviz.lessons.elman import ElmanConfig, WeightEdit
from rnnviz.model import param_count
from rnnviz.trace import trace
from rnnviz.train import TrainConfig, Trainer


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models train fastest on one thread, and a busy machine makes two fight (see app.py)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- lesson 1: parameter counts ------------------------------------------------------------------


@pytest.mark.parametrize("n, D, H, K", [(1, 1, 2, 1), (4, 3, 4, 2), (17, 5, 9, 3), (60, 8, 16, 6)])
def test_fully_connected_count_matches_a_real_module(n, D, H, K):
    assert recurrence.fc_params(n, D, H, K) == param_count(recurrence.fc_model(n, D, H, K))
    out = recurrence.fc_model(n, D, H, K)(torch.zeros(2, n, D))  # the module really reads n inputs of size D
    assert out.shape == (2, K)


@pytest.mark.parametrize("D, H, K", [(1, 2, 1), (3, 4, 2), (8, 16, 6)])
def test_rnn_count_matches_the_model_and_ignores_n(D, H, K):
    model = recurrence.rnn_model(D, H, K)
    assert recurrence.rnn_params(D, H, K) == param_count(model)
    counts = recurrence.growth([1, 5, 50], D, H, K)
    assert set(counts["RNN"].tolist()) == {param_count(model)}
    # the fully connected count grows by exactly D*H parameters per extra input
    assert np.diff(recurrence.growth(range(1, 6), D, H, K)["fully connected"]).tolist() == [D * H] * 4


def test_deep_feedforward_count_matches_a_stack_of_layers():
    L, H = 5, 7
    stack = nn.Sequential(*[nn.Linear(H, H) for _ in range(L)])
    assert recurrence.deep_ff_params(L, H) == param_count(stack)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, 200_000])
def test_sizes_are_checked(bad):
    with pytest.raises(InputError):
        recurrence.fc_params(bad, 3, 4, 2)


def test_random_sequence_is_seeded():
    a, b, c = (recurrence.random_sequence(5, 3, s) for s in (1, 1, 2))
    assert a.shape == (5, 3) and torch.equal(a, b) and not torch.equal(a, c)


# --- lesson 1: usage-pattern examples ----------------------------------------------------------


@pytest.fixture(scope="module")
def trained_examples():
    # a short run of the two word models; the character model barely trains (the pages use more)
    torch.manual_seed(0)
    return recurrence.build_examples(recurrence.ExamplesConfig(steps=150, lm_steps=10, seed=0), train=True)


def test_untrained_examples_are_seeded():
    a = recurrence.build_examples(recurrence.ExamplesConfig(seed=3))
    b = recurrence.build_examples(recurrence.ExamplesConfig(seed=3))
    c = recurrence.build_examples(recurrence.ExamplesConfig(seed=4))
    p = [recurrence.classify(e.sentiment, e.sentiment_task, "the film was good").probs for e in (a, b, c)]
    assert np.array_equal(p[0], p[1]) and not np.allclose(p[0], p[2])
    assert a.steps == {"sentiment": 0, "tagging": 0, "lm": 0}


def test_tagging_example_learns_i_like_cake(trained_examples):
    ex = trained_examples
    assert ex.steps["tagging"] == 150
    tagged = recurrence.tag(ex.tagging, ex.tagging_task, "I like cake")
    assert tagged.words == ("i", "like", "cake")
    assert tagged.tags == ("Pronoun", "Verb", "Noun")
    assert tagged.probs.shape == (3, len(ex.tagging_task.labels))
    np.testing.assert_allclose(tagged.probs.sum(-1), 1, rtol=1e-5)


def test_sentiment_example_reads_the_whole_review(trained_examples):
    ex = trained_examples
    for text in ("the movie was good", "the movie was not good", "not bad at all"):
        res = recurrence.classify(ex.sentiment, ex.sentiment_task, text)
        assert res.label == res.rule_label, text  # the model agrees with the generator's rules
    one = recurrence.classify(ex.sentiment, ex.sentiment_task, "terrible")
    assert one.words == ("terrible",) and one.label == "negative"


def test_generation_feeds_back_what_it_draws(trained_examples):
    ex = trained_examples
    s = recurrence.generate(ex.lm, ex.lm_task, "<b>", length=20, seed=1)
    assert s.text.startswith("<b>") and len(s.text) == 23 and len(s.ids) == 20
    assert s.text == recurrence.generate(ex.lm, ex.lm_task, "<b>", length=20, seed=1).text


@pytest.mark.parametrize(
    "call, text",
    [("classify", ""), ("classify", "the movie was splendiferous"), ("tag", "   "), ("tag", "I like pizza")],
)
def test_example_inputs_are_checked(call, text):
    ex = recurrence.build_examples(recurrence.ExamplesConfig())
    model, task = (ex.sentiment, ex.sentiment_task) if call == "classify" else (ex.tagging, ex.tagging_task)
    with pytest.raises(InputError):
        getattr(recurrence, call)(model, task, text)
    with pytest.raises(InputError):
        recurrence.generate(ex.lm, ex.lm_task, "", 10)


# --- lesson 2: the Elman step -------------------------------------------------------------------


def build(**kw):
    cfg = ElmanConfig(**kw)
    task = elman.make_task(cfg)
    model = elman.make_model(cfg, task)
    x, y = elman.sequence_ids(cfg, task)
    return cfg, task, model, x, y, trace(model, x, y, jacobians=False)


ARCHS = [
    dict(architecture="single"),
    dict(architecture="stacked", num_layers=3),
    dict(architecture="bidirectional"),
    dict(architecture="pyramid", num_layers=3),
]


@pytest.mark.parametrize("kw", ARCHS, ids=lambda kw: kw["architecture"])
def test_numpy_step_equals_the_trace_everywhere(kw):
    cfg, task, model, x, y, tr = build(sequence="hello world", hidden_size=5, seed=2, **kw)
    for lt in tr.layers:
        for t in range(len(lt.h)):
            terms = elman.step_terms(tr, t, lt.layer, lt.direction)
            np.testing.assert_allclose(terms.h, lt.h[t], atol=1e-6)
            np.testing.assert_allclose(terms.pre, lt.pre["h"][t], atol=1e-5)
            # the parts add up as the equation says
            np.testing.assert_allclose(terms.Wh + terms.Wx + terms.b, terms.pre, atol=1e-12)
            if lt.layer == 0:  # one-hot: W_xh x_t is the column of the character read at t
                assert terms.x_index == int(x[t])
                np.testing.assert_allclose(terms.Wx, terms.W_xh[:, int(x[t])])
            else:
                assert terms.x_index is None


def test_first_step_starts_from_zero_and_backward_reads_from_the_end():
    *_, tr = build(architecture="bidirectional", hidden_size=3)
    T = len(tr.layer(0).h)
    first_fwd, last_bwd = elman.step_terms(tr, 0), elman.step_terms(tr, T - 1, 0, 1)
    assert first_fwd.prev_step is None and last_bwd.prev_step is None
    assert not first_fwd.h_prev.any() and not last_bwd.h_prev.any()
    mid = elman.step_terms(tr, 3, 0, 1)
    assert mid.prev_step == 4
    np.testing.assert_allclose(mid.h_prev, tr.layer(0, 1).h[4])
    with pytest.raises(InputError):
        elman.step_terms(tr, T)
    with pytest.raises(InputError):
        elman.step_terms(tr, 0, layer=1)


def latex_vectors(tex: str) -> list[np.ndarray]:
    """The numbers of every bmatrix in a LaTeX string, one array per matrix (rows flattened)."""
    blocks = re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", tex)
    return [np.array([float(v) for v in re.findall(r"-?\d+\.\d+", b)]) for b in blocks]


@pytest.mark.parametrize("kw", ARCHS, ids=lambda kw: kw["architecture"])
def test_rendered_equation_shows_the_traces_numbers(kw):
    cfg, task, model, x, y, tr = build(sequence="abcabd", hidden_size=4, **kw)
    lt = tr.layers[-1]
    t = len(lt.h) - 1
    terms = elman.step_terms(tr, t, lt.layer, lt.direction)
    tex = charts.hidden_step_latex(terms, "d", layered=cfg.layers > 1)
    W_hh, h_prev, Wx, b, pre, h = latex_vectors(tex)
    np.testing.assert_allclose(h, lt.h[t], atol=0.006)  # the result equals the trace's h_t (2 decimals)
    np.testing.assert_allclose(pre, lt.pre["h"][t], atol=0.006)
    np.testing.assert_allclose(W_hh, lt.params["weight_hh"].ravel(), atol=0.006)
    np.testing.assert_allclose(b, lt.params["bias_ih"] + lt.params["bias_hh"], atol=0.006)
    np.testing.assert_allclose(Wx, lt.params["weight_ih"] @ lt.x[t], atol=0.006)
    assert h_prev.shape == (4,)


def test_large_hidden_sizes_are_cut_with_dots():
    *_, tr = build(hidden_size=12)
    tex = charts.hidden_step_latex(elman.step_terms(tr, 2), "l")
    W_hh = latex_vectors(tex)[0]
    assert W_hh.size == 8 * 8 and r"\vdots" in tex and r"\cdots" in tex
    np.testing.assert_allclose(W_hh.reshape(8, 8), tr.layer(0).params["weight_hh"][:8, :8], atol=0.006)


@pytest.mark.parametrize("kw", ARCHS, ids=lambda kw: kw["architecture"])
def test_output_softmax_equals_the_traces_probabilities(kw):
    cfg, task, model, x, y, tr = build(sequence="hello world", hidden_size=4, **kw)
    if tr.head == "many_to_one":
        out = elman.output_terms(model, tr)
        np.testing.assert_allclose(out.probs, tr.probs, atol=1e-6)
    else:
        for t in range(len(x)):
            np.testing.assert_allclose(elman.output_terms(model, tr, t).probs, tr.probs[t], atol=1e-6)
    out = elman.output_terms(model, tr, None if tr.head == "many_to_one" else 0)
    tex = charts.output_latex(out, task.vocab, 0)
    best = int(out.probs.argmax())
    assert f"= {out.probs[best]:.3f}" in tex and charts.tex_char(task.vocab[best]) in tex


def test_bidirectional_concatenation_is_what_torch_computes():
    cfg, task, model, x, y, tr = build(architecture="bidirectional", hidden_size=5, seed=1)
    both = elman.concat_directions(tr)
    with torch.no_grad():
        fused, _ = model.features(x[None])  # torch's nn.RNN, both directions
    np.testing.assert_allclose(both, fused[0].numpy(), atol=1e-5)
    H = cfg.hidden_size
    for t in (0, 4, len(x) - 1):
        out = elman.output_terms(model, tr, t)
        np.testing.assert_allclose(out.h[:H], tr.layer(0, 0).h[t])
        np.testing.assert_allclose(out.h[H:], tr.layer(0, 1).h[t])
    fig = charts.concat_heatmap(tr.layer(0, 0).h, tr.layer(0, 1).h, list(cfg.sequence), 3)
    np.testing.assert_allclose(np.asarray(fig.data[0].z).T, both)


@pytest.mark.parametrize("T, L", [(11, 3), (8, 3), (5, 2), (4, 3)])
def test_pyramid_lengths_and_pairs(T, L):
    seq = "abcdefghijk"[:T]
    cfg, task, model, x, y, tr = build(sequence=seq, architecture="pyramid", num_layers=L, hidden_size=3)
    lengths = elman.pyramid_lengths(T, L)
    assert [len(tr.layer(k).h) for k in range(L)] == lengths
    assert lengths == [T // 2**k for k in range(L)]
    for k in range(1, L):  # layer k, step j reads [h_{2j}; h_{2j+1}] of layer k-1
        below, layer = tr.layer(k - 1).h, tr.layer(k)
        for j in range(lengths[k]):
            np.testing.assert_allclose(layer.x[j], np.concatenate([below[2 * j], below[2 * j + 1]]))
    tokens = elman.pyramid_tokens(seq, L)
    assert [len(row) for row in tokens] == lengths
    assert all("".join(row) == seq[: len(row) * 2**k] for k, row in enumerate(tokens))
    for t in range(T):
        for k in range(L):
            j = elman.layer_step(t, k, lengths)
            assert (j is None) == (t >= lengths[k] * 2**k)
    fig = diagrams.pyramid(tokens, mark_step=0)
    assert len([s for s in fig.layout.shapes if s.type == "rect"]) == sum(lengths)


def test_pyramid_needs_enough_steps():
    with pytest.raises(InputError, match="at least 4"):
        ElmanConfig(sequence="abc", architecture="pyramid", num_layers=3)
    with pytest.raises(InputError):
        elman.pyramid_lengths(3, 3)


@pytest.mark.parametrize(
    "kw, words",
    [
        (dict(sequence="a"), "at least 2 characters"),
        (dict(sequence="aaaa"), "2 different"),
        (dict(sequence="x" * 41 + "y"), "at most"),
        (dict(sequence="ab\ncd"), "one line"),
        (dict(hidden_size=1), "hidden size"),
        (dict(hidden_size=17), "hidden size"),
        (dict(architecture="lstm"), "architecture"),
        (dict(num_layers=4), "2 or 3"),
    ],
)
def test_config_errors_say_what_to_do(kw, words):
    with pytest.raises(InputError, match=words):
        ElmanConfig(**kw)


def test_edits_apply_to_a_copy():
    cfg, task, model, x, y, tr = build(architecture="stacked", num_layers=2, hidden_size=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    copy = elman.edited(model, WeightEdit(scale=0.5, layer=1, row=2, col=3, value=1.5))
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), f"{k} of the trained model changed"
    W0, W1 = (copy.layers[k].params(0)["weight_hh"].detach() for k in (0, 1))
    torch.testing.assert_close(W0, 0.5 * before["layers.0.rnn.weight_hh_l0"])
    assert float(W1[2, 3]) == pytest.approx(0.75)  # set to 1.5, then scaled by 0.5
    # scale 0 cuts the recurrence: every h_t depends on x_t alone
    cut = trace(elman.edited(model, WeightEdit(scale=0.0)), x, y, jacobians=False)
    lt = cut.layer(0)
    p = lt.params
    np.testing.assert_allclose(
        lt.h, np.tanh(lt.x @ p["weight_ih"].T + p["bias_ih"] + p["bias_hh"]), atol=1e-6
    )
    for bad in (WeightEdit(scale=-1), WeightEdit(scale=3.5), WeightEdit(row=4), WeightEdit(layer=2),
                WeightEdit(value=float("nan")), WeightEdit(direction=1)):  # fmt: skip
        with pytest.raises(InputError):
            elman.edited(model, bad)


def test_next_char_task_keeps_the_last_target():
    cfg = ElmanConfig(sequence="hello world", architecture="pyramid")
    task = elman.make_task(cfg)
    a = task.batch(4, torch.Generator().manual_seed(5))
    b = task.lm.batch(4, torch.Generator().manual_seed(5))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y[:, -1]) and a.mask is None
    assert task.head == "many_to_one" and task.output_size == len(task.vocab) == 9


def test_training_on_the_typed_sequence_lowers_the_loss():
    torch.manual_seed(0)
    cfg = ElmanConfig(sequence="hello world", hidden_size=6)
    task = elman.make_task(cfg)
    trainer = Trainer(elman.make_model(cfg, task), task, TrainConfig(lr=0.03, batch_size=16, log_every=5))
    trainer.run(60, 30)
    first, last = trainer.history[0].loss, trainer.history[-1].loss
    assert last < 0.5 * first


# --- charts -------------------------------------------------------------------------------------


def test_unrolled_picture_shows_the_live_numbers():
    model = recurrence.rnn_model(3, 4, 2, seed=1)
    xs = recurrence.random_sequence(5, 3, seed=1)
    tr = trace(model, xs, jacobians=False)
    fig = diagrams.unrolled(xs.numpy(), tr.layer(0).h, tr.logits, param_count(model))
    columns = [np.asarray(d.z)[::-1, 0] for d in fig.data if d.type == "heatmap"]
    assert len(columns) == 1 + 3 * 5  # h_0, then x_t, h_t, y_t per step
    h_cols = [c for c in columns if c.size == 4][1:]  # after h_0
    for t in range(5):
        assert any(np.allclose(c, tr.layer(0).h[t]) for c in h_cols)
    assert "46 parameters" in str(fig.data[-1].hovertext)


def test_usage_pattern_draws_one_cell_per_step():
    fig = diagrams.usage_pattern(["i", "like", "cake"], ["Pronoun", "Verb", "Noun"])
    texts = [a.text for a in fig.layout.annotations]
    assert texts.count("RNN") == 3 and {"Pronoun", "Verb", "Noun", "like"} <= set(texts)
    enc = diagrams.usage_pattern(["a", "b", None], [None, None, "x"], encoder_steps=2)
    assert {"encoder", "decoder"} <= {a.text for a in enc.layout.annotations}
    with pytest.raises(ValueError):
        diagrams.usage_pattern(["a"], [])


def test_step_contributions_stack_to_h_pre():
    *_, tr = build(hidden_size=5)
    terms = elman.step_terms(tr, 3)
    fig = charts.step_contributions(terms)
    bars = sum(np.asarray(d.y) for d in fig.data if d.type == "bar")
    np.testing.assert_allclose(bars, terms.pre)
    np.testing.assert_allclose(fig.data[-1].y, tr.layer(0).h[3], atol=1e-6)


def test_tex_char_escapes_latex():
    assert charts.tex_char(" ") == r"\text{space}"
    assert charts.tex_char("\n") == r"\text{line break}"
    assert charts.tex_char("#") == r"\text{'\#'}" and charts.tex_char("a") == r"\text{'a'}"


# --- lesson 2: the backward pass and the bidirectional panels (input checks) ----------------------


@pytest.mark.parametrize("text", ["", "1, x", ",".join(["1"] * 13), "1, 1e9", "nan"])
def test_scalar_inputs_are_checked(text):
    from rnnviz.lessons import bptt

    with pytest.raises(InputError):
        bptt.parse_inputs(text)


def test_scalar_chain_and_delta_table_refuse_what_they_do_not_cover():
    from rnnviz.lessons import bidirectional, bptt

    assert bptt.parse_inputs("1; -0.5 2") == (1.0, -0.5, 2.0)
    with pytest.raises(InputError):
        bptt.scalar_chain(float("inf"), 1.0, (1.0,))
    cfg, task, model, x, y, tr = build(architecture="bidirectional")
    with pytest.raises(InputError, match="one layer"):
        bptt.delta_table(model, x, y)
    with pytest.raises(InputError):
        bidirectional.reach_of_last_input(model, model, x, task.vocab)  # not a stacked net
    with pytest.raises(InputError):
        bidirectional.random_text(1, 10, 0)


def test_lesson_1_tables_come_from_the_backend():
    model = recurrence.rnn_model(3, 4, 2, seed=0)
    xs = recurrence.random_sequence(5, 3, seed=0)
    tr = trace(model, xs, jacobians=False)
    table = recurrence.unrolled_frame(xs.numpy(), tr.layer(0).h, tr.logits)
    assert list(table["t"]) == [1, 2, 3, 4, 5] and len(table.columns) == 1 + 3 + 4 + 2
    assert table["h_t[2]"].iloc[3] == tr.layer(0).h[3, 2] and table["y_t[1]"].iloc[0] == tr.logits[0, 1]
    counts = recurrence.growth(range(1, 4), 3, 4, 2)
    assert recurrence.growth_frame(counts).shape == (3, len(counts))


def test_bidirectional_reach_table_has_one_row_per_step():
    from rnnviz.lessons import bidirectional

    r = bidirectional.Reach("b", np.array([0, 0, 1.0]), np.array([2.0, 1, 1]), np.zeros(3), 8, 4)
    table = r.frame(["a", "b", "c"])
    assert list(table["x_t"]) == ["a", "b", "c"] and list(table["t"]) == [1, 2, 3]
    assert list(table.iloc[:, 3]) == [2.0, 1, 1]
