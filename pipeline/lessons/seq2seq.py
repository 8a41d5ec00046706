"""Lesson: sequence to sequence -- number words -> ids -> embedding -> encoder -> decoder -> digits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, cast

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.data.counts import pair_counts
from pipeline.data.number_words import ParallelCorpus, coverage_note, generate, translate
from pipeline.data.tokens import MAX_LEN, MAX_VOCAB, PAD, PAD_ID, UNK, Vocabulary, pad, tokenize
from pipeline.document.views import (
    AttentionView,
    DecoderStep,
    DecoderStepsView,
    LSTMGatesView,
    Mark,
    MatrixView,
    Prediction,
    TokensView,
    VectorView,
    View,
    matrix,
)
from pipeline.lessons.common import (
    GATES_TEXT,
    dropped_tokens_note,
    gates_view,
    read,
    token_view,
    unknown_words_note,
    with_space,
)
from pipeline.lessons.protocol import Lesson, LessonRun, Prepared
from pipeline.nn.models import Seq2Seq, Seq2SeqConfig, UntilEos
from pipeline.nn.text import TextPipeline
from pipeline.trace import Trace, traced_forward
from pipeline.training.cost import Workload, count_params
from pipeline.training.loop import StepOutput, TrainConfig, seeded
from pipeline.training.settings import setting

SOS, EOS = "<sos>", "<eos>"
TOP_K = 5  # candidates shown per decoder step
HIDDEN_SAMPLE = 8  # numbers of the decoder's hidden state shown per step
SAMPLE_PAIRS = 5  # corpus pairs listed, as words, in the run's info


@dataclass(frozen=True)
class Seq2SeqSettings(TrainConfig):
    """Training settings plus the data size, model widths and attention switch of this lesson."""

    lr: float = setting(0.005, 0.0001, 1.0, "Learning rate",
                        "Adam step size. Try 0.5 or 1 to see what too high a rate does.")
    samples: int = setting(1000, 100, 10_000, "Pairs", "How many number/digit pairs to generate (80% train).")
    embed_dim: int = setting(64, 4, 256, "Embedding size", "Numbers per word vector.")
    hidden_dim: int = setting(128, 4, 256, "LSTM hidden size", "Numbers in each LSTM's memory (the context).")
    attention: bool = setting(False, 0, 1, "Attention",
                              "Let the decoder look back at every source word at each step (dot-product "
                              "attention) instead of relying on the context vector alone.")


class Translator(nn.Module):
    """Raw source texts -> target token ids: the source text pipeline, the encoder-decoder, softmax, argmax.

    Shape:
        - Input: a list of B strings
        - Output: (B, T) target ids, <pad> after the first <eos>
    """

    def __init__(self, source: TextPipeline, model: Seq2Seq, target_vocab: Vocabulary) -> None:
        super().__init__()
        self.source, self.model, self.target_vocab = source, model, target_vocab
        self.softmax = nn.Softmax(dim=-1)
        self.tokens = UntilEos(model.cfg.eos_id)

    def forward(self, texts: list[str], stop_at_eos: bool = False) -> torch.Tensor:
        ids = self.source(texts).to(self.model.embedding.weight.device)  # (B, S)
        logits = self.model(ids, stop_at_eos=stop_at_eos)  # (B, T, V), greedy
        return self.tokens(self.softmax(logits))  # (B, T)


def encode_targets(vocab: Vocabulary, targets: Sequence[str], max_len: int = MAX_LEN
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Target texts -> decoder inputs ``<sos> y1 .. yn`` and expected outputs ``y1 .. yn <eos>``, padded."""
    sos, eos = vocab.stoi[SOS], vocab.stoi[EOS]
    rows = [vocab.encode(tokenize(t))[: max_len - 1] for t in targets]
    inputs = torch.tensor([pad([sos, *r], max_len) for r in rows], dtype=torch.long)  # (N, T)
    outputs = torch.tensor([pad([*r, eos], max_len) for r in rows], dtype=torch.long)  # (N, T)
    return inputs, outputs


def seq2seq_step(model: nn.Module, batch: Sequence[torch.Tensor]) -> StepOutput:
    """Teacher-forced cross-entropy over the real target tokens, with token and whole-sequence hits."""
    src, targets_in, targets_out = batch
    logits = model(src, targets_in)  # (B, T, V)
    loss = F.cross_entropy(logits.transpose(1, 2), targets_out, ignore_index=PAD_ID)  # mean over real tokens
    real = targets_out != PAD_ID  # (B, T)
    hit = (logits.argmax(dim=-1) == targets_out) & real  # (B, T)
    exact = (hit | ~real).all(dim=1)  # (B,)
    n_real = int(real.sum())
    return StepOutput(loss, n_real, {"accuracy": (int(hit.sum()), n_real),
                                     "sequence_accuracy": (int(exact.sum()), len(src))})


def greedy_exact_match(translator: Translator, sources: Sequence[str], targets: Sequence[str]) -> float:
    """Fraction of ``sources`` whose greedy translation equals the target exactly, <eos> included."""
    _, expected = encode_targets(translator.target_vocab, targets)  # (N, T)
    was_training = translator.training
    try:
        with torch.no_grad():
            got = translator.eval()(list(sources))  # (N, T)
    finally:
        translator.train(was_training)
    return int((got == expected).all(dim=1).sum()) / len(sources)


class At(StrEnum):
    """The calls of the traced translator this lesson reads, named once."""

    NORMALIZE = "source.normalize"
    TOKENIZE = "source.tokenize"
    ENCODE = "source.encode_pad"
    EMBED = "model.embedding"
    ENCODER = "model.encoder"
    ENCODER_STATES = "model.encoder.unpack"
    DECODER = "model.decoder"
    DECODER_EMBED = "model.decoder.embedding"
    DECODER_LSTM = "model.decoder.lstm"
    ATTENTION = "model.decoder.attention.softmax"
    SOFTMAX = "softmax"
    TOKENS = "tokens"


@lru_cache(maxsize=32)
def _number_word_counts(samples: int, seed: int) -> tuple[int, int, int, int, float]:
    """The work budget's counts of the generated number-words corpus."""
    return pair_counts(generate(samples, seed), seed)


class SequenceToSequence(Lesson[Seq2SeqSettings]):
    slug = "seq2seq"
    settings_type = Seq2SeqSettings
    content_file = Path(__file__).with_name("seq2seq.toml")
    stages: ClassVar[dict[str, tuple[str, str]]] = {
        "source": (At.NORMALIZE, At.ENCODE),
        "embedding": (At.EMBED, At.EMBED),
        "encoder": (At.ENCODER, At.ENCODER),
        "decoder": (At.DECODER, At.DECODER),
        "output": (At.SOFTMAX, At.TOKENS),
    }

    step = staticmethod(seq2seq_step)
    probes = ("seven", "forty two", "seven hundred and five", "two thousand and fifty")
    timelapse = ("encoder_gates", "attention")

    cost_time = (0.131437, 0.00577, 0.001063, 0.029964, 0.122973)
    cost_memory = (41.1516, 1.9766, 0.6304)
    calibration_widths: ClassVar[dict[str, dict[str, int]]] = {"wide": {"embed_dim": 256, "hidden_dim": 256},
                                                               "narrow": {"embed_dim": 8, "hidden_dim": 8}}

    def workload(self, settings: Seq2SeqSettings, data: ParallelCorpus | None = None) -> Workload:
        n, train, vocab, target, length = _number_word_counts(settings.samples, settings.seed) if data is None \
            else pair_counts(data, settings.seed)
        e, h, t = settings.embed_dim, settings.hidden_dim, MAX_LEN
        cfg = Seq2SeqConfig(vocab, target, sos_id=2, eos_id=3, embed_dim=e, hidden_dim=h,
                            attention=settings.attention, max_len=MAX_LEN)
        params = count_params(Seq2Seq, cfg)
        attend = t * (2 * length * h + 2 * h * h) if settings.attention else 0
        madds = length * 4 * h * (e + h) + t * (4 * h * (e + h) + h * target) + attend
        activations = length * (e + 5 * h) + t * (e + 5 * h + target + (length + 2 * h if settings.attention else 0))
        return Workload(n, train, vocab, params, madds, activations,
                        settings.epochs * -(-train // settings.batch_size), settings.epochs)

    def inside(self, run: LessonRun[Seq2SeqSettings], text: str) -> dict[str, View]:
        """The encoder's gates for ``text`` without tracing it (after every epoch, for each probe); with attention,
        the whole traced prediction (the decoder's attention needs its greedy decoding)."""
        translator = cast(Translator, run.model)
        if translator.model.cfg.attention:
            return super().inside(run, text)
        ids, rows, marks = read(translator.source, text)
        real = rows[: sum(m is not Mark.PAD for m in marks)]
        embedded = translator.model.embedding(ids.to(translator.model.embedding.weight.device))[0]  # (S, E)
        return {"encoder_gates": _encoder_gates(translator, embedded, real, marks)}

    def word_table(self, model: nn.Module) -> tuple[torch.Tensor, list[str]]:
        translator = cast(Translator, model)
        return translator.model.embedding.weight, translator.source.vocab.itos

    def answer(self, model: nn.Module, inputs: list[str]) -> list[str]:
        translator = cast(Translator, model)
        ids = translator(inputs, stop_at_eos=True)  # (N, T)
        return [" ".join(t for t in translator.target_vocab.decode(row) if t not in (EOS, PAD)) for row in ids.tolist()]

    def prepare(self, settings: Seq2SeqSettings, data: ParallelCorpus | None = None, device: str = "cpu"
                ) -> Prepared:
        data = data if data is not None else generate(settings.samples, settings.seed)
        train, val = data.split(0.2, settings.seed)
        source = TextPipeline(Vocabulary.build((tokenize(s) for s in train.sources), max_size=MAX_VOCAB), MAX_LEN)
        target_vocab = Vocabulary([SOS, EOS, *sorted({t for s in train.targets for t in tokenize(s)})])
        cfg = Seq2SeqConfig(len(source.vocab), len(target_vocab), sos_id=target_vocab.stoi[SOS],
                            eos_id=target_vocab.stoi[EOS], embed_dim=settings.embed_dim,
                            hidden_dim=settings.hidden_dim, attention=settings.attention, max_len=MAX_LEN)
        with seeded(settings.seed):
            translator = Translator(source, Seq2Seq(cfg), target_vocab).to(device)
        train_t, val_t = [tuple(x.to(device) for x in (source(d.sources), *encode_targets(target_vocab, d.targets)))
                          for d in (train, val)]
        info = {"pairs": len(data), "train_size": len(train), "val_size": len(val), "max_len": MAX_LEN,
                "source_vocab_size": len(source.vocab), "target_vocab_size": len(target_vocab),
                "target_vocab": target_vocab.itos, "attention": settings.attention,
                "sample_pairs": [list(p) for p in data.pairs()[:SAMPLE_PAIRS]]}
        chance = 1 / (len(target_vocab) - 3)  # <pad>, <unk> and <sos> are never the right answer
        return Prepared(translator, translator.model, train_t, val_t, data.sources, chance, info, val.pairs(),
                        extra={"val": val})

    def finish(self, prepared: Prepared) -> dict:
        val = prepared.extra["val"]
        translator = cast(Translator, prepared.model)
        return {"val_greedy_exact_match": greedy_exact_match(translator, val.sources, val.targets)}

    def predict(self, run: LessonRun[Seq2SeqSettings], text: str) -> Prediction:
        self.check_input(text)
        max_len = run.info["max_len"]
        translator = cast(Translator, run.model)
        _, t = traced_forward(translator, [text], stop_at_eos=True)
        stage, hidden = self.content.stage, translator.model.cfg.hidden_dim
        tokens = t[At.TOKENIZE].words
        source = token_view("source", stage("source").title, stage("source").description, tokens,
                            t[At.ENCODE].tensor.tolist(), t[At.ENCODE].output_shape)
        notes = unknown_words_note(tokens, source.marks, "None of the words are known, so the translation is a "
                                   "guess.") + dropped_tokens_note(tokens, t[At.TOKENIZE].output_shape[1] or 0, max_len)
        source = replace(source, notes=tuple(notes))
        rows, marks = source.tokens, source.marks
        real = rows[: sum(m is not Mark.PAD for m in marks)]
        steps, out_ids, out_probs = _decoder_steps(t, translator.target_vocab, len(real))
        out_tokens = translator.target_vocab.decode(out_ids)
        output = " ".join(tok for tok in out_tokens if tok != EOS)
        out_marks = tuple(_mark(tok) for tok in out_tokens)
        last = real[-1] if real else PAD
        layers: list[View] = [
            source,
            MatrixView(key="embedding", title=stage("embedding").title, description=stage("embedding").description,
                       shape=tuple(t[At.EMBED].output_shape), dims=("sentence", "position", "embedding feature"),
                       stage="embedding", values=matrix(t[At.EMBED].tensor.tolist()), rows=rows, row_marks=marks,
                       col_title="embedding feature"),
            encoder_gates := _encoder_gates(translator, t[At.EMBED].tensor, real, marks),
            VectorView(key="encoder", title="Context vector: the encoder's last memory",
                       description=f"{stage('encoder').description} It equals the h row for “{last}” on the stage "
                                   "before.", shape=tuple(t[At.ENCODER].output_shape), dims=("sentence", "hidden unit"),
                       stage="encoder", values=tuple(t[At.ENCODER].tensor.tolist()),
                       origin=f"the encoder's memory after “{last}”, the last source word"),
            DecoderStepsView(key="decoder", title=stage("decoder").title, description=_steps_text(hidden),
                             shape=tuple(t[At.DECODER].output_shape), dims=("sentence", "step", "target token"),
                             stage="decoder", steps=tuple(steps), source=tuple(real)),
            gates_view("decoder_gates", "Decoder LSTM, step by step: gates and memory",
                       GATES_TEXT + " The decoder starts from the encoder's last memory (the context).",
                       translator.model.decoder.lstm, _decoder_inputs(t), [s.input for s in steps],
                       [Mark.SOS if s.step == 1 else Mark.WORD for s in steps], state=_context(encoder_gates),
                       stage="decoder", step_name="step"),
        ]
        if translator.model.cfg.attention:
            layers.append(AttentionView(key="attention", title="Attention: where each output token looked",
                                        description=_ATTENTION_TEXT, shape=(1, len(steps), max_len),
                                        dims=("head", "output token", "source position"), stage="decoder",
                                        rows=tuple(out_tokens), cols=tuple(real), row_marks=out_marks,
                                        col_marks=marks[: len(real)],
                                        weights=(tuple(s.attention or () for s in steps),)))
        layers.append(TokensView(key="output", title=f"{stage('output').title}: the answer",
                                 description=stage("output").description, shape=tuple(t[At.TOKENS].output_shape),
                                 dims=("sentence", "step"), stage="output", ids=tuple(out_ids),
                                 tokens=tuple(out_tokens), marks=out_marks, probs=tuple(out_probs)))
        coverage = coverage_note(text)
        if EOS not in out_tokens:
            notes.append(f"No <eos> within {max_len} steps: decoding stopped at the maximum length.")
        # Confidence in the whole translation: the product of the chosen token's probability at each step.
        return Prediction(text=text, output=output, confidence=math.prod(out_probs),
                          layers=with_space(layers, run, rows),
                          notes=tuple(notes + ([coverage] if coverage else [])), expected=translate(text))


_ATTENTION_TEXT = ("One row per output token: how much the decoder looked at each source word when it chose "
                   "that token. Each row sums to 1; padding positions get exactly 0 and are left out.")


def _steps_text(hidden_dim: int) -> str:
    return ("The decoder writes one token per step. It starts from the context with <sos> as its input; "
            f"after that its input is the token it chose one step before. Each step shows the {TOP_K} most likely "
            "next tokens and the one it took (always the most likely: greedy decoding) and, with attention, how "
            f"much it looked at each source word. Its memory ({hidden_dim} numbers) is the stage after the steps. "
            "It stops after <eos>.")


def _decoder_steps(t: Trace, vocab: Vocabulary, n_source: int) -> tuple[list[DecoderStep], list[int], list[float]]:
    """One step per generated token, from the per-step calls; the chosen ids and their probabilities."""
    probs = t[At.SOFTMAX].tensor.tolist()  # (T, V): the first (only) example
    chosen = t[At.TOKENS].tensor.tolist()[: len(probs)]
    lstm_calls, attention = t.calls(At.DECODER_LSTM), t.calls(At.ATTENTION)
    steps, previous = [], SOS
    for i, (row, token) in enumerate(zip(probs, chosen, strict=True)):
        top = sorted(range(len(row)), key=row.__getitem__, reverse=True)[:TOP_K]  # ties keep their order
        steps.append(DecoderStep(step=i + 1, input=previous, hidden=tuple(lstm_calls[i].tensor.flatten()[:HIDDEN_SAMPLE]
                                                                           .tolist()),
                                 top=tuple((vocab.itos[j], row[j]) for j in top), chosen=vocab.itos[token],
                                 attention=tuple(attention[i].tensor.flatten()[:n_source].tolist()) if attention
                                 else None))
        previous = vocab.itos[token]
    return steps, chosen, [row[token] for row, token in zip(probs, chosen, strict=True)]


def _encoder_gates(translator: Translator, embedded: torch.Tensor, real: Sequence[str], marks: Sequence[Mark]
                   ) -> LSTMGatesView:
    """The encoder LSTM word by word over the real source words, from what it read (``embedded``, (S, E))."""
    return gates_view("encoder_gates", "Encoder LSTM, word by word: gates and memory", GATES_TEXT,
                      translator.model.encoder.lstm, embedded, real, marks, stage="encoder")


def _context(encoder: LSTMGatesView) -> tuple[torch.Tensor, torch.Tensor]:
    """The decoder's first state: the encoder's hidden and cell state after the last real word, (1, 1, H) each."""
    return torch.tensor(encoder.h[-1])[None, None], torch.tensor(encoder.c[-1])[None, None]


def _decoder_inputs(t: Trace) -> torch.Tensor:
    """(T, E): what the decoder LSTM read at each step (its embedding of the token before), from the trace."""
    return torch.cat([r.tensor.reshape(1, -1) for r in t.calls(At.DECODER_EMBED)])


def _mark(token: str) -> Mark:
    return {EOS: Mark.EOS, SOS: Mark.SOS, PAD: Mark.PAD, UNK: Mark.UNK}.get(token, Mark.WORD)
