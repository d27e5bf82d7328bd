"""rnnviz router: page setup, torch threads, navigation over pages/, the shared sidebar.

Run with ``streamlit run app.py``. Every lesson is a file in ``pages/`` listed in
``lessons.LESSONS``; a lesson appears in the navigation once its file exists.
"""

import streamlit as st
import torch

from lessons import available, by_section

# One intra-op thread per process. Streamlit serves every browser session from threads of
# one process, and the models here are tiny (hidden sizes of tens of units), so extra
# threads buy little and fight each other. Measured on the 2-core machine this app is
# built on, a 64-unit LSTM training step (batch 32, 50 steps): alone, 8.4 ms with 1 thread
# and 5.4 ms with 2; with two runs at once, 7-8 ms each with 1 thread and 23 ms each with 2.
# A projected class has many sessions at once, so 1 thread keeps everyone responsive.
TORCH_THREADS = 1
if torch.get_num_threads() != TORCH_THREADS:  # app.py reruns on every click: set it once
    torch.set_num_threads(TORCH_THREADS)

st.set_page_config(
    page_title="rnnviz",
    page_icon=":material/cycle:",
    layout="wide",
    initial_sidebar_state="expanded",
    menu_items={"About": "rnnviz: recurrent neural networks, trained live and inspected step by step."},
)

pages = {
    section: [
        st.Page(
            lesson.path,
            title=lesson.title,
            icon=lesson.icon,
            url_path=lesson.url_path,
            default=lesson.section == "Start",
        )
        for lesson in lessons
    ]
    for section, lessons in by_section(available()).items()
}
current = st.navigation(pages, expanded=True)

with st.sidebar:
    st.number_input(
        "Seed",
        min_value=0,
        max_value=2**31 - 1,
        value=0,
        step=1,
        key="seed",
        help="Every page draws its data and initial weights from this seed: "
        "the same seed gives everyone the same numbers.",
    )
    st.caption("rnnviz: small recurrent networks, trained live in your browser and inspected step by step.")

current.run()
