"""The digits lessons: the data and a learner's PNGs, a drawing into the 8x8 image the model reads, the CNN's pictures
against torch's own convolution, the verdicts, the comparison with the plain network, and the command line."""

from __future__ import annotations

import io
import statistics
import zipfile

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from pipeline.app import compare
from pipeline.cli.main import main
from pipeline.data.images import MAX_IMAGES, digits, image_code, label_of, load_image_folder, load_images
from pipeline.data.pixels import BLOCK, decode, encode, ink_of, to_grid
from pipeline.document.views import FeatureMapsView, ImageView, VectorView
from pipeline.errors import InputError
from pipeline.lessons import get_lesson
from pipeline.render.describe import focus, kernel_reading, reading

FILL = [5, 6, 9, 10, 1, 2, 4, 8, 7, 11, 13, 14, 0, 3, 12, 15]  # where a 4x4 block's inked pixels go, centre first


@pytest.fixture(scope="module")
def cnn():
    torch.set_num_threads(1)  # as the app and the command line train: the seed's numbers, and no threads fighting
    lesson = get_lesson("digits-cnn")
    return lesson, lesson.run(lesson.settings_type(seed=0))


def bitmap(grid) -> np.ndarray:
    """A 32 x 32 black-and-white bitmap whose 4 x 4 blocks hold as many inked pixels as ``grid`` says."""
    out = np.zeros((32, 32), dtype=bool)
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            for k in FILL[: int(v)]:
                out[r * BLOCK + k // BLOCK, c * BLOCK + k % BLOCK] = True
    return out


def png(gray: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(gray.astype(np.uint8), mode="L").save(out, format="PNG")
    return out.getvalue()


def drawing(strokes, size: int = 224, width: int = 6) -> bytes:
    """A white canvas with dark pen strokes (lists of points as fractions of the side), as the page's canvas sends."""
    image = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x * size, y * size) for x, y in stroke]
        pen.line(points, fill=20, width=width, joint="curve")
        for x, y in points:
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=20)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --- the images ------------------------------------------------------------------------------------

def test_the_built_in_digits_come_from_scikit_learn_as_codes():
    data = digits()
    assert len(data) == 1797 and data.classes == [str(d) for d in range(10)] and data.source == ""
    assert decode(data.images[0])[0] == [0, 0, 5, 13, 9, 1, 0, 0]  # load_digits' first image, row by row
    train, val = data.split(0.2, 3)
    assert (len(train), len(val)) == (1438, 359) and data.split(0.2, 3)[1].images == val.images


def test_a_code_round_trips_and_anything_else_is_one_line():
    grid = [[(r * 8 + c) % 17 for c in range(8)] for r in range(8)]
    assert decode(encode(grid)) == grid
    for bad, says in (("0" * 63, "64 characters"), ("z" * 64, "64 characters"), ("0" * 64, "blank")):
        with pytest.raises(InputError, match=says) as e:
            decode(bad)
        assert "\n" not in str(e.value)


def test_a_training_digit_drawn_large_anywhere_comes_back_as_itself(cnn):
    """Held-out digits as the 32x32 bitmaps they were made from, enlarged 2-7 times and put anywhere on a canvas,
    dark on light or light on dark: the 8x8 images made of them are close to the originals, and the model reads
    them as it reads the originals."""
    lesson, run = cnn
    rng = np.random.default_rng(0)
    codes, made, errors = [], [], []
    for code, _ in run.examples[:120]:
        grid = decode(code)
        scale = int(rng.integers(2, 8))
        big = np.kron(bitmap(grid), np.ones((scale, scale), dtype=bool))
        canvas = np.zeros((300, 300), dtype=bool)
        y, x = rng.integers(0, 300 - big.shape[0] + 1, size=2)
        canvas[y:y + big.shape[0], x:x + big.shape[1]] = big
        gray = np.where(canvas, 0, 255) if len(codes) % 2 else np.where(canvas, 255, 0)
        back = to_grid(ink_of(gray))
        errors.append(np.abs(np.array(back) - np.array(grid)).mean())
        codes.append(code)
        made.append(encode(back))
    assert statistics.mean(errors) < 1.5  # of 16: the centring moves some ink by a pixel, no more
    same = [a == b for a, b in zip(lesson.answer(run.model, codes), lesson.answer(run.model, made), strict=True)]
    agree = [max(a, key=a.get) == max(b, key=b.get) for a, b in zip(lesson.answer(run.model, codes),
                                                                     lesson.answer(run.model, made), strict=True)]
    assert len(same) == 120 and sum(agree) >= 0.9 * len(agree)


DRAWN = {  # digits as a hand draws them on the canvas: thin pen strokes, not centred, not filling the box
    "1": [[(0.52, 0.2), (0.5, 0.8)]],
    "0": [[(0.5, 0.15), (0.3, 0.3), (0.27, 0.55), (0.35, 0.78), (0.5, 0.85), (0.65, 0.75), (0.7, 0.5), (0.65, 0.25),
           (0.5, 0.15)]],
    "7": [[(0.25, 0.2), (0.72, 0.2), (0.45, 0.85)]],
    "4": [[(0.6, 0.85), (0.6, 0.15), (0.25, 0.6), (0.75, 0.6)]],
}


@pytest.mark.parametrize("digit", list(DRAWN))
def test_a_digit_drawn_with_a_thin_pen_is_read_as_that_digit(cnn, digit):
    lesson, run = cnn
    code = lesson.picture_input(drawing(DRAWN[digit]), "the drawing")
    assert lesson.predict(run, code).output == digit


def test_a_blank_or_flat_drawing_is_one_line():
    lesson = get_lesson("digits-cnn")
    with pytest.raises(InputError, match="one flat colour") as e:
        lesson.picture_input(png(np.full((50, 50), 255)), "the drawing")
    assert str(e.value).startswith("the drawing: ") and "\n" not in str(e.value)
    with pytest.raises(InputError, match="blank"):
        to_grid(np.zeros((40, 40)))


# --- a learner's own images --------------------------------------------------------------------------

def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, raw in files.items():
            z.writestr(name, raw)
    return out.getvalue()


def own_images(per_class: int = 5) -> dict[str, bytes]:
    data = digits()
    files = {}
    for i, (code, y) in enumerate(zip(data.images[:200], data.labels[:200], strict=True)):
        if y < 2 and sum(f"/{y}_" in f for f in files) < per_class:
            files[f"digits/{y}_{i}.png"] = png(np.where(np.kron(bitmap(decode(code)), np.ones((3, 3))), 0, 255))
    return files


def test_a_zip_or_folder_of_pngs_named_by_label_trains(tmp_path):
    files = own_images()
    data = load_images(zipped({**files, "__MACOSX/digits/._0_1.png": b"x", "digits/.DS_Store": b"x"}), "mine.zip")
    assert data.classes == ["0", "1"] and len(data) == 10 and data.source == "mine.zip" and len(data.sha256) == 64
    for name, raw in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(raw)
    folder = load_image_folder(tmp_path)
    assert sorted(zip(folder.images, folder.labels, strict=True)) == sorted(zip(data.images, data.labels, strict=True))
    lesson = get_lesson("digits-cnn")
    run = lesson.run(lesson.settings_type(epochs=1), data=data)
    assert run.info["classes"] == ["0", "1"] and len(run.epochs) == 1
    assert label_of("a/3_anna.png") == "3" and label_of("3-01.png") == "3" and label_of("3.png") == "3"


def bad_png_files() -> dict[str, tuple[dict[str, bytes], str]]:
    good = own_images()
    one = next(iter(good.values()))
    return {
        "not a zip": ({"x": b""}, "not a zip archive"),
        "a JPEG inside": ({**good, "digits/0_x.jpg": one}, "0_x.jpg is not a .png image"),
        "not a PNG": ({**good, "digits/0_x.png": b"GIF89a...."}, "0_x.png is not a PNG image"),
        "a damaged PNG": ({**good, "digits/0_x.png": one[:60]}, "0_x.png could not be decoded"),
        "a tiny PNG": ({**good, "digits/0_x.png": png(np.zeros((4, 4)))}, "4 x 4 pixels"),
        "a blank PNG": ({**good, "digits/0_x.png": png(np.full((20, 20), 255))}, "one flat colour"),
        "no label": ({**good, "digits/_x.png": one}, "has no label"),
        "one class": ({k: v for k, v in good.items() if "/0_" in k}, "only one class"),
        "too few": ({**{k: v for k, v in good.items() if "/0_" in k}, "1_a.png": one}, "too few images per class"),
        "empty": ({"readme/": b""}, "holds no images"),
    }


@pytest.mark.parametrize("case", list(bad_png_files()))
def test_a_bad_archive_is_one_line_naming_the_file(case):
    files, says = bad_png_files()[case]
    raw = b"a text file" if case == "not a zip" else zipped(files)
    with pytest.raises(InputError, match=says) as e:
        load_images(raw, "mine.zip")
    assert str(e.value).startswith("mine.zip") and "\n" not in str(e.value)


def test_an_archive_past_the_limits_is_refused_before_any_image_is_read():
    many = zipped({f"{i % 2}_{i}.png": b"" for i in range(MAX_IMAGES + 1)})
    with pytest.raises(InputError, match=f"more than {MAX_IMAGES:,} files"):
        load_images(many, "many.zip")
    with pytest.raises(InputError, match="limit is 5,000,000 bytes"):
        load_images(b"PK" + b"\0" * 5_000_001, "big.zip")
    with pytest.raises(InputError, match="at most 1,000,000 bytes"):
        image_code(b"\x89PNG\r\n\x1a\n" + b"\0" * 1_000_001, "huge.png")


# --- the lesson's pictures ----------------------------------------------------------------------------

def test_the_feature_maps_shown_are_torchs_convolution_of_the_traced_input(cnn):
    """Each convolution's maps, as the Prediction page draws them, equal F.conv2d of the input the trace recorded
    and the layer's weights (1e-6); their kernels are the weights; the pixels are the traced input."""
    lesson, run = cnn
    code = run.examples[0][0]
    prediction = lesson.predict(run, code)
    from pipeline.trace import traced_forward  # the trace the page's picture was made from, taken again

    _, t = traced_forward(run.model, [code])
    cnn_model = run.model.model
    pixels = prediction.layer("pixels")
    assert isinstance(pixels, ImageView)
    assert torch.allclose(torch.tensor(pixels.values[0]), t["pixels"].sample[0], atol=1e-6)
    for key, conv, given in (("conv1", cnn_model.conv1, "pixels"), ("conv2", cnn_model.conv2, "model.pool1")):
        view = prediction.layer(key)
        assert isinstance(view, FeatureMapsView) and len(view.channels) == 16
        expected = F.conv2d(t[given].sample[None], conv.weight, conv.bias, padding=1)[0]  # (C, H, W)
        shown = torch.tensor(view.values)
        assert torch.allclose(shown, expected[list(view.channels)], atol=1e-6), key
        inputs = list(view.kernel_inputs)
        assert torch.allclose(torch.tensor(view.kernels), conv.weight[list(view.channels)][:, inputs], atol=1e-6)
    assert prediction.layer("probabilities").labels == tuple(str(d) for d in range(10))


def test_every_stage_has_a_verdict_that_names_its_point(cnn):
    lesson, run = cnn
    prediction = lesson.predict(run, run.examples[0][0])
    verdicts = {v.key: reading(v) for v in prediction.layers}
    assert verdicts["pixels"].startswith("The model reads 64 pixels:") and "(framed)" in verdicts["pixels"]
    for key in ("conv1", "conv2"):
        view = prediction.layer(key)
        k = focus(view).rows[0]  # the framed map: the one whose largest value is the largest
        peak = max(v for row in view.values[k] for v in row)
        assert peak == max(v for m in view.values for row in m for v in row)
        assert verdicts[key].startswith(f"Filter {view.channels[k]} lights up most") and "its kernel" in verdicts[key]
    best = prediction.output
    assert verdicts["dense"].startswith(f"“{best}” scores highest")
    assert verdicts["probabilities"].startswith(f"The model answers “{best}”")


@pytest.mark.parametrize(("kernel", "says"), [
    ([[-1, 2, -1]] * 3, "looks for a vertical stroke: its middle line weighs +2.00, the lines either side -1.00"),
    ([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], "looks for a horizontal edge, heavier at the top"),
    ([[2, -1, -1], [-1, 2, -1], [-1, -1, 2]], "looks for a diagonal (↘) stroke"),
    ([[-1, -1, 2], [-1, 2, -1], [2, -1, -1]], "looks for a diagonal (↗) stroke"),
    ([[0.5, 0.5, 0.5]] * 3, "weighs its whole patch alike (mean +0.50)"),
])
def test_a_kernel_is_read_from_its_weights(kernel, says):
    assert kernel_reading(tuple(tuple(float(v) for v in row) for row in kernel)).startswith(says)


def test_named_scores_say_which_is_highest_and_frame_it():
    view = VectorView(key="dense", title="Dense", description="", values=(-9.0, 2.0, 3.5), labels=("0", "1", "2"))
    assert reading(view) == "“2” scores highest, +3.50, 1.50 ahead of the next, “1” (+2.00), of 3 scores."
    assert focus(view).cols == (2,)  # not the largest in size, -9


def test_the_cnn_reaches_the_accuracy_the_readme_promises_on_every_seed():
    """`pipeline-trace run digits-cnn --epochs 5 --seed S`, S = 0-4, trains exactly these runs (one torch thread)."""
    lesson = get_lesson("digits-cnn")
    finals = [lesson.run(lesson.settings_type(epochs=5, seed=s)).epochs[-1].val_accuracy for s in range(5)]
    assert statistics.median(finals) >= 0.97 and min(finals) >= 0.95, finals


def test_compare_says_why_the_cnn_needs_fewer_parameters(cnn):
    lesson, run = cnn
    mlp = get_lesson("digits-mlp")
    sides = [compare.side(lesson, run), compare.side(mlp, mlp.run(mlp.settings_type(epochs=1)))]
    assert compare.partners({"digits-cnn": lesson, "digits-mlp": mlp}, "digits-cnn") == ["digits-mlp"]
    why, plain = compare.sharing_reading(*sides)
    assert "16 maps of 8 × 8" in why and "with 160 parameters" in why and "would need 66,560" in why
    assert "each of its 128 units its own weight for each of the 64 inputs: 8,320 parameters" in plain
    assert compare.sharing_reading(sides[1], sides[1]) == []


# --- the command line ---------------------------------------------------------------------------------

def test_the_command_line_traces_a_png_and_trains_on_a_folder(capsys, tmp_path):
    image = tmp_path / "seven.png"
    image.write_bytes(drawing(DRAWN["7"]))
    for name, raw in own_images().items():
        (tmp_path / "mine" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "mine" / name).write_bytes(raw)
    code = main(["run", "digits-cnn", "--epochs", "1", "--image", str(image), "--data", str(tmp_path / "mine"),
                 "--json", str(tmp_path / "t.json")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Layer 2: First convolution" in out and "Layer 7: Softmax: the answer" in out
    (tmp_path / "bad.png").write_bytes(b"not a png")
    code = main(["run", "digits-cnn", "--epochs", "1", "--image", str(tmp_path / "bad.png")])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "argument --image: bad.png is not a PNG image" in err
    with pytest.raises(SystemExit) as exit_code:  # argparse's own exit: an image lesson takes no --text
        main(["run", "digits-cnn", "--text", "a sentence"])
    _, err = capsys.readouterr()
    assert exit_code.value.code == 2 and "unrecognized arguments: --text" in err


def test_a_trace_file_of_the_lesson_opens_with_its_pictures(cnn, tmp_path):
    """Saved (zip and JSON) and opened again, the prediction's pictures -- the image, the maps and their kernels --
    come back as they were, and the report of the opened file is the report of the run."""
    from pipeline.document.fileformat import export_json, open_path, save  # the file format: this test only
    from pipeline.render.report import document_view

    lesson, run = cnn
    doc = lesson.document(run, lesson.predict(run, run.examples[0][0]), "test")
    for path, write in ((tmp_path / "d.zip", save), (tmp_path / "d.json", export_json)):
        write(doc, path)
        opened = open_path(path)
        assert opened.prediction.layers == doc.prediction.layers
        assert isinstance(opened.prediction.layer("pixels"), ImageView)
        assert opened.prediction.layer("conv1").kernels == doc.prediction.layer("conv1").kernels
        assert document_view(opened) is not None


def test_the_quiz_on_your_run_names_the_traced_image_not_its_code(cnn):
    from pipeline.app.quiz import generated_questions  # the app's quiz: this test only

    lesson, run = cnn
    code = run.examples[0][0]
    questions = generated_questions(lesson.document(run, lesson.predict(run, code), "test"))
    asked = [q.question for q in questions if q.question.startswith("What did your model answer")]
    assert asked == ["What did your model answer for the image it traced (the Prediction page's first stage), and "
                     "how sure was it?"]
    assert not any(code in q.question for q in questions)
