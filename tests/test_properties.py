"""Random text and settings into the backend's entry points: InputError or a result, nothing else."""

import math

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnviz.errors import InputError
from rnnviz.io import load_bytes
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.sample import sample
from rnnviz.tasks.charlm import CharLM
from rnnviz.tasks.corpora import decode_upload
from rnnviz.trace import trace
from rnnviz.train import TrainConfig, Trainer

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
numbers = st.one_of(
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, 16, 1024, 1025, 1.5, True]),
)


@FAST
@given(text=st.text(max_size=300), seq_len=st.integers(-5, 400), prime=st.text(max_size=8))
def test_any_text_trains_and_samples_or_says_why(text, seq_len, prime):
    try:
        task = CharLM(text=text, seq_len=seq_len)
    except InputError:
        return
    model = SeqModel(ModelConfig.for_task(task, cell="gru", hidden_size=4))
    result = Trainer(model, task, TrainConfig(batch_size=2, checkpoint_every=0)).run(2, 5.0)
    assert result.status in ("done", "budget")
    try:
        out = sample(model, task, prime=prime, length=5, seed=0)
    except InputError:
        assert prime and any(ch not in task.vocab for ch in prime)
        return
    assert out.text.startswith(prime)
    tr = trace(model, task.encode(text[: min(len(text), 30)]), jacobians=False)
    assert all(math.isfinite(v) for v in tr.layer(0).grad_h_norm)


@FAST
@given(data=st.binary(max_size=400))
def test_any_upload_decodes_or_says_why(data):
    try:
        text = decode_upload(data)
    except InputError as err:
        assert str(err)
        return
    assert isinstance(text, str) and "\r" not in text


@FAST
@given(data=st.binary(max_size=400))
def test_any_bytes_as_a_model_file_are_refused_politely(data):
    try:
        load_bytes(data)
    except InputError:
        return
    raise AssertionError("random bytes loaded as a model")


@FAST
@given(hidden=numbers, layers=numbers, embed=numbers, lr=numbers, batch=numbers, clip=numbers)
def test_any_settings_build_a_model_or_say_why(hidden, layers, embed, lr, batch, clip):
    try:
        cfg = ModelConfig(
            cell="lstm", input_size=5, output_size=5, hidden_size=hidden, num_layers=layers, embed_dim=embed
        )
        tcfg = TrainConfig(lr=lr, batch_size=batch, clip=clip)
    except InputError:
        return
    if cfg.hidden_size * cfg.num_layers <= 2048:
        model = SeqModel(cfg)
        logits, _ = model(torch.zeros(1, 3, dtype=torch.long))
        assert logits.shape == (1, 3, 5) and tcfg.lr > 0
