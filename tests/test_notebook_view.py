"""The model explorer as HTML, without a browser: what a notebook cell, ``pipeline.show`` and ``--html`` write --
every stage with its words and picture, the tree, names shown literally, nothing that could close a script, a
bounded number of pictures, and ``import pipeline`` still free of torch and plotly. (The browser half is
tests/e2e/test_e2e_notebook.py.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import torch
from torch import nn

import pipeline
from pipeline.cli.main import main
from pipeline.document.document import trace_document
from pipeline.render import notebook
from pipeline.trace import trace

HOSTILE = "</script><b>x</b>"


class Odd(nn.Module):
    """A model whose module names and type hold markup."""

    def __init__(self) -> None:
        super().__init__()
        self.add_module(HOSTILE, nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU()))
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(getattr(self, HOSTILE)(x).mean(dim=(2, 3)))  # (B, 2)


def traced():
    torch.manual_seed(0)
    model = Odd().eval()
    with torch.no_grad(), trace(model) as t:
        model(torch.randn(1, 1, 6, 6))
    return t


def data_block(page: str) -> dict:
    (block,) = re.findall(r'<script type="application/json" id="[^"]+-data">(.*?)</script>', page, re.S)
    assert "<" not in block
    return json.loads(block)


def test_the_view_holds_every_stage_its_words_and_pictures_and_the_tree() -> None:
    page = notebook.explorer_html(trace_document(traced(), "test"), uid="pt-test")
    data = data_block(page)
    root = data["modules"][data["start"]]
    assert [s["title"] for s in root["stages"]] == [f"{HOSTILE}.0", f"{HOSTILE}.1", "head"]
    conv = root["stages"][0]
    assert conv["shape"] == "1 example × 4 channels × 4 rows × 4 columns" and conv["picture"] == 0
    assert conv["verdict"].startswith("Channel ") and conv["drawn"].startswith("Drawn: the 4 channels")
    assert data["pictures"][0]["data"][0]["type"] == "heatmap" and data["flow"]["frames"]
    assert page.count("<script>") == 4  # the loader's guard, Plotly, the guard undone, the view's own script
    assert HOSTILE not in page.replace(f'"{HOSTILE}', "")  # only ever escaped, in HTML and in the JSON
    assert "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in page  # the tree and the stage titles, as typed


def test_pictures_stop_at_the_views_budget_and_say_so(monkeypatch) -> None:
    monkeypatch.setattr(notebook, "MAX_PICTURES", 1)
    data = data_block(notebook.explorer_html(trace_document(traced(), "test")))
    stages = data["modules"][data["start"]]["stages"]
    assert [s["picture"] for s in stages] == [0, -1, -1] and data["left_out"] == 2
    assert "left out of this view" in stages[1]["drawn"]


def test_show_in_a_terminal_writes_one_offline_page_and_says_where(capsys) -> None:
    view = pipeline.show(traced())
    line = capsys.readouterr().out.strip()
    path = line.removeprefix("The model explorer is in ").split(": open it")[0]
    page = Path(path).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page and 'class="pt-explorer"' in page
    bundle = view._repr_mimebundle_()
    assert 'class="pt-explorer"' in bundle["text/html"] and bundle["text/plain"].startswith("TraceView(Odd: 5 calls")


def test_trace_html_writes_the_same_view_in_the_handout(tmp_path, capsys) -> None:
    source = tmp_path / "m.py"
    source.write_text("from torch import nn\n\ndef make():\n    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())\n")
    out = tmp_path / "m.html"
    assert main(["trace", f"{source}:make", "--input-shape", "1,1,8,8", "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert '<h2 id="explore">Walk through the model</h2>' in page and 'id="explorer"' in page
    assert page.count(notebook.get_plotlyjs()[:200]) == 1  # Plotly once, for the data flow and the explorer
    assert data_block(page)["modules"]["#0"]["stages"][0]["shape"].startswith("1 example × 4 channels")


def test_importing_pipeline_loads_neither_torch_nor_plotly() -> None:
    code = "import sys, pipeline; print('torch' in sys.modules, 'plotly' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() \
        == ["False", "False"]
