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


# --- check: a waiter whose session ended (a closed tab) leaves the line ---------------------------


class Ended(Exception):
    pass


def ends_when(flag: threading.Event):
    def check() -> None:
        if flag.is_set():
            raise Ended

    return check


def test_a_waiter_whose_check_raises_leaves_the_line_and_the_slot_goes_to_the_next():
    slots, ended, out = TurnTaking(1, poll_seconds=0.01), threading.Event(), {}
    assert slots.acquire()

    def ghost() -> None:
        try:
            slots.acquire(timeout=JOIN_S, check=ends_when(ended))
        except Ended:
            out["ghost"] = "left"

    def student() -> None:
        out["student"] = slots.acquire(timeout=JOIN_S)

    threads = [threading.Thread(target=ghost), threading.Thread(target=student)]
    for n, thread in enumerate(threads, start=1):
        thread.start()
        until(lambda n=n: slots.waiting() == n)
    ended.set()  # the first in line closes the tab
    until(lambda: slots.waiting() == 1)
    slots.release()  # the slot goes to the student behind, not to the tab that closed
    for thread in threads:
        thread.join(JOIN_S)
    assert out == {"ghost": "left", "student": True}
    slots.release()
    assert slots.acquire(blocking=False)


def test_a_slot_handed_over_as_the_check_raises_is_passed_on_not_lost():
    slots, calls = TurnTaking(1, poll_seconds=0.01), []

    def check() -> None:  # the slot arrives, then the session's end is noticed at the same moment
        calls.append(1)
        slots.release()
        raise Ended

    assert slots.acquire()
    with pytest.raises(Ended):
        slots.acquire(timeout=JOIN_S, check=check)
    assert calls == [1] and slots.waiting() == 0
    assert slots.acquire(blocking=False)  # free again: neither held by the ghost nor over-released


def test_a_holder_ended_while_waiting_for_its_turn_back_owes_no_release():
    slots, ended, queued, out = TurnTaking(1, poll_seconds=0.01), threading.Event(), threading.Event(), {}

    def holder() -> None:
        try:
            with slots:
                queued.wait(JOIN_S)
                slots.pass_turn(ends_when(ended))  # hands the slot on, then waits to get it back
        except Ended:
            out["holder"] = "ended"

    first = threading.Thread(target=holder)
    first.start()
    until(lambda: slots._free == 0)  # the holder trains
    other = threading.Thread(target=lambda: out.setdefault("other", slots.acquire(timeout=JOIN_S)))
    other.start()
    until(lambda: slots.waiting() == 1)
    queued.set()  # the holder's turn is up: the other student gets the slot, the holder queues
    until(lambda: "other" in out and slots.waiting() == 1)
    ended.set()  # the holder's tab closes while it is in line for its turn back
    first.join(JOIN_S)
    other.join(JOIN_S)
    assert out == {"other": True, "holder": "ended"} and slots.waiting() == 0
    assert not slots.acquire(blocking=False)  # the other student holds the one slot
    slots.release()  # their run ends: the slot is free, counted once (the holder's exit gave none)
    assert slots.acquire(blocking=False) and not slots.acquire(blocking=False)
