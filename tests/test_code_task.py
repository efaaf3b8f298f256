"""The `code` task: its corpus and split, the shipped model's cells on held-out code, clamps, and a shortened run."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from lstm_viz import tasks
from lstm_viz.engine import CellClamp
from lstm_viz.reading import code_models, finder, spans, tracking
from lstm_viz.reading.clamp import clamp_effect
from lstm_viz.tasks import code_train, corpus
from lstm_viz.tasks.train import one_thread

SHORT = 6
"""Steps of the shortened run CI repeats."""


@pytest.fixture(scope="module")
def model():
    return tasks.pretrained("code")


@pytest.fixture(scope="module")
def same_corpus(model):
    """Whether this machine's torch wheel and CPU kernels are the ones the shipped weights were made on."""
    split = code_train.training_streams()[1]
    return split.digest == model.info["corpus_digest"] and (
        torch.backends.cpu.get_cpu_capability() == model.info["cpu_capability"]
    )


def test_the_split_is_by_path_and_the_held_out_files_are_never_trained_on():
    files = corpus.file_list()
    assert list(files) == sorted(files) and len(files) > 1000
    held = [f for f in files if corpus.is_held_out(f)]
    assert 0.02 < len(held) / len(files) < 0.1
    split = code_train.training_streams()[1]
    assert set(split.train).isdisjoint(split.held_out) and len(split.train) + len(split.held_out) == len(files)
    assert set(corpus.held_out().paths) <= set(split.held_out)
    assert set(corpus.analysis().paths) <= set(corpus.held_out().paths)
    assert len(corpus.analysis().text) <= corpus.ANALYSIS_CHARS


def test_characters_outside_the_vocabulary_become_the_stated_fallback(model):
    text = "s = 'naïve → ok'\n\tx\r\n"
    ids = corpus.encode_ids(text)
    assert model.decode(ids) == "s = 'na\ufffdve \ufffd ok'\n\tx\ufffd\n"
    x = model.encode(text)
    assert x.shape == (1, len(text), corpus.VOCAB) and torch.equal(x[0].argmax(-1), ids.long())
    assert corpus.SYMBOLS[-1] == corpus.FALLBACK and "\t" in corpus.SYMBOLS


def test_sample_gives_held_out_windows_with_the_indentation_as_latent(model):
    b = model.batch(4, seed=0)
    held = corpus.held_out().text
    for row in range(4):
        window = model.decode(b.tokens[row])
        assert window in held
        assert torch.equal(b.target[row, :-1], b.tokens[row, 1:])
    assert b.latent.shape == b.tokens.shape


def test_shipped_metadata_states_its_corpus_training_and_the_found_cells(model, same_corpus):
    info = model.info
    task = tasks.get("code")
    assert info["steps"] == task.full_steps == len(info["losses"])
    assert info["hidden_size"] == model.lstm.hidden_size and info["held_out_rule"].startswith("sha256(path)")
    assert {f["track"] for f in info["cells"]} == set(tracking.TRACKS)
    assert sum(info["losses"][-100:]) < sum(info["losses"][:100]) / 2
    if same_corpus:
        assert model.evaluate() == pytest.approx(info["metric"], abs=1e-9)


def test_shipped_cells_on_held_out_code_reach_what_the_metadata_states(model, same_corpus):
    """The finder, rerun on nn.LSTM's own states over the held-out analysis corpus, finds the stored cells."""
    with one_thread():
        found = code_train.find_cells(model)
    stored = {f["track"]: f for f in model.info["cells"]}
    for f in found:
        want = stored[f.track]
        assert (f.unit, f.state) == (want["unit"], want["state"]), f.track
        assert f.r == pytest.approx(want["r"], abs=1e-6 if same_corpus else 0.05)
    reaching = code_train.reaching_target(found)
    assert len(reaching) == model.info["target_tracks_reached"], [f.sentence() for f in found]


def test_clamping_a_found_cell_reaches_both_forwards_on_held_out_code(model):
    clearest = code_models.findings("code")[0]
    _, text, _, _ = code_models.held_out_window(0, 1, 400)
    x = model.encode(text)
    track = tracking.tracks(text)[clearest.track]
    effect = clamp_effect(
        model.lstm, model.head, x, corpus.encode_ids(text).long(), track, CellClamp((clearest.unit,), (0.0,))
    )
    check = effect.check
    assert check.allclose and check.max_diff == 0.0, check.verdict
    assert torch.all(check.trace.layer(0).c[0, :, clearest.unit] == 0.0)
    assert effect.loss.shape == (len(text) - 1,) and torch.isfinite(effect.clamped_loss).all()
    assert float(effect.clamped_loss.mean()) > float(effect.loss.mean()), "holding the cell costs loss"


def test_matching_returns_the_span_it_was_given_in_the_held_out_corpus(model):
    mc = code_models.match_corpus(model)
    values = mc.states["tanh_c"].float()
    base = spans.Baseline.of(values)
    held = corpus.analysis()
    start = held.text.index('"""', 200) + 3  # the first characters of a docstring past the corpus's start
    span = (start, start + 12)
    named = spans.name_cells(values, span, base)
    # Where half the named cells are on across the span, the span is found again among the corpus's matches.
    assert sum(spans.share_on(values, span, named, 0.5)) >= 2
    found = spans.match_spans(values, named, 0.5, 12)
    assert any(m.start <= span[0] + 3 and span[1] - 3 <= m.stop for m in found), (span, found[:3])


def test_a_shortened_run_repeats_the_shipped_curve_and_a_snapshot_is_the_shorter_run(model, same_corpus):
    task = tasks.get("code")
    snaps = {}

    def keep(step, m):
        snaps[step] = {k: v.clone() for k, v in m.lstm.state_dict().items()}

    with one_thread():
        longer = code_train.fit(task, 32, 0, SHORT, snapshot=keep, snapshot_every=SHORT // 2, find=False)
        shorter = code_train.fit(task, 32, 0, SHORT // 2, find=False)
    for k, v in shorter.lstm.state_dict().items():
        assert torch.equal(v, snaps[SHORT // 2][k]), "a snapshot equals a run of that many steps"
    assert longer.info["losses"][: SHORT // 2] == shorter.info["losses"]
    with one_thread():
        shipped_size = code_train.fit(task, model.lstm.hidden_size, int(model.info["seed"]), SHORT, find=False)
    if same_corpus:
        assert shipped_size.info["losses"] == model.info["losses"][:SHORT], "the first steps of the shipped run"
    else:
        with one_thread():
            again = code_train.fit(task, model.lstm.hidden_size, int(model.info["seed"]), SHORT, find=False)
        assert again.info["losses"] == shipped_size.info["losses"]


def test_findings_round_trip_through_the_metadata():
    stored = code_models.shipped_findings()
    assert stored and all(isinstance(f, finder.CellFinding) for f in stored)
    assert dataclasses.asdict(stored[0]).keys() == {
        "track",
        "unit",
        "state",
        "r",
        "untrained_unit",
        "untrained_state",
        "untrained_r",
    }


def test_clamping_the_string_cell_costs_more_inside_strings_than_elsewhere(model):
    """The causal test: hold the string unit's memory at 0 and the model loses track of strings, not of the rest."""
    unit = next(f.unit for f in code_models.findings("code") if f.track == "string")
    held = corpus.analysis()
    inside = outside = 0.0
    n_in = n_out = 0
    for text_all in held.texts[:4]:
        text = text_all[:1500]
        track = tracking.tracks(text_all).window(0, len(text))["string"]
        effect = clamp_effect(
            model.lstm,
            model.head,
            model.encode(text),
            corpus.encode_ids(text).long(),
            track,
            CellClamp((unit,), (0.0,)),
        )
        assert effect.check.allclose
        rise = effect.clamped_loss - effect.loss
        inside += float(rise[effect.inside].sum())
        outside += float(rise[~effect.inside].sum())
        n_in += int(effect.inside.sum())
        n_out += int((~effect.inside).sum())
    assert n_in > 500 and n_out > 500
    assert inside / n_in > 2 * (outside / n_out) > 0
