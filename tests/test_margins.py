"""Margins estimated from a figure's labels (pipeline.render.margins): wide enough for what the axes, colour
bars and legends show, never below the figure's own least margins. Chromium checks the estimate against
Plotly's own layout in tests/e2e/test_e2e_figures.py."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from pipeline.render import figures
from pipeline.render.drawing import Figure
from pipeline.render.margins import fit_margins, text_size


def test_text_size_counts_what_is_shown_not_the_markup() -> None:
    assert text_size("<b>good</b>", 16) == text_size("good", 16)
    assert text_size("<span style='color:#b45309'>3 · xyzzy ?</span>", 16) == text_size("3 · xyzzy ?", 16)
    assert text_size("a&amp;b", 16) == text_size("a&b", 16)
    one_line, two_lines = text_size("positive", 16), text_size("posi<br>tive", 16)
    assert two_lines[1] == pytest.approx(2 * one_line[1]) and two_lines[0] < one_line[0]
    assert text_size("wwww", 16)[0] > text_size("iiii", 16)[0] > 0
    assert text_size("good", 32)[0] == pytest.approx(2 * text_size("good", 16)[0])


def heatmap(rows: list[str], **layout) -> go.Figure:
    fig = Figure(go.Heatmap(z=[[0.5, -0.5]] * len(rows), y=list(range(len(rows))), colorbar={"thickness": 14}))
    fig.update_yaxes(tickvals=list(range(len(rows))), ticktext=rows)
    fig.update_layout(font={"size": 16}, **layout)
    return fig


def test_long_row_labels_get_a_wider_left_margin_and_a_colour_bar_a_right_one() -> None:
    short = fit_margins(heatmap(["1 · a", "2 · b"]), {})
    long = fit_margins(heatmap(["1 · a", "2 · extraordinarily"]), {})
    assert long["l"] > short["l"] + 80  # 15 more characters at 16 px
    assert short["r"] >= 14 + text_size("−0.50", 16)[0]  # the colour bar and its numbers
    titled = fit_margins(heatmap(["1 · a"], yaxis_title_text="token"), {})
    assert titled["l"] > fit_margins(heatmap(["1 · a"]), {})["l"] + 16  # a rotated title takes a line


def test_the_least_margins_are_kept_and_a_hidden_axis_takes_no_room() -> None:
    fig = heatmap(["1 · extraordinarily"])
    assert fit_margins(fig, {"l": 500, "t": 77})["l"] == 500 and fit_margins(fig, {"t": 77})["t"] == 77
    fig.update_yaxes(visible=False)
    fig.update_traces(showscale=False)
    hidden = fit_margins(fig, {"l": 20, "r": 20})
    assert (hidden["l"], hidden["r"]) == (20, 20) and hidden["b"] > 20  # the x axis still shows its numbers


def test_a_legend_below_the_plot_gets_a_bottom_margin_and_heatmaps_are_not_in_it() -> None:
    fig = go.Figure([go.Scatter(x=[1, 2], y=[1, 2], name="training loss"),
                     go.Scatter(x=[1, 2], y=[2, 1], name="validation loss")])
    fig.update_layout(height=440, font={"size": 16}, legend={"orientation": "h", "y": -0.3, "x": 0})
    below = fit_margins(fig, {"t": 50})["b"]
    fig.update_layout(showlegend=False)
    assert below > fit_margins(fig, {"t": 50})["b"] + 60
    only_heatmaps = go.Figure([go.Heatmap(z=[[1]], name="head 1", showscale=False),
                               go.Heatmap(z=[[1]], name="head 2", showscale=False)])
    assert fit_margins(only_heatmaps, {})["r"] < 40  # no legend for heatmaps: nothing to make room for


def test_base_fits_the_margins_unless_told_to_keep_them() -> None:
    fitted = figures.base(heatmap(["1 · extraordinarily"]), 300, margin={"l": 20, "r": 20, "t": 20, "b": 20})
    assert fitted.layout.margin.l > 150 and fitted.layout.xaxis.automargin  # automargin stays, for any miss
    kept = figures.base(heatmap(["1 · extraordinarily"]), 300, fit=False, margin={"l": 20, "r": 20, "t": 20, "b": 20})
    assert (kept.layout.margin.l, kept.layout.margin.r, kept.layout.margin.t, kept.layout.margin.b) == (20, 20, 20, 20)
