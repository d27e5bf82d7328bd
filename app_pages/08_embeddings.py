"""Lesson 8: word embeddings. One-hot vs dense, GloVe, cosine similarity, analogies, transfer."""

import time
from dataclasses import asdict

import streamlit as st

from rnnviz.charts import embeddings as charts
from rnnviz.charts import embeddings_maps as charts_maps
from rnnviz.embeddings import (
    DEFAULT_WORDS,
    PRESETS,
    analogy,
    cosine_breakdown,
    glove_table,
    load_glove,
    neighbours,
    one_hot_demo,
    parse_words,
    plot_pairs,
    random_table,
)
from rnnviz.embeddings.analogy import exclusion_sentence
from rnnviz.embeddings.map_compare import (
    compare,
    disagreement_sentence,
    kept_question,
    kept_sentence,
    order_sentence,
)
from rnnviz.embeddings.onehot import closest_pairs, pairs_sentence
from rnnviz.embeddings.projection import project_pairs
from rnnviz.embeddings.similarity import NEAREST_RANKS, nearest_of_four, neighbours_frame, spread_sentence
from rnnviz.embeddings.transfer import SEEN_WORDS as TSEEN
from rnnviz.embeddings.transfer import (
    TITLES,
    VARIANTS,
    TransferConfig,
    TransferExperiment,
    nearest_seen_frame,
)
from rnnviz.embeddings.transfer import UNSEEN_WORDS as TUNSEEN
from rnnviz.embeddings.wordmap import (
    MAX_NEIGHBOURS,
    MAX_PERPLEXITY,
    MAX_SEEDS,
    MAX_WORDS,
    MIN_PERPLEXITY,
    TSNEUnavailable,
    parse_seeds,
    word_maps,
)
from rnnviz.errors import InputError
from ui.export import csv_button
from ui.lesson import chart, check, explain, header, section, show_error, try_this
from ui.lesson import seed as global_seed

P = "l8_"  # prefix of every widget and session key on this page
ANALOGY_DIMS = 4  # dims printed: their 3-decimal numbers fit at 15 px in a half column at 1280 px
seed = global_seed()


@st.cache_resource(show_spinner="Loading the GloVe word vectors (once for every visitor)...")
def glove(n_words: int = DEFAULT_WORDS):
    """One read-only copy shared by all sessions: never modify what this returns."""
    return load_glove(n_words)


header(
    "Word embeddings",
    [
        "why one-hot codes cannot say that *cat* is like *dog*, and how an embedding matrix $E$ turns a "
        "word id into a dense vector $e_w$ by a row lookup;",
        "how cosine similarity measures how alike two word vectors are, on real pretrained GloVe vectors;",
        "how analogies such as *man : woman :: king : ?* become vector arithmetic;",
        "what pretrained vectors buy a small RNN that has to learn from very little data.",
    ],
)
wv = glove()

# --- 1. one-hot versus dense ------------------------------------------------------------------
st.header("1. One-hot codes versus dense vectors")
explain(
    "A network cannot read a word, only numbers. The simplest code gives every word of a vocabulary of "
    "$V$ words its own position: the **one-hot** vector $o_w$ has length $V$, a 1 at the position of $w$ "
    "and 0 elsewhere. Any two different one-hot vectors are at right angles, so their cosine similarity "
    "is 0: to a one-hot code, *cat* is as far from *dog* as from *truck*, and with $V = 400{,}000$ words "
    "each vector is 400,000 numbers long. An **embedding matrix** $E$ (one row of $d$ numbers per word, "
    "$d \\ll V$) replaces $o_w$ with a short dense vector $e_w$. Multiplying by a one-hot vector just "
    "selects a row, which is why `nn.Embedding` is implemented as a lookup rather than a product."
)
st.latex(
    r"o_w \in \{0,1\}^V,\qquad e_w = o_w^\top E \;=\; \text{row } w \text{ of } E,"
    r"\qquad E \in \mathbb{R}^{V\times d}"
)
st.latex(r"\cos(o_u, o_v) = \frac{o_u \cdot o_v}{\lVert o_u\rVert\,\lVert o_v\rVert} = 0 \quad (u \neq v)")


@section
def lookup_view() -> None:
    """Section 1's lookup o_w^T E and the two cosine matrices; its settings rerun it alone."""
    c1, c2, c3 = st.columns([3, 2, 2])
    vocab_text = c1.text_input(
        "A small vocabulary (2 to 12 words)", "cat dog king queen car truck", key=P + "vocab",
        bind="query-params",
        help="Words separated by spaces or commas; capital letters and repeats are ignored.",
    )  # fmt: skip
    table_kind = c2.radio(
        "Rows of E", ["random (as nn.Embedding starts)", "pretrained GloVe"], key=P + "table",
        bind="query-params",
        help="A fresh nn.Embedding draws every entry from N(0, 1); GloVe rows were learned from 6 billion "
        "words.",
    )  # fmt: skip
    dim = c3.slider(
        "d for the random E",
        2,
        8,
        4,
        key=P + "dim",
        bind="query-params",
        disabled=table_kind != "random (as nn.Embedding starts)",
    )
    try:
        words = parse_words(vocab_text)
        pretrained = table_kind == "pretrained GloVe"
        table = glove_table(wv, words) if pretrained else random_table(len(words), dim, seed)
        if st.session_state.get(P + "lookup") not in (None, *words):  # the word left the vocabulary
            st.session_state[P + "lookup"] = words[0]
        chosen = st.radio(
            "Look up the word w =", words, horizontal=True, key=P + "lookup", bind="query-params"
        )
        demo = one_hot_demo(words, table, chosen)
    except InputError as err:
        show_error(err, "Example: cat dog king queen car truck")
    else:
        chart(charts.lookup_figure(demo.words, demo.onehot, demo.table, demo.product), P + "lookup_chart")
        st.caption(
            f"The 1 in o_w sits in row {demo.chosen} ('{demo.word}'), so o_w^T E adds up exactly that row of "
            f"E: e_{demo.word} = ({', '.join(f'{x:.2f}' for x in demo.product[:6])}"
            f"{', ...' if len(demo.product) > 6 else ''})."
            + (" Hover over a cell for its exact value." if len(demo.product) > 16 else "")
        )
        left, right = st.columns(2)
        chart(
            charts.cosine_matrix_figure(demo.words, demo.cos_onehot, "cos(o_u, o_v): one-hot"),
            P + "cos_onehot",
            left,
        )
        chart(
            charts.cosine_matrix_figure(
                demo.words,
                demo.cos_dense,
                "cos(e_u, e_v): " + ("GloVe rows" if pretrained else "random rows of E"),
            ),
            P + "cos_dense",
            right,
        )
        explain(pairs_sentence(closest_pairs(demo.words, demo.cos_dense), pretrained))

    # --- 2. GloVe and cosine similarity -----------------------------------------------------------


lookup_view()

st.header("2. Pretrained vectors and cosine similarity")
explain(
    f"**GloVe** (Pennington, Socher and Manning, 2014) learned a $d = {wv.dim}$ vector for each of "
    f"400,000 words from how often words occur near each other in 6 billion words of Wikipedia and news. "
    f"This page keeps the {len(wv):,} most frequent words. Words used in similar contexts get vectors "
    "pointing in similar directions; **cosine similarity** measures the angle and ignores the length:"
)
st.latex(
    r"\cos(e_u, e_v) = \frac{e_u \cdot e_v}{\lVert e_u\rVert\,\lVert e_v\rVert}"
    r" = \frac{\sum_i e_{u,i}\, e_{v,i}}{\sqrt{\sum_i e_{u,i}^2}\,\sqrt{\sum_i e_{v,i}^2}}"
)


@section
def cosine_view() -> None:
    """cos(e_u, e_v) term by term, for the two words typed; reruns alone."""
    c1, c2 = st.columns(2)
    word_u = c1.text_input("Word u", "cat", key=P + "u", bind="query-params")
    word_v = c2.text_input("Word v", "dog", key=P + "v", bind="query-params")
    try:
        b = cosine_breakdown(wv, word_u, word_v)
    except InputError as err:
        show_error(err, "GloVe 6B is lower-case English; try a common word.")
    else:
        st.latex(
            rf"\cos(e_{{\text{{{b.word_u}}}}}, e_{{\text{{{b.word_v}}}}}) = \frac{{{b.dot:.3f}}}"
            rf"{{{b.norm_u:.3f} \times {b.norm_v:.3f}}} = {b.cos:.3f}"
        )
        chart(charts.cosine_terms_figure(b.word_u, b.word_v, b.u, b.v, b.products), P + "cos_terms")
        st.caption(
            "Green bars, pointing up, are dimensions where both vectors agree in sign and push the dot "
            "product up; red (vermillion) bars, pointing down, are where they disagree. " + spread_sentence(b)
        )
        csv_button(b.frame(), f"cosine-{b.word_u}-{b.word_v}", P + "csv_cos", "The 50 dimensions as CSV")


cosine_view()


@section
def neighbours_view() -> None:
    """The nearest neighbours of a word; reruns alone."""
    st.subheader("Nearest neighbours")
    c1, c2 = st.columns([3, 2])
    query = c1.text_input("Neighbours of", "frog", key=P + "word", bind="query-params")
    k_nb = c2.slider("How many", 3, 20, 10, key=P + "k_nb", bind="query-params")
    try:
        nb = neighbours(wv, query, k=k_nb)
        four, nearest = nearest_of_four(wv, query)
    except InputError as err:
        show_error(err)
    else:
        check(
            P + "predict",
            f"Predict before you look at the chart: which of these four words is nearest to "
            f"'{query.strip().lower()}' in GloVe (the largest cosine)?",
            [w for w, _ in four],
            nearest,
            f"cos = {four[nearest][1]:.3f} for *{four[nearest][0]}*, its nearest word of all "
            f"{len(wv):,}; the other three are its neighbours "
            f"number {', '.join(str(r) for r in NEAREST_RANKS[1:])}.",
            {
                i: f"*{w}* has cos = {c:.3f}; one of the four has {four[nearest][1]:.3f}."
                for i, (w, c) in enumerate(four)
                if i != nearest
            },
        )
        chart(
            charts.ranked_words_figure(
                [w for w, _ in nb],
                [s for _, s in nb],
                f"the {k_nb} words closest to '{query.strip().lower()}'",
            ),
            P + "neighbours",
        )
        st.caption(
            f"Each score is cos(e_query, e_w), computed against all {len(wv):,} words at once as one "
            "matrix-vector product with the unit-length vectors."
        )
        ranked = neighbours_frame(nb)
        csv_button(ranked, f"neighbours-{query.strip().lower()}", P + "csv_nb", "Neighbours as CSV")


neighbours_view()

# --- 3. analogies -----------------------------------------------------------------------------
st.header("3. Analogies as vector arithmetic")
explain(
    "If the step from *man* to *woman* is roughly the same vector as the step from *king* to *queen*, "
    "then *queen* should sit near $e_\\text{king} + (e_\\text{woman} - e_\\text{man})$. For "
    "**a : b :: c : ?** we add the offset $b - a$ to $c$ "
    "(using unit vectors $\\hat e_w = e_w / \\lVert e_w\\rVert$, "
    "so frequent words with long vectors do not dominate) and look for the closest word, leaving out the "
    "three query words themselves (otherwise $c$ itself can come out on top: the sentence under the "
    "answer says whether it would here)."
)
st.latex(r"t = \hat e_b - \hat e_a + \hat e_c,\qquad d = \arg\max_{w \notin \{a, b, c\}} \cos(t, e_w)")
CUSTOM = "your own words"
preset_names = [p.name for p in PRESETS]


@section
def analogy_view() -> None:
    """a : b :: c : ? as vector arithmetic, its answers and its 2-D and 3-D maps; reruns alone."""

    def _apply_preset() -> None:
        name = st.session_state[P + "preset"]
        for p in PRESETS:
            if p.name == name:
                st.session_state[P + "a"], st.session_state[P + "b"], st.session_state[P + "c"] = (
                    p.a,
                    p.b,
                    p.c,
                )

    def _mark_custom() -> None:
        typed = tuple(st.session_state[P + k].strip().lower() for k in "abc")
        if not any((p.a, p.b, p.c) == typed for p in PRESETS):
            st.session_state[P + "preset"] = CUSTOM

    st.selectbox(
        "Classic analogy", [*preset_names, CUSTOM], key=P + "preset", on_change=_apply_preset,
        bind="query-params",
        help="Picking one fills in the three words; edit any word to ask your own analogy.",
    )  # fmt: skip
    c1, c2, c3, c4 = st.columns([2, 2, 2, 2])
    a_word = c1.text_input("a", PRESETS[0].a, key=P + "a", on_change=_mark_custom, bind="query-params")
    b_word = c2.text_input("is to b", PRESETS[0].b, key=P + "b", on_change=_mark_custom, bind="query-params")
    c_word = c3.text_input("as c", PRESETS[0].c, key=P + "c", on_change=_mark_custom, bind="query-params")
    k_an = c4.slider("is to ? (top k)", 1, 15, 5, key=P + "k_an", bind="query-params")
    try:
        res = analogy(wv, a_word, b_word, c_word, k=k_an)
        preset = next((p for p in PRESETS if (p.a, p.b, p.c) == (res.a, res.b, res.c)), None)
        pairs = plot_pairs(wv, res, preset)
        proj2 = project_pairs(wv, pairs, 2, target=res.target)
        proj3 = project_pairs(wv, pairs, 3, target=res.target)
    except InputError as err:
        show_error(err, "Each box takes one lower-case English word, e.g. man, woman, king.")
    else:
        st.markdown(f"### {res.a} : {res.b} :: {res.c} : **{res.best}**  (cos = {res.answers[0][1]:.3f})")
        st.markdown(exclusion_sentence(wv, res))
        left, right = st.columns(2)
        chart(
            charts.ranked_words_figure(
                [w for w, _ in res.answers], [s for _, s in res.answers],
                f"top {len(res.answers)} answers: cos(t, e_w)",
                highlight=preset.expected if preset else None,
            ),
            P + "answers", left,
        )  # fmt: skip
        with left:
            answers = res.frame()
            csv_button(answers, f"analogy-{res.a}-{res.b}-{res.c}", P + "csv_analogy", "Answers as CSV")
        labels = [
            f"ê_{res.a}",
            f"ê_{res.b}",
            f"ê_{res.c}",
            f"t = ê_{res.b} - ê_{res.a} + ê_{res.c}",
            f"ê_{res.best}",
        ]
        rows = [res.unit_a, res.unit_b, res.unit_c, res.target, res.unit_d]
        chart(charts.arithmetic_figure(labels, rows, n_dims=ANALOGY_DIMS), P + "arithmetic", right)
        right.caption(
            f"Check one column by hand: dim 0 of t is {res.unit_b[0]:.3f} - ({res.unit_a[0]:.3f}) + "
            f"{res.unit_c[0]:.3f} = {res.target[0]:.3f}. The full vectors have {wv.dim} dimensions."
        )
        title = "offsets between the words, PCA of their unit vectors"
        tab2, tab3 = st.tabs(["2-D map", "3-D map (drag to rotate)"])
        with tab2:
            chart(
                charts.projection_2d_figure(
                    proj2.words, proj2.coords, proj2.pairs, proj2.explained, title, proj2.target
                ),
                P + "map2d",
            )
        with tab3:
            chart(
                charts.projection_3d_figure(
                    proj3.words, proj3.coords, proj3.pairs, proj3.explained, title, proj3.target
                ),
                P + "map3d",
            )
        st.caption(
            f"Orange arrows: {res.a} -> {res.b} and {res.c} -> {res.best}; grey arrows: more pairs with the "
            "relation. If the analogy holds, the arrows are roughly parallel and of equal length. PCA keeps "
            f"{100 * proj2.explained.sum():.0f}% of the spread of these {len(proj2.words)} vectors in 2-D, "
            "so parallel in 50-D can look bent here: rotate the 3-D map to see more."
        )
        with st.expander("How PCA draws 50-D vectors on a flat screen"):
            st.markdown(
                "Principal component analysis centres the vectors and finds the directions along which they "
                "spread the most: the eigenvectors $w_k$ of their covariance matrix $C$, largest eigenvalue "
                "$\\lambda_k$ first. Each word is drawn at its coordinates along the first 2 (or 3) of them."
            )
            st.latex(
                r"C = \tfrac{1}{n-1}(X-\mu)^\top (X-\mu),\quad C w_k = \lambda_k w_k,"
                r"\quad z_j = W^\top (x_j - \mu)"
            )


analogy_view()

# --- 4. PCA beside t-SNE ------------------------------------------------------------------------
st.header("4. Maps of many words: PCA beside t-SNE")
explain(
    "Section 3 drew a few words with **PCA**, a projection: it keeps the 2 (or 3) directions along which "
    "the words spread most and drops the others. Tools such as the Embedding Projector also draw "
    "**t-SNE** (van der Maaten and Hinton, 2008), which does not project at all. It turns the 50-D "
    "distances into *who is whose neighbour* (each word listens to about *perplexity* neighbours), then "
    "moves points on a flat map until the map has the same neighbours:",
    "**What a distance means in each picture.** PCA: the map is a projection, so two words are never "
    "farther apart on the map than in 50-D. Words far apart on the map *are* far apart; words close on "
    "the map may still differ along the directions left out. t-SNE: only each word's near neighbours "
    "are fitted. How far apart two groups are drawn, and how big a group looks, are not fitted (t-SNE "
    "tends to draw groups of similar size, evenly spread), and a random start can arrange the groups "
    "differently. Read a t-SNE map for *who is next to whom*, never for *how far*.",
)
st.latex(
    r"p_{j|i} \propto \exp\!\Big(-\frac{\lVert \hat e_i - \hat e_j\rVert^2}{2\sigma_i^2}\Big),\quad"
    r"2^{H(p_{\cdot|i})} = \text{perplexity},\quad p_{ij} = \frac{p_{j|i} + p_{i|j}}{2n}"
)
st.latex(
    r"q_{ij} \propto \Big(1 + \frac{\lVert y_i - y_j\rVert^2}{a}\Big)^{-\frac{a+1}{2}}"
    r"\;(a = 1 \text{ in 2-D, } 2 \text{ in 3-D}),\qquad "
    r"y = \arg\min_y \sum_{i \neq j} p_{ij} \log \frac{p_{ij}}{q_{ij}}"
)
MAP_DIMS = {"2-D": 2, "3-D (drag to rotate)": 3}
MAP_INITS = {"the PCA map": "pca", "random (the sidebar's seed)": "random"}


@st.cache_data(max_entries=32, show_spinner="Placing the words with t-SNE...")
def word_maps_of(seeds: str, n_nb: int, dims: int, perplexity: float, init: str, seed_: int, with_tsne: bool):
    """Both maps of one word set, computed once per word set and settings for every visitor."""
    return word_maps(glove(), seeds, n_nb, dims, perplexity, init, seed_, with_tsne)


@section
def maps_view() -> None:
    """The same words drawn by PCA and by t-SNE, side by side, with what each keeps; reruns alone."""
    c1, c2, c3 = st.columns([3, 2, 2])
    text = c1.text_input(
        f"Words to map (1 to {MAX_SEEDS})", "cat dog king paris apple car", key=P + "map_words",
        bind="query-params", help="Each word is drawn with its nearest neighbours, in its own colour.",
    )  # fmt: skip
    n_nb = c2.slider(
        "Neighbours per word", 0, MAX_NEIGHBOURS, 8, key=P + "map_nb", bind="query-params",
        help=f"At most {MAX_SEEDS} x {1 + MAX_NEIGHBOURS} = {MAX_WORDS} words on a map.",
    )  # fmt: skip
    perplexity = c3.slider(
        "t-SNE perplexity", int(MIN_PERPLEXITY), int(MAX_PERPLEXITY), 10, key=P + "map_perplexity",
        bind="query-params", help="About how many neighbours each word listens to; below (words - 1) / 3.",
    )  # fmt: skip
    c4, c5, c6 = st.columns([2, 3, 2])
    dims = MAP_DIMS[c4.radio("Map", list(MAP_DIMS), horizontal=True, key=P + "map_dims", bind="query-params")]
    init = MAP_INITS[
        c5.radio(
            "t-SNE starts from", list(MAP_INITS), horizontal=True, key=P + "map_init", bind="query-params"
        )
    ]
    label_all = c6.checkbox(
        "Label every word", False, key=P + "map_labels", bind="query-params",
        help="Otherwise only the typed words and the pair the maps disagree about are named; hover a point.",
    )  # fmt: skip
    args = (n_nb, dims, float(perplexity), init, seed if init == "random" else 0)
    try:
        seeds = " ".join(parse_seeds(text))
        try:
            maps = word_maps_of(seeds, *args, True)
        except TSNEUnavailable as err:
            show_error(err)
            maps = word_maps_of(seeds, *args, False)
    except InputError as err:
        show_error(err, "Example: cat dog king paris apple car")
        return
    if maps.note:
        st.info(maps.note)
    ws = maps.words
    kind = f"{dims}-D"
    if maps.tsne is not None:
        cmp = compare(maps)
        options, right = kept_question(cmp)
        check(
            P + "map_predict",
            f"Predict before you look: of each word's {cmp.k} nearest neighbours in 50-D, which {kind} map "
            "keeps more among its nearest on the map?",
            options,
            right,
            kept_sentence(cmp),
            {i: "Look at the sentence under the maps: " + kept_sentence(cmp) for i in range(3) if i != right},
        )
    spread = " of the spread" if dims == 2 else ""  # 3-D axis titles turn with the scene: short ones
    pca_axes = [f"PC {k + 1} ({100 * e:.0f}%{spread})" for k, e in enumerate(maps.explained)]
    pair = cmp.pair if maps.tsne is not None else None
    left, right_col = st.columns(2)
    figure = charts_maps.word_map_figure
    chart(
        figure(ws.words, ws.group, ws.seeds, maps.pca, f"PCA, {kind}", pca_axes, pair, label_all=label_all),
        P + "map_pca", left, share=0.5,
    )  # fmt: skip
    if maps.tsne is not None:
        axes = [f"t-SNE {k + 1}" + (" (no units)" if dims == 2 else "") for k in range(dims)]
        title = f"t-SNE, {kind}, perplexity {maps.perplexity:g}"
        chart(
            figure(ws.words, ws.group, ws.seeds, maps.tsne, title, axes, pair, False, label_all),
            P + "map_tsne", right_col, share=0.5,
        )  # fmt: skip
    st.caption(
        f"{len(ws)} words: each typed word (bold) with its {n_nb} nearest neighbours by cosine among the "
        f"{len(wv):,} words (one already on the map is skipped for the next), in its colour and marker "
        f"shape (hover a point for its word). PCA keeps {100 * maps.explained.sum():.0f}% of the spread of "
        f"these {len(ws)} unit vectors in {kind}."
        + (" The dashed line joins the pair the two maps disagree about most." if pair else "")
    )
    if maps.tsne is not None:
        st.markdown(kept_sentence(cmp))
        st.markdown(order_sentence(cmp))
        st.markdown(disagreement_sentence(cmp))


maps_view()

# --- 5. transfer learning ---------------------------------------------------------------------
st.header("5. Transfer learning: what pretraining buys with little data")
explain(
    "A sentiment classifier reads a short review word by word and predicts *positive* or *negative* from "
    "its last hidden state (many-to-one). Its first step is the lookup $x_t = e_{w_t}$. We build the "
    "**same** RNN three times (same seed, same initial recurrent and output weights, same batches, same "
    "number of steps) and change only where $E$ comes from:\n"
    "- **random E**: drawn from $\\mathcal N(0, 1)$ and trained with the rest, as `nn.Embedding` starts;\n"
    "- **frozen GloVe**: the pretrained rows, never updated;\n"
    "- **fine-tuned GloVe**: starts as GloVe and is trained with the rest."
)
st.latex(
    r"x_t = e_{w_t} = o_{w_t}^\top E,\qquad h_t = \mathrm{cell}(x_t, h_{t-1}),"
    r"\qquad p(\text{positive}) = \mathrm{softmax}(W_{hy} h_T + b_y)_1"
)
explain(
    f"The catch is **little data**: a hundred training sentences by default (the slider below), whose "
    f"sentiment words come only from "
    f"one half of the task's word lists (**seen**: {', '.join(TSEEN)}). The main test set uses only the "
    f"other half (**unseen**: {', '.join(TUNSEEN)}). With a random $E$ the model has never adjusted the "
    "rows of the unseen words, so they are noise to it; GloVe already put them next to seen words of "
    "the same sentiment. Training never starts on its own: the curves below begin with the untrained "
    "models (near chance, 0.5), and **Train** runs all three for the same number of steps."
)
with st.expander("Why GloVe helps here: the closest seen word of every unseen word"):
    st.dataframe(
        nearest_seen_frame(wv),
        hide_index=True,
    )
    st.caption(
        "Every unseen word's nearest seen word has the same sentiment, learned from text, not from labels."
    )


@section
def transfer_section() -> None:
    c1, c2, c3, c4 = st.columns(4)
    n_train = c1.slider("Training sentences", 20, 400, 100, step=10, key=P + "n_train", bind="query-params")
    cell = c2.selectbox("Cell", ["gru", "lstm", "rnn_tanh"], key=P + "cell", bind="query-params")
    steps = c3.slider(
        "Steps per click (each model)", 10, 500, 200, step=10, key=P + "steps", bind="query-params"
    )
    seconds = c4.slider("Time budget per click (s)", 2, 60, 20, key=P + "seconds", bind="query-params")
    try:
        cfg = TransferConfig(n_train=n_train, cell=cell, seed=seed)
    except InputError as err:
        show_error(err)
        return
    key = str(asdict(cfg))
    if st.session_state.get(P + "exp_key") != key:
        try:
            st.session_state[P + "exp"] = TransferExperiment(cfg, wv)
        except InputError as err:
            show_error(err, "Use fewer training sentences.")
            return
        st.session_state[P + "exp_key"] = key
    exp: TransferExperiment = st.session_state[P + "exp"]

    b1, b2, b3, status = st.columns([1, 1, 1, 4])
    train = b1.button("Train", key=P + "train", type="primary", help="Fresh models, then one budget of steps")
    more = b2.button("Continue", key=P + "continue", help="One more budget of steps from where they stopped")
    if b3.button("Reset", key=P + "reset", help="Fresh untrained models"):
        exp = st.session_state[P + "exp"] = TransferExperiment(cfg, wv)
    slot = st.empty()
    if train or more:
        if train:
            exp = st.session_state[P + "exp"] = TransferExperiment(cfg, wv)
        bar = st.progress(0.0, text="training...")
        last_draw, draws = [0.0], [0]

        def on_log(variant: str, step: int, done: float) -> None:
            bar.progress(done, text=f"{TITLES[variant]}: step {step}")
            if time.perf_counter() - last_draw[0] > 0.4:
                draws[0] += 1  # each live frame needs its own element id
                chart(charts.transfer_curves_figure(exp.curves), P + f"live_{draws[0]}", slot)
                last_draw[0] = time.perf_counter()

        try:
            results = exp.run(steps, float(seconds), callback=on_log)
        except InputError as err:
            show_error(err)
            return
        bar.empty()
        diverged = [f"{TITLES[v]}: {r.message}" for v, r in results.items() if r.status == "diverged"]
        if diverged:
            status.warning(" · ".join(diverged) + ". Try a smaller learning rate or press Reset.")
        else:
            r = results[VARIANTS[0]]
            ran_out = " The time budget ran out first." if r.status == "budget" else ""
            status.info(
                f"Each model trained {r.steps} more steps ({exp.steps(VARIANTS[0])} in total).{ran_out}"
            )
    chart(charts.transfer_curves_figure(exp.curves), P + "curves", slot)
    st.dataframe(
        exp.summary_frame(),
        hide_index=True,
        column_config={
            name: st.column_config.NumberColumn(format="%.3f")
            for name in ("training sentences", "held-out, seen words", "held-out, unseen words")
        },
    )
    st.caption(
        f"Accuracy on all {len(exp.data.train)} training sentences and on {len(exp.data.test_unseen)} "
        "held-out sentences of each kind; solid lines in the chart are the unseen-word test, dotted lines "
        "the training set."
    )
    curves = exp.curves_frame()
    csv_button(curves, f"transfer-{cell}-{n_train}", P + "csv_curves", "Accuracy curves as CSV")
    text = st.text_input(
        "Type a review with the task's words (e.g. swap in an unseen word)", "the acting was not brilliant",
        key=P + "review", bind="query-params",
    )  # fmt: skip
    try:
        probs = exp.predict(text)
    except InputError as err:
        show_error(err, f"Words this task knows: {', '.join(w for w in exp.task.vocab if w != '<pad>')}")
    else:
        cols = st.columns(len(VARIANTS))
        for col, v in zip(cols, VARIANTS, strict=True):
            col.metric(f"p(positive), {TITLES[v]}", f"{probs[v]:.3f}")


transfer_section()

try_this(
    "In section 1 switch the rows of $E$ to **pretrained GloVe** and add *truck*'s neighbours *bus* and "
    "*jeep* to the vocabulary. Which cells of the dense cosine table light up, and why do the one-hot ones "
    "never do?",
    "Pick the preset **comparative** and change it to *big : bigger :: small : ?*. GloVe answers *larger*, "
    "not *smaller*: what does that tell you about how *bigger* and *larger* are used in text?",
    "Before you press **Train** in section 5, predict the order of the three curves on the unseen-word test. "
    "Then train, and move **Training sentences** down to 40 and up to 300 (Train again each time): when does "
    "pretraining matter most? Does fine-tuning help or hurt the unseen words, and why might it?",
)
check(
    "08_embeddings.py",
    "In section 5 no training sentence contains an unseen sentiment word, yet the frozen-GloVe model "
    "classifies reviews with them far better than the random-$E$ model. Why?",
    [
        "GloVe already put each unseen word next to seen words of the same sentiment, so the RNN reads it "
        "almost like a word it has learned.",
        "The frozen model trained for more steps, because it has fewer weights to update.",
        "One GloVe dimension means *positive*, and the RNN reads just that dimension.",
        "The frozen model learns the rows of the unseen words while it trains.",
    ],
    0,
    "The RNN only learns what to do with the *directions* of the rows $e_w$ it is fed; GloVe learned from "
    "text that the unseen *wonderful* points where the seen *amazing* does (the table of closest seen words "
    "in section 5 lists them all).",
    {
        1: "All three models take the same number of steps on the same batches; only $E$ differs.",
        2: "Section 2 prints the largest single term of a dot product: for related words it is a small "
        "share, the similarity is spread over many of the 50 dimensions.",
        3: "Frozen rows never change, and no training sentence contains an unseen word, so no model can "
        "learn those rows from the data.",
    },
)
