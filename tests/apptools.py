"""What an AppTest run shows, read the same way by every page's tests.

from apptools import folded, view

assert view(a, "metrics", "charts") == view(b, "metrics", "charts")  # two sessions, one link
assert folded(at, "A sentence of the lesson's prose") == (1, 1)    # in presenter mode
"""

PARTS = {
    "metrics": lambda at: [(m.label, m.value, m.delta) for m in at.metric],
    "latex": lambda at: [x.value for x in at.latex],
    "markdown": lambda at: [m.value for m in at.markdown],
    "captions": lambda at: [c.value for c in at.caption],
    "tables": lambda at: [frame.value.to_csv() for frame in at.dataframe],
    "charts": lambda at: [chart.proto.spec for chart in at.get("plotly_chart")],
}


def view(at, *parts: str) -> dict:
    """The numbers and texts a page shows, by part (metrics, latex, markdown, captions, tables, charts)."""
    return {part: PARTS[part](at) for part in parts}


def folded(at, text: str) -> tuple[int, int]:
    """(markdown blocks holding ``text`` anywhere, those of them inside an expander)."""
    anywhere = sum(text in m.value for m in at.main.markdown)
    inside = sum(text in m.value for e in at.expander for m in e.markdown)
    return anywhere, inside


def opened_twice(open_url, page: str, link: dict, view_of):
    """``link`` opened in two fresh sessions: both run clean and ``view_of`` them is the same.

    Returns the first session, for the page's own checks of what the link set."""
    first, second = open_url(page, link), open_url(page, link)
    for at in (first, second):
        assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
        assert not at.sidebar.warning, [w.value for w in at.sidebar.warning]  # every setting was taken
    assert view_of(first) == view_of(second)
    return first


def differs_in_every_part(view: dict, other: dict) -> None:
    """Every part of one view differs from the other's: each setting the link carries took effect."""
    for part, shown in view.items():
        assert shown != other[part], part
