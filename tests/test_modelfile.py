"""Crafted model files: every one is refused with a message naming what is wrong, nothing else escapes.

Each probe below once reached a traceback (issue 15): a header part of the wrong JSON type, a field
of the wrong type or out of range, JSON nested past the decoder's limit, NaN weights, a negative
step, and a tiny file whose config asks for gigabytes.
"""

import dataclasses
import json
import struct

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnnviz.io as io
from rnnviz.errors import InputError
from rnnviz.io import load_bytes, restore_trainer, save_trainer_bytes
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.modelfile import MAX_HEADER_BYTES, ConfigSchema
from rnnviz.tasks.charlm import CharLM
from rnnviz.train import TrainConfig, Trainer

TEXT = "hello world, hello rnnviz. " * 20


def trainer(seed: int = 1) -> Trainer:
    task = CharLM(text=TEXT, seq_len=16)
    model = SeqModel(ModelConfig.for_task(task, cell="gru", hidden_size=8, seed=seed))
    return Trainer(
        model, task, TrainConfig(lr=1e-2, batch_size=4, seed=seed, log_every=5, checkpoint_every=0)
    )


@pytest.fixture(scope="module")
def saved() -> bytes:
    t = trainer()
    t.run(10, 60.0)
    return save_trainer_bytes(t)


def parts(data: bytes) -> tuple[dict, bytes]:
    """(header as JSON, the tensor bytes) of a safetensors file."""
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def assemble(header: dict | list | str, body: bytes, raw: bytes | None = None) -> bytes:
    blob = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(blob)) + blob + body


def with_meta(data: bytes, **changes) -> bytes:
    """``data`` with metadata entries replaced (values are put in as given: str or anything else)."""
    header, body = parts(data)
    header["__metadata__"].update(changes)
    return assemble(header, body)


def with_config(data: bytes, **changes) -> bytes:
    header, _ = parts(data)
    config = json.loads(header["__metadata__"]["config"])
    config.update(changes)
    return with_meta(data, config=json.dumps(config))


def with_extra(data: bytes, **changes) -> bytes:
    header, _ = parts(data)
    extra = json.loads(header["__metadata__"]["extra"])
    extra.update(changes)
    return with_meta(data, extra=json.dumps(extra))


def refusal(data: bytes, restore: bool = True) -> str:
    with pytest.raises(InputError) as err:
        restore_trainer(trainer(), data) if restore else load_bytes(data)
    return str(err.value)


def test_the_saved_file_itself_restores(saved):
    t = trainer(seed=2)
    assert restore_trainer(t, saved) == 10 and len(t.history) == 2


@pytest.mark.parametrize(
    "crafted, field",
    [
        (lambda d: with_meta(d, config="[1, 2]"), "config"),
        (lambda d: with_meta(d, config="7"), "config"),
        (lambda d: with_meta(d, extra="[]"), "extra"),
        (lambda d: with_meta(d, extra="3.5"), "extra"),
        (lambda d: with_meta(d, extra=["not", "a", "string"]), "metadata.extra"),
        (lambda d: with_extra(d, history={"step": 1}), "extra.history"),
        (lambda d: with_extra(d, history=[1, 2]), "extra.history.0"),
        (lambda d: with_config(d, forget_bias="high"), "config.forget_bias"),
        (lambda d: with_config(d, seed=1.5), "config.seed"),
        (lambda d: with_config(d, seed=2**64), "config.seed"),
        (lambda d: with_config(d, hidden_size=True), "config.hidden_size"),
        (lambda d: with_config(d, cell="transformer"), "config.cell"),
        (lambda d: with_config(d, surprise=1), "config.surprise"),
        (lambda d: with_extra(d, step=float("inf")), "extra.step"),
        (lambda d: with_extra(d, step=-5), "extra.step"),
        (lambda d: with_extra(d, seconds=float("nan")), "extra.seconds"),
        (lambda d: with_extra(d, history=[{"step": 1, "loss": 1.0}]), "extra.history.0.grad_norm"),
    ],
)
def test_a_crafted_header_is_refused_naming_the_field(saved, crafted, field):
    message = refusal(crafted(saved))
    assert message.startswith(f"the model file's {field} is not valid"), message


@pytest.mark.parametrize("where", ["config", "extra"])
def test_json_nested_past_the_decoders_limit_is_refused(saved, where):
    deep = "[" * 4_000 + "]" * 4_000  # 8,000 characters: within the config's length cap
    assert "nested too deeply" in refusal(with_meta(saved, **{where: deep}))


def test_a_header_that_is_not_an_object_or_too_long_is_refused(saved):
    _, body = parts(saved)
    for header in ([1, 2], "text", 3):
        assert "not a safetensors file" in refusal(assemble(header, body))
    assert "nested too deeply" in refusal(assemble(None, body, raw=b"[" * 100_000 + b"]" * 100_000))
    huge = struct.pack("<Q", MAX_HEADER_BYTES + 1) + b" " * (MAX_HEADER_BYTES + 1)
    assert "not a safetensors file" in refusal(huge)
    assert "not saved by rnnviz" in refusal(with_meta(saved, format="rnnviz-model-0"))


def test_nan_weights_are_refused_naming_the_tensor(saved):
    t = trainer()
    with torch.no_grad():
        t.model.head.weight[0, 0] = float("nan")
    message = refusal(save_trainer_bytes(t))
    assert "holds NaN or infinite weights" in message and "head.weight" in message


def test_tensors_of_another_dtype_shape_or_name_are_refused(saved):
    header, body = parts(saved)
    name = next(k for k in header if k != "__metadata__")
    for change in ({"dtype": "F64"}, {"dtype": "I64"}):
        bad = json.loads(json.dumps(header))
        bad[name].update(change)
        assert "is not valid" in refusal(assemble(bad, body))
    bad = json.loads(json.dumps(header))
    bad[name + "_extra"] = bad[name]
    assert "do not fit its config" in refusal(assemble(bad, body))
    bad = json.loads(json.dumps(header))
    del bad[name]
    assert "do not fit its config" in refusal(assemble(bad, body))
    bad = json.loads(json.dumps(header))
    bad[name]["shape"] = list(reversed(bad[name]["shape"])) + [1]
    assert "do not fit its config" in refusal(assemble(bad, body))


def test_a_tiny_file_asking_for_gigabytes_is_refused_before_anything_is_built(saved, monkeypatch):
    """hidden 1024 x input 100,000: 1.6 GB of weights. Only meta-device skeletons may be built."""
    built = []

    class Watched(SeqModel):
        def __init__(self, cfg):
            super().__init__(cfg)
            built.append(next(self.parameters()).device.type)

    monkeypatch.setattr(io, "SeqModel", Watched)
    huge = with_config(saved, input_size=100_000, output_size=100_000, hidden_size=1024)
    assert len(huge) < 100_000
    assert "other settings" in refusal(huge)  # restoring: compared with the page before building
    assert built == []
    assert "do not fit its config" in refusal(huge, restore=False)  # on its own: a meta skeleton only
    assert built == ["meta"]


def test_the_schema_declares_every_model_setting():
    """A ModelConfig field without a schema entry would be refused in every saved file."""
    assert set(ConfigSchema.model_fields) == {f.name for f in dataclasses.fields(ModelConfig)}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(where=st.sampled_from(["config", "extra"]), key=st.text(max_size=20), value=json_values)
def test_any_json_in_the_config_or_extra_loads_or_is_refused(saved, where, key, value):
    header, _ = parts(saved)
    inner = json.loads(header["__metadata__"][where])
    crafted = json.dumps({**inner, key: value}) if key else json.dumps(value)
    try:
        restore_trainer(trainer(), with_meta(saved, **{where: crafted}))
    except InputError:
        pass


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_mutation_of_a_real_file_loads_or_is_refused(saved, data):
    kind = data.draw(st.sampled_from(["truncate", "flip", "length"]))
    raw = bytearray(saved)
    if kind == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    else:
        raw[:8] = struct.pack("<Q", data.draw(st.integers(0, 2**64 - 1)))
    try:
        load_bytes(bytes(raw))
    except InputError:
        pass
