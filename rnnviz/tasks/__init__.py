"""Tasks: one module each, every one a frozen dataclass following the Task contract (ARCHITECTURE.md).

>>> task = make_task("first_word", lag=5)
>>> task.input_kind, task.head, task.loss_kind, task.output_size
('tokens', 'many_to_one', 'ce', 4)
>>> TASKS["adding"].description
'add the two marked numbers of a long sequence (memory over lag steps)'
"""

from __future__ import annotations

import dataclasses

from rnnviz.errors import InputError
from rnnviz.tasks.adding import Adding
from rnnviz.tasks.base import Batch, Vocab
from rnnviz.tasks.charlm import CharLM
from rnnviz.tasks.copy_task import CopyTask
from rnnviz.tasks.first_word import FirstWord
from rnnviz.tasks.sentiment import Sentiment
from rnnviz.tasks.tagging import Tagging

__all__ = [
    "TASKS",
    "Adding",
    "Batch",
    "CharLM",
    "CopyTask",
    "FirstWord",
    "Sentiment",
    "Tagging",
    "TaskEntry",
    "Vocab",
    "make_task",
]


@dataclasses.dataclass(frozen=True)
class TaskEntry:
    cls: type  # the task dataclass
    description: str  # one line for a menu


TASKS = {
    "charlm": TaskEntry(CharLM, "predict the next character of a text"),
    "adding": TaskEntry(Adding, "add the two marked numbers of a long sequence (memory over lag steps)"),
    "copy": TaskEntry(CopyTask, "read a few symbols, wait lag blanks, write them back in order"),
    "first_word": TaskEntry(FirstWord, "name the language of the country in the first word, lag words later"),
    "tagging": TaskEntry(Tagging, "tag each word of a sentence: noun, verb, adjective, ..."),
    "sentiment": TaskEntry(Sentiment, "is a short review with negations and 'but' positive or negative?"),
}


def make_task(name: str, **knobs):
    """The task ``name`` built with ``knobs``; unknown names or knobs raise InputError listing the choices."""
    if name not in TASKS:
        raise InputError(f"unknown task {name!r}: choose from {', '.join(TASKS)}")
    fields = dataclasses.fields(TASKS[name].cls)
    allowed = [f.name for f in fields]
    unknown = [k for k in knobs if k not in allowed]
    if unknown:
        raise InputError(
            f"task {name!r} has no setting {unknown[0]!r}: its settings are {', '.join(allowed)}"
        )
    missing = [f.name for f in fields if f.default is dataclasses.MISSING and f.name not in knobs]
    if missing:
        raise InputError(
            f"task {name!r} needs {', '.join(missing)}: e.g. make_task({name!r}, {missing[0]}=...)"
        )
    return TASKS[name].cls(**knobs)
