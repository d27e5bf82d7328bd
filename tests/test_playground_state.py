"""The Playground's controller without AppTest: its state, transitions, pacing loop, views cache and
widget table (rnnviz/playground/state.py, rnnviz/playground/controls.py)."""

import dataclasses
import inspect

import pytest
import streamlit as st

from rnnviz.errors import InputError
from rnnviz.playground import PRESETS, PlaygroundConfig, decode
from rnnviz.playground.config import FLOAT_LIMITS, INT_LIMITS, MAX_RUNS, RUN_FIELDS, TASK_KNOBS, TEXTS
from rnnviz.playground.controls import (
    FIXED,
    gate_options,
    layer_name,
    layer_options,
    model_fields,
    shows,
    spec,
    task_fields,
)
from rnnviz.playground.session import (
    DRAW_EVERY_SECONDS,
    FIRST_TICK_SECONDS,
    PLAY_RUN_SECONDS,
    TICK_SECONDS,
    Pacer,
    Tick,
)
from rnnviz.playground.state import (
    ALIVE_SECONDS,
    BUSY_SLEEP,
    DONE,
    MAX_PLAY_SECONDS,
    RERUN_PAGE,
    RERUN_PANEL,
    PlaygroundState,
    ViewCache,
)

SMALL = {"task": "copy", "lag": "3", "length": "2", "hidden": "4", "batch": "8"}


def opened(params=None) -> PlaygroundState:
    state = PlaygroundState()
    params = SMALL if params is None else params
    assert state.link_is_new(params)
    state.apply_link(decode(params))
    return state


# --- links, presets, compared runs -----------------------------------------------------------------


def test_a_link_is_applied_once_and_a_new_one_again():
    state = opened()
    assert not state.link_is_new(SMALL)  # the same link on the next run: the student's changes stay
    state.vals[0]["lag"] = 9
    assert state.url_update({"task": "copy", "lag": "9"}) == []
    assert not state.link_is_new({"task": "copy", "lag": "9"})  # what the page wrote itself
    assert not state.link_is_new({})  # no parameters once the session has a setup
    assert state.link_is_new({"task": "adding"})  # a new link in the same session
    assert not state.link_is_new({"task": "adding"})


def test_apply_link_fills_every_run_and_stops_play():
    state = opened({"task": "copy", "lag": "7", "b_cell": "gru", "hide": "model", "ex": "5"})
    state.play(now=1.0)
    assert state.playing
    state.apply_link(decode({"task": "copy", "lag": "7", "b_cell": "gru", "hide": "model", "ex": "5"}))
    assert not state.playing and len(state.vals) == MAX_RUNS and state.runs_n == 2
    assert [v["cell"] for v in state.vals] == ["lstm", "gru", "lstm"] and state.vals[2]["lag"] == 7
    assert state.hide == {"model"} and state.example == 5
    assert state.is_hidden("model") and state.is_hidden("task", "lr") is False
    state.hide = {"lr"}
    assert state.is_hidden("training", "lr") and not state.is_hidden("training", "clip")


def test_a_preset_keeps_the_hidden_controls_and_shows_while_its_runs_are_its_own():
    state = opened({"hide": "task"})
    state.load_preset("vanishing")
    assert state.hide == {"task"} and state.preset == "vanishing"
    assert PlaygroundConfig(**state.vals[0]) == PRESETS["vanishing"].configs[0]
    built = []
    state.ensure(state.configs_asked(), build=lambda c: built.append(c) or object())
    assert state.preset_shown() is PRESETS["vanishing"]
    state.vals[0]["lag"] = 20
    state.ensure(state.configs_asked(), build=lambda c: object())
    assert state.preset_shown() is None and len(built) == 1


def test_added_runs_start_as_run_a_with_another_cell():
    state = opened()
    stale = state.set_runs(3)
    assert [v["cell"] for v in state.vals] == ["lstm", "rnn_tanh", "gru"]
    assert {i for i, _ in stale} == {1, 2} and {f for _, f in stale} == set(RUN_FIELDS)
    configs = state.configs_asked()
    assert [c.cell for c in configs] == ["lstm", "rnn_tanh", "gru"] and len(
        {c.task_key() for c in configs}
    ) == 1
    state.vals[1]["lr"] = 0.1  # the student changes run B: going back to 2 runs and to 3 keeps it
    state.set_runs(2)
    assert state.set_runs(3) == [] and state.vals[1]["lr"] == 0.1
    state.vals[2]["cell"] = "rnn_tanh"  # C now copies B's cell: it starts again as A with a new cell
    assert {i for i, _ in state.set_runs(3)} == {2} and state.vals[2]["cell"] == "gru"


def test_a_bad_setting_is_an_input_error_naming_it():
    state = opened()
    state.vals[0]["hidden_size"] = 500
    with pytest.raises(InputError, match="hidden size"):
        state.configs_asked()


# --- the runs ----------------------------------------------------------------------------------


def test_runs_are_rebuilt_only_when_the_configs_change():
    state = opened()
    calls = []

    def build(configs):
        calls.append(configs)
        return object()

    first = state.ensure(state.configs_asked(), build=build)
    assert state.ensure(state.configs_asked(), build=build) is first and len(calls) == 1
    state.play(now=0.0)
    state.msg = "old"
    state.views.get("k", lambda: "view")
    state.vals[0]["lag"] = 4
    second = state.ensure(state.configs_asked(), build=build)
    assert second is not first and len(calls) == 2
    assert not state.playing and state.msg is None and state.views.entries == {}


def test_a_build_that_fails_keeps_the_old_runs():
    state = opened()
    old = state.ensure(state.configs_asked(), build=lambda c: "old runs")

    def refuse(configs):
        raise InputError("T is longer than the text")

    state.vals[0]["lag"] = 4
    with pytest.raises(InputError):
        state.ensure(state.configs_asked(), build=refuse)
    assert state.playground is old


def test_the_real_runs_build_from_the_state():
    state = opened()
    pg = state.ensure(state.configs_asked())
    assert pg.configs == state.configs and pg.runs[0].cfg.lag == 3 and pg.step == 0


# --- Play / Pause / Step / Reset -----------------------------------------------------------------


def test_play_pause_step_reset():
    state = opened()
    state.ensure(state.configs_asked(), build=lambda c: object())
    state.play(now=5.0)
    assert state.playing and state.play_t0 == state.alive == 5.0 and state.play_step0 is None
    assert state.tick_seconds() == FIRST_TICK_SECONDS and state.rate(10, now=6.0) is None
    state.play_step0 = 10
    assert state.tick_seconds() == TICK_SECONDS and state.rate(30, now=7.0) == 10.0
    state.pause()
    assert not state.playing and state.rate(30, now=7.0) is None
    state.request_step()
    assert state.take_step_request() and not state.take_step_request()  # once per press
    state.play(now=8.0)
    state.msg = "stopped"
    state.reset()
    assert not state.playing and state.playground is None and state.configs is None and state.msg is None


def test_play_stops_when_the_panel_stopped_ticking():
    state = opened()
    state.play(now=0.0)
    assert not state.expire(now=ALIVE_SECONDS) and state.playing
    state.alive = 100.0  # the live panel ticked
    assert not state.expire(now=100.0 + ALIVE_SECONDS - 0.1)
    assert state.expire(now=100.0 + ALIVE_SECONDS + 0.1) and not state.playing
    assert not state.expire(now=1e9)  # paused: nothing to stop


# --- the pacing loop ---------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


@dataclasses.dataclass
class FakeRuns:
    """What play_loop reads of a Playground: its step and the runs that have not diverged."""

    step: int = 0
    live: list = dataclasses.field(default_factory=lambda: ["A"])


def loop(state, pg, clock, *, whole_page, free=True, draw_cost=0.0, steps=10, diverge_at=None):
    """Run play_loop with fake training (``steps`` per tick, each tick 0.5 s on ``clock``)."""
    log = {"train": [], "draw": [], "busy": 0, "sleep": []}

    def train(seconds):
        log["train"].append(seconds)
        if not free:
            return None
        clock.t += TICK_SECONDS
        pg.step += steps
        if diverge_at is not None and pg.step >= diverge_at:
            pg.live = []
        return Tick((steps,), TICK_SECONDS, (None,))

    def draw(n):
        log["draw"].append((n, clock.t))
        clock.t += draw_cost

    def busy():
        log["busy"] += 1

    def sleep(s):
        log["sleep"].append(s)
        clock.sleep(s)

    out = state.play_loop(pg, train, draw, busy, whole_page=whole_page, clock=clock, sleep=sleep)
    return out, log


def test_paused_the_panel_draws_once_and_trains_nothing():
    state, clock = opened(), Clock()
    out, log = loop(state, FakeRuns(), clock, whole_page=False)
    assert out == DONE and log["train"] == [] and [n for n, _ in log["draw"]] == [0]


def test_in_a_run_of_the_whole_page_play_trains_one_short_first_tick_and_draws_it():
    state, clock, pg = opened(), Clock(), FakeRuns(step=7)
    state.play(now=0.0)
    out, log = loop(state, pg, clock, whole_page=True)
    assert out == DONE and log["train"] == [FIRST_TICK_SECONDS] and len(log["draw"]) == 1
    assert state.play_step0 == 7  # the step Play started from
    out, log = loop(state, pg, clock, whole_page=True)  # later whole-page runs: one usual tick each
    assert out == DONE and log["train"] == [TICK_SECONDS] and log["draw"] == [(0, clock.t)]  # after the tick
    assert state.alive == clock.t


def test_in_a_run_of_the_panel_alone_play_ticks_for_a_while_and_paces_its_redraws():
    state, clock, pg = opened(), Clock(), FakeRuns()
    state.play(now=0.0)
    state.play_step0 = 0
    out, log = loop(state, pg, clock, whole_page=False, draw_cost=0.05)
    assert out == RERUN_PANEL and state.playing
    n_ticks = len(log["train"])
    assert PLAY_RUN_SECONDS / TICK_SECONDS <= n_ticks <= PLAY_RUN_SECONDS / TICK_SECONDS + 1
    times = [t for _, t in log["draw"]]
    assert times[0] == 0.0  # a restarted loop draws at once, so the charts never blink
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps and min(gaps) >= DRAW_EVERY_SECONDS  # not at every tick: at most once a second
    assert len(log["draw"]) < n_ticks and [n for n, _ in log["draw"]] == list(range(len(times)))


def test_a_slow_redraw_waits_longer():
    """A redraw that costs c seconds waits c * (1 - share) / share: training keeps its share."""
    state, clock = opened(), Clock()
    state.play(now=0.0)
    state.play_step0 = 0
    _, log = loop(state, FakeRuns(), clock, whole_page=False, draw_cost=0.3)
    times = [t for _, t in log["draw"]]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps and min(gaps) >= 0.3 + 0.3 * 9  # 0.3 s to draw, then 2.7 s of training


def test_play_waits_for_a_slot_with_a_message_and_stays_bounded():
    state, clock, pg = opened(), Clock(), FakeRuns(step=3)
    state.play(now=0.0)
    state.play_step0 = 3
    out, log = loop(state, pg, clock, whole_page=False, free=False)
    assert out == RERUN_PANEL and log["busy"] == len(log["train"]) == len(log["sleep"])
    assert set(log["sleep"]) == {BUSY_SLEEP} and clock.t <= PLAY_RUN_SECONDS + BUSY_SLEEP
    assert len(log["draw"]) == 1  # drawn once, so the charts stay while it waits
    state2 = opened()
    state2.play(now=0.0)
    out, log = loop(state2, FakeRuns(step=3), Clock(), whole_page=True, free=False)
    assert out == DONE and log["busy"] == 1 and len(log["draw"]) == 1 and state2.play_step0 == 3


def test_play_stops_itself_when_every_run_diverged_or_after_the_longest_play():
    state, clock, pg = opened(), Clock(), FakeRuns()
    state.play(now=0.0)
    out, _ = loop(state, pg, clock, whole_page=False, diverge_at=30)
    assert out == RERUN_PAGE and not state.playing and "diverged" in state.msg
    state.play(now=0.0)
    clock.t = MAX_PLAY_SECONDS
    state.play_step0 = 0
    out, _ = loop(state, FakeRuns(), clock, whole_page=False)
    assert out == RERUN_PAGE and not state.playing and f"{MAX_PLAY_SECONDS // 60} minutes" in state.msg


def test_pacer_on_its_own_clock():
    clock = Clock()
    pacer = Pacer(clock=clock)
    assert pacer.due()
    pacer.drew(0.2)
    clock.t = 1.7
    assert not pacer.due()  # wait max(1 s, 0.2 * 0.9 / 0.1 = 1.8 s)
    clock.t = 1.81
    assert pacer.due()


# --- views ---------------------------------------------------------------------------------------


def test_views_cache_computes_each_view_once_and_stays_bounded():
    cache, calls = ViewCache(limit=3), []

    def make(key):
        return lambda: calls.append(key) or f"view {key}"

    for key in ["a", "b", "a", "c", "b"]:
        assert cache.get(key, make(key)) == f"view {key}"
    assert calls == ["a", "b", "c"]
    cache.get("d", make("d"))  # a fourth view: the cache starts over
    assert list(cache.entries) == ["d"] and len(cache.entries) <= 3
    cache.clear()
    assert cache.entries == {}


def test_the_views_follow_training_until_an_earlier_checkpoint_is_picked():
    state = PlaygroundState()
    assert state.shown_step(newest=60, picked=20) == 60
    state.ckpt_last = 60
    state.pick_checkpoint(20)
    assert state.shown_step(newest=80, picked=20) == 20
    state.pick_checkpoint(60)  # back at the newest: follows again
    assert state.shown_step(newest=80, picked=60) == 80


def test_url_update_names_only_the_parameters_to_drop():
    state = PlaygroundState()
    assert state.url_update({"task": "copy", "lag": "7", "hide": "lr"}) == []
    assert state.url_update({"task": "copy", "lag": "7", "hide": "lr"}) is None
    assert state.url_update({"task": "copy", "lag": "8"}) == ["hide"]


# --- the widget table --------------------------------------------------------------------------


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(PlaygroundConfig)])
def test_every_setting_has_a_widget_that_streamlit_has(field):
    default = getattr(PlaygroundConfig(), field)
    kind, label, kwargs = spec(field, default)
    widget = getattr(st, kind)
    assert label and set(kwargs) <= set(inspect.signature(widget).parameters)
    if "options" in kwargs:
        assert default in kwargs["options"]
        for option in kwargs["options"]:  # every choice offered is a valid setting
            changed = {field: option}
            if field == "text" and option == "own":
                changed["own_text"] = "some text of my own"
            PlaygroundConfig(**changed)
    if field in INT_LIMITS and kind == "slider":
        assert (kwargs["min_value"], kwargs["max_value"]) == INT_LIMITS[field]


def test_a_links_value_joins_the_choices():
    lo, hi = FLOAT_LIMITS["lr"]
    options = spec("lr", 0.05).kwargs["options"]
    assert 0.05 in options and options == sorted(options) and lo <= options[0] and options[-1] <= hi
    clips = spec("clip", 0.7).kwargs["options"]
    assert clips[0] is None and 0.7 in clips and spec("clip", None).kwargs["format_func"](None) == "off"
    assert 48 in spec("batch_size", 48).kwargs["options"]
    assert spec("forget_bias", 1.0) is FIXED["forget_bias"]


def test_which_controls_show():
    assert task_fields("charlm", "markup") == ("text", "depth", "seq_len")
    assert task_fields("charlm", "own") == ("text", "own_text", "seq_len")
    assert task_fields("charlm", "stdlib") == ("text", "seq_len")
    for task in TASK_KNOBS:
        if task != "charlm":
            assert task_fields(task, "markup") == TASK_KNOBS[task]
    assert "embed_dim" not in model_fields("adding", "lstm") and "embed_dim" in model_fields("copy", "lstm")
    assert "forget_bias" in model_fields("copy", "lstm_peephole") and "forget_bias" not in model_fields(
        "copy", "gru"
    )
    assert not shows("forget_bias", {"task": "copy", "text": "markup", "cell": "rnn_relu"})
    assert set(TEXTS) == {"markup", "stdlib", "own"}


def test_view_pickers_offer_every_layer_and_gate_of_the_runs():
    one = (PlaygroundConfig(cell="rnn_tanh"),)
    assert layer_options(one) == [(0, 0)] and gate_options(one) == ["h"]
    deep = (PlaygroundConfig(num_layers=3), PlaygroundConfig(cell="gru", num_layers=1))
    assert layer_options(deep) == [(0, 0), (1, 0), (2, 0)]
    assert gate_options(deep) == ["i", "f", "g", "o", "c", "r", "z", "n"]
    assert layer_name((2, 0), False) == "layer 3" and layer_name((0, 1), True) == "layer 1 backward"
