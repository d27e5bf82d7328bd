"""A long job holding one training slot (lesson 7's comparison, lesson 4's lag measurements, lesson
6's race) takes turns like a Train click: another student waiting for the slot gets it within a
turn, not after the whole job."""

import threading
import time

from rnnviz.model import ModelConfig, SeqModel
from rnnviz.slots import TurnTaking
from rnnviz.tasks.adding import Adding
from rnnviz.train import TrainConfig, Trainer, between_steps


def _trainer():
    task = Adding(lag=5)
    model = SeqModel(ModelConfig.for_task(task, cell="rnn_tanh", hidden_size=4, seed=0))
    return Trainer(model, task, TrainConfig(batch_size=4, log_every=1, checkpoint_every=0))


def _race(slots: TurnTaking) -> tuple[int, int]:
    """(steps the long job had made when the other student got the slot, steps in the whole job)."""
    job, steps, got = _trainer(), 400, []
    holding = threading.Event()

    def long_job():
        with slots:
            holding.set()
            # three trainings under one held slot, none given a between hook (as compare_attention)
            for _ in range(4):
                job.run(steps // 4, 60, callback=lambda tr, row: time.sleep(0.001))

    def student():
        holding.wait(5)
        with slots:
            got.append(job.step)

    threads = [threading.Thread(target=long_job), threading.Thread(target=student)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return got[0], steps


def test_a_with_block_takes_turns_when_built_with_turns():
    at, total = _race(TurnTaking(1, turn_seconds=0.05))
    assert at < total  # the waiting student trained before the long job had finished


def test_without_turns_the_holder_keeps_the_slot_to_the_end():
    at, total = _race(TurnTaking(1))
    assert at == total


def test_an_explicit_between_hook_wins_and_the_ambient_hook_is_restored():
    calls = []
    tr = _trainer()
    with between_steps(lambda: calls.append("ambient")):
        tr.run(3, 60, between=lambda: calls.append("own"))
        assert calls == ["own", "own"]  # after every step but the last
        with between_steps(None):
            tr.run(2, 60)
        assert calls == ["own", "own"]
        tr.run(2, 60)
    tr.run(2, 60)
    assert calls == ["own", "own", "ambient"]
