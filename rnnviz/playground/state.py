"""The Playground's controller: one session's whole state and its transitions, without streamlit.

The page keeps one ``PlaygroundState`` under one session key. It holds the value of every
control (apart from widget keys, so a control a link hides keeps its value), the runs being
trained, Play / Pause / Step, and the example views already computed. The streamlit side
(``ui/playground.py``) only draws what this says and calls its transitions.

>>> from rnnviz.playground import PlaygroundConfig, decode
>>> state = PlaygroundState()
>>> state.link_is_new({"task": "copy", "lag": "7"})      # a session's first run applies its link
True
>>> state.apply_link(decode({"task": "copy", "lag": "7", "b_cell": "gru"}))
>>> state.runs_n, state.vals[0]["lag"], state.vals[1]["cell"]
(2, 7, 'gru')
>>> pg = state.ensure(state.configs_asked())          # builds the runs (same task, data and seed)
>>> state.play(now=100.0); state.playing, state.tick_seconds()
(True, 0.05)
>>> state.pause(); state.playing
False
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

from rnnviz.playground.config import MAX_RUNS, RUN_FIELDS, PlaygroundConfig, compare_runs
from rnnviz.playground.presets import PRESETS, Preset
from rnnviz.playground.session import (
    FIRST_TICK_SECONDS,
    PLAY_RUN_SECONDS,
    TICK_SECONDS,
    Pacer,
    Playground,
    Tick,
)
from rnnviz.playground.url import FIELD_PARAM, Link

MAX_PLAY_SECONDS = 300  # Play pauses itself after this long, so a forgotten tab frees the server
ALIVE_SECONDS = PLAY_RUN_SECONDS + 5  # Play without a live panel for this long: the student left
BUSY_SLEEP = 0.5  # seconds between asks for a training slot while Play waits for one
OTHER_CELLS = ("rnn_tanh", "gru", "lstm")  # what a newly added compared run starts with
VIEWS_KEPT = 4 * MAX_RUNS  # example views kept per session (a few checkpoints of every run)

# What the live loop asks the page to do next (play_loop's answer)
DONE = "done"  # nothing: paused, or one tick inside a run of the whole page
RERUN_PAGE = "rerun_page"  # Play stopped itself (state.msg says why): redraw the whole page
RERUN_PANEL = "rerun_panel"  # still playing: run the live panel again at once


@dataclass
class ViewCache:
    """Example views already computed, by (run, checkpoint step, example); emptied when the runs
    are rebuilt, and whenever it holds ``limit`` views.

    >>> cache, calls = ViewCache(limit=2), []
    >>> cache.get((0, 20, ("ex", 3)), lambda: calls.append(1) or "view"), cache.get((0, 20, ("ex", 3)), list)
    ('view', 'view')
    >>> len(calls)                           # computed once
    1
    """

    limit: int = VIEWS_KEPT
    entries: dict = field(default_factory=dict, repr=False)

    def get(self, key: Hashable, compute: Callable[[], object]):
        if key not in self.entries:
            if len(self.entries) >= self.limit:
                self.entries.clear()
            self.entries[key] = compute()
        return self.entries[key]

    def clear(self) -> None:
        self.entries.clear()


@dataclass(eq=False)
class PlaygroundState:
    # --- the controls: every run's settings, kept apart from widget keys
    vals: list[dict] = field(default_factory=list)  # MAX_RUNS dicts of PlaygroundConfig fields
    runs_n: int = 1  # how many runs are compared (1-3)
    hide: set[str] = field(default_factory=set)  # controls a link hides (groups or parameter names)
    example: int = 0  # the held-out example number the views show
    preset: str | None = None  # the preset last loaded (its box shows while the setup is unchanged)
    upload_error: str | None = None  # why an uploaded file could not be read
    # --- the link: what came in and what the page wrote into the address bar
    link_warnings: tuple[str, ...] = ()  # one sentence per link parameter that could not be used
    link_applied: dict | None = None  # the URL parameters last applied as a link
    url_written: dict = field(default_factory=dict)  # the parameters the page last wrote
    link_trained: tuple = ()  # (configs, per-run training) a link asked for, until it is replayed
    # --- the runs
    configs: tuple[PlaygroundConfig, ...] | None = None  # what ``playground`` was built from
    playground: Playground | None = field(default=None, repr=False)
    # --- Play / Step
    playing: bool = False
    play_t0: float = 0.0  # clock when Play was pressed
    play_step0: int | None = None  # the step Play started from (None until its first tick)
    alive: float = 0.0  # clock of the live panel's last tick (a tab left alone stops Play)
    msg: str | None = None  # why Play stopped itself
    step_request: bool = False  # Step was pressed: train one batch on the next run of the page
    page_running: bool = False  # a run of the whole page (not of a fragment alone) is under way
    # --- the example views
    views: ViewCache = field(default_factory=ViewCache)
    ckpt_follow: bool = True  # the views follow training (the newest checkpoint)
    ckpt_last: int = 0  # the newest checkpoint step when the pickers were last drawn
    # --- held while this session trains: a new run of the page may start before the old one has
    # stopped (Streamlit's fast reruns: Pause stops the live panel at its next step), and must not
    # read the runs while that step is still being taken
    training: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    # --- links and presets ------------------------------------------------------------------------

    def link_is_new(self, params: Mapping[str, str]) -> bool:
        """Whether to apply the URL's ``params`` as a link on this run (and remember them).

        A link is applied once: on the session's first run, or when the address holds parameters
        that are neither what the page last wrote there nor the link already applied. A setup that
        fails (a pasted text too short for T) leaves the address as the link gave it; without the
        second memory the link was applied on every run, and every change a student made reverted.

        >>> from rnnviz.playground import decode
        >>> state = PlaygroundState()
        >>> state.link_is_new({"task": "charlm"})
        True
        >>> state.apply_link(decode({"task": "charlm"})); state.link_is_new({"task": "charlm"})
        False
        """
        params = dict(params)
        if self.vals and (not params or params in (self.url_written, self.link_applied)):
            return False
        self.link_applied = params
        return True

    def apply_link(self, link: Link) -> None:
        """Put a decoded link's (or a preset's) settings into the controls; Play stops.

        The widgets must then forget their own values (the page deletes their keys)."""
        first = dataclasses.asdict(link.configs[0])
        vals = [first, *(dataclasses.asdict(c) for c in link.configs[1:])]
        self.vals = vals + [dict(first) for _ in range(MAX_RUNS - len(vals))]
        self.runs_n = len(link.configs)
        self.hide = set(link.hide)
        self.example = link.example or 0
        self.playing = False
        self.preset = None
        self.link_trained = (link.configs, link.trained) if any(link.trained) else ()

    def load_preset(self, key: str) -> None:
        """Preset ``key``'s runs, keeping the controls a link hides hidden."""
        self.apply_link(Link(PRESETS[key].configs, frozenset(self.hide)))
        self.preset = key

    def preset_shown(self) -> Preset | None:
        """The preset loaded last, while the runs are still its runs."""
        preset = PRESETS.get(self.preset)
        return preset if preset is not None and preset.configs == self.configs else None

    def is_hidden(self, group: str, field: str | None = None) -> bool:
        return group in self.hide or (field is not None and FIELD_PARAM[field] in self.hide)

    def url_update(self, params: dict[str, str]) -> list[str] | None:
        """The URL parameters to drop when the address bar should now hold ``params``; None when it
        already does. Only the page's own: the sidebar's (``?present=true``) belong to its widgets.

        >>> state = PlaygroundState()
        >>> state.url_update({"task": "copy", "lag": "7"}), state.url_update({"task": "copy", "lag": "7"})
        ([], None)
        >>> state.url_update({"task": "adding"})
        ['lag']
        """
        if params == self.url_written:
            return None
        stale = sorted(self.url_written.keys() - params.keys())
        self.url_written = dict(params)
        return stale

    # --- compared runs ----------------------------------------------------------------------------

    def set_runs(self, n: int) -> list[tuple[int, str]]:
        """Compare ``n`` runs. A newly added run starts as run A with another cell, so the first
        comparison is by cell; returns the (run, field) controls whose widgets must forget their
        values.

        >>> from rnnviz.playground import decode
        >>> state = PlaygroundState(); state.apply_link(decode({}))
        >>> len(state.set_runs(3)) > 0, [v["cell"] for v in state.vals]
        (True, ['lstm', 'rnn_tanh', 'gru'])
        """
        self.runs_n = n
        stale = []
        cells = [self.vals[0]["cell"]]
        for i in range(1, n):
            run = self.vals[i]
            if run["cell"] in cells or all(run[f] == self.vals[0][f] for f in RUN_FIELDS):
                run.update({f: self.vals[0][f] for f in RUN_FIELDS})
                run["cell"] = next(c for c in OTHER_CELLS if c not in cells)
                stale += [(i, f) for f in RUN_FIELDS]
            cells.append(run["cell"])
        return stale

    def configs_asked(self) -> tuple[PlaygroundConfig, ...]:
        """The configs the controls describe (raises InputError, naming the setting, when invalid)."""
        base = PlaygroundConfig(**self.vals[0])
        changes = [{f: self.vals[i][f] for f in RUN_FIELDS} for i in range(1, self.runs_n)]
        return compare_runs(base, *changes)

    def ensure(self, configs: tuple[PlaygroundConfig, ...], build=Playground.build) -> Playground:
        """The runs of ``configs``: kept while the configs stay the same, else built afresh (from
        their seed: same configs, same numbers), which stops Play and empties the views.

        >>> from rnnviz.playground import PlaygroundConfig
        >>> state = PlaygroundState()
        >>> a = state.ensure((PlaygroundConfig(hidden_size=4),))
        >>> state.ensure((PlaygroundConfig(hidden_size=4),)) is a, state.ensure((PlaygroundConfig(),)) is a
        (True, False)
        """
        if self.playground is None or self.configs != configs:
            built = build(configs)  # may raise InputError: the old runs stay
            self.configs, self.playground = configs, built
            self.playing, self.msg = False, None
            self.views.clear()
        return self.playground

    def link_training(self) -> tuple | None:
        """The training the applied link asks for, while the runs are the link's and untrained: the
        runs to replay (``Playground.replay``); None otherwise. Asked until :meth:`adopt` (a busy
        server: the next run of the page tries again); a change of the setup forgets it.

        >>> from rnnviz.playground import decode
        >>> state = PlaygroundState()
        >>> state.apply_link(decode({"task": "copy", "lag": "5", "trained": "1,40"}))
        >>> _ = state.ensure(state.configs_asked()); state.link_training()
        (((1, False), (40, False)),)
        """
        if not self.link_trained or self.playground is None:
            return None
        configs, trained = self.link_trained
        if configs != self.configs or self.playground.step:
            self.link_trained = ()
            return None
        return trained

    def adopt(self, replayed: Playground) -> None:
        """Runs replayed to the link's training take the place of the untrained ones."""
        self.playground, self.link_trained = replayed, ()
        self.views.clear()

    def settle(self, timeout: float = 10.0) -> None:
        """Wait (at most ``timeout`` seconds) until a run of the page that is being stopped has taken
        its last step, so what this run draws and links is the model as it stays."""
        if self.training.acquire(timeout=timeout):
            self.training.release()

    # --- Play, Pause, Step, Reset -----------------------------------------------------------------

    def play(self, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        self.playing, self.play_t0, self.play_step0 = True, now, None
        self.alive, self.msg = now, None

    def pause(self) -> None:
        self.playing = False

    def request_step(self) -> None:
        self.step_request = True

    def take_step_request(self) -> bool:
        """Whether Step was pressed since the last run (asked once per press)."""
        asked, self.step_request = self.step_request, False
        return asked

    def reset(self) -> None:
        """Back to the initial weights: the runs are built again from their seed on the next run."""
        self.playground = self.configs = None
        self.playing, self.msg = False, None

    def expire(self, now: float | None = None) -> bool:
        """Stop Play when no live panel has ticked for ALIVE_SECONDS (the student left the page while
        it played: coming back does not resume). True if it stopped.

        >>> state = PlaygroundState(); state.play(now=0.0)
        >>> state.expire(now=ALIVE_SECONDS - 1), state.expire(now=ALIVE_SECONDS + 1), state.playing
        (False, True, False)
        """
        now = time.perf_counter() if now is None else now
        if self.playing and now - self.alive > ALIVE_SECONDS:
            self.playing = False
            return True
        return False

    def tick_seconds(self) -> float:
        """Training per tick: the first tick after Play is short, so a loss point shows at once."""
        return FIRST_TICK_SECONDS if self.play_step0 is None else TICK_SECONDS

    def rate(self, step: int, now: float | None = None) -> float | None:
        """Steps per second since Play (None before its first tick, or when paused).

        >>> state = PlaygroundState(); state.play(now=10.0); state.play_step0 = 40
        >>> state.rate(140, now=12.0)
        50.0
        """
        if not self.playing or self.play_step0 is None:
            return None
        now = time.perf_counter() if now is None else now
        return (step - self.play_step0) / max(1e-9, now - self.play_t0)

    def stop_reason(self, pg: Playground, now: float) -> str | None:
        """Why Play must stop now: every run diverged, or it has played MAX_PLAY_SECONDS."""
        if not pg.live:
            return "Every run has diverged: press Reset to start again."
        if now - self.play_t0 > MAX_PLAY_SECONDS:
            return f"Paused after {MAX_PLAY_SECONDS // 60} minutes of training: press Play to go on."
        return None

    def stop(self, reason: str) -> None:
        self.playing = False
        self.msg = " ".join(filter(None, [self.msg, reason]))

    def play_loop(
        self,
        pg: Playground,
        train: Callable[[float], Tick | None],
        draw: Callable[[int], None],
        busy: Callable[[], None],
        whole_page: bool,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> str:
        """One run of the live panel; returns DONE, RERUN_PAGE or RERUN_PANEL.

        Paused: draw once. Playing, inside a run of the whole page: one tick (the page must finish
        drawing). In a run of the panel alone: ticks for PLAY_RUN_SECONDS, redrawn when the Pacer
        says so, then RERUN_PANEL (widget actions queued meanwhile run in between). Training never
        waits for the browser; Pause (a run of the whole page) cuts in at the next draw.

        ``train(seconds)`` trains one tick and returns it, or None when no training slot is free;
        ``draw(n)`` draws the panel for the n-th time in this run; ``busy()`` says that it waits.
        """
        pacer = Pacer(clock=clock)
        drawn = 0

        def redraw() -> None:
            nonlocal drawn
            start = clock()
            draw(drawn)
            drawn += 1
            pacer.drew(clock() - start)

        if not self.playing or not (whole_page or self.play_step0 is None):
            redraw()  # paused; or a restart of the loop, drawn at once so the charts never blink
        start = clock()
        while self.playing and (drawn == 0 or clock() - start < PLAY_RUN_SECONDS):
            first = self.play_step0 is None
            tick = train(self.tick_seconds())
            self.alive = clock()
            if first:
                self.play_step0 = pg.step - (tick.steps[0] if tick else 0)
            if tick is None:  # no free training slot: say so and ask again
                if drawn == 0 or whole_page:
                    redraw()
                busy()
                if whole_page:
                    return DONE
                sleep(BUSY_SLEEP)
                continue
            reason = self.stop_reason(pg, clock())
            if reason:
                self.stop(reason)
                return RERUN_PAGE
            if first or whole_page or pacer.due():
                redraw()
            if whole_page:
                return DONE
        return RERUN_PANEL if self.playing else DONE

    # --- the example views ------------------------------------------------------------------------

    def shown_step(self, newest: int, picked: int | None) -> int:
        """The checkpoint step the views show: the newest while following training, else the picked."""
        return newest if self.ckpt_follow or picked is None else picked

    def pick_checkpoint(self, picked: int) -> None:
        """The student moved the training-history slider: back to the newest step follows again."""
        self.ckpt_follow = picked == self.ckpt_last
