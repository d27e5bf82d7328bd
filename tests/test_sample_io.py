"""Sampling is seeded and well-formed; saved models round-trip and strangers' files are refused."""

import pickle

import numpy as np
import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.io import load_bytes, save_bytes
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.sample import distribution, next_distribution, sample, surprisal
from rnnviz.tasks.charlm import CharLM

TEXT = "hello world, hello rnn. " * 20


@pytest.fixture(scope="module")
def lm():
    task = CharLM(text=TEXT, seq_len=16)
    model = SeqModel(ModelConfig.for_task(task, cell="gru", hidden_size=16, seed=1))
    return task, model


def test_sample_is_deterministic_per_seed_and_starts_with_the_prime(lm):
    task, model = lm
    a = sample(model, task, prime="hel", length=30, temperature=0.8, seed=3)
    b = sample(model, task, prime="hel", length=30, temperature=0.8, seed=3)
    c = sample(model, task, prime="hel", length=30, temperature=0.8, seed=4)
    assert a.text == b.text and a.text != c.text
    assert a.text.startswith("hel") and len(a.text) == 33
    assert a.probs.shape == (30, task.output_size)
    np.testing.assert_allclose(a.probs.sum(-1), 1.0, rtol=1e-5)


def test_temperature_and_top_k_shape_the_distribution():
    z = torch.tensor([2.0, 1.0, 0.0, -1.0])
    cold, hot = distribution(z, 0.1), distribution(z, 10.0)
    assert cold[0] > 0.99 and hot.max() - hot.min() < 0.1
    top2 = distribution(z, 1.0, top_k=2)
    assert (top2[2:] == 0).all() and top2[:2].sum() == pytest.approx(1.0)
    torch.testing.assert_close(top2[:2], torch.softmax(z[:2], -1))


def test_next_distribution_and_surprisal_agree(lm):
    task, model = lm
    ids = task.encode("hello")
    p = next_distribution(model, ids)
    bits = surprisal(model, ids)
    np.testing.assert_allclose(bits, -np.log2(p[np.arange(4), ids[1:].numpy()]), rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"prime": "hé€"}, "é"),
        ({"temperature": 0.0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_k": -1}, "top-k"),
        ({"length": 0}, "length"),
    ],
)
def test_bad_sampling_input_says_what_is_wrong(lm, kwargs, message):
    task, model = lm
    with pytest.raises(InputError, match=message):
        sample(model, task, **{"prime": "h", **kwargs})


def test_saved_model_round_trips_with_its_config_and_extra(lm):
    task, model = lm
    data = save_bytes(model, extra={"vocab": "".join(task.vocab)})
    again, extra = load_bytes(data)
    assert again.cfg == model.cfg and extra["vocab"] == "".join(task.vocab)
    for (k, v), (_, w) in zip(model.state_dict().items(), again.state_dict().items(), strict=True):
        torch.testing.assert_close(v, w, msg=k)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a model at all",
        pickle.dumps({"weight": torch.zeros(2)}),
        torch.zeros(3).numpy().tobytes() * 10,
    ],
)
def test_files_that_are_not_rnnviz_models_are_refused_without_unpickling(data):
    with pytest.raises(InputError):
        load_bytes(data)


def test_a_truncated_model_file_is_refused(lm):
    _, model = lm
    data = save_bytes(model)
    with pytest.raises(InputError, match="damaged"):
        load_bytes(data[: len(data) - 40])


def _trainer(text=TEXT, hidden=16, seed=1):
    from rnnviz.train import TrainConfig, Trainer

    task = CharLM(text=text, seq_len=16)
    model = SeqModel(ModelConfig.for_task(task, cell="gru", hidden_size=hidden, seed=seed))
    return Trainer(
        model, task, TrainConfig(lr=1e-2, batch_size=4, seed=seed, log_every=5, checkpoint_every=10)
    )


def test_a_saved_trainer_restores_weights_step_and_history_and_trains_on():
    from rnnviz.io import restore_trainer, save_trainer_bytes

    a = _trainer()
    a.run(20, 60.0)
    data = save_trainer_bytes(a)
    b = _trainer(seed=2)  # other initial weights: restoring must overwrite them
    assert restore_trainer(b, data) == 20
    assert b.step == 20 and [r.loss for r in b.history] == [r.loss for r in a.history]
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    loss_before = b.history[-1].loss
    b.run(30, 60.0)
    assert b.step == 50 and b.history[-1].loss < loss_before


def test_restoring_into_other_settings_or_another_text_says_what_differs():
    from rnnviz.io import restore_trainer, save_trainer_bytes

    data = save_trainer_bytes(_trainer())
    with pytest.raises(InputError, match="hidden_size = 16"):
        restore_trainer(_trainer(hidden=8), data)
    other = "abcdefghijk" * 40  # as many distinct characters as TEXT: the same sizes, other meanings
    assert len(set(other)) == len(set(TEXT))
    with pytest.raises(InputError, match="another text"):
        restore_trainer(_trainer(text=other), data)
    with pytest.raises(InputError):
        restore_trainer(_trainer(), pickle.dumps({"weights": 1}))
