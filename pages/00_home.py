"""Home: what rnnviz teaches, the map of lessons, how to use it in class and alone."""

import streamlit as st

from lessons import HOME_FILE, available, by_section

st.title("rnnviz: recurrent neural networks, opened up")
st.markdown(
    "A recurrent neural network reads a sequence one step at a time and carries a **hidden state** "
    "$h_t$ from each step to the next: a running summary of everything it has read so far. "
    "The lessons train small networks right in front of you and then show "
    "what is inside it: the hidden state at each step, the gates of an LSTM or a GRU, the gradient "
    "flowing back through time, and where an attention model looks."
)
st.markdown(
    "The same letters mean the same things everywhere, in the text, the code and the charts: "
    "$x_t$ is the input at step $t$, $h_t$ the hidden state, $c_t$ the LSTM cell state, and a gate "
    "such as $i$ is its value after the nonlinearity (the value before it is `i_pre`)."
)

lessons = [lesson for lesson in available() if lesson.file != HOME_FILE]
st.header("Lessons")
if lessons:
    for section, rows in by_section(lessons).items():
        st.subheader(section)
        for lesson in rows:
            st.page_link(lesson.path, label=lesson.title, icon=lesson.icon)
            st.caption(lesson.summary)
else:
    st.info("No lesson pages are installed next to this app: add lesson files to the `pages/` folder.")

left, right = st.columns(2)
with left:
    st.header("In class")
    st.markdown(
        "- The layout is wide, so charts fill a projector; collapse the sidebar for more room.\n"
        "- The **Seed** in the sidebar fixes the data and the initial weights: the same seed and the "
        "same settings give the same numbers on every laptop, so students can follow along and "
        "check they see what the projector shows.\n"
        "- Change one setting at a time and ask the room what will happen before the chart redraws."
    )
with right:
    st.header("On your own")
    st.markdown(
        "- Go through the lessons in order: each one builds on the one before it.\n"
        "- Read the equation first, then find each of its symbols in the charts.\n"
        "- Change the seed to see which results hold for every run and which were luck."
    )
