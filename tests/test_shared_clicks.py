"""A Train click is computed once for the server: a session at the same state clicking the same run
while another computes it follows that run and gets its weights, rows and result byte for byte; a
later identical click is served from the store; a different state or budget trains on its own."""

import copy
import re
import threading
import time
from pathlib import Path

import pytest
import torch

from rnnviz.store import capture, click_key
from ui import training

PAGE = "02_elman_rnn.py"
KEY = "l2_model"  # the Elman lesson's training panel


def trainer(at):
    return at.session_state[f"{KEY}_trainer"][1]


def same(a, b) -> None:
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    assert [(r.step, r.loss, r.grad_norm, r.metrics) for r in a.history] == [
        (r.step, r.loss, r.grad_norm, r.metrics) for r in b.history
    ]
    assert [s for s, _ in a.checkpoints] == [s for s, _ in b.checkpoints]
    assert a.step == b.step and torch.equal(a.generator.get_state(), b.generator.get_state())


@pytest.fixture
def store():
    store = training.trained_store()
    with store._lock:
        store._entries.clear()
        store.bytes = 0
        store.stats = dict.fromkeys(store.stats, 0)
    return store


def budget() -> tuple[int, float]:
    """The page's budget per click, read from its source (a page is a script, not a module)."""
    source = (Path(__file__).parents[1] / "app_pages" / PAGE).read_text()
    steps, seconds = re.search(
        r"^STEPS_PER_CLICK, SECONDS_PER_CLICK = (\d+), ([\d.]+)$", source, re.M
    ).groups()
    return int(steps), float(seconds)


def test_a_click_while_the_same_run_is_computed_follows_it_and_gets_its_bytes(open_page, store):
    """The other session is a thread holding the store's computation (AppTest runs cannot overlap):
    it waits until the student is following, then trains its own copy of the same trainer."""
    student = open_page(PAGE)
    steps, seconds = budget()
    other = copy.deepcopy(trainer(student))
    key = click_key(student.session_state[f"{KEY}_start"], (), steps, seconds)
    deadline = time.monotonic() + 30
    trained = []

    def compute(progress):
        while store.stats["waited"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)  # hold the run until the student follows it
        result = other.run(steps, seconds, callback=lambda tr, row: setattr(progress, "row", row))
        trained.append(result)
        return capture(other, ((other.step, result.status == "budget"),), result=result)

    computing = threading.Thread(target=store.obtain, args=(key, steps, compute))
    computing.start()
    student.button(key=f"{KEY}_train").click().run()
    computing.join(120)
    assert not student.exception and not student.error
    assert store.stats["waited"] == 1 and store.stats["computed"] == 1
    mine = trainer(student)
    same(mine, other)  # the student's model is the other session's run, not a run of its own
    assert mine is not other and mine.model.state_dict()["head.weight"].data_ptr() != (
        other.model.state_dict()["head.weight"].data_ptr()
    )  # ... in its own tensors
    assert student.session_state[f"{KEY}_result"] == trained[0]
    assert student.session_state[f"{KEY}_runs_done"] == ((other.step, trained[0].status == "budget"),)
    assert training.SHARED_NOTE in [c.value for c in student.caption]  # and the panel says so


def test_a_later_identical_click_is_served_from_the_store_and_a_new_budget_is_not(open_page, store):
    teacher = open_page(PAGE)
    teacher.button(key=f"{KEY}_train").click().run()
    computed = store.stats["computed"]
    assert computed == 1 and trainer(teacher).step > 0
    student = open_page(PAGE)
    student.button(key=f"{KEY}_train").click().run()
    assert store.stats["computed"] == computed and store.stats["hits"] >= 1  # not trained again
    assert training.SHARED_NOTE in [c.value for c in student.caption]
    assert training.SHARED_NOTE not in [c.value for c in teacher.caption]  # the teacher trained it
    same(trainer(student), trainer(teacher))
    assert trainer(student) is not trainer(teacher)
    # the student's Continue is a new state: computed (once), and the teacher's model is untouched
    before = {k: v.clone() for k, v in trainer(teacher).model.state_dict().items()}
    student.button(key=f"{KEY}_train").click().run()
    assert store.stats["computed"] == computed + 1 and trainer(student).step > trainer(teacher).step
    assert training.SHARED_NOTE not in [c.value for c in student.caption]  # trained here this time
    assert all(torch.equal(before[k], v) for k, v in trainer(teacher).model.state_dict().items())
