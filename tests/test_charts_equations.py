"""Arithmetic a chart writes on screen equals what it counts, checked against torch."""

import re

import pytest
import torch
from torch import nn

from rnnviz.charts import diagrams


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _evaluate(shown: str) -> tuple[int, int]:
    """'4 × (4² + 4) = 80 parameters' -> (value of the left side, the number after '=')."""
    left, right = shown.split("=")
    expression = left.replace("×", "*").replace("·", "*").replace("²", "**2")
    assert re.fullmatch(r"[\d\s*+()]+", expression), shown
    return eval(expression), int(re.match(r"\s*([\d,]+)", right).group(1).replace(",", ""))  # noqa: S307


@pytest.mark.parametrize(("L", "D", "H"), [(4, 3, 4), (6, 5, 16)])
def test_feedforward_vs_recurrent_headings_count_the_parameters_torch_has(L, D, H):
    """Lesson 1's two stacks: L layers each with its own W^(l), b^(l) against one nn.RNN cell."""
    fig = diagrams.feedforward_vs_recurrent(L, D, H)
    headings = [a.text.split("<br>")[1] for a in fig.layout.annotations if "parameters" in (a.text or "")]
    assert len(headings) == 2 and all("x" not in h.split("=")[0] for h in headings)  # × and ·, not x
    (ff_left, ff_total), (rnn_left, rnn_total) = map(_evaluate, headings)
    torch.manual_seed(0)
    assert ff_left == ff_total == _count(nn.Sequential(*[nn.Linear(H, H) for _ in range(L)]))
    assert rnn_left == rnn_total == _count(nn.RNN(D, H))  # W_xh, W_hh and torch's two biases
