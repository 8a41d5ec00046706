"""Data-flow page: the first example's real values travel through the stages (Plotly frames, play/pause, a slider),
then the stage table and the calls inside each stage."""

from __future__ import annotations

import json

from app_helpers import charts, plain, table

import ui

SLUG = "sequence-classification"


def lines(figure: dict) -> list[str]:
    """Each frame's sentence, as read."""
    return [f["layout"]["annotations"][0]["text"].replace("<br>", " ") for f in figure["frames"]]


def test_data_flow_shows_the_first_held_out_example_travelling_through_the_model(open_page) -> None:
    at = open_page("data_flow")
    cached = ui.default_run(SLUG)
    stages, prediction = cached.run.stages, cached.prediction
    (fig,) = charts(at)
    said = lines(fig)
    first = cached.run.examples[0][0]
    assert prediction.text == first and f"“{first}” goes in" in said[0]
    assert 12 <= len(fig["frames"]) <= 40 and len(fig["layout"]["sliders"][0]["steps"]) == len(fig["frames"])
    assert [b["label"] for b in fig["layout"]["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    tokens = prediction.layer("tokenize_pad")
    assert f"Word 1: “{tokens.tokens[0]}” → id {tokens.ids[0]} (known word)." in said
    lookup = said.index(f"“{tokens.tokens[0]}” → id {tokens.ids[0]} → row {tokens.ids[0]} of the embedding table.")
    embedding = fig["frames"][lookup]
    assert len(embedding["data"][3]["z"]) == 1 and embedding["layout"]["yaxis2"]["ticktext"][0].endswith(
        f"1 · {tokens.tokens[0]}</b>")  # the first row appears, labelled with its word
    assert embedding["data"][3]["z"][0] == [round(v, 3) for v in prediction.layer("embedding").values[0]]
    answer = fig["frames"][-1]
    assert answer["layout"]["yaxis3"]["ticktext"] == ["negative", "neutral", "positive"]  # class names, not 0 1 2
    assert f"The answer: “{prediction.output}”" in said[-1]
    assert any("first held-out example" in c.value and first in plain(c.value) for c in at.caption)
    assert list(table(at)["Stage"]) == [f"{i}. {s.title}" for i, s in enumerate(stages, start=1)]
    assert len(at.expander) == len(stages)  # the calls inside each stage


def test_data_flow_follows_the_learners_own_input_escaped(open_page) -> None:
    at = open_page("data_flow")
    at.session_state[f"pred-text:{SLUG}"] = "the zorgly <b>plot</b>"
    at.run()
    assert not at.exception
    (fig,) = charts(at)
    said = lines(fig)
    assert "“the zorgly &lt;b&gt;plot&lt;/b&gt;” goes in" in said[0]
    assert any("“zorgly” is not in the vocabulary → &lt;unk&gt;, id 1" in s for s in said)
    assert "<b>plot" not in json.dumps(fig, ensure_ascii=False)
    assert any("your input from the Prediction page" in c.value for c in at.caption)


def test_an_input_the_lesson_cannot_read_shows_the_first_example_and_says_why(open_page) -> None:
    at = open_page("data_flow")
    at.session_state[f"pred-text:{SLUG}"] = "\u200b"  # nothing but an invisible character
    at.run()
    assert not at.exception and len(at.warning) == 1 and "empty" in at.warning[0].value
    (fig,) = charts(at)
    assert f"“{ui.default_run(SLUG).run.examples[0][0]}” goes in" in lines(fig)[0]


def test_data_flow_decodes_one_token_per_frame_in_the_seq2seq_lesson(open_page) -> None:
    at = open_page("data_flow", lesson="seq2seq")
    (fig,) = charts(at)
    decoder = ui.default_run("seq2seq").prediction.layer("decoder")
    headings = [f["layout"]["annotations"][2]["text"] for f in fig["frames"]]
    written = [h.split(" · ")[0] for h in headings if h.startswith("Output so far")]
    assert len(written) == len(decoder.steps) and written[-1].endswith(decoder.steps[-1].chosen.replace("<", "&lt;")
                                                                       .replace(">", "&gt;"))
    assert any(s.startswith("The context seeds the decoder") for s in lines(fig))
