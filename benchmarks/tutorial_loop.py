"""The tutorial's hand-written LSTM loop, copied for benchmarking against ``lstm_viz.trace``.

Source: ``/work/shared/seed/lstm_from_scratch_notebook.txt`` (an "LSTM from scratch" notebook, cell In [33]),
the version of ``lstm_forward`` that takes an optional projection ``w_hr``. Every step tiles the weights
over the batch and multiplies with ``torch.bmm``, slices each gate out of both products and adds both
biases again, which is what the benchmark measures.

Changed from the notebook, and nothing else: the output buffer is ``torch.empty(..., dtype=inp.dtype)``
instead of ``torch.randn(bs, seq_len, output_size)`` (which is always float32, so float64 outputs were
silently rounded, and which drew from the global RNG); its Chinese comments are translated; the long gate
lines are wrapped by the formatter.
"""

import torch


def lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """One LSTM layer over inp [bs, T, input_size]; w_hr [p_dim, h_dim] not None means a projection."""
    h0, c0 = initial_states
    bs, seq_len, i_size = inp.shape
    h_size = w_ih.shape[0] // 4  # w_ih [4 * h_dim, i_size]
    bw_ih = w_ih.unsqueeze(0).tile(bs, 1, 1)  # [bs, 4 * h_dim, i_size]
    bw_hh = w_hh.unsqueeze(0).tile(bs, 1, 1)  # [bs, 4 * h_dim, h_dim]
    prev_h = h0  # [bs, h_d]
    prev_c = c0
    if w_hr is not None:
        output_size = w_hr.shape[0]
        bw_hr = w_hr.unsqueeze(0).tile(bs, 1, 1)
    else:
        output_size = h_size
        bw_hr = None

    output = torch.empty(bs, seq_len, output_size, dtype=inp.dtype)

    # loop over time
    for t in range(seq_len):
        x = inp[:, t, :]  # [bs, input_size]
        # add a dimension to x so bmm can be used [bs, i_s, 1]
        w_times_x = torch.bmm(bw_ih, x.unsqueeze(-1)).squeeze(-1)  # [bs, 4h_d]
        w_times_h_prev = torch.bmm(bw_hh, prev_h.unsqueeze(-1)).squeeze(-1)  # [bs, 4h_d]
        # input gate i: the first quarter of the rows
        i = 0
        i_t = torch.sigmoid(
            w_times_x[:, h_size * i : h_size * (1 + i)]
            + w_times_h_prev[:, h_size * i : h_size * (1 + i)]
            + b_ih[h_size * i : h_size * (1 + i)]
            + b_hh[h_size * i : h_size * (1 + i)]
        )
        # forget gate f
        i += 1
        f_t = torch.sigmoid(
            w_times_x[:, h_size * i : h_size * (1 + i)]
            + w_times_h_prev[:, h_size * i : h_size * (1 + i)]
            + b_ih[h_size * i : h_size * (1 + i)]
            + b_hh[h_size * i : h_size * (1 + i)]
        )
        # cell candidate g
        i += 1
        g_t = torch.tanh(
            w_times_x[:, h_size * i : h_size * (1 + i)]
            + w_times_h_prev[:, h_size * i : h_size * (1 + i)]
            + b_ih[h_size * i : h_size * (1 + i)]
            + b_hh[h_size * i : h_size * (1 + i)]
        )
        # output gate o
        i += 1
        o_t = torch.sigmoid(
            w_times_x[:, h_size * i : h_size * (1 + i)]
            + w_times_h_prev[:, h_size * i : h_size * (1 + i)]
            + b_ih[h_size * i : h_size * (1 + i)]
            + b_hh[h_size * i : h_size * (1 + i)]
        )

        # cell
        prev_c = f_t * prev_c + i_t * g_t

        # h
        prev_h = o_t * torch.tanh(prev_c)  # [bs, h_size]

        # project h down
        if w_hr is not None:
            prev_h = torch.bmm(bw_hr, prev_h.unsqueeze(-1)).squeeze(-1)  # [bs, p_size]

        output[:, t, :] = prev_h

    return output, (prev_h, prev_c)
