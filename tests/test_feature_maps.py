"""FeatureMapsView: a convolution's channels as small images, on every surface -- the chart, its words, the terminal,
the data-flow frames and the trace file -- and picked for a real convolution's output by what it holds."""

from __future__ import annotations

import pytest
import torch
from rich.console import Console
from torch import nn

from pipeline.document.document import TraceDocument, trace_document
from pipeline.document.fileformat import TraceFileError, loads, zip_bytes
from pipeline.document.pictures import record_view, stage_view
from pipeline.document.views import FeatureMapsView, Prediction
from pipeline.render import describe, figures, flowframes
from pipeline.render.report import layer_body
from pipeline.trace import Trace, trace


def maps_view(**changes) -> FeatureMapsView:
    """Three 2 x 3 maps of an (N=4, C=8, H=5, W=6) layer: channel 5 the strongest, channel 2 all zero."""
    maps = (((1.0, 2.0, 3.0), (4.0, 9.0, 6.0)),  # channel 5: mean size 25/6, largest at row 2, column 2
            ((0.0, 0.5, 0.0), (0.0, 0.0, -1.0)),  # channel 1
            ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)))  # channel 2: silent
    fields = {"key": "conv", "title": "<b>Conv</b>", "description": "d", "shape": (4, 8, 5, 6), "values": maps,
              "channels": (5, 1, 2), **changes}
    return FeatureMapsView(**fields)


def test_each_channel_is_a_small_square_image_on_one_scale_the_strongest_framed() -> None:
    fig = figures.layer_figure(maps_view())
    assert [t.name for t in fig.data] == ["channel 5", "channel 1", "channel 2"]
    assert [list(r) for r in fig.data[0].z] == [[1.0, 2.0, 3.0], [4.0, 9.0, 6.0]]
    assert {(t.zmin, t.zmax) for t in fig.data} == {(-9.0, 9.0)}  # one scale: the maps compare
    assert [t.showscale for t in fig.data] == [True, False, False] and fig.data[0].xgap == 0
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["<b>ch 5</b>", "ch 1", "ch 2"]  # what the verdict names, in bold (and framed); short on a phone
    (frame,) = fig.layout.shapes
    assert (frame.xref, frame.yref, frame.x0, frame.x1, frame.y1) == ("x", "y", 0.5, 3.5, 2.5)  # rows from 1
    assert "row %{y}, column %{x}" in fig.data[0].hovertemplate and list(fig.data[0].x) == [1, 2, 3]
    assert all(fig.layout[f"yaxis{t.yaxis[1:]}"].scaleanchor == t.xaxis for t in fig.data)  # square pixels
    assert fig.layout.yaxis.autorange == "reversed"  # row 1 on top, as an image


def test_kernels_are_drawn_under_their_maps_on_a_scale_centred_on_zero() -> None:
    kernel = (((0.5, -0.25), (0.0, 1.0)),)
    fig = figures.layer_figure(maps_view(kernels=(kernel, kernel, kernel), kernel_inputs=(0,)))
    assert [t.name for t in fig.data] == ["channel 5", "kernel 5", "channel 1", "kernel 1", "channel 2", "kernel 2"]
    assert fig.data[1].zmid == 0 and fig.data[1].zmin == -1.0 and fig.data[1].yaxis != fig.data[0].yaxis
    assert "under each map, the kernel that made it (input channel 0)" in describe.drawn(
        maps_view(kernels=(kernel,) * 3, kernel_inputs=(0,)))


def test_its_words_name_the_strongest_channel_where_it_fired_and_what_part_is_drawn() -> None:
    view = maps_view()
    assert describe.reading(view) == ("Channel 5 responds most strongly: its values average 4.17 in size, strongest "
                                      "at row 2, column 2; 1 of the 3 maps drawn are all zero (nothing there "
                                      "excited them).")
    assert describe.focus(view).rows == (0,)
    assert describe.drawn(view) == ("Drawn: 3 of the 8 channels of the first example (channels 5, 1, 2, the most "
                                    "active first), each 2 × 3: the top-left 2 × 3 of each 5 × 6 map; one colour "
                                    "scale for every map, from -1.00 to +9.00.")
    assert "example 3" in describe.drawn(maps_view(example=2))
    assert describe.data_rows(view)[0] == {"Channel": "5", "Mean size": "4.17", "Largest": "+9.00",
                                           "Where (row, column)": "2, 2"}
    assert describe.fmt_dims(maps_view(dims=("example", "channel", "row", "column"))) == \
        "4 examples × 8 channels × 5 rows × 6 columns"


def test_the_terminal_shades_the_maps_side_by_side_and_lists_them() -> None:
    console = Console(width=100, record=True)
    console.print(layer_body(maps_view()))
    text = console.export_text()
    assert text.splitlines()[0].split() == ["channel", "5", "channel", "1", "channel", "2"]
    assert "█" in text.splitlines()[2] and "Each map drawn" in text and "the top-left 2 × 3 of each 5 × 6" in text


def test_the_data_flow_tiles_the_maps_into_one_image_with_the_real_shape() -> None:
    (shot,) = flowframes.view_shots(maps_view(), flowframes.Flow())
    grid = shot.grid
    assert grid.z[0] == [1.0, 2.0, 3.0, None, 0.0, 0.5, 0.0, None, 0.0, 0.0, 0.0]  # side by side, a gap between
    assert len(grid.z) == 2 and not grid.gaps and "4 × 8 × 5 × 6 · channels 5, 1, 2" in grid.heading
    assert shot.line.startswith("<b>Conv</b>: Channel 5 responds most strongly")
    sixteen = maps_view(values=(((0.1,) * 16,) * 16,) * 16, channels=tuple(range(16)))
    (shot,) = flowframes.view_shots(sixteen, flowframes.Flow())
    assert len(shot.grid.z) == 33 and len(shot.grid.z[0]) == 8 * 17 - 1  # 2 rows of 8 maps


def test_it_round_trips_in_a_trace_file_and_a_damaged_one_is_refused() -> None:
    kernel = (((0.5, -0.5), (2.0, 0.0)),)
    view = maps_view(kernels=(kernel,) * 3, kernel_inputs=(3,), channels_last=True, example=1)
    doc = TraceDocument(Trace("M"), [], prediction=Prediction(text="x", output="y", confidence=0.5, layers=(view,)))
    assert loads(zip_bytes(doc), "t.zip").prediction.layers == (view,)
    for bad, message in ((maps_view(channels=(5,)), "names 1 channels for 3 maps"),
                         (maps_view(values=(((1.0,), (2.0, 3.0)),) * 3), "ragged"),
                         (maps_view(kernels=(kernel,)), "1 kernels for 3 maps")):
        doc.prediction = Prediction(text="x", output="y", confidence=0.5, layers=(bad,))
        with pytest.raises(TraceFileError, match=message):
            loads(zip_bytes(doc), "t.zip")


def test_a_real_convolutions_output_is_drawn_as_its_most_active_channels() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 12, 3, padding=1), nn.ReLU()).eval()
    image = torch.zeros(2, 1, 10, 10)
    image[:, :, 3:7, 3:7] = 1.0  # a bright square: edges for the filters to find
    with torch.no_grad(), trace(model) as t:
        model(image)
    record = t["1"]
    view = record_view(record, "relu", "ReLU", "d")
    assert isinstance(view, FeatureMapsView) and view.shape == (2, 12, 10, 10)
    assert sorted(view.channels) == list(range(12)) and len(view.values[0]) == 10  # all of a small sample
    means = [float(record.sample[c].abs().mean()) for c in view.channels]
    assert means == sorted(means, reverse=True)  # the most active first
    strongest = record.sample[view.channels[0]].flatten().tolist()
    assert [v for row in view.values[0] for v in row] == pytest.approx(strongest)
    relu = trace_document(t, "test").stages[1]
    assert stage_view(relu).values == view.values and stage_view(relu).title == "1"  # the data flow draws the same
