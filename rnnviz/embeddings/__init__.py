"""Word embeddings (lesson 8): one-hot vs dense, GloVe, cosine similarity, analogies, transfer.

Modules, one idea each:

- ``vectors``: load GloVe 6B 50d (most frequent N words, read-only), normalise and look up words
- ``onehot``: e_w = o_w^T E on a printable vocabulary
- ``similarity``: cosine with all its numbers, nearest neighbours
- ``analogy``: a : b :: c : ? by t = ê_b - ê_a + ê_c, with classic presets
- ``projection``: PCA of a few vectors for the 2-D / 3-D plots
- ``analogy_set``: the project's 60-analogy test set (used by the bench)
- ``transfer``: random vs frozen vs fine-tuned GloVe embeddings in a small sentiment RNN
"""

from rnnviz.embeddings.analogy import PRESETS, AnalogyResult, Preset, analogy, plot_pairs
from rnnviz.embeddings.onehot import OneHotDemo, glove_table, one_hot_demo, parse_words, random_table
from rnnviz.embeddings.projection import PCAResult, pca
from rnnviz.embeddings.similarity import CosineBreakdown, cosine, cosine_breakdown, cosine_matrix, neighbours
from rnnviz.embeddings.vectors import DEFAULT_WORDS, WordVectors, load_glove, normalise_word, suggest

__all__ = [
    "DEFAULT_WORDS",
    "PRESETS",
    "AnalogyResult",
    "CosineBreakdown",
    "OneHotDemo",
    "PCAResult",
    "Preset",
    "WordVectors",
    "analogy",
    "cosine",
    "cosine_breakdown",
    "cosine_matrix",
    "glove_table",
    "load_glove",
    "neighbours",
    "normalise_word",
    "one_hot_demo",
    "parse_words",
    "pca",
    "plot_pairs",
    "random_table",
    "suggest",
]
