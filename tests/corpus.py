"""A corpus of real architectures, built small with random weights (nothing is downloaded): torchvision and
Hugging Face models from tiny configurations, and models the way students write them.

Each ``Case`` builds a fresh model in eval mode and its input; ``tests/test_corpus.py`` traces each one with
ops off and on. torchvision and transformers come with the ``models`` extra (the ``test`` extra includes it).

The registry's torchvision wheel is built against CUDA: on the CPU build of torch its compiled ops
(``nms``, ``roi_align``: detection only) cannot load, and importing torchvision then fails, because its
``_meta_registrations`` module registers fake kernels for those missing ops. ``import_torchvision``
puts empty modules in place of ``torchvision._meta_registrations`` and ``torchvision._autograd_registrations``
when (and only when) the compiled ops cannot load; the model definitions need neither. transformers imports
torchvision when it is installed, so the same call comes first there too.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

_REGISTRATIONS = ("torchvision._meta_registrations", "torchvision._autograd_registrations")


def import_torchvision() -> types.ModuleType:
    """``import torchvision``, also where its compiled ops cannot load (the CUDA wheel on CPU torch)."""
    if "torchvision" in sys.modules:
        return sys.modules["torchvision"]
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("torchvision is not installed: pip install -c constraints.txt -e '.[models]'")
    library = next(Path(spec.submodule_search_locations[0]).glob("_C*.so"), None)
    try:
        torch.ops.load_library(str(library))
        loaded = library is not None
    except (OSError, RuntimeError, TypeError):
        loaded = False
    if not loaded:  # its fake and autograd kernels are for the ops that did not load: nothing to register
        for name in _REGISTRATIONS:
            sys.modules.setdefault(name, types.ModuleType(name))
    import torchvision

    return torchvision


@dataclass
class Case:
    """One model of the corpus: how to build it and its input (positional and keyword arguments)."""

    name: str
    build: Callable[[], nn.Module]
    args: Callable[[], tuple]
    kwargs: Callable[[], dict[str, Any]] = field(default=lambda: {})

    def make(self) -> tuple[nn.Module, tuple, dict[str, Any]]:
        torch.manual_seed(0)
        return self.build().eval(), self.args(), self.kwargs()


def _image(size: int = 32) -> Callable[[], tuple]:
    return lambda: (torch.randn(1, 3, size, size),)


def _ids(batch: int = 2, length: int = 7, vocab: int = 100) -> Callable[[], tuple]:
    return lambda: (torch.randint(0, vocab, (batch, length)),)


# --- torchvision -------------------------------------------------------------------------------------------

def _vision(name: str, **kwargs: Any) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        return getattr(import_torchvision().models, name)(weights=None, **kwargs)

    return build


def _swin() -> nn.Module:
    import_torchvision()
    from torchvision.models.swin_transformer import SwinTransformer

    return SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4],
                           num_classes=10)


def _vit() -> nn.Module:
    import_torchvision()
    from torchvision.models.vision_transformer import VisionTransformer

    return VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64,
                             num_classes=10)


def _convnext() -> nn.Module:
    import_torchvision()
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt

    return ConvNeXt([CNBlockConfig(16, 32, 2), CNBlockConfig(32, None, 2)], num_classes=10)


def _densenet() -> nn.Module:
    import_torchvision()
    from torchvision.models.densenet import DenseNet

    return DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16, num_classes=10)


VISION = [
    Case("resnet18", _vision("resnet18", num_classes=10), _image()),
    Case("mobilenet_v3_small", _vision("mobilenet_v3_small", num_classes=10), _image()),
    Case("efficientnet_b0", _vision("efficientnet_b0", num_classes=10), _image()),
    Case("shufflenet_v2_x0_5", _vision("shufflenet_v2_x0_5", num_classes=10), _image()),
    Case("densenet (2 blocks)", _densenet, _image()),
    Case("convnext (2 stages)", _convnext, _image()),
    Case("swin (2 stages)", _swin, _image()),
    Case("vit (2 layers)", _vit, _image()),
]


# --- Hugging Face ------------------------------------------------------------------------------------------

def _transformers() -> types.ModuleType:
    import_torchvision()  # transformers imports torchvision when it is installed
    import transformers

    transformers.logging.set_verbosity_error()  # tiny vocabularies make it warn about the default token ids
    return transformers


def _hf(model: str, config: str, **settings: Any) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        hf = _transformers()
        return getattr(hf, model)(getattr(hf, config)(**settings))

    return build


_SMALL = {"vocab_size": 100, "max_position_embeddings": 64}

HUGGING_FACE = [
    Case("gpt2", _hf("GPT2Model", "GPT2Config", n_layer=2, n_embd=32, n_head=2, vocab_size=100, n_positions=64),
         _ids()),
    Case("llama", _hf("LlamaModel", "LlamaConfig", num_hidden_layers=2, hidden_size=32, intermediate_size=64,
                      num_attention_heads=2, num_key_value_heads=1, **_SMALL), _ids()),
    Case("t5", _hf("T5Model", "T5Config", num_layers=2, num_decoder_layers=2, d_model=32, d_ff=64, d_kv=16,
                   num_heads=2, vocab_size=100), _ids(),
         lambda: {"decoder_input_ids": torch.randint(0, 100, (2, 5))}),
    Case("bert", _hf("BertModel", "BertConfig", num_hidden_layers=2, hidden_size=32, intermediate_size=64,
                     num_attention_heads=2, **_SMALL), _ids()),
    Case("distilbert", _hf("DistilBertModel", "DistilBertConfig", n_layers=2, dim=32, hidden_dim=64, n_heads=2,
                           **_SMALL), _ids()),
]


# --- as students write them --------------------------------------------------------------------------------

class MLP(nn.Module):
    """A digit classifier: flatten, two hidden layers, logits."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(),
                                 nn.Linear(16, 10))

    def forward(self, x):
        return torch.log_softmax(self.net(x), dim=-1)  # (B, 10)


class CNN(nn.Module):
    """Two conv blocks and a classifier, the pooling and flattening written as functions."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)  # (B, 8, 8, 8)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)  # (B, 16, 4, 4)
        return self.fc(torch.flatten(x, 1))  # (B, 10)


class GRUTagger(nn.Module):
    """A part-of-speech tagger: a tag per word from a bidirectional GRU."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.gru = nn.GRU(16, 24, batch_first=True, bidirectional=True)
        self.tags = nn.Linear(48, 5)

    def forward(self, ids):
        states, _ = self.gru(self.embed(ids))  # (B, T, 48)
        return self.tags(states).argmax(-1)  # (B, T)


class Seq2Seq(nn.Module):
    """An encoder GRU and a decoder GRUCell that writes one token per step, greedily, in a Python loop."""

    def __init__(self, vocab: int = 30, hidden: int = 24, steps: int = 6) -> None:
        super().__init__()
        self.steps = steps
        self.embed = nn.Embedding(vocab, hidden)
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.decoder = nn.GRUCell(hidden, hidden)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, ids):
        _, h = self.encoder(self.embed(ids))  # (1, B, H)
        state, token = h[0], torch.zeros(ids.shape[0], dtype=torch.long)
        written = []
        for _ in range(self.steps):
            state = self.decoder(self.embed(token), state)  # (B, H)
            token = self.out(state).argmax(-1)  # (B,)
            written.append(token)
        return torch.stack(written, 1)  # (B, steps)


class Block(nn.Module):
    """A Transformer block with its attention written out: projections, scores, softmax, weighted sum."""

    def __init__(self, dim: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(d, dim=-1)  # 3 x (B, T, D)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))  # (B, h, T, d)
        weights = torch.softmax(q @ k.transpose(-2, -1) / (d // self.heads) ** 0.5, dim=-1)  # (B, h, T, T)
        x = x + self.proj((weights @ v).transpose(1, 2).reshape(b, t, d))  # (B, T, D)
        return x + self.mlp(self.norm2(x))  # (B, T, D)


STUDENT = [
    Case("mlp", MLP, lambda: (torch.randn(4, 8, 8),)),
    Case("cnn", CNN, lambda: (torch.randn(2, 1, 16, 16),)),
    Case("gru tagger", GRUTagger, _ids(vocab=50)),
    Case("seq2seq (decoding loop)", Seq2Seq, _ids(vocab=30)),
    Case("transformer block", Block, lambda: (torch.randn(2, 6, 32),)),
]

CORPUS = {case.name: case for case in VISION + HUGGING_FACE + STUDENT}
