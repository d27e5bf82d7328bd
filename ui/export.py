"""Take work home: download a trained model and upload it later to continue; tables as CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnviz.errors import InputError
from rnnviz.io import MAX_BYTES, restore_trainer, save_trainer_bytes
from rnnviz.model import SeqModel
from rnnviz.train import Trainer
from ui.safe import plain

TICK, CROSS = ":material/check:", ":material/error:"


def steps_param(key: str) -> str:
    """The URL parameter that says how far the model of training panel ``key`` was trained."""
    return f"{key}_trained"


def runs_key(key: str) -> str:
    """Session state: the runs (rnnviz.store.parse_runs) that trained this session's model, or
    None when a link cannot reproduce it (a model loaded from a file)."""
    return f"{key}_runs_done"


def model_box(key: str, trainer: Trainer) -> None:
    """Download this session's model (one .safetensors file: weights, settings, training history)
    and upload one to continue training it. Only models of this page's settings and text load."""
    if not isinstance(trainer.model, SeqModel):
        return
    seen = f"{key}_upload_done"  # (file id, loaded?, message) of the last file uploaded
    outcome = st.session_state.get(seen)
    current = st.session_state.get(f"{key}_upload")
    # Messages go above the expander, in a slot that is there on every run: the expander keeps its place
    # (and so stays open or closed as the student left it), and a refusal shows even when it is closed.
    note = st.empty()
    if outcome and current is not None and current.file_id == outcome[0]:
        (note.success if outcome[1] else note.error)(outcome[2], icon=TICK if outcome[1] else CROSS)
    with st.expander("Save this model, or load one to continue", icon=":material/save:"):
        left, right = st.columns(2)
        left.download_button(
            "Download the model (.safetensors)",
            data=lambda: save_trainer_bytes(trainer),
            file_name=f"rnnviz-{key}-step{trainer.step}.safetensors",
            mime="application/octet-stream",
            on_click="ignore",
            key=f"{key}_download",
            help="Weights, the model's settings and the loss history in one file. Nothing else: "
            "no code, so a file from anyone is safe to load.",
        )
        upload = right.file_uploader(
            "Upload a saved model to continue",
            type=["safetensors"],
            key=f"{key}_upload",
            help=f"A file downloaded from this page, with the same settings (at most "
            f"{MAX_BYTES // 10**6} MB).",
        )
        if upload is None:
            return
        if outcome and outcome[0] == upload.file_id:  # read on an earlier run: never parsed twice
            return
        try:
            step = restore_trainer(trainer, upload.getvalue())
        except InputError as err:
            st.session_state[seen] = (upload.file_id, False, plain(err))
            note.error(plain(err), icon=CROSS)
            return
        message = f"Loaded {plain(upload.name)}: the model is back at step {step}; train on to continue."
        st.session_state[seen] = (upload.file_id, True, message)
        st.session_state.pop(f"{key}_result", None)
        st.session_state[runs_key(key)] = None  # a link cannot carry a file's training
        if steps_param(key) in st.query_params:
            del st.query_params[steps_param(key)]
        st.rerun()  # the whole page, so every view shows the loaded model (this may run in a fragment)


def csv_button(frame: pd.DataFrame, name: str, key: str, label: str = "Download as CSV") -> None:
    """A download button for ``frame`` as ``name``.csv (built only when clicked)."""
    st.download_button(
        label,
        data=lambda: frame.to_csv(index=False).encode(),
        file_name=f"{name}.csv",
        mime="text/csv",
        on_click="ignore",
        key=key,
        icon=":material/download:",
    )
