"""One server, one copy of each trained state: a class opening a teacher's link trains it once.

A link says how far a lesson's model was trained as the steps at which each of its runs ended
(``?l2_model_trained=137t,437``: a first run cut by wall time at step 137, a second to 437).
Training is deterministic, so config + task + initial weights + those run ends give the same
weights, history rows, checkpoints and held-out metrics bit for bit, whatever the load (a run
ending off a log step adds a history row and a checkpoint, and every held-out row draws from the
eval generator: that is why the run ends are carried, not just the total).

:class:`TrainedStore` keeps trained states keyed by everything that determines them
(:func:`state_key`). ``obtain(key, compute, on_wait)`` returns a copy of the stored state, or runs
``compute`` once while every other session asking for the same key waits (``on_wait`` is called
about 4 times a second with the live progress) and then receives a copy of the same bytes.

Bound: at most ``MAX_ENTRIES = 64`` states and ``MAX_BYTES = 200 MB`` of tensors in all; the least
recently used state is evicted first. A state costs its weights, Adam's two moments and its
checkpoints (up to ``TrainConfig.max_checkpoints`` copies of the weights), measured by
:func:`state_bytes`. Every copy handed out is a session's own: nothing a session does to its trainer
reaches the store or another session.

Copy on write: the checkpoints and history rows are shared, not copied, between the store and every
session that receives a state (a class of 60 on one link holds one set of checkpoints, not 60). That
is safe because nothing writes into them: a trainer appends new checkpoints and rows to its own lists
(the lists are copied) and thins its list by building a new one; ``Trainer.model_at`` and
``load_checkpoint`` copy a checkpoint's values out. Torch has no read-only tensors, so
tests/test_store.py checks that training on, scrubbing and thinning leave a shared checkpoint
unchanged. The weights, Adam's moments and the generator states, which training changes in place,
are copied.

A Train click is shared the same way (:func:`click_key`): sessions at the same state asking for the
same run (same budget) while one is computing it follow its progress (``Progress.row``: the newest
history row) and receive its state, with the run's result, instead of training again.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from rnnviz.io import task_fingerprint

MAX_ENTRIES = 64
MAX_BYTES = 200 * 10**6
MAX_STEPS = 20_000  # most steps a link may ask for (a lesson's whole budget is far below this)
MAX_RUNS = 200  # most runs a link may list


@dataclass
class TrainedState:
    """Everything a :class:`rnnviz.train.Trainer` holds that training changes."""

    weights: dict[str, torch.Tensor]
    optimizer: list[dict] | None  # Adam's per-parameter {step, m, v}, in parameter order
    generator: torch.Tensor  # the batch generator's state
    eval_generator: torch.Tensor
    step: int
    seconds: float
    history: list
    checkpoints: list[tuple[int, dict[str, torch.Tensor]]]
    diverged: str | None
    runs: tuple = ()  # the runs that led here (see parse_runs)
    result: object = None  # how the run that led here ended (a RunResult), for a shared Train click


def _params(trainer) -> list[torch.Tensor]:
    return [p for p in trainer.model.parameters() if p.requires_grad]


def capture(trainer, runs: tuple = (), result=None) -> TrainedState:
    """A copy of ``trainer``'s training state (the model as trained, not a scrubbed checkpoint: call
    it right after a run). Weights, moments and generators are copied; checkpoint tensors and history
    rows are shared (copy on write, see the module docstring)."""
    opt = trainer._optimizer
    moments = None
    if opt is not None and getattr(opt, "state", None) is not None:
        moments = [copy.deepcopy(opt.state.get(p)) for p in _params(trainer)]
    return TrainedState(
        weights={k: v.detach().clone() for k, v in trainer.model.state_dict().items()},
        optimizer=moments,
        generator=trainer.generator.get_state().clone(),
        eval_generator=trainer.eval_generator.get_state().clone(),
        step=trainer.step,
        seconds=trainer.seconds,
        history=list(trainer.history),  # frozen rows, shared (copy on write: see the module docstring)
        checkpoints=[(s, dict(w)) for s, w in trainer.checkpoints],  # shared: copy on write
        diverged=trainer.diverged,
        runs=tuple(runs),
        result=result,
    )


def restore(trainer, state: TrainedState) -> None:
    """Put a copy of ``state`` into ``trainer`` (same model settings): it continues from there
    exactly as the trainer that was captured would have."""
    mine = copy_state(state)
    trainer.model.load_state_dict(mine.weights)
    trainer._optimizer = None
    if mine.optimizer is not None:
        opt = trainer.optimizer  # built now, from this model's parameters
        if hasattr(opt, "state"):
            for p, moments in zip(_params(trainer), mine.optimizer, strict=True):
                if moments is not None:
                    opt.state[p] = moments
    trainer.generator.set_state(mine.generator)
    trainer.eval_generator.set_state(mine.eval_generator)
    trainer.step, trainer.seconds, trainer.diverged = mine.step, mine.seconds, mine.diverged
    trainer.history, trainer.checkpoints = mine.history, mine.checkpoints


def copy_state(state: TrainedState) -> TrainedState:
    """A session's own copy: new weights, moments and generator states (training changes them in
    place); new lists of history rows and checkpoints holding the same rows and checkpoint tensors
    (nothing writes into those: copy on write, see the module docstring)."""
    return dataclasses.replace(
        state,
        weights={k: v.clone() for k, v in state.weights.items()},
        optimizer=copy.deepcopy(state.optimizer),
        generator=state.generator.clone(),
        eval_generator=state.eval_generator.clone(),
        history=list(state.history),
        checkpoints=[(s, dict(w)) for s, w in state.checkpoints],
    )


def state_bytes(state: TrainedState) -> int:
    """Bytes of tensor data one stored state holds (weights, moments, checkpoints)."""
    tensors = list(state.weights.values())
    for moments in state.optimizer or []:
        tensors += [v for v in (moments or {}).values() if isinstance(v, torch.Tensor)]
    for _, w in state.checkpoints:
        tensors += list(w.values())
    return sum(t.numel() * t.element_size() for t in tensors) + 2 * state.generator.numel()


def _digest(weights: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name, tensor in sorted(weights.items()):
        h.update(name.encode())
        h.update(tensor.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()[:24]


def start_key(page_key: str, config: dict, trainer) -> str:
    """What determines a trainer's training, from its start: the page's key and settings, the
    TrainConfig, the task's fingerprint, the model's class, config and initial weights (its seed)."""
    model_cfg = getattr(trainer.model, "cfg", None)
    if dataclasses.is_dataclass(model_cfg):
        model_cfg = dataclasses.asdict(model_cfg)
    blob = json.dumps(
        [
            page_key,
            config,
            dataclasses.asdict(trainer.cfg),
            task_fingerprint(trainer.task),
            repr(trainer.task),
            type(trainer.model).__name__,
            model_cfg,
            _digest(trainer.model.state_dict()),
        ],
        sort_keys=True,
        default=repr,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def state_key(start: str, runs) -> tuple:
    """The key of the state reached from ``start`` by runs ending at ``runs``."""
    return (start, tuple(runs))


def click_key(start: str, runs, max_steps: int, max_seconds: float) -> tuple:
    """The key of one Train click from the state ``state_key(start, runs)`` with this budget: the run
    it starts is shared by every session at that state clicking while it is under way."""
    return ("click", start, tuple(runs), int(max_steps), float(max_seconds))


Runs = tuple[tuple[int, bool], ...]  # (step the run ended at, whether wall time cut it)


def parse_runs(text: str) -> Runs:
    """``"137t,437"`` -> ((137, True), (437, False)): a run cut by its time budget at step 137, then
    one that used its step budget up to step 437. Raises ValueError saying what is wrong."""
    parts = text.split(",")
    if len(parts) > MAX_RUNS:
        raise ValueError(f"lists {len(parts)} runs; at most {MAX_RUNS}")
    runs = []
    for part in parts:
        part = part.strip()
        cut = part.endswith("t")
        digits = part[:-1] if cut else part
        if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
            raise ValueError("is not a whole number of steps")
        runs.append((int(digits), cut))
    ends = [end for end, _ in runs]
    if ends[0] < 1 or any(b <= a for a, b in zip(ends, ends[1:], strict=False)):
        raise ValueError("must count up from 1 step: each run ends after the one before")
    if ends[-1] > MAX_STEPS:
        raise ValueError(f"asks for {ends[-1]:,} steps; a link can carry at most {MAX_STEPS:,}")
    return tuple(runs)


def format_runs(runs: Runs) -> str:
    return ",".join(f"{end}{'t' if cut else ''}" for end, cut in runs)


def replay(trainer, runs: Runs, callback=None, between=None) -> None:
    """Train ``trainer`` (at the end of some prefix of ``runs``, or at step 0) through the rest of
    ``runs`` with step budgets only: the same weights, history rows and checkpoints as the runs
    that were recorded, whatever the load. Stops early if training diverges (as the original did)."""
    for end, cut in runs:
        if end <= trainer.step:
            continue
        if trainer.diverged:
            return
        todo = end - trainer.step
        if cut:  # the recorded run was stopped by wall time after this many steps
            trainer.run(todo + 1, float("inf"), callback, between, cut_after=todo)
        else:
            trainer.run(todo, float("inf"), callback, between)


@dataclass
class Progress:
    """A computation under way: the step it has reached, of ``total``; ``done`` is set when it ends."""

    total: int
    step: int = 0
    row: object = None  # the newest history row (a LogRow) of the run, for followers to draw
    history: list | None = None  # the computing trainer's history (followers read a snapshot)
    done: threading.Event = field(default_factory=threading.Event)


class TrainedStore:
    """Trained states shared by every session of a server, least recently used evicted first."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, tuple[TrainedState, int]] = OrderedDict()
        self._pending: dict[tuple, Progress] = {}
        self.bytes = 0
        self.stats = {"hits": 0, "computed": 0, "waited": 0, "evicted": 0}

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key) -> TrainedState | None:
        """The stored state itself (tests only: never hand it to a session)."""
        with self._lock:
            held = self._entries.get(key)
            return None if held is None else held[0]

    def has(self, key) -> bool:
        with self._lock:
            return key in self._entries

    def get(self, key) -> TrainedState | None:
        """A copy of the stored state, or None."""
        with self._lock:
            held = self._entries.get(key)
            if held is None:
                return None
            self._entries.move_to_end(key)
            self.stats["hits"] += 1
            return copy_state(held[0])

    def put(self, key, state: TrainedState) -> None:
        """Store a copy of ``state`` (one that alone exceeds the bound is not stored)."""
        size = state_bytes(state)
        if size > self.max_bytes:
            return
        mine = copy_state(state)
        with self._lock:
            if key in self._entries:
                self.bytes -= self._entries.pop(key)[1]
            self._entries[key] = (mine, size)
            self.bytes += size
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                _, (_, freed) = self._entries.popitem(last=False)
                self.bytes -= freed
                self.stats["evicted"] += 1

    def obtain(
        self,
        key,
        total: int,
        compute: Callable[[Progress], TrainedState | None],
        on_wait: Callable[[Progress], None] | None = None,
    ) -> TrainedState | None:
        """A copy of the state for ``key``: from the store, or computed once by ``compute(progress)``
        (which updates ``progress.step`` as it goes) while other callers of the same key wait.

        ``compute`` may return None (it could not run, e.g. the server was too busy): then nothing
        is stored, a waiting caller tries itself, and this returns None."""
        while True:
            with self._lock:
                held = self._entries.get(key)
                if held is not None:
                    self._entries.move_to_end(key)
                    self.stats["hits"] += 1
                    return copy_state(held[0])
                progress = self._pending.get(key)
                mine = progress is None
                if mine:
                    progress = self._pending[key] = Progress(total)
                else:
                    self.stats["waited"] += 1
            if mine:
                try:
                    state = compute(progress)
                    if state is not None:
                        self.stats["computed"] += 1
                        self.put(key, state)
                    return state if state is None else copy_state(state)
                finally:
                    with self._lock:
                        self._pending.pop(key, None)
                    progress.done.set()
            while not progress.done.wait(0.25):
                if on_wait is not None:
                    on_wait(progress)
