"""Pointer networks: the tasks' labels, the pointer distribution, the baseline's fixed vocabulary."""

import itertools

import numpy as np
import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.pointer.check import first_pointer_question
from rnnviz.pointer.evaluate import accuracy_by_length, read, score
from rnnviz.pointer.lesson import PointerLesson
from rnnviz.pointer.model import PointerConfig, PointerNet, VocabBaseline
from rnnviz.tasks.hull import HullTask, cross, hull_labels
from rnnviz.tasks.point_sets import END, MAX_TYPED, parse_points, parse_values
from rnnviz.tasks.sorting import SortTask, sort_labels


def brute_hull(pts):
    """Every directed edge i -> j with all other points strictly on its left is a hull edge (CCW);
    chain them from the lowest point."""
    n = len(pts)
    nxt = {}
    for i, j in itertools.permutations(range(n), 2):
        if all(cross(pts[i], pts[j], pts[k]) > 0 for k in range(n) if k not in (i, j)):
            nxt[i] = j
    start = min(range(n), key=lambda i: (pts[i][1], pts[i][0]))
    ring = [start]
    while nxt[ring[-1]] != start:
        ring.append(nxt[ring[-1]])
    return [i + 1 for i in ring] + [END]


def test_hull_labels_match_brute_force():
    g = torch.Generator().manual_seed(3)
    for T in (3, 4, 5, 8, 12, 20):
        for x in HullTask(length=T).inputs(40, g):
            assert hull_labels(x) == brute_hull(x)


def test_hull_is_counter_clockwise_from_the_lowest_and_drops_edge_points():
    x = [[0.5, 0.5], [0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0]]  # (0.5, 0) lies on an edge
    labels = hull_labels(x)
    assert labels == [2, 3, 4, 5, END]
    ring = [x[t - 1] for t in labels[:-1]]
    area = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True))
    assert area > 0  # counter-clockwise


def test_sort_labels():
    assert sort_labels([0.3, 0.1, 0.2]) == [2, 3, 1, END]
    assert sort_labels([[0.5], [0.5], [0.1]]) == [3, 1, 2, END]  # ties: the earlier first
    g = torch.Generator().manual_seed(1)
    for x in SortTask(length=9).inputs(20, g):
        order = sort_labels(x)[:-1]
        assert [x[t - 1][0] for t in order] == sorted(v[0] for v in x)


def test_batches_are_deterministic_per_seed():
    for task in (SortTask(length=6), HullTask(length=7)):
        a = task.batch(8, torch.Generator().manual_seed(5))
        b = task.batch(8, torch.Generator().manual_seed(5))
        c = task.batch(8, torch.Generator().manual_seed(6))
        assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y) and not torch.equal(a.x, c.x)
        last = a.y.gather(1, (a.y_mask.sum(1) - 1)[:, None])
        assert (last == END).all() and (a.y[:, :-1][a.y_mask[:, 1:]] != END).all()  # END once, last
    one, two = (PointerLesson(seed=4).trainer().model.state_dict() for _ in range(2))
    assert all(torch.equal(one[k], two[k]) for k in one)


def test_pointer_distribution_sums_to_one_and_masks_used_positions():
    task = HullTask(length=7)
    b = task.batch(16, torch.Generator().manual_seed(0))
    for mask_used in (True, False):
        net = PointerNet(PointerConfig(features=2, hidden_size=16, mask_used=mask_used))
        for y in (b.y, None):  # teacher forced, free running
            out = net.decode(b.x, steps=b.y.shape[1], y=y)
            assert out.alpha.shape == (16, b.y.shape[1], 8)  # END + T positions: no vocabulary
            torch.testing.assert_close(out.alpha.sum(-1), torch.ones(16, b.y.shape[1]))
            chosen = b.y if y is not None else out.pointers
            for s in range(1, b.y.shape[1]):
                used = chosen[:, :s]
                w = out.alpha[:, s].gather(1, used)
                if mask_used:  # every earlier choice but END has weight exactly 0
                    assert torch.all((w == 0) | (used == END))
                    assert torch.all(out.alpha[:, s, END] > 0)
                else:
                    assert torch.all(w > 0)
    # the same weights point over 20 inputs: T + 1 choices
    out = net.decode(task.batch(2, torch.Generator().manual_seed(1), length=20).x, steps=3)
    assert out.alpha.shape == (2, 3, 21)


def test_baseline_cannot_write_a_position_past_its_vocabulary():
    cfg = PointerConfig(features=1, hidden_size=16, n_train=4)
    base = VocabBaseline(cfg)
    with torch.no_grad():  # push every logit of the largest position up: it still cannot say 5
        base.decoder.W_y.bias[-1] = 50.0
    x = SortTask(length=4).batch(8, torch.Generator().manual_seed(0), length=9).x
    ans = base.answer(x)
    assert ans.max() <= 4 and base.decoder.W_y.out_features == 3 + 4
    rows = accuracy_by_length({"baseline": base}, SortTask(length=4), [4, 6], n=20)
    assert rows.set_index("T")["writable"].to_dict() == {4: 1.0, 6: 0.0}
    assert rows.set_index("T").loc[6, "exact"] == 0.0
    with pytest.raises(InputError, match="1 .. 4"):
        base.loss(SortTask(length=6).batch(2, torch.Generator().manual_seed(0)))


def test_training_teaches_the_pointer_to_sort_and_generalise():
    lesson = PointerLesson(task="sort", length=5)
    tr = lesson.trainer()
    tr.run(max_steps=150, max_seconds=60)
    rows = accuracy_by_length({"pointer": tr.model}, lesson.make_task(), [5, 8], n=50).set_index("T")
    assert rows.loc[5, "per_step"] > 0.8 and rows.loc[8, "per_step"] > 0.7
    assert tr.history[-1].loss < tr.history[0].loss / 3


def test_score_counts_nothing_after_an_early_end():
    exact, right = score(torch.tensor([[2, 1, 0], [1, 0, 0]]), [[2, 1, 0], [1, 2, 0]])
    assert exact == [True, False] and right == [3, 1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0.1, banana", "'banana' is not a number"),
        ("0.1, nan", "is not a number between"),
        ("1e400 2", "is not a number between"),
        ("0.4", "between 2 and"),
        (" ".join(["0.1"] * (MAX_TYPED + 1)), f"between 2 and {MAX_TYPED}"),
        ("1" * 5000, "characters"),
    ],
)
def test_bad_number_lists_are_refused(text, message):
    with pytest.raises(InputError, match=message):
        parse_values(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 0; 1", "do not make points"),
        ("0 0; 1 1", "between 3 and"),
        ("0 0; 1 1; 0 0", "the same"),
        ("x y; 1 2; 3 4", "'x' is not a number"),
    ],
)
def test_bad_point_lists_are_refused(text, message):
    with pytest.raises(InputError, match=message):
        parse_points(text)


def test_bad_settings_are_refused():
    for kwargs, message in [
        ({"task": "tsp"}, "sort, hull"),
        ({"length": 1}, "at least 2"),
        ({"task": "hull", "length": 30}, "at most 14"),
        ({"cell": "rnn"}, "lstm, gru"),
    ]:
        with pytest.raises(InputError, match=message):
            PointerLesson(**kwargs)


def test_check_answer_is_the_live_models_first_choice():
    lesson = PointerLesson(task="hull", length=6)
    tr = lesson.trainer()
    x = lesson.make_task().parse("0.2 0.9; 0.5 0.1; 0.9 0.5; 0.4 0.5; 0.1 0.3")
    r = read(tr.model, lesson.make_task(), x)
    q = first_pointer_question("hull", r.x, r.target, r.answer[0])
    first = int(np.argmax(r.alpha[0]))
    assert first == r.answer[0]
    label = q.options[q.answer]
    assert (
        label.startswith(f"t = {first}:")
        or (first == END and label.startswith("end"))
        or label == "another position"
    )
    assert q.options[0].startswith("t = 2: the lowest point")  # (0.5, 0.1)
    assert ("That is where the right answer starts." in q.why) == (first == r.target[0])
    trained = first_pointer_question("hull", r.x, r.target, r.target[0], at_step=300)
    assert trained.answer == 0 and "after training step 300" in trained.question


def test_the_equations_shown_match_the_model_in_float64():
    """score_{t,s} = v . tanh(W_e e_t + W_d d_s + b); alpha = softmax_t;
    d_s = LSTMCell(v_{y_{s-1}}, d_{s-1})."""
    torch.manual_seed(0)
    net = PointerNet(PointerConfig(features=2, hidden_size=8, attn_size=6)).double()
    x = HullTask(length=6).batch(1, torch.Generator().manual_seed(2)).x.double()
    with torch.no_grad():
        # free running, mask on: the page's route
        out = net.decode(x, steps=4)
        add = net.attention.additive
        W_e, W_d, b, v_ = add.W_e.weight, add.W_d.weight, add.W_d.bias, add.v.weight[0]
        # v_t = W_in x_t + b_in
        v = x[0] @ net.W_in.weight.T + net.W_in.bias
        cell = net.cell
        h, c = torch.zeros(8, dtype=torch.float64), torch.zeros(8, dtype=torch.float64)
        _, (h_T, c_T) = net.encoder(v[None])
        h, c = h_T[0, 0], c_T[0, 0]  # d_0 = e_T
        u, used = net.u_start, set()
        for s in range(4):
            # d_s = LSTMCell(u_s, d_{s-1}), gates i, f, g, o in torch's row order
            pre = cell.weight_ih @ u + cell.bias_ih + cell.weight_hh @ h + cell.bias_hh
            i, f, g, o = pre.chunk(4)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            torch.testing.assert_close(out.d[0, s], h, rtol=0, atol=1e-12)
            score = torch.stack([v_ @ torch.tanh(W_e @ e_t + W_d @ h + b) for e_t in out.e[0]])
            score[list(used)] = float("-inf")
            torch.testing.assert_close(out.score[0, s], score, rtol=0, atol=1e-12)
            alpha = torch.exp(score - score.max()) / torch.exp(score - score.max()).sum()
            torch.testing.assert_close(out.alpha[0, s], alpha, rtol=0, atol=1e-12)
            t = int(alpha.argmax())
            if t != END:
                used.add(t)
                u = v[t - 1]  # u_{s+1} = v_{y_s}
            else:
                u = net.u_start


def test_baseline_sentence_names_positions_the_input_lacks():
    from rnnviz.pointer.story import baseline_sentence

    base = VocabBaseline(PointerConfig(features=1, hidden_size=8, n_train=5))
    with torch.no_grad():  # the largest position wins every step
        base.decoder.W_y.bias[-1] = 50.0
    x = [[0.3], [0.1], [0.2]]
    answer = read(PointerNet(PointerConfig(features=1, hidden_size=8)), SortTask(length=5), x, base).baseline
    assert 5 in answer
    text = baseline_sentence(answer, sort_labels(x), n_train=5, T=3, step=0)
    assert "It wrote position 5, which your input of T = 3 does not have" in text and "cannot" not in text
    longer = baseline_sentence([1, 0], sort_labels([[0.1]] * 7), n_train=5, T=7)
    assert (
        "It **cannot** write this answer: it needs position t = 7" in longer
        and "wrote position" not in longer
    )
