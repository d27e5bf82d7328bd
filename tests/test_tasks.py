"""Tasks: the batch contract, labels checked by hand, determinism, and a clear error for bad input."""

import ast
import doctest
import importlib

import numpy as np
import pytest
import torch

from rnnviz.errors import InputError
from rnnviz.tasks import TASKS, Adding, CharLM, CopyTask, FirstWord, Sentiment, Tagging, make_task
from rnnviz.tasks.adding import HEAD
from rnnviz.tasks.base import MAX_TEXT_CHARS, PAD, Batch, Vocab
from rnnviz.tasks.corpora import decode_upload, stdlib_source
from rnnviz.tasks.first_word import COUNTRIES, QUERY
from rnnviz.tasks.markup import is_well_formed, markup, tag_depth
from rnnviz.tasks.pysource import indent_level, string_mask
from rnnviz.tasks.sentiment import NEGATIVE, POSITIVE, label_of
from rnnviz.tasks.tagging import AMBIGUOUS, word_tags

TEXT = "the cat sat on the mat. the dog sat on the log. " * 20

SMALL = {  # one small instance of every registered task
    "charlm": CharLM(TEXT, seq_len=16),
    "adding": Adding(lag=7),
    "copy": CopyTask(n_symbols=5, length=3, lag=4),
    "first_word": FirstWord(lag=6, n_countries=3),
    "tagging": Tagging(),
    "sentiment": Sentiment(n_val=30),
}


# every module with docstring examples
MODULES = ("base", "charlm", "corpora", "markup", "pysource", "adding", "copy_task", "first_word")
MODULES = (*MODULES, "tagging", "sentiment")


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_every_registered_task_is_covered():
    assert set(SMALL) == set(TASKS)
    for name, task in SMALL.items():
        assert task.name == name and isinstance(task, TASKS[name].cls)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_batch_follows_the_task_contract(name):
    task = SMALL[name]
    b = task.batch(5, gen(0))
    assert isinstance(b, Batch) and len(b) == 5
    if task.input_kind == "tokens":
        assert b.x.dtype == torch.int64 and b.x.ndim == 2
        assert 0 <= int(b.x.min()) and int(b.x.max()) < task.input_size == len(task.vocab)
        assert task.decode(task.encode(task.decode(b.x[0]))) == task.decode(b.x[0])
    else:
        assert b.x.dtype == torch.float32 and b.x.shape[2] == task.input_size
    B, T = b.x.shape[:2]
    if task.head == "many_to_many":
        assert b.y.shape == (B, T) and b.y.dtype == torch.int64
    else:
        assert b.y.shape == (B,)
    if task.loss_kind == "ce":
        assert b.y.dtype == torch.int64 and 0 <= int(b.y.min()) and int(b.y.max()) < task.output_size
        assert len(task.labels) == task.output_size
    else:
        assert b.y.dtype == torch.float32 and task.output_size == 1
    if b.mask is not None:
        assert b.mask.shape == (B, T) and b.mask.dtype == torch.bool and bool(b.mask.any(dim=1).all())
    if task.head == "many_to_one" and task.input_kind == "tokens":
        pad = task.vocab.index(PAD) if PAD in task.vocab else -1
        assert bool((b.x[:, -1] != pad).all())  # left padding: the last step is a real token
    assert isinstance(task.describe(b, row=4), str) and task.describe(b, row=4)
    assert b.row(4).x.shape[0] == 1


@pytest.mark.parametrize("name", sorted(SMALL))
def test_same_generator_seed_same_batch_and_other_seed_other_batch(name):
    task = SMALL[name]
    a, b, c = task.batch(8, gen(3)), task.batch(8, gen(3)), task.batch(8, gen(4))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert a.mask is None or torch.equal(a.mask, b.mask)
    assert not torch.equal(a.x, c.x)  # (False also when the shapes differ)
    assert torch.equal(task.example(2).x, task.example(2).x)
    assert not torch.equal(task.example(1).x, task.example(2).x)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_batch_size_and_split_are_checked(name):
    task = SMALL[name]
    with pytest.raises(InputError, match="batch_size must be at least 1"):
        task.batch(0, gen(0))
    with pytest.raises(InputError, match="split must be one of train, val"):
        task.batch(2, gen(0), split="test")
    with pytest.raises(InputError, match="whole number"):
        task.batch(2.5, gen(0))


@pytest.mark.parametrize("module", ["", *(f".{m}" for m in MODULES)])
def test_doc_examples_are_real_outputs(module):
    result = doctest.testmod(importlib.import_module(f"rnnviz.tasks{module}"), extraglobs={"torch": torch})
    assert result.failed == 0 and result.attempted > 0


# --- character language model -----------------------------------------------------------------


def test_charlm_targets_are_the_next_characters_of_the_split():
    text = "abcdefghij" * 45 + "VWXYZ" * 10  # the last 10% (50 chars) is all capitals
    task = CharLM(text, seq_len=10)
    assert task.vocab == tuple(sorted(set(text))) and task.split_sizes == {"train": 450, "val": 50}
    for split, part in (("train", text[:450]), ("val", text[450:])):
        b = task.batch(16, gen(1), split=split)
        assert torch.equal(b.y[:, :-1], b.x[:, 1:])
        for x, y in zip(b.x, b.y, strict=True):
            window = task.decode(x) + task.decode(y[-1:])
            assert window in part


def test_charlm_bad_text_gives_clear_errors():
    with pytest.raises(InputError, match="text is empty: paste"):
        CharLM("")
    with pytest.raises(InputError, match="only one character"):
        CharLM("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", seq_len=4)
    with pytest.raises(InputError, match="the most is 2,000,000"):
        CharLM("ab" * (MAX_TEXT_CHARS // 2 + 1))
    with pytest.raises(InputError, match="seq_len must be at least 2"):
        CharLM(TEXT, seq_len=1)
    with pytest.raises(InputError, match="seq_len must be at most .* training part"):
        CharLM("hello world", seq_len=64)
    with pytest.raises(InputError, match="validation part .* shorter than seq_len"):
        CharLM("abcdefghij" * 10, seq_len=50).batch(2, gen(0), split="val")


def test_charlm_encode_names_unknown_characters():
    task = CharLM(TEXT, seq_len=8)
    with pytest.raises(InputError, match=r"1 character is not in the vocabulary \('Z'\): use only"):
        task.encode("the Zoo")
    with pytest.raises(InputError, match=r"7 characters are not .*\('1', '2', '3', '4', '5' and 2 more\)"):
        task.encode("1234567")


# --- corpora ----------------------------------------------------------------------------------


def test_markup_lines_are_well_formed_and_reach_every_depth():
    for max_depth in (1, 3, 6):
        text = markup(300, max_depth=max_depth, seed=max_depth)
        lines = text.splitlines()
        assert len(lines) == 300 and all(is_well_formed(line) for line in lines)
        depth = tag_depth(text)
        assert set(depth.tolist()) == set(range(max_depth + 1))
        assert (depth[np.array([c == "\n" for c in text])] == 0).all()
    assert markup(50, seed=1) == markup(50, seed=1) != markup(50, seed=2)


def test_is_well_formed_rejects_broken_markup():
    assert is_well_formed("<b><i>x</i></b>") and is_well_formed("<p>a <em>b</em></p>")
    for broken in ("<b><i>x</b></i>", "<b>x", "x</b>", "<b>x</b></b>", "<b>x<</b>", "plain text", ""):
        assert not is_well_formed(broken), broken


def test_tag_depth_counts_open_elements_after_each_character():
    text = "<a>x<b>y</b></a>\n</b>z"
    assert tag_depth(text).tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]


def test_markup_bad_knobs():
    with pytest.raises(InputError, match="max_depth must be at least 1"):
        markup(10, max_depth=0)
    with pytest.raises(InputError, match="at least 2 different tag names"):
        markup(10, tags=("b", "b"))
    with pytest.raises(InputError, match="tag names must be lowercase"):
        markup(10, tags=("b", "<i>"))


def test_stdlib_source_is_real_python():
    one = stdlib_source(max_chars=MAX_TEXT_CHARS, files=("textwrap.py",))
    assert "def dedent" in one and isinstance(ast.parse(one), ast.Module)
    text = stdlib_source(max_chars=50_000)
    assert 49_000 < len(text) <= 50_000 and text.endswith("\n") and text == stdlib_source(max_chars=50_000)
    assert all(c == "\n" or " " <= c <= "~" for c in set(text))


def test_string_mask_and_indent_level_on_python():
    src = 'x = \'a#b\'  # \'no\'\nif x:\n    y = """doc\n  more"""\n'
    mask = string_mask(src)
    inside = "".join(c for c, m in zip(src, mask, strict=True) if m)
    assert inside == "'a#b'" + '"""doc\n  more"""'
    levels = indent_level(src)
    assert levels[src.index("y")] == 1 and levels[src.index("x")] == 0 and levels[src.index("more")] == 0
    doc = stdlib_source(max_chars=20_000)
    assert string_mask(doc)[doc.index('"""') + 5] and not string_mask(doc)[doc.index("import")]


def test_decode_upload_cleans_text_and_refuses_bad_files():
    assert decode_upload(b"\xef\xbb\xbfa\r\nb\rc\n") == "a\nb\nc\n"
    assert decode_upload("caf\u00e9".encode()) == "caf\u00e9"
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte 0xff at position 1\).*save it as UTF-8"):
        decode_upload(b"a\xff\xfe")
    with pytest.raises(InputError, match="the file is empty"):
        decode_upload(b"")
    with pytest.raises(InputError, match="the most is 2,000,000"):
        decode_upload(b"x" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(InputError, match="NUL bytes"):
        decode_upload(b"ab\x00cd")


# --- memory tasks -----------------------------------------------------------------------------


def test_adding_target_is_the_sum_of_the_two_marked_values():
    task = Adding(lag=12)
    b = task.batch(64, gen(2))
    values, markers = b.x[..., 0], b.x[..., 1]
    assert b.x.shape == (64, 12 + HEAD, 2) and bool((markers.sum(dim=1) == 2).all())
    for v, m, y in zip(values, markers, b.y, strict=True):
        first, second = torch.nonzero(m).flatten().tolist()
        assert first < HEAD and len(m) - 1 - first >= task.lag and len(m) - 1 - second >= task.lag // 2
        assert torch.isclose(y, v[first] + v[second])
    assert abs(float(b.y.var()) - Adding.baseline_mse) < 0.08


@pytest.mark.parametrize("make", [Adding, CopyTask, FirstWord])
def test_lag_must_be_between_1_and_500(make):
    for lag in (0, -3):
        with pytest.raises(InputError, match="lag must be at least 1"):
            make(lag=lag)
    with pytest.raises(InputError, match="lag must be at most 500 .*longer gaps"):
        make(lag=501)


def test_copy_targets_are_the_symbols_on_the_recall_steps_only():
    task = CopyTask(n_symbols=6, length=4, lag=9)
    b = task.batch(32, gen(5))
    start = 4 + 9
    assert b.x.shape == (32, 2 * 4 + 9) and bool((b.x[:, start] == task.vocab.index("=")).all())
    assert bool((b.x[:, 4:start] == task.vocab.index("_")).all())
    assert torch.equal(b.y[:, start:], b.x[:, :4]) and bool(b.mask[:, start:].all())
    assert not bool(b.mask[:, :start].any())
    assert task.output_size == 6 and task.chance == pytest.approx(1 / 6)
    with pytest.raises(InputError, match=r"\('x'\): use the letters A to F"):
        task.encode("AB_x=")


def test_first_word_label_is_the_language_of_the_first_country():
    task = FirstWord(lag=10, n_countries=5)
    b = task.batch(40, gen(6))
    language = dict(COUNTRIES)
    for x, y in zip(b.x, b.y, strict=True):
        words = task.decode(x).split()
        assert len(words) == 12 and words[-1] == QUERY and task.labels[int(y)] == language[words[0]]
        assert not set(words[1:-1]) & set(language)  # only the first word names a country
    assert set(b.y.tolist()) == set(range(5)) and task.chance == pytest.approx(0.2)
    assert task.encode("spain the rain fluent").tolist() == task.encode("Spain the rain fluent").tolist()
    with pytest.raises(InputError, match="n_countries must be at most 10"):
        FirstWord(n_countries=11)


# --- language tasks ---------------------------------------------------------------------------


def test_tagging_labels_align_with_the_words():
    task = Tagging()
    b = task.batch(64, gen(7))
    tags_of = word_tags()
    seen: dict[str, set[str]] = {}
    for x, y, m in zip(b.x, b.y, b.mask, strict=True):
        n = int(m.sum())
        assert bool(m[:n].all()) and not bool(m[n:].any()) and bool((x[n:] == 0).all())  # right padding
        for word, tag in zip(task.decode(x[:n]).split(), y[:n].tolist(), strict=True):
            assert task.labels[tag] in tags_of[word], word
            seen.setdefault(word, set()).add(task.labels[tag])
    assert any(len(tags) > 1 for tags in seen.values())  # an ambiguous word, tagged both ways
    plain = Tagging(ambiguous=False)
    assert not {w for w in plain.decode(plain.batch(64, gen(7)).x.flatten()).split()} & AMBIGUOUS
    assert "fish" in AMBIGUOUS and "cake" not in AMBIGUOUS


def test_sentiment_rules_negation_flips_and_but_decides():
    for adj in POSITIVE:
        assert label_of(f"the movie was {adj}") == "positive"
        assert label_of(f"the movie was not {adj}") == "negative"
        assert label_of(f"the movie was really {adj}") == "positive"
    for adj in NEGATIVE:
        assert label_of(f"the food was {adj}") == "negative" and label_of(f"not {adj} at all") == "positive"
    assert label_of("the film was great but the ending was awful") == "negative"
    assert label_of("the film was not great but the ending was not awful") == "positive"
    assert label_of("i did not enjoy the show") == "negative" and label_of("the movie") is None


def test_sentiment_labels_follow_the_rules_and_pad_left():
    task = Sentiment(n_val=30)
    pairs = task.sentences(400, gen(8))
    assert all(label_of(text) == label for text, label in pairs)
    assert 0.4 < sum(label == "positive" for _, label in pairs) / 400 < 0.6
    assert any(" but " in t for t, _ in pairs) and any(" not " in f" {t} " for t, _ in pairs)
    b = task.batch(16, gen(8))
    lengths = (b.x != 0).sum(dim=1)
    for x, n, y in zip(b.x, lengths, b.y, strict=True):
        assert bool((x[: len(x) - n] == 0).all()) and bool((x[len(x) - n :] != 0).all())
        assert label_of(task.decode(x)) == task.labels[int(y)]


def test_sentiment_fixed_split_is_disjoint_and_batches_respect_it():
    task = Sentiment(n_train=60, n_val=40, seed=2)
    train, val = task.fixed_split
    assert len(train) == 60 and len(val) == 40 and not {t for t, _ in train} & {t for t, _ in val}
    assert Sentiment(n_train=60, n_val=40, seed=2).fixed_split == (train, val)
    texts = {"train": {t for t, _ in train}, "val": {t for t, _ in val}}
    for split in ("train", "val"):
        b = task.batch(32, gen(9), split=split)
        assert {task.decode(x) for x in b.x} <= texts[split]
    fresh = Sentiment(n_val=40, seed=2)
    assert not {fresh.decode(x) for x in fresh.batch(200, gen(9)).x} & texts["val"]
    with pytest.raises(InputError, match="n_train must be at least 0"):
        Sentiment(n_train=-1)


def test_word_encoders_name_unknown_words():
    with pytest.raises(InputError, match=r"2 words are not in the vocabulary \('pizza', 'delicious'\)"):
        Sentiment().encode("the pizza was delicious")
    with pytest.raises(InputError, match="'zebra'.*use words this task knows"):
        Tagging().encode("we like zebra")
    assert Tagging().encode("We fish.").tolist() == Tagging().encode("we fish").tolist()


def test_vocab_rejects_ids_outside_it():
    with pytest.raises(InputError, match="id 9 is outside this vocabulary of 2"):
        Vocab(("a", "b")).decode([0, 9])


# --- registry ---------------------------------------------------------------------------------


def test_make_task_builds_and_explains_mistakes():
    assert make_task("copy", lag=3) == CopyTask(lag=3)
    assert all(entry.description for entry in TASKS.values())
    with pytest.raises(InputError, match="unknown task 'addition': choose from charlm, adding"):
        make_task("addition")
    with pytest.raises(InputError, match="no setting 'lagg': its settings are lag, seed"):
        make_task("adding", lagg=3)
    with pytest.raises(InputError, match="'charlm' needs text"):
        make_task("charlm")
    with pytest.raises(InputError, match="seed must be at least 0"):
        make_task("adding", seed=-1)
