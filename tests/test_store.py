"""Replaying a link's runs gives the recorded trainer bit for bit; the store computes once, hands
out copies, waits for a computation under way and stays within its bound."""

import threading

import pytest
import torch

from rnnviz.model import ModelConfig, SeqModel
from rnnviz.store import (
    MAX_STEPS,
    TrainedStore,
    capture,
    format_runs,
    parse_runs,
    replay,
    restore,
    start_key,
    state_bytes,
    state_key,
)
from rnnviz.tasks.adding import Adding
from rnnviz.train import TrainConfig, Trainer


def _trainer(seed=0, **train):
    task = Adding(lag=5)
    model = SeqModel(ModelConfig.for_task(task, cell="lstm", hidden_size=8, seed=seed))
    cfg = TrainConfig(
        **{"lr": 1e-2, "batch_size": 8, "seed": seed, "log_every": 10, "checkpoint_every": 20, **train}
    )
    return Trainer(model, task, cfg)


def _same(a: Trainer, b: Trainer) -> None:
    """Everything but wall-clock seconds is identical: weights, rows, held-out metrics, checkpoints."""
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    rows = [[(r.step, r.loss, r.grad_norm, r.metrics) for r in t.history] for t in (a, b)]
    assert rows[0] == rows[1]
    assert [s for s, _ in a.checkpoints] == [s for s, _ in b.checkpoints]
    for (_, wa), (_, wb) in zip(a.checkpoints, b.checkpoints, strict=True):
        assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert a.step == b.step and torch.equal(a.generator.get_state(), b.generator.get_state())
    assert torch.equal(a.eval_generator.get_state(), b.eval_generator.get_state())


def test_replaying_a_time_cut_run_then_a_full_one_equals_the_recorded_runs():
    for budget in [0.05 + 0.003 * i for i in range(30)]:
        teacher = _trainer(eval_batches=2)
        cut = teacher.run(10**6, budget)  # cut by wall time: its length depends on the machine's load
        if teacher.step % 10:  # a cut off a log step is the hard case: find one
            break
    assert cut.status == "budget" and teacher.step % 10
    runs = [(teacher.step, True)]
    teacher.run(25, 60)
    runs.append((teacher.step, False))
    student = _trainer(eval_batches=2)
    replay(student, parse_runs(format_runs(tuple(runs))))
    _same(teacher, student)
    # ... and both continue the same way: the optimizer and both generators were carried along
    teacher.run(7, 60)
    student.run(7, 60)
    _same(teacher, student)


def test_a_plain_step_count_is_not_enough_when_a_run_ended_off_a_log_step():
    """Why the link lists run ends: one run of 37 + 23 steps logs a row at 37 (and a checkpoint)
    that a single run of 60 does not have."""
    split, whole = _trainer(), _trainer()
    split.run(37, 60)
    split.run(23, 60)
    whole.run(60, 60)
    assert [r.step for r in split.history] != [r.step for r in whole.history]


def test_capture_restore_gives_an_independent_copy_that_continues_identically():
    a = _trainer()
    a.run(30, 60)
    state = capture(a)
    b = _trainer()
    restore(b, state)
    _same(a, b)
    b.run(10, 60)  # b's Continue changes neither a nor the captured state
    assert a.step == 30 and state.step == 30
    assert all(torch.equal(state.weights[k], v) for k, v in a.model.state_dict().items())
    a.run(10, 60)
    _same(a, b)


@pytest.mark.parametrize(
    "text", ["-3", "inf", "1e12", "3.5", "", "20,10", "0", str(MAX_STEPS + 1), "5,5", "١٢"]
)
def test_bad_step_values_are_refused_with_a_reason(text):
    with pytest.raises(ValueError):
        parse_runs(text)


def test_run_list_round_trips():
    assert parse_runs("137t,437") == ((137, True), (437, False))
    assert format_runs(((137, True), (437, False))) == "137t,437"
    assert parse_runs(str(MAX_STEPS)) == ((MAX_STEPS, False),)


def test_start_key_depends_on_everything_that_determines_training():
    base = start_key("k", {"H": 8}, _trainer())
    assert base == start_key("k", {"H": 8}, _trainer())
    assert base != start_key("k", {"H": 9}, _trainer())
    assert base != start_key("other", {"H": 8}, _trainer())
    assert base != start_key("k", {"H": 8}, _trainer(seed=1))
    assert base != start_key("k", {"H": 8}, _trainer(lr=2e-2))


def test_obtain_computes_once_and_others_wait_for_the_same_bytes():
    store = TrainedStore()
    key = state_key("s", ((20, False),))
    started, release, calls = threading.Event(), threading.Event(), []
    waited = []

    def compute(progress):
        calls.append(1)
        started.set()
        release.wait(5)
        t = _trainer()
        t.run(20, 60)
        progress.step = 20
        return capture(t)

    results = [None, None]

    def first():
        results[0] = store.obtain(key, 20, compute)

    def second():
        started.wait(5)
        results[1] = store.obtain(key, 20, compute, on_wait=lambda p: (waited.append(p.step), release.set()))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(calls) == 1 and waited and store.stats["computed"] == 1 and store.stats["waited"] == 1
    a, b = results
    assert a is not b and all(torch.equal(a.weights[k], b.weights[k]) for k in a.weights)
    a.weights[next(iter(a.weights))].add_(1.0)  # each caller owns its copy
    assert not torch.equal(a.weights[next(iter(a.weights))], store.peek(key).weights[next(iter(a.weights))])
    assert (
        store.obtain(key, 20, compute) is not None and len(calls) == 1 and store.stats["hits"] == 2
    )  # the waiter, then this


def test_a_failed_computation_stores_nothing_and_the_next_caller_computes():
    store = TrainedStore()
    assert store.obtain("k", 1, lambda p: None) is None and len(store) == 0
    t = _trainer()
    assert store.obtain("k", 1, lambda p: capture(t)) is not None and len(store) == 1


def test_least_recently_used_is_evicted_within_the_bound():
    t = _trainer()
    t.run(20, 60)
    state = capture(t)
    size = state_bytes(state)
    store = TrainedStore(max_entries=64, max_bytes=int(size * 2.5))
    store.put("a", state)
    store.put("b", state)
    store.get("a")  # a is now the most recently used
    store.put("c", state)
    assert store.peek("b") is None and store.peek("a") is not None and store.peek("c") is not None
    assert store.bytes == 2 * size <= store.max_bytes and store.stats["evicted"] == 1
    few = TrainedStore(max_entries=2)
    for name in "xyz":
        few.put(name, state)
    assert len(few) == 2 and few.peek("x") is None


def test_checkpoints_are_shared_copy_on_write_and_nothing_a_session_does_writes_into_them():
    a = _trainer(max_checkpoints=4)
    a.run(60, 60)  # checkpoints at 0, 20, 40, 60
    state = capture(a, ((60, False),))
    store = TrainedStore()
    store.put("k", state)
    b, c = _trainer(max_checkpoints=4), _trainer(max_checkpoints=4)
    restore(b, store.get("k"))
    restore(c, store.get("k"))
    stored = store.peek("k").checkpoints
    values = [(s, {k: v.clone() for k, v in w.items()}) for s, w in stored]
    # one copy of each checkpoint tensor for the store and both sessions (a class holds one set)
    for (_, ws), (_, wb), (_, wc) in zip(stored, b.checkpoints, c.checkpoints, strict=True):
        assert all(ws[k].data_ptr() == wb[k].data_ptr() == wc[k].data_ptr() for k in ws)
    assert b.checkpoints is not c.checkpoints and b.history is not c.history
    assert all(rb is rc for rb, rc in zip(b.history, c.history, strict=True))
    # scrub, load a checkpoint into the model, train on (new checkpoints, thinning, Adam's steps)
    b.model_at(0).layers[0].params(0)["weight_hh"].detach().add_(1.0)
    b.load_checkpoint(1)
    b.run(100, 60)
    c.load_checkpoint(0)
    assert len(b.checkpoints) <= 4 and len(c.checkpoints) == 4
    for (_, w), (_, before) in zip(stored, values, strict=True):
        assert all(torch.equal(w[k], before[k]) for k in w)
    assert [r.step for r in c.history] == [r.step for r in a.history]  # b's rows went to b's list only
    # and c, which shares the same checkpoints, continues exactly as a does
    restore(c, store.get("k"))
    a.run(30, 60)
    c.run(30, 60)
    _same(a, c)


def test_a_state_carries_the_result_of_the_run_that_led_to_it():
    from rnnviz.store import click_key

    t = _trainer()
    result = t.run(20, 60)
    state = capture(t, ((20, False),), result=result)
    assert TrainedStore().obtain("k", 20, lambda p: state).result == result
    assert click_key("s", ((20, False),), 150, 6) == click_key("s", ((20, False),), 150, 6.0)
    assert click_key("s", (), 150, 6) != click_key("s", (), 150, 8)
