"""The stepper, and the screens a prediction is stepped through."""

from __future__ import annotations

from pipeline.app.stepper import Stepper
from pipeline.document.views import DecoderStep, DecoderStepsView, DecoderStepView, Mark, Prediction, TokensView


def test_stepper_moves_within_bounds_and_plays_to_the_end() -> None:
    s = Stepper(3)
    s.prev()
    assert s.index == 0
    s.next(), s.next(), s.next()
    assert s.index == 2
    s.play(now=10.0)  # from the end: start again
    assert s.index == 0 and s.playing
    assert not s.tick(now=10.5, seconds=1.0) and s.index == 0
    assert s.tick(now=11.0, seconds=1.0) and s.index == 1 and s.playing
    assert s.tick(now=12.0, seconds=1.0) and s.index == 2 and not s.playing
    assert not s.tick(now=20.0, seconds=1.0)


def test_stepper_jumps_and_toggles() -> None:
    s = Stepper(5)
    s.last()
    assert s.index == 4
    s.first()
    assert s.index == 0
    s.go(99)
    assert s.index == 4
    s.go(-3)
    assert s.index == 0
    s.toggle(now=1.0)
    assert s.playing
    s.toggle(now=2.0)
    assert not s.playing


def test_a_decoder_layer_is_stepped_through_one_step_per_screen() -> None:
    tokens = TokensView(key="t", title="Tokens", description="d", ids=(1, 2), tokens=("a", "b"),
                        marks=(Mark.WORD, Mark.WORD))
    steps = tuple(DecoderStep(step=i, input="a", hidden=(), top=(("b", 1.0),), chosen="b") for i in (1, 2))
    decoder = DecoderStepsView(key="dec", title="Decoder", description="d", steps=steps, source=("a", "b"))
    prediction = Prediction(text="x", output="b b", confidence=1.0, layers=(tokens, decoder, tokens))
    screens = prediction.screens()
    assert [s.title for s in screens] == ["Tokens", "Decoder: step 1 of 2", "Decoder: step 2 of 2", "Tokens"]
    assert isinstance(screens[2], DecoderStepView) and screens[2].step is steps[1] and screens[2].source == ("a", "b")
