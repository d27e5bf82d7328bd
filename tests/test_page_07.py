"""Lesson 7 page (seq2seq and attention) under AppTest: defaults, typed input, bad words, training."""

import base64
import json

import numpy as np
import pytest

import apptools

PAGE = "07_attention.py"


def texts(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def array(value) -> np.ndarray:
    """Plotly's JSON stores numpy arrays as {'dtype', 'bdata' (base64), 'shape'}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


def heatmap(at) -> dict:
    """The attention heatmap: the one figure whose y axis is 'output step s'."""
    (fig,) = [
        f
        for f in figures(at)
        if f["layout"]["yaxis"].get("title", {}).get("text") == "output step s"
        and not f["layout"].get("title", {}).get("text")
    ]  # the live model's (the mistake panel's two carry titles)
    return fig


def alpha(at) -> np.ndarray:
    return array(heatmap(at)["data"][0]["z"])


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert not at.exception, at.exception
    return at


def test_defaults_render_with_live_numbers(page):
    at = page
    assert not at.error
    assert "Model at step 0 answers" in texts(at)  # an untrained model, with its real output
    weights = alpha(at)
    np.testing.assert_allclose(weights.sum(1), 1, atol=1e-5)
    # one column per character of the default text, one row per decoder step (at most 11)
    assert weights.shape[1] == len("monday the twenty first of march two thousand five")
    assert 1 <= weights.shape[0] <= 11
    assert len(at.get("plotly_chart")) >= 5  # heatmap, step bars, context, p(y_s), image attention
    assert at.dataframe  # the task examples and the teacher forcing table


def test_heatmap_follows_typed_words(page):
    at = page
    at.radio(key="l7_tokens").set_value("words").run()
    at.text_input(key="l7_text").set_value("Twenty one March").run()
    assert not at.exception and not at.error
    fig = heatmap(at)
    assert fig["layout"]["xaxis"]["ticktext"] == ["twenty", "one", "march"]
    assert alpha(at).shape[1] == 3
    assert "correct: 21-03" in texts(at) or "(correct)" in texts(at)


def test_unknown_word_is_an_error_with_suggestions(page):
    at = page
    at.text_input(key="l7_text").set_value("twenty one marhc").run()
    assert not at.exception
    assert len(at.error) == 1 and "marhc" in at.error[0].value and "march" in at.error[0].value
    # words the task knows but not a date: no error, the model still answers
    at.text_input(key="l7_text").set_value("march march").run()
    assert not at.exception and not at.error
    assert any("not a date the task writes" in i.value for i in at.info)


def test_short_training_run_changes_the_model(page):
    at = page
    at.radio(key="l7_tokens").set_value("words").run()
    before = alpha(at)
    at.select_slider(key="l7_steps").set_value(10).run()
    at.button(key="l7_train").click().run()
    assert not at.exception and not at.error
    assert any("10 training steps so far" in c.value for c in at.caption)
    assert alpha(at).shape != before.shape or not np.allclose(alpha(at), before)
    # a checkpoint slider now lets the student go back to step 0
    ckpt = at.select_slider(key="l7_ckpt")
    assert ckpt.options == ["0", "10"] and ckpt.value == 10
    ckpt.set_value(0).run()
    np.testing.assert_array_equal(alpha(at), before)
    assert "Model at step 0 answers" in texts(at)


# --- shared links, presenter mode, the check question (issue 6) ----------------------------------

LINK = {
    "seed": "5",
    "l7_tokens": "words (up to 10)",
    "l7_len": ["3", "6"],
    "l7_cell": "LSTM",
    "l7_attn": "dot-product attention",
    "l7_steps": "50",
    "l7_text": "the fifth of may nineteen ninety",
    "l7_s": "2",
    "l7_cap_attn": "dot-product attention",
    "l7_cap_img": "4",
}


def view(at) -> dict:
    """Every number the page shows: text, tables and chart data."""
    return apptools.view(at, "markdown", "tables", "charts")


def test_a_link_shows_everyone_the_same_view(open_url):
    a = apptools.opened_twice(open_url, PAGE, LINK, view)
    assert heatmap(a)["layout"]["xaxis"]["ticktext"] == ["the", "fifth", "of", "may", "nineteen", "ninety"]
    assert a.select_slider(key="l7_s").value == 2 and a.slider(key="l7_len").value == (3, 6)
    model = a.session_state["l7_trainer"][1].model
    assert (model.cfg.cell, model.cfg.attention) == ("lstm", "dot")
    assert a.session_state["l7_cap_trainer"][1].model.cfg.attention == "dot"
    assert "Step $s=2$" in texts(a)
    assert "l7_csv_alpha" in {b.key for b in a.get("download_button")}
    apptools.differs_in_every_part(view(open_url(PAGE, {})), view(a))


def test_presenter_mode_folds_the_prose(open_url):
    prose = "At every output step the decoder compares"
    at = open_url(PAGE, {"present": "true"})
    assert not at.exception and not at.error
    assert apptools.folded(at, prose) == (1, 1)
    assert len(at.get("plotly_chart")) >= 5 and at.get("latex")
    assert "Model at step 0 answers" in texts(at)  # results stay open
    assert apptools.folded(open_url(PAGE, {}), prose) == (1, 0)


@pytest.mark.parametrize(
    "bad",
    [
        {"l7_s": "999", "l7_len": ["9", "2"], "l7_steps": "7", "l7_cap_img": "-3"},
        {"l7_tokens": "bytes", "l7_cell": "😀", "l7_attn": "", "l7_cap_attn": "none", "l7_s": "x"},
        {"l7_text": "😀 " * 2000},
        {"l7_text": "   "},
        {"l7_text": "the thirty second of march", "l7_ckpt": "10"},
    ],
)
def test_bad_link_values_run_clean(open_url, bad):
    at = open_url(PAGE, bad)
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 1  # the page went on to the image section
    assert len(at.error) <= 1


def test_both_models_are_rebuilt_from_their_lesson_configs(page):
    """The rebuild key of each trainer is its lesson config (asdict), from which task, model and
    training settings come: a changed setting is a new key, so a new model."""
    from dataclasses import asdict

    from rnnviz.lessons.attention_lesson import CaptionsLesson, DatesLesson
    from rnnviz.seq2seq.dates import LONGEST, SHORTEST

    at = page
    dates = DatesLesson(tokens="chars", min_words=SHORTEST, max_words=LONGEST, cell="gru", attention="dot")
    assert at.session_state["l7_trainer"][0] == asdict(dates)
    trainer = at.session_state["l7_trainer"][1]
    assert trainer.task == dates.task() and trainer.model.cfg == dates.model_config()
    assert trainer.cfg == dates.train_config()
    assert at.session_state["l7_cap_trainer"][0] == asdict(CaptionsLesson(attention="additive"))
    at.radio(key="l7_tokens").set_value("words").run()
    assert at.session_state["l7_trainer"][0] == asdict(DatesLesson(tokens="words", attention="dot"))


def test_the_date_box_is_capped_so_a_refusal_never_quotes_a_pasted_page(open_url):
    """One unknown "word" of a million letters was refused by an error box quoting all of it; the
    box now takes at most MAX_DATE_CHARS (twice the longest date the task reads) and a link's
    longer text is cut there, named in the sidebar."""
    from rnnviz.seq2seq.dates import MAX_TYPED_WORDS, WORDS

    cap = 2 * MAX_TYPED_WORDS * (max(map(len, WORDS)) + 1)
    at = open_url(PAGE, {"l7_text": "x" * 100_000})  # a link this long still reaches the server
    assert not at.exception
    box = at.text_input(key="l7_text")
    assert box.proto.max_chars == cap == 384 and box.value == "x" * cap
    (error,) = at.error
    assert len(error.value) < 2 * cap  # the message quotes at most the cap
    said = " ".join(w.value.replace("\\", "") for w in at.sidebar.warning)  # the cut is named
    assert f"l7_text: 100,000 characters; this box takes at most {cap} (cut there)" in said
    at.text_input(key="l7_text").set_value("y" * 1_000_000).run()  # pasted: the same cut
    assert at.text_input(key="l7_text").value == "y" * cap and len(at.error[0].value) < 2 * cap


@pytest.mark.browser
def test_typing_a_date_in_the_browser_shows_no_traceback_and_the_link_follows(chromium, app_url):
    """Every typed date showed StreamlitInvalidLayoutContextError in the browser (AppTest does not
    run fragments apart, so only a browser sees it): section 6 is a section inside section 5's, and
    its link write at the end of the outer rerun raised. app.py's write_link now leaves that write
    to the outer section."""
    import browser

    page = chromium.new_context(viewport=browser.VIEWPORT).new_page()  # (``page`` here is AppTest's)
    page.set_default_timeout(browser.TIMEOUT_MS)
    browser.open_page(page, app_url, "seq2seq-attention")
    for text, error in (("twenty one marhc", True), ("the fifth of may", False)):
        browser.fill_text(page, "Type a date in words", text)
        said = browser.problems(page)
        assert not [p for p in said if "Exception" in p or "Error:" in p], said
        assert any("marhc" in p for p in said) == error
    page.get_by_role("button", name="Link to this view").click()
    link = page.get_by_test_id("stCode").filter(has_text="seq2seq-attention").first.inner_text()
    assert "l7_text=the+fifth+of+may" in link
    # sections 7-8 (beam, what-if) are sections inside section 5's too: switching the what-if to a forced
    # output reruns them alone, with no traceback, and both heatmaps stay drawn
    page.get_by_text("an output token y_s", exact=True).click()
    browser.wait_idle(page)
    said = browser.problems(page)
    assert not [p for p in said if "Exception" in p or "Error:" in p], said
    assert page.get_by_text("forced from", exact=False).count() >= 1
    page.context.close()


def test_beam_section_at_width_one_is_greedy_and_its_table_is_the_backends(page):
    """Section 7 at the defaults: the tree is drawn, k = 1 answers what section 5's greedy model
    answers, and the beam-vs-greedy table is beam_vs_greedy on the session's own model."""
    from rnnviz.seq2seq.beam_eval import WIDTHS, beam_vs_greedy

    at = page
    axes = [f["layout"]["yaxis"].get("title", {}).get("text") for f in figures(at)]
    assert "rank at step s (1 = best)" in axes
    at.select_slider(key="l7_beam_k").set_value(1).run()
    assert not at.exception and not at.error
    said = texts(at)
    greedy = said.split("Model at step 0 answers **`")[1].split("`")[0]
    assert f"With $k = 1$ the beam is greedy: **`{greedy}`**" in said
    trainer = at.session_state["l7_trainer"][1]
    cmp = beam_vs_greedy(trainer.model, trainer.task, WIDTHS, n=500, seed=0)
    table = next(d.value for d in at.dataframe if "beam width k" in d.value.columns)
    assert table.equals(cmp.frame()) and cmp.sentence() in said


def test_what_if_forcing_an_output_shows_before_and_after(page):
    """Section 8 at the defaults (input edit), then a forced output token: both heatmaps drawn, the
    sentence is the backend's, rows 1..s of the after-heatmap equal the before-heatmap's."""
    from rnnviz.seq2seq.whatif import force_output

    at = page
    titles = [f["layout"].get("title", {}).get("text") for f in figures(at)]
    assert "before" in titles and "after" in titles
    at.radio(key="l7_wi_kind").set_value("output").run()
    at.select_slider(key="l7_wi_s").set_value(2).run()
    assert not at.exception and not at.error
    token = at.selectbox(key="l7_wi_out").value
    trainer = at.session_state["l7_trainer"][1]
    w = force_output(trainer.model, trainer.task, at.text_input(key="l7_text").value, 2, token)
    assert w.sentence() in texts(at)
    by_title = {f["layout"].get("title", {}).get("text"): f for f in figures(at)}
    before, after = (array(by_title[t]["data"][0]["z"]) for t in ("before", "after"))
    np.testing.assert_array_equal(after[:2], before[:2])
