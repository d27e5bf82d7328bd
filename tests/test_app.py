"""AppTest: the router, the home page and every page in app_pages/ run without an error."""

import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import APP, APPTEST_TIMEOUT, page_files
from streamlit.source_util import page_icon_and_name
from streamlit.testing.v1 import AppTest

import course


def error_texts(at: AppTest) -> list[str]:
    """What a student would see go wrong: exception boxes and st.error boxes."""
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def test_home_renders_the_map_of_existing_lessons(open_app):
    at = open_app()
    assert error_texts(at) == []
    assert at.title[0].value.startswith("rnnviz")
    expected = [lesson for lesson in course.available() if lesson.file != course.HOME_FILE]
    links = at.get("page_link")
    # first the suggested lesson (nothing done yet: the first one), then the map of every lesson
    assert [(link.proto.label, link.proto.page) for link in links] == [
        (lesson.title, lesson.url_path) for lesson in expected[:1] + expected
    ]
    summaries = {caption.value for caption in at.caption}
    assert {lesson.summary for lesson in expected} <= summaries


def test_sidebar_seed_defaults_to_zero_and_is_shared(open_app):
    at = open_app()
    seed = at.sidebar.number_input(key="seed")
    assert seed.value == 0
    assert at.session_state["seed"] == 0
    seed.set_value(42).run()
    assert error_texts(at) == []
    assert at.session_state["seed"] == 42


def test_home_shows_progress_and_suggests_the_first_lesson_not_done(open_app):
    at = AppTest.from_file(str(APP), default_timeout=APPTEST_TIMEOUT)
    checked = [x for x in course.available() if x.file != course.HOME_FILE and x.section != "Playground"]
    at.session_state["lessons_done"] = {checked[0].file, checked[2].file}
    at.run()
    assert error_texts(at) == []
    assert at.metric[0].value == f"2 of {len(checked)}"
    first = at.get("page_link")[0].proto
    assert (first.label, first.page) == (checked[1].title, checked[1].url_path)  # the first one not done
    marked = [link.proto.label for link in at.get("page_link")[1:] if "done" in link.proto.label]
    assert marked == [
        checked[0].title + " :material/check_circle: done",
        checked[2].title + " :material/check_circle: done",
    ]
    at.session_state["lessons_done"] = {x.file for x in checked}
    at.run()
    assert (
        at.metric[0].value == f"{len(checked)} of {len(checked)}"
        and "Every lesson done" in at.success[0].value
    )


def test_a_link_carries_seed_and_presenter_mode_and_the_sidebar_shows_it(open_url):
    at = open_url("02_elman_rnn.py", {"seed": "7", "present": "true"})
    assert error_texts(at) == []
    assert at.session_state["seed"] == 7 and at.session_state["present"] is True
    link = [c.value for c in at.sidebar.code]
    assert (
        len(link) == 1
        and link[0].startswith("/elman-rnn?")
        and "seed=7" in link[0]
        and "present=true" in link[0]
    )
    # presenter mode: the larger type is on the page, and "What you will learn" folds into an expander
    assert any("font-size: 20px" in h.proto.body for h in at.get("html"))
    assert "What you will learn" in [e.label for e in at.expander]
    plain = open_url("02_elman_rnn.py", {})
    assert not any("font-size: 20px" in h.proto.body for h in plain.get("html"))
    assert "What you will learn" not in [e.label for e in plain.expander]


def test_the_link_follows_a_setting_put_back_by_the_page(open_url):
    """Scale 3, then Restore: the slider, the URL and the offered link all say scale 1 (the default)."""
    at = open_url("02_elman_rnn.py", {"l2_scale": "3"})
    assert at.slider(key="l2_scale").value == 3.0
    assert "l2_scale=3" in at.sidebar.code[0].value
    at.button(key="l2_restore").click().run()
    assert error_texts(at) == []
    assert at.slider(key="l2_scale").value == 1.0 and "l2_scale" not in at.query_params
    assert "l2_scale" not in at.sidebar.code[0].value


def test_the_link_says_what_the_widget_holds_when_the_runs_address_lags_behind(open_url):
    """Quick key presses coalesce into one run whose address predates the last press (the slider
    holds 1.5, the run's query says 1.45, and Streamlit writes a bound value into the URL only when
    it is missing): the offered link takes the widget's value (ui.links.live_params). AppTest's
    query params stand for the browser's address bar as the run was asked for."""
    at = open_url("02_elman_rnn.py", {"l2_scale": "3"})
    at.query_params["l2_scale"] = "2.5"  # the address bar one change behind
    at.slider(key="l2_scale").set_value(2.0).run()
    assert error_texts(at) == []
    (link,) = [c.value for c in at.sidebar.code]
    assert "l2_scale=2" in link and "l2_scale=2.5" not in link and "l2_scale=3" not in link
    at.query_params["l2_scale"] = "2"
    at.slider(key="l2_scale").set_value(1.0).run()  # back at its default: out of the link
    assert "l2_scale" not in at.sidebar.code[0].value
    at.query_params.pop("l2_scale", None)
    at.slider(key="l2_scale").set_value(1.5).run()  # the address had no value yet: the link has it
    assert "l2_scale=1.5" in at.sidebar.code[0].value


def shown(message) -> str:
    """A message's text as the student reads it (user text in it is Markdown-escaped)."""
    return re.sub(r"\\(.)", r"\1", message.value)


BAD_SIDEBAR_VALUES = [
    *({"seed": v} for v in ("-3", "lots", "9" * 40, " ", "inf", "-inf", "nan", "1e400", "1.5", "0x10")),
    {"seed": str(2**31)},
    {"present": "🤷"},
    {"present": "1"},
    {"seed": "[x](https://evil.example/x) ![p](https://evil.example/p.png)"},
]


@pytest.mark.parametrize("bad", BAD_SIDEBAR_VALUES, ids=lambda bad: "=".join(*bad.items()))
def test_bad_sidebar_values_in_a_link_fall_back_to_defaults_and_say_so(bad):
    at = AppTest.from_file(str(APP), default_timeout=APPTEST_TIMEOUT)
    at.query_params.update(bad)
    at.run()  # the link opens the home page
    (name,) = bad
    assert error_texts(at) == [], bad
    assert at.session_state["seed"] == 0 and not at.session_state["present"], bad
    assert [shown(w).split(":")[:2] for w in at.sidebar.warning] == [["Ignored from the link", f" {name}"]]
    assert name not in at.query_params  # the link the page now offers leaves it out
    at.sidebar.toggle(key="present").set_value(True).run()  # still said on the page the link opened
    assert len(at.sidebar.warning) == 1 and at.session_state["present"]
    at.switch_page("app_pages/01_why_recurrence.py").run()  # and no more once the student moves on
    assert error_texts(at) == [] and not at.sidebar.warning


@pytest.mark.parametrize("bad, shows", [("-5", "6"), ("1e9", "6"), ("lots", "6")])
def test_a_lesson_setting_the_page_cannot_take_is_named(open_url, bad, shows):
    at = open_url("02_elman_rnn.py", {"l2_H": bad, "l2_scale": "2"})
    assert error_texts(at) == []
    assert at.session_state["l2_H"] == int(shows) and at.slider(key="l2_scale").value == 2.0
    (warning,) = at.sidebar.warning
    assert (
        shown(warning)
        == f"Ignored from the link: l2_H: {bad!r} is not a value this setting takes (it shows '{shows}')."
    )


def test_good_sidebar_values_are_not_reported_as_ignored(open_url):
    at = open_url("01_why_recurrence.py", {"seed": "7", "present": "true"})
    assert error_texts(at) == [] and not at.sidebar.warning
    assert at.session_state["seed"] == 7 and at.session_state["present"]


@pytest.mark.parametrize("file", page_files())
def test_page_runs_clean_through_the_router(open_page, file):
    at = open_page(file)
    assert error_texts(at) == [], f"{file} shows errors"
    # the sidebar comes from app.py: the page ran inside the router, with the shared seed
    assert at.sidebar.number_input(key="seed").value == 0


def test_every_page_file_is_in_the_lesson_table():
    listed = {lesson.file for lesson in course.LESSONS}
    unlisted = [file for file in page_files() if file not in listed]
    assert unlisted == [], "add these pages to LESSONS in course.py, or they never show in the navigation"


def test_lesson_table_is_consistent():
    files = [lesson.file for lesson in course.LESSONS]
    paths = [lesson.url_path for lesson in course.LESSONS]
    assert len(set(files)) == len(files)
    assert len(set(paths)) == len(paths)
    for lesson in course.LESSONS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.py", lesson.file), lesson.file
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", lesson.url_path), lesson.url_path
        assert lesson.section in course.SECTIONS
        assert lesson.title and lesson.summary and lesson.icon.startswith(":material/")
    start = [lesson.file for lesson in course.LESSONS if lesson.section == "Start"]
    assert start == [course.HOME_FILE]


def test_url_paths_differ_from_the_names_streamlit_infers():
    # See URL_PATH_RULE in course.py: a clash lets a cold server run a lesson without app.py.
    for lesson in course.LESSONS:
        _, inferred = page_icon_and_name(Path(lesson.file))
        assert lesson.url_path != inferred, f"{lesson.file}: pick a url_path other than {inferred!r}"


def test_readme_lists_every_lesson():
    readme = (course.ROOT / "README.md").read_text()
    rows = {line.split("|")[2].strip() for line in readme.splitlines() if line.count("|") == 4}
    missing = [
        lesson.title
        for lesson in course.LESSONS
        if lesson.file != course.HOME_FILE and lesson.title not in rows
    ]
    assert missing == [], "README's lesson map is out of date"


def test_available_lists_only_files_that_exist(tmp_path):
    (tmp_path / "05_lstm.py").write_text("")
    (tmp_path / "00_home.py").write_text("")
    (tmp_path / "99_not_a_lesson.py").write_text("")
    assert [lesson.file for lesson in course.available(tmp_path)] == ["00_home.py", "05_lstm.py"]
    grouped = course.by_section(course.available(tmp_path))
    assert list(grouped) == ["Start", "Memory and gating"]


def test_navigation_and_home_show_only_existing_lessons(tmp_path, monkeypatch):
    """A copy of the app with one lesson file: only that lesson is linked and reachable."""
    shutil.copy(APP, tmp_path / "app.py")
    shutil.copy(Path(course.__file__), tmp_path / "course.py")
    pages = tmp_path / course.PAGES_DIR.name
    pages.mkdir()
    shutil.copy(course.PAGES_DIR / course.HOME_FILE, pages / course.HOME_FILE)
    (pages / "05_lstm.py").write_text(
        'import streamlit as st\nst.title("stand-in lesson")\nst.write("seed is", st.session_state["seed"])\n'
    )
    monkeypatch.delitem(sys.modules, "course")  # the copy's app.py must import the copy's course.py

    at = AppTest.from_file(str(tmp_path / "app.py"), default_timeout=APPTEST_TIMEOUT).run()
    assert error_texts(at) == []
    assert [link.proto.page for link in at.get("page_link")] == ["lstm-cell"] * 2  # next up + the map

    at.switch_page(f"{pages.name}/05_lstm.py").run()
    assert error_texts(at) == []
    assert [t.value for t in at.title] == ["stand-in lesson"]
    assert at.sidebar.number_input(key="seed").value == 0

    # a lesson that lands later shows up on the next run, not before
    (pages / "02_elman_rnn.py").write_text('import streamlit as st\nst.title("second lesson")\n')
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page(f"{pages.name}/02_elman_rnn.py")
    at.run()
    at.switch_page(f"{pages.name}/02_elman_rnn.py").run()
    assert [t.value for t in at.title] == ["second lesson"]


def test_a_link_too_long_to_share_leaves_the_long_text_out_and_says_so(open_url):
    from rnnviz.lessons.charlm import OWN
    from ui.links import MAX_LINK_CHARS

    text = "<a><b>text</b></a>\n" * 2_000  # 40,000 characters: ~3 x that once percent-encoded
    at = open_url("03_char_lm.py", {"l3_source": OWN, "l3_pasted": text, "l3_layers": "2"})
    assert error_texts(at) == [] and at.text_area(key="l3_pasted").value == text
    (link,) = [c.value for c in at.sidebar.code]
    assert len(link) <= MAX_LINK_CHARS and "l3_layers=2" in link and "l3_pasted" not in link
    (note,) = [c.value for c in at.sidebar.caption if c.value.startswith("Left out")]
    assert "l3\\_pasted" in note  # the parameter's name, Markdown-escaped


def test_a_short_link_leaves_nothing_out(open_url):
    at = open_url("02_elman_rnn.py", {"l2_H": "9"})
    assert not [c for c in at.sidebar.caption if c.value.startswith("Left out")]


def test_no_folder_named_pages_beside_app_py():
    """A pages/ folder makes a cold server open deep links under 'Page not found' (PAGES_FOLDER)."""
    assert not (course.ROOT / "pages").exists()
    assert course.PAGES_DIR.name != "pages" and course.PAGES_DIR.is_dir()


@pytest.mark.parametrize("file", page_files())
def test_presenter_mode_enlarges_every_charts_ticks_and_numbers(open_url, file):
    """Streamlit's chart theme sizes ticks itself: presenter mode sets them on each figure."""
    import json

    from ui.lesson import PRESENTER_FONT

    at = open_url(file, {"present": "true"})
    assert error_texts(at) == [], f"{file} shows errors in presenter mode"
    for chart in at.get("plotly_chart"):
        layout = json.loads(chart.proto.spec).get("layout", {})
        axes = [v for k, v in layout.items() if k.startswith(("xaxis", "yaxis")) and isinstance(v, dict)]
        assert axes, file
        assert all(a.get("tickfont", {}).get("size") == PRESENTER_FONT for a in axes), (file, axes[:1])
