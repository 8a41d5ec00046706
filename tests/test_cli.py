"""The command line: list, run, show, trace, schema -- and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest

from pipeline.cli.main import main
from pipeline.lessons import LESSONS

FAST = ["--epochs", "1", "--samples", "200"]


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_every_lesson_with_its_summary(capsys):
    code, out, _ = run_cli(capsys, "list")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == len(LESSONS)
    for line, (slug, lesson) in zip(lines, LESSONS.items(), strict=True):
        assert line.split()[0] == slug and lesson.content.summary in line


def test_run_prints_the_report_and_writes_both_trace_files(capsys, tmp_path):
    zipped, exported = tmp_path / "t.zip", tmp_path / "t.json"
    code, out, _ = run_cli(capsys, "run", "sequence-classification", *FAST, "--seed", "2", "--text",
                           "the music was great", "--save", str(zipped), "--json", str(exported))
    assert code == 0
    for heading in ("Held-out examples", "Data flow", "Training, epoch by epoch", "Loss  (* train",
                    "Prediction for: 'the music was great'", f"Trace written to {zipped}"):
        assert heading in out
    doc = json.loads(exported.read_text())
    assert doc["schema"] == "pipeline-trace/2" and doc["lesson"]["settings"]["seed"] == 2
    assert doc["stages"][1]["output_shape"] == [200, 10] and doc["records"][0]["name"] == ""
    assert len(doc["epochs"]) == 1 and doc["prediction"]["text"] == "the music was great"
    assert doc["source"]["made_by"].startswith("pipeline-trace run sequence-classification")


def test_show_prints_the_same_report_without_training(capsys, tmp_path, monkeypatch):
    zipped, exported = tmp_path / "t.zip", tmp_path / "t.json"
    _, out, _ = run_cli(capsys, "run", "seq2seq", *FAST, "--attention", "--text", "two thousand and five",
                        "--save", str(zipped), "--json", str(exported))
    report = out[: out.index("Trace written to")]
    monkeypatch.setattr(type(LESSONS["seq2seq"]), "run", lambda *a, **k: pytest.fail("show must not train"))
    for path in (zipped, exported):
        code, shown, _ = run_cli(capsys, "show", str(path))
        assert code == 0 and shown == report


def test_trace_traces_a_model_of_your_own_and_show_opens_it(capsys, tmp_path):
    source = tmp_path / "mine.py"
    source.write_text("import torch\nfrom torch import nn\n\n"
                      "class Net(nn.Module):\n"
                      "    def __init__(self):\n        super().__init__()\n"
                      "        self.emb = nn.Embedding(7, 4)\n        self.out = nn.Linear(4, 2)\n\n"
                      "    def forward(self, ids):\n"
                      "        return torch.softmax(self.out(self.emb(ids)).mean(1), -1)\n\n"
                      "def make():\n    return Net()\n")
    saved = tmp_path / "mine.zip"
    code, out, _ = run_cli(capsys, "trace", f"{source}:make", "--input-shape", "2,16", "--dtype", "long", "--ops",
                           "--save", str(saved))
    assert code == 0 and "Net — " in out and "softmax()" in out and "mean()" in out
    code, shown, _ = run_cli(capsys, "show", str(saved))
    assert code == 0 and "emb" in shown and "2 × 16 × 4" in shown


@pytest.mark.parametrize(("target", "extra", "message"), [
    ("{dir}/nope.py:make", [], "no such Python file"),
    ("{dir}/m.py", [], "expected PATH.py:FACTORY"),
    ("{dir}/m.py:missing", [], "has no function 'missing'"),
    ("{dir}/m.py:broken", [], "broken() failed: ZeroDivisionError"),
    ("{dir}/m.py:not_a_model", [], "must return a torch.nn.Module, got int"),
    ("{dir}/m.py:make", ["--input-shape", "2,x"], "--input-shape must be whole numbers"),
    ("{dir}/m.py:make", ["--input-shape", "0,3"], "each at least 1"),
    ("{dir}/m.py:make", ["--input-shape", "2,5"], "the model's forward failed on an input of shape [2, 5]"),
])
def test_trace_errors_are_one_line(capsys, tmp_path, target, extra, message):
    (tmp_path / "m.py").write_text("from torch import nn\n\ndef make():\n    return nn.Linear(3, 2)\n\n"
                                   "def broken():\n    return 1 / 0\n\ndef not_a_model():\n    return 3\n")
    argv = ["trace", target.format(dir=tmp_path), *(extra or ["--input-shape", "2,3"])]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and err.startswith("pipeline-trace: error:") and message in err


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "sequence-classification", "--epochs", "0"], "Epochs (epochs) must be between 1 and 50, got 0"),
    (["run", "sequence-classification", "--lr", "fast"], "Learning rate (lr) must be a number, got 'fast'"),
    (["run", "sequence-classification", "--samples", "10"], "must be between 100 and 20,000, got 10"),
    (["run", "sequence-classification", "--seed", "-1"], "must be between 0 and 2,147,483,647, got -1"),
    (["run", "sequence-classification", "--text", "  "], "argument --text: The text is empty"),
    (["run", "sequence-classification", "--json", "/no/such/dir/t.json"], "the folder '/no/such/dir' does not exist"),
    (["run", "sequence-classification", "--save", "/dev/null"], "cannot write '/dev/null': it is a device"),
    (["run", "sequence-classification", "--save", "/tmp"], "cannot write '/tmp': it is a folder"),
    (["run", "no-such-lesson"], "invalid choice: 'no-such-lesson'"),
    (["run"], "required: LESSON"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_options_give_one_line_and_exit_code_2_before_any_training(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    _, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and err.startswith("pipeline-trace: error:") and message in err


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["show", "--help"], ["trace", "--help"],
                                  *[["run", slug, "--help"] for slug in LESSONS]])
def test_every_help_screen_works(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    assert exit_info.value.code == 0 and "usage: pipeline-trace" in out and not err
    if len(argv) == 3:
        assert "2,147,483,647" in out and "e+09" not in out  # whole numbers read as whole numbers


def test_python_dash_m_pipeline_works_like_the_console_script():
    result = subprocess.run([sys.executable, "-m", "pipeline", "list"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "sequence-classification" in result.stdout


def test_schema_prints_the_json_schema_of_the_trace_file(capsys):
    code, out, _ = run_cli(capsys, "schema")
    schema = json.loads(out)
    assert code == 0 and schema["properties"]["schema"]["const"] == "pipeline-trace/2"


def test_run_trains_on_the_learners_own_csv(capsys, tmp_path):
    rows = "".join(f"the film was {w},{label}\n" for w, label in [("great", "pos"), ("awful", "neg")] * 60)
    (tmp_path / "mine.csv").write_text("text,label\n" + rows, encoding="utf-8")
    path = tmp_path / "t.json"
    code, _, _ = run_cli(capsys, "run", "sequence-classification", "--epochs", "1", "--data",
                         str(tmp_path / "mine.csv"), "--json", str(path))
    doc = json.loads(path.read_text())
    assert code == 0 and doc["lesson"]["info"]["classes"] == ["neg", "pos"]
    assert doc["stages"][-1]["output_shape"] == [120, 2]


def test_a_malformed_csv_is_named_in_one_line(capsys, tmp_path):
    (tmp_path / "bad.csv").write_bytes(b"sentence,label\nhi,a\n")
    code, _, err = run_cli(capsys, "run", "sequence-classification", "--data", str(tmp_path / "bad.csv"))
    assert code == 2 and err.count("\n") == 1 and "bad.csv" in err and "text" in err


def test_a_bad_text_is_refused_before_training(capsys, monkeypatch):
    lesson = LESSONS["seq2seq"]
    monkeypatch.setattr(type(lesson), "run", lambda *a, **k: pytest.fail("trained before checking --text"))
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "seq2seq", "--text", "\u200b "])
    _, err = capsys.readouterr()
    assert exit_info.value.code == 2 and err.count("\n") == 1 and "The text is empty" in err


def test_serve_uses_the_safe_settings_whatever_the_folder():
    from pipeline.cli.serve import APP, flags

    local, public = flags(8600), flags(8600, public=True)
    assert APP.is_file() and local["server_address"] == "127.0.0.1" and public["server_address"] == "0.0.0.0"
    assert local["server_maxUploadSize"] == 5 and local["client_showErrorDetails"] == "none"
    assert local["server_enableXsrfProtection"] is True and local["browser_gatherUsageStats"] is False


def test_serve_refuses_a_bad_port(capsys):
    code, _, err = run_cli(capsys, "serve", "--port", "70000")
    assert code == 2 and "--port must be between 1 and 65535, got 70000" in err


@pytest.mark.parametrize("argv", [["serve", "--port", "8502"], ["schema"], ["list"], ["show", "t.json"]])
def test_commands_that_train_nothing_start_without_importing_torch(argv):
    """`serve` must come up fast: only `run` (and its lesson) imports the lessons and torch."""
    code = ("import sys\nfrom pipeline.cli.main import build_parser\n"
            f"build_parser({argv!r}).parse_args({argv!r})\nprint('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
