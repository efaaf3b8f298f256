"""Your own model and data in the app under AppTest: upload, pick, see, prove; bad files never break a page."""

from __future__ import annotations

import io
import pickle

import numpy as np
import torch
from test_app import charts, heatmap, open_page
from torch import nn

from lstm_viz.config import LSTMConfig
from lstm_viz.run import RunSpec, run
from lstm_viz.server import uploads
from lstm_viz.sources import FileSource
from lstm_viz.ui import DEFAULTS


class Tagger(nn.Module):
    """A small realistic model: embedding -> 2-layer LSTM encoder -> linear tagger."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(20, 6)
        self.encoder = nn.LSTM(6, 10, num_layers=2)
        self.decoder = nn.LSTM(10, 5)
        self.out = nn.Linear(5, 3)


def _checkpoint() -> bytes:
    torch.manual_seed(0)
    model = Tagger()
    opt = torch.optim.Adam(model.parameters())
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, buf)
    return buf.getvalue()


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="model_file").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_uploaded_checkpoint_becomes_the_model_every_page_shows():
    data = _checkpoint()
    at = open_page("gates", {"model": "file"})
    assert any("Upload a checkpoint" in i.value for i in at.sidebar.info)
    _upload(at, "tagger.pt", data)
    digest = uploads.digest_of(data)
    picker = at.selectbox(key=f"file_lstm_{digest[:12]}")
    assert picker.options == ["encoder: nn.LSTM(6, 10, num_layers=2)", "decoder: nn.LSTM(10, 5)"]
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "The file fixes the model: `nn.LSTM(6, 10, num_layers=2)`" in captions and "from tagger.pt" in captions
    assert not any(n.key == "hidden_size" for n in at.sidebar.number_input), "stated once, not drawn disabled"
    spec = RunSpec(
        LSTMConfig(**{**DEFAULTS, "input_size": 6, "hidden_size": 10, "num_layers": 2}),
        FileSource(digest, "encoder", "tagger.pt"),
    )
    r = run(spec)
    state = torch.load(io.BytesIO(data), weights_only=True)["model"]
    assert torch.equal(r.built.lstm.weight_hh_l1, state["encoder.weight_hh_l1"]), "exactly the file's tensors"
    np.testing.assert_array_equal(heatmap(at, "forget gate"), r.trace.layer(0).f[0].T.float().numpy())
    picker.select("decoder: nn.LSTM(10, 5)").run()
    assert at.session_state["spec"].config.hidden_size == 5
    at.switch_page("pages/compare.py").run()
    assert "matches nn.LSTM" in at.success[0].value


def test_a_pickle_that_would_run_code_is_refused_and_the_app_keeps_working(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    at = open_page("gates", {"model": "file"})
    _upload(at, "evil.pt", pickle.dumps({"weight_ih_l0": Evil()}))
    assert not marker.exists(), "nothing in the file ran"
    message = " ".join(e.value for e in at.sidebar.error)
    assert "evil.pt" in message
    assert at.get("plotly_chart"), "the page keeps showing a run"
    _upload(at, "empty.pt", b"")
    assert "empty" in " ".join(e.value for e in at.sidebar.error)


def test_own_csv_input_feeds_the_lstm_and_a_wrong_width_keeps_the_last_valid_one():
    at = open_page("gates", {"input_size": "3", "hidden_size": "5"})
    at.radio(key="input_source").set_value("your file").run()
    rows = "\n".join(f"{t * 0.1:.1f},{-t * 0.2:.1f},1" for t in range(7))
    at.file_uploader(key="input_file").set_value(("walk.csv", ("a,b,c\n" + rows).encode(), "text/csv")).run()
    assert not at.exception
    assert heatmap(at, "input gate").shape == (5, 7)
    at.file_uploader(key="input_file").set_value(("bad.csv", b"1,2\n3,4\n", "text/csv")).run()
    message = " ".join(e.value for e in at.sidebar.error)
    assert "Not applied" in message and "3" in message
    assert heatmap(at, "input gate").shape == (5, 7), "the last valid input stays on screen"


def test_token_ids_go_through_the_checkpoints_embedding_and_label_the_time_axis():
    data = _checkpoint()
    at = _upload(open_page("gates", {"model": "file"}), "tagger.pt", data)
    at.radio(key="input_source").set_value("token ids").run()
    at.text_area(key="input_ids").input("3, 14, 15, 9").run()
    assert not at.exception
    labels = ["3", "14", "15", "9"]
    drawn = charts(at)
    heatmaps = [s for t, s in drawn.items() if t.startswith("forget gate")]
    if heatmaps:  # a page of one heatmap per quantity labels its time axis
        assert heatmaps[0]["layout"]["xaxis"]["ticktext"] == labels
    else:  # the Gates figure writes each step's input symbol in its input row
        row = next(tr for spec in drawn.values() for tr in spec["data"] if tr.get("name") == "input")
        assert list(row["text"]) == labels
    at.text_area(key="input_ids").input("3, 99").run()
    assert "out of range" in " ".join(e.value for e in at.sidebar.error)


def test_the_same_bytes_under_two_names_show_each_session_its_own_name():
    data = _checkpoint()
    alice = _upload(open_page("gates", {"model": "file"}), "alice_thesis.pt", data)
    bob = _upload(open_page("gates", {"model": "file"}), "bob.pt", data)
    assert "alice_thesis.pt" in " ".join(c.value for c in alice.sidebar.caption)
    bob_words = " ".join(c.value for c in bob.sidebar.caption) + " ".join(m.value for m in bob.markdown)
    assert "bob.pt" in bob_words and "alice" not in bob_words
    bob.switch_page("pages/home.py").run()
    assert not bob.exception
    home = " ".join(e.value for kind in ("markdown", "caption", "info", "success") for e in bob.get(kind))
    assert "alice" not in home


def test_an_upload_the_server_process_no_longer_holds_is_named_as_lost():
    # A session that moved to another worker (its own restarted) opens with the upload's name in the URL.
    at = open_page("gates", {"model": "file", "file": "0123456789ab"})
    assert not at.exception
    message = " ".join(w.value for w in at.sidebar.warning)
    assert "`0123456789ab`" in message and "Upload it again" in message
    assert not any("cannot read" in w.value for w in at.warning), "the upload's name is not a setting to refuse"


def test_an_accepted_upload_names_itself_in_the_url():
    data = _checkpoint()
    at = _upload(open_page("gates", {"model": "file"}), "tagger.pt", data)
    assert at.query_params["file"] in (uploads.digest_of(data)[:12], [uploads.digest_of(data)[:12]])
    assert not at.sidebar.warning
