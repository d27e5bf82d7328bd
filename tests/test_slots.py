"""Turn taking on a shared server (rnnviz.slots) and Trainer.run's ``between`` hook."""

import threading
import time

import pytest

from rnnviz.model import ModelConfig, SeqModel
from rnnviz.slots import TurnTaking
from rnnviz.tasks.adding import Adding
from rnnviz.train import TrainConfig, Trainer

JOIN_S = 30  # generous: threads on a busy machine


def until(condition) -> None:
    deadline = time.monotonic() + JOIN_S
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_slots_go_first_come_first_served():
    slots, order, go = TurnTaking(1), [], threading.Event()
    assert slots.acquire(blocking=False)

    def student(name: str) -> None:
        assert slots.acquire(timeout=JOIN_S)
        order.append(name)
        go.wait(JOIN_S)
        slots.release()

    threads = []
    for n, name in enumerate("abc", start=1):
        threads.append(threading.Thread(target=student, args=(name,)))
        threads[-1].start()
        until(lambda n=n: slots.waiting() == n)  # in the queue before the next one asks
    assert order == []
    assert not slots.acquire(blocking=False)  # nobody jumps the queue
    slots.release()
    go.set()
    for thread in threads:
        thread.join(JOIN_S)
    assert order == ["a", "b", "c"]
    assert slots.waiting() == 0 and slots.acquire(blocking=False)
    assert not slots.acquire(blocking=False)


def test_a_wait_that_runs_out_leaves_the_queue():
    slots = TurnTaking(1)
    assert slots.acquire()
    assert slots.acquire(timeout=0.01) is False
    assert slots.waiting() == 0
    slots.release()
    assert slots.acquire(blocking=False)


def test_passing_a_turn_alone_keeps_the_slot_and_overreleasing_is_an_error():
    slots = TurnTaking(2)
    with slots:
        assert slots.pass_turn() == 0.0
        assert slots.acquire(blocking=False)  # the second slot is still free
        slots.release()
    with pytest.raises(ValueError):
        slots.release()
    with pytest.raises(ValueError):
        TurnTaking(0)


def trainer(seed: int) -> Trainer:
    task = Adding(lag=5)
    model = SeqModel(ModelConfig.for_task(task, cell="gru", hidden_size=4, seed=seed))
    return Trainer(model, task, TrainConfig(batch_size=4, seed=seed, log_every=1, checkpoint_every=0))


def test_two_runs_on_one_slot_take_turns_and_both_finish():
    slots, steps = TurnTaking(1), []
    trainers = {"a": trainer(0), "b": trainer(1)}
    results = {}

    def train(name: str) -> None:
        with slots:
            between = slots.take_turns(0.0)  # pass after every step whenever someone waits
            note = lambda t, row: steps.append(name)  # noqa: E731
            results[name] = trainers[name].run(40, 60.0, callback=note, between=between)

    assert slots.acquire()  # both queue up before either trains
    threads = [threading.Thread(target=train, args=(name,)) for name in trainers]
    for n, thread in enumerate(threads, start=1):
        thread.start()
        until(lambda n=n: slots.waiting() == n)
    slots.release()
    for thread in threads:
        thread.join(JOIN_S)
    assert all(r.status == "done" and r.steps == 40 for r in results.values())
    assert steps[:4] == ["a", "b", "a", "b"]  # one step each in turn while both want the slot
    assert sorted(steps) == ["a"] * 40 + ["b"] * 40


def test_time_spent_between_steps_is_not_training_time():
    tr = trainer(0)
    result = tr.run(6, 1.0, between=lambda: time.sleep(0.3))  # 1.5 s of waiting against 1 s of budget
    assert result.status == "done" and result.steps == 6
    assert tr.seconds < 1.0
    assert all(row.seconds <= tr.seconds for row in tr.history)
