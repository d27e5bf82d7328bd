"""Home: what rnnviz teaches, the map of lessons, how to use it in class and alone."""

import streamlit as st

from course import HOME_FILE, available, by_section
from rnnviz.notation import markdown_table
from ui.lesson import lessons_done

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
    "such as $i$ is its value after the nonlinearity (the value before it is `i_pre`). Steps count "
    "$t = 1, \\dots, T$ from the state $h_0 = 0$ before the first input, and a matrix is named by what "
    "it connects: $W_{xh}$ (input to hidden, torch's `weight_ih`), $W_{hh}$, $W_{hy}$."
)
with st.expander("Notation: the course notes' symbols and rnnviz's", icon=":material/translate:"):
    st.markdown(markdown_table())

lessons = [lesson for lesson in available() if lesson.file != HOME_FILE]
done = lessons_done()
# the Playground has no check question: it is where you go after the lessons, not one of them
checked = [lesson for lesson in lessons if lesson.section != "Playground"]
st.header("Lessons")
if checked:
    n_done = sum(lesson.file in done for lesson in checked)
    upcoming = [lesson for lesson in checked if lesson.file not in done]
    left, right = st.columns([1, 2], vertical_alignment="center")
    left.metric("Lessons done this session", f"{n_done} of {len(checked)}")
    left.progress(n_done / len(checked))
    if upcoming:
        right.markdown(
            "A lesson counts as done when you answer its **Check yourself** question right. "
            + ("Start here:" if n_done == 0 else "Next up:")
        )
        right.page_link(upcoming[0].path, label=upcoming[0].title, icon=upcoming[0].icon)
    else:
        right.success(
            "Every lesson done. Try your own setups in the Playground.", icon=":material/celebration:"
        )
if lessons:
    for section, rows in by_section(lessons).items():
        st.subheader(section)
        for lesson in rows:
            mark = " :material/check_circle: done" if lesson.file in done else ""
            st.page_link(lesson.path, label=lesson.title + mark, icon=lesson.icon)
            st.caption(lesson.summary)
else:
    st.info("No lesson pages are installed next to this app: add lesson files to the `app_pages/` folder.")

left, right = st.columns(2)
with left:
    st.header("In class")
    st.markdown(
        "- Turn on **Presenter mode** in the sidebar: larger text and charts, the explanations fold "
        "away (you do the explaining). Collapse the sidebar for more room.\n"
        "- **Link to this view** (sidebar) gives the address of what you show, settings and seed "
        "included: post it and every student opens the same view. On a lesson the link also carries "
        "how far each model was trained, so students get the model the projector shows, the same "
        "weights and numbers (the first to open it waits while the server trains it again; the others "
        "get a copy). A model loaded from a file is not in the link: share the file.\n"
        "- The **Seed** in the sidebar fixes the data and the initial weights: the same seed and the "
        "same settings give the same starting model on every laptop, so students can follow along and "
        "check they see what the projector shows.\n"
        "- Change one setting at a time and ask the room what will happen before the chart redraws."
    )
with right:
    st.header("On your own")
    st.markdown(
        "- Go through the lessons in order: each one builds on the one before it.\n"
        "- Read the equation first, then find each of its symbols in the charts.\n"
        "- Change the seed to see which results hold for every run and which were luck.\n"
        "- Each lesson ends with a **Try this** exercise and a **Check yourself** question; the list "
        "above shows which lessons you have done in this session and suggests the next.\n"
        "- Trained a model you want to keep? Each training panel can **download** it and **upload** "
        "it later to continue where you stopped."
    )
