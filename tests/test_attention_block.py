"""The encoder block opened up: every stage's numbers are the traced ones, and they equal what PyTorch's own
``nn.MultiheadAttention`` and ``F.scaled_dot_product_attention`` compute with the same weights; the stages come in
the order the data flows, with the words on their axes."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.data.tokens import PAD_ID
from pipeline.document.views import AttentionView, Mark, PanelsView, ScoresView
from pipeline.lessons import get_lesson
from pipeline.render.describe import focus, reading

SLUG = "transformer-classification"
TEXT = "the acting was not good"
TOLERANCE = 1e-5  # float32 against float32: the same sums in another order


@pytest.fixture(scope="module")
def opened():
    torch.set_num_threads(1)
    lesson = get_lesson(SLUG)
    run = lesson.run(lesson.settings_type(epochs=1, samples=200, seed=0, d_model=32, n_heads=4, d_ff=32))
    return run, lesson.predict(run, TEXT)


def pytorch_attention(run):
    """PyTorch's nn.MultiheadAttention given block 0's weights, and what it reads: LayerNorm(the embedding)."""
    model = run.model.model
    attn, D, h = model.blocks[0].attn, model.cfg.d_model, model.cfg.n_heads
    mha = nn.MultiheadAttention(D, h, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([attn.query.weight, attn.key.weight, attn.value.weight]))
        mha.in_proj_bias.copy_(torch.cat([attn.query.bias, attn.key.bias, attn.value.bias]))
        mha.out_proj.weight.copy_(attn.proj.weight)
        mha.out_proj.bias.copy_(attn.proj.bias)
        ids = run.model.text([TEXT])  # (1, T)
        embedded = model.embed(ids)  # (1, T, D)
        x = model.blocks[0].ln1(embedded)  # (1, T, D)
    return mha.eval(), ids, embedded, x


def close(view_values, expected) -> None:
    torch.testing.assert_close(torch.as_tensor(view_values, dtype=torch.float32), expected.float(), atol=TOLERANCE,
                               rtol=0)


def test_the_stages_come_in_the_order_the_data_flows_with_the_words_on_their_axes(opened) -> None:
    _, p = opened
    keys = [v.key for v in p.layers]
    assert keys[keys.index("embedding"):] == ["embedding", "space", "qkv_1", "scores_1", "attention_1", "mix_1",
                                              "residual_1", "block_1", "pooling", "classifier"]
    for key, kind in (("qkv_1", PanelsView), ("scores_1", ScoresView), ("attention_1", AttentionView),
                      ("mix_1", PanelsView), ("residual_1", PanelsView)):
        view = p.layer(key)
        assert isinstance(view, kind) and view.rows[:5] == tuple(TEXT.split()) and view.stage == "encoder"
    assert p.layer("qkv_1").panels == ("Q · queries", "K · keys", "V · values") and p.layer("qkv_1").groups == 4


def test_q_k_v_scores_weights_and_output_equal_pytorchs_multihead_attention(opened) -> None:
    run, p = opened
    mha, ids, embedded, x = pytorch_attention(run)
    D = x.size(-1)
    h, d = 4, D // 4
    pad = ids == PAD_ID  # (1, T): the keys PyTorch masks
    with torch.no_grad():
        out, weights = mha(x, x, x, key_padding_mask=pad, need_weights=True, average_attn_weights=False)
        q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)  # (1, T, D) each
    qkv = p.layer("qkv_1")
    for panel, expected in zip(qkv.values, (q, k, v), strict=True):
        close(panel, expected[0])
    heads = [t.view(1, -1, h, d).transpose(1, 2) for t in (q, k, v)]  # (1, h, T, d)
    scores = p.layer("scores_1")
    close(scores.scores, (heads[0] @ heads[1].transpose(-2, -1) / math.sqrt(d))[0])
    assert scores.masked == tuple(pad[0].tolist()) and scores.scale == pytest.approx(math.sqrt(d))
    close(p.layer("attention_1").weights, weights[0])  # the softmax, per head, padding keys at exactly 0
    residual = p.layer("residual_1")
    close(residual.values[0], out[0])  # what attention adds: MultiheadAttention's output, projection included
    close(residual.values[1], (embedded + out)[0])  # the residual sum
    close(residual.values[2], run.model.model.blocks[0].ln2(embedded + out)[0].detach())


def test_the_weighted_sum_equals_scaled_dot_product_attention_heads_joined(opened) -> None:
    run, p = opened
    mha, ids, _, x = pytorch_attention(run)
    D = x.size(-1)
    h, d = 4, D // 4
    keep = (ids != PAD_ID)[:, None, None, :]  # (1, 1, 1, T): True where a key may be looked at
    with torch.no_grad():
        q, k, v = (t.view(1, -1, h, d).transpose(1, 2) for t in F.linear(x, mha.in_proj_weight,
                                                                          mha.in_proj_bias).chunk(3, dim=-1))
        mixed = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)  # (1, h, T, d)
    mix = p.layer("mix_1")
    close(mix.values[0], mixed.transpose(1, 2).reshape(1, -1, D)[0])
    assert mix.weights == p.layer("attention_1").weights  # the weights it mixed with, as the softmax gave them


def test_each_stage_says_its_point_and_marks_what_it_names(opened) -> None:
    _, p = opened
    words = TEXT.split()
    qkv, scores, mix, residual = (p.layer(k) for k in ("qkv_1", "scores_1", "mix_1", "residual_1"))
    q = torch.tensor(qkv.values[0])[:5].view(5, 4, -1).norm(dim=-1)  # (words, heads): each query's length
    r, g = divmod(int(q.argmax()), 4)
    assert f"The longest query is “{words[r]}”'s in head {g + 1}" in reading(qkv)
    assert focus(qkv).rows == (r,) and focus(qkv).cols == tuple(range(g * 8, g * 8 + 8))
    s = torch.tensor(scores.scores)[:, :5, :5]
    head, row, col = (int(i) for i in torch.unravel_index(s.argmax(), s.shape))
    assert reading(scores).startswith(f"The highest score: “{words[row]}” looking at “{words[col]}” in head "
                                      f"{head + 1}") and "the 5 padding keys are masked" in reading(scores)
    assert focus(scores).cells == ((row, col),) and focus(scores).head == head
    w = torch.tensor(mix.weights)[:, :5, :5]
    head, row, col = (int(i) for i in torch.unravel_index(w.argmax(), w.shape))
    assert f"“{words[row]}” takes" in reading(mix) and f"head-{head + 1} mix" in reading(mix)
    added, total = (torch.tensor(v)[:5] for v in residual.values[:2])
    ratio = added.norm(dim=-1) / (total - added).norm(dim=-1)
    assert f"it changes “{words[int(ratio.argmax())]}” most for its size" in reading(residual)
    assert residual.row_marks[5:] == (Mark.PAD,) * 5
