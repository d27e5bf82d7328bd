"""Sampling from a token model: next-token distribution, temperature, top-k, priming, fixed seed.

>>> distribution(torch.tensor([2.0, 1.0, 0.0]), temperature=0.5, top_k=2)  # p_i ∝ exp(z_i / 0.5), top 2
tensor([0.8808, 0.1192, 0.0000])
>>> from rnnviz.model import ModelConfig, SeqModel
>>> from rnnviz.tasks.charlm import CharLM
>>> task = CharLM(text="def f(x):\\n    return x\\n" * 20, seq_len=16)
>>> model = SeqModel(ModelConfig.for_task(task, hidden_size=16, seed=0))  # untrained: gibberish
>>> s = sample(model, task, prime="def ", length=20, temperature=0.8, seed=0)
>>> s.text[:4], len(s.text), s.probs.shape  # the prime, then 20 drawn characters; (length, V)
('def ', 24, (20, 13))
>>> s.text == sample(model, task, prime="def ", length=20, temperature=0.8, seed=0).text  # same seed
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from rnnviz.errors import InputError
from rnnviz.model import SeqModel

MAX_SAMPLE = 5000


@dataclass(frozen=True)
class Sample:
    text: str  # the prime followed by the generated tokens
    prime: str  # what the student typed
    ids: list[int]  # generated ids (without the prime)
    probs: np.ndarray  # (length, V) the distribution each generated token was drawn from


def _check(model: SeqModel, temperature: float, top_k: int, length: int) -> None:
    if model.cfg.input_kind != "tokens" or model.cfg.head != "many_to_many":
        raise InputError("only a next-token model (tokens in, a prediction per step) can generate text")
    if not isinstance(temperature, (int, float)) or not math.isfinite(temperature) or temperature <= 0:
        raise InputError(f"temperature must be a positive number (try 0.5 to 1.5), not {temperature!r}")
    if not 0 <= top_k <= model.cfg.output_size:
        raise InputError(f"top-k must be from 0 (off) to the vocabulary size {model.cfg.output_size}")
    if not 1 <= length <= MAX_SAMPLE:
        raise InputError(f"sample length must be from 1 to {MAX_SAMPLE} characters")


def distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0) -> torch.Tensor:
    """p_i = exp(z_i / tau) / sum_j exp(z_j / tau), keeping only the k largest when top_k > 0."""
    z = logits / temperature
    if top_k:
        kth = torch.topk(z, top_k).values[..., -1:]
        z = z.masked_fill(z < kth, float("-inf"))
    return F.softmax(z, dim=-1)


@torch.no_grad()
def next_distribution(model: SeqModel, ids: torch.Tensor, temperature: float = 1.0) -> np.ndarray:
    """p(x_{t+1} | x_1..x_t) after every position t of ``ids`` (T,): an array (T, V)."""
    logits, _ = model(ids[None])
    return distribution(logits[0], temperature).numpy()


@torch.no_grad()
def sample(
    model, task, prime: str = "", length: int = 200, temperature: float = 1.0, top_k: int = 0, seed: int = 0
):
    """Feed the prime, then draw one token at a time from p(x_t | x_<t) and feed it back in."""
    _check(model, temperature, top_k, length)
    was_training = model.training
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    prime_ids = task.encode(prime) if prime else torch.tensor([], dtype=torch.long)
    if len(prime_ids) == 0:  # no prime: start from a token drawn uniformly, fixed by the seed
        prime_ids = torch.randint(model.cfg.input_size, (1,), generator=generator)
        prime = task.decode(prime_ids)
    logits, state = model(prime_ids[None])
    last = logits[0, -1]
    ids, probs = [], []
    for _ in range(length):
        p = distribution(last, temperature, top_k)
        nxt = int(torch.multinomial(p, 1, generator=generator))
        ids.append(nxt)
        probs.append(p.numpy())
        logits, state = model(torch.tensor([[nxt]]), state)
        last = logits[0, -1]
    model.train(was_training)
    return Sample(prime + task.decode(torch.tensor(ids)), prime, ids, np.stack(probs))


@torch.no_grad()
def surprisal(model: SeqModel, ids: torch.Tensor) -> np.ndarray:
    """-log2 p(x_t | x_<t) in bits for t = 2..T (the first character has no context): (T-1,)."""
    if len(ids) < 2:
        raise InputError("type at least 2 characters to see how surprised the model is")
    logits, _ = model(ids[None, :-1])
    return (F.cross_entropy(logits[0], ids[1:], reduction="none") / math.log(2)).numpy()
