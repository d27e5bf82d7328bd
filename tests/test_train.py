"""The trainer learns, stops on budget, reports divergence, continues and checkpoints."""

import dataclasses

import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks.adding import Adding
from rnnviz.train import TrainConfig, Trainer


def _trainer(cell="lstm", lag=10, seed=0, **train):
    task = Adding(lag=lag)
    model = SeqModel(ModelConfig.for_task(task, cell=cell, hidden_size=32, forget_bias=1.0, seed=seed))
    cfg = TrainConfig(**{"lr": 1e-2, "batch_size": 64, "seed": seed, "log_every": 50, **train})
    return Trainer(model, task, cfg)


def test_lstm_learns_the_adding_problem_at_lag_10():
    """Always answering 1.0 scores MSE 1/6 = 0.167; 400 Adam steps get the LSTM below 0.01."""
    trainer = _trainer(eval_batches=4)
    result = trainer.run(max_steps=400, max_seconds=120)
    assert result.status == "done" and trainer.step == 400
    assert trainer.history[-1].metrics["val_loss"] < 0.01 < Adding.baseline_mse


def test_same_seed_same_numbers_and_continuing_equals_one_long_run():
    a, b, c = _trainer(log_every=5), _trainer(log_every=5), _trainer(log_every=5)
    a.run(30, 60)
    b.run(30, 60)
    c.run(15, 60)
    c.run(15, 60)
    losses = [[r.loss for r in t.history] for t in (a, b, c)]
    assert losses[0] == losses[1] == losses[2]
    other = _trainer(seed=1, log_every=5)
    other.run(30, 60)
    assert [r.loss for r in other.history] != losses[0]


def test_time_budget_stops_the_run_and_training_continues():
    trainer = _trainer()
    result = trainer.run(max_steps=10**6, max_seconds=0.3)
    assert result.status == "budget" and 0 < result.steps < 10**6
    again = trainer.run(max_steps=3, max_seconds=60)
    assert again.status == "done" and trainer.step == result.steps + 3


def test_divergence_is_reported_not_raised_and_clipping_prevents_it():
    task = Adding(lag=20)
    cfg = ModelConfig.for_task(task, cell="rnn_relu", hidden_size=32, seed=0)

    def run(clip):
        model = SeqModel(cfg)
        with torch.no_grad():  # an exploding recurrence: W_hh with spectral radius 3
            for layer in model.layers:
                w = layer.params()["weight_hh"]
                w.mul_(3.0 / torch.linalg.eigvals(w).abs().max())
        trainer = Trainer(model, task, TrainConfig(optimizer="sgd", lr=0.5, clip=clip, log_every=1))
        return trainer, trainer.run(200, 60)

    raw, result = run(clip=None)
    assert result.status == "diverged"
    assert result.message.startswith(f"diverged at step {raw.step}: gradient norm")
    assert raw.run(5, 5).status == "diverged"  # stays stopped until reset, no exception
    clipped, result = run(clip=1.0)
    assert result.status == "done"
    assert all(r.grad_norm_clipped <= 1.0 + 1e-6 for r in clipped.history)
    assert max(r.grad_norm for r in clipped.history) > 1.0  # clipping did something


def test_checkpoints_restore_earlier_weights():
    trainer = _trainer(checkpoint_every=10)
    first = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.run(30, 60)
    assert [s for s, _ in trainer.checkpoints] == [0, 10, 20, 30]
    assert trainer.load_checkpoint(0) == 0
    for k, v in trainer.model.state_dict().items():
        torch.testing.assert_close(v, first[k])


def test_model_at_is_a_checkpoint_copy_in_eval_mode_and_never_moves():
    """float64: the copy holds exactly the checkpoint's weights; the trainer and its model do not change."""
    task = Adding(lag=5)
    model = SeqModel(ModelConfig.for_task(task, cell="gru", hidden_size=8, num_layers=2, seed=1)).double()
    trainer = Trainer(model, task, TrainConfig(lr=0.05, batch_size=16, log_every=5, checkpoint_every=10))
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    trainer.run(20, 60)
    saved = [(s, {k: v.clone() for k, v in state.items()}) for s, state in trainer.checkpoints]
    live = {k: v.clone() for k, v in model.state_dict().items()}
    assert [s for s, _ in saved] == [0, 10, 20] and model.training
    first, middle, last = trainer.model_at(0), trainer.model_at(step=10), trainer.model_at(-1)
    for copy, state in ((first, initial), (middle, saved[1][1]), (last, live)):
        assert not copy.training and copy is not model
        assert all(p.grad is None for p in copy.parameters())
        for k, v in copy.state_dict().items():
            assert v.dtype == torch.float64 and torch.equal(v, state[k]), k
    assert not torch.equal(first.state_dict()["head.weight"], last.state_dict()["head.weight"])
    # the trainer did not move: same model, weights, mode, step and checkpoints
    assert trainer.model is model and model.training and trainer.step == 20
    for k, v in model.state_dict().items():
        assert torch.equal(v, live[k]), k
    # training on changes neither the copies nor the checkpoints they came from
    trainer.run(10, 60)
    assert not torch.equal(model.state_dict()["head.weight"], live["head.weight"])
    for k, v in first.state_dict().items():
        assert torch.equal(v, initial[k]), k
    for (s, state), (s0, state0) in zip(trainer.checkpoints, saved, strict=False):
        assert s == s0 and all(torch.equal(state[k], state0[k]) for k in state)
    # and changing a copy changes nothing else
    with torch.no_grad():
        next(first.parameters()).add_(1.0)
    assert all(torch.equal(v, initial[k]) for k, v in trainer.checkpoints[0][1].items())


def test_model_at_refuses_checkpoints_that_do_not_exist():
    trainer = _trainer(checkpoint_every=10)
    trainer.run(20, 60)
    for bad in (3, -4, 1.0, True):
        with pytest.raises(InputError, match="does not exist"):
            trainer.model_at(bad)
    with pytest.raises(InputError, match=r"no checkpoint at step 15.*\[0, 10, 20\]"):
        trainer.model_at(step=15)
    with pytest.raises(InputError, match="no checkpoints"):
        _trainer(checkpoint_every=0).model_at(0)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("lr", float("nan"), "learning rate"),
        ("lr", -0.1, "learning rate"),
        ("lr", 1e6, "far too large"),
        ("batch_size", 0, "batch size"),
        ("clip", 0.0, "clipping"),
        ("optimizer", "rmsprop", "optimizer"),
    ],
)
def test_bad_training_settings_say_what_is_wrong(field, value, message):
    with pytest.raises(InputError, match=message):
        dataclasses.replace(TrainConfig(), **{field: value})


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("hidden_size", 0, "hidden size"),
        ("hidden_size", 10**6, "hidden size"),
        ("cell", "tcn", "unknown cell"),
    ],
)
def test_bad_model_settings_say_what_is_wrong(field, value, message):
    with pytest.raises(InputError, match=message):
        ModelConfig(**{field: value})
