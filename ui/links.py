"""Untrusted links: a query parameter a widget cannot take is dropped before the widget reads it.

A link is typed, pasted and edited by hand, so its values can be anything. Streamlit seeds a bound
widget from the URL before the script sees the value, and some values stop the run instead of
falling back (``?seed=inf`` reaches ``int(float("inf"))`` inside ``st.number_input``). So the
router checks the parameters it binds against a rule each, removes the ones that break it, and
says which were ignored.
"""

import math
import re
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui.safe import plain


def whole_number(low: int, high: int) -> Callable[[str], bool]:
    """A rule: digits only (no sign, point, exponent or inf), between ``low`` and ``high``."""

    def rule(value: str) -> bool:
        return re.fullmatch(r"\d{1,20}", value) is not None and low <= int(value) <= high

    rule.__doc__ = f"a whole number from {low} to {high}"
    return rule


def boolean(value: str) -> bool:
    """true or false"""
    return value.lower() in ("true", "false")


def refused(params: Mapping[str, list[str]], rules: Mapping[str, Callable[[str], bool]]) -> dict[str, str]:
    """The parameters of ``params`` (name -> every value given) that break their rule: name -> why."""
    bad = {}
    for name, rule in rules.items():
        values = params.get(name, [])
        if len(values) > 1:
            bad[name] = f"given {len(values)} times"
        elif values and not rule(values[0]):
            bad[name] = f"{values[0][:40]!r} is not {rule.__doc__}"
    return bad


def drop_refused(rules: Mapping[str, Callable[[str], bool]]) -> dict[str, str]:
    """Remove from the URL every parameter that breaks its rule, before any widget reads it."""
    params = {name: st.query_params.get_all(name) for name in rules if name in st.query_params}
    bad = refused(params, rules)
    for name in bad:
        try:
            del st.query_params[name]  # the address bar and "Link to this view"
        except StreamlitAPIException:  # bound already (a link given on a later run): the widget
            pass  # keeps its value and writes it into the URL itself
    if bad:
        # A bound widget seeds itself from the query string the run started with, not from
        # st.query_params, and Streamlit (1.67) has no public call to change that copy. Without
        # this, ?seed=inf still reaches st.number_input. tests/test_app.py pins it.
        ctx = get_script_run_ctx()
        with ctx.session_state.query_params() as qp:
            for name in bad:
                qp._initial_query_params.pop(name, None)
    return bad


def _same(given: list[str], value) -> bool:
    """Whether a widget's ``value`` is what the URL's ``given`` strings asked for."""
    if isinstance(value, list | tuple):
        return len(given) == len(value) and all(_same([g], v) for g, v in zip(given, value, strict=True))
    if len(given) != 1:
        return False
    if isinstance(value, bool):
        return given[0].lower() == str(value).lower()
    if isinstance(value, int | float):
        try:
            return math.isclose(float(given[0]), float(value), rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    return given[0] == str(value)


def _url_form(key: str, value) -> str | None:
    """How Streamlit writes the value of the widget bound to ``key`` into the URL (a choice widget:
    its option's label, the string a link must give), or None when that is not known.

    Streamlit (1.67) has no public call for a widget's serializer: this reads the binding and the
    widget's metadata from session state. tests/test_fuzz_links.py pins it (a refused choice is named,
    an option given by its label is not)."""
    try:
        ctx = get_script_run_ctx()
        with ctx.session_state.query_params() as qp:
            binding = qp.get_binding_for_param(key)
        state = ctx.session_state._state
        meta = state._new_widget_state.widget_metadata.get(binding.widget_id) if binding else None
        form = meta.serializer(value) if meta else None
    except Exception:  # a private structure that changed: fall back to saying nothing
        return None
    return form if isinstance(form, str) else None


def live_params(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``params`` (the run's query parameters, in order) with every widget-bound one as the widget
    holds it now: its current value in Streamlit's URL form, left out at its default, added if the
    run's query lacked it.

    A run's st.query_params is the address bar as it was when the browser asked for the run, and
    quick successive changes (arrow keys on a slider inside a section) coalesce into one run whose
    address predates the last change: the widget holds 1.5, the run's query says 1.45, and Streamlit
    (1.67) writes a bound value back into the URL only when the parameter is missing. The address bar
    catches up in the browser; "Link to this view" must not keep the older value, so it is built
    from the widgets. Reads Streamlit's bindings and widget metadata (no public call gives them);
    if those change shape, the run's query is used as it is. tests/test_links_live.py pins it."""
    try:
        from streamlit.runtime.state.query_params import _coerce_value_for_query_url

        ctx = get_script_run_ctx()
        with ctx.session_state.query_params() as qp:
            bindings = dict(qp._bindings_by_param)
        state = ctx.session_state._state
        metadata = state._new_widget_state.widget_metadata
        live: dict[str, list[str] | None] = {}
        for key, binding in bindings.items():
            meta = metadata.get(binding.widget_id)
            if meta is None or key not in state:
                continue
            value = state[key]
            if value == meta.deserializer(None):  # at its default: Streamlit leaves it out of the URL
                live[key] = None
                continue
            form = _coerce_value_for_query_url(meta.serializer(value), binding.value_type)
            live[key] = form if isinstance(form, list) else [form]
    except Exception:  # a private structure that changed: the run's own query
        return list(params)
    out = [(key, value) for key, value in params if key not in live]
    for key, values in live.items():
        out += [(key, value) for value in values or ()]
    order = {key: n for n, (key, _) in enumerate(params)}  # keep the run's order, new ones last
    return sorted(out, key=lambda kv: order.get(kv[0], len(order)))


def _shown(values) -> str:
    text = ", ".join(map(str, values)) if isinstance(values, list | tuple) else str(values)
    return repr(text if len(text) <= 40 else text[:40] + "...")


class LinkCheck:
    """What a link asked of the page it opened, and what that page did not take, said in words.

    Made before any widget reads the URL: it drops the parameters that break ``rules`` (values a
    widget would choke on). After the page has run, :meth:`after_run` compares every other
    parameter with the widget of the same key: a value Streamlit dropped or clamped (``?l2_H=-5``)
    is named too, and so is a choice the widget did not take (Streamlit drops it from the URL as it
    drops a default: the two are told apart by the option's label). Only a page's first run in a
    session is checked, the run a link opens; later runs change settings on purpose (a Restore button
    puts one back to its default).
    """

    KEY = "link_ignored"  # session state: (url_path of the page a link opened, what it ignored)
    SEEN = "link_checked"  # session state: url_paths whose first run has been checked

    def __init__(self, page: str, rules: Mapping[str, Callable[[str], bool]]) -> None:
        self.page = page
        seen = st.session_state.setdefault(self.SEEN, set())
        self.first = page not in seen
        seen.add(page)
        self.ignored = drop_refused(rules)
        self.asked = {k: st.query_params.get_all(k) for k in st.query_params} if self.first else {}

    def after_run(self, widgets: bool = True) -> None:
        """Record what the page did not take: the values the rules dropped, and (``widgets``) every
        other parameter whose widget shows something else (a page that checks its own URL state, the
        Playground, passes False: only the dropped ones are named here)."""
        for key, given in self.asked.items() if widgets else ():
            if key not in st.session_state:
                continue  # no widget of that key on this page
            value = st.session_state[key]
            if len(given) > 1 and not isinstance(value, list | tuple):  # one value, given twice
                self.ignored[key] = f"given {len(given)} times (it shows {_shown(value)})"
                continue
            if st.query_params.get_all(key) == given:
                continue  # kept as given
            if isinstance(value, str) and key not in st.query_params:
                # a choice widget drops its default from the URL, and the URL names an option by its
                # label ("dot-product attention" for "dot"): dropped is a refusal only when the
                # label of what it shows is not what the link gave
                form = _url_form(key, value)
                if form is not None and given != [form]:
                    self.ignored[key] = (
                        f"{_shown(given)} is not one of this setting's choices (it shows {_shown(form)})"
                    )
                continue
            if (
                isinstance(value, str)
                and value
                and len(given) == 1
                and len(given[0]) > len(value)
                and given[0].startswith(value)
            ):
                # a text box's max_chars cut it (Streamlit does, silently)
                self.ignored[key] = (
                    f"{len(given[0]):,} characters; this box takes at most {len(value):,} (cut there)"
                )
                continue
            if not _same(given, value):
                self.ignored[key] = (
                    f"{_shown(given)} is not a value this setting takes (it shows {_shown(value)})"
                )
        if self.ignored:
            st.session_state[self.KEY] = (
                self.page,
                "; ".join(f"{k}: {why}" for k, why in self.ignored.items()),
            )
        elif st.session_state.get(self.KEY, ("",))[0] != self.page:
            st.session_state.pop(self.KEY, None)

    def message(self) -> str | None:
        """The sentence to show on this page, if a link's settings were ignored here."""
        said = st.session_state.get(self.KEY)
        return f"Ignored from the link: {plain(said[1])}." if said and said[0] == self.page else None


MAX_LINK_CHARS = 8_000  # every browser, chat and course site takes an address this long (Streamlit's
# server refuses requests over ~130 kB, and stops writing a parameter into the address at 524,288)


def shareable(base: str, params: list[tuple[str, str]], limit: int = MAX_LINK_CHARS) -> tuple[str, list[str]]:
    """``base`` with ``params`` as its query, leaving out the longest values until it fits in ``limit``.

    Returns (the link, the names left out)."""
    kept, left_out = list(params), []
    while True:
        query = urlencode(kept)
        link = base + (f"?{query}" if query else "")
        if len(link) <= limit or not kept:
            return link, left_out
        longest = max(range(len(kept)), key=lambda i: len(urlencode([kept[i]])))
        left_out.append(kept.pop(longest)[0])


def home_alias(url_path: str | None) -> None:
    """Let ``/<url_path>`` open the default page without a "Page not found" dialog.

    Streamlit serves the default page at the root and gives it no other address, so a link to the
    home page's own url_path (``/start``) would resolve to no page. Called before st.navigation: it
    turns a request for that name into a request for the root (the default page). Uses Streamlit
    1.67's pages manager (no public call does this); tests/test_browser.py opens ``/start`` cold.
    """
    ctx = get_script_run_ctx()
    manager = getattr(ctx, "pages_manager", None)
    if (
        manager is not None
        and manager.intended_page_name == url_path
        and not manager.intended_page_script_hash
    ):
        manager.set_script_intent("", "")
