"""The adding problem (Hochreiter & Schmidhuber 1997): add the two marked numbers of a long sequence.

Each step t gets x_t = (v_t, m_t): a value v_t ~ U(0, 1) and a marker m_t in {0, 1}. Exactly two
steps are marked; the target read at the last step is y = sum_t m_t v_t. The first marker sits in
the first HEAD steps and the sequence is T = lag + HEAD long, so the first marked value must be
carried for at least ``lag`` steps; the second marker falls in the next ceil(lag / 2) steps, at
least lag / 2 steps from the end. Always answering 1.0 (the mean) gives MSE = 1/6.

>>> task = Adding(lag=3)
>>> b = task.batch(1, torch.Generator().manual_seed(0))
>>> b.x.shape, b.y.shape
(torch.Size([1, 8, 2]), torch.Size([1]))
>>> b.x[0, :, 1].tolist()  # the markers m_t
[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
>>> print(task.describe(b))
0.09 (step 2) + 0.49 (step 6) = 0.58, read at step 7
"""

from __future__ import annotations

import dataclasses

import torch

from rnnviz.tasks.base import Batch, Task, check_lag, check_seed

HEAD = 5  # the first marker is in steps 0..HEAD-1


@dataclasses.dataclass(frozen=True)
class Adding(Task):
    """Sum of two marked values; a many-to-one regression with input (value, marker)."""

    lag: int = 50  # steps the first marked value must be remembered, at least; T = lag + HEAD
    seed: int = 0  # seeds example() and the default generator

    name = "adding"
    input_kind = "vectors"
    head = "many_to_one"
    loss_kind = "mse"
    input_size = 2  # (value, marker)
    output_size = 1
    vocab = None
    labels = None
    baseline_mse = 1 / 6  # Var(v_a + v_b) for two U(0, 1) values: the loss of always answering 1.0

    def __post_init__(self):
        check_lag(self.lag)
        check_seed(self.seed)

    @property
    def seq_len(self) -> int:
        return self.lag + HEAD

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        """x (B, T, 2) float32, y (B,) float32, mask None. Every split is fresh draws."""
        g = self._start_batch(batch_size, generator, split)
        B, T = batch_size, self.seq_len
        values = torch.rand(B, T, generator=g)  # v_t ~ U(0, 1)
        first = torch.randint(0, HEAD, (B,), generator=g)
        second = torch.randint(HEAD, HEAD + (self.lag + 1) // 2, (B,), generator=g)
        rows = torch.arange(B)
        markers = torch.zeros(B, T)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        # y = sum_t m_t v_t
        y = (values * markers).sum(dim=1)
        return Batch(torch.stack([values, markers], dim=-1), y, None)

    def describe(self, batch: Batch, row: int = 0) -> str:
        x = batch.x[row]  # (T, 2)
        marked = torch.nonzero(x[:, 1]).flatten().tolist()
        terms = " + ".join(f"{x[t, 0].item():.2f} (step {t})" for t in marked)
        return f"{terms} = {x[marked, 0].sum().item():.2f}, read at step {len(x) - 1}"
