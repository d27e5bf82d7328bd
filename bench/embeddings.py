"""Lesson 8 figures: GloVe load time and memory, analogy accuracy, query times, transfer learning,
and section 4's t-SNE on the largest word set the page allows (8 words x 11 = 88 points), 2-D and 3-D.

Analogy accuracy is measured on the project's own set (``rnnviz.embeddings.analogy_set``:
5 relations x 12 = 60 analogies); the transfer figures are the page's default experiment
(100 training sentences, 200 steps per model) for three seeds.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from rnnviz.embeddings import analogy, load_glove, neighbours
from rnnviz.embeddings.analogy_set import analogy_accuracy
from rnnviz.embeddings.transfer import VARIANTS, TransferConfig, TransferExperiment
from rnnviz.errors import InputError

REPEATS = 50  # timed repeats of each query; the median is reported
TRANSFER_SEEDS = (0, 1, 2)
TRANSFER_STEPS = 200
TSNE_WORDS = "cat dog king paris apple car guitar river"  # 8 typed words: the page's cap
TSNE_REPEATS = 3  # each map timed this often (after a first call that imports scikit-learn)


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc; NaN elsewhere)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def median_ms(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 3)


def _unknown(wv) -> None:
    try:
        wv.index_of("kingg")
    except InputError:
        pass


def tsne_figures(wv) -> dict:
    """Seconds for both maps of the largest allowed word set (the median of TSNE_REPEATS), and what
    the first call costs: importing scikit-learn (time and resident memory)."""
    from rnnviz.embeddings.wordmap import MAX_NEIGHBOURS, MAX_PERPLEXITY, word_maps

    rss0, start = rss_mb(), time.perf_counter()
    import sklearn.manifold  # noqa: F401  (the page imports it on its first map)

    out = {"sklearn_import_seconds": round(time.perf_counter() - start, 2),
           "sklearn_import_rss_mb": round(rss_mb() - rss0, 1)}  # fmt: skip
    for dims in (2, 3):
        times = []
        for _ in range(TSNE_REPEATS):
            start = time.perf_counter()
            maps = word_maps(wv, TSNE_WORDS, MAX_NEIGHBOURS, dims, MAX_PERPLEXITY)
            times.append(time.perf_counter() - start)
        out[f"tsne_{dims}d_words"] = len(maps.words)
        out[f"tsne_{dims}d_seconds"] = round(statistics.median(times), 3)
    return out


def run() -> dict:
    import pyarrow.parquet  # noqa: F401  (imported first so the RSS delta counts only the vectors)

    rss0 = rss_mb()
    start = time.perf_counter()
    wv = load_glove()
    load_s = time.perf_counter() - start
    rss1 = rss_mb()
    acc = analogy_accuracy(wv)
    transfer: dict[str, list[float]] = {v: [] for v in VARIANTS}
    seen: dict[str, list[float]] = {v: [] for v in VARIANTS}
    train_s = []
    for seed in TRANSFER_SEEDS:
        exp = TransferExperiment(TransferConfig(seed=seed), wv, log_every=TRANSFER_STEPS)
        start = time.perf_counter()
        exp.run(TRANSFER_STEPS, 300.0)
        train_s.append(time.perf_counter() - start)
        for v in VARIANTS:
            transfer[v].append(round(exp.curves[v]["test_acc"][-1], 3))
            seen[v].append(round(exp.curves[v]["seen_acc"][-1], 3))
    return {
        "n_words": len(wv),
        "load_seconds": round(load_s, 3),
        "arrays_mb": round((wv.vectors.nbytes + wv.unit.nbytes) / 2**20, 1),
        "rss_delta_mb": round(rss1 - rss0, 1),
        "analogy_set_size": acc["n"],
        "analogy_accuracy": round(acc["accuracy"], 3),
        "analogy_accuracy_per_relation": {k: round(v, 3) for k, v in acc["per_relation"].items()},
        "analogy_misses": acc["misses"],
        "analogy_query_ms": median_ms(lambda: analogy(wv, "man", "woman", "king", k=5)),
        "neighbours_query_ms": median_ms(lambda: neighbours(wv, "frog", k=10)),
        "unknown_word_suggestions_ms": median_ms(lambda: _unknown(wv), repeats=5),
        "transfer_seeds": list(TRANSFER_SEEDS),
        "transfer_steps_per_model": TRANSFER_STEPS,
        "transfer_unseen_word_test_acc": transfer,
        "transfer_seen_word_test_acc": seen,
        "transfer_unseen_mean": {v: round(float(np.mean(a)), 3) for v, a in transfer.items()},
        "transfer_train_seconds_3_models": [round(s, 2) for s in train_s],
        **tsne_figures(wv),
    }
