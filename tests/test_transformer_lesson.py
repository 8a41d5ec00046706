"""The Transformer lesson: stages, every attention operation in the trace, prediction views, padding, training,
discovery by the registry alone, the CLI."""

import json
import re
from pathlib import Path

import pytest
import torch

from pipeline.cli.main import main
from pipeline.document.fileformat import json_text
from pipeline.document.views import (
    AttentionView,
    Mark,
    MatrixView,
    PanelsView,
    ProbabilitiesView,
    ScoresView,
    SpaceView,
    TextView,
    TokensView,
    VectorView,
)
from pipeline.errors import InputError
from pipeline.lessons import LESSONS, get_lesson
from pipeline.lessons.transformer_classification import (
    At,
    In,
    TextClassifier,
    TransformerClassification,
    block,
)
from pipeline.trace import RecordKind
from pipeline.training.settings import make_settings, specs

ROOT = Path(__file__).resolve().parents[1]
SLUG, CLASS = TransformerClassification.slug, TransformerClassification.__name__
N, T, D, H = 1000, 10, 64, 4  # sentences, positions, model width, heads (the defaults)
LAYERS = [("raw_text", TextView), ("tokenize_pad", TokensView), ("embedding", MatrixView), ("space", SpaceView),
          ("qkv_1", PanelsView), ("scores_1", ScoresView), ("attention_1", AttentionView), ("mix_1", PanelsView),
          ("residual_1", PanelsView), ("block_1", MatrixView), ("pooling", VectorView),
          ("classifier", ProbabilitiesView)]


@pytest.fixture(scope="module")
def lesson_run():
    torch.set_num_threads(1)
    lesson = get_lesson(SLUG)
    return lesson, lesson.run(lesson.settings_type(epochs=2, seed=0))  # the default model, 2 of its 5 epochs


@pytest.fixture(scope="module")
def two_block_run():
    """Two blocks, a tiny model, trained for one epoch on a learner's CSV of two classes."""
    lesson = get_lesson(SLUG)
    rows = [f"a {w} film,good" for w in ("fine", "great", "nice", "grand", "superb", "lovely")]
    rows += [f"a {w} film,bad" for w in ("dull", "awful", "poor", "bland", "weak", "messy")]
    data = lesson.load_data(("text,label\n" + "\n".join(rows) + "\n").encode(), "mine.csv")
    settings = lesson.settings_type(epochs=1, d_model=8, n_heads=2, n_layers=2, d_ff=16)
    return lesson, lesson.run(settings, data=data)


def test_the_registry_finds_the_lesson_and_no_other_file_names_it():
    assert isinstance(LESSONS[SLUG], TransformerClassification)
    assert LESSONS[SLUG].content.order == 30
    assert list(LESSONS).index(SLUG) == sorted(lesson.content.order for lesson in LESSONS.values()).index(30)
    own = {ROOT / "pipeline/lessons" / f"transformer_classification.{ext}" for ext in ("py", "toml")}
    files = [*(ROOT / "pipeline").rglob("*.py"), *(ROOT / "pipeline").rglob("*.toml"), *(ROOT / "pages").rglob("*.py"),
             *(ROOT / "ui").rglob("*.py"), *ROOT.glob("ui.py"), ROOT / "app.py"]
    assert len(files) > 50 and ROOT / "pages/compare.py" in files
    naming = re.compile(rf"{re.escape(SLUG)}|{CLASS}", re.IGNORECASE)
    found = [str(f.relative_to(ROOT)) for f in files if f not in own and naming.search(f.read_text(encoding="utf-8"))]
    assert found == []


def test_settings_are_the_tuned_defaults_with_bounds():
    s = get_lesson(SLUG).settings_type()
    assert (s.epochs, s.lr, s.batch_size, s.d_model, s.n_heads, s.n_layers, s.d_ff) == (5, 0.005, 16, 64, 4, 1, 128)
    bounds = {spec.name: (spec.min, spec.max) for spec in specs(s)}
    assert bounds["n_layers"] == (1, 2) and bounds["n_heads"] == (1, 8) and bounds["lr"] == (0.0001, 1.0)
    with pytest.raises(ValueError, match=r"n_layers\) must be between 1 and 2, got 3"):
        make_settings(type(s), {"n_layers": 3})
    with pytest.raises(ValueError, match="64 is not divisible by 3"):
        make_settings(type(s), {"n_heads": 3})


def test_stages_have_the_lesson_shapes(lesson_run):
    _, run = lesson_run
    assert [s.key for s in run.stages] == ["raw_text", "tokenize_pad", "embedding", "encoder", "pooling", "classifier"]
    assert [s.output_shape for s in run.stages] == [[N, None], [N, T], [N, T, D], [N, T, D], [N, D], [N, 3]]
    assert run.stages[3].operation.startswith("Block(pre-norm, 4 heads, feed-forward 128) → LayerNorm(")
    assert run.stages[3].sample.shape == (T, D) and run.stages[-1].sample.sum().item() == pytest.approx(1.0)
    assert run.trace.root.num_params == sum(p.numel() for p in run.model.parameters())


def test_every_step_of_attention_is_a_record(lesson_run):
    _, run = lesson_run
    t = run.trace
    shapes = {r.name + (f"[{r.call}]" if r.call else ""): r.output_shape for r in t if r.name.startswith(block(0))}
    inside = {"ln1": [N, T, D], "attn.query": [N, T, D], "attn.key": [N, T, D], "attn.value": [N, T, D],
              "attn.transpose()": [N, H, T, 16], "attn.matmul()": [N, H, T, T], "attn.div()": [N, H, T, T],
              "attn.masked_fill()": [N, H, T, T], "attn.softmax()": [N, H, T, T], "attn.matmul()[1]": [N, H, T, 16],
              "attn.reshape()": [N, T, D], "attn.proj": [N, T, D], "add()": [N, T, D], "ln2": [N, T, D],
              "ff.up": [N, T, 128], "ff.gelu": [N, T, 128], "ff.down": [N, T, D], "add()[1]": [N, T, D]}
    assert {k: shapes.get(block(0, k)) for k in inside} == inside
    assert [r.output_shape for r in t.ops("softmax")] == [[N, H, T, T]]
    weights = t[block(0, In.WEIGHTS)]
    assert weights.kind is RecordKind.OP and weights.sample.shape == (H, T, T)  # every head, first sentence
    real = int((t[At.ENCODE].sample != 0).sum())
    torch.testing.assert_close(weights.sample.sum(-1), torch.ones(H, T))
    assert (weights.sample[:, :, real:] == 0).all() and (weights.sample[:, :, :real] > 0).any()


def test_calls_in_stage_cover_the_stage_and_nothing_else(lesson_run):
    lesson, run = lesson_run
    t = run.trace
    spans = {key: t.span(*span) for key, span in lesson.stages.items()}
    assert [r.name for r in spans["embedding"]] == ["model.embed", "model.embed.arange()", "model.embed.token",
                                                    "model.embed.position", "model.embed.add()", "model.embed.dropout"]
    encoder = [r.name for r in spans["encoder"]]
    assert encoder[0] == block(0) and encoder[-1] == At.LN_F and block(0, In.WEIGHTS) in encoder
    assert all(n.startswith(block(0)) for n in encoder[:-1])
    everything = [r for calls in spans.values() for r in calls]
    assert len({id(r) for r in everything}) == len(everything)  # no call in two stages
    left_out = {r.name for r in t} - {r.name for r in everything}
    assert left_out == {"", "text", "to()", "model", "model.ne()"}  # the enclosing calls, the device move, the mask


def test_the_trace_file_keeps_every_heads_attention(lesson_run):
    lesson, run = lesson_run
    doc = json.loads(json_text(lesson.document(run, lesson.predict(run, "the plot was not good"))))
    (record,) = [r for r in doc["records"] if r["name"] == block(0, In.WEIGHTS)]
    assert record["outputs"]["shape"] == [N, H, T, T] and record["sample"]["shape"] == [H, T, T]
    (attention,) = [layer for layer in doc["prediction"]["layers"] if layer["kind"] == "attention"]
    assert len(attention["weights"]) == H and attention["row_marks"][5:] == ["pad"] * 5


def test_prediction_views_come_from_the_trace(lesson_run):
    lesson, run = lesson_run
    pipeline: TextClassifier = run.model
    p = lesson.predict(run, "The plot was not zorgly")
    assert [(layer.key, type(layer)) for layer in p.layers] == LAYERS
    tokens = p.layer("tokenize_pad")
    assert tokens.tokens == ("the", "plot", "was", "not", "zorgly") + ("<pad>",) * 5
    assert tokens.marks == (Mark.WORD,) * 4 + (Mark.UNK,) + (Mark.PAD,) * 5
    assert any("zorgly" in n for n in p.notes)
    ids = torch.tensor([tokens.ids])
    model = pipeline.model
    embedded = model.embed.token.weight[ids[0]] + model.embed.position.weight[:T]  # computed here, not traced
    torch.testing.assert_close(torch.tensor(p.layer("embedding").values), embedded.detach())
    (maps,) = model.attention_maps(ids)  # the model's own (h, T, T) weights
    torch.testing.assert_close(torch.tensor(p.layer("attention_1").weights), maps)
    with torch.no_grad():
        probs = pipeline([p.text])[0]
    assert p.layer("classifier").values == pytest.approx(probs.tolist(), abs=1e-6)
    assert p.output == pipeline.classes[int(probs.argmax())] and p.confidence == pytest.approx(float(probs.max()))
    assert len(p.layer("pooling").values) == D and p.layer("block_1").rows == tokens.tokens


def test_attention_rows_sum_to_one_and_padding_gets_nothing(lesson_run):
    lesson, run = lesson_run
    view = lesson.predict(run, "i loved the cast").layer("attention_1")
    assert view.rows == view.cols == ("i", "loved", "the", "cast") + ("<pad>",) * 6
    assert view.row_marks == view.col_marks == (Mark.WORD,) * 4 + (Mark.PAD,) * 6
    assert len(view.weights) == H and len(view.heads) == H and view.heads[0].startswith("head 1: most to “")
    for grid in view.weights:
        for row in grid:
            assert sum(row) == pytest.approx(1.0, abs=1e-5)
            assert row[4:] == (0.0,) * 6 and all(w > 0 for w in row[:4])


def test_long_and_empty_input(lesson_run):
    lesson, run = lesson_run
    p = lesson.predict(run, "the plot was zorgly but the ending was really very slow and dull")
    assert any("The model reads the first 10 tokens; the text has 13" in n for n in p.notes)
    assert any("“zorgly”" in n for n in p.notes)
    assert Mark.PAD not in p.layer("tokenize_pad").marks
    with pytest.raises(InputError, match="empty"):
        lesson.predict(run, "   ")


def test_a_short_training_beats_chance_clearly(lesson_run):
    _, run = lesson_run
    first, last = run.epochs
    assert last.val_accuracy >= 0.85  # measured 0.93 after 2 epochs (5 epochs, seeds 0-4: median 0.96); chance 1/3
    assert last.loss < first.loss and all(e.observation for e in run.epochs)


def test_two_blocks_on_a_learners_csv(two_block_run):
    lesson, run = two_block_run
    assert run.info["classes"] == ["bad", "good"] and run.stages[-1].output_shape == [12, 2]
    assert run.stages[3].operation.count("Block(pre-norm, 2 heads, feed-forward 16)") == 2
    p = lesson.predict(run, "a lovely film")
    keys = [layer.key for layer in p.layers]
    assert keys == ["raw_text", "tokenize_pad", "embedding", "space", "qkv_1", "scores_1", "attention_1", "mix_1",
                    "residual_1", "block_1", "qkv_2", "scores_2", "attention_2", "mix_2", "residual_2", "block_2",
                    "pooling", "classifier"]
    assert [len(p.layer(k).weights) for k in ("attention_1", "attention_2")] == [2, 2]
    assert p.layer("classifier").labels == ("bad", "good")


def test_the_cli_lists_the_lesson_and_its_options(capsys):
    assert main(["list"]) == 0
    assert any(line.split()[0] == SLUG for line in capsys.readouterr().out.splitlines())
    with pytest.raises(SystemExit) as done:
        main(["run", SLUG, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    for flag in ("--d-model", "--n-heads", "--n-layers", "--d-ff", "--data", "default 0.005", "default 16"):
        assert flag in out
