"""What a hostile or careless student can send, built here: every one refused in bounded time and memory.

One test per class of attack in issue 15. Time bounds are generous (speed is measured in benchmarks/); the
GIL-freeze cases are checked by a heartbeat thread that must keep ticking, the memory cases in a subprocess
whose address space is capped with ``resource.setrlimit(RLIMIT_AS)`` a few hundred MB above what it had after
its imports.
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import contextmanager

import pytest
import torch
from safetensors.torch import save as safetensors_save
from torch import nn

from lstm_viz import config
from lstm_viz.export.data import trace_csv_zip, trace_npz
from lstm_viz.inputs import MAX_LINE_CHARS, MAX_TEXT_CHARS, parse_sequence, parse_token_ids, parse_typed
from lstm_viz.server import uploads
from lstm_viz.server.cache import ByteLRU, object_bytes, run_bytes, tensors_in
from lstm_viz.weights import MAX_LSTMS, MAX_TENSOR_BYTES, load_lstms

MAX_GAP_S = 0.5
"""The longest a heartbeat thread may wait for the GIL while an input is parsed (the old regex froze it 8-17 s)."""
MAX_GAP_LOADING_S = 1.5
"""The same while a checkpoint of tens of thousands of tensors is read: one C call (json, a garbage collection)
may hold the GIL for a few tenths of a second on a loaded 2-core machine."""


def torch_bytes(obj: object) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def refusal(fn, *args) -> str:
    with pytest.raises(ValueError) as info:
        fn(*args)
    return str(info.value)


@contextmanager
def heartbeat(max_s: float, max_gap_s: float = MAX_GAP_S):
    """Run the block while another thread ticks every 5 ms; afterwards the longest gap and the time must be small."""
    ticks = [time.perf_counter()]
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        stop.set()
        thread.join()
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) > 1 and max(gaps) < max_gap_s, f"the heartbeat stopped for {max(gaps):.2f} s"
    assert elapsed < max_s, f"took {elapsed:.2f} s"


def run_capped(code: str, budget_mb: int = 600, timeout: float = 60) -> str:
    """Run ``code`` in a fresh Python whose address space may grow ``budget_mb`` beyond its size after imports.

    The code gets ``load_lstms``, ``parse_sequence`` and ``torch`` imported; it must print its result. Returns
    stdout; fails the test when the child dies (an allocation over the cap is a MemoryError/RuntimeError).
    """
    prelude = textwrap.dedent(
        f"""
        import io, resource, torch
        from lstm_viz.inputs import parse_sequence
        from lstm_viz.weights import load_lstms
        torch.zeros(1) + 1  # warm torch's allocator and thread pool before the cap
        vm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize:")) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + {budget_mb} * 2**20, resource.RLIM_INFINITY))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(__import__("pathlib").Path(__file__).parent.parent),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


# ----------------------------------------------------------------------------------------------------------
# 1. A pasted number must never freeze the server (the old pattern backtracked quadratically holding the GIL)


@pytest.mark.parametrize("size", [20_000, MAX_TEXT_CHARS - 1])
def test_a_long_number_paste_is_refused_at_once_and_other_threads_keep_running(size):
    paste = "1" * size + "x"
    with heartbeat(max_s=3.0):
        typed = refusal(parse_typed, paste, 1)
        ids = refusal(parse_token_ids, paste, 10)
        csv = refusal(parse_sequence, b"0\n" + paste.encode(), "x.csv", 1)  # a data row: not read as a header
    limit = "above the limit of 64 per number" if size < MAX_LINE_CHARS else f"longer than {MAX_LINE_CHARS:,}"
    assert limit in typed and limit in ids and limit in csv


def test_a_paste_over_the_text_limit_is_refused_before_it_is_read():
    paste = "1, " * (MAX_TEXT_CHARS // 3 + 1)
    with heartbeat(max_s=1.0):
        message = refusal(parse_typed, paste, 1)
    assert f"above the limit of {MAX_TEXT_CHARS:,}" in message
    assert f"above the limit of {MAX_TEXT_CHARS:,}" in refusal(parse_token_ids, paste, 10)


def test_a_pickle_naming_a_huge_global_is_refused_at_once():
    # The refusal names what a pickle would import; the name is the file's, so it is never matched by a pattern.
    data = b"\x80\x02ctorch\n" + b"1" * 200_000 + b"-\nq\x00)\x81."
    with heartbeat(max_s=3.0):
        message = refusal(load_lstms, data, "evil.pt")
    assert "plain Python pickle" in message and "nothing in the file was run" in message
    assert len(message) < 1_000, "the name is quoted cut short"


def test_a_csv_of_many_long_cells_stays_linear():
    row = ",".join(["1" * 60 + "x"] * 3)
    data = "\n".join([row] * 400).encode()
    with heartbeat(max_s=2.0):
        message = refusal(parse_sequence, data, "x.csv", 3)
    assert "is not a number" in message


# ----------------------------------------------------------------------------------------------------------
# 2. Inputs are read lazily and stop at their limits: a 30M-row or a 30M-cell file never sits in memory


class Rows(io.RawIOBase):
    """A file of ``count`` copies of ``line``, made as it is read (a 30M-row CSV without 30M rows in memory)."""

    def __init__(self, line: bytes, count: int) -> None:
        self.line, self.left, self.pending = line, count, b""
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self.pending) < len(buffer) and self.left:
            take = min(self.left, 1 + len(buffer) // len(self.line))
            self.pending += self.line * take
            self.left -= take
        n = min(len(buffer), len(self.pending))
        buffer[:n], self.pending = self.pending[:n], self.pending[n:]
        self.served += n
        return n


def test_a_30_million_row_csv_is_refused_at_the_row_limit_without_reading_it():
    rows = Rows(b"1,2,3\n", 30_000_000)
    with heartbeat(max_s=2.0):
        message = refusal(parse_sequence, io.BufferedReader(rows), "big.csv", 3)
    assert f"at least {config.MAX_SEQ_LEN + 1} steps (rows), above the limit of {config.MAX_SEQ_LEN}" in message
    assert rows.served < 1_000_000, "read only as far as the limit"


def test_one_line_of_30_million_cells_is_refused_at_the_line_limit():
    cells = Rows(b"1,", 30_000_000)
    with heartbeat(max_s=2.0):
        message = refusal(parse_sequence, io.BufferedReader(cells), "wide.csv", 3)
    assert f"line 1 is longer than {MAX_LINE_CHARS:,} characters" in message
    assert cells.served < 1_000_000


def test_blank_lines_and_wide_rows_are_bounded_too():
    blank = Rows(b"\n", 30_000_000)
    assert "blank or comment lines" in refusal(parse_sequence, io.BufferedReader(blank), "blank.csv", 3)
    assert blank.served < 1_000_000
    assert "more than 4 columns, above the limit of 4" in refusal(parse_sequence, b"1,2,3\n" + b"1," * 9000, "w.csv", 3)


def test_big_inputs_stay_within_a_memory_cap():
    out = run_capped(
        """
        import io
        class Rows(io.RawIOBase):
            def __init__(self, line, count): self.line, self.left, self.pending = line, count, b""
            def readable(self): return True
            def readinto(self, b):
                while len(self.pending) < len(b) and self.left:
                    take = min(self.left, 1 + len(b) // len(self.line))
                    self.pending += self.line * take; self.left -= take
                n = min(len(b), len(self.pending)); b[:n], self.pending = self.pending[:n], self.pending[n:]
                return n
        for line in (b"1,2,3\\n", b"1,"):
            try:
                parse_sequence(io.BufferedReader(Rows(line, 30_000_000)), "big.csv", 3)
            except ValueError as e:
                print("refused:", e)
        # the largest allowed CSV: 512 rows of 512 numbers
        x = parse_sequence(("\\n".join([",".join(["0.123456789"] * 512)] * 512)).encode(), "ok.csv", 512)
        print("read", tuple(x.shape))
        """,
        budget_mb=400,
    )
    assert out.count("refused:") == 2 and "read (1, 512, 512)" in out


# ----------------------------------------------------------------------------------------------------------
# 3. Checkpoints are walked as graphs within budgets


def shared_reference_checkpoint() -> bytes:
    x: list = [dict(nn.LSTM(3, 4).state_dict())]
    for _ in range(40):
        x = [x, x]  # 41 lists, 2^40 paths
    return torch_bytes({"model": x})


def test_a_pickle_of_shared_references_loads_in_one_walk():
    data = shared_reference_checkpoint()
    assert len(data) < 8_000
    with heartbeat(max_s=5.0):
        found = load_lstms(data, "shared.pt")
    assert len(found) == 1 and found[0].hidden_size == 4
    assert found[0].prefix == ".".join(["0"] * 41), "the first path that reached the tensors names them"


def test_a_pickle_of_shared_references_stays_within_a_memory_cap():
    out = run_capped(
        """
        from torch import nn
        x = [dict(nn.LSTM(3, 4).state_dict())]
        for _ in range(40):
            x = [x, x]
        buf = io.BytesIO(); torch.save({"model": x}, buf)
        print("found", len(load_lstms(buf.getvalue(), "shared.pt")))
        """,
        budget_mb=300,
    )
    assert "found 1" in out


def tiny_lstms(count: int) -> dict[str, torch.Tensor]:
    one = {k: torch.zeros(v.shape) for k, v in nn.LSTM(1, 1).state_dict().items()}
    return {f"m{k}.{name}": t.clone() for k in range(count) for name, t in one.items()}


@pytest.mark.parametrize(("fmt", "count"), [("safetensors", 6_000), ("pt", 1_500)])
def test_thousands_of_tiny_lstms_are_refused_by_count(fmt, count):
    state = tiny_lstms(count)
    data = safetensors_save(state) if fmt == "safetensors" else torch_bytes(state)
    with heartbeat(max_s=30.0, max_gap_s=MAX_GAP_LOADING_S):
        message = refusal(load_lstms, data, f"many.{fmt}")
    assert f"{count:,} LSTMs, above the limit of {MAX_LSTMS}" in message


def test_six_thousand_tiny_lstms_stay_within_a_memory_cap():
    out = run_capped(
        """
        from torch import nn
        from safetensors.torch import save
        one = {k: torch.zeros(v.shape) for k, v in nn.LSTM(1, 1).state_dict().items()}
        data = save({f"m{k}.{n}": t.clone() for k in range(6000) for n, t in one.items()})
        try:
            load_lstms(data, "many.safetensors")
        except ValueError as e:
            print("refused:", e)
        """,
        budget_mb=500,
    )
    assert "refused: this file holds 6,000 LSTMs" in out


def test_a_file_at_the_lstm_limit_shares_one_map_of_its_tensors():
    state = tiny_lstms(MAX_LSTMS) | {"embedding.weight": torch.ones(7, 1)}
    found = load_lstms(safetensors_save(state), "ok.safetensors")
    assert len(found) == MAX_LSTMS
    assert len({id(f._shared) for f in found}) == 1, "one map per file, not one per LSTM"
    assert found[0].embedding_weight() is found[-1].embedding_weight()
    assert len(found[0].others) == len(state) - 4


# ----------------------------------------------------------------------------------------------------------
# 4. Sizes come from storage: expanded, overlapping and shared views, meta tensors, huge LSTMs


def lstm_shapes(hidden: int, inputs: int) -> dict[str, tuple[int, ...]]:
    return {
        "weight_ih_l0": (4 * hidden, inputs),
        "weight_hh_l0": (4 * hidden, hidden),
        "bias_ih_l0": (4 * hidden,),
        "bias_hh_l0": (4 * hidden,),
    }


def test_stride_zero_expanded_storages_are_refused_from_their_sizes():
    one = torch.zeros(1)
    state = {f"l{k}.{n}": one.expand(*s) for k in range(40) for n, s in lstm_shapes(512, 512).items()}
    data = torch_bytes(state)
    assert len(data) < 64_000
    with heartbeat(max_s=5.0):
        message = refusal(load_lstms, data, "expanded.pt")
    assert "claims 1,048,576 values over a storage of only 1" in message and "expanded (stride-0)" in message
    # A huge expanded embedding beside a small LSTM: refused too, rather than copied on every rerun.
    small = {f"rnn.{k}": v for k, v in nn.LSTM(3, 4).state_dict().items()}
    message = refusal(load_lstms, torch_bytes(small | {"emb.weight": one.expand(10_000_000, 3)}), "emb.pt")
    assert "'emb.weight' of shape [10000000, 3] claims 30,000,000 values" in message


def test_overlapping_and_shared_views_are_refused():
    overlapping = torch.zeros(1024).as_strided((256, 64), (1, 1))  # each row starts one value after the last
    state = {"weight_ih_l0": overlapping, "weight_hh_l0": torch.zeros(256, 64)}
    message = refusal(load_lstms, torch_bytes(state), "overlap.pt")
    assert "overlapping" in message
    big = torch.zeros(2048 * 1024)
    shared = {
        f"l{k}.{n}": big[: s[0] * (s[1] if len(s) == 2 else 1)].view(s)
        for k in range(40)
        for n, s in lstm_shapes(512, 512).items()
    }
    message = refusal(load_lstms, torch_bytes(shared), "shared.pt")
    assert f"above the limit of {MAX_TENSOR_BYTES // 2**20} MB" in message


def test_meta_tensors_are_refused():
    state = {n: torch.zeros(s, device="meta") for n, s in lstm_shapes(4, 3).items()}
    assert "meta" in refusal(load_lstms, torch_bytes(state), "meta.pt")


def test_huge_lstms_are_refused_before_any_big_allocation():
    hiddens = (8_192, 65_536)  # weight_hh alone would be 1 GB and 64 GB of float32
    out = run_capped(
        f"""
        one = torch.zeros(1)
        for hidden in {hiddens!r}:
            shapes = {{n: s for n, s in {lstm_shapes(1, 4)!r}.items()}}
            shapes = {{n: (s[0] * hidden,) + ((hidden,) if n == "weight_hh_l0" else s[1:]) for n, s in shapes.items()}}
            buf = io.BytesIO(); torch.save({{n: one.expand(*s) for n, s in shapes.items()}}, buf)
            try:
                load_lstms(buf.getvalue(), "huge.pt")
            except ValueError as e:
                print("refused:", e)
        """,
        budget_mb=300,
    )
    for hidden in hiddens:
        assert f"hidden_size = {hidden}, above the explorer's limit of {config.MAX_SIZE}" in out
        state = {n: torch.zeros(1).expand(*s) for n, s in lstm_shapes(hidden, 4).items()}
        with heartbeat(max_s=2.0):
            assert f"hidden_size = {hidden}" in refusal(load_lstms, torch_bytes(state), "huge.pt")


def test_an_allocation_failure_is_the_same_clear_refusal(monkeypatch):
    import lstm_viz.weights as weights

    for error in (MemoryError(), RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried 9 GB")):

        def fail(obj, error=error):
            raise error

        monkeypatch.setattr(weights, "find_lstms", fail)
        message = refusal(load_lstms, torch_bytes(dict(nn.LSTM(3, 4).state_dict())), "m.pt")
        assert "needs more memory than the server can give one upload" in message


# ----------------------------------------------------------------------------------------------------------
# 5. The upload store counts everything it keeps, keeps nothing over its cap, and stores no file name


def junk_beside_tiny_lstm(seed: int, junk_values: int = 2_000_000) -> bytes:
    torch.manual_seed(seed)
    state = {f"rnn.{k}": v for k, v in nn.LSTM(3, 4).state_dict().items()}
    return torch_bytes(state | {"junk": torch.randn(junk_values)})  # 8 MB of junk beside a 0.3 KB LSTM


def test_junk_tensors_are_not_kept_and_everything_kept_is_counted(monkeypatch):
    store = uploads.Store(max_bytes=64 * 2**20)
    monkeypatch.setattr(uploads, "store", lambda: store)
    for seed in range(10):
        uploads.add_model_file(junk_beside_tiny_lstm(seed), f"junk{seed}.pt")
    assert len(store) == 10
    for seed in range(10):
        item = store.get(uploads.digest_of(junk_beside_tiny_lstm(seed)))
        kept = object_bytes([f.lstm for f in item.found]) + object_bytes([f._shared.tensors() for f in item.found])
        assert object_bytes(item) <= kept, "every tensor the item holds is one it counts"
        assert uploads.item_bytes(item) >= kept
        assert not any(t.numel() >= 2_000_000 for t in tensors_in(item)), "the junk is not kept"
    assert store.nbytes < 10 * 64 * 1024, "ten files with 8 MB of junk each hold well under 1 MB"


def test_an_embedding_is_counted_and_an_item_over_the_cap_is_never_kept(monkeypatch):
    state = {f"rnn.{k}": v for k, v in nn.LSTM(64, 4).state_dict().items()} | {"emb.weight": torch.ones(4096, 64)}
    data = torch_bytes(state)
    store = uploads.Store(max_bytes=2 * 2**20)
    monkeypatch.setattr(uploads, "store", lambda: store)
    uploads.add_model_file(data, "emb.pt")
    item = store.get(uploads.digest_of(data))
    assert item.found[0].embedding_weight() is not None
    assert store.nbytes >= 4096 * 64 * 4, "the embedding's 1 MB is counted"
    small = uploads.Store(max_bytes=512 * 1024)
    monkeypatch.setattr(uploads, "store", lambda: small)
    assert "above the 0 MB the server keeps for one upload" in refusal(uploads.add_model_file, data, "emb.pt")
    assert len(small) == 0 and small.nbytes == 0


def test_a_file_name_belongs_to_the_session_that_uploaded_it(monkeypatch):
    store = uploads.Store()
    monkeypatch.setattr(uploads, "store", lambda: store)
    data = torch_bytes(dict(nn.LSTM(3, 4).state_dict()))
    first = uploads.add_model_file(data, "alice_thesis.pt")
    second = uploads.add_model_file(data, "bob.pt")
    assert first.digest == second.digest and len(store) == 1, "the bytes are shared"
    assert (first.filename, second.filename) == ("alice_thesis.pt", "bob.pt")
    shared = store.get(first.digest)
    assert not hasattr(shared, "filename") and "alice" not in repr(vars(shared))
    assert second.lstm("").hidden_size == 4
    x = torch.zeros(1, 2, 3)
    a, b = uploads.add_input(x, "alice_walk.csv"), uploads.add_input(x, "typed numbers")
    assert a.digest == b.digest and (a.what, b.what) == ("alice_walk.csv", "typed numbers")
    assert not hasattr(store.get(a.digest), "what")


# ----------------------------------------------------------------------------------------------------------
# 6. Server-wide budgets: a byte-bounded cache, cached gradients, exports in the export queue


def test_byte_lru_keeps_within_its_bytes_and_never_keeps_an_oversized_value():
    cache: ByteLRU[bytes] = ByteLRU(100, len)
    for k in range(10):
        cache.put(k, b"x" * 30)
    assert cache.nbytes <= 100 and len(cache) == 3 and 9 in cache and 6 not in cache
    assert cache.get(7) is not None
    cache.put("new", b"y" * 30)
    assert 8 not in cache and 7 in cache, "the least recently used goes first"
    assert cache.put("huge", b"z" * 101) == b"z" * 101 and "huge" not in cache
    calls = []

    def make() -> bytes:
        calls.append(1)
        time.sleep(0.05)
        return b"made"

    threads = [threading.Thread(target=cache.get_or_make, args=("k", make)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and cache.get("k") == b"made"


def test_run_bytes_counts_every_tensor_of_a_run_once():
    from lstm_viz.run import run

    r = run(config.LSTMConfig(input_size=8, hidden_size=16, batch=4, seq_len=20, dtype="float64"))
    recorded = r.config.recorded_values * 8
    params = sum(p.numel() for p in r.built.lstm.parameters()) * 8
    assert run_bytes(r) >= recorded + params
    assert run_bytes(r) < 4 * (recorded + params + r.built.input.numel() * 8)


def test_gradient_flow_and_step_backward_are_cached_with_the_same_numbers():
    from lstm_viz.backward import backward
    from lstm_viz.edits import Edits, apply_edits
    from lstm_viz.gradient_flow import gradient_flow
    from lstm_viz.losses import loss_grad
    from lstm_viz.run import run
    from lstm_viz.server.gradients import flow_for, gradient_cache, step_backward

    r = run(config.LSTMConfig(input_size=3, hidden_size=5, batch=2, seq_len=6, seed=3))
    flow = flow_for(r, "last", None, 1.0)
    assert flow_for(r, "last", None, 1.0) is flow, "the second view is a lookup"
    lstm = apply_edits(r.built.lstm, Edits(forget_bias=1.0))
    direct = gradient_flow(lstm, r.built.input, r.built.hx, "last", None, r.config.seed)
    assert torch.equal(flow.grads.layer(0).dc, direct.grads.layer(0).dc)
    assert torch.equal(flow.rnn.layer_dh(0), direct.rnn.layer_dh(0))
    loss, grads = step_backward(r, "every")
    assert step_backward(r, "every")[1] is grads
    assert torch.equal(grads.layer(0).dh, backward(r.trace, loss_grad(r.trace, "every").grad_output).layer(0).dh)
    assert gradient_cache().nbytes > 0


class CountingQueue:
    """Stands in for the server's export renderer: counts the jobs taken through its public entry."""

    def __init__(self) -> None:
        self.jobs = 0
        self.inside = False

    @contextmanager
    def job(self, wait_s: float = 30.0):
        self.jobs += 1
        self.inside = True
        try:
            yield
        finally:
            self.inside = False


def test_npz_and_csv_exports_run_in_the_export_queue():
    from lstm_viz.run import run

    r = run(config.LSTMConfig(input_size=3, hidden_size=4, seq_len=5))
    queue = CountingQueue()
    assert trace_npz(r.trace, r.built.input, renderer_=queue).startswith(b"PK")
    assert trace_csv_zip(r.trace, r.built.input, renderer_=queue).startswith(b"PK")
    assert queue.jobs == 2 and not queue.inside


def test_a_csv_export_too_big_to_write_quickly_is_refused_before_it_takes_a_slot(monkeypatch):
    from lstm_viz.export import data
    from lstm_viz.run import run

    r = run(config.LSTMConfig(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, seq_len=5))
    arrays = data.trace_arrays(r.trace, r.built.input)
    values = sum(a.size for k, a in arrays.items() if k != data.META)
    assert data.trace_values(r.trace, r.built.input) == values
    monkeypatch.setattr(data, "MAX_CSV_VALUES", values - 1)
    queue = CountingQueue()
    message = refusal(data.trace_csv_zip, r.trace, r.built.input, queue)
    assert f"{values:,} numbers, above the limit of {values - 1:,}" in message and "NPZ" in message
    assert queue.jobs == 0 and data.csv_refusal(r.trace, r.built.input) == message
