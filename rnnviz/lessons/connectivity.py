"""Lesson 4: connectivity (Madsen, "Visualizing memorization in RNNs", Distill 2019).

Steps t = 1..T, h_0 = 0. For one input sequence, the connectivity of output step s to input step t is

    C[s, t] = || d y_s[k_s] / d x_t ||_2 ,   k_s = argmax_k y_s[k]   (the predicted class at step s)

the L2 norm (over the input's coordinates) of the gradient of the predicted class's logit at step s
with respect to x_t, the vector the first recurrent layer reads at step t (the one-hot word, or its
embedding row when the model has one). A one-directional RNN's output at s cannot depend on a later
input, so C[s, t] = 0 for t > s (nothing masks it: autograd finds no path). A many-to-one model has
one output, at s = T: C is the single row C[T, 1..T].

All rows at once: the sequence is copied S times along the batch, copy s back-propagates only its
own y_s[k_s] (one forward and one backward of a batch of S, no loop over s).

A 1-unit linear RNN, h_t = w_hh h_{t-1} + w_xh x_t and y_s = w_hy h_s + b_y, has
C[s, t] = |w_hy| |w_hh|^(s - t) |w_xh| (tests/test_connectivity.py checks it on a ReLU RNN whose
pre-activations stay positive).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.errors import InputError


@dataclass(frozen=True)
class Connectivity:
    matrix: np.ndarray  # (S, T) C[s, t]; S = T (many-to-many) or 1 (many-to-one: the row s = T)
    steps: np.ndarray  # (S,) the output steps s of the rows, counted from 1
    predicted: np.ndarray  # (S,) k_s, the class whose logit is differentiated at each s

    @property
    def last_row(self) -> np.ndarray:
        """(T,) C[T, t]: what the final prediction reads from each input step."""
        return self.matrix[-1]

    def first_over_last(self) -> float:
        """C[T, 1] / C[T, T]: how strongly the final prediction reads the first input, relative to the
        last one (inf when the last one contributes nothing)."""
        row = self.last_row
        return float(row[0] / row[-1]) if row[-1] > 0 else float("inf")


def _logits_from_inputs(model, x: torch.Tensor) -> torch.Tensor:
    """SeqModel.forward from the first layer's inputs x (B, T, D) instead of token ids."""
    h = x
    for layer in model.layers:
        h, _ = layer(h)  # (B, T, H)
    if model.cfg.head == "many_to_one":
        h = h[:, -1:]  # y = W_hy h_T + b_y, kept as one step: (B, 1, H)
    return model.head(h)  # y_s = W_hy h_s + b_y: (B, S, O)


def connectivity(model, x: torch.Tensor) -> Connectivity:
    """C[s, t] for one sequence ``x`` (T,) token ids, or (T, F) vectors for a vector-input model."""
    cfg = model.cfg
    if cfg.bidirectional or cfg.pyramid:
        raise InputError("connectivity is drawn for one-directional models without a pyramid")
    if x.dim() != (1 if cfg.input_kind == "tokens" else 2) or x.shape[0] < 1:
        raise InputError("connectivity reads one sequence of at least one step")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            inputs = model.embed(x[None])  # x_t as layer 1 reads it: (1, T, D)
            first = _logits_from_inputs(model, inputs)[0]  # (S, O)
        predicted = first.argmax(-1)  # k_s
        S, T = first.shape[0], inputs.shape[1]
        copies = inputs.expand(S, -1, -1).clone().requires_grad_(True)  # (S, T, D), copy s for row s
        with torch.enable_grad():
            logits = _logits_from_inputs(model, copies)  # (S, S, O)
            rows = torch.arange(S)
            # copy s keeps only y_s[k_s]: the sum's gradient in copy s is d y_s[k_s] / d x_t
            chosen = logits[rows, rows, predicted].sum()
            (grad,) = torch.autograd.grad(chosen, copies)  # (S, T, D)
    finally:
        model.train(was_training)
    # C[s, t] = || d y_s[k_s] / d x_t ||_2
    matrix = grad.detach().double().norm(dim=-1).numpy()
    steps = np.arange(1, S + 1) if S == T else np.array([T])
    return Connectivity(matrix=matrix, steps=steps, predicted=predicted.numpy())
