"""Inside the model while it learns: every time-lapse frame is a forward pass of the model restored from that epoch's
weights (1e-6), the words in space are torch.pca_lowrank's projection of the same table, and what a run keeps is
bounded (counted, not timed). Tiny runs of each lesson, trained once per module."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
import torch

from pipeline.data.tokens import PAD_ID
from pipeline.document.fileformat import json_text, loads, zip_bytes
from pipeline.document.timelapse import frames, space_views
from pipeline.document.views import AttentionView, LSTMGatesView, SpaceView
from pipeline.lessons import LessonRun, get_lesson
from pipeline.lessons.probes import FRAME_VALUES, SPECIAL_IDS, WORDS_KEPT
from pipeline.trace import Trace
from pipeline.training.loop import Callback, seeded
from pipeline.training.results import EpochResult

EPOCHS = 3
TOLERANCE = 1e-6


@dataclass
class Weights(Callback):
    """Keeps a copy of the weights every epoch ended with (the test's own record, not the lesson's)."""

    prepared: list = field(default_factory=list)
    epochs: list[dict[str, torch.Tensor]] = field(default_factory=list)

    def on_epoch_end(self, result: EpochResult) -> None:
        model = self.prepared[-1].model
        self.epochs.append({k: v.detach().clone() for k, v in model.state_dict().items()})


def trained(slug: str, monkeypatch_prepare, **settings):
    lesson = get_lesson(slug)
    weights = Weights()
    original = lesson.prepare

    def prepare(*args, **kwargs):
        weights.prepared.append(original(*args, **kwargs))
        return weights.prepared[-1]

    monkeypatch_prepare.setattr(lesson, "prepare", prepare)
    s = lesson.settings_type(epochs=EPOCHS, samples=300, seed=0, **settings)
    run = lesson.run(s, [weights])
    monkeypatch_prepare.undo()
    return lesson, run, weights.epochs


@pytest.fixture(scope="module")
def runs():
    """One tiny run of each lesson (seq2seq with attention), with the weights after each epoch."""
    torch.set_num_threads(1)
    patch = pytest.MonkeyPatch()
    made = {"sequence-classification": trained("sequence-classification", patch),
            "transformer-classification": trained("transformer-classification", patch, d_model=16, d_ff=32),
            "seq2seq": trained("seq2seq", patch, attention=True, embed_dim=16, hidden_dim=32)}
    yield made
    patch.undo()


def restored(lesson, run: LessonRun, weights: dict[str, torch.Tensor]) -> LessonRun:
    """The run's model rebuilt from scratch and given ``weights``: nothing carried over from training."""
    p = lesson.prepare(run.settings)
    p.model.load_state_dict(weights, strict=True)
    p.model.eval()
    return LessonRun(lesson.slug, run.settings, p.model, Trace(), [], [], p.info, [])


def assert_close(got, expected) -> None:
    torch.testing.assert_close(torch.as_tensor(got, dtype=torch.float64),
                               torch.as_tensor(expected, dtype=torch.float64), atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("slug", ["sequence-classification", "transformer-classification", "seq2seq"])
def test_every_frame_equals_a_forward_pass_of_the_model_restored_from_that_epochs_weights(runs, slug) -> None:
    lesson, run, weights = runs[slug]
    assert len(weights) == len(run.epochs) == EPOCHS
    checked = 0
    for probe in lesson.probes:
        for key, kept in frames(run.epochs, probe).items():
            assert [e for e, _ in kept] == list(range(1, EPOCHS + 1)), (probe, key)
            for epoch, frame in kept:
                again = restored(lesson, run, weights[epoch - 1])
                view = lesson.predict(again, probe).layer(key)  # a traced forward pass, as the page makes it
                if isinstance(frame, LSTMGatesView):
                    units = len(frame.h[0])
                    for name in "ifgoch":
                        assert_close(getattr(frame, name), [row[:units] for row in getattr(view, name)])
                    assert_close(frame.h, _lstm_outputs(lesson, again, probe, key)[:, :units])  # nn.LSTM's own
                else:
                    assert isinstance(frame, AttentionView)
                    assert_close(frame.weights, view.weights)
                    assert frame.rows == view.rows and frame.cols == view.cols
                    if key.startswith("attention_"):  # the Transformer's own attention_maps, a plain forward
                        ids = again.model.text([probe])
                        assert_close(frame.weights, again.model.model.attention_maps(ids)[int(key[-1]) - 1])
                checked += 1
    assert checked == EPOCHS * len(lesson.probes) * len(lesson.timelapse if slug != "transformer-classification"
                                                        else lesson.timelapse[:1])  # one block: one attention


def _lstm_outputs(lesson, run: LessonRun, probe: str, key: str) -> torch.Tensor:
    """nn.LSTM's outputs over the probe's real tokens, run by PyTorch itself (not replayed step by step)."""
    model = run.model
    with torch.no_grad():
        if lesson.slug == "seq2seq":
            ids = model.source([probe])  # (1, S)
            lstm, embedded = model.model.encoder.lstm, model.model.embedding(ids)
        else:
            ids = model.text([probe])  # (1, T)
            lstm, embedded = model.model.encoder.lstm, model.model.embedding(ids)
        n = int((ids != PAD_ID).sum())
        out, _ = lstm(embedded[:, :n])  # (1, n, H)
    return out[0]


@pytest.mark.parametrize("slug", ["sequence-classification", "transformer-classification", "seq2seq"])
def test_the_words_in_space_are_torch_pca_lowrank_of_the_same_table_every_epoch(runs, slug) -> None:
    lesson, run, weights = runs[slug]
    words = run.info["space"]["words"]
    tables = []
    for w in weights:
        table, itos = lesson.word_table(restored(lesson, run, w).model)
        assert list(itos[SPECIAL_IDS:SPECIAL_IDS + WORDS_KEPT]) == words
        tables.append(table[SPECIAL_IDS:SPECIAL_IDS + WORDS_KEPT].detach().double())
    last = tables[-1]
    with seeded(0):  # the same seed, rank and iterations as the lesson: torch.pca_lowrank itself, on the same table
        _, s, v = torch.pca_lowrank(last, q=min(last.shape), center=True, niter=2)
    mean = last.mean(dim=0)
    for e, table in zip(run.epochs, tables, strict=True):
        assert_close(e.space, (table - mean) @ v[:, :2])  # every epoch on the plane of the last
    share = s[:2].square() / (last - mean).square().sum()
    assert run.info["space"]["variance"] == pytest.approx(share.tolist(), abs=TOLERANCE)
    exact = torch.linalg.svd(last - mean, full_matrices=False).Vh[:2].T  # and it is the true PCA, up to sign
    assert_close(torch.tensor(run.epochs[-1].space).abs(), ((last - mean) @ exact).abs())


def test_the_last_frame_is_the_stage_the_prediction_page_shows(runs) -> None:
    lesson, run, _ = runs["transformer-classification"]
    probe = lesson.probes[1]
    shown = lesson.predict(run, probe)
    (_, last) = frames(run.epochs, probe)["attention_1"][-1]
    assert_close(last.weights, shown.layer("attention_1").weights)
    space = shown.layer("space")
    assert isinstance(space, SpaceView) and space.epoch == EPOCHS
    assert [space.words[i] for i in space.marked] == [w for w in probe.split() if w in space.words]
    assert space_views(run.epochs, run.info, probe.split())[-1] == space


@pytest.mark.parametrize("slug", ["sequence-classification", "transformer-classification", "seq2seq"])
def test_what_a_run_keeps_is_bounded_and_survives_its_trace_file(runs, slug) -> None:
    lesson, run, _ = runs[slug]
    values = sum(_count(view) for e in run.epochs for views in e.inside.values() for view in views.values())
    assert 0 < values <= FRAME_VALUES
    assert all(len(e.space) == len(run.info["space"]["words"]) <= WORDS_KEPT for e in run.epochs)
    assert set(run.epochs[0].inside) == set(lesson.probes)  # the probes only
    doc = lesson.document(run, None)
    for back in (loads(zip_bytes(doc)), loads(json_text(doc).encode())):
        assert [e.inside for e in back.epochs] == [e.inside for e in run.epochs]
        assert [e.space for e in back.epochs] == [e.space for e in run.epochs]
        assert back.lesson.info["space"] == run.info["space"]


def _count(view) -> int:
    if isinstance(view, LSTMGatesView):
        return sum(len(getattr(view, n)) * len(getattr(view, n)[0]) for n in "ifgoch")
    return sum(len(g) * len(g[0]) for g in view.weights)


def test_a_long_run_keeps_fewer_hidden_units_not_more_numbers() -> None:
    from pipeline.lessons.probes import within

    gates = LSTMGatesView(key="lstm_gates", title="t", description="d", tokens=("a", "b"), marks=(), **{
        n: ((0.5,) * 64, (0.25,) * 64) for n in "ifgoch"})
    small = within(gates, FRAME_VALUES // 50 // 4)  # 50 epochs, 4 probes
    assert len(small.h[0]) == FRAME_VALUES // 50 // 4 // 12 and small.f[1][0] == 0.25
    attention = AttentionView(key="attention_1", title="t", description="d", rows=("a",) * 10, cols=("a",) * 10,
                              weights=(((0.1,) * 10,) * 10,) * 8, heads=tuple(f"head {h}" for h in range(8)))
    assert len(within(attention, 250).weights) == 2 and within(attention, 10).weights == attention.weights[:1]


def test_a_file_whose_kept_views_or_words_do_not_fit_their_pictures_is_refused_in_one_line() -> None:
    from pipeline.document.fileformat import TraceFileError

    epoch = {"epoch": 1, "loss": 0.5, "accuracy": 0.5, "val_loss": 0.5, "val_accuracy": 0.5}
    ragged = {"kind": "attention", "key": "attention_1", "title": "A", "description": "d", "rows": ["a", "b"],
              "cols": ["a", "b"], "weights": [[[0.5, 0.5], [1.0]]]}
    space = {"kind": "space", "key": "space", "title": "S", "description": "d", "words": ["a", "b", "c"],
             "points": [[0.0, 1.0]]}
    base = {"schema": "pipeline-trace/2", "model": {"type": "M"}, "stages": [],
            "records": [{"name": "", "kind": "module", "type": "M", "call": 0, "module": "", "depth": 0,
                         "operation": "M()"}]}
    for doc, message in (
            ({**base, "epochs": [{**epoch, "inside": {"p": {"attention_1": ragged}}}]},
             "epochs[0]: a kept view ('attention_1'): its head 1 is ragged"),
            ({**base, "prediction": {"text": "t", "output": "o", "confidence": 0.5, "layers": [space]}},
             "it has 1 points for 3 words")):
        with pytest.raises(TraceFileError) as refused:
            loads(json.dumps(doc).encode(), "f.json")
        assert message in str(refused.value) and "\n" not in str(refused.value)
