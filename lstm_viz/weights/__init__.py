"""Reading trained ``nn.LSTM``s out of a user's file (safetensors or ``torch.save``), safely and with clear refusals."""

from __future__ import annotations

from lstm_viz.i18n import msg
from lstm_viz.weights.files import (
    MAX_FILE_BYTES,
    MAX_LSTMS,
    MAX_TENSORS,
    check_file_size,
    memory_refusal,
    read_checkpoint,
)
from lstm_viz.weights.found import MAX_LSTM_BYTES, MAX_NODES, MAX_TENSOR_BYTES, FoundLSTM, find_lstms

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LSTMS",
    "MAX_LSTM_BYTES",
    "MAX_NODES",
    "MAX_TENSORS",
    "MAX_TENSOR_BYTES",
    "FoundLSTM",
    "check_file_size",
    "find_lstms",
    "load_lstms",
    "memory_refusal",
    "read_checkpoint",
]


def load_lstms(data: bytes, filename: str) -> list[FoundLSTM]:
    """Every ``nn.LSTM`` stored in a safetensors or ``torch.save`` file, each rebuilt in eval mode.

    The format is told by the bytes (safetensors header, zip, pickle), not only by the name. PyTorch files are
    read only with ``torch.load(weights_only=True, map_location="cpu")``, so nothing in them runs and files
    saved on a GPU load on the CPU. Checkpoint dicts that wrap the state_dict (``{"model": ...,
    "optimizer": ..., "epoch": ...}``, ``"state_dict"``, ``"model_state_dict"``, nested dicts) are searched.
    LSTMs are found by PyTorch's parameter names (``weight_ih_l0``, ``weight_hh_l1_reverse``, ``bias_ih_l0``,
    ``weight_hr_l0``, ...) at any prefix; every shape, dtype and value is checked before any module is built,
    and every size (storages, views, counts; see ``find_lstms``) before any value is read. A failure to allocate
    memory anywhere on the way is the same clear refusal as any other.

    Args:
        data: the file's bytes.
        filename: its name, used for messages and to tell a safetensors file whose header is damaged.

    Returns:
        The LSTMs in the order their tensors appear in the file.

    Raises:
        ValueError: only this, with a message saying what is wrong and what was expected: an empty, damaged
            or unknown file, a pickle that would run code, a whole pickled module, no LSTM inside,
            inconsistent shapes, non-float or NaN/inf weights, a file over ``MAX_FILE_BYTES``, sizes
            beyond the explorer's limits, expanded or shared views, too many tensors or LSTMs, or too
            little memory on the server.
    """
    check_file_size(len(data))
    if not data:
        raise ValueError(msg("the file is empty (0 bytes): was the upload interrupted?"))
    with memory_refusal(msg("this file")):
        return find_lstms(read_checkpoint(data, filename))
