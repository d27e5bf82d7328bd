"""Lesson 1 (why recurrence): parameter counts, and the usage patterns run through small models.

A fully connected net over a window of n inputs x_1..x_n (each of size D) grows with n; an RNN
reuses one function f: (h_{t-1}, x_t) -> (h_t, y_t) at every step, so its size does not:

>>> fc_params(n=10, D=3, H=4, K=2), rnn_params(D=3, H=4, K=2)
(134, 46)
>>> fc_params(n=100, D=3, H=4, K=2), rnn_params(D=3, H=4, K=2)
(1214, 46)

The usage patterns (one-to-one, one-to-many, many-to-one, many-to-many) each get a real example
from the backend's tasks: ``build_examples`` trains (or only initialises) three small models,
``classify`` / ``tag`` / ``generate`` run the student's input through them:

>>> ex = build_examples(ExamplesConfig(seed=0, max_seconds=600), train=True)  # the steps bind, not the clock
>>> tag(ex.tagging, ex.tagging_task, "I like cake").tags
('Pronoun', 'Verb', 'Noun')
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.sample import Sample, sample
from rnnviz.tasks import CharLM, Sentiment, Tagging
from rnnviz.tasks.corpora import markup
from rnnviz.tasks.sentiment import label_of
from rnnviz.train import TrainConfig, Trainer

MAX_WORDS = 30  # longest sentence the examples accept


# --- parameter counts ------------------------------------------------------------------------


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 1 <= value <= 100_000:
            raise InputError(f"{name} must be a whole number from 1 to 100,000, not {value!r}")


def fc_params(n: int, D: int, H: int, K: int) -> int:
    """A fully connected net reading all n inputs at once: one hidden layer of H units, K outputs."""
    _check_sizes(n=n, D=D, H=H, K=K)
    # h = tanh(W_1 [x_1; ...; x_n] + b_1): W_1 is H x nD;  y = W_2 h + b_2: W_2 is K x H
    return n * D * H + H + K * H + K


def rnn_params(D: int, H: int, K: int) -> int:
    """An Elman RNN with torch's layout: the same count for any sequence length n."""
    _check_sizes(D=D, H=H, K=K)
    # h_t = tanh(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh): H x D + H x H + two biases of H
    # y_t = W_hy h_t + b_y: K x H + K
    return H * D + H * H + 2 * H + K * H + K


def deep_ff_params(L: int, H: int) -> int:
    """A feedforward stack of L layers of width H, each with its own weights (H x H + H)."""
    _check_sizes(L=L, H=H)
    return L * (H * H + H)


def fc_model(n: int, D: int, H: int, K: int) -> nn.Module:
    """The fully connected net ``fc_params`` counts, as a real torch module."""
    _check_sizes(n=n, D=D, H=H, K=K)
    return nn.Sequential(nn.Flatten(), nn.Linear(n * D, H), nn.Tanh(), nn.Linear(H, K))


def rnn_model(D: int, H: int, K: int, seed: int = 0) -> SeqModel:
    """The RNN ``rnn_params`` counts: vectors of size D in, an output of size K at every step."""
    _check_sizes(D=D, H=H, K=K)
    cfg = ModelConfig(
        cell="rnn_tanh", input_kind="vectors", input_size=D, output_size=K, hidden_size=H, seed=seed
    )
    return SeqModel(cfg)


def growth(ns, D: int, H: int, K: int) -> dict[str, np.ndarray]:
    """Parameter counts over window sizes ``ns``: {"n", "fully connected", "RNN"} arrays."""
    ns = np.asarray(list(ns), dtype=int)
    return {
        "n": ns,
        "fully connected": np.array([fc_params(int(n), D, H, K) for n in ns]),
        "RNN": np.full(len(ns), rnn_params(D, H, K)),
    }


def growth_frame(counts: dict[str, np.ndarray]) -> pd.DataFrame:
    """:func:`growth`'s counts as a table, one row per n."""
    return pd.DataFrame(counts)


def unrolled_frame(xs: torch.Tensor, h: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """x_t, h_t and y_t of an unrolled run, one row per step t (from 1), one column per number."""
    xs = np.asarray(xs)
    return pd.DataFrame(
        {
            "t": range(1, len(xs) + 1),
            **{f"x_t[{d}]": xs[:, d] for d in range(xs.shape[1])},
            **{f"h_t[{u}]": h[:, u] for u in range(h.shape[1])},
            **{f"y_t[{k}]": y[:, k] for k in range(y.shape[1])},
        }
    )


def random_sequence(n: int, D: int, seed: int = 0) -> torch.Tensor:
    """(n, D) inputs drawn from N(0, 1) with ``seed``: what the unrolled picture feeds the RNN."""
    _check_sizes(n=n, D=D)
    return torch.randn(n, D, generator=torch.Generator().manual_seed(seed))


# --- the usage-pattern examples --------------------------------------------------------------


@dataclass(frozen=True)
class ExamplesConfig:
    hidden_size: int = 24  # H of the sentiment and tagging models
    embed_dim: int = 16  # E, word vectors of the sentiment and tagging models (learned with them)
    lm_hidden_size: int = 48  # H of the character model on nested markup
    steps: int = 200  # training steps of the sentiment and tagging models
    lm_steps: int = 300  # training steps of the character model
    max_seconds: float = 60.0  # safety cap per model; steps are the budget, so a seed gives the same models
    seed: int = 0  # data, initial weights and batches


@dataclass
class Examples:
    sentiment_task: Sentiment  # many-to-one: a review in, positive/negative out
    sentiment: SeqModel
    tagging_task: Tagging  # many-to-many aligned: one tag per word
    tagging: SeqModel
    lm_task: CharLM  # one-to-many: a character in, a generated line out
    lm: SeqModel
    steps: dict[str, int]  # training steps each model got (0 = untrained)
    seconds: float  # wall time the training took


def build_examples(cfg: ExamplesConfig = ExamplesConfig(), train: bool = False) -> Examples:
    """The three example models, initialised from ``cfg.seed`` and trained when ``train`` is True."""
    sentiment_task = Sentiment(n_val=50, seed=cfg.seed)
    tagging_task = Tagging(seed=cfg.seed)
    lm_task = CharLM(markup(400, max_depth=3, seed=cfg.seed), seq_len=24, seed=cfg.seed)
    plan = [
        ("sentiment", sentiment_task, cfg.hidden_size, cfg.embed_dim, cfg.steps),
        ("tagging", tagging_task, cfg.hidden_size, cfg.embed_dim, cfg.steps),
        ("lm", lm_task, cfg.lm_hidden_size, 0, cfg.lm_steps),  # one-hot characters
    ]
    models, steps, start = {}, {}, time.perf_counter()
    for name, task, H, E, n_steps in plan:
        mcfg = ModelConfig.for_task(task, cell="rnn_tanh", hidden_size=H, embed_dim=E, seed=cfg.seed)
        model = SeqModel(mcfg)
        steps[name] = 0
        if train:
            trainer = Trainer(model, task, TrainConfig(lr=1e-2, seed=cfg.seed, checkpoint_every=0))
            trainer.run(n_steps, cfg.max_seconds)
            steps[name] = trainer.step
        model.eval()
        models[name] = model
    return Examples(
        sentiment_task,
        models["sentiment"],
        tagging_task,
        models["tagging"],
        lm_task,
        models["lm"],
        steps,
        time.perf_counter() - start,
    )


@dataclass(frozen=True)
class Classified:
    words: tuple[str, ...]  # the input x_1..x_T
    probs: np.ndarray  # (2,) softmax of the one output y, read after the last word
    label: str  # the more probable class
    rule_label: str | None  # what the task's rules say (None: no sentiment word in the last clause)


def _words(text: str, what: str) -> list[str]:
    words = text.replace(",", " ").replace(".", " ").split()
    if not words:
        raise InputError(f"{what} is empty: type a few words, e.g. 'the movie was not good'")
    if len(words) > MAX_WORDS:
        raise InputError(f"{what} has {len(words)} words; type at most {MAX_WORDS}")
    return words


@torch.no_grad()
def classify(model: SeqModel, task: Sentiment, text: str) -> Classified:
    """Many-to-one: read every word, then one output y = softmax(W_hy h_T + b_y)."""
    words = _words(text, "the review")
    ids = task.encode(" ".join(words))  # (T,)
    logits, _ = model(ids[None])  # (1, 2)
    probs = torch.softmax(logits[0], -1).numpy()
    return Classified(
        tuple(w.lower() for w in words), probs, task.labels[int(probs.argmax())], label_of(" ".join(words))
    )


@dataclass(frozen=True)
class Tagged:
    words: tuple[str, ...]  # x_1..x_T
    tags: tuple[str, ...]  # argmax of y_t, one per word
    probs: np.ndarray  # (T, n_tags) y_t = softmax(W_hy h_t + b_y)

    def frame(self) -> pd.DataFrame:
        """One row per word: x_t, its tag y_t and the tag's probability."""
        return pd.DataFrame({"x_t (word)": self.words, "y_t (tag)": self.tags, "p(tag)": self.probs.max(-1)})


@torch.no_grad()
def tag(model: SeqModel, task: Tagging, text: str) -> Tagged:
    """Many-to-many, aligned: one tag per word, y_t read right after x_t."""
    words = _words(text, "the sentence")
    ids = task.encode(" ".join(words))
    logits, _ = model(ids[None])  # (1, T, n_tags)
    probs = torch.softmax(logits[0], -1).numpy()
    tags = tuple(task.labels[int(i)] for i in probs.argmax(-1))
    return Tagged(tuple(w.lower() for w in words), tags, probs)


def generate(model: SeqModel, task: CharLM, prime: str = "<", length: int = 60, seed: int = 0) -> Sample:
    """One-to-many: read the prime, then feed each drawn character back in as the next x_t."""
    if not prime:
        raise InputError("type at least one character to start from, e.g. '<'")
    if len(prime) > 40:
        raise InputError("the start is too long: type at most 40 characters, e.g. '<b>'")
    return sample(model, task, prime=prime, length=length, temperature=0.7, seed=seed)


# --- the equations and the check question, on the live models ----------------------------------


@torch.no_grad()
def one_step_as_feedforward(model: SeqModel, task: Sentiment, word: str) -> tuple[np.ndarray, np.ndarray]:
    """(p as a feedforward net, p as the RNN run for one step) for a one-word input, float64.

    With h_0 = 0 the recurrent term W_hh h_0 vanishes: y = softmax(W_hy tanh(W_xh x_1 + b_h) + b_y),
    where x_1 is the word's vector (its row of the learned embedding) and b_h = b_ih + b_hh."""
    words = _words(word, "the word")
    if len(words) != 1:
        raise InputError("type one word for the one-to-one pattern")
    ids = task.encode(words[0])  # (1,)
    p = {k: v.detach().double().numpy() for k, v in model.layers[0].params(0).items()}
    x1 = model.embed(ids[None])[0, 0].double().numpy()  # (E,) x_1
    h1 = np.tanh(p["weight_ih"] @ x1 + p["bias_ih"] + p["bias_hh"])  # h_1 = tanh(W_xh x_1 + b_h)
    z = model.head.weight.double().numpy() @ h1 + model.head.bias.double().numpy()  # z = W_hy h_1 + b_y
    e = np.exp(z - z.max())
    rnn = torch.softmax(model(ids[None])[0][0].double(), -1).numpy()  # the model itself, one step
    return e / e.sum(), rnn  # y = softmax(z)


REACH_OPTIONS = (
    "Only y_1: the other outputs never saw x_1.",
    "Every y_t, from y_1 to y_n: h_1 is carried into h_2, h_2 into h_3, and so on.",
    "None of them: the weights did not change.",
    "Only y_n: the RNN answers at the end.",
)


@torch.no_grad()
def first_input_reach(model: SeqModel, xs: torch.Tensor) -> np.ndarray:
    """(n,) ||y_t(x_1 = 0) - y_t|| for t = 1..n: how far each output moves when x_1 alone is zeroed."""
    m = copy.deepcopy(model).double()
    x = xs.double()[None]  # (1, n, D)
    cut = x.clone()
    cut[0, 0] = 0.0  # x_1 = 0, every other input kept
    y, _ = m(x)
    y_cut, _ = m(cut)
    return (y_cut - y)[0].norm(dim=-1).numpy()


def reach_answer(moved: np.ndarray, tol: float = 0.0) -> int:
    """Which of REACH_OPTIONS the measured changes show (exactly 0 in float64 counts as not moved)."""
    hit = moved > tol
    if hit.all():
        return 1
    if not hit.any():
        return 2
    if hit[0] and not hit[1:].any():
        return 0
    return 3 if hit[-1] and not hit[:-1].any() else 1
