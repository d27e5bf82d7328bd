"""Save and load a trained model as ONE safetensors file with its JSON config inside.

The config (and anything in ``extra``, such as a character vocabulary) travels in the
safetensors header's ``__metadata__``. Loading never unpickles: safetensors holds raw tensors
only, so a file from a stranger cannot run code; its header is validated against one declared
schema (:mod:`rnnviz.modelfile`) before anything in it is used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.modelfile import FORMAT, read_header

MAX_BYTES = 50_000_000


def save_bytes(model: SeqModel, extra: dict | None = None) -> bytes:
    """The model's weights + ``{"format", "config", "extra"}`` as safetensors bytes."""
    meta = {
        "format": FORMAT,
        "config": json.dumps(dataclasses.asdict(model.cfg)),
        "extra": json.dumps(extra or {}),
    }
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    return st_save(tensors, metadata=meta)


def _differences(got: ModelConfig, have: ModelConfig) -> list[str]:
    a, b = dataclasses.asdict(got), dataclasses.asdict(have)
    return [f"{k} = {a[k]!r} (this page: {b[k]!r})" for k in b if k != "seed" and a[k] != b[k]]


def load_bytes(data: bytes, expect: ModelConfig | None = None) -> tuple[SeqModel, dict]:
    """Rebuild the model from ``save_bytes`` output; returns (model, extra).

    Everything is checked before it is used, cheapest first: the header against
    :mod:`rnnviz.modelfile`'s schema, the config against ``expect`` (every setting but the seed),
    the tensors' names and shapes against a model of that config built on the meta device (no
    memory), and only then the weights are read (float32, finite) and a model is built.
    """
    if len(data) > MAX_BYTES:
        raise InputError(f"model file is larger than {MAX_BYTES // 1_000_000} MB")
    header = read_header(data)
    cfg = header.config
    if expect is not None and (diff := _differences(cfg, expect)):
        raise InputError(
            "this model was saved with other settings; set the page to match and upload again: "
            + ", ".join(diff[:4])
        )
    with torch.device("meta"):
        wanted = {k: tuple(v.shape) for k, v in SeqModel(cfg).state_dict().items()}
    if header.shapes != wanted:
        odd = sorted(set(header.shapes) ^ set(wanted)) or [k for k in wanted if header.shapes[k] != wanted[k]]
        raise InputError(
            f"the weights in this file do not fit its config (tensor {odd[0][:60]!r}): the file is damaged"
        )
    try:
        tensors = st_load(data)
    except Exception as err:  # safetensors raises its own error type for a corrupt body
        raise InputError(f"the model file is damaged: {str(err)[:200]}") from None
    for name, tensor in tensors.items():
        if not torch.isfinite(tensor).all():
            raise InputError(f"the model file's tensor {name!r} holds NaN or infinite weights: it is damaged")
    model = SeqModel(cfg)
    model.load_state_dict(tensors)
    return model, header.extra.model_dump(exclude_none=True)


def task_fingerprint(task) -> str:
    """A short hash of what a model's input and output ids mean for ``task`` (its class and
    vocabulary): a model trained on another text has other ids, even with the same sizes."""
    vocab = getattr(task, "vocab", None)
    tokens = list(getattr(vocab, "tokens", vocab) or [])
    blob = json.dumps([type(task).__name__, tokens], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def save_trainer_bytes(trainer) -> bytes:
    """The trainer's model plus where training stood (step, seconds, loss history) and the task's
    fingerprint, so :func:`restore_trainer` can continue exactly where this left off."""
    rows = [dataclasses.asdict(r) for r in trainer.history]
    extra = {
        "task": task_fingerprint(trainer.task),
        "step": trainer.step,
        "seconds": trainer.seconds,
        "history": rows,
    }
    return save_bytes(trainer.model, extra)


def restore_trainer(trainer, data: bytes) -> int:
    """Load a file from :func:`save_trainer_bytes` into ``trainer`` (same model settings and task)
    and continue from there: weights, step count and loss history; the optimizer starts afresh.

    Returns the step the file was saved at. Raises InputError, saying which setting differs, when
    the file does not fit this page's model.
    """
    from rnnviz.train import LogRow  # train imports model; io stays importable on its own

    model, extra = load_bytes(data, expect=trainer.model.cfg)
    if extra.get("task") != task_fingerprint(trainer.task):
        raise InputError(
            "this model was trained on another text or task (its characters or words differ from "
            "this page's): choose the same text and settings it was saved with"
        )
    history = [LogRow(**row) for row in extra["history"]]  # validated by rnnviz.modelfile
    step, seconds = extra["step"], extra["seconds"]
    trainer.model.load_state_dict(model.state_dict())
    trainer._optimizer = None  # Adam's moments are not saved: it starts afresh from these weights
    trainer.step, trainer.seconds, trainer.history = step, seconds, history
    trainer.diverged = None
    trainer.checkpoints = []
    trainer._checkpoint()
    return step
