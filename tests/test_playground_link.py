"""The Playground's training in its link: ticks of any length, Step presses and compared runs
replayed from the recorded ends give the same weights, history, checkpoints and probes."""

import torch

from rnnviz.playground import PlaygroundConfig, compare_runs, decode, encode
from rnnviz.playground.session import GRID, Playground
from rnnviz.store import format_runs

SMALL = PlaygroundConfig(task="copy", lag=5, length=2, n_symbols=3, hidden_size=8)


def _same(a: Playground, b: Playground) -> None:
    for x, y in zip(a.runs, b.runs, strict=True):
        assert x.step == y.step
        for (name, p), q in zip(
            x.trainer.model.state_dict().items(), y.trainer.model.state_dict().values(), strict=True
        ):
            assert torch.equal(p, q), name
        assert [(r.step, r.loss, r.metrics) for r in x.trainer.history] == [
            (r.step, r.loss, r.metrics) for r in y.trainer.history
        ]
        assert [s for s, _ in x.trainer.checkpoints] == [s for s, _ in y.trainer.checkpoints]
        assert x.probe.steps == y.probe.steps


def test_ticks_and_steps_replay_bit_for_bit_and_the_link_stays_short():
    pg = Playground.build(compare_runs(SMALL, {"cell": "gru"}))
    pg.tick(0.05)  # the first tick: one step, then time-bounded chunks
    for seconds in (0.03, 0.11, 0.07):
        pg.tick(seconds)
    pg.step_batch()
    pg.step_batch()
    pg.tick(0.05)
    trained = pg.trained()
    # only the ends off the grid are listed: the first step, the two Step presses, the last step
    assert all(len(runs) <= 4 for runs in trained), trained
    assert trained[0][-1][0] == pg.runs[0].step and pg.runs[0].step % GRID == 0
    again = Playground.build(pg.configs)
    again.replay(trained)
    _same(pg, again)
    # and training on from there stays in step with the original
    pg.step_batch()
    again.step_batch()
    _same(pg, again)


def test_the_url_carries_each_runs_training_and_refuses_bad_values_with_a_warning():
    configs = compare_runs(SMALL, {"cell": "gru"})
    params = encode(configs, trained=(((1, False), (40, False)), ((1, False), (40, False))))
    assert params["trained"] == "1,40" and params["b_trained"] == "1,40"
    link = decode(params)
    assert link.trained == (((1, False), (40, False)), ((1, False), (40, False)))
    assert link.warnings == ()
    bad = decode({**params, "trained": "40,1", "b_trained": "999999999"})
    assert bad.trained == ((), ())
    assert len(bad.warnings) == 2 and all("trained" in w for w in bad.warnings)
    assert decode(encode(configs)).trained == ((), ())
    assert format_runs(link.trained[0]) == "1,40"


class _Stop(Exception):
    """Stands in for Streamlit's stop, raised between two steps (Pause, a closed tab)."""


def test_a_run_stopped_between_two_steps_still_replays_bit_for_bit():
    from rnnviz.train import between_steps

    pg = Playground.build((SMALL,))
    pg.tick(0.05)
    calls = {"n": 0}

    def stop_at_the_seventh() -> None:
        calls["n"] += 1
        if calls["n"] == 7:
            raise _Stop

    with between_steps(stop_at_the_seventh):
        try:
            pg.tick(5.0)
        except _Stop:
            pass
    stopped = pg.runs[0].step
    assert stopped % GRID and pg.trained()[0][-1] == (stopped, True)  # recorded as cut there
    pg.tick(0.05)  # and on from there
    again = Playground.build(pg.configs)
    again.replay(pg.trained())
    _same(pg, again)
