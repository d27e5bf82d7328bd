"""One-click setups, each showing one phenomenon; what each shows was measured with these settings.

>>> from rnnviz.playground import Playground
>>> p = PRESETS["exploding"]
>>> [c.clip for c in p.configs]                    # the same run, with and without clipping
[None, 1.0]
>>> unclipped = Playground.build(p.configs).runs[0]
>>> unclipped.train(100, max_seconds=600).message  # seed 0: the unclipped run blows up
'diverged at step 32: gradient norm nan, loss nan'

Measured on the 2-core build machine with these settings (``python -m bench playground``):

- vanishing: ||dL/dh_1|| / ||dL/dh_62|| is 7e-14 at step 0 and stays tiny (median 2e-12, largest
  5e-7 over the probes of the first 1000 steps); at step 1000 the held-out loss the page shows is
  1.37 (guessing: ln 4 = 1.39) and held-out accuracy 0.34 (chance 0.25);
- exploding: without clipping, SGD at lr 2 diverges at step 32 (seeds 1-3: steps 258, 85, 26);
  clipped at norm 1 the same run trains (loss ~0.8 after 300-400 steps);
- lstm_remembers: held-out accuracy the page shows at step 1000, seed 0: LSTM 1.00, RNN 0.47
  (seeds 1-2: LSTM 0.99-1.00, RNN 0.39-0.57);
- bracket_depth: the best unit's |correlation| with tag depth (mean over 5 held-out windows) is
  0.38 at step 0 and 0.90 at step 400.
"""

from __future__ import annotations

import dataclasses

from rnnviz.playground.config import PlaygroundConfig, compare_runs
from rnnviz.playground.probe import reach


@dataclasses.dataclass(frozen=True)
class Preset:
    key: str  # short id (also what a link could name)
    title: str  # the phenomenon, in the menu
    configs: tuple[PlaygroundConfig, ...]  # one to three runs
    watch: str  # what to look at, and when it shows (from measurements)
    views: tuple[str, ...] = ()  # the views that show it, in page order


_VANISH = PlaygroundConfig(task="first_word", lag=60, cell="rnn_tanh", hidden_size=32, lr=0.01, clip=1.0)
_EXPLODE = PlaygroundConfig(
    task="charlm",
    text="markup",
    depth=4,
    seq_len=64,
    cell="rnn_relu",
    hidden_size=32,
    optimizer="sgd",
    lr=2.0,
)
_REMEMBER = PlaygroundConfig(
    task="copy", lag=30, length=3, n_symbols=4, cell="rnn_tanh", hidden_size=32, lr=0.01, clip=1.0
)
_BRACKETS = PlaygroundConfig(
    task="charlm", text="markup", depth=4, seq_len=64, cell="lstm", hidden_size=32, forget_bias=0.0
)

PRESETS = {
    p.key: p
    for p in (
        Preset(
            "vanishing",
            "Vanishing gradient at a long lag",
            (_VANISH,),
            "A tanh RNN must carry the first word across 60 others. In the gradient heatmap the "
            "last step's loss reaches back to the first step with a gradient about 10^-13 times the one at "
            "the end at step 0 (dark rows near t = 1), and in the first 1000 steps never more than "
            "10^-6 of it, so the first word cannot be learned: at step 1000 the held-out loss is "
            "still near the guessing level ln 4 = 1.39 (measured with seed 0).",
            ("gradients over training", "loss"),
        ),
        Preset(
            "exploding",
            "Exploding gradient without clipping",
            compare_runs(dataclasses.replace(_EXPLODE, clip=None), {"clip": 1.0}),
            "The same ReLU RNN trained with plain SGD at a large learning rate, without and with "
            "gradient clipping. Without clipping one huge gradient step throws the weights so far "
            "that the loss becomes NaN within a few dozen steps (the run stops and says so); "
            "clipped at norm 1, the same steps train smoothly.",
            ("gradient norm", "loss"),
        ),
        Preset(
            "lstm_remembers",
            "LSTM remembers what the RNN forgets",
            compare_runs(_REMEMBER, {"cell": "lstm", "forget_bias": 3.0}),
            "Copy 3 symbols after a gap of 30 blanks. Both models train on the same batches. "
            "The LSTM (forget gate biased open, f near 1) reaches about 100% held-out accuracy "
            "within 1000 steps; the RNN is still around 40-60% at step 1000 (measured with seed 0). "
            "Watch the LSTM's f gate in the example's gate heatmap stay near 1 across the gap.",
            ("accuracy", "gates"),
        ),
        Preset(
            "bracket_depth",
            "A unit that learns bracket depth",
            (_BRACKETS,),
            "An LSTM reads nested markup one character at a time. After about 400 steps one unit "
            "of its cell state c follows how many tags are open (correlation about 0.9; at step 0 "
            "the best unit reaches about 0.4). The 'unit that tracks a fact' view colours it over "
            "the text.",
            ("tracking unit",),
        ),
    )
}


def progress(key: str, runs, labels) -> str:
    """Where the live runs of preset ``key`` are now, computed from them, to set beside its claim."""

    def val(run, metric):
        rows = run.trainer.history
        return (rows[-1].metrics if rows else run.initial).get(metric)

    step = max(run.step for run in runs)
    if key == "vanishing":
        run = runs[0]
        rec = run.probe.records[-1]
        ratio, _, n = reach(rec.grad_norm)
        return (
            f"Now: at training step {rec.step}, ‖∂L/∂h_1‖ / ‖∂L/∂h_{n + 1}‖ = {ratio:.0e}; held-out loss "
            f"{val(run, 'val_loss'):.2f} at step {run.step}."
        )
    if key == "exploding":
        parts = [
            f"{label}: {run.diverged}"
            if run.diverged
            else f"{label}: loss {val(run, 'val_loss'):.2f} at step {run.step}"
            for run, label in zip(runs, labels, strict=True)
        ]
        return "Now: " + "; ".join(parts) + "."
    if key == "lstm_remembers":
        accs = ", ".join(
            f"{label} {100 * val(run, 'val_acc'):.0f}%" for run, label in zip(runs, labels, strict=True)
        )
        return f"Now, at step {step}: held-out accuracy {accs}."
    return ""
