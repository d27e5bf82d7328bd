"""User text inside the app's own messages is shown as text, never as Markdown.

Streamlit renders the body of st.error / st.warning / st.success / st.caption as Markdown, so a
word typed into a box or put in a link (``[prize](https://evil.example)``, ``![p](https://x/p.png)``,
``:red[...]``, ``$\\LaTeX$``) would become a link, a remote image or styled text inside a message the
app vouches for. :func:`plain` escapes every character Markdown or Streamlit gives a meaning.
"""

import re

# CommonMark lets any ASCII punctuation be escaped with a backslash; these are the ones Markdown,
# GitHub-flavoured Markdown, KaTeX ($) and Streamlit's directives (:red[...], :material/x:) use.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=&\"'])")


# Streamlit's Markdown also turns bare addresses in the text into links (GFM autolink literals,
# found in the text after escapes are undone): a zero-width space breaks each pattern it looks for.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
ZWSP = "\u200b"


def plain(text: object) -> str:
    """``text`` with Markdown's special characters escaped, bare addresses broken (so they are not
    made links) and line breaks made spaces."""
    text = _AUTOLINK.sub(ZWSP, " ".join(str(text).splitlines()))
    return _SPECIAL.sub(r"\\\1", text)
