"""What a student keeps of a trained model when the server restarts or the tab loses its connection.

A trained model lives in the server's memory, in the student's session. Streamlit keeps a session
whose tab has lost its connection for ``server.disconnectedSessionTTL`` seconds (120 by default,
streamlit/config.py; at most 128 such sessions, runtime/memory_session_storage.py); a tab that
reconnects within that time finds everything as it was. After that, or after a server restart
(Community Cloud puts an app with no visitors to sleep), the session is gone; reloading the page
starts a new one from its address: every setting in the address comes back, and so does a model
whose training the address carries (``{key}_trained``, rebuilt to the same weights by
ui.training); nothing else does.

    >>> print(keep_note(437, in_link=True, left_out=(), ttl_seconds=120))
    This model is kept in the server's memory only: a server restart, or over 2 minutes offline, \
loses it. Reloading the page (or opening Link to this view) then retrains its 437 steps to the \
same weights; a download (below) keeps it as a file.
    >>> keep_note(0, in_link=True, left_out=(), ttl_seconds=120) is None
    True
"""

from __future__ import annotations

from collections.abc import Sequence


def _duration(seconds: int) -> str:
    if seconds % 60 == 0 and seconds >= 60:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} seconds"


def keep_note(
    steps: int,
    in_link: bool,
    left_out: Sequence[str],
    ttl_seconds: int,
    models: int = 1,
    download: bool = True,
) -> str | None:
    """The sentence beside a training panel: what a restart or a long disconnection loses, and how
    to keep it. ``steps``: training steps so far (0: nothing to lose, no note); ``in_link``: the
    address says how the model was trained (False for a model loaded from a file); ``left_out``:
    settings "Link to this view" leaves out (too long), so a link would not rebuild this model;
    ``models``: how many models the panel trains; ``download``: the panel offers a download (a
    single model of the lesson's own kind)."""
    if steps < 1:
        return None
    one = models == 1
    # Checked by hand on a real server (Streamlit 1.67): after a restart the tab reconnects but shows
    # its old page; a reload starts a new session from the address, which follows ``{key}_trained``.
    head = (
        f"{'This model is' if one else 'These models are'} kept in the server's memory only: a server "
        f"restart, or over {_duration(ttl_seconds)} offline, loses {'it' if one else 'them'}."
    )
    keep = (
        "a download (below) keeps it as a file"
        if one and download
        else "nothing else keeps " + ("it" if one else "them")
    )
    if not in_link:
        return f"{head} A model loaded from a file is not in the page's link: keep the file."
    if left_out:
        what = "this model" if one else "these models"
        names = ", ".join(left_out)
        return (
            f"{head} Link to this view leaves out {names} (too long), so it would not rebuild {what}; {keep}."
        )
    trained = f"retrains its {steps} steps" if one else "retrains each of them"
    again = "Reloading the page (or opening Link to this view) then"
    return f"{head} {again} {trained} to the same weights; {keep}."
