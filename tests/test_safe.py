"""ui.safe.plain: user text in a message reads as typed and carries no Markdown."""

import re

from hypothesis import given
from hypothesis import strategies as st

from ui.safe import ZWSP, plain

SPECIAL = set("\\`*_{}[]()#+-.!|~<>$:=&\"'")


@given(st.text(max_size=200))
def test_every_special_character_is_escaped_and_the_text_reads_as_typed(text):
    out = plain(text)
    assert "\n" not in out and "\r" not in out
    unescaped = re.sub(r"\\(.)", r"\1", out).replace(ZWSP, "")
    assert unescaped == " ".join(text.splitlines()).replace(ZWSP, "")
    i = 0
    while i < len(out):  # every special character comes escaped, and only escapes carry a backslash
        if out[i] == "\\":
            assert out[i + 1] in SPECIAL
            i += 2
            continue
        assert out[i] not in SPECIAL, (text, out)
        i += 1


def test_bare_addresses_are_broken_so_they_are_not_made_links():
    out = plain("see https://evil.example, www.evil.example or me@evil.example")
    assert "://" not in out.replace("\\", "") and "www." not in out.replace("\\", "")
    assert f"{ZWSP}@" in out
