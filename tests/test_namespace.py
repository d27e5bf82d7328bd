"""ui/namespace.py: a finished page's namespace keeps exactly what its functions can still look up."""

import gc
import weakref

from ui import namespace

PAGE = """
import math

class Big:
    pass

big = Big()            # only the top level uses it: dropped
table = [big] * 3      # likewise
scale = 2.0            # read by a callback: kept
offset = 1.0           # read by a lambda only: kept
label = lambda x: f"{x + offset:.1f}"


def on_change():
    return scale * math.pi + helper()


def helper():
    class Inner:
        def value(self):
            return deep   # a name used three levels down is still seen
    return Inner().value()


deep = 3.0
total = on_change() + len(table)
"""


def _run(tmp_path) -> dict:
    path = tmp_path / "07_page.py"
    path.write_text(PAGE)
    space = {"__file__": str(path), "__name__": "__main__"}
    exec(compile(PAGE, str(path), "exec"), space)
    return space


def test_prune_drops_what_only_the_top_level_used_and_callbacks_still_work(tmp_path):
    space = _run(tmp_path)
    big = weakref.ref(space["big"])
    on_change, label = space["on_change"], space["label"]  # what a widget holds (Streamlit keeps them)
    dropped = namespace.prune(space)
    # the names nothing nested looks up, the held functions' own names included
    assert {"big", "table", "total", "Big", "label", "on_change"} & set(space) == set()
    assert dropped == 6
    assert {"math", "scale", "offset", "helper", "deep"} <= set(space)
    assert on_change() == 2.0 * 3.141592653589793 + 3.0  # callbacks see what they need
    assert label(1) == "2.0"
    assert space["__file__"].endswith("07_page.py") and "__builtins__" in space
    gc.collect()
    assert big() is None  # the value is freed, not merely unnamed


def test_remember_then_take_hands_over_once_and_ignores_non_files(tmp_path):
    space = _run(tmp_path)
    namespace.remember({"__file__": None})  # not a page file: nothing noted
    assert namespace.take() is None
    namespace.remember(space)
    assert namespace.take() is space
    assert namespace.take() is None  # taken once; this thread keeps no reference


def test_a_namespace_without_a_readable_file_is_left_whole(tmp_path):
    space = {"__file__": str(tmp_path / "gone.py"), "x": 1}
    assert namespace.prune(space) == 0 and space["x"] == 1
