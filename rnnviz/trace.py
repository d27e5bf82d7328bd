"""Replay one sequence through the model and keep every number as plain arrays.

>>> import torch
>>> from rnnviz.model import ModelConfig, SeqModel
>>> model = SeqModel(ModelConfig(cell="lstm", input_size=5, output_size=5, hidden_size=3))
>>> tr = trace(model, torch.tensor([0, 3, 1, 4]))    # x: (T,) ids or (T, F) vectors; y: targets or None
>>> tr.layers[0].gates["f"].shape                     # (T, H) forget gate of layer 1, after the sigmoid
(4, 3)
>>> tr.layers[0].grad_h_norm.shape                    # (T,)  ||dL/dh_t|| for the chosen loss
(4,)
>>> tr.layers[0].jac_norm.shape                       # (T,)  ||dh_t/dh_{t-1}||_2, computed when first read
(4,)

The replay uses the model's own weights and equals its fused forward pass (tests/test_trace.py).
For the cells torch has a kernel for, the states h_t come from that kernel and every gate is
recomputed for all t at once from h_{t-1} (tests/test_trace_fast.py proves this equals the step
by step replay). ``clamps`` fix a gate to a value on chosen steps and units: an intervention the
lessons use to show what a gate does; the fused kernels cannot do this, so a clamped trace (and
every cell without a kernel) runs step by step through ``rnnviz.cells``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnviz.cells import CELLS, paper_gru_step
from rnnviz.errors import InputError
from rnnviz.model import SeqModel, halve_time

MAX_TRACE_STEPS = 2000
# torch's one-layer kernels, called with the weights of one direction (torch.nn.RNN's own calls)
KERNELS = {"RNN_TANH": torch.rnn_tanh, "RNN_RELU": torch.rnn_relu, "LSTM": torch.lstm, "GRU": torch.gru}


@dataclass(frozen=True)
class GateClamp:
    gate: str  # "i", "f", "g", "o" (LSTM), "r", "z", "n" (GRU), "h" (RNN)
    value: float  # the value the gate is fixed to
    start: int = 0  # first step clamped (0-based)
    stop: int | None = None  # one past the last step clamped (None = to the end)
    units: tuple[int, ...] | None = None  # None = every unit
    layer: int = 0  # which layer (0-based)
    direction: int = 0  # 0 forward, 1 backward


@dataclass
class LayerTrace:
    layer: int  # 0-based layer index
    direction: int  # 0 forward, 1 backward (times are still in reading order 0..T-1)
    x: np.ndarray  # (T, D) what this layer reads at each step
    h: np.ndarray  # (T, H) h_t
    c: np.ndarray | None  # (T, H) c_t for LSTMs
    gates: dict[str, np.ndarray]  # name -> (T, H), after the nonlinearity
    pre: dict[str, np.ndarray]  # name -> (T, H), before it
    grad_h: np.ndarray | None  # (T, H) dL/dh_t (total derivative, through every path)
    grad_h_norm: np.ndarray | None  # (T,)
    grad_c: np.ndarray | None  # (T, H) dL/dc_t for LSTMs
    grad_c_norm: np.ndarray | None  # (T,)
    params: dict[str, np.ndarray] = field(default_factory=dict)  # this direction's weights
    cell: str = "lstm"  # a key of rnnviz.cells.CELLS
    clamps: tuple[GateClamp, ...] = ()  # the clamps of this layer and direction
    _jac_norm: np.ndarray | None = field(default=None, repr=False)

    @property
    def jac_norm(self) -> np.ndarray:
        """(T,) ||dh_t/dh_{t-1}||_2 (x_t and c_{t-1} held fixed), computed when first read."""
        if self._jac_norm is None:
            self._jac_norm = _jacobian_norms(self)
        return self._jac_norm


@dataclass
class Trace:
    cell: str
    head: str
    layers: list[LayerTrace]  # layer-major: (layer 0 fwd, layer 0 bwd, layer 1 fwd, ...)
    logits: np.ndarray  # (T, O) many-to-many, (O,) many-to-one
    probs: np.ndarray | None  # softmax of logits (classification)
    targets: np.ndarray | None  # what the loss compares against
    loss_steps: np.ndarray | None  # (T,) per-step loss (many-to-many); NaN where masked
    loss: float  # the loss the gradients are of
    grad_of: str | int  # "final" | "total" | step index

    def layer(self, k: int = 0, direction: int = 0) -> LayerTrace:
        return next(lt for lt in self.layers if lt.layer == k and lt.direction == direction)


def _check(model: SeqModel, x: Tensor, clamps) -> None:
    cfg = model.cfg
    if x.dim() != (1 if cfg.input_kind == "tokens" else 2):
        raise InputError("trace one sequence at a time: (T,) token ids or (T, F) vectors")
    if not 1 <= x.shape[0] <= MAX_TRACE_STEPS:
        raise InputError(f"a traced sequence needs 1 to {MAX_TRACE_STEPS} steps, not {x.shape[0]}")
    if cfg.pyramid and x.shape[0] < 2 ** (cfg.num_layers - 1):
        raise InputError(
            f"a pyramid of {cfg.num_layers} layers halves the sequence {cfg.num_layers - 1} times: "
            f"it needs at least {2 ** (cfg.num_layers - 1)} steps, not {x.shape[0]}"
        )
    spec = CELLS[cfg.cell]
    for c in clamps:
        if c.gate not in spec.gates or c.gate == "c":
            raise InputError(f"the {spec.title} has no gate {c.gate!r} to clamp; it has {spec.gates}")
        if not 0 <= c.layer < cfg.num_layers or c.direction not in range(cfg.directions):
            raise InputError(f"no layer {c.layer + 1} / direction {c.direction} to clamp")
        if c.units is not None and any(not 0 <= u < cfg.hidden_size for u in c.units):
            raise InputError(f"units to clamp must be between 0 and {cfg.hidden_size - 1}")


def _clamp_table(clamps, T: int, H: int, dtype) -> dict[str, tuple[Tensor, Tensor]]:
    """gate -> (values (T, H), mask (T, H)): the value each clamp fixes, where it holds.

    Clamps are read in order; at a step two clamps of one gate share, the later one decides.
    """
    table: dict[str, tuple[Tensor, Tensor]] = {}
    for c in clamps:
        values, mask = table.setdefault(
            c.gate, (torch.zeros(T, H, dtype=dtype), torch.zeros(T, H, dtype=torch.bool))
        )
        rows = slice(max(c.start, 0), None if c.stop is None else max(c.stop, 0))
        units = list(c.units) if c.units is not None else slice(None)
        # only this clamp's units: two clamps of one gate and step on other units both hold
        mask[rows, units], values[rows, units] = True, c.value
    return table


def _previous(a: np.ndarray, direction: int) -> Tensor:
    """(T, H) -> the state each step read: a_{t-1} (forward) or a_{t+1} (backward), zeros first."""
    t = torch.from_numpy(a)
    zero = torch.zeros_like(t[:1])
    return torch.cat([zero, t[:-1]]) if direction == 0 else torch.cat([t[1:], zero])


def _jacobian_norms(lt: LayerTrace) -> np.ndarray:
    """||dh_t/dh_{t-1}||_2 for every step t at once, with x_t and c_{t-1} held fixed.

    Every cell but the paper GRU reads h_{t-1} through u = W_hh h_{t-1} + b_hh and, at most,
    elementwise (the GRU's z * h). Unit j of h_t then depends only on u's unit j in each gate
    block k, so one backward pass gives the diagonals and the Jacobian is
        dh_t/dh_{t-1} = sum_k diag(dh_t/du_k) W_hh,k + diag(dh_t/dh_{t-1} |_u fixed).
    The paper GRU (r * h inside W_hn) takes the general route: vmap of jacrev.
    A clamped gate has no derivative where it holds. The cells whose gates read x_t only
    (minGRU, minLSTM, selective) have h_t = a_t * h_{t-1} + b_t with a_t, b_t free of h_{t-1}, so
        dh_t/dh_{t-1} = diag(a_t)      and      ||dh_t/dh_{t-1}||_2 = max_j |a_t,j|,
    the diagonal again from one backward pass.
    """
    spec = CELLS[lt.cell]
    params = {k: torch.from_numpy(v) for k, v in lt.params.items()}
    xs, h_prev = torch.from_numpy(lt.x), _previous(lt.h, lt.direction)
    c_prev = _previous(lt.c, lt.direction) if spec.has_cell_state else torch.zeros_like(h_prev)
    T, H = h_prev.shape
    table = _clamp_table(lt.clamps, T, H, h_prev.dtype)
    with torch.enable_grad():
        if not spec.recurrent:
            h = h_prev.clone().requires_grad_()
            ih = xs @ params["weight_ih"].T + params["bias_ih"]  # the gates read x_t only
            h_new = spec.step(xs, h, {**params, "ih": ih}, table or None)[0]
            (d_h,) = torch.autograd.grad(h_new.sum(), h)  # (T, H): the diagonal a_t of dh_t/dh_{t-1}
            return d_h.abs().amax(-1).numpy()  # ||diag(a_t)||_2 = max_j |a_t,j|
        if spec.step is not paper_gru_step:
            W = params["weight_hh"]  # (G*H, H)
            h = h_prev.clone().requires_grad_()
            u = (h_prev @ W.T + params["bias_hh"]).requires_grad_()  # (T, G*H)
            state = (h, c_prev) if spec.has_cell_state else h
            new = spec.step(xs, state, {**params, "hh": u}, table or None)[0]
            h_new = new[0] if spec.has_cell_state else new
            d_u, d_h = torch.autograd.grad(h_new.sum(), (u, h), allow_unused=True)
            J = (d_u.reshape(T, -1, H, 1) * W.reshape(1, -1, H, H)).sum(1)  # sum_k diag(d_k) W_k
            if d_h is not None:
                J = J + torch.diag_embed(d_h)
        else:
            names = list(table)

            def h_next(h, x, values, masks):
                one = {g: (v, m) for g, v, m in zip(names, values, masks, strict=True)} or None
                return spec.step(x[None], h[None], params, one)[0][0]

            values, masks = tuple(table[g][0] for g in names), tuple(table[g][1] for g in names)
            J = torch.func.vmap(torch.func.jacrev(h_next))(h_prev, xs, values, masks)  # (T, H, H)
    # ||J||_2 = sqrt(largest eigenvalue of J J^T): a symmetric eigensolver, cheaper than an SVD
    gram = J @ J.transpose(-1, -2)
    return torch.linalg.eigvalsh(gram)[..., -1].clamp(min=0).sqrt().numpy()


def _steps(spec, p: dict[str, Tensor], inp: Tensor, d: int, clamps):
    """One direction of one layer, step by step through the instrumented cell (any cell, clamps).

    Returns the layer's output (1, T, H) in reading order and, once the loss has been
    backpropagated, a function giving (h, c, gates, pre, grad_h, grad_c) as tensors.
    """
    T, H = inp.shape[1], p["weight_ih"].shape[0] // spec.rows
    table = _clamp_table(clamps, T, H, inp.dtype)
    ih = inp[0] @ p["weight_ih"].T + p["bias_ih"]  # W_ih x_t + b_ih for every t at once: (T, G*H)
    h0 = inp.new_zeros(1, H)
    state = (h0, h0) if spec.has_cell_state else h0
    hs, cs = [None] * T, [None] * T
    gates: dict[str, list] = {g: [None] * T for g in spec.gates}
    pre: dict[str, list] = {}
    for t in range(T) if d == 0 else reversed(range(T)):
        clamp = {g: (v[t : t + 1], m[t : t + 1]) for g, (v, m) in table.items() if m[t].any()} or None
        state, g_t, pre_t = spec.step(inp[:, t], state, {**p, "ih": ih[t : t + 1]}, clamp)
        hs[t] = state[0] if spec.has_cell_state else state
        hs[t].retain_grad()
        if spec.has_cell_state:
            cs[t] = state[1]
            cs[t].retain_grad()
        for g in spec.gates:
            gates[g][t] = g_t[g]
        for g, v in pre_t.items():
            pre.setdefault(g, [None] * T)[t] = v

    def grads(states):
        return torch.cat([s.grad if s.grad is not None else torch.zeros_like(s) for s in states])

    def result():
        c = torch.cat(cs) if spec.has_cell_state else None
        dc = grads(cs) if spec.has_cell_state else None
        cat = {g: torch.cat(v) for g, v in gates.items()}
        return torch.cat(hs), c, cat, {g: torch.cat(v) for g, v in pre.items()}, grads(hs), dc

    return torch.cat(hs)[None], result


def _scan(a: Tensor, b: Tensor) -> Tensor:
    """s_t = a_t + b_t * s_{t-1} for t = 0..T-1, from s_{-1} = 0: one elementwise op a step."""
    out, s = [], torch.zeros_like(a[0])
    for a_t, b_t in zip(a, b, strict=True):
        s = torch.addcmul(a_t, b_t, s)
        out.append(s)
    return torch.stack(out)


def _scan_back(a: Tensor, b: Tensor) -> Tensor:
    """s_t = a_t + b_{t+1} * s_{t+1} for t = T-1..0, from s_T = 0 (a gradient carried back)."""
    b_next = torch.cat([b[1:], torch.zeros_like(b[:1])])
    return _scan(a.flip(0), b_next.flip(0)).flip(0)


def _fused(spec, p: dict[str, Tensor], inp: Tensor, d: int):
    """One direction of one layer on torch's kernel; the gates recomputed for all t at once.

    Same return as ``_steps``. The kernel reads [x_t, e_t] with the input weights [W_ih | W_e]:
    e = 0 changes nothing going forward, and dL/de_t is how the loss depends on what step t
    reads of h_{t-1}:
      RNN, LSTM  W_e = W_hh: dL/de_t = W_hh^T dL/du_t with u_t = W_hh h_{t-1} + b_hh, the only
                 way step t reads h_{t-1}, so dL/dh_{t-1} = (through the layer above) + dL/de_t.
      GRU        W_e = I: dL/de_t = dL/da_t with a_t = W_ih x_t + b_ih, so dL/du_t = (da_r, da_z,
                 r_t * da_n) and dL/dh_{t-1} = (above) + W_hh^T dL/du_t + z_t * dL/dh_t.
    LSTM cells: c_t = f_t * c_{t-1} + i_t * g_t and dL/dc_t = dL/dh_t * o_t * (1 - tanh^2 c_t) +
    f_{t+1} * dL/dc_{t+1}, two elementwise scans.
    """
    w = {n: v.detach() for n, v in p.items()}
    W_hh = w["weight_hh"]  # (G*H, H)
    H = W_hh.shape[1]
    xs = inp if d == 0 else inp.flip(1)  # (1, T, D) in the order this direction reads
    W_e = torch.eye(3 * H, dtype=W_hh.dtype) if spec.fused == "GRU" else W_hh
    e = xs.new_zeros(1, xs.shape[1], W_e.shape[1], requires_grad=True)
    h0 = xs.new_zeros(1, 1, H)
    weights = [torch.cat([w["weight_ih"], W_e], 1), W_hh, w["bias_ih"], w["bias_hh"]]
    # has_biases, num_layers, dropout, train, bidirectional, batch_first
    flags = (True, 1, 0.0, False, False, True)
    hx = (h0, h0) if spec.has_cell_state else h0
    out = KERNELS[spec.fused](torch.cat([xs, e], -1), hx, weights, *flags)[0]  # (1, T, H)
    out.retain_grad()

    def result():
        h = out[0].detach()  # (T, H)
        above = out.grad[0] if out.grad is not None else torch.zeros_like(h)
        de = e.grad[0] if e.grad is not None else torch.zeros_like(e[0])
        h_prev = torch.cat([torch.zeros_like(h[:1]), h[:-1]])
        state = (h_prev, torch.zeros_like(h)) if spec.has_cell_state else h_prev
        _, gates, pre = spec.step(xs[0].detach(), state, w)  # every gate, every t: (T, H) each
        gates["h"] = h.clone()
        grad_h = above.clone()
        dc = None
        if spec.fused == "GRU":
            du = torch.cat([de[:, : 2 * H], gates["r"] * de[:, 2 * H :]], -1)  # dL/du_t
            grad_h[:-1] += (du @ W_hh)[1:]
            grad_h = _scan_back(grad_h, gates["z"])  # + z_{t+1} * dL/dh_{t+1}
        else:
            grad_h[:-1] += de[1:]
        if spec.has_cell_state:
            # c_t = f_t * c_{t-1} + i_t * g_t
            gates["c"] = _scan(gates["i"] * gates["g"], gates["f"])
            dc = _scan_back(grad_h * gates["o"] * (1 - torch.tanh(gates["c"]) ** 2), gates["f"])
        if d == 1:  # back to reading order
            h, grad_h = h.flip(0), grad_h.flip(0)
            gates, pre = {g: v.flip(0) for g, v in gates.items()}, {g: v.flip(0) for g, v in pre.items()}
            dc = None if dc is None else dc.flip(0)
        return h, gates.get("c"), gates, pre, grad_h, dc

    return (out if d == 0 else out.flip(1)), result


def trace(
    model: SeqModel,
    x: Tensor,
    y: Tensor | None = None,
    mask: Tensor | None = None,
    grad_of: str | int = "final",
    clamps: tuple[GateClamp, ...] = (),
    jacobians: bool = False,
) -> Trace:
    """Replay ``x``; gradients are of the ``grad_of`` loss against ``y``.

    Without ``y`` the model's own predictions serve as targets (the loss of being right).
    ``grad_of``: "final" = loss at the last counted step, "total" = sum over steps (the
    sequence's negative log-likelihood), an int = the loss at that step.
    ``jacobians``: compute every layer's ``jac_norm`` now; by default it is computed the first
    time it is read (it costs many times the rest of the trace).
    """
    x = torch.as_tensor(x)
    _check(model, x, clamps)
    fused = CELLS[model.cfg.cell].fused is not None and not clamps
    return _replay(model, x, y, mask, grad_of, clamps, jacobians, fused)


def _replay(model: SeqModel, x: Tensor, y, mask, grad_of, clamps, jacobians: bool, fused: bool) -> Trace:
    """``trace`` on torch's kernel (``fused``, a standard cell and no clamps) or step by step."""
    cfg, spec = model.cfg, CELLS[model.cfg.cell]
    was_training = model.training
    model.eval()
    pending = []
    try:
        with torch.enable_grad():
            inp = model.embed(x[None])  # (1, T, D)
            for k, layer in enumerate(model.layers):
                if cfg.pyramid and k > 0:
                    inp = halve_time(inp)
                outs = []
                for d in range(cfg.directions):
                    p, mine = layer.params(d), tuple(c for c in clamps if c.layer == k and c.direction == d)
                    out, result = _fused(spec, p, inp, d) if fused else _steps(spec, p, inp, d, mine)
                    outs.append(out)
                    pending.append((k, d, inp[0].detach().numpy().copy(), p, mine, result))
                inp = torch.cat(outs, dim=-1)
            top = inp  # (1, T', dirs*H)
            if cfg.head == "many_to_one":
                H = cfg.hidden_size
                top = torch.cat([top[:, -1, :H], top[:, 0, H:]], dim=-1) if cfg.bidirectional else top[:, -1]
            logits = model.head(top)[0]  # (T', O) or (O,)
            loss, loss_steps, targets = _loss(cfg, logits, y, mask, grad_of)
            model.zero_grad(set_to_none=True)
            loss.backward()
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    layers = []
    with torch.no_grad():
        for k, d, xs, p, mine, result in pending:
            h, c, gates, pre, grad_h, grad_c = result()
            lt = LayerTrace(
                layer=k,
                direction=d,
                x=xs,
                h=h.numpy(),
                c=None if c is None else c.numpy(),
                gates={g: v.numpy() for g, v in gates.items()},
                pre={g: v.numpy() for g, v in pre.items()},
                grad_h=grad_h.numpy(),
                grad_h_norm=np.linalg.norm(grad_h.numpy(), axis=-1),
                grad_c=None if grad_c is None else grad_c.numpy(),
                grad_c_norm=None if grad_c is None else np.linalg.norm(grad_c.numpy(), axis=-1),
                params={n: v.detach().numpy().copy() for n, v in p.items()},
                cell=cfg.cell,
                clamps=mine,
            )
            if jacobians:
                lt.jac_norm  # noqa: B018  (computed now, not when first read)
            layers.append(lt)
    probs = torch.softmax(logits, -1).detach().numpy() if cfg.loss_kind == "ce" else None
    return Trace(
        cell=cfg.cell,
        head=cfg.head,
        layers=layers,
        logits=logits.detach().numpy(),
        probs=probs,
        targets=None if targets is None else targets.numpy(),
        loss_steps=loss_steps,
        loss=float(loss.detach()),
        grad_of=grad_of,
    )


def _loss(cfg, logits: Tensor, y, mask, grad_of):
    """The loss the gradients are of, the per-step losses, and the targets used."""
    if cfg.head == "many_to_one":
        if y is None:
            y = logits.detach().argmax() if cfg.loss_kind == "ce" else logits.detach()[0]
        y = torch.as_tensor(y)
        if cfg.loss_kind == "mse":
            return (logits[0] - y.to(logits.dtype)) ** 2, None, y
        return F.cross_entropy(logits[None], y.reshape(1)), None, y
    T = logits.shape[0]
    if y is None:
        y = logits.detach().argmax(-1)
    y = torch.as_tensor(y).reshape(T)
    if cfg.loss_kind == "mse":
        per = (logits[:, 0] - y.to(logits.dtype)) ** 2
    else:
        per = F.cross_entropy(logits, y, reduction="none")  # -log p(y_t | x_<=t)
    counted = torch.ones(T, dtype=torch.bool) if mask is None else torch.as_tensor(mask).reshape(T).bool()
    if not counted.any():
        raise InputError("no step of this sequence is counted by the loss")
    steps = per.detach().numpy().copy()
    steps[~counted.numpy()] = np.nan
    if grad_of == "total":
        loss = per[counted].sum()  # L = sum_t L_t
    elif grad_of == "final":
        loss = per[int(torch.nonzero(counted)[-1])]
    else:
        if not -T <= int(grad_of) < T:
            raise InputError(f"step {grad_of} is outside the sequence (0 to {T - 1})")
        loss = per[int(grad_of)]
    return loss, steps, y
