"""Hostile text: uploads of every encoding and size class, and text boxes fed far more than they take.

Every case ends in a result or an InputError whose message states the cap and quotes at most
QUOTE_CHARS characters of the input (a message never echoes a pasted page). Speed is the bench's
business (bench/); these tests check results and messages only.
"""

import pytest

from rnnviz.embeddings.analogy import analogy
from rnnviz.embeddings.onehot import MAX_VOCAB_CHARS, parse_words
from rnnviz.embeddings.vectors import MAX_WORD_CHARS, load_glove
from rnnviz.errors import InputError
from rnnviz.tasks.base import MAX_SENTENCE_CHARS, MAX_TEXT_CHARS, QUOTE_CHARS, Vocab, quote
from rnnviz.tasks.corpora import decode_upload
from rnnviz.tasks.first_word import FirstWord
from rnnviz.tasks.sentiment import Sentiment
from rnnviz.tasks.tagging import Tagging

UPLOAD_CAP = 5 * 1024 * 1024  # .streamlit/config.toml maxUploadSize = 5 (MB)
LONGEST_MESSAGE = 600  # characters: five quoted tokens of QUOTE_CHARS plus the sentence around them


def message(call, *args) -> str:
    with pytest.raises(InputError) as err:
        call(*args)
    return str(err.value)


# --- uploads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "the file is empty"),
        (b"a" * UPLOAD_CAP, f"the most is {MAX_TEXT_CHARS:,}"),  # at the server's cap
        (b"a" * (UPLOAD_CAP + 1), f"the most is {MAX_TEXT_CHARS:,}"),  # just over it
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "is not UTF-8 text (byte 0x89 at position 0)"),
        (b"plain text\x00with a NUL", "contains NUL bytes"),
        ("caf\xe9 cr\xe8me".encode("latin-1"), "is not UTF-8 text (byte 0xe9 at position 3)"),
        ("héllo".encode("utf-16"), "is UTF-16 text"),  # BOM + little-endian, as Notepad saves "Unicode"
        ("héllo".encode("utf-16-be").join([b"\xfe\xff", b""]), "is UTF-16 text"),
        (b"\xef\xbb\xbf", "the file is empty"),  # only a UTF-8 byte-order mark
    ],
    ids=[
        "0-bytes",
        "at-cap",
        "over-cap",
        "binary-as-txt",
        "nul",
        "latin-1",
        "utf-16-le",
        "utf-16-be",
        "bom-only",
    ],
)
def test_bad_uploads_are_refused_with_a_message(data, expected):
    said = message(decode_upload, data)
    assert expected in said
    assert len(said) < LONGEST_MESSAGE


@pytest.mark.parametrize(
    "data",
    ["héllo wörld\r\nline two\r".encode(), "\ufeffhéllo wörld\nline two\n".encode()],
    ids=["utf-8-crlf", "utf-8-bom"],
)
def test_utf8_with_or_without_bom_and_any_newlines_decodes_to_the_same_text(data):
    assert decode_upload(data) == "héllo wörld\nline two\n"


def test_upload_just_under_the_character_cap_is_taken():
    assert len(decode_upload(b"ab\n" * (MAX_TEXT_CHARS // 3))) == MAX_TEXT_CHARS // 3 * 3


# --- text boxes ---------------------------------------------------------------------------------


def test_quote_cuts_long_input_and_says_how_much_is_left():
    assert quote("x" * 1000) == "'" + "x" * QUOTE_CHARS + "...' (and 940 more characters)"
    assert quote("[x](https://evil.example)") == "'[x](https://evil.example)'"  # short: whole


def test_many_distinct_unknown_words_are_counted_and_five_named():
    vocab = Vocab(("<pad>", "a", "b"), unit="word")
    words = [f"w{i}" for i in range(200_000)]  # 1.4 MB of distinct unknown words, as a pasted page
    said = message(vocab.encode, words)
    assert said.startswith(
        "200,000 words are not in the vocabulary ('w0', 'w1', 'w2', 'w3', 'w4' and 199,995 more)"
    )
    assert len(said) < LONGEST_MESSAGE


def test_a_huge_unknown_word_is_quoted_cut():
    said = message(Sentiment().encode, "the movie was " + "z" * 4000)
    assert "(and 3,940 more characters)" in said and len(said) < LONGEST_MESSAGE


@pytest.mark.parametrize("task", [FirstWord(lag=4), Sentiment(), Tagging()], ids=lambda t: t.name)
def test_typed_sentences_have_a_stated_cap(task):
    said = message(task.encode, "the " * (MAX_SENTENCE_CHARS // 4 + 1))
    assert f"the most is {MAX_SENTENCE_CHARS:,}" in said and len(said) < LONGEST_MESSAGE


def test_first_word_sentence_at_the_cap_encodes():
    text = ("Spain " + "the " * (MAX_SENTENCE_CHARS // 4))[:MAX_SENTENCE_CHARS].rsplit(" ", 1)[0]
    ids = FirstWord(lag=4).encode(text)
    assert len(ids) == len(text.split()) and int(ids[0]) == 1


def test_vocabulary_box_with_40k_words_states_its_cap():
    text = " ".join(f"word{i}" for i in range(40_000))
    said = message(parse_words, text)
    assert f"the most is {MAX_VOCAB_CHARS:,}" in said and len(said) < LONGEST_MESSAGE


def test_vocabulary_box_near_the_cap_drops_repeats_in_order():
    text = ", ".join(["Cat", "dog", "cat"] * 60)[:MAX_VOCAB_CHARS]
    assert parse_words(text) == ("cat", "dog")


def test_vocabulary_box_refuses_a_word_longer_than_any_glove_word():
    said = message(parse_words, "cat " + "q" * (MAX_WORD_CHARS + 1))
    assert f"at most {MAX_WORD_CHARS} characters" in said and len(said) < LONGEST_MESSAGE


@pytest.mark.parametrize(
    "text",
    [
        "cat [x](https://evil.example/x)",
        "cat ![p](https://evil.example/p.png)",
        "cat <b>dog</b>",
        "cat \x00\x01",
    ],
)
def test_vocabulary_box_names_the_characters_a_word_cannot_have_never_the_word(text):
    said = message(parse_words, text)
    assert said.startswith("a word may have letters, digits, ' and - only, not ")
    # the word is not echoed, so no Markdown in it reaches a page
    assert "evil" not in said and "<b>" not in said


def test_vocabulary_box_takes_words_with_hyphens_apostrophes_and_accents():
    assert parse_words("X-ray, don't Élan 42") == ("x-ray", "don't", "élan", "42")


@pytest.fixture(scope="module")
def wv():
    return load_glove()


def test_a_pasted_page_as_one_word_gets_a_short_message(wv):
    said = message(wv.index_of, "a" * 10_000)  # never reaches the spelling suggestions
    assert f"at most {MAX_WORD_CHARS} characters" in said and len(said) < LONGEST_MESSAGE
    assert max(len(w) for w in wv.words) <= MAX_WORD_CHARS  # the cap refuses no real word


@pytest.mark.parametrize(
    "a, b, c, pair",
    [
        ("man", "man", "king", "a and b"),
        ("man", "woman", "Man", "a and c"),
        ("man", "king", "king", "b and c"),
    ],
)
def test_analogy_with_a_repeated_word_says_so(wv, a, b, c, pair):
    said = message(analogy, wv, a, b, c)
    assert said.startswith(f"{pair} are both ") and "three different words" in said


def test_analogy_of_three_different_words_still_answers(wv):
    assert analogy(wv, "man", "woman", "king").best == "queen"
