"""Lesson 8 page (word embeddings) under AppTest: defaults, analogies, unknown words, transfer run."""

import sys

import pytest

import apptools

PAGE = "08_embeddings.py"


def texts(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def table(at, column: str) -> list:
    """A column of the transfer results table (the last dataframe on the page)."""
    return at.dataframe[-1].value[column].tolist()


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert not at.exception, at.exception
    return at


def test_defaults_render_with_live_numbers(page):
    at = page
    assert not at.error
    assert len(at.get("plotly_chart")) >= 9
    assert "man : woman :: king : **queen**" in texts(at)
    # untrained classifiers are shown with real numbers before anyone trains
    assert table(at, "steps") == [0, 0, 0]
    assert len(at.metric) == 3 and all(0 <= float(m.value) <= 1 for m in at.metric)


def test_preset_and_free_analogy(page):
    at = page
    capital = next(o for o in at.selectbox(key="l8_preset").options if o.startswith("capital"))
    at.selectbox(key="l8_preset").set_value(capital).run()
    assert [at.text_input(key=f"l8_{k}").value for k in "abc"] == ["france", "paris", "japan"]
    assert "france : paris :: japan : **tokyo**" in texts(at)
    # free text, with capitals and stray spaces
    at.text_input(key="l8_a").set_value(" Paris")
    at.text_input(key="l8_b").set_value("FRANCE ")
    at.text_input(key="l8_c").set_value("rome").run()
    assert not at.exception and not at.error
    assert "paris : france :: rome : **italy**" in texts(at)
    assert at.selectbox(key="l8_preset").value == "your own words"


def test_unknown_word_shows_error_with_suggestions(page):
    at = page
    at.text_input(key="l8_c").set_value("kingg").run()
    assert not at.exception
    assert len(at.error) == 1 and "Did you mean" in at.error[0].value and "king" in at.error[0].value
    at.text_input(key="l8_u").set_value("").run()
    assert not at.exception and len(at.error) == 2
    at.text_input(key="l8_c").set_value("king").run()
    at.text_input(key="l8_u").set_value("cat").run()
    assert not at.error and "**queen**" in texts(at)


def test_one_hot_demo_with_glove_rows(page):
    at = page
    at.radio(key="l8_table").set_value("pretrained GloVe").run()
    assert not at.exception and not at.error
    at.text_input(key="l8_vocab").set_value("cat").run()
    assert len(at.error) == 1 and "at least 2" in at.error[0].value


def test_transfer_training_run(page):
    at = page
    before = [m.value for m in at.metric]
    at.slider(key="l8_n_train").set_value(40)
    at.slider(key="l8_steps").set_value(10).run()
    at.button(key="l8_train").click().run()
    assert not at.exception and not at.error
    assert table(at, "steps") == [10, 10, 10]
    assert [m.value for m in at.metric] != before  # the models changed
    at.button(key="l8_continue").click().run()
    assert table(at, "steps") == [20, 20, 20]
    at.text_input(key="l8_review").set_value("the plot was superb").run()
    assert not at.exception and len(at.error) == 1 and "superb" in at.error[0].value
    at.button(key="l8_reset").click().run()
    assert table(at, "steps") == [0, 0, 0]


# --- shared links, presenter mode, the check question (issue 6) ----------------------------------

LINK = {
    "seed": "4",
    "l8_vocab": "cat dog bus van",
    "l8_table": "pretrained GloVe",
    "l8_lookup": "bus",
    "l8_u": "king",
    "l8_v": "queen",
    "l8_word": "paris",
    "l8_k_nb": "5",
    "l8_preset": "your own words",
    "l8_a": "paris",
    "l8_b": "france",
    "l8_c": "rome",
    "l8_k_an": "3",
    "l8_n_train": "40",
    "l8_cell": "lstm",
    "l8_review": "the plot was brilliant",
}


def view(at) -> dict:
    """Every number the page shows: metrics, text, tables and chart data."""
    return apptools.view(at, "metrics", "markdown", "tables", "charts")


def test_a_link_shows_everyone_the_same_view(open_url):
    a = apptools.opened_twice(open_url, PAGE, LINK, view)
    assert "paris : france :: rome : **italy**" in texts(a)
    assert a.radio(key="l8_lookup").value == "bus" and any("('bus')" in c.value for c in a.caption)
    assert any("cos(e_{\\text{king}}, e_{\\text{queen}})" in x.value for x in a.get("latex"))
    assert a.session_state["l8_exp"].cfg.n_train == 40
    csv = {"l8_csv_cos", "l8_csv_nb", "l8_csv_analogy", "l8_csv_curves"}
    assert csv <= {b.key for b in a.get("download_button")}
    apptools.differs_in_every_part(view(open_url(PAGE, {})), view(a))


def test_a_word_that_leaves_the_vocabulary_is_not_looked_up(page):
    at = page
    at.radio(key="l8_lookup").set_value("truck").run()
    at.text_input(key="l8_vocab").set_value("cat dog king").run()
    assert not at.exception and not at.error
    assert at.radio(key="l8_lookup").value == "cat"


def test_presenter_mode_folds_the_prose(open_url):
    prose = "A network cannot read a word, only numbers"
    at = open_url(PAGE, {"present": "true"})
    assert not at.exception and not at.error
    assert apptools.folded(at, prose) == (1, 1)
    assert apptools.folded(at, "What you will learn") == (1, 1)
    assert len(at.get("plotly_chart")) >= 9 and at.get("latex")
    assert "man : woman :: king : **queen**" in texts(at)  # results stay open
    assert apptools.folded(open_url(PAGE, {}), prose) == (1, 0)


@pytest.mark.parametrize(
    ("bad", "errors"),
    [
        ({"l8_k_nb": "999", "l8_k_an": "0", "l8_dim": "-2", "l8_n_train": "15", "l8_steps": "1e99"}, 0),
        ({"l8_seconds": "x", "l8_table": "😀", "l8_lookup": "zebra", "l8_preset": "nonsense"}, 0),
        ({"l8_cell": "transformer", "l8_u": "   ", "l8_word": "x" * 5000}, 2),
        ({"l8_vocab": "😀 🙂 🐸", "l8_table": "pretrained GloVe"}, 1),
        ({"l8_a": "kingg", "l8_b": "", "l8_c": "😀", "l8_review": "the plot was superb"}, 2),
    ],
)
def test_bad_link_values_run_clean(open_url, bad, errors):
    at = open_url(PAGE, bad)
    assert not at.exception
    assert len(at.error) == errors  # each bad word says what is wrong; everything else falls back
    assert len(at.metric) == 3 or "l8_review" in bad  # the page went on to the transfer section


# --- section 4: PCA beside t-SNE (issue 18, item 3) ---------------------------------------------


def chart_titles(at) -> list[str]:
    import json

    return [
        json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")
    ]


def test_maps_side_by_side_with_their_sentences(page):
    at = page
    titles = chart_titles(at)
    assert "PCA, 2-D" in titles and "t-SNE, 2-D, perplexity 10" in titles
    shown = texts(at)
    assert "Of each word's 5 nearest neighbours in 50-D" in shown and "The two maps disagree most" in shown
    assert any(c.value.startswith("54 words: each typed word") for c in at.caption)
    # 3-D, from random positions: the same words, other charts
    at.radio(key="l8_map_dims").set_value("3-D (drag to rotate)").run()
    at.radio(key="l8_map_init").set_value("random (the sidebar's seed)").run()
    assert not at.exception and not at.error
    assert "PCA, 3-D" in chart_titles(at) and "t-SNE, 3-D, perplexity 10" in chart_titles(at)


def test_maps_refuse_bad_words_and_lower_a_perplexity_too_large(page):
    at = page
    at.text_input(key="l8_map_words").set_value("cat").run()
    at.slider(key="l8_map_nb").set_value(6).run()  # 7 words: perplexity at most (7 - 1) / 3 = 2
    assert not at.exception and not at.error
    (note,) = [i.value for i in at.info if "too large for 7 words" in i.value]
    assert "uses 2" in note and "t-SNE, 2-D, perplexity 2" in chart_titles(at)
    at.text_input(key="l8_map_words").set_value("a b c d e f g h i").run()
    assert [e.value for e in at.error if "at most 8 words" in e.value]
    at.text_input(key="l8_map_words").set_value("cat kingg").run()
    assert [e.value for e in at.error if "Did you mean" in e.value] and not at.exception


def test_without_sklearn_the_section_says_so_and_draws_pca(page, monkeypatch):
    at = page
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)  # as if scikit-learn were not installed
    at.text_input(key="l8_map_words").set_value("river mountain").run()  # a word set not cached yet
    assert not at.exception
    shown = [e.value.replace("\\", "") for e in at.error]  # show_error escapes Markdown
    assert [e for e in shown if "needs scikit-learn" in e and "pip install scikit-learn==1.9.1" in e], shown
    titles = chart_titles(at)
    assert "PCA, 2-D" in titles and not any(t.startswith("t-SNE") for t in titles)
