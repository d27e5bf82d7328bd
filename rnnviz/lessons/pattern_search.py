"""Lesson 3: LSTMVis's pattern search (Strobelt et al. 2017) over a char model's hidden states.

The student selects a span of the text (steps ``start + 1 .. stop``, 0-based ``[start, stop)``) and a
threshold θ. The **on set** is the units that stay above θ over the whole span:

    U = { j : h_t[j] > θ for every t in the span }

A **match** is any other maximal run of steps where (at least ``min_share`` of) the units of U are above
θ together. Each match has its own on set V (the units above θ at every step of the match), and is
scored as LSTMVis ranks them, by the on set's units it keeps minus the extra units it switches on:

    score = (|U ∩ V| - |V \\ U|) / |U|        (1 = exactly the selected units; each extra unit costs 1/|U|)

Ties go to the match whose length is closest to the span's, then to the earliest. Everything is
vectorised over positions (a boolean (N, |U|) table, its runs, and ``np.logical_and.reduceat`` for the
matches' on sets): no Python loop over the text.

>>> h = np.full((12, 3), -0.5); h[2:5, :2] = 0.9; h[8:11, :2] = 0.9; h[9, 2] = 0.9
>>> res = search(h, "abcdefghijkl", 2, 5, 0.5)
>>> res.units.tolist(), [(m.start, m.stop, m.score) for m in res.matches]
([0, 1], [(8, 11, 1.0)])

Unit 2 is on only at step 10, not throughout the match, so it costs nothing; a match where it stayed on
too would score (2 - 1) / 2 = 0.5.

The finding beside it (the unit that best separates inside / outside a tag or a string) is
``rnnviz.lessons.pattern_finding``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.errors import InputError

SEARCH_CHARS = 100_000  # characters searched: the text's first 100,000 (float16 h: 25.6 MB at H = 128)
MAX_SPAN = 40  # longest selection, in characters
MAX_MATCHES = 50  # matches kept after ranking (the count of all of them is kept too)
CHUNK = 20_000  # characters per forward pass when computing the states (the state is carried across)


@torch.no_grad()
def text_states(model, ids: torch.Tensor, layer: int | None = None) -> np.ndarray:
    """h_t of one layer (default: the top one, which W_hy reads) over the whole sequence ``ids`` (N,),
    from h_0 = 0: an (N, H) float16 array (h of the tanh RNN, LSTM and GRU lies in (-1, 1), where float16
    keeps 3 decimals). Computed in chunks of ``CHUNK`` characters with the state carried, so the numbers
    equal one pass over the whole text."""
    if ids.dim() != 1 or len(ids) == 0:
        raise InputError("give one non-empty sequence of character ids")
    n_layers = len(model.layers)
    layer = n_layers - 1 if layer is None else layer
    if not 0 <= layer < n_layers:
        raise InputError(f"layer must be 1 to {n_layers}, not {layer + 1}")
    out = np.empty((len(ids), model.cfg.hidden_size), dtype=np.float16)
    states = [None] * (layer + 1)
    for a in range(0, len(ids), CHUNK):
        h = model.embed(ids[None, a : a + CHUNK])  # (1, T, D)
        for k in range(layer + 1):
            h, states[k] = model.layers[k](h, states[k])  # (1, T, H)
        out[a : a + h.shape[1]] = h[0].numpy()
    return out


def check_query(h: np.ndarray, start: int, stop: int, threshold: float) -> None:
    """Refuse a span or threshold the search cannot use, saying what to do."""
    if h.ndim != 2 or len(h) == 0:
        raise InputError(f"need hidden states h of shape (N, H), got {h.shape}")
    n = len(h)
    if not (isinstance(start, (int, np.integer)) and isinstance(stop, (int, np.integer))):
        raise InputError("the span's first and last steps must be whole numbers")
    if not 0 <= start < stop <= n:
        raise InputError(
            f"the span must lie within steps 1 to {n:,} and end at or after its start "
            f"(got steps {start + 1} to {stop})"
        )
    if stop - start > MAX_SPAN:
        raise InputError(f"select at most {MAX_SPAN} characters (this span has {stop - start})")
    if not isinstance(threshold, (int, float, np.floating)) or not -1.0 < float(threshold) < 1.0:
        raise InputError(f"the threshold must lie between -1 and 1 (h_t does), not {threshold!r}")


def on_set(h: np.ndarray, start: int, stop: int, threshold: float) -> np.ndarray:
    """U: the units above ``threshold`` at every step of ``[start, stop)``, ascending; refuses an empty U."""
    check_query(h, start, stop, threshold)
    # U = {j : h_t[j] > θ for all t in the span}
    units = np.flatnonzero((h[start:stop] > threshold).all(axis=0))
    if len(units) == 0:
        best = float(h[start:stop].min(axis=0).max())
        raise InputError(
            f"no unit stays above θ = {threshold:g} over steps {start + 1} to {stop} (the highest any unit "
            f"stays is {best:.2f}): lower the threshold or select a shorter span"
        )
    return units


def runs(active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximal runs of True in a (N,) bool array: (starts, stops), 0-based, stop exclusive."""
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


@dataclass(frozen=True)
class Match:
    start: int  # first step of the match, 0-based (the page prints start + 1)
    stop: int  # one past its last step
    score: float  # (|U ∩ V| - |V \ U|) / |U|
    kept: int  # |U ∩ V|: units of the on set above θ throughout the match
    extra: int  # |V \ U|: other units above θ throughout the match
    left: str  # context before the match
    text: str  # the matched characters
    right: str  # context after it

    @property
    def length(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class SearchResult:
    start: int  # the selection, 0-based [start, stop)
    stop: int
    threshold: float  # θ
    min_share: float  # share of U that must be on at each step of a match
    units: np.ndarray  # U, ascending
    matches: tuple[Match, ...]  # the best MAX_MATCHES, best first
    n_matches: int  # every match found (the selection's own run excluded)
    n_chars: int  # characters searched
    matched_mask: np.ndarray  # (N,) bool: steps inside any match

    def share_in(self, mask: np.ndarray) -> tuple[float, float]:
        """(share of matched characters where ``mask`` holds, share of all characters where it holds)."""
        mask = np.asarray(mask, dtype=bool)[: self.n_chars]
        inside = float(mask[self.matched_mask].mean()) if self.matched_mask.any() else float("nan")
        return inside, float(mask.mean())

    def frame(self) -> pd.DataFrame:
        """One row per kept match: rank, steps (from 1), length, score, units kept and extra, the text."""
        return pd.DataFrame(
            {
                "rank": range(1, len(self.matches) + 1),
                "first step t": [m.start + 1 for m in self.matches],
                "last step t": [m.stop for m in self.matches],
                "length": [m.length for m in self.matches],
                "score": [m.score for m in self.matches],
                "units of U kept": [m.kept for m in self.matches],
                "extra units on": [m.extra for m in self.matches],
                "text": [m.text for m in self.matches],
            }
        )


def search(
    h: np.ndarray,
    text: str,
    start: int,
    stop: int,
    threshold: float,
    min_share: float = 1.0,
    min_length: int = 1,
    context: int = 20,
) -> SearchResult:
    """Every span of ``text`` whose steps switch on the selection's on set together, ranked (module doc)."""
    h = np.asarray(h)
    if len(text) != len(h):
        raise InputError(f"the text has {len(text):,} characters but h has {len(h):,} steps")
    if not 0.0 < min_share <= 1.0:
        raise InputError(f"the share of the on set that must be on is in (0, 1], not {min_share!r}")
    units = on_set(h, start, stop, threshold)
    on = h > threshold  # (N, H): unit j above θ at step t
    # share_t = |{j in U : h_t[j] > θ}| / |U|; a match is a run of steps with share_t >= min_share
    share = on[:, units].mean(axis=1)  # (N,)
    starts, stops = runs(share >= min_share - 1e-9)
    mine = (starts < stop) & (stops > start)  # the run that holds the selection is not a match
    keep = ~mine & (stops - starts >= min_length)
    starts, stops = starts[keep], stops[keep]
    matched = np.zeros(len(h), dtype=bool)
    if len(starts) == 0:
        return SearchResult(start, stop, float(threshold), min_share, units, (), 0, len(h), matched)
    # V of each match: the units above θ at every one of its steps (reduce over [start_i, stop_i))
    padded = np.concatenate([on, np.zeros((1, on.shape[1]), dtype=bool)])  # reduceat needs index < len
    bounds = np.stack([starts, stops], axis=1).ravel()  # s_0, e_0, s_1, e_1, ...
    V = np.logical_and.reduceat(padded, bounds, axis=0)[::2]  # (M, H)
    in_u = np.zeros(on.shape[1], dtype=bool)
    in_u[units] = True
    kept = V[:, in_u].sum(axis=1)  # |U ∩ V|
    extra = V[:, ~in_u].sum(axis=1)  # |V \ U|
    score = (kept - extra) / len(units)  # (|U ∩ V| - |V \ U|) / |U|
    length_gap = np.abs((stops - starts) - (stop - start))
    order = np.lexsort((starts, length_gap, -score))[:MAX_MATCHES]  # score first, then length, then position
    edges = np.zeros(len(h) + 1, dtype=np.int32)  # steps inside any match, by a difference array
    np.add.at(edges, starts, 1)
    np.add.at(edges, stops, -1)
    matched = np.cumsum(edges[:-1]) > 0
    matches = tuple(
        Match(
            int(starts[i]),
            int(stops[i]),
            float(score[i]),
            int(kept[i]),
            int(extra[i]),
            text[max(0, starts[i] - context) : starts[i]],
            text[starts[i] : stops[i]],
            text[stops[i] : stops[i] + context],
        )
        for i in order
    )
    return SearchResult(
        start, stop, float(threshold), min_share, units, matches, len(starts), len(h), matched
    )


THRESHOLDS = tuple(round(-0.99 + 0.01 * k, 2) for k in range(199))  # the page's slider: -0.99 .. 0.99


def default_threshold(h: np.ndarray, start: int, stop: int, least: int = 3, grid=THRESHOLDS) -> float:
    """The highest θ on ``grid`` at which at least ``least`` units (or as many as can) stay above it over
    ``[start, stop)``: a small on set, as LSTMVis starts a selection; the grid's lowest value if none."""
    check_query(h, start, stop, 0.0)
    floors = np.sort(h[start:stop].min(axis=0).astype(float))[::-1]  # each unit's lowest level, highest first
    floor = floors[min(least, len(floors)) - 1]  # the level the least-th unit stays above
    below = [float(t) for t in grid if t < floor - 1e-9]
    return round(max(below), 2) if below else round(float(min(grid)), 2)


def search_sentence(res: SearchResult, region: str | None = None, mask: np.ndarray | None = None) -> str:
    """What the search found, from its numbers (and, given a region's mask, where the matches fall)."""
    n_u = len(res.units)
    units = ", ".join(str(j) for j in res.units[:12]) + (" ..." if n_u > 12 else "")
    need = "all of them" if res.min_share >= 1 else f"at least {res.min_share:.0%} of them"
    head = (
        f"Over steps {res.start + 1} to {res.stop}, **{n_u} unit{'s stay' if n_u != 1 else ' stays'}** above "
        f"θ = {res.threshold:g} (U = {units}). "
    )
    if res.n_matches == 0:
        return head + (
            f"No other span of the {res.n_chars:,} characters has {need} above θ together: the selection's "
            "pattern is unique here (lower θ or select fewer characters to find more)."
        )
    best = res.matches[0]
    out = head + (
        f"**{res.n_matches:,}** other spans of the {res.n_chars:,} characters have {need} above θ together; "
        f"the best scores {best.score:.2f} ({best.kept} of U kept, {best.extra} extra unit"
        f"{'s' if best.extra != 1 else ''} on, {best.length} characters long)."
    )
    if region is not None and mask is not None:
        inside, base = res.share_in(mask)
        out += (
            f" {inside:.0%} of the matched characters are {region}, against {base:.0%} of all characters"
            + (
                ": the units switch on where the region is."
                if inside >= base + 0.2
                else ": the matches do not single the region out."
            )
        )
    return out


def states_key(model, text_id: str, n_chars: int) -> str:
    """What the states depend on: the model's config and weights, the text and its length (a cache key)."""
    digest = hashlib.sha1(f"{model.cfg}|{text_id}|{n_chars}".encode())
    for name, value in model.state_dict().items():
        digest.update(name.encode())
        digest.update(value.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


def selection(res: SearchResult, text: str, context: int = 20) -> Match:
    """The selection itself as a match (its on set is U: score 1, nothing extra), to show it in context."""
    a, b = res.start, res.stop
    n = len(res.units)
    return Match(a, b, 1.0, n, 0, text[max(0, a - context) : a], text[a:b], text[b : b + context])
