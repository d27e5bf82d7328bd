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
"""

from __future__ import annotations

import threading
import time
from collections import deque

from rnnviz.train import between_steps


class TurnTaking:
    def __init__(self, slots: int, turn_seconds: float | None = None):
        if slots < 1:
            raise ValueError(f"need at least one slot, not {slots}")
        self.slots = slots
        self.turn_seconds = turn_seconds  # None: a ``with`` block holds the slot throughout
        self._held = threading.local()
        self._lock = threading.Lock()
        self._free = slots
        self._queue: deque[threading.Event] = deque()

    def waiting(self) -> int:
        """How many are queued for a slot right now."""
        return len(self._queue)

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take a slot; wait in line (at most ``timeout`` seconds) if none is free. True if taken."""
        with self._lock:
            if self._free > 0 and not self._queue:
                self._free -= 1
                return True
            if not blocking:
                return False
            turn = threading.Event()
            self._queue.append(turn)
        if turn.wait(timeout):
            return True
        with self._lock:
            if turn.is_set():  # handed over just as the wait ran out: it is ours
                return True
            self._queue.remove(turn)
            return False

    def release(self) -> None:
        """Give the slot back: straight to the first in line, if anyone waits."""
        with self._lock:
            if self._queue:
                self._queue.popleft().set()
            else:
                if self._free >= self.slots:
                    raise ValueError("released more slots than were taken")
                self._free += 1

    def pass_turn(self) -> float:
        """Holding a slot: if others wait, hand it to the first of them and queue for it again.

        Returns the seconds spent waiting (0.0 when nobody was waiting, and the slot stayed)."""
        with self._lock:
            if not self._queue:
                return 0.0
            self._queue.popleft().set()
            turn = threading.Event()
            self._queue.append(turn)
        start = time.perf_counter()
        turn.wait()  # every holder passes on within a turn, so the wait is bounded
        return time.perf_counter() - start

    def take_turns(self, turn_seconds: float, on_wait=None):
        """A ``between`` hook for :meth:`rnnviz.train.Trainer.run`, called after every step: once
        the holder has trained ``turn_seconds`` since its turn began, it passes the turn on.
        ``on_wait(ahead)`` is called just before it waits, with the number of runs queued."""
        began = [time.perf_counter()]

        def between() -> None:
            if time.perf_counter() - began[0] < turn_seconds or not self._queue:
                return
            if on_wait is not None:
                on_wait(len(self._queue))
            self.pass_turn()
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
