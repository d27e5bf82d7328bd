"""Save and load a trained model as ONE safetensors file with its JSON config inside.

The config (and anything in ``extra``, such as a character vocabulary) travels in the
safetensors header's ``__metadata__``. Loading never unpickles: safetensors holds raw tensors
only, so a file from a stranger cannot run code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct

from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel

FORMAT = "rnnviz-model-1"
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


def _metadata(data: bytes) -> dict:
    # safetensors layout: 8-byte little-endian header length, then the JSON header
    if len(data) < 8:
        raise InputError("this file is too short to be a saved rnnviz model (.safetensors)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8 or n > 10_000_000:
        raise InputError("this is not a safetensors file: save a model from rnnviz and upload that file")
    try:
        header = json.loads(data[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(
            "this is not a safetensors file: save a model from rnnviz and upload that file"
        ) from None
    meta = header.get("__metadata__") or {}
    if meta.get("format") != FORMAT:
        raise InputError("this safetensors file was not saved by rnnviz (no rnnviz config inside)")
    return meta


def load_bytes(data: bytes) -> tuple[SeqModel, dict]:
    """Rebuild the model from ``save_bytes`` output; returns (model, extra)."""
    if len(data) > MAX_BYTES:
        raise InputError(f"model file is larger than {MAX_BYTES // 1_000_000} MB")
    meta = _metadata(data)
    try:
        cfg = ModelConfig(**json.loads(meta["config"]))
        extra = json.loads(meta.get("extra", "{}"))
        tensors = st_load(data)
    except (TypeError, KeyError, json.JSONDecodeError) as err:
        raise InputError(f"the model file is damaged ({type(err).__name__}): save it again") from None
    except Exception as err:  # safetensors raises its own error type for a corrupt body
        raise InputError(f"the model file is damaged: {err}") from None
    model = SeqModel(cfg)
    try:
        model.load_state_dict(tensors)
    except RuntimeError:
        raise InputError("the weights in this file do not fit its config: the file is damaged") from None
    return model, extra


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

    model, extra = load_bytes(data)
    have, got = dataclasses.asdict(trainer.model.cfg), dataclasses.asdict(model.cfg)
    diff = [f"{k} = {got[k]!r} (this page: {have[k]!r})" for k in have if k != "seed" and have[k] != got[k]]
    if diff:
        raise InputError(
            "this model was saved with other settings; set the page to match and upload again: "
            + ", ".join(diff[:4])
        )
    if extra.get("task") != task_fingerprint(trainer.task):
        raise InputError(
            "this model was trained on another text or task (its characters or words differ from "
            "this page's): choose the same text and settings it was saved with"
        )
    try:
        history = [LogRow(**row) for row in extra.get("history", [])]
        step, seconds = int(extra.get("step", 0)), float(extra.get("seconds", 0.0))
    except (TypeError, ValueError):
        raise InputError("the training history in this file is damaged: save the model again") from None
    trainer.model.load_state_dict(model.state_dict())
    trainer._optimizer = None  # Adam's moments are not saved: it starts afresh from these weights
    trainer.step, trainer.seconds, trainer.history = step, seconds, history
    trainer.diverged = None
    trainer.checkpoints = []
    trainer._checkpoint()
    return step
