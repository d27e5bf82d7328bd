"""Where the date decoder's attention goes, in words computed from the weights alpha_{t,s}.

At character level the encoder reads left to right, so e_t has read x_1 .. x_t and no more.
The state at a space has read the whole word before it; the state at a letter inside a word
knows the word only if no other word of the task begins with the letters read so far
("marc" can only be march, "four" may still become fourth or fourteen). ``roles`` labels
every input character so, and ``focus`` measures the share of the weight on each kind::

    >>> from rnnviz.seq2seq.dates import DateTask
    >>> task = DateTask(tokens="chars")
    >>> roles(task, ["one", "may"])        # 'o' could be of, oh, one; 'm', 'ma' monday, march, may
    ['open', 'decided', 'decided', 'space', 'open', 'open', 'decided']
    >>> fields(["the", "first", "of", "may"])
    ['filler', 'day', 'filler', 'month']

Roles: ``space`` (a separator: the word before it is complete), ``decided`` (a letter after
which only one word of the vocabulary fits, or the input's last letter: e_t already knows the
word), ``open`` (more than one word of the task still fits the letters read so far).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.seq2seq.dates import _DAY_LOOKUP, MONTHS, WEEKDAYS, WORDS

ROLES = ("space", "decided", "open")
NEARLY_UNIFORM = 0.9  # spread above this: "nearly uniform"
FIELD_OF_OUTPUT = ("day", "day", "sep", "month", "month", "sep", "year", "year", "year", "year")


def prefix_words() -> list[str]:
    """Words of the task that are the beginning of a longer word (four -> fourth, fourteen)."""
    return [w for w in WORDS if any(v != w and v.startswith(w) for v in WORDS)]


def decided_at(word: str) -> int:
    """Letters of ``word`` read before it is the only word of the task that fits (len(word) + 1 if
    it is still open at its last letter, a prefix of a longer word: only the space decides it)."""
    for n in range(1, len(word) + 1):
        if [v for v in WORDS if v.startswith(word[:n])] == [word]:
            return n
    return len(word) + 1


def roles(task, words: list[str]) -> list[str]:
    """The role of every input token (characters; words are all 'decided': each is one token)."""
    if task.tokens == "words":
        return ["decided"] * len(words)
    out: list[str] = []
    for k, w in enumerate(words):
        n = decided_at(w)
        out += ["decided" if j + 1 >= n else "open" for j in range(len(w))]
        if k < len(words) - 1:
            out.append("space")
    if out and out[-1] == "open":
        out[-1] = "decided"  # the last letter of the input: the encoder has read the whole word
    return out


def fields(words: list[str]) -> list[str] | None:
    """Which part of the date each word writes (day, month, year; weekday, the, of are 'filler'),
    following the task's own grammar; None if the words are not a date."""
    out, ws = [], list(words)
    if ws[:1] and ws[0] in WEEKDAYS:
        out.append("filler"), ws.pop(0)
    if ws[:1] == ["the"]:
        out.append("filler"), ws.pop(0)
    n = next((n for n in (2, 1) if tuple(ws[:n]) in _DAY_LOOKUP), 0)
    if not n:
        return None
    out += ["day"] * n
    ws = ws[n:]
    if ws[:1] == ["of"]:
        out.append("filler"), ws.pop(0)
    if not ws or ws[0] not in MONTHS:
        return None
    return out + ["month"] + ["year"] * (len(ws) - 1)


def token_fields(task, words: list[str]) -> list[str] | None:
    """The field of every input token; a space belongs to the word before it."""
    per_word = fields(words)
    if per_word is None:
        return None
    if task.tokens == "words":
        return per_word
    out: list[str] = []
    for k, (w, f) in enumerate(zip(words, per_word, strict=True)):
        out += [f] * (len(w) + (k < len(words) - 1))
    return out


@dataclass(frozen=True)
class Focus:
    weight: dict[str, float]  # role -> share of all attention weight (mean over output steps)
    tokens: dict[str, float]  # role -> share of the input tokens (what uniform weights would give)
    on_field: float | None  # mean over digit steps of the weight on the field being written
    field_tokens: float | None  # the same for uniform weights: the field's share of the input
    spread: float  # mean over steps s of H(alpha_s) / log T: 1 for uniform weights, 0 for one-hot
    prefix_words: list[str]  # task words that begin a longer word (only a space decides them)

    def sentences(self) -> list[str]:
        """What the page says about these numbers (each branch follows them)."""
        w, n = self.weight, self.tokens
        if self.spread > NEARLY_UNIFORM:
            return [
                f"The weights are nearly uniform: their entropy is {100 * self.spread:.0f}% of the uniform "
                "weights' log T. This model has not learned where to look yet."
            ]
        out = []
        if n.get("space", 0) > 0:
            ratio = w["space"] / n["space"]
            how = (
                "more weight than their number"
                if ratio > 1.2
                else ("less weight than their number" if ratio < 0.8 else "about their number's share")
            )
            out.append(
                f"Spaces are {100 * n['space']:.0f}% of the input and get {100 * w['space']:.0f}% of the "
                f"weight ({how}); letters where the word is already decided are {100 * n['decided']:.0f}% "
                f"of the input and get {100 * w['decided']:.0f}%; letters of words still open get "
                f"{100 * w['open']:.0f}% (they are {100 * n['open']:.0f}% of the input)."
            )
        if self.on_field is not None:
            more = "more than" if self.on_field > self.field_tokens + 0.1 else "not clearly more than"
            out.append(
                f"While writing a digit, {100 * self.on_field:.0f}% of the weight is on the words of the "
                f"field it writes (day, month or year) and the spaces after them, {more} the "
                f"{100 * self.field_tokens:.0f}% uniform weights would give."
            )
        return out


def focus(task, words: list[str], alpha: np.ndarray) -> Focus:
    """Shares of the weight ``alpha`` (S, T) by role, and on the field each digit step writes."""
    r = np.array(roles(task, words))
    S = alpha.shape[0]
    weight = {k: float(alpha[:, r == k].sum(1).mean()) for k in ROLES}
    tokens = {k: float(np.mean(r == k)) for k in ROLES}
    tf = token_fields(task, words)
    on_field = field_tokens = None
    if tf is not None:
        tf = np.array(tf)
        steps = [s for s in range(min(S, len(FIELD_OF_OUTPUT))) if FIELD_OF_OUTPUT[s] != "sep"]
        steps = [s for s in steps if (tf == FIELD_OF_OUTPUT[s]).any()]  # no year in the input: skip
        if steps:
            on_field = float(np.mean([alpha[s, tf == FIELD_OF_OUTPUT[s]].sum() for s in steps]))
            field_tokens = float(np.mean([np.mean(tf == FIELD_OF_OUTPUT[s]) for s in steps]))
    return Focus(weight, tokens, on_field, field_tokens, spread(alpha), prefix_words())


def spread(alpha: np.ndarray) -> float:
    """Mean over output steps of the entropy of alpha_s over log T (1: uniform; T = 1 gives 1)."""
    T = alpha.shape[1]
    if T == 1:
        return 1.0
    a = np.clip(alpha, 1e-12, 1.0)
    # H(alpha_s) = -sum_t alpha_{t,s} log alpha_{t,s}
    return float((-(alpha * np.log(a)).sum(1) / np.log(T)).mean())


def where_in_word(words: list[str], t: int) -> tuple[int, int | None]:
    """Character position t (0-based) of ' '.join(words) -> (word index, letters read of it), or
    (word index, None) for the space after that word."""
    pos = 0
    for k, w in enumerate(words):
        if t < pos + len(w):
            return k, t - pos + 1
        if t == pos + len(w):
            return k, None
        pos += len(w) + 1
    raise IndexError(f"position {t} is past the input")


def position_sentence(task, words: list[str], t: int) -> str:
    """Why e_t can stand for a word: what the encoder has read by position t (0-based)."""
    if task.tokens == "words":
        return f"$e_{{{t + 1}}}$ has read the input up to the word '{words[t]}'."
    k, n = where_in_word(words, t)
    w = words[k]
    if n is None:
        return (
            f"It is the space after '{w}': the encoder reads left to right, so $e_{{{t + 1}}}$ has read the "
            f"whole word '{w}' and knows it is over. A state at a separator sums up the word before it."
        )
    fits = [v for v in WORDS if v.startswith(w[:n])]
    if fits == [w] or (n == len(w) and k == len(words) - 1):
        return (
            f"It is letter {n} of '{w}': after '{w[:n]}' only '{w}' fits among the task's words, so "
            f"$e_{{{t + 1}}}$ already knows the word."
        )
    shown = ", ".join(fits[:4]) + (", ..." if len(fits) > 4 else "")
    return (
        f"It is letter {n} of '{w}': after '{w[:n]}' {len(fits)} of the task's words still fit ({shown}), "
        f"so $e_{{{t + 1}}}$ alone does not yet know the word."
    )
