"""The command line: list, run with JSON output, and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest

from pipeline.cli import main

FAST = ["--epochs", "1", "--samples", "200"]


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_every_lesson(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0 and "sequence-classification" in out


def test_run_prints_the_tables_and_writes_the_trace_json(capsys, tmp_path):
    path = tmp_path / "t.json"
    code, out, _ = run_cli(capsys, "run", "sequence-classification", *FAST, "--seed", "2", "--text",
                           "the music was great", "--json", str(path))
    assert code == 0
    for heading in ("Held-out examples", "Data flow", "Training, epoch by epoch", "Loss  (* train",
                    "Prediction for: 'the music was great'"):
        assert heading in out
    doc = json.loads(path.read_text())
    assert doc["schema"] == "pipeline-trace/1" and doc["lesson"]["settings"]["seed"] == 2
    assert doc["stages"][1]["output_shape"] == [200, 10]
    assert len(doc["epochs"]) == 1 and doc["prediction"]["text"] == "the music was great"


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "sequence-classification", "--epochs", "0"], "argument --epochs: must be between 1 and 50, got 0"),
    (["run", "sequence-classification", "--lr", "fast"], "argument --lr: expected a number, got 'fast'"),
    (["run", "sequence-classification", "--samples", "10"], "must be between 100 and 20000, got 10"),
    (["run", "sequence-classification", "--text", "  "], "argument --text: The text is empty"),
    (["run", "sequence-classification", "--json", "/no/such/dir/t.json"], "no such directory"),
    (["run", "sequence-classification", "--data", "/no/such.csv"], "argument --data: no such file: '/no/such.csv'"),
    (["run", "no-such-lesson"], "invalid choice: 'no-such-lesson'"),
    (["run"], "required: LESSON"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_options_give_one_line_and_exit_code_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    _, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and err.startswith("pipeline-trace: error:") and message in err


def test_python_dash_m_pipeline_works_like_the_console_script():
    result = subprocess.run([sys.executable, "-m", "pipeline", "list"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "sequence-classification" in result.stdout


def test_run_trains_on_the_learners_own_csv(capsys, tmp_path):
    rows = "".join(f"the film was {w},{label}\n" for w, label in [("great", "pos"), ("awful", "neg")] * 60)
    (tmp_path / "mine.csv").write_text("text,label\n" + rows, encoding="utf-8")
    path = tmp_path / "t.json"
    code, _, _ = run_cli(capsys, "run", "sequence-classification", "--epochs", "1", "--data",
                         str(tmp_path / "mine.csv"), "--json", str(path))
    doc = json.loads(path.read_text())
    assert code == 0 and doc["lesson"]["classes"] == ["neg", "pos"] and doc["stages"][-1]["output_shape"] == [120, 2]


def test_a_malformed_csv_is_named_in_one_line(capsys, tmp_path):
    (tmp_path / "bad.csv").write_bytes(b"sentence,label\nhi,a\n")
    code, _, err = run_cli(capsys, "run", "sequence-classification", "--data", str(tmp_path / "bad.csv"))
    assert code == 2 and err.strip() == "pipeline-trace: error: bad.csv has no column 'text' (found: sentence, label)."


def test_a_lesson_specific_bad_text_is_refused_before_training(capsys, monkeypatch):
    from pipeline.lessons import get_lesson

    lesson = get_lesson("seq2seq")
    monkeypatch.setattr(type(lesson), "run", lambda *a, **k: pytest.fail("trained before checking --text"))
    code, _, err = run_cli(capsys, "run", "seq2seq", "--text", "one " * 11)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("pipeline-trace: error: argument --text: The source has 11 tokens")
