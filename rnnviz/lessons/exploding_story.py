"""Lesson 4, section 4 in words: what the exploding preset's runs and its clipped gradient show,
each sentence computed from the numbers it states (``rnnviz.lessons.exploding`` makes them).

>>> from rnnviz.lessons.exploding import ExplodingPreset, clip_check
>>> preset = ExplodingPreset()
>>> first_step_sentence(preset, clip_check(preset)).startswith("At the initial weights")
True
"""

from __future__ import annotations

import numpy as np

from rnnviz.lessons.exploding import ClipCheck, ExplodingPreset, ExplodingRun


def first_step_sentence(preset: ExplodingPreset, clip: ClipCheck) -> str:
    """How far the first plain SGD step moves the weights, and how far a clipped one can."""
    g1 = clip.norm
    # plain SGD: the step is eta * ||g||; clipped: at most eta * c
    return (
        f"At the initial weights, the first batch's gradient already has norm $\\|g\\| = {g1:,.0f}$, so the "
        f"first plain SGD step moves the weights by $\\eta \\|g\\| = {preset.lr * g1:,.1f}$. With $c = "
        f"{preset.clip:g}$ the step is at most {preset.lr * preset.clip:g} long."
    )


def raw_sentence(raw: ExplodingRun, lr: float) -> str:
    """The run without clipping: where it diverged (and the step before), or how it ended."""
    if raw.diverged_step is None:
        return f"**Without clipping:** {raw.message}; final batch accuracy {raw.final_acc():.0%}."
    before = (
        f" Step {raw.step[-2]} had ‖g‖ = {raw.grad_norm[-2]:,.0f} and took a step of "
        f"{lr * raw.grad_norm[-2]:,.1f}."
        if len(raw.step) > 1
        else ""
    )
    return f"**Without clipping:** {raw.message}.{before}"


def clipped_sentence(clipped: ExplodingRun) -> str:
    """The clipped run: how it ended, its accuracy, and how many of its steps were clipped."""
    clipped_steps = int(np.sum(clipped.grad_norm > clipped.clip))
    return (
        f"**Clipped at {clipped.clip:g}:** {clipped.message}; accuracy over the last 20 batches "
        f"{clipped.final_acc():.0%}. {clipped_steps} of {len(clipped.step)} steps were clipped."
    )


def direction_sentence(clip: ClipCheck) -> str:
    """Clipping by norm keeps the gradient's direction; clipping by value (here) may not."""
    same_direction = clip.cosine > 1 - 1e-9
    return (
        f"**Clipping the first batch's gradient** (the Trainer's own call, `clip_grad_norm_`): "
        f"after clipping, "
        f"$\\|g'\\| = {clip.norm_clipped:.4f}$ and $\\cos(g, g') = {clip.cosine:.9f}$: "
        + ("**the same direction**, only shorter. " if same_direction else "the direction changed. ")
        + f"Clipping every entry to $[-c, c]$ instead (*by value*) gives $\\|g''\\| = "
        f"{clip.norm_by_value:.2f}$ "
        f"and $\\cos(g, g'') = {clip.cosine_by_value:.3f}$: "
        + ("a different direction." if clip.cosine_by_value < 1 - 1e-6 else "the same direction here.")
    )
