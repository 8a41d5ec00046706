"""A traced call's picture is chosen by what its tensor holds, and its caption says the real shape and which part
of it is drawn: attention per head, probabilities ranked, a heatmap over positions, feature maps kept channels
last, a pooled vector of channels, text."""

from __future__ import annotations

import torch
from torch import nn

from pipeline.document.pictures import TOP_ANSWERS, record_view
from pipeline.document.views import AttentionView, FeatureMapsView, MatrixView, ProbabilitiesView, TextView, VectorView
from pipeline.render import describe, figures
from pipeline.trace import trace


class Tiny(nn.Module):
    """Attention weights, a heatmap over positions, NHWC maps, a pooled vector and class probabilities."""

    def __init__(self) -> None:
        super().__init__()
        self.qk = nn.Linear(8, 16)
        self.head = nn.Linear(8, 40)

    def forward(self, x):  # (B, T, 8)
        q, k = self.qk(x).split(8, dim=-1)  # (B, T, 8) each
        q, k = q.view(2, 5, 2, 4).transpose(1, 2), k.view(2, 5, 2, 4).transpose(1, 2)  # (B, heads, T, 4)
        weights = torch.softmax(q @ k.transpose(-2, -1), dim=-1)  # (B, heads, T, T)
        grid = x.reshape(2, 5, 8, 1).expand(2, 5, 8, 8).permute(0, 1, 3, 2)[:, :4, :4].contiguous()  # (B, 4, 4, 8)
        pooled = torch.mean(grid, dim=(1, 2), keepdim=True).permute(0, 3, 1, 2)  # (B, 8, 1, 1)
        return weights, torch.softmax(self.head(pooled.flatten(1)), dim=-1)  # (B, 40)


def traced():
    torch.manual_seed(0)
    model = Tiny().eval()
    with torch.no_grad(), trace(model, ops=True) as t:
        model(torch.randn(2, 5, 8))
    return t


def view_of(t, name):
    r = t[name]
    return record_view(r, r.name, r.name, "d")


def test_softmax_weights_are_attention_per_head_over_positions() -> None:
    view = view_of(traced(), "softmax()")
    assert isinstance(view, AttentionView) and view.shape == (2, 2, 5, 5) and len(view.weights) == 2
    assert view.rows == view.cols == ("1", "2", "3", "4", "5") and view.heads == ("head 1", "head 2")
    assert all(abs(sum(row) - 1) < 1e-5 for head in view.weights for row in head)
    assert describe.reading(view).startswith("Position ") and "(the mean of 2 heads)" in describe.reading(view)
    top = max(w for head in view.weights for row in head for w in row)
    assert describe.drawn(view) == ("Drawn: all 2 heads of the first of 2 in its first dimension, each 5 query "
                                    "positions × 5 key positions; each row of weights sums to one over all its keys; "
                                    f"colours from 0 to the largest weight drawn, {describe.percent(top)}.")
    fig = figures.layer_figure(view)
    assert fig.data[0].zmax == top  # weights of a few percent over many positions still show
    assert fig.layout.yaxis.ticktext[0] in ("1", "<b>▶ 1</b>") and fig.layout.xaxis2.title.text == \
        "key position"


def test_probabilities_are_ranked_the_most_likely_first() -> None:
    record = traced()["softmax()", 1]
    view = record_view(record, "p", "P", "d")
    assert isinstance(view, ProbabilitiesView) and view.shape == (2, 40) and len(view.values) == TOP_ANSWERS
    assert list(view.values) == sorted(view.values, reverse=True)
    best = int(record.sample.argmax())
    assert view.labels[0] == f"class {best}" and view.values[0] == float(record.sample[best])
    assert describe.drawn(view) == "Drawn: the 10 most likely of the 40 answers, ranked."


def test_a_sequence_is_a_heatmap_over_positions_with_its_real_shape() -> None:
    view = view_of(traced(), "qk")
    assert isinstance(view, MatrixView) and view.shape == (2, 5, 16) and len(view.values) == 5
    assert describe.fmt_dims(view) == "2 examples × 5 positions × 16 features"
    assert describe.drawn(view).startswith("Drawn: 5 positions × 16 features of the first example")
    assert describe.reading(view).startswith("Each position is now 16 numbers; positions ")


def test_channels_last_maps_and_a_pooled_vector_name_their_channels() -> None:
    t = traced()
    maps = view_of(t, "contiguous()")
    assert isinstance(maps, FeatureMapsView) and maps.channels_last and maps.shape == (2, 4, 4, 8)
    assert len(maps.values) == 8 and len(maps.values[0]) == 4  # 8 channels of 4 x 4
    assert describe.fmt_dims(maps) == "2 examples × 4 rows × 4 columns × 8 channels"
    pooled = record_view(t["permute()", 1], "pool", "Pool", "d")
    assert isinstance(pooled, VectorView) and pooled.labels[:2] == ("channel 0", "channel 1")


def test_no_values_is_said_in_words() -> None:
    model = nn.Identity()
    with trace(model) as t:
        model(torch.zeros(0, 3))
    view = record_view(t.root, "x", "X", "d")
    assert isinstance(view, TextView) and view.shape == (0, 3) and "no values" in view.text
