"""The one declared schema of a saved model file, checked before anything in the file is used.

A model file comes from a stranger's upload, so every byte of it is untrusted. Layout (safetensors):
8 bytes little-endian N, then N bytes of JSON header, then the raw tensor bytes::

    {"__metadata__": {"format": "rnnviz-model-1",
                      "config": "{\"cell\": \"gru\", \"hidden_size\": 16, ...}",   # ModelConfig as JSON
                      "extra": "{\"task\": \"3f2a...\", \"step\": 20, \"history\": [...]}"},
     "layers.0.rnn.weight_ih_l0": {"dtype": "F32", "shape": [48, 12], "data_offsets": [0, 2304]},
     ...}

:func:`read_header` parses and validates all of it with pydantic (strict types, every number in a
range, every string and list bounded, unknown fields refused) and answers any failure with one
InputError naming the field. Bounds, so a crafted file costs at most a few MB and milliseconds
before it is refused: header <= MAX_HEADER_BYTES, at most MAX_TENSORS tensors, float32 only, at
most 4 dimensions each; the weights themselves are counted by the caller against the config.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rnnviz.cells import CELLS
from rnnviz.errors import InputError
from rnnviz.model import HEADS, MAX_HIDDEN, MAX_LAYERS, ModelConfig

FORMAT = "rnnviz-model-1"
MAX_HEADER_BYTES = 8_000_000  # a 60 s lesson-3 run logs ~600 history rows: ~100 kB
MAX_TENSORS = 256  # 8 layers x 2 directions x 4 tensors + embedding + head is ~70
MAX_HISTORY_ROWS = 200_000
MAX_STEPS = 10**9
SEED_MAX = 2**63 - 1  # torch.manual_seed takes a signed 64-bit integer
NOT_SAFETENSORS = "this is not a safetensors file: save a model from rnnviz and upload that file"

Count = Annotated[int, Field(ge=0, le=MAX_STEPS)]
Seconds = Annotated[float, Field(ge=0.0, le=1e9, allow_inf_nan=False)]
Value = float  # a logged loss or norm: NaN and inf are what a diverged run logs


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ConfigSchema(Strict):
    """Every field of :class:`rnnviz.model.ModelConfig`, with its type and range."""

    cell: str
    input_kind: Literal["tokens", "vectors"]
    input_size: Annotated[int, Field(ge=1, le=100_000)]
    output_size: Annotated[int, Field(ge=1, le=100_000)]
    head: str
    loss_kind: Literal["ce", "mse"]
    hidden_size: Annotated[int, Field(ge=1, le=MAX_HIDDEN)]
    num_layers: Annotated[int, Field(ge=1, le=MAX_LAYERS)]
    bidirectional: bool
    embed_dim: Annotated[int, Field(ge=0, le=MAX_HIDDEN)]
    pyramid: bool
    forget_bias: Annotated[float, Field(ge=-100.0, le=100.0, allow_inf_nan=False)]
    seed: Annotated[int, Field(ge=0, le=SEED_MAX)]

    @field_validator("cell")
    @classmethod
    def known_cell(cls, value: str) -> str:
        if value not in CELLS:
            raise ValueError(f"not one of the cells rnnviz knows ({', '.join(sorted(CELLS))})")
        return value

    @field_validator("head")
    @classmethod
    def known_head(cls, value: str) -> str:
        if value not in HEADS:
            raise ValueError(f"not one of {', '.join(HEADS)}")
        return value


class HistoryRow(Strict):
    """One row of :class:`rnnviz.train.LogRow`."""

    step: Count
    loss: Value
    grad_norm: Value
    grad_norm_clipped: Value
    seconds: Seconds
    metrics: Annotated[dict[Annotated[str, Field(max_length=40)], Value], Field(max_length=16)] = {}


class ExtraSchema(Strict):
    """What travels beside the weights: where training stood (``save_trainer_bytes``), a vocabulary."""

    task: Annotated[str, Field(max_length=64)] | None = None  # rnnviz.io.task_fingerprint
    step: Count = 0
    seconds: Seconds = 0.0
    history: Annotated[list[HistoryRow], Field(max_length=MAX_HISTORY_ROWS)] = []
    vocab: Annotated[str, Field(max_length=100_000)] | None = None


class MetadataSchema(Strict):
    format: Literal[FORMAT]
    config: Annotated[str, Field(max_length=10_000)]
    extra: Annotated[str, Field(max_length=MAX_HEADER_BYTES)] = "{}"


class TensorEntry(Strict):
    dtype: Literal["F32"]
    shape: Annotated[list[Annotated[int, Field(ge=0, le=10**8)]], Field(max_length=4)]
    data_offsets: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2)]


@dataclass(frozen=True)
class Header:
    """A validated header: the model's config, the extra, and each tensor's shape by name."""

    config: ModelConfig
    extra: ExtraSchema
    shapes: dict[str, tuple[int, ...]]


def _json(text: bytes | str, what: str):
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(f"the model file's {what} is nested too deeply: the file is damaged") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(
            NOT_SAFETENSORS if what == "header" else f"the model file's {what} is not JSON: it is damaged"
        ) from None


def _validated(schema: type[BaseModel], value, where: str):
    try:
        return schema.model_validate(value)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        field = ".".join(str(part) for part in (where, *first["loc"]) if part != "")
        raise InputError(f"the model file's {field} is not valid: {first['msg']}") from None


def read_header(data: bytes) -> Header:
    """The file's header, validated against the schema above; InputError naming the field if not."""
    if len(data) < 8:
        raise InputError("this file is too short to be a saved rnnviz model (.safetensors)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8 or n > MAX_HEADER_BYTES:
        raise InputError(NOT_SAFETENSORS)
    header = _json(data[8 : 8 + n], "header")
    if not isinstance(header, dict):
        raise InputError(NOT_SAFETENSORS)
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError("this safetensors file was not saved by rnnviz (no rnnviz config inside)")
    meta = _validated(MetadataSchema, meta, "metadata")
    config = _validated(ConfigSchema, _json(meta.config, "config"), "config")
    extra = _validated(ExtraSchema, _json(meta.extra, "extra"), "extra")
    entries = {name: entry for name, entry in header.items() if name != "__metadata__"}
    if len(entries) > MAX_TENSORS:
        raise InputError(
            f"the model file holds {len(entries)} tensors (at most {MAX_TENSORS}): it is damaged"
        )
    shapes = {}
    for name, entry in entries.items():
        if len(name) > 200:
            raise InputError("the model file names a tensor with over 200 characters: it is damaged")
        shapes[name] = tuple(_validated(TensorEntry, entry, f"tensor {name[:60]!r}").shape)
    return Header(config=ModelConfig(**config.model_dump()), extra=extra, shapes=shapes)
