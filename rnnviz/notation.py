"""The course notes' symbols and rnnviz's, side by side (the home page's notation table).

rnnviz writes one convention everywhere, in lesson text, code and chart labels: column vectors,
matrices named by what they connect (``W_xh`` input -> hidden, torch's ``weight_ih``), gates by
their letter after the nonlinearity (``i_pre`` before it), steps t = 1..T with h_0 = 0. Course
notes use several other conventions; each row maps one of them onto rnnviz's.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Symbol:
    course: str  # as course notes often write it (LaTeX)
    app: str  # as rnnviz writes it (LaTeX)
    meaning: str  # what it is, and how the two differ when they are not just renamed


NOTATION = (
    Symbol(r"x^{\langle t \rangle}", r"x_t", "input at step t"),
    Symbol(r"a^{\langle t \rangle}", r"h_t", "hidden state after step t"),
    Symbol(
        r"a^{\langle 0 \rangle} = 0",
        r"h_0 = 0",
        "the state before the first input: steps count t = 1, ..., T",
    ),
    Symbol(r"c^{\langle t \rangle}", r"c_t", "LSTM cell state (the GRU has none: its c_t is h_t)"),
    Symbol(r"\hat y^{\langle t \rangle}", r"y_t", "output distribution at step t (softmax of the logits)"),
    Symbol(
        r"W_{ax},\ W_{aa},\ W_{ya}",
        r"W_{xh},\ W_{hh},\ W_{hy}",
        "input -> hidden, hidden -> hidden, hidden -> output",
    ),
    Symbol(
        r"W_f x_t + U_f h_{t-1}",
        r"W_{xh}^{(f)} x_t + W_{hh}^{(f)} h_{t-1}",
        "W multiplies the input, U the previous state; torch stacks every gate's rows into one "
        "weight_ih / weight_hh (LSTM rows i, f, g, o; GRU rows r, z, n)",
    ),
    Symbol(r"\Gamma_f,\ \Gamma_u,\ \Gamma_o", r"f,\ i,\ o", "LSTM forget, input (update), output gate"),
    Symbol(r"\tilde c^{\langle t \rangle}", r"g_t", "LSTM candidate: what could be written to the cell"),
    Symbol(
        r"z,\ z_i,\ z_f,\ z_o", r"g_{pre},\ i_{pre},\ f_{pre},\ o_{pre}", "values before the nonlinearity"
    ),
    Symbol(r"\Gamma_r", r"r", "GRU reset gate"),
    Symbol(
        r"\Gamma_u",
        r"1 - z",
        "GRU update gate: the course's Γ_u is the share of the new candidate taken, torch's z the "
        "share of the old state kept",
    ),
    Symbol(r"\tilde c^{\langle t \rangle}\ \text{(GRU)}", r"n_t", "GRU candidate"),
    Symbol(
        r"s_{t-1} W_s",
        r"W h_{t-1}",
        "row vectors multiplied from the left are column vectors multiplied from the right: "
        "the course's W_s is the transpose of rnnviz's matrix",
    ),
    Symbol(
        r"E \in \mathbb{R}^{d \times V},\ e_w = E\, o_w",
        r"E \in \mathbb{R}^{V \times d},\ e_w = E^\top o_w",
        "embedding matrix: the course stores one column per word, rnnviz (torch's nn.Embedding) one "
        "row per word; o_w is the one-hot code of word w",
    ),
    Symbol(
        r"\alpha^{\langle t, t' \rangle}",
        r"\alpha_{t,s}",
        "attention weight on input position t when the decoder writes output step s (the course's "
        "output step t is rnnviz's s, its input position t' rnnviz's t)",
    ),
)


def markdown_table() -> str:
    """The table in Markdown, symbols as inline LaTeX."""
    lines = ["| course notes often write | rnnviz writes | meaning |", "| --- | --- | --- |"]
    lines += [f"| ${s.course}$ | ${s.app}$ | {s.meaning} |" for s in NOTATION]
    return "\n".join(lines)
