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


# --- ui.training.training_slot: the one way every page holds a slot ------------------------------


@pytest.fixture
def full_server():
    """Every training slot of the server taken (as by other students' runs); freed afterwards."""
    from ui import training

    slots = training.training_slots()
    taken = [slots.acquire(timeout=JOIN_S) for _ in range(training.TRAINING_SLOTS)]
    assert all(taken)
    yield training, slots
    for _ in range(training.TRAINING_SLOTS - slots._free):  # what the test did not give back
        slots.release()


def test_a_page_waits_a_bounded_time_then_says_the_server_is_busy(full_server):
    training, _ = full_server
    with training.training_slot(message=None, wait=0, busy=None) as ready:  # a Play tick: no wait
        assert ready is False
    start = time.perf_counter()
    with training.training_slot(message=None, wait=0.2, busy=None) as ready:
        assert ready is False
    assert 0.2 <= time.perf_counter() - start < JOIN_S


def test_a_waiting_page_gets_the_slot_when_one_frees_and_its_runs_take_turns(full_server):
    from rnnviz import train

    training, slots = full_server
    got = []

    def page():
        with training.training_slot(message=None, wait=JOIN_S) as ready:
            got.append((ready, train._ambient.hook is not None))  # runs in the block take turns
        got.append(("after", getattr(train._ambient, "hook", None)))

    waiter = threading.Thread(target=page)
    waiter.start()
    until(lambda: slots.waiting() == 1)  # in line, first come first served
    slots.release()  # another student's run ends: the slot goes to the one waiting
    waiter.join(JOIN_S)
    assert got == [(True, True), ("after", None)]
    assert slots._free == 1  # the page gave its slot back
    assert training.in_slot(lambda a, b=0: a + b, 2, b=3) == 5  # a one-off job in the free slot
    assert slots._free == 1
