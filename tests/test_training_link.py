"""The link carries the trained model: a second session opening a teacher's link after Train shows
the same numbers and the same weights, served from the server's store after the first rebuild;
every session owns its copy; bad step values are named and ignored."""

import copy
import threading
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import torch

from apptools import view
from rnnviz.store import capture, parse_runs, replay, state_key
from ui import training
from ui.safe import plain

PAGE = "02_elman_rnn.py"
KEY = "l2_model"  # the Elman lesson's training panel
PARAM = f"{KEY}_trained"


def link_params(at) -> dict:
    (link,) = [c.value for c in at.sidebar.code]
    return dict(parse_qsl(urlsplit(link).query))


def trainer(at):
    return at.session_state[f"{KEY}_trainer"][1]


def weights(at) -> dict:
    return {k: v.clone() for k, v in trainer(at).model.state_dict().items()}


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def clean(at) -> None:
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert not at.warning, [w.value for w in at.warning]


@pytest.fixture
def empty_store():
    store = training.trained_store()
    with store._lock:
        store._entries.clear()
        store.bytes = 0
        store.stats = dict.fromkeys(store.stats, 0)
    return store


@pytest.fixture
def teacher(open_page, empty_store):
    at = open_page(PAGE)
    at.button(key=f"{KEY}_train").click().run()
    clean(at)
    assert trainer(at).step > 0
    return at


def test_the_link_carries_the_training_and_opens_the_same_model(teacher, open_url, empty_store):
    params = link_params(teacher)
    runs = teacher.session_state[f"{KEY}_runs_done"]
    assert params[PARAM] == ",".join(f"{end}{'t' if cut else ''}" for end, cut in runs)
    assert runs[-1][0] == trainer(teacher).step
    replays = training.REPLAYS[KEY]
    student = open_url(PAGE, params)
    clean(student)
    # the teacher's Train stored its state: the student gets a copy without training
    assert training.REPLAYS[KEY] == replays and empty_store.stats["hits"] >= 1
    assert trainer(student).step == trainer(teacher).step
    assert f"{trainer(teacher).step} training steps so far" in " ".join(view(student, "captions")["captions"])
    assert view(student, "metrics", "charts") == view(teacher, "metrics", "charts")
    assert same_weights(weights(student), weights(teacher))
    assert link_params(student)[PARAM] == params[PARAM]


def test_a_rebuilt_link_is_trained_once_and_then_served_from_the_store(teacher, open_url, empty_store):
    params, taught = link_params(teacher), weights(teacher)
    with empty_store._lock:  # as on another server, or after the teacher's state was evicted
        empty_store._entries.clear()
    replays = training.REPLAYS[KEY]
    first = open_url(PAGE, params)
    clean(first)
    assert training.REPLAYS[KEY] == replays + 1  # trained again, with step budgets only
    assert "trained again here" in " ".join(view(first, "captions")["captions"])
    second = open_url(PAGE, params)
    clean(second)
    assert training.REPLAYS[KEY] == replays + 1  # the second session was served from the store
    assert "copied from this server's store" in " ".join(view(second, "captions")["captions"])
    for at in (first, second):
        assert same_weights(weights(at), taught)  # bit for bit, whatever the load
        assert view(at, "metrics", "charts") == view(teacher, "metrics", "charts")


def test_a_students_continue_changes_neither_the_teacher_nor_the_store(teacher, open_url, empty_store):
    params, taught = link_params(teacher), weights(teacher)
    start = teacher.session_state[f"{KEY}_start"]
    key = state_key(start, teacher.session_state[f"{KEY}_runs_done"])
    student = open_url(PAGE, params)
    student.button(key=f"{KEY}_train").click().run()
    clean(student)
    assert trainer(student).step > trainer(teacher).step
    assert not same_weights(weights(student), taught)
    assert same_weights(weights(teacher), taught)
    assert same_weights(empty_store.peek(key).weights, taught)
    # the student's link now carries both runs, and opens the student's model exactly
    later = link_params(student)
    assert later[PARAM].startswith(params[PARAM] + ",")
    other = open_url(PAGE, later)
    clean(other)
    assert same_weights(weights(other), weights(student))
    assert view(other, "metrics", "charts") == view(student, "metrics", "charts")


def test_reset_and_new_settings_take_the_steps_out_of_the_link(teacher):
    teacher.button(key=f"{KEY}_reset").click().run()
    assert PARAM not in link_params(teacher) and trainer(teacher).step == 0
    teacher.button(key=f"{KEY}_train").click().run()
    assert PARAM in link_params(teacher)
    h = teacher.slider(key="l2_H")
    h.set_value(h.value + 1).run()
    clean(teacher)
    assert PARAM not in link_params(teacher) and trainer(teacher).step == 0


@pytest.mark.parametrize("value", ["-3", "inf", "1e12", "20001", "3.5", "<b>9</b>", "40,20"])
def test_a_bad_step_value_is_named_and_ignored(open_url, value):
    at = open_url(PAGE, {PARAM: value})
    assert not at.exception and not at.error
    (warning,) = [w.value for w in at.main.warning if PARAM.replace("_", "\\_") in w.value]
    assert "Ignored from the link" in warning and "The model starts untrained" in warning
    assert f"{plain(PARAM)}={plain(value)}" in warning  # the value, shown as text (never Markdown)
    assert trainer(at).step == 0 and PARAM not in link_params(at)


@pytest.mark.parametrize(
    "page", ["02_elman_rnn.py", "03_char_lm.py", "05_lstm.py", "06_gru.py", "07_attention.py"]
)
def test_no_setting_of_a_page_has_the_name_of_a_panels_training_parameter(open_page, page):
    """A widget bound to the same query parameter would make writing the steps fail."""
    at = open_page(page)
    panels = [k.removesuffix("_trainer") for k in at.session_state if k.endswith("_trainer")]
    assert panels
    assert not [k for k in panels if f"{k}_trained" in at.session_state]


def test_a_session_asking_for_a_state_being_computed_waits_for_it(open_page, open_url, empty_store):
    """Another session is computing the link's state when a student opens the link: the student
    waits for that computation (the store counts the wait) instead of training, and gets its weights.

    (The other session is a thread calling the store directly: AppTest runs cannot overlap, as each
    creates and tears down Streamlit's one runtime.)"""
    runs = parse_runs("600")  # a link may ask for more steps than one click makes
    origin = open_page(PAGE)  # an untrained session of the same settings: its trainer at step 0
    other = copy.deepcopy(trainer(origin))
    key = state_key(origin.session_state[f"{KEY}_start"], runs)
    deadline = time.monotonic() + 120

    def compute(progress):
        while empty_store.stats["waited"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)  # hold the computation until the student is waiting for it
        replay(other, runs)
        return capture(other, runs)

    computing = threading.Thread(target=empty_store.obtain, args=(key, 600, compute))
    computing.start()
    replays = training.REPLAYS[KEY]
    student = open_url(PAGE, {PARAM: "600"})
    computing.join(120)
    clean(student)
    assert empty_store.stats["waited"] == 1 and empty_store.stats["computed"] == 1
    assert training.REPLAYS[KEY] == replays  # the student did not train
    assert trainer(student).step == 600 and same_weights(weights(student), other.model.state_dict())
    assert "copied from this server's store" in " ".join(view(student, "captions")["captions"])
