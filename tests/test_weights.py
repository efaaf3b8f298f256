"""load_lstms(): real checkpoints, round trips over the whole nn.LSTM surface, and a catalogue of refused files."""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save as safetensors_save
from torch import nn

from lstm_viz import trace
from lstm_viz.config import MAX_LAYERS, MAX_SIZE
from lstm_viz.weights import MAX_FILE_BYTES, FoundLSTM, load_lstms


def torch_bytes(obj, **kwargs) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


def st_bytes(tensors: dict) -> bytes:
    return safetensors_save({k: v.contiguous() for k, v in tensors.items()})


def refusal(data: bytes, filename: str = "model.pt") -> str:
    with pytest.raises(ValueError) as info:
        load_lstms(data, filename)
    return str(info.value)


def generic_forward(lstm: nn.LSTM, x: torch.Tensor) -> torch.Tensor:
    """nn.LSTM's own output on its generic CPU loop (oneDNN off), which the engine mirrors bit for bit."""
    with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False):
        return lstm(x)[0]


def assert_holds_exactly(found: FoundLSTM, state: dict[str, torch.Tensor]) -> None:
    """Every parameter of the built module equals the file's tensor, bit for bit and in the file's dtype."""
    mine = dict(found.lstm.named_parameters())
    assert mine.keys() == state.keys()
    for name, t in state.items():
        assert mine[name].dtype == t.dtype, name
        assert torch.equal(mine[name].detach(), t), name


def assert_trace_matches(found: FoundLSTM, seed: int = 0) -> None:
    gen = torch.Generator().manual_seed(seed)
    dtype = getattr(torch, found.dtype)
    x = torch.randn(3, 2, found.input_size, generator=gen, dtype=torch.float64).to(dtype)  # [T, B, I]
    assert torch.equal(trace(found.lstm, x).output, generic_forward(found.lstm, x))


# ----------------------------------------------------------------------------------------------------------
# A realistic checkpoint: embedding + 2-layer LSTM encoder + linear head, saved the way people save them


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(8, 16, num_layers=2, batch_first=True)


class Tagger(nn.Module):
    def __init__(self, vocab: int = 50, tags: int = 5) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, 8)
        self.encoder = Encoder()
        self.head = nn.Linear(16, tags)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.encoder.rnn(self.embedding(ids))
        return self.head(out)


@pytest.fixture(scope="module")
def tagger() -> tuple[Tagger, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = Tagger()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    ids = torch.randint(0, 50, (4, 7))
    for _ in range(3):  # a few real steps so the weights are trained ones and Adam has state
        opt.zero_grad()
        nn.functional.cross_entropy(model(ids).reshape(-1, 5), torch.randint(0, 5, (28,))).backward()
        opt.step()
    return model.eval(), opt


def lstm_state(model: Tagger) -> dict[str, torch.Tensor]:
    return {k: v.detach() for k, v in model.encoder.rnn.state_dict().items()}


def test_checkpoint_dict_with_optimizer_finds_the_encoder_lstm(tagger):
    model, opt = tagger
    data = torch_bytes({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3})
    [found] = load_lstms(data, "tagger_epoch3.pt")
    assert found.prefix == "encoder.rnn"
    assert found.source_key == "model"
    assert (found.input_size, found.hidden_size, found.num_layers) == (8, 16, 2)
    assert (found.bidirectional, found.bias, found.proj_size) == (False, True, 0)
    assert found.call == "nn.LSTM(8, 16, num_layers=2)"
    assert not found.lstm.training
    assert not found.converted and found.dtype == "float32"
    assert_holds_exactly(found, lstm_state(model))
    assert found.others == {"embedding.weight": (50, 8), "head.weight": (5, 16), "head.bias": (5,)}
    assert found.parameter_names()["weight_hh_l1"] == "encoder.rnn.weight_hh_l1"
    assert_trace_matches(found)


def test_embedding_beside_the_lstm_is_found_and_feeds_it_token_ids(tagger):
    model, _ = tagger
    [found] = load_lstms(torch_bytes({"state_dict": model.state_dict()}), "m.pth")
    assert found.embedding_name() == "embedding.weight"
    weight = found.embedding_weight()
    assert torch.equal(weight, model.embedding.weight.detach())
    ids = torch.tensor([[3, 14, 15, 9]])
    with torch.no_grad():
        expected = model.encoder.rnn(model.embedding(ids))[0]  # batch_first: [B, T, H]
        # The file does not say batch_first, so the rebuilt module takes [T, B, I].
        assert torch.equal(found.lstm(weight[ids].transpose(0, 1))[0], expected.transpose(0, 1))


def test_embedding_is_none_without_one_and_skips_linear_layers_of_the_same_width():
    lstm = nn.LSTM(5, 6)
    state = {f"rnn.{k}": v for k, v in lstm.state_dict().items()}
    state |= {"proj.weight": torch.randn(7, 5), "proj.bias": torch.randn(7)}  # an nn.Linear(5, 7), not an embedding
    [found] = load_lstms(st_bytes(state), "m.safetensors")
    assert found.embedding_weight() is None and found.embedding_name() is None
    state["tok_emb.weight"] = torch.randn(30, 5)
    [found] = load_lstms(st_bytes(state), "m.safetensors")
    assert found.embedding_name() == "tok_emb.weight"


def test_word_language_model_layout_encoder_weight_is_the_embedding():
    # PyTorch's examples/word_language_model names its nn.Embedding "encoder" and its LSTM "rnn".
    torch.manual_seed(1)
    state = {
        "encoder.weight": torch.randn(40, 6),
        "decoder.weight": torch.randn(40, 9),
        "decoder.bias": torch.randn(40),
    }
    state |= {f"rnn.{k}": v for k, v in nn.LSTM(6, 9, 2).state_dict().items()}
    [found] = load_lstms(torch_bytes(state), "model.pt")
    assert found.prefix == "rnn" and found.embedding_name() == "encoder.weight"


def test_same_model_through_safetensors_and_every_pytorch_format(tagger):
    model, _ = tagger
    state = model.state_dict()
    files = {
        "m.safetensors": st_bytes(state),
        "m.pt": torch_bytes(state),
        "m.pth": torch_bytes({"model_state_dict": state, "epoch": 1}),
        "m.bin": torch_bytes(state, _use_new_zipfile_serialization=False),  # legacy (pre-1.6) format
        "checkpoint": torch_bytes({"model": state}),  # no extension
        "wrong_name.safetensors": torch_bytes(state),  # the format is told by the bytes, not the name
        "wrong_name.pt": st_bytes(state),
    }
    for filename, data in files.items():
        [found] = load_lstms(data, filename)
        assert found.prefix == "encoder.rnn", filename
        assert_holds_exactly(found, lstm_state(model))


def test_cuda_saved_checkpoint_loads_on_the_cpu(tagger, monkeypatch):
    # torch.save records each storage's device by location_tag(); recording "cuda:0" writes the same file a
    # GPU run would, and torch.load refuses it without map_location on a machine without CUDA.
    model, opt = tagger
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
    data = torch_bytes({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3})
    monkeypatch.undo()
    assert b"cuda:0" in data
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(io.BytesIO(data), weights_only=True)
    [found] = load_lstms(data, "gpu_run.pt")
    assert found.lstm.weight_ih_l0.device.type == "cpu"
    assert_holds_exactly(found, lstm_state(model))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_checkpoint_saved_from_a_real_gpu_loads_on_the_cpu(tagger):
    model, _ = tagger
    gpu_state = {k: v.cuda() for k, v in model.state_dict().items()}
    [found] = load_lstms(torch_bytes({"model": gpu_state}), "gpu.pt")
    assert found.lstm.weight_ih_l0.device.type == "cpu"
    assert_holds_exactly(found, lstm_state(model))


@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16, torch.float8_e4m3fn])
def test_low_precision_weights_are_widened_exactly_and_say_so(half):
    torch.manual_seed(0)
    state = {k: v.to(half) for k, v in nn.LSTM(3, 4, bidirectional=True).state_dict().items()}
    [found] = load_lstms(st_bytes(state), "half.safetensors")
    assert found.dtype == "float32" and found.file_dtype == str(half).removeprefix("torch.") and found.converted
    for name, t in state.items():
        widened = getattr(found.lstm, name).detach()
        assert torch.equal(widened, t.float()), name
        assert torch.equal(widened.to(half).float(), widened), name  # every value was representable: no rounding


def test_float64_weights_stay_float64_and_the_call_says_so():
    state = nn.LSTM(2, 3, dtype=torch.float64).state_dict()
    [found] = load_lstms(torch_bytes(state), "f64.pt")
    assert found.dtype == "float64" and not found.converted
    assert found.call == "nn.LSTM(2, 3, dtype=torch.float64)"
    assert_holds_exactly(found, state)


def test_nested_dicts_of_seq2seq_parts_give_every_lstm_with_its_path():
    enc, dec = nn.LSTM(4, 6, bidirectional=True), nn.LSTM(5, 6, proj_size=2)
    ckpt = {"encoder": {"lstm": enc.state_dict()}, "decoder": {"lstm": dec.state_dict()}, "step": 100}
    found = load_lstms(torch_bytes(ckpt), "seq2seq.pt")
    assert [f.prefix for f in found] == ["encoder.lstm", "decoder.lstm"]
    assert found[0].call == "nn.LSTM(4, 6, bidirectional=True)"
    assert found[1].call == "nn.LSTM(5, 6, proj_size=2)"
    assert set(found[0].others) == {f"decoder.lstm.{k}" for k in dec.state_dict()}


# ----------------------------------------------------------------------------------------------------------
# Hypothesis: state_dicts over the whole nn.LSTM surface round-trip through both formats


@st.composite
def lstm_specs(draw):
    hidden = draw(st.integers(1, 6))
    return {
        "input_size": draw(st.integers(1, 6)),
        "hidden_size": hidden,
        "num_layers": draw(st.integers(1, 3)),
        "bias": draw(st.booleans()),
        "bidirectional": draw(st.booleans()),
        "proj_size": draw(st.integers(0, hidden - 1)),
        "dtype": draw(st.sampled_from([torch.float32, torch.float64])),
    }


PREFIXES = st.lists(st.sampled_from(["encoder", "decoder", "rnn", "layers.0", "lstm", "model.blocks"]), max_size=2)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(st.tuples(lstm_specs(), PREFIXES.map(".".join)), min_size=1, max_size=3, unique_by=lambda s: s[1]),
    wrap=st.sampled_from([None, "model", "state_dict"]),
    seed=st.integers(0, 2**16),
)
def test_random_state_dicts_round_trip_bit_for_bit(specs, wrap, seed):
    torch.manual_seed(seed)
    state, expected = {}, {}
    for spec, prefix in specs:
        lstm = nn.LSTM(**spec)
        with torch.no_grad():
            for p in lstm.parameters():
                p.uniform_(-1, 1)
        expected[prefix] = (spec, lstm.state_dict())
        state |= {f"{prefix}.{k}" if prefix else k: v for k, v in lstm.state_dict().items()}
    state["head.weight"] = torch.randn(3, 2)
    ckpt = {wrap: state, "epoch": 2} if wrap else state
    for data, filename in ((torch_bytes(ckpt), "m.pt"), (st_bytes(state), "m.safetensors")):
        found = load_lstms(data, filename)
        assert sorted(f.prefix for f in found) == sorted(expected)  # safetensors keeps names sorted
        for f in found:
            spec, lstm_state_dict = expected[f.prefix]
            assert (f.input_size, f.hidden_size, f.num_layers) == (
                spec["input_size"],
                spec["hidden_size"],
                spec["num_layers"],
            )
            assert (f.bias, f.bidirectional, f.proj_size) == (spec["bias"], spec["bidirectional"], spec["proj_size"])
            assert f.dtype == str(spec["dtype"]).removeprefix("torch.")
            assert_holds_exactly(f, lstm_state_dict)
            assert "head.weight" in f.others
            rebuilt = eval(f.call, {"nn": nn, "torch": torch})  # the call string really rebuilds the shapes
            assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {
                k: v.shape for k, v in lstm_state_dict.items()
            }
            assert_trace_matches(f, seed)


# ----------------------------------------------------------------------------------------------------------
# The catalogue of refused files: each with a message that says what is wrong and what was expected


def lstm_sd(**kwargs) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return dict(nn.LSTM(**({"input_size": 3, "hidden_size": 4} | kwargs)).state_dict())


def changed(state: dict, **changes) -> dict:
    out = dict(state)
    for k, v in changes.items():
        if v is None:
            del out[k]
        else:
            out[k] = v
    return out


BAD_STATE_DICTS = {
    "missing weight_hh": (changed(lstm_sd(), weight_hh_l0=None), ["weight_hh_l0 is missing"]),
    "missing middle layer": (
        {k: v for k, v in lstm_sd(num_layers=3).items() if "_l1" not in k},
        ["weight_ih_l1 is missing", "every layer 0..2"],
    ),
    "reverse only on layer 0": (
        {k: v for k, v in lstm_sd(num_layers=2, bidirectional=True).items() if not k.endswith("l1_reverse")},
        ["weight_ih_l1_reverse is missing", "bidirectional"],
    ),
    "bias_ih without bias_hh": (changed(lstm_sd(), bias_hh_l0=None), ["bias_hh_l0 is missing", "biases"]),
    "projection on one layer only": (
        changed(lstm_sd(num_layers=2, proj_size=2), weight_hr_l1=None),
        ["weight_hr_l1 is missing", "projection"],
    ),
    "gate rows not a multiple of 4": (
        changed(lstm_sd(), weight_hh_l0=torch.zeros(15, 4)),
        ["weight_hh_l0 has shape [15, 4]", "4 x hidden_size", "multiple of 4"],
    ),
    "recurrent weight too narrow": (
        changed(lstm_sd(), weight_hh_l0=torch.zeros(16, 3)),
        ["weight_hh_l0 has shape [16, 3], expected [16, 4]"],
    ),
    "input weight with the wrong gate rows": (
        changed(lstm_sd(), weight_ih_l0=torch.zeros(12, 3)),
        ["weight_ih_l0 has shape [12, 3], expected [16, 3]"],
    ),
    "layer 1 reads the wrong width": (
        changed(lstm_sd(num_layers=2, bidirectional=True), weight_ih_l1=torch.zeros(16, 4)),
        ["weight_ih_l1 has shape [16, 4], expected [16, 8]", "2 x 4 outputs"],
    ),
    "bias of the wrong length": (
        changed(lstm_sd(), bias_ih_l0=torch.zeros(12)),
        ["bias_ih_l0 has shape [12], expected [16]", "hidden_size=4"],
    ),
    "projection as wide as the hidden size": (
        changed(lstm_sd(proj_size=2), weight_hr_l0=torch.zeros(4, 4), weight_hh_l0=torch.zeros(16, 4)),
        ["weight_hr_l0 has shape [4, 4]", "between 1 and 3"],
    ),
    "3-D weight": (
        changed(lstm_sd(), weight_ih_l0=torch.zeros(16, 3, 1)),
        ["weight_ih_l0 has shape [16, 3, 1]", "2-D"],
    ),
    "integer weights": (
        changed(lstm_sd(), weight_ih_l0=torch.zeros(16, 3, dtype=torch.int32)),
        ["weight_ih_l0 holds int32", "floating-point"],
    ),
    "NaN weight": (
        changed(lstm_sd(), weight_hh_l0=torch.full((16, 4), float("nan"))),
        ["weight_hh_l0 contains NaN", "diverged"],
    ),
    "inf bias": (
        changed(lstm_sd(), bias_ih_l0=torch.tensor([float("inf")] * 16)),
        ["bias_ih_l0 contains infinite", "16 of 16"],
    ),
    "hidden size above the limit": (
        lstm_sd(input_size=2, hidden_size=MAX_SIZE + 1),
        [f"hidden_size = {MAX_SIZE + 1}", f"limit of {MAX_SIZE}"],
    ),
    "input size above the limit": (
        lstm_sd(input_size=MAX_SIZE + 1, hidden_size=2),
        [f"input_size = {MAX_SIZE + 1}", f"limit of {MAX_SIZE}"],
    ),
    "too many layers": (
        lstm_sd(input_size=2, hidden_size=2, num_layers=MAX_LAYERS + 1),
        [f"num_layers = {MAX_LAYERS + 1}", f"limit of {MAX_LAYERS}"],
    ),
    "a GRU": (dict(nn.GRU(3, 4).state_dict()), ["no nn.LSTM", "nn.GRU", "4 gate blocks"]),
    "a plain RNN": ({f"rnn.{k}": v for k, v in nn.RNN(3, 4).state_dict().items()}, ["nn.RNN (1 block) at 'rnn'"]),
    "no LSTM inside": (dict(nn.Linear(3, 4).state_dict()), ["no LSTM found", "2 tensors", "weight_ih_l0"]),
    "no tensors at all": ({"epoch": 3, "lr": 0.1}, ["no tensors at all", "state_dict"]),
}


@pytest.mark.parametrize("fmt", ["pt", "safetensors"])
@pytest.mark.parametrize("case", list(BAD_STATE_DICTS))
def test_bad_state_dicts_are_refused_with_a_clear_message(case, fmt):
    state, expected = BAD_STATE_DICTS[case]
    if fmt == "safetensors":
        if not all(isinstance(v, torch.Tensor) for v in state.values()):
            pytest.skip("safetensors files hold only tensors")
        data = st_bytes(state)
    else:
        data = torch_bytes({"model": state, "epoch": 1})
    message = refusal(data, f"bad.{fmt}")
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_a_bad_lstm_refuses_the_file_even_beside_a_good_one():
    state = {f"good.{k}": v for k, v in lstm_sd().items()}
    state |= {f"bad.{k}": v for k, v in changed(lstm_sd(), bias_ih_l0=torch.zeros(5)).items()}
    assert "the LSTM at 'bad': bias_ih_l0 has shape [5]" in refusal(torch_bytes(state))


class WritesAFile:
    """Unpickling this creates a directory: the proof that a loader ran code from the file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_the_malicious_payload_is_live_when_unpickled_unsafely(tmp_path):
    # Guards the next test: were the payload inert, "the directory never appears" would prove nothing.
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(WritesAFile(str(marker))))
    assert marker.exists()


@pytest.mark.parametrize("how", ["zip", "legacy", "plain pickle", "protocol 5 zip", "beside real weights"])
def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(tmp_path, how):
    marker = tmp_path / "pwned"
    payload = WritesAFile(str(marker))
    data = {
        "zip": lambda: torch_bytes({"model": lstm_sd(), "x": payload}),
        "legacy": lambda: torch_bytes(payload, _use_new_zipfile_serialization=False),
        "plain pickle": lambda: pickle.dumps({"weight_ih_l0": payload}),
        "protocol 5 zip": lambda: torch_bytes([payload], pickle_protocol=5),
        "beside real weights": lambda: torch_bytes(lstm_sd() | {"hook": payload}),
    }[how]()
    for filename in ("model.pt", "model.safetensors", "model"):
        message = refusal(data, filename)
        assert not marker.exists()
        assert "nothing in the file was run" in message or "not a PyTorch or safetensors file" in message, message
    assert "would run code" in refusal(data, "model.pt") or how == "plain pickle"
    assert not marker.exists()


def test_a_plain_pickle_of_a_state_dict_is_told_to_use_torch_save():
    message = refusal(pickle.dumps({"a": 1, "b": [2.0]}))
    assert "plain Python pickle" in message and "torch.save" in message


@pytest.mark.parametrize("legacy", [False, True])
def test_a_whole_pickled_model_is_refused_with_save_state_dict_instead(tagger, legacy):
    model, _ = tagger
    for obj in (model, nn.LSTM(3, 4), {"model": nn.LSTM(3, 4)}):
        message = refusal(torch_bytes(obj, _use_new_zipfile_serialization=not legacy))
        assert "whole pickled model" in message and "save model.state_dict() instead" in message, message
    assert "Tagger" in refusal(torch_bytes(model, _use_new_zipfile_serialization=not legacy))


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_a_torchscript_file_is_refused_with_save_state_dict_instead():
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.LSTM(3, 4)), buf)
    message = refusal(buf.getvalue())
    assert "TorchScript" in message and "torch.save(model.state_dict()" in message


def test_numpy_arrays_in_a_checkpoint_are_refused_without_running_anything():
    import numpy as np

    message = refusal(torch_bytes({"model": lstm_sd(), "stats": np.zeros(3)}))
    assert "Python objects beside its tensors" in message and "numpy" in message


def good_pt() -> bytes:
    return torch_bytes({"model": lstm_sd(), "epoch": 1})


def good_st() -> bytes:
    return st_bytes(lstm_sd())


BAD_FILES = {
    "empty": (lambda: b"", "model.pt", ["empty", "0 bytes"]),
    "random bytes": (lambda: bytes(range(7, 256)) * 30, "model.pt", ["not a PyTorch or safetensors file"]),
    "random bytes named safetensors": (lambda: os.urandom(16)[:1] + b"\x00" * 300, "m.safetensors", ["not a valid"]),
    "a CSV": (lambda: b"a,b,c\n1,2,3\n", "model.pt", ["text file", "'a,b,c'"]),
    "zip checkpoint cut in half": (lambda: good_pt()[: len(good_pt()) // 2], "model.pt", ["damaged or cut short"]),
    "zip checkpoint cut short by one byte": (lambda: good_pt()[:-1], "model.pt", ["damaged or cut short"]),
    "legacy checkpoint cut short": (
        lambda: torch_bytes(lstm_sd(), _use_new_zipfile_serialization=False)[:300],
        "model.pt",
        ["damaged", "nothing in the file was run"],
    ),
    "safetensors cut short": (lambda: good_st()[:-10], "m.safetensors", ["damaged"]),
    "safetensors header cut short": (lambda: good_st()[:60], "m.safetensors", ["cut short", "header"]),
    "safetensors header not JSON": (
        lambda: struct.pack("<Q", 12) + b"{not json!!}",
        "m.safetensors",
        ["safetensors file is damaged"],
    ),
    "a zip of something else": (
        lambda: _zip({"notes.txt": b"hello"}),
        "model.pt",
        ["zip archive but not a file written by torch.save"],
    ),
    "a zip bomb": (
        lambda: _zip({"archive/data.pkl": b"\0" * (MAX_FILE_BYTES + 1)}, zipfile.ZIP_DEFLATED),
        "model.pt",
        ["unpacks to", "above the limit of 64 MB"],
    ),
    "pickle protocol 4 (torch's safe loader cannot read it)": (
        lambda: torch_bytes({"model": lstm_sd()}, pickle_protocol=4),
        "model.pt",
        ["pickle_protocol=4", "save it again", "nothing in the file was run"],
    ),
    "a bare tensor": (lambda: torch_bytes(torch.zeros(3, 4)), "model.pt", ["no LSTM found", "1 tensors"]),
}


def _zip(files: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_broken_and_foreign_files_are_refused_with_a_clear_message(case):
    make, filename, expected = BAD_FILES[case]
    message = refusal(make(), filename)
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_random_garbage_of_any_length_raises_only_value_errors():
    gen = torch.Generator().manual_seed(0)
    starts = [b"", b"PK\x03\x04", b"\x80\x02", b"\x80\x04", struct.pack("<Q", 20) + b"{", good_pt()[:64]]
    for n in (1, 9, 64, 1000):
        for start in starts:
            junk = start + bytes(torch.randint(0, 256, (n,), generator=gen, dtype=torch.uint8).tolist())
            for filename in ("x.pt", "x.safetensors", "x"):
                refusal(junk, filename)


def test_flipped_bytes_in_a_real_checkpoint_never_raise_anything_but_value_error():
    data = bytearray(good_pt())
    gen = torch.Generator().manual_seed(1)
    for pos in torch.randint(0, len(data), (60,), generator=gen).tolist():
        broken = bytearray(data)
        broken[pos] ^= 0xFF
        try:
            load_lstms(bytes(broken), "model.pt")
        except ValueError:
            pass  # refused with a message; a flip inside the tensor data may also still load


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(monkeypatch):
    def must_not_read(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr(torch, "load", must_not_read)
    monkeypatch.setattr("lstm_viz.weights.files.safetensors_load", must_not_read)
    message = refusal(b"\0" * (MAX_FILE_BYTES + 1))
    assert "above the limit of 64 MB" in message and "64.0 MB" in message


def test_a_legacy_file_declaring_a_huge_tensor_is_refused_before_torch_allocates_it(monkeypatch):
    # Legacy torch.save files give each storage's size inside the pickle, and torch.load allocates that much
    # before reading the data: the size is checked against the file first.
    data = torch_bytes(lstm_sd(), _use_new_zipfile_serialization=False)
    stream = io.BytesIO(data)
    for _ in range(3):  # skip the magic number, protocol and sys-info pickles
        pickle.load(stream)
    # weight_ih_l0's storage holds 4 * 4 * 3 = 48 values, written as BININT1 48 ("K0"): make it 2**31 - 1.
    at = data.index(b"K0", stream.tell())
    huge = data[:at] + b"J" + struct.pack("<i", 2**31 - 1) + data[at + 2 :]

    def must_not_load(*args, **kwargs):
        raise AssertionError("torch.load was called")

    monkeypatch.setattr(torch, "load", must_not_load)
    message = refusal(huge)
    assert "declares a tensor of 2,147,483,647 values" in message and "nothing in the file was run" in message


# ----------------------------------------------------------------------------------------------------------
# Budgets and sizes from storage (issue 15); the attacks themselves are in test_hostile.py


def test_a_legacy_file_whose_view_outgrows_its_storage_is_refused_before_torch_grows_it(monkeypatch):
    # A legacy storage is allocated as declared and then grown to fit any view over it: the view's size is
    # read from the pickle first.
    data = torch_bytes({"weight_ih_l0": torch.zeros(70_000)}, _use_new_zipfile_serialization=False)
    size = b"J" + struct.pack("<i", 70_000)
    at = data.rindex(size)  # the view's size (the storage's own size comes first)
    huge = data[:at] + b"J" + struct.pack("<i", 2**29) + data[at + len(size) :]
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    assert "declares a tensor of 536,870,912 values" in refusal(huge)


def test_a_layer_number_beyond_the_limit_is_refused_from_the_name_alone():
    state = lstm_sd() | {"weight_ih_l999999": torch.zeros(16, 4), "weight_hh_l999999": torch.zeros(16, 4)}
    assert f"num_layers = 1000000, above the explorer's limit of {MAX_LAYERS}" in refusal(torch_bytes(state))


def test_names_and_counts_are_bounded(monkeypatch):
    from lstm_viz.weights import files, found

    long_name = "x" * 2000 + ".weight_ih_l0"
    assert "longer than 1,024 characters" in refusal(st_bytes({long_name: torch.zeros(1)}), "m.safetensors")
    assert "longer than 1,024 characters" in refusal(torch_bytes({long_name: torch.zeros(1)}))
    monkeypatch.setattr(files, "MAX_TENSORS", 10)
    monkeypatch.setattr(found, "MAX_TENSORS", 10)
    many = {f"t{k}": torch.zeros(1) for k in range(11)}
    assert "11 tensors, above the limit of 10" in refusal(st_bytes(many), "m.safetensors")
    assert "more than 10 tensors" in refusal(torch_bytes(many))
    monkeypatch.setattr(found, "MAX_NODES", 100)
    assert "more than 100 entries" in refusal(torch_bytes({"losses": list(range(200)), **lstm_sd()}))
    monkeypatch.setattr(files, "MAX_PICKLE_OPS", 1000)
    assert "more than 1,000 pickle operations" in refusal(torch_bytes({"losses": list(range(2000)), **lstm_sd()}))


def test_the_embedding_is_made_once_and_only_chosen_tensors_are_kept(tagger):
    model, opt = tagger
    (found,) = load_lstms(torch_bytes({"model": model.state_dict(), "optimizer": opt.state_dict()}), "t.pt")
    weight = found.embedding_weight()
    assert weight is found.embedding_weight(), "made while the file was read, then looked up"
    assert torch.equal(weight, model.embedding.weight.detach())
    kept = found.kept_tensors()
    assert sum(t.numel() for t in kept) == sum(p.numel() for p in found.lstm.parameters()) + weight.numel()
    assert found.others == {"embedding.weight": (50, 8), "head.weight": (5, 16), "head.bias": (5,)}
