"""Trace files of real architectures for the pages that walk through a model: a torchvision ResNet-18 and Swin-T
(weights=None, random weights) and a small BERT with its attention weights computed in the open (eager), each traced
with its functional ops on a 64 x 64 picture or 12 tokens. Nothing is downloaded.

The picture is a bright disc and a bar on a dark ground, so even random filters find edges to show.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from corpus import _hf, import_torchvision
from torch import nn

from pipeline.document.document import TraceDocument, trace_document
from pipeline.document.fileformat import zip_bytes
from pipeline.trace import trace


def picture(size: int = 64) -> torch.Tensor:
    """(1, 3, size, size): a disc and a bar, a little different in each colour channel, standardised."""
    y, x = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    disc = ((x - size * 0.35) ** 2 + (y - size * 0.4) ** 2 < (size * 0.2) ** 2).float()
    bar = ((x > size * 0.6) & (x < size * 0.75) & (y > size * 0.2)).float()
    image = torch.stack([disc + 0.5 * bar, 0.6 * disc + bar, 0.3 * disc + 0.8 * bar])[None]
    return (image - image.mean()) / image.std()


def _resnet18() -> nn.Module:
    return import_torchvision().models.resnet18(weights=None)


def _swin_t() -> nn.Module:
    return import_torchvision().models.swin_t(weights=None)


_bert = _hf("BertModel", "BertConfig", num_hidden_layers=2, hidden_size=32, intermediate_size=64,
            num_attention_heads=2, vocab_size=100, max_position_embeddings=64, attn_implementation="eager")

MODELS: dict[str, tuple[Callable[[], nn.Module], Callable[[], torch.Tensor]]] = {
    "resnet18": (_resnet18, picture),
    "swin_t": (_swin_t, picture),
    "bert": (_bert, lambda: torch.randint(0, 100, (1, 12), generator=torch.Generator().manual_seed(0))),
}


@functools.cache
def document(name: str) -> TraceDocument:
    """The traced model's document (ops on), made once per test session."""
    build, make_input = MODELS[name]
    torch.manual_seed(0)
    model = build().eval()
    with torch.no_grad(), trace(model, ops=True) as t:
        model(make_input())
    return trace_document(t, f"tests/real_traces.py {name}")


@functools.cache
def file_bytes(name: str) -> bytes:
    """The traced model as a trace file (zip), as a learner would upload it."""
    return zip_bytes(document(name))
