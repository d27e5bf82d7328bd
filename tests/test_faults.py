"""Faults a class causes: a tab closed while its run waits in line, trains or runs a long job.

Closing a tab makes Streamlit stop that session's script run (``request_script_stop`` on
disconnect, streamlit/runtime/websocket_session_manager.py). AppTest's own run timeout makes the
very same call (``runner.request_stop()`` in testing/v1/local_script_runner.py), so a run given a
timeout shorter than its work is a tab closed at that moment: the script thread gets the stop, and
the test watches the server-wide training slots (ui.training.training_slots) free up.

Every test here would hang for the length of the work it interrupts (a 60 s wait, a 20 s job) and
then fail if the stop were not honoured: the bounds below are that difference, not a speed claim.
"""

import threading
import time

import pytest
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequests, ScriptRequestType
from streamlit.testing.v1 import AppTest

from ui import training

STOP_AFTER_S = 1.5  # the tab is closed this long after the click
# A stopped run must be gone well before the work it was doing would have ended by itself
# (WAIT_SECONDS = 60 in line; 20 s for the job below): a few polls plus one training step.
GONE_WITHIN_S = 8.0
JOB_SECONDS = 20.0


@pytest.fixture
def slots():
    """The server's slots, all free at the start and checked free again at the end."""
    slots = training.training_slots()
    assert slots._free == training.TRAINING_SLOTS and slots.waiting() == 0
    yield slots
    while slots._free < training.TRAINING_SLOTS:  # what a failed test left held
        slots.release()


def close_tab_after(at: AppTest, seconds: float) -> float:
    """Run ``at`` and close its tab ``seconds`` in (AppTest's timeout stops the run as a disconnect
    does); returns the seconds from the close until the session's script thread had ended."""
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="timed out"):
        at.run(timeout=seconds)
    return time.perf_counter() - start - seconds


def _waiting_script():
    import streamlit as st

    from ui.training import training_slot

    with training_slot() as ready:  # the page's Train click: waits in line up to WAIT_SECONDS
        st.write(f"ready {ready}")


def test_the_private_stop_state_session_ended_reads_is_where_streamlit_keeps_it():
    """ui.training.session_ended reads ScriptRequests._state (no public call exists in 1.67): if
    Streamlit moves it, this fails instead of closed tabs silently keeping their places."""
    requests = ScriptRequests()
    assert requests._state is ScriptRequestType.CONTINUE
    requests.request_stop()
    assert requests._state is ScriptRequestType.STOP


def test_a_tab_closed_while_waiting_in_line_leaves_the_line_and_is_not_handed_a_slot(slots):
    others = [slots.acquire(timeout=5) for _ in range(training.TRAINING_SLOTS)]  # a full server
    assert all(others)
    at = AppTest.from_function(_waiting_script)
    ended = {}
    student = threading.Thread(target=lambda: ended.setdefault("after", close_tab_after(at, STOP_AFTER_S)))
    student.start()
    deadline = time.monotonic() + STOP_AFTER_S + GONE_WITHIN_S
    while not slots.waiting():  # the click: in line (the page's run is that fast on any machine)
        assert time.monotonic() < deadline, "never queued"
        time.sleep(0.01)
    while slots.waiting() and time.monotonic() < deadline:  # in line until the tab closes
        time.sleep(0.01)
    # another student's run ends: the slot must stay free for the living, not go to the closed tab
    # (it went to it, and the closed tab's next st call then raised before the slot was its own:
    # the slot was lost for good)
    slots.release()
    student.join(60)
    assert not student.is_alive() and ended["after"] < GONE_WITHIN_S, ended
    assert slots.waiting() == 0 and slots._free == 1
    slots.release()
    assert slots._free == training.TRAINING_SLOTS


def _long_job_script(seconds: float):
    import streamlit as st

    from rnnviz.model import ModelConfig, SeqModel
    from rnnviz.tasks.adding import Adding
    from rnnviz.train import TrainConfig, Trainer
    from ui.training import in_slot

    def job():  # a long comparison: many steps and no st call until it is done
        task = Adding(lag=5)
        model = SeqModel(ModelConfig.for_task(task, cell="gru", hidden_size=4, seed=0))
        trainer = Trainer(
            model, task, TrainConfig(batch_size=4, seed=0, log_every=10_000, checkpoint_every=0)
        )
        st.session_state["job_trainer"] = trainer
        return trainer.run(10_000_000, seconds)

    st.write(in_slot(job))


def test_a_tab_closed_during_a_long_job_ends_it_and_frees_its_slot(slots):
    at = AppTest.from_function(_long_job_script, args=(JOB_SECONDS,))
    after = close_tab_after(at, STOP_AFTER_S)
    assert after < GONE_WITHIN_S
    assert slots._free == training.TRAINING_SLOTS and slots.waiting() == 0
    assert 0 < at.session_state["job_trainer"].step  # it was training when the tab closed


def test_a_tab_closed_mid_training_frees_the_slot_for_the_next_student(slots, open_page):
    """Lesson 3's Train click (1000 steps or 8 s), closed 1.5 s in; the next student trains."""
    gone = open_page("03_char_lm.py")
    assert not gone.exception
    gone.button(key="l3_model_train").click()
    after = close_tab_after(gone, STOP_AFTER_S)
    assert after < GONE_WITHIN_S
    assert slots._free == training.TRAINING_SLOTS and slots.waiting() == 0
    nxt = AppTest.from_function(_waiting_script).run(timeout=30)
    assert [m.value for m in nxt.markdown] == ["ready True"]


# --- a server restart or a long disconnection: said before it happens ---------------------------

RESTART = "kept in the server's memory only"


def test_the_training_panel_says_what_a_restart_loses_and_how_to_keep_it(open_page):
    """Lesson 2's panel: no note untrained; after Train, the steps the address carries (the link's
    own ``_trained`` end) and the download; a model loaded from a file: keep the file."""
    at = open_page("02_elman_rnn.py")
    assert not [c.value for c in at.caption if RESTART in c.value]
    at.button(key="l2_model_train").click().run()
    (note,) = [c.value for c in at.caption if RESTART in c.value]
    steps = at.session_state["l2_model_trainer"][1].step
    end = int(str(at.query_params["l2_model_trained"]).split(",")[-1].rstrip("t"))
    assert steps == end > 0
    ttl = st_option("server.disconnectedSessionTTL")
    assert f"over {ttl // 60} minutes offline, loses it" in note and f"retrains its {steps} steps" in note
    assert "a download (below) keeps it as a file" in note and at.get("download_button")
    # what loading a file records (ui/export.model_box): no runs, and no training in the address
    at.session_state["l2_model_runs_done"] = None
    del at.query_params["l2_model_trained"]
    at.run()
    (note,) = [c.value for c in at.caption if RESTART in c.value]
    assert "A model loaded from a file is not in the page's link: keep the file" in note


def st_option(name: str):
    import streamlit as st

    return st.get_option(name)


def test_the_restart_note_names_what_a_saved_link_leaves_out_and_counts_models():
    from rnnviz.restart import keep_note

    assert keep_note(0, True, (), 120) is None
    left = keep_note(5, True, ["l3_own"], 120)
    assert "leaves out l3_own (too long), so it would not rebuild this model" in left
    assert "retrains" not in left
    several = keep_note(5, True, (), 90, models=2, download=False)
    assert several.startswith("These models are") and "over 90 seconds offline" in several
    assert "retrains each of them" in several and several.endswith("nothing else keeps them.")
    assert "download" not in keep_note(5, True, (), 120, download=False)
