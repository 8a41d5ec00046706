"""Lesson: sequence to sequence -- number words -> ids -> embedding -> encoder -> decoder -> digits."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.data.number_words import ParallelCorpus, generate, translate
from pipeline.lessons.base import (
    PREDICTION_SAMPLE,
    Lesson,
    LessonRun,
    Prediction,
    PredictionLayer,
    matrix_layer,
    stage_views,
    token_marks,
    traced_forward,
    unknown_words_note,
)
from pipeline.models import Seq2Seq, Seq2SeqConfig, UntilEos
from pipeline.settings import setting
from pipeline.text import (
    MAX_LEN,
    PAD,
    PAD_ID,
    UNK,
    InputError,
    TextPipeline,
    Vocabulary,
    check_text,
    pad,
    tokenize,
)
from pipeline.trace import StageRecord
from pipeline.train import Callback, StepOutput, TrainConfig, fit, seeded

SOS, EOS = "<sos>", "<eos>"
TOP_K = 5  # candidates shown per decoder step
HIDDEN_SAMPLE = 8  # numbers of the decoder's hidden state shown per step
SAMPLE_PAIRS = 5  # corpus pairs listed, as words, in the run's info


@dataclass(frozen=True)
class Seq2SeqSettings(TrainConfig):
    """Training settings plus the data size, model widths and attention switch of this lesson."""

    lr: float = setting(0.005, 0.0001, 0.1, "Learning rate", "Adam step size.")
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
        ids = self.source(texts)  # (B, S)
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


class SequenceToSequence(Lesson):
    slug = "seq2seq"
    settings_type = Seq2SeqSettings
    content_file = Path(__file__).with_name("seq2seq.toml")
    stage_spans: ClassVar[dict[str, tuple[str, str]]] = {
        "source": ("source.normalize", "source.encode_pad"),
        "embedding": ("model.embedding", "model.embedding"),
        "encoder": ("model.encoder", "model.encoder"),
        "decoder": ("model.decoder", "model.decoder"),
        "output": ("softmax", "tokens"),
    }

    def run(self, settings: Seq2SeqSettings, callbacks: Sequence[Callback] = (),
            data: ParallelCorpus | None = None) -> LessonRun:
        data = data if data is not None else generate(settings.samples, settings.seed)
        train, val = data.split(0.2, settings.seed)
        source = TextPipeline(Vocabulary.build(tokenize(s) for s in train.sources), MAX_LEN)
        target_vocab = Vocabulary([SOS, EOS, *sorted({t for s in train.targets for t in tokenize(s)})])
        cfg = Seq2SeqConfig(len(source.vocab), len(target_vocab), sos_id=target_vocab.stoi[SOS],
                            eos_id=target_vocab.stoi[EOS], embed_dim=settings.embed_dim,
                            hidden_dim=settings.hidden_dim, attention=settings.attention, max_len=MAX_LEN)
        with seeded(settings.seed):
            translator = Translator(source, Seq2Seq(cfg), target_vocab)
        tensors = [(source(d.sources), *encode_targets(target_vocab, d.targets)) for d in (train, val)]
        chance = 1 / (len(target_vocab) - 3)  # <pad>, <unk> and <sos> are never the right answer
        history = fit(translator.model, seq2seq_step, *tensors, settings, callbacks, chance=chance)
        _, records = traced_forward(translator, data.sources)  # the whole corpus, one pass, after training
        info = {"pairs": len(data), "train_size": len(train), "val_size": len(val), "max_len": MAX_LEN,
                "source_vocab_size": len(source.vocab), "target_vocab_size": len(target_vocab),
                "target_vocab": target_vocab.itos, "attention": settings.attention,
                "sample_pairs": [list(p) for p in data.pairs()[:SAMPLE_PAIRS]],
                "val_greedy_exact_match": greedy_exact_match(translator, val.sources, val.targets)}
        return LessonRun(self.slug, settings, stage_views(records, self.stage_spans, self.content), history,
                         translator, info, val.pairs())

    def check_input(self, text: str) -> str:
        check_text(text)
        n_tokens = len(tokenize(text))
        if n_tokens > MAX_LEN:  # a cut-off number would be a different number: refuse rather than truncate
            raise InputError(f"The source has {n_tokens} tokens; this model reads at most {MAX_LEN}. "
                             "Type a shorter one, such as “two thousand and five”.")
        return text

    def predict(self, run: LessonRun, text: str) -> Prediction:
        self.check_input(text)
        max_len = run.info["max_len"]
        translator: Translator = run.model
        _, records = traced_forward(translator, [text], stop_at_eos=True, sample_size=PREDICTION_SAMPLE)
        calls: dict[str, list[StageRecord]] = defaultdict(list)
        for r in records:
            calls[r.name].append(r)
        rec = {name: rs[0] for name, rs in calls.items()}
        tokens, ids = rec["source.tokenize"].sample, rec["source.encode_pad"].sample
        labels, marks = token_marks(tokens, ids)
        real = labels[: sum(m != "pad" for m in marks)]
        steps, out_ids, out_probs = _decoder_steps(rec, calls, translator.target_vocab, len(real))
        out_tokens = translator.target_vocab.decode(out_ids)
        output = " ".join(t for t in out_tokens if t != EOS)
        unknown = unknown_words_note(tokens, marks, "None of the words are known, so the translation is a guess.")
        stage, hidden = self.content.stage, translator.model.cfg.hidden_dim
        layers = [
            PredictionLayer("source", stage("source").title, stage("source").description, "tokens",
                            rec["source.encode_pad"].output_shape, ids, labels, marks=marks, notes=unknown),
            matrix_layer("embedding", stage("embedding").title, stage("embedding").description,
                    rec["model.embedding"], labels, marks),
            matrix_layer("encoder_states", "Encoder state at every position",
                    f"The encoder LSTM's {hidden} numbers after reading each source word. It stops at the "
                    "last real word, so the rows for padding stay zero.", rec["model.encoder.unpack"], labels,
                    marks),
            PredictionLayer("encoder", stage("encoder").title,
                            f"{stage('encoder').description} It equals the row for “{real[-1]}” above.",
                            "vector", rec["model.encoder"].output_shape, rec["model.encoder"].sample),
            PredictionLayer("decoder", stage("decoder").title, _steps_text(hidden), "decoder_steps",
                            rec["model.decoder"].output_shape, steps, col_labels=real),
        ]
        out_marks = [_mark(t) for t in out_tokens]
        if translator.model.cfg.attention:
            layers.append(PredictionLayer("attention", "Attention weights", _ATTENTION_TEXT, "matrix",
                                          [1, len(steps), max_len], [s["attention"] for s in steps],
                                          out_tokens, real, out_marks))
        layers.append(PredictionLayer("output", stage("output").title, stage("output").description, "tokens",
                                      rec["tokens"].output_shape, out_ids, out_tokens, marks=out_marks))
        notes = unknown + _output_notes(text, out_tokens, output, max_len)
        # Confidence in the whole translation: the product of the chosen token's probability at each step.
        return Prediction(text, output, math.prod(out_probs), layers, notes)


_ATTENTION_TEXT = ("One row per output token: how much the decoder looked at each source word when it chose "
                   "that token. Each row sums to 1; padding positions get exactly 0 and are left out.")


def _steps_text(hidden_dim: int) -> str:
    return ("The decoder writes one token per step. It starts from the context with <sos> as its input; "
            "after that its input is the token it chose one step before. Each row shows the input, the first "
            f"{min(HIDDEN_SAMPLE, hidden_dim)} of the {hidden_dim} numbers in its memory, the {TOP_K} most "
            "likely next tokens and the one it took (always the most likely: greedy decoding). It stops "
            "after <eos>.")


def _decoder_steps(rec: dict[str, StageRecord], calls: dict[str, list[StageRecord]], vocab: Vocabulary,
                   n_source: int) -> tuple[list[dict], list[int], list[float]]:
    """One dict per generated token, from the per-step records; the chosen ids and their probabilities."""
    n_steps, v = rec["softmax"].sample_shape[-2:]
    probs = [rec["softmax"].sample[t * v : (t + 1) * v] for t in range(n_steps)]
    chosen = rec["tokens"].sample[:n_steps]
    attention = calls.get("model.decoder.attention.softmax", [])
    steps, previous = [], SOS
    for t in range(n_steps):
        top = sorted(range(v), key=lambda i, row=probs[t]: -row[i])[:TOP_K]
        steps.append({"step": t + 1, "input": previous,
                      "hidden": calls["model.decoder.lstm"][t].sample[:HIDDEN_SAMPLE],
                      "top": [[vocab.itos[i], probs[t][i]] for i in top],
                      "chosen": vocab.itos[chosen[t]],
                      "attention": attention[t].sample[:n_source] if attention else None})
        previous = vocab.itos[chosen[t]]
    return steps, chosen, [probs[t][chosen[t]] for t in range(n_steps)]


def _mark(token: str) -> str:
    return {EOS: "eos", SOS: "sos", PAD: "pad", UNK: "unk"}.get(token, "word")


def _output_notes(text: str, out_tokens: list[str], output: str, max_len: int) -> list[str]:
    notes = []
    if EOS not in out_tokens:
        notes.append(f"No <eos> within {max_len} steps: decoding stopped at the maximum length.")
    expected = translate(text)
    if expected is not None:
        verdict = "the model got it right" if expected == output else f"the model wrote “{output}”"
        notes.append(f"The right answer is “{expected}”: {verdict}.")
    return notes
