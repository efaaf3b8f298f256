# ruff: noqa
# fmt: off
# initial_states unpacked as (c0, h0).
import torch
import torch.nn as nn
import torch.nn.functional as F

def lstm_forward(inp, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """
    input [bs, T, input_size]
    如果w_hr不是None说明是带projection
    w_hr [p_dim, h_dim]
    """
    c0, h0 = initial_states
    bs, seq_len, i_size = inp.shape
    h_size = w_ih.shape[0] // 4 # w_ih [4 * h_dim, i_size]
    bw_ih = w_ih.unsqueeze(0).tile(bs, 1, 1) # [bs, 4 * h_dim, i_size]
    bw_hh = w_hh.unsqueeze(0).tile(bs, 1, 1) # [bs, 4 * h_dim, h_dim]
    prev_h = h0 # [bs, h_d]
    prev_c = c0
    if w_hr is not None:
        output_size =  w_hr.shape[0]
        bw_hr = w_hr.unsqueeze(0).tile(bs, 1, 1)
    else:
        output_size = h_size
        bw_hr = None


    output = torch.randn(bs, seq_len, output_size)

    # 对时间进行遍历
    for t in range(seq_len):
        x = inp[:, t, :] # [bs, input_size]
        # 为了能进行bmm，对x增加一维 [bs, i_s, 1]
        w_times_x = torch.bmm(bw_ih, x.unsqueeze(-1)).squeeze(-1) # [bs, 4h_d]
        w_times_h_prev = torch.bmm(bw_hh, prev_h.unsqueeze(-1)).squeeze(-1) # [bs, 4h_d]
        # 计算i门，取矩阵的前1/4
        i = 0
        i_t = torch.sigmoid(w_times_x[:, h_size*i:h_size*(1+i)] + w_times_h_prev[:,h_size*i:h_size*(1+i)] + b_ih[h_size*i:h_size*(1+i)] + b_hh[h_size*i:h_size*(1+i)])
        # f门
        i += 1
        f_t = torch.sigmoid(w_times_x[:, h_size*i:h_size*(1+i)] + w_times_h_prev[:, h_size*i:h_size*(1+i)] + b_ih[h_size*i:h_size*(1+i)] + b_hh[h_size*i:h_size*(1+i)])
        # g门
        i += 1
        g_t = torch.tanh(w_times_x[:, h_size*i:h_size*(1+i)] + w_times_h_prev[:, h_size*i:h_size*(1+i)] + b_ih[h_size*i:h_size*(1+i)] + b_hh[h_size*i:h_size*(1+i)])
        # o门
        i += 1
        o_t = torch.sigmoid(w_times_x[:, h_size*i:h_size*(1+i)] + w_times_h_prev[:, h_size*i:h_size*(1+i)] + b_ih[h_size*i:h_size*(1+i)] + b_hh[h_size*i:h_size*(1+i)])

        # cell
        prev_c = f_t * prev_c + i_t * g_t

        # h
        prev_h = o_t * torch.tanh(prev_c) # [bs, h_size]

        # 对h进行压缩
        if w_hr is not None:
            prev_h = torch.bmm(bw_hr, prev_h.unsqueeze(-1)).squeeze(-1) # [bs, p_size]


        output[:, t, :] = prev_h

    return output, (prev_h, prev_c)
