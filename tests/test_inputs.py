"""A user's own input: CSV and NPY files, typed numbers and token ids, and every refusal with its message."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_viz import config
from lstm_viz.inputs import (
    MAX_INPUT_BYTES,
    embed_tokens,
    parse_sequence,
    parse_token_ids,
    parse_typed,
    random_token_ids,
)


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def refusal(fn, *args, **kwargs) -> str:
    with pytest.raises(ValueError) as info:
        fn(*args, **kwargs)
    return str(info.value)


EXPECTED = torch.tensor([[[0.5, -1.0, 2.0], [1e-3, 0.0, 3.25]]], dtype=torch.float64)  # [1, T=2, I=3]

GOOD_CSVS = {
    "comma": b"0.5,-1,2\n0.001,0,3.25\n",
    "comma with spaces and header": b"a, b, c\n0.5, -1, 2\n1e-3, 0, 3.25\n",
    "semicolon with decimal commas": b"x;y;z\n0,5;-1;2\n0,001;0;3,25\n",
    "whitespace and tabs": b"0.5 -1\t2\n\n0.001   0 3.25\n",
    "windows line ends and a BOM": b"\xef\xbb\xbfa,b,c\r\n0.5,-1,2\r\n0.001,0,3.25\r\n",
    "pandas to_csv with its index": b",a,b,c\n0,0.5,-1,2\n1,0.001,0,3.25\n",
    "comment and blank lines": b"# my sensor\n\n0.5,-1,2\n\n0.001,0,+3.25\n",
}


@pytest.mark.parametrize("case", list(GOOD_CSVS))
def test_csv_in_the_ways_people_write_them_reads_as_one_sequence(case):
    x = parse_sequence(GOOD_CSVS[case], "data.csv", input_size=3)
    assert x.dtype == torch.float64
    assert torch.equal(x, EXPECTED), case


def test_npy_of_steps_by_features_and_of_a_batch():
    steps = np.array([[0.5, -1.0, 2.0], [1e-3, 0.0, 3.25]], dtype=np.float32)
    assert torch.equal(parse_sequence(npy(steps), "x.npy", 3), EXPECTED.float().double())
    batch = np.arange(2 * 4 * 3, dtype=np.int64).reshape(2, 4, 3)
    x = parse_sequence(npy(batch), "x.npy", 3)
    assert x.shape == (2, 4, 3) and x.dtype == torch.float64
    assert torch.equal(x, torch.from_numpy(batch).double())
    fortran = np.asfortranarray(np.random.default_rng(0).standard_normal((5, 3)))
    assert torch.equal(parse_sequence(npy(fortran), "named.csv", 3)[0], torch.from_numpy(np.ascontiguousarray(fortran)))


def test_one_dimensional_npy_is_a_sequence_of_scalars_only_for_input_size_one():
    assert parse_sequence(npy(np.array([1.0, 2.0, 3.0])), "x.npy", 1).shape == (1, 3, 1)
    assert "shape [3]" in refusal(parse_sequence, npy(np.array([1.0, 2.0, 3.0])), "x.npy", 2)


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.integers(1, 5)),
        elements=st.floats(-1e6, 1e6, allow_nan=False, width=64),
    ),
    st.sampled_from([",", ";", " ", "\t"]),
    st.booleans(),
)
def test_any_finite_table_round_trips_through_csv_and_npy_exactly(table, sep, header):
    steps, feats = table.shape
    lines = [sep.join(f"c{k}" for k in range(feats))] if header else []
    # repr() writes the shortest string that reads back as the same float64; ";" files use decimal commas
    # (a one-column file has no ";" to tell its decimal commas from a comma separator, so it keeps points).
    comma = sep == ";" and feats > 1
    lines += [sep.join(repr(float(v)).replace(".", ",") if comma else repr(float(v)) for v in row) for row in table]
    text = "\n".join(lines).encode()
    expected = torch.from_numpy(table).unsqueeze(0)
    assert torch.equal(parse_sequence(text, "t.csv", feats), expected)
    assert torch.equal(parse_sequence(npy(table), "t.npy", feats), expected)


BAD_CSVS = {
    "empty": (b"", ["empty"]),
    "only blank lines": (b"\n  \n\n", ["empty"]),
    "header only": (b"a,b,c\n", ["header line but no data rows"]),
    "wrong width": (b"1,2\n3,4\n", ["2 column(s)", "input_size is 3"]),
    "ragged rows": (b"1,2,3\n4,5\n", ["line 2 has 2 columns but line 1 has 3"]),
    "non-numeric cell": (b"1,2,3\n4,five,6\n", ["line 2, column 2", "'five' is not a number"]),
    "empty cell": (b"1,2,3\n4,,6\n", ["line 2, column 2 is empty"]),
    "NaN": (b"a,b,c\n1,2,3\n4,nan,6\n", ["line 3, column 2 is 'nan'", "finite"]),
    "inf": (b"1,2,3\n-inf,5,6\n", ["line 2, column 1 is '-inf'", "finite"]),
    "overflow to inf": (b"1,2,3\n1e999,5,6\n", ["line 2, column 1", "too large"]),
    "typo in the first row": (b"1,2,3x\n4,5,6\n", ["line 1, column 3", "'3x' is not a number"]),
    "binary junk": (bytes(range(128, 256)) * 4, ["not UTF-8 text"]),
    "an npz archive": (b"PK\x03\x04" + b"\0" * 40, ["zip archive", "np.save"]),
    "npy named but not npy": (b"1,2,3\n", ["not a valid .npy file"]),
}


@pytest.mark.parametrize("case", list(BAD_CSVS))
def test_bad_csvs_are_refused_naming_the_problem(case):
    data, expected = BAD_CSVS[case]
    message = refusal(parse_sequence, data, "bad.npy" if case == "npy named but not npy" else "bad.csv", 3)
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_too_many_steps_and_sequences_name_the_limit():
    rows = b"\n".join([b"1,2,3"] * (config.MAX_SEQ_LEN + 1))
    assert f"{config.MAX_SEQ_LEN + 1} steps (rows), above the limit of {config.MAX_SEQ_LEN}" in refusal(
        parse_sequence, rows, "long.csv", 3
    )
    assert "above the limit of 4 steps" in refusal(parse_sequence, npy(np.zeros((5, 3))), "x.npy", 3, max_steps=4)
    message = refusal(parse_sequence, npy(np.zeros((3, 2, 3))), "x.npy", 3, max_batch=2)
    assert "3 sequences, above the limit of 2" in message
    assert "above the limit of 64 MB" in refusal(parse_sequence, b"1" * (MAX_INPUT_BYTES + 1), "x.csv", 1)


BAD_NPYS = {
    "wrong width": (npy(np.zeros((4, 2))), ["2 features per step", "input_size is 3"]),
    "4-D": (npy(np.zeros((1, 1, 4, 3))), ["shape [1, 1, 4, 3]", "[T, 3]", "[B, T, 3]"]),
    "no steps": (npy(np.zeros((0, 3))), ["empty"]),
    "NaN": (npy(np.array([[[0, 0, 0], [0, np.nan, 0]]])), ["sequence 0, step 1, feature 1 is nan"]),
    "inf": (npy(np.array([[1.0, 2.0, np.inf]])), ["step 0, feature 2 is inf"]),
    "strings": (npy(np.array([["a", "b", "c"]])), ["<U1", "plain numbers"]),
    "complex": (npy(np.zeros((2, 3), dtype=np.complex64)), ["complex64", "plain numbers"]),
    "cut short": (npy(np.zeros((4, 3)))[:-8], ["cut short"]),
    "damaged header": (b"\x93NUMPY\x01\x00\x10\x00{'descr': garbage}", ["damaged header"]),
    "header promising a huge array": (
        npy(np.zeros((2, 3))).replace(b"(2, 3)", b"(9999999, 3)"),
        ["above the limit of 512 steps"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_NPYS))
def test_bad_npys_are_refused_naming_the_problem(case):
    data, expected = BAD_NPYS[case]
    message = refusal(parse_sequence, data, "bad.npy", 3)
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_object_npy_is_refused_without_unpickling(tmp_path):
    class Boom:
        def __reduce__(self):
            return (tmp_path.joinpath("ran").mkdir, ())

    buf = io.BytesIO()
    np.save(buf, np.array([[Boom(), 1, 2]], dtype=object), allow_pickle=True)
    assert "object" in refusal(parse_sequence, buf.getvalue(), "x.npy", 3)
    assert not tmp_path.joinpath("ran").exists()


# ----------------------------------------------------------------------------------------------------------
# Typed numbers


@pytest.mark.parametrize(
    "text",
    [
        "0.5, -1, 2\n0.001, 0, 3.25",
        "0.5 -1 2\n\n  1e-3 0 3.25  \n",
        "0.5;-1;2\n0.001;0;3.25",
        "[[0.5, -1, 2], [0.001, 0, 3.25]]",
        "[0.5, -1, 2],\n[0.001, 0, 3.25]",
    ],
)
def test_typed_numbers_one_step_per_line(text):
    assert torch.equal(parse_typed(text, 3), EXPECTED)


def test_typed_single_line_is_one_value_per_step_when_input_size_is_one():
    assert torch.equal(parse_typed("1, 2, 3", 1), torch.tensor([[[1.0], [2.0], [3.0]]], dtype=torch.float64))
    assert torch.equal(parse_typed("1\n2", 1), torch.tensor([[[1.0], [2.0]]], dtype=torch.float64))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["nothing typed", "3 number(s)"]),
        ("1, 2", ["2 number(s)", "input_size is 3"]),
        ("1, 2, 3\n1, 2", ["line 2 has 2 numbers but line 1 has 3"]),
        ("1, 2, x", ["line 1, column 3", "'x' is not a number"]),
        ("1, 2, 3\n1, nan, 2", ["line 2, column 2 is 'nan'"]),
        ("1,2,3\n" * (config.MAX_SEQ_LEN + 1), [f"above the limit of {config.MAX_SEQ_LEN}"]),
    ],
)
def test_typed_numbers_refused_naming_the_line(text, expected):
    message = refusal(parse_typed, text, 3)
    for fragment in expected:
        assert fragment in message, (fragment, message)


# ----------------------------------------------------------------------------------------------------------
# Token ids


@pytest.mark.parametrize("text", ["3, 14, 15, 9", "3 14 15 9", "[3, 14, 15, 9]", " 3,14 ,15, 9 \n"])
def test_token_ids_typed_as_a_list(text):
    ids = parse_token_ids(text, vocab_size=20)
    assert ids.dtype == torch.int64
    assert ids.tolist() == [[3, 14, 15, 9]]


def test_token_ids_on_several_lines_are_a_batch():
    assert parse_token_ids("[[1, 2], [3, 4]]", 5).tolist() == [[1, 2], [3, 4]]
    assert parse_token_ids("1 2\n3 4\n", 5).tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["no token ids typed", "0 to 9"]),
        ("1, 2.5", ["'2.5' is not a whole number"]),
        ("1, cat", ["'cat' is not a number"]),
        ("1, 10", ["token id 10 is out of range", "10 rows", "0 to 9"]),
        ("-1", ["token id -1 is out of range"]),
        ("1 2 3\n4 5", ["line 2 has 2 ids but line 1 has 3"]),
        (" ".join(["1"] * (config.MAX_SEQ_LEN + 1)), [f"above the limit of {config.MAX_SEQ_LEN}"]),
        ("1\n" * (config.MAX_BATCH + 1), [f"{config.MAX_BATCH + 1} sequences", f"limit of {config.MAX_BATCH}"]),
    ],
)
def test_bad_token_ids_are_refused_naming_the_problem(text, expected):
    message = refusal(parse_token_ids, text, 10)
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_random_token_ids_are_in_range_and_repeat_for_a_seed():
    ids = random_token_ids(7, steps=50, batch=3, seed=4)
    assert ids.shape == (3, 50) and ids.dtype == torch.int64
    assert 0 <= ids.min() and ids.max() < 7
    assert torch.equal(ids, random_token_ids(7, steps=50, batch=3, seed=4))


def test_embed_tokens_looks_up_rows_like_nn_embedding():
    emb = torch.nn.Embedding(10, 4)
    ids = parse_token_ids("1 2 3\n9 0 0", 10)
    x = embed_tokens(ids, emb.weight.detach())
    assert x.shape == (2, 3, 4)
    assert torch.equal(x, emb(ids).detach())
    assert "between 0 and 9" in refusal(embed_tokens, torch.tensor([[10]]), emb.weight.detach())


# ----------------------------------------------------------------------------------------------------------
# Bounded, linear reading (issue 15): file objects, caps on cells/lines, no regex


def test_a_file_object_reads_like_its_bytes():
    for case, data in GOOD_CSVS.items():
        assert torch.equal(parse_sequence(io.BytesIO(data), "data.csv", 3), EXPECTED), case
        assert torch.equal(parse_sequence(io.BufferedReader(io.BytesIO(data)), "data.csv", 3), EXPECTED), case
    array = np.arange(2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3)
    assert torch.equal(parse_sequence(io.BytesIO(npy(array)), "x.npy", 3), torch.from_numpy(array).double())


def test_fortran_ordered_and_big_endian_npys_read_exactly():
    array = np.asfortranarray(np.arange(12, dtype=">f8").reshape(4, 3))
    assert torch.equal(parse_sequence(npy(array), "x.npy", 3)[0], torch.from_numpy(array.astype(np.float64)))


def test_old_mac_line_ends_and_long_header_names_are_read():
    assert torch.equal(parse_sequence(b"0.5,-1,2\r0.001,0,3.25\r", "mac.csv", 3), EXPECTED)
    header = ",".join("a very long column name " * 4 + str(k) for k in range(3))
    assert torch.equal(parse_sequence(f"{header}\n0.5,-1,2\n0.001,0,3.25\n".encode(), "h.csv", 3), EXPECTED)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1" * 5000, ["line 1, column 1 is 5,000 characters long", "limit of 64 per number"]),
        ("1 " * (config.MAX_SEQ_LEN + 1), [f"more than {config.MAX_SEQ_LEN} token ids", "above the limit"]),
        ("١٢", ["not a number"]),
        ("+", ["not a number"]),
    ],
)
def test_token_ids_never_reach_int_with_huge_or_foreign_digits(text, expected):
    message = refusal(parse_token_ids, text, 10)
    for fragment in expected:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize("cell", ["1_000", "١", "nan", "Infinity", "0x1p3", "1e", "e1", ".", "+-1", "1.2.3", " "])
def test_numbers_are_plain_decimals_only(cell):
    message = refusal(parse_typed, f"1, 2, {cell}" if cell.strip() else "1, 2, 3\n1, 2", 3)
    assert "line" in message


@pytest.mark.parametrize("cell", ["1", "-1", "+.5", "2.", "1e-3", "1E+30", "-0.0", "0" * 60 + "1"])
def test_every_plain_decimal_is_read_as_python_reads_it(cell):
    assert parse_typed(f"{cell}, 0, 0", 3)[0, 0, 0].item() == float(cell)
