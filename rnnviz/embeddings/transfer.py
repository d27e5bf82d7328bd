"""Transfer learning: what pretrained word vectors buy a small sentiment RNN trained on little data.

Three copies of one many-to-one RNN (same seed: same recurrent and head weights, same batches)
differ only in their embedding matrix E (one row e_w per word of the task):

- ``random``: E drawn from N(0, 1), trained with the rest;
- ``frozen``: E = the GloVe rows of the task's words, never updated;
- ``finetuned``: E starts as GloVe and is trained with the rest.

The sentiment words of the task are split in two halves (every other word of its positive and
negative lists). Training sentences use only the *seen* half; the main test set uses only the
*unseen* half. A model can only get those right if words it never saw in training already sit
near words it did (``excellent`` near ``good``), which is exactly what GloVe provides::

    >>> from rnnviz.embeddings.vectors import load_glove
    >>> data = make_data(TransferConfig(n_train=4, n_test=2))
    >>> data.train[0], data.test_unseen[0]
    (('frankly i did not like the service', 'negative'), ('very lovely', 'positive'))
    >>> exp = TransferExperiment(TransferConfig(), load_glove())
    >>> results = exp.run(200, max_seconds=600.0)  # the 200 steps end it, never the clock
    >>> {v: r.status for v, r in results.items()}
    {'random': 'done', 'frozen': 'done', 'finetuned': 'done'}
    >>> {v: round(c["test_acc"][-1], 2) for v, c in exp.curves.items()}  # held-out, unseen words, seed 0
    {'random': 0.51, 'frozen': 0.82, 'finetuned': 0.76}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.embeddings.vectors import WordVectors
from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks.base import PAD, Batch, check_int, check_seed
from rnnviz.tasks.sentiment import LABELS, NEGATIVE, POLARITY, POSITIVE, Sentiment
from rnnviz.train import RunResult, TrainConfig, Trainer

VARIANTS = ("random", "frozen", "finetuned")
TITLES = {"random": "random E", "frozen": "frozen GloVe", "finetuned": "fine-tuned GloVe"}
UNSEEN_WORDS = tuple(sorted(POSITIVE[1::2] + NEGATIVE[1::2]))  # only in test sentences
SEEN_WORDS = tuple(sorted(w for w in POLARITY if w not in UNSEEN_WORDS))  # adjectives and verbs of training
POOL = 6000  # sentences drawn to fill the three sets


@dataclass(frozen=True)
class TransferConfig:
    n_train: int = 100  # training sentences: "little data" (every sentiment word from the seen half)
    n_test: int = 200  # sentences in each held-out test set
    cell: str = "gru"  # recurrent cell of the classifier
    hidden_size: int = 32  # H
    lr: float = 1e-2  # Adam learning rate, the same for every parameter (E included when trained)
    batch_size: int = 16  # sentences per step, drawn with replacement from the training set
    seed: int = 0  # the sentences, the initial weights and the batch order

    def __post_init__(self) -> None:
        check_int("training sentences", self.n_train, 4, 1000)
        check_int("test sentences", self.n_test, 2, 1000)
        check_int("hidden size", self.hidden_size, 2, 256)
        check_int("batch size", self.batch_size, 1, 256)
        check_seed(self.seed)
        if not (isinstance(self.lr, (int, float)) and 0 < self.lr <= 1):
            raise InputError(f"learning rate must be between 0 and 1 (try 0.01), not {self.lr!r}")


@dataclass(frozen=True)
class TransferData:
    train: tuple[tuple[str, str], ...]  # (text, label); sentiment words only from SEEN_WORDS
    test_unseen: tuple[tuple[str, str], ...]  # sentiment words only from UNSEEN_WORDS
    test_seen: tuple[tuple[str, str], ...]  # new sentences, seen sentiment words only


def _polar(text: str) -> list[str]:
    return [w for w in text.split() if w in POLARITY]


def make_data(cfg: TransferConfig) -> TransferData:
    """Draw the training set and both test sets from the sentiment task; no sentence is in two sets."""
    task = Sentiment(n_val=1, seed=cfg.seed)
    pool = task.sentences(POOL, torch.Generator().manual_seed(cfg.seed))
    train: list[tuple[str, str]] = []
    unseen: list[tuple[str, str]] = []
    seen: list[tuple[str, str]] = []
    taken: set[str] = set()
    for text, label in pool:
        words = _polar(text)
        if not words or text in taken:
            continue
        if all(w in UNSEEN_WORDS for w in words):
            target = unseen if len(unseen) < cfg.n_test else None
        elif not any(w in UNSEEN_WORDS for w in words):
            target = train if len(train) < cfg.n_train else seen if len(seen) < cfg.n_test else None
        else:
            target = None  # mixes both halves: in no set
        if target is not None:
            target.append((text, label))
            taken.add(text)
    if len(train) < cfg.n_train or len(unseen) < cfg.n_test or len(seen) < cfg.n_test:
        raise InputError(
            "not enough distinct sentences for these sizes: use fewer training or test sentences"
        )
    return TransferData(tuple(train), tuple(unseen), tuple(seen))


def encode(task: Sentiment, pairs) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T) ids left-padded with PAD, (B,) labels 0 = negative, 1 = positive."""
    rows = [task.encode(t) for t, _ in pairs]
    T = max(len(r) for r in rows)
    x = torch.full((len(rows), T), task.vocab.index(PAD), dtype=torch.int64)
    for k, r in enumerate(rows):
        x[k, T - len(r) :] = r  # pad on the left: the last step is always the last word
    return x, torch.tensor([LABELS.index(label) for _, label in pairs], dtype=torch.int64)


class PairsTask:
    """Adapter for the Trainer: batches drawn with replacement from a fixed list of sentences."""

    def __init__(self, task: Sentiment, pairs):
        self.x, self.y = encode(task, pairs)  # (N, T), (N,)

    def batch(self, batch_size: int, generator: torch.Generator, split: str = "train") -> Batch:
        rows = torch.randint(0, len(self.y), (batch_size,), generator=generator)
        return Batch(self.x[rows], self.y[rows], None)


def glove_rows(vocab: tuple[str, ...], wv: WordVectors) -> tuple[torch.Tensor, tuple[str, ...]]:
    """(V, 50) E with row w = GloVe e_w; PAD (and any word GloVe lacks) gets a zero row. Also those words."""
    rows = np.zeros((len(vocab), wv.dim), dtype=np.float32)  # a fresh copy: the shared table stays untouched
    missing = []
    for k, w in enumerate(vocab):
        if w != PAD and w in wv:
            rows[k] = wv.vector(w)
        else:
            missing.append(w)
    return torch.from_numpy(rows), tuple(missing)


def build_model(cfg: TransferConfig, variant: str, task: Sentiment, wv: WordVectors) -> SeqModel:
    """The classifier with its embedding set up as ``variant``; same seed -> same RNN and head."""
    if variant not in VARIANTS:
        raise InputError(f"variant must be one of {VARIANTS}, not {variant!r}")
    mcfg = ModelConfig.for_task(
        task, cell=cfg.cell, hidden_size=cfg.hidden_size, embed_dim=wv.dim, seed=cfg.seed
    )
    model = SeqModel(mcfg)
    if variant != "random":
        rows, _ = glove_rows(task.vocab, wv)
        with torch.no_grad():
            model.embedding.weight.copy_(rows)
    if variant == "frozen":
        model.embedding.weight.requires_grad_(False)  # the optimizer never sees E
    return model


def nearest_seen(wv: WordVectors) -> list[tuple[str, str, float]]:
    """For each unseen sentiment word, the seen one with the highest cos(e_unseen, e_seen) in GloVe."""
    seen = [w for w in SEEN_WORDS if w in wv]
    rows = np.stack([wv.unit[wv.index_of(w)] for w in seen])  # (S, d) unit vectors
    out = []
    for w in UNSEEN_WORDS:
        if w in wv:
            # cos = ê_unseen . ê_seen for every seen word at once
            scores = rows @ wv.unit[wv.index_of(w)]
            best = int(np.argmax(scores))
            out.append((w, seen[best], float(scores[best])))
    return out


@torch.no_grad()
def accuracy(model: SeqModel, x: torch.Tensor, y: torch.Tensor) -> float:
    was_training = model.training
    model.eval()
    logits, _ = model(x)  # (B, 2)
    model.train(was_training)
    return float((logits.argmax(-1) == y).float().mean())


class TransferExperiment:
    """Three classifiers trained side by side on the same sentences, seed and step budget."""

    def __init__(self, cfg: TransferConfig, wv: WordVectors, log_every: int = 10):
        self.cfg, self.log_every = cfg, log_every
        self.task = Sentiment(n_val=1, seed=cfg.seed)
        self.data = make_data(cfg)
        self.missing = glove_rows(self.task.vocab, wv)[1]
        self.sets = {
            "train": encode(self.task, self.data.train),
            "test": encode(self.task, self.data.test_unseen),
            "seen": encode(self.task, self.data.test_seen),
        }
        self.train_task = PairsTask(self.task, self.data.train)
        self.train_cfg = TrainConfig(
            lr=cfg.lr, batch_size=cfg.batch_size, seed=cfg.seed, log_every=log_every, checkpoint_every=0
        )
        self.models = {v: build_model(cfg, v, self.task, wv) for v in VARIANTS}
        # made on the first run: building the first optimizer of a process imports torch._dynamo (~4 s),
        # which a page must not pay before anyone has pressed Train
        self.trainers: dict[str, Trainer] = {}
        self.curves: dict[str, dict[str, list[float]]] = {v: {} for v in VARIANTS}
        for v in VARIANTS:
            self._log(v, 0)

    def steps(self, variant: str) -> int:
        """Training steps ``variant`` has taken so far."""
        return self.trainers[variant].step if variant in self.trainers else 0

    def _trainer(self, variant: str) -> Trainer:
        if variant not in self.trainers:
            self.trainers[variant] = Trainer(self.models[variant], self.train_task, self.train_cfg)
        return self.trainers[variant]

    def _log(self, variant: str, step: int) -> None:
        model, curve = self.models[variant], self.curves[variant]
        curve.setdefault("step", []).append(step)
        for name, key in (("train", "train_acc"), ("test", "test_acc"), ("seen", "seen_acc")):
            curve.setdefault(key, []).append(accuracy(model, *self.sets[name]))

    def run(
        self, steps: int, max_seconds: float, callback: Callable[[str, int, float], None] | None = None
    ) -> dict[str, RunResult]:
        """Train the three models in turns of ``log_every`` steps until each has taken ``steps`` more.

        Taking turns keeps the comparison fair when ``max_seconds`` runs out first: the time budget
        is only checked between rounds, so all three always stop at the same step.
        ``callback(variant, step, done)`` follows every logged row; ``done`` is the share of this
        run's steps taken so far (for a progress bar)."""
        check_int("steps", steps, 1, 5000)
        if not max_seconds > 0:
            raise InputError("a training run needs some time: give it at least a second")
        start = time.perf_counter()
        taken = dict.fromkeys(VARIANTS, 0)
        stopped: dict[str, RunResult] = {}
        status = "done"
        while any(taken[v] < steps for v in VARIANTS if v not in stopped):
            if time.perf_counter() - start >= max_seconds:
                status = "budget"
                break
            for v in VARIANTS:
                if v in stopped:
                    continue
                chunk = min(self.log_every, steps - taken[v])
                before = self._trainer(v).step

                def log(trainer: Trainer, row, v=v, before=before) -> None:
                    self._log(v, row.step)
                    if callback:
                        done = (sum(taken.values()) + trainer.step - before) / (len(VARIANTS) * steps)
                        callback(v, row.step, min(done, 1.0))

                result = self._trainer(v).run(chunk, float("inf"), callback=log)
                taken[v] += result.steps
                if result.status == "diverged":
                    stopped[v] = result
        why = "time budget used" if status == "budget" else "step budget used"
        return {
            v: stopped.get(v)
            or RunResult(status, f"trained {taken[v]} steps ({why}); {self.steps(v)} in total", taken[v])
            for v in VARIANTS
        }

    @torch.no_grad()
    def summary_frame(self) -> pd.DataFrame:
        """One row per embedding: steps taken and the last accuracy on each set of sentences."""
        return pd.DataFrame(
            {
                "embedding": [TITLES[v] for v in VARIANTS],
                "steps": [self.steps(v) for v in VARIANTS],
                "training sentences": [self.curves[v]["train_acc"][-1] for v in VARIANTS],
                "held-out, seen words": [self.curves[v]["seen_acc"][-1] for v in VARIANTS],
                "held-out, unseen words": [self.curves[v]["test_acc"][-1] for v in VARIANTS],
            }
        )

    def curves_frame(self) -> pd.DataFrame:
        """The accuracy curves, one row per embedding and logged step."""
        names = {"train_acc": "train_acc", "seen_acc": "seen_acc", "test_acc": "test_acc (unseen)"}
        rows = [
            {"embedding": TITLES[v], "step": step, **dict(zip(names.values(), accs, strict=True))}
            for v in VARIANTS
            for step, *accs in zip(*(self.curves[v].get(k, []) for k in ("step", *names)), strict=True)
        ]
        return pd.DataFrame(rows, columns=["embedding", "step", *names.values()])

    def predict(self, text: str) -> dict[str, float]:
        """P(positive | text) under each model; words outside the task's vocabulary raise InputError."""
        ids = self.task.encode(text)
        if ids.numel() == 0:
            raise InputError("type a short review, e.g. 'the movie was not brilliant'")
        probs = {}
        for v, model in self.models.items():
            model.eval()
            logits, _ = model(ids[None])  # (1, 2)
            model.train()
            probs[v] = float(torch.softmax(logits, -1)[0, 1])
        return probs


def nearest_seen_frame(wv: WordVectors) -> pd.DataFrame:
    """:func:`nearest_seen` as a table (3 decimals): unseen word, closest seen word, cos in GloVe."""
    return pd.DataFrame(nearest_seen(wv), columns=["unseen word", "closest seen word", "cos in GloVe"]).round(
        3
    )
