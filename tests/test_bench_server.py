"""The pure helpers of the server benchmark (bench/_live.py) and its page tables; no timing."""

import numpy as np
import pytest

import course
from bench import _live, server

STATUS = """Name:\tpython
VmPeak:\t 1234567 kB
VmHWM:\t  604112 kB
VmRSS:\t  512000 kB
RssAnon:\t  400000 kB
"""


@pytest.mark.parametrize("q", [0, 10, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy(q):
    values = [3.2, 0.4, 7.5, 1.1, 2.0, 9.9, 4.4]
    assert _live.percentile(values, q) == pytest.approx(np.percentile(values, q))


def test_percentile_of_one_value_and_of_none():
    assert _live.percentile([2.5], 95) == 2.5
    with pytest.raises(ValueError):
        _live.percentile([], 50)


def test_summary():
    assert _live.summary([1.0, 2.0, 3.0, 4.0, 5.0]) == {"median": 3.0, "p95": 4.8, "max": 5.0}
    assert _live.summary([]) == {"median": None, "p95": None, "max": None}


def test_status_kib_reads_the_field_asked_for():
    assert _live.status_kib(STATUS, "VmRSS") == 512000
    assert _live.status_kib(STATUS, "VmHWM") == 604112  # not VmPeak, not RssAnon
    with pytest.raises(ValueError):
        _live.status_kib(STATUS, "VmSwap")


def test_parent_pid_survives_a_command_name_with_spaces_and_parentheses():
    assert _live.parent_pid("4242 (python) S 17 4242 1 0 -1") == 17
    assert _live.parent_pid("4243 (my (odd) name) R 4242 4243 1 0") == 4242


def test_descendants_walk_the_whole_tree():
    parents = {1: 0, 10: 1, 11: 10, 12: 10, 13: 11, 20: 1, 30: 99}
    assert _live.descendants(parents, 10) == [11, 12, 13]
    assert _live.descendants(parents, 13) == []


def test_cpu_seconds_adds_user_and_system_time():
    stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 130 0 0 20 0 9 0 100"
    assert _live.cpu_seconds(stat) == pytest.approx(3.8)  # (250 + 130) ticks of 1/100 s
    assert _live.cpu_seconds(stat, ticks_per_second=1000) == pytest.approx(0.38)


def test_largest_n_under_stops_at_the_first_n_over_the_limit():
    assert _live.largest_n_under({1: 0.4, 5: 2.0, 10: 7.5}, 5.0) == 5
    assert _live.largest_n_under({10: 1.0, 1: 0.4, 5: 6.0}, 5.0) == 1  # 10 after a failed 5 does not count
    assert _live.largest_n_under({1: 5.0}, 5.0) == 0
    assert _live.largest_n_under({1: 0.5, 5: None}, 5.0) == 1  # None: some session did not finish


def test_mb_converts_mebibytes():
    assert _live.mb(572.2) == 600.0
    assert _live.mb(1) == 1.0


def test_every_page_has_a_widget_and_every_training_page_a_way_to_tell_it_finished():
    paths = {lesson.url_path for lesson in course.LESSONS}
    assert set(server.WIDGETS) == paths
    assert set(server.TRAIN) <= paths
    assert server.CONCURRENT_PAGE in server.TRAIN
    for spec in server.TRAIN.values():
        assert (spec.play_seconds > 0) != bool(spec.done), spec


# --- bench/textboxes.py: a submit at each box's cap ------------------------------------------------


def test_the_text_box_bench_submits_each_cap_exactly():
    from bench import textboxes
    from rnnviz.lessons.charlm import MAX_SCORED
    from rnnviz.seq2seq.dates import MAX_TYPED_WORDS, WORDS
    from rnnviz.tasks.base import MAX_TEXT_CHARS

    class Box:  # what the bench reads of a text box: the text it starts with
        def input_value(self) -> str:
            return "ab\ncd"

    paste, scored, date = (box.text(Box()) for box in textboxes.boxes())
    assert len(paste) == MAX_TEXT_CHARS and paste.count("\n") > 1000 and len(set(paste)) < 40
    assert scored == ("ab cd " * MAX_SCORED)[:MAX_SCORED]
    assert date == "x" * (2 * MAX_TYPED_WORDS * (max(map(len, WORDS)) + 1)) == "x" * 384  # page 7's cap


def test_the_text_box_limits_are_the_issues():
    from bench import textboxes

    row = {"rss_added_mb": 399.9, "other_waited_extra_s": 1.99}
    assert textboxes.within_limits(row)
    assert not textboxes.within_limits({**row, "rss_added_mb": 400.0})
    assert not textboxes.within_limits({**row, "other_waited_extra_s": 2.0})


# --- bench/_served.py: the memory probe's walk -----------------------------------------------------


def test_the_probe_counts_each_tensor_storage_once_and_only_what_is_new():
    import torch

    from bench import _served

    t = torch.zeros(1000)  # 4,000 bytes
    seen, storages, skip = {}, set(), _served._SKIP
    python, tensors = _served.walk({"a": t, "b": t[10:], "c": [t]}, seen, skip, storages)
    assert tensors == 4000 and python > 0
    assert _served.walk({"again": t}, seen, skip, storages)[1] == 0  # shared: counted by the first
    assert _served.walk({"new": torch.ones(10)}, seen, skip, storages)[1] == 40


def test_the_names_a_page_namespace_keeps_are_those_its_functions_look_up():
    from bench import _served

    space: dict = {"__file__": "app_pages/99_x.py", "P": "l99_", "big": list(range(10))}
    exec("def label(x):\n    return P + str(x)\nf = lambda: [P for _ in ()]", space)
    assert _served.names_used(space) >= {"P", "str"} and "big" not in _served.names_used(space)
