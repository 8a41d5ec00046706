"""Hostile input on the command line: files that are not files, markup and escape sequences in data and
names -- each ends with exit code 0 or 2, one line on stderr, no traceback and no raw escape sequence."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from pipeline.cli.main import main

ESC, OSC = "\x1b[31m", "\x1b]0;pwned\x07"


def run_cli(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def hostile_csv(tmp_path):
    rows = []
    for i in range(8):
        rows.append(f'"the film was great {i} {ESC}red{OSC}",[bold red]good[/bold red]')
        rows.append(f'"the film was awful {i} [/] [link=http://x]click[/link]",[/]')
    path = tmp_path / "hostile.csv"
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_markup_and_escape_sequences_in_a_data_file_are_shown_literally(capsys, tmp_path):
    code, out, err = run_cli(capsys, "run", "sequence-classification", "--epochs", "1", "--data",
                             str(hostile_csv(tmp_path)), "--text", f"great {ESC}film")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out and "\x1b" not in err
    assert "[bold red]good[/bold red]" in out and "[/]" in out  # labels as written, never as styles
    assert "\\x1b" in out  # the escape is visible, not acted on


def test_a_named_pipe_as_output_is_refused_before_any_work(capsys, tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result = []
    worker = threading.Thread(target=lambda: result.append(run_cli(capsys, "run", "sequence-classification",
                                                                      "--json", str(fifo))))
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "writing to a named pipe hung"
    code, _, err = result[0]
    assert code == 2 and "is a named pipe" in err and err.count("\n") == 1


@pytest.mark.parametrize("target", ["/dev/zero", "/proc/self/mem", "/tmp", "/etc/shadow-nope"])
def test_special_files_as_data_are_refused_in_one_line(capsys, target):
    code, _, err = run_cli(capsys, "run", "sequence-classification", "--data", target)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


def test_escape_sequences_in_names_never_reach_the_terminal(capsys, tmp_path):
    for argv in (["run", f"no{ESC}such"], ["show", str(tmp_path / f"x{OSC}.zip")],
                 ["run", "sequence-classification", "--data", str(tmp_path / f"{ESC}.csv")]):
        code, out, err = run_cli(capsys, *argv)
        assert code == 2 and "\x1b" not in out + err and "\x07" not in out + err and "\\x1b" in err


def test_show_of_a_hostile_trace_file_is_one_line(capsys, tmp_path):
    path = tmp_path / "bomb.json"
    path.write_text('{"schema": "pipeline-trace/2", "x": ' + "[" * 50_000 + "]" * 50_000 + "}")
    code, _, err = run_cli(capsys, "show", str(path))
    assert code == 2 and err.count("\n") == 1 and "not valid JSON" in err


def test_no_traceback_even_from_a_fresh_process():
    result = subprocess.run([sys.executable, "-m", "pipeline", "show", "/dev/stdin"], input=b"", capture_output=True,
                            timeout=120)
    assert result.returncode == 2 and b"Traceback" not in result.stderr and result.stderr.count(b"\n") == 1


def test_any_message_is_made_safe_for_the_terminal_whatever_raised_it(capsys, monkeypatch):
    from pipeline.cli import commands

    def raw(args, out):
        raise ValueError(f"bad {ESC}value{OSC}\nsecond line")

    monkeypatch.setattr(commands, "show", raw)
    code, _, err = run_cli(capsys, "show", "whatever.zip")
    assert code == 2 and err == "pipeline-trace: error: bad \\x1b[31mvalue\\x1b]0;pwned\\x07 second line\n"


KV_CACHE_MODEL = """import torch
from torch import nn


class Decoder(nn.Module):
    '''Starts its key/value cache empty, as Hugging Face's GPT-2, Llama and T5 do.'''

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        cache = torch.tensor([])
        keys = torch.cat([cache, self.proj(x).flatten()])
        return keys.reshape(x.shape)


def make():
    return Decoder()
"""


def test_an_empty_kv_cache_traces_with_ops(capsys, tmp_path):
    (tmp_path / "kv.py").write_text(KV_CACHE_MODEL)
    code, out, err = run_cli(capsys, "trace", f"{tmp_path}/kv.py:make", "--input-shape", "2,4", "--ops")
    assert code == 0, err
    assert "tensor()" in out and "cat()" in out


def test_a_failure_of_the_tracer_is_reported_as_ours_not_as_the_models(capsys, tmp_path, monkeypatch):
    from pipeline.trace import capture

    def broken(x, limit):
        raise IndexError("index 0 is out of bounds for dimension 0 with size 0")

    monkeypatch.setattr(capture._Tracer, "_gathered", lambda self, x: broken(x, 0))
    (tmp_path / "kv.py").write_text(KV_CACHE_MODEL)
    code, _, err = run_cli(capsys, "trace", f"{tmp_path}/kv.py:make", "--input-shape", "2,4", "--ops")
    assert code == 2 and err.count("\n") == 1
    assert "pipeline-trace could not record" in err and "please report" in err and "IndexError" in err
    assert "the model's forward failed" not in err
