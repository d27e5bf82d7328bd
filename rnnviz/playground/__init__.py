"""The RNN Playground's backend: TensorFlow Playground, for sequences.

- ``config``: ``PlaygroundConfig`` (task + knobs, model, training; frozen), limits, labels;
- ``build``: the task, model and trainer a config describes;
- ``url``: the whole state as query parameters (``encode`` / ``decode``, with a ``hide`` list);
- ``presets``: one-click setups, each showing one measured phenomenon;
- ``session``: ``Playground`` trains one to three runs on the same task, data and seed, in ticks;
- ``probe``: gradients through time and gate saturation, recorded while training;
- ``views``: one example through one saved checkpoint, as plain arrays for the charts;
- ``state``: ``PlaygroundState``, one session's controller (controls' values, the runs, Play /
  Pause / Step and its pacing loop, the views cache), the page's one session key;
- ``controls``: the widget table as data (which widget draws each setting, which settings show).

>>> pg = Playground.build(decode({"task": "copy", "lag": "30", "b_cell": "lstm"}).configs)
>>> tick = pg.tick(0.5)          # what the page does on every redraw while Play is on
"""

from rnnviz.playground.build import build_task, build_trainer
from rnnviz.playground.config import PlaygroundConfig, compare_runs, run_label
from rnnviz.playground.presets import PRESETS, Preset
from rnnviz.playground.probe import Probe, ProbeRecord
from rnnviz.playground.session import Playground, Run, Tick
from rnnviz.playground.url import Link, decode, encode, link_notes
from rnnviz.playground.views import Example, ExampleView, example_view, model_at, pick_example, typed_example

__all__ = [
    "PRESETS",
    "Example",
    "ExampleView",
    "Link",
    "Playground",
    "PlaygroundConfig",
    "Preset",
    "Probe",
    "ProbeRecord",
    "Run",
    "Tick",
    "build_task",
    "build_trainer",
    "compare_runs",
    "decode",
    "encode",
    "example_view",
    "link_notes",
    "model_at",
    "pick_example",
    "run_label",
    "typed_example",
]
