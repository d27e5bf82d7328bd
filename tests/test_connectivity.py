"""Lesson 4, connectivity (section 6): C[s, t] against autograd, a hand-checked linear RNN, the
training run's arrays, the computed sentences and the charts' shared colour scale."""

import dataclasses

import numpy as np
import pytest
import torch

from rnnviz.charts.connectivity import answer_rows, full_maps, log_range
from rnnviz.errors import InputError
from rnnviz.lessons.connectivity import connectivity
from rnnviz.lessons.connectivity_run import ConnectivityConfig, ConnectivityRun, run_connectivity
from rnnviz.lessons.connectivity_story import REACH, answer_story, map_story, training_story
from rnnviz.model import ModelConfig, SeqModel

CELLS = ("rnn_tanh", "lstm", "gru")


def small(cell: str, head: str, embed_dim: int = 0) -> SeqModel:
    cfg = ModelConfig(
        cell=cell, input_size=7, output_size=3, head=head, hidden_size=6, embed_dim=embed_dim, seed=3
    )
    return SeqModel(cfg).double()


X = torch.tensor([0, 4, 2, 6, 1, 3, 5])  # T = 7


def by_autograd(model: SeqModel, x: torch.Tensor) -> np.ndarray:
    """C[s, t] one backward per output step, written out: d y_s[argmax y_s] / d x_t, L2 over x_t."""
    e = model.embed(x[None]).detach().requires_grad_(True)  # (1, T, D)
    h = e
    for layer in model.layers:
        h, _ = layer(h)
    logits = model.head(h if model.cfg.head == "many_to_many" else h[:, -1:])[0]  # (S, O)
    rows = []
    for s in range(logits.shape[0]):
        (g,) = torch.autograd.grad(logits[s, logits[s].argmax()], e, retain_graph=True)
        rows.append(g[0].norm(dim=-1).detach().numpy())
    return np.stack(rows)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("head, embed_dim", [("many_to_many", 0), ("many_to_one", 0), ("many_to_many", 4)])
def test_connectivity_equals_autograd(cell, head, embed_dim):
    model = small(cell, head, embed_dim).eval()
    c = connectivity(model, X)
    want = by_autograd(model, X)
    assert c.matrix.shape == want.shape == ((7, 7) if head == "many_to_many" else (1, 7))
    np.testing.assert_allclose(c.matrix, want, rtol=1e-10, atol=1e-14)
    assert list(c.steps) == (list(range(1, 8)) if head == "many_to_many" else [7])
    assert (c.matrix[np.tril_indices(c.matrix.shape[0]) if head == "many_to_many" else 0] > 0).all()


@pytest.mark.parametrize("cell", CELLS)
def test_upper_triangle_is_zero_and_deterministic(cell):
    model = small(cell, "many_to_many")
    model.train()
    a, b = connectivity(model, X), connectivity(model, X)
    assert np.array_equal(a.matrix, b.matrix) and model.training  # same numbers, mode kept
    assert (a.matrix[np.triu_indices(7, k=1)] == 0).all()  # a later input never reaches an earlier output
    assert (np.diag(a.matrix) > 0).all()


def test_one_unit_linear_rnn_by_hand():
    """h_t = w_hh h_{t-1} + w_xh x_t (a ReLU RNN whose pre-activations stay positive is linear), y_s =
    w_hy h_s + b_y: C[s, t] = |w_hy| |w_hh|^(s - t) |w_xh| for t <= s."""
    cfg = ModelConfig(cell="rnn_relu", input_kind="vectors", input_size=1, output_size=1, hidden_size=1)
    model = SeqModel(cfg).double()
    w_xh, w_hh, w_hy = 0.5, 0.8, -1.5
    with torch.no_grad():
        p = model.layers[0].params(0)
        p["weight_ih"].fill_(w_xh), p["weight_hh"].fill_(w_hh), p["bias_ih"].zero_(), p["bias_hh"].zero_()
        model.head.weight.fill_(w_hy), model.head.bias.fill_(0.2)
    x = torch.tensor([[1.0], [0.3], [2.0], [0.7], [1.1]], dtype=torch.float64)  # positive: ReLU = identity
    c = connectivity(model, x).matrix
    s, t = np.meshgrid(np.arange(5), np.arange(5), indexing="ij")
    want = np.where(t <= s, abs(w_hy) * abs(w_hh) ** np.abs(s - t) * abs(w_xh), 0.0)
    np.testing.assert_allclose(c, want, rtol=1e-12)


def test_refuses_what_it_cannot_draw():
    cfg = ModelConfig(cell="gru", input_size=7, output_size=3, hidden_size=4, bidirectional=True)
    with pytest.raises(InputError, match="one-directional"):
        connectivity(SeqModel(cfg), X)
    with pytest.raises(InputError, match="one sequence"):
        connectivity(small("gru", "many_to_one"), X[None])


# --- the training run and its sentences ------------------------------------------------------------

TINY = ConnectivityConfig(lag=3, steps=20, checkpoint_every=10, seed=0, eval_sentences=16)


@pytest.fixture(scope="module")
def tiny_run() -> ConnectivityRun:
    return run_connectivity(TINY)


def test_run_keeps_every_checkpoint_and_recomputes_at_it(tiny_run):
    run = tiny_run
    assert run.steps == (0, 10, 20) and len(run.tokens) == 5 and run.tokens[-1] == "fluent"
    for cell in CELLS:
        assert run.rows[cell].shape == (3, 5) and run.maps[cell].shape == (3, 5, 5)
        assert run.acc[cell].shape == run.acc_every[cell].shape == (3,)
        assert not np.array_equal(run.rows[cell][0], run.rows[cell][-1])  # training moved C
    # checkpoint 1 of the many-to-one GRU, rebuilt: the same row as the run holds
    trainer = TINY.trainer("gru", "many_to_one")
    trainer.run(10, 600.0, callback=trainer.task)
    again = connectivity(trainer.model_at(-1), TINY.probe().x[0]).matrix[0]
    np.testing.assert_allclose(run.rows["gru"][1], again, rtol=1e-6)
    assert run.ratio("gru", 1) == pytest.approx(again[0] / again[-1], rel=1e-6)
    table = run.frame(1)
    assert len(table) == 3 * (1 * 5 + 5 * 6 // 2)  # per cell: the row s = T, and the triangle t <= s
    one = table[(table["cell"] == "GRU") & (table["head"] == "many_to_one")]
    assert list(one["s"]) == [5] * 5 and list(one["word x_t"]) == list(run.tokens)
    np.testing.assert_allclose(one["C[s, t]"], run.rows["gru"][1])
    m = table[(table["cell"] == "LSTM") & (table["head"] == "many_to_many") & (table["s"] == 4)]
    np.testing.assert_allclose(m["C[s, t]"], run.maps["lstm"][1][3, :4])


def fake(rows: dict, acc: dict) -> ConnectivityRun:
    """A run with chosen C[T, t] rows (K = 2 checkpoints, T = 3) and accuracies."""
    maps = {c: np.stack([np.tril(np.full((3, 3), 0.5))] * 2) for c in CELLS}
    return ConnectivityRun(
        config=TINY, tokens=("Spain", "sea", "fluent"), answer="Spanish", steps=(0, 100),
        rows={c: np.array(v, dtype=float) for c, v in rows.items()}, maps=maps,
        acc={c: np.array(v, dtype=float) for c, v in acc.items()},
        acc_every={c: np.array([0.3, 0.9]) for c in CELLS}, reached_lag={c: 3 for c in CELLS},
    )  # fmt: skip


def test_answer_story_branches_on_the_ratios():
    gated = fake(
        {"rnn_tanh": [[1e-5, 1, 1], [1e-20, 1, 1]], "lstm": [[1e-3, 1, 1], [0.04, 1, 1]],
         "gru": [[1e-4, 1, 1], [1.2, 1, 1]]},
        {"rnn_tanh": [0.25, 1.0], "lstm": [0.25, 1.0], "gru": [0.25, 1.0]},
    )  # fmt: skip
    said = answer_story(gated, 1)
    assert said.startswith("**Only the trained gated cells connect the answer to the first word**")
    assert "GRU 1.2, LSTM 0.04, RNN 1e-20" in said  # largest first
    assert "Yet the RNN answers 100% of 16 held-out sentences right: the country" in said  # no gradient
    assert "All three connect" in answer_story(gated, 0)  # step 0: 1e-5 >= REACH
    only_gru = dataclasses.replace(gated, rows={**gated.rows, "lstm": np.array([[1e-3, 1, 1], [1e-9, 1, 1]])})
    assert answer_story(only_gru, 1).startswith("**Only the trained GRU connects")
    rnn_row = np.array([[1e-5, 1, 1], [0.3, 1, 1]])
    rnn_too = answer_story(dataclasses.replace(gated, rows={**gated.rows, "rnn_tanh": rnn_row}), 1)
    assert rnn_too.startswith("**All three connect") and "Yet" not in rnn_too
    none = dataclasses.replace(gated, rows={c: np.array([[1e-9, 1, 1]] * 2) for c in CELLS})
    assert answer_story(none, 1).startswith("**None of the three")
    assert REACH == 1e-6 and "at least 1e-06" in said


def test_training_story_compares_first_and_last_checkpoint():
    run = fake(
        {"rnn_tanh": [[1e-5, 1, 1], [1e-20, 1, 1]], "lstm": [[1e-3, 1, 1], [0.04, 1, 1]],
         "gru": [[1e-4, 1, 1], [1.2, 1, 1]]},
        {c: [0.25, 1.0] for c in CELLS},
    )  # fmt: skip
    said = training_story(run)
    assert said.startswith("Over training, the answer of the LSTM and the GRU reaches further back")
    assert "that of the RNN does not" in said and "- GRU: 0.0001 at step 0 → 1.2 at step 100" in said
    up = dataclasses.replace(run, rows={c: np.array([[1e-5, 1, 1], [1e-2, 1, 1]]) for c in CELLS})
    assert training_story(up).startswith("Over training, every cell's answer reaches further back")


def test_map_story_names_each_cells_weakest_row(tiny_run):
    said = map_story(tiny_run, -1)
    for cell, name in zip(CELLS, ("RNN", "LSTM", "GRU"), strict=True):
        m = tiny_run.maps[cell][-1]
        r = m[1:, 0] / np.diag(m)[1:]
        s = int(np.argmin(r)) + 2
        acc = 100 * tiny_run.acc_every[cell][-1]
        assert f"{name} {r.min():.2g} (at s = {s}, accuracy {acc:.0f}%)" in said


def test_charts_share_one_log_colour_scale(tiny_run):
    run = tiny_run
    lo, hi = log_range(*run.rows.values(), *run.maps.values())
    assert hi - lo <= 12 and lo < hi
    fig = answer_rows({c: run.rows[c][-1] for c in CELLS}, run.tokens, lo, hi)
    (heat,) = fig.data
    assert (heat.zmin, heat.zmax) == (lo, hi) and list(heat.y) == list(CELLS)
    want = np.log10(np.stack([run.rows[c][-1] for c in CELLS]))
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float), want)
    maps = full_maps({c: run.maps[c][-1] for c in CELLS}, run.tokens, lo, hi)
    assert len(maps.data) == 3 and all(t.coloraxis == "coloraxis" for t in maps.data)
    assert (maps.layout.coloraxis.cmin, maps.layout.coloraxis.cmax) == (lo, hi)
    z = np.asarray(maps.data[2].z, dtype=float)
    assert np.isnan(z[np.triu_indices(5, k=1)]).all() and np.isfinite(z[np.tril_indices(5)]).all()
    assert "log scale" in heat.colorbar.title.text


# --- the page section (AppTest, small sizes) --------------------------------------------------------


def test_page_section_trains_and_scrubs(open_url):
    from rnnviz.lessons.connectivity_run import ConnectivityRun

    at = open_url("04_gradients.py", {"l4_conn_lag": "5", "l4_conn_steps": "50"})
    assert not at.exception and not at.error
    heads = [h.value for h in at.header]
    at_6 = heads.index("6. Connectivity: which words each prediction reads")
    assert heads[at_6 - 1].startswith("5. Short vs long memory")
    assert heads[at_6 + 1].startswith("7. What course")
    assert heads[at_6 + 2] == "8. Truncated BPTT: a window of k steps"
    charts = len(at.get("plotly_chart"))
    at.button(key="l4_conn_train").click().run()
    assert not at.exception and not at.error
    config, run = at.session_state["l4_conn"]
    assert isinstance(run, ConnectivityRun) and config["lag"] == 5 and config["steps"] == 50
    assert run.steps[0] == 0 and run.steps[-1] == 50 and len(run.tokens) == 7
    assert len(at.get("plotly_chart")) == charts + 2
    assert any(b.proto.id.endswith("-l4_csv_conn") for b in at.get("download_button"))

    def said() -> str:
        return "\n".join(m.value for m in at.markdown)

    assert answer_story(run, -1) in said() and training_story(run) in said() and map_story(run, -1) in said()
    at.select_slider(key="l4_conn_step").set_value(0).run()  # the untrained models
    assert not at.exception and not at.error
    assert answer_story(run, 0) in said() and "at the initial weights (step 0)" in said()
    assert map_story(run, 0) in said() and answer_story(run, -1) not in said()
