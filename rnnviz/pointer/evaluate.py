"""What the pointer page shows, as numbers: one input read by both models, accuracy against input
length, and how the pointer distribution sharpens over training.

Free running throughout: step s is fed what the model itself chose at step s - 1. An answer is
**exactly right** when every step up to and including END matches the target; **per-step accuracy**
is the share of target steps s whose choice equals the target's (a step after a wrong early END
counts as wrong).

    >>> import torch
    >>> exact, steps = score(torch.tensor([[2, 1, 0], [1, 0, 0]]), [[2, 1, 0], [2, 1, 0]])
    >>> exact, steps
    ([True, False], [3, 0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.pointer.model import PointerNet, VocabBaseline
from rnnviz.tasks.point_sets import END

TEST_SEED_OFFSET = 7_919  # the test sets draw from seed + this: never the training batches


def score(pred: torch.Tensor, targets: list[list[int]]) -> tuple[list[bool], list[int]]:
    """(exactly right per answer, right steps per answer) of free-running ``pred`` (B, S')."""
    exact, right = [], []
    for row, target in zip(pred.tolist(), targets, strict=True):
        row = cut(row)  # nothing is written after the first END
        hits = [s < len(row) and row[s] == t for s, t in enumerate(target)]
        exact.append(all(hits))
        right.append(sum(hits))
    return exact, right


@dataclass(frozen=True)
class Read:
    """One input through the pointer network (and the baseline), for the page's views."""

    x: np.ndarray  # (T, F) the input
    target: list[int]  # the right positions, then END
    answer: list[int]  # the pointer's positions up to and including its first END
    alpha: np.ndarray  # (S, T + 1) p(y_s = t), column 0 = END, rows s = 1 .. len(answer)
    score: np.ndarray  # (S, T + 1) score_{t,s} (-inf where masked)
    baseline: list[int] | None  # the baseline's answer (-1: a token that is no position)

    def wrong_steps(self) -> list[int]:
        """Steps s (from 1) whose choice differs from the target's step s."""
        return [s for s, p in enumerate(self.answer, 1) if s > len(self.target) or self.target[s - 1] != p]

    @property
    def right(self) -> bool:
        return self.answer == self.target

    def table(self, s: int) -> pd.DataFrame:
        """Step s (from 1): score and alpha of every choice t (end, 1 .. T)."""
        return pd.DataFrame(
            {
                "t": ["end", *map(str, range(1, self.x.shape[0] + 1))],
                "x_t": ["-", *[", ".join(f"{v:.3f}" for v in row) for row in self.x]],
                "score_ts": self.score[s - 1],
                "alpha_ts": self.alpha[s - 1],
            }
        )


def cut(p: list[int]) -> list[int]:
    """An answer up to and including its first END."""
    return p[: p.index(END) + 1] if END in p else p


@torch.no_grad()
def read(model: PointerNet, task, x: list[list[float]], baseline: VocabBaseline | None = None) -> Read:
    xt = torch.tensor([x], dtype=torch.float32)
    pred, out = model.answer(xt)
    answer = cut(pred[0].tolist())
    S = len(answer)
    base = None if baseline is None else cut(baseline.answer(xt)[0].tolist())
    return Read(
        x=np.asarray(x, dtype=float),
        target=task.labels(x),
        answer=answer,
        alpha=out.alpha[0, :S].double().numpy(),
        score=out.score[0, :S].double().numpy(),
        baseline=base,
    )


@torch.no_grad()
def accuracy_by_length(
    models: dict[str, torch.nn.Module], task, lengths, n: int = 100, seed: int = 0
) -> pd.DataFrame:
    """Rows (model, T, exact, per_step, writable): free running on ``n`` fresh inputs per length;
    ``writable`` is the share of answers whose every position the model can output at all."""
    rows = []
    for T in lengths:
        g = torch.Generator().manual_seed(seed + TEST_SEED_OFFSET + T)
        xs = task.inputs(n, g, T)
        targets = [task.labels(x) for x in xs]
        x = torch.tensor(xs, dtype=torch.float32)
        for name, model in models.items():
            pred = model.answer(x)
            pred = pred[0] if isinstance(pred, tuple) else pred
            exact, right = score(pred, targets)
            limit = getattr(model.cfg, "n_train", T) if isinstance(model, VocabBaseline) else T
            writable = [max(t) <= limit for t in targets]
            rows.append(
                {
                    "model": name,
                    "T": T,
                    "exact": float(np.mean(exact)),
                    "per_step": sum(right) / sum(len(t) for t in targets),
                    "writable": float(np.mean(writable)),
                }
            )
    return pd.DataFrame(rows)


def sharpness(alpha: np.ndarray) -> float:
    """Mean over steps of the largest weight max_t alpha_{t,s}: 1 / (T + 1) uniform, 1 one-hot."""
    return float(alpha.max(axis=1).mean())
