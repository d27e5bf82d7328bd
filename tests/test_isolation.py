"""Sessions are isolated: one student's training never changes what another sees, and what
st.cache_resource shares between sessions is never modified after it is built."""

import dataclasses
import hashlib
import threading

import numpy as np
import pytest
import torch
from conftest import page_files
from streamlit.runtime.caching import cache_resource_api


def numbers(at) -> list:
    """Everything a student reads as a number or text on the page (not the training panel's own
    caption, which counts the session's steps)."""
    return (
        [m.value for m in at.markdown]
        + [(m.label, m.value) for m in at.metric]
        + [c.value for c in at.caption if "training steps so far" not in c.value]
        + [repr(df.value) for df in at.dataframe]
    )


def test_training_in_one_session_leaves_another_unchanged(open_page):
    a, b = open_page("05_lstm.py"), open_page("05_lstm.py")
    before_b = numbers(b)
    assert numbers(a) == before_b  # same link, same seed: the same view
    a.button(key="l5_train").click().run()
    assert not a.exception
    assert a.session_state["l5_trainer"][1].step > 0 and numbers(a) != before_b  # A trained
    b.run()
    assert b.session_state["l5_trainer"][1].step == 0 and numbers(b) == before_b  # B did not move
    assert a.session_state["l5_trainer"][1].model is not b.session_state["l5_trainer"][1].model


def _fingerprint(value, depth: int = 0) -> str:
    """A hash of everything reachable in ``value`` that a page could modify."""
    h = hashlib.sha256()

    def walk(v, d):
        if d > 6:
            return
        if isinstance(v, torch.nn.Module):
            for k, t in v.state_dict().items():
                h.update(k.encode() + t.detach().contiguous().numpy().tobytes())
        elif isinstance(v, torch.Tensor):
            h.update(v.detach().contiguous().numpy().tobytes())
        elif isinstance(v, np.ndarray):
            h.update(np.ascontiguousarray(v).tobytes())
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            for f in dataclasses.fields(v):
                h.update(f.name.encode())
                walk(getattr(v, f.name), d + 1)
        elif isinstance(v, dict):
            for k in sorted(v, key=repr):
                h.update(repr(k).encode())
                walk(v[k], d + 1)
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item, d + 1)
        else:
            h.update(repr(v).encode())

    walk(value, depth)
    return h.hexdigest()


def _shared_resources() -> dict[str, str]:
    """Fingerprints of every st.cache_resource value alive in this process (the semaphore aside:
    changing is its job)."""
    out = {}
    for function_key, cache in cache_resource_api._resource_caches._function_caches.get(None, {}).items():
        for value_key, result in list(cache._mem_cache.items()):
            if not isinstance(result.value, (threading.Semaphore, threading.Thread)):
                out[f"{function_key}/{value_key}"] = _fingerprint(result.value)
    return out


@pytest.mark.parametrize("file", [f for f in page_files() if f.startswith(("01", "08"))])
def test_shared_cached_resources_are_not_modified_by_using_the_page(open_page, file):
    at = open_page(file)
    before = _shared_resources()
    assert before, "the page caches nothing shared: this test would check nothing"
    # use the page: every slider one notch, every text box a new value, every button once (widgets
    # looked up again by key each time: a rerun can change which ones exist)
    for kind, act in (
        ("slider", lambda w: w.set_value(min(w.max, w.value + (w.step or 1)))),
        ("text_input", lambda w: w.input("king")),
        ("button", lambda w: w.click()),
    ):
        for key in [w.key for w in getattr(at, kind) if w.key]:
            try:
                widget = getattr(at, kind)(key=key)
            except KeyError:
                continue
            if kind == "slider" and not isinstance(widget.value, (int, float)):
                continue
            act(widget).run()
    assert not at.exception
    other = open_page(file)  # a second session on the same shared data
    assert not other.exception
    after = _shared_resources()
    assert {k: after[k] for k in before} == before
