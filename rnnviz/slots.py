"""Turn taking for a shared server: at most K trainings at once, first come first served, in turns.

A class of thirty opens the same lesson and clicks Train within seconds. With K cores, K runs at a
time keep them busy; more only slow every run down. A plain semaphore makes the student who clicked
last wait for every run before theirs to finish, and wakes waiters in no fair order. Here:

- a free slot goes to the longest-waiting student (a queue), never to whoever asks again first;
- a run that has trained for a turn while others wait hands its slot to the next in line and
  queues again (:meth:`TurnTaking.take_turns`), so every student sees their first loss point
  within a few turns and all runs progress together; alone on the server, a run never pauses.

Used as ``threading.Semaphore`` is (``acquire``, ``release``, ``with``). Built with
``turn_seconds``, a ``with`` block also takes turns: every :meth:`rnnviz.train.Trainer.run` inside
it (on that thread) that has no ``between`` hook of its own passes the slot on as a Train click
does, so a long job (a comparison of several models, a sweep over lags) holding one slot for
minutes no longer keeps everyone else waiting.

A student who closes the tab must not keep a place: every wait (for a slot, for a turn back) and
every step of a run taking turns calls ``check()``, which raises once its session has ended (the
server's ui.training gives it); the waiter then leaves the line, handing on a slot it was given
meanwhile, and the exception ends the run, whose ``with`` block releases the slot it holds.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from rnnviz.train import between_steps

POLL_SECONDS = 0.1  # how often a wait asks ``check()`` whether its session has ended

Check = Callable[[], object] | None  # raises to end a wait or a run (its session has ended)


class TurnTaking:
    def __init__(self, slots: int, turn_seconds: float | None = None, poll_seconds: float = POLL_SECONDS):
        if slots < 1:
            raise ValueError(f"need at least one slot, not {slots}")
        self.slots = slots
        self.turn_seconds = turn_seconds  # None: a ``with`` block holds the slot throughout
        self.poll_seconds = poll_seconds
        self._held = threading.local()  # this thread's turn hooks; releases it owes nobody (forgo)
        self._lock = threading.Lock()
        self._free = slots
        self._queue: deque[threading.Event] = deque()

    def waiting(self) -> int:
        """How many are queued for a slot right now."""
        return len(self._queue)

    def acquire(self, blocking: bool = True, timeout: float | None = None, check: Check = None) -> bool:
        """Take a slot; wait in line (at most ``timeout`` seconds) if none is free. True if taken.

        ``check()`` is called every ``poll_seconds`` while waiting: if it raises, this waiter leaves
        the line (a slot handed to it just then goes on to the next) and the exception propagates."""
        with self._lock:
            if self._free > 0 and not self._queue:
                self._free -= 1
                return True
            if not blocking:
                return False
            turn = threading.Event()
            self._queue.append(turn)
        try:
            if self._wait(turn, timeout, check):
                return True
        except BaseException:
            with self._lock:
                if turn.is_set():  # handed over as the check raised: pass it on, we will not use it
                    self._release_locked()
                else:
                    self._queue.remove(turn)
            raise
        with self._lock:
            if turn.is_set():  # handed over just as the wait ran out: it is ours
                return True
            self._queue.remove(turn)
            return False

    def _wait(self, turn: threading.Event, timeout: float | None, check: Check) -> bool:
        """``turn.wait(timeout)``, calling ``check()`` every ``poll_seconds`` meanwhile."""
        if check is None:
            return turn.wait(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return turn.is_set()
            if turn.wait(self.poll_seconds if left is None else min(self.poll_seconds, left)):
                return True
            check()

    def release(self) -> None:
        """Give the slot back: straight to the first in line, if anyone waits.

        After a :meth:`pass_turn` that ``check`` ended before the turn came back, this thread holds
        no slot: its next release gives nothing back (the ``with`` block's exit stays correct)."""
        forgo = getattr(self._held, "forgo", 0)
        if forgo:
            self._held.forgo = forgo - 1
            return
        with self._lock:
            self._release_locked()

    def _release_locked(self) -> None:
        if self._queue:
            self._queue.popleft().set()
        else:
            if self._free >= self.slots:
                raise ValueError("released more slots than were taken")
            self._free += 1

    def pass_turn(self, check: Check = None) -> float:
        """Holding a slot: if others wait, hand it to the first of them and queue for it again.

        Returns the seconds spent waiting (0.0 when nobody was waiting, and the slot stayed). If
        ``check()`` raises while waiting, this holder leaves the line holding no slot (its next
        :meth:`release` is then a no-op) and the exception propagates."""
        with self._lock:
            if not self._queue:
                return 0.0
            self._queue.popleft().set()
            turn = threading.Event()
            self._queue.append(turn)
        start = time.perf_counter()
        try:
            self._wait(turn, None, check)  # every holder passes on within a turn: the wait is bounded
        except BaseException:
            with self._lock:
                if not turn.is_set():  # still in line: leave it, owing the block's release nothing
                    self._queue.remove(turn)
                    self._held.forgo = getattr(self._held, "forgo", 0) + 1
            raise  # (handed back meanwhile: the slot is held, the block's release gives it back)
        return time.perf_counter() - start

    def take_turns(self, turn_seconds: float, on_wait=None, check: Check = None):
        """A ``between`` hook for :meth:`rnnviz.train.Trainer.run`, called after every step: once
        the holder has trained ``turn_seconds`` since its turn began, it passes the turn on.
        ``on_wait(ahead)`` is called just before it waits, with the number of runs queued;
        ``check()`` after every step and while waiting (it raises to end the run)."""
        began = [time.perf_counter()]

        def between() -> None:
            if check is not None:
                check()
            if time.perf_counter() - began[0] < turn_seconds or not self._queue:
                return
            if on_wait is not None:
                on_wait(len(self._queue))
            self.pass_turn(check)
            began[0] = time.perf_counter()

        return between

    def __enter__(self) -> TurnTaking:
        self.acquire()
        if self.turn_seconds is not None:
            turns = between_steps(self.take_turns(self.turn_seconds))
            turns.__enter__()
            self._held.__dict__.setdefault("turns", []).append(turns)
        return self

    def __exit__(self, *exc) -> None:
        if self.turn_seconds is not None:
            self._held.turns.pop().__exit__(None, None, None)
        self.release()
