"""Tensors as PyTorch prints them, each under its name and named dimensions: what a learner's notebook shows."""

from __future__ import annotations

from torch import Tensor

from lstm_viz.config import LSTMConfig
from lstm_viz.trace import LayerTrace


def printed(name: str, tensor: Tensor, dims: str) -> str:
    """``name`` with its dimensions and sizes, then the tensor exactly as ``print(tensor)`` writes it.

    PyTorch's default print options apply: four decimals, and a tensor of more than 1,000 numbers summarised
    with ``...``, as in a notebook.

    Args:
        name: What the learner calls it (``output``, ``h_n``, ``i_t``).
        tensor: The tensor (detached here; a plain tensor prints no ``grad_fn``).
        dims: Its dimensions in words, e.g. ``"[B, T, H_out]"``.

    Example:
        ``printed("h_n", h_n, "[D*L, B, H_out]")`` starts ``"h_n  # [D*L, B, H_out] = [1, 2, 5]"``.
    """
    sizes = ", ".join(str(n) for n in tensor.shape)
    return f"{name}  # {dims} = [{sizes}]\n{tensor.detach()!s}"


def output_dims(config: LSTMConfig, batched: bool = True) -> dict[str, str]:
    """The named dimensions of what ``nn.LSTM`` takes and returns for ``config``, by the tensor's usual name.

    Shapes: ``input`` [B, T, I] (``batch_first``) or [T, B, I]; ``output`` likewise with H_out (= P with a
    projection, else H) times D; ``h_n`` [D*L, B, H_out]; ``c_n`` [D*L, B, H]. Unbatched runs drop B.
    """
    b = ("B",) if batched else ()
    time_batch = (*b, "T") if config.batch_first else ("T", *b)
    out = "D*H_out" if config.bidirectional else "H_out"
    return {
        "input": "[" + ", ".join((*time_batch, "I")) + "]",
        "output": "[" + ", ".join((*time_batch, out)) + "]",
        "h_n": "[" + ", ".join(("D*L", *b, "H_out")) + "]",
        "c_n": "[" + ", ".join(("D*L", *b, "H")) + "]",
    }


def step_tensors(rec: LayerTrace, t: int) -> list[str]:
    """Every tensor of step ``t`` of one layer-direction, printed, as a hand-written loop would print them.

    Shapes: ``x_t`` [B, I_k]; ``h_prev`` [B, H_out]; ``c_prev`` [B, H]; ``i_t, f_t, g_t, o_t, c_t, m_t`` [B, H];
    ``h_t`` [B, H_out].
    """
    prev = rec.prev_index(t)
    h_prev = rec.h0 if prev is None else rec.h[:, prev]
    c_prev = rec.c0 if prev is None else rec.c[:, prev]
    rows = [("x_t", rec.x[:, t], "[B, I]"), ("h_prev", h_prev, "[B, H_out]"), ("c_prev", c_prev, "[B, H]")]
    rows += [(f"{n}_t", getattr(rec, n)[:, t], "[B, H]") for n in "ifgocm"]
    rows.append(("h_t", rec.h[:, t], "[B, H_out]"))
    return [printed(name, tensor, dims) for name, tensor, dims in rows]
