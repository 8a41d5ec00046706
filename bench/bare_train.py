"""The baseline of bench/cli.py: the classification lesson's training written as a bare PyTorch script.

Same data (the lesson's generated sentences and its text pipeline), same model (Embedding(50) ->
LSTM(64) at the last real token -> Linear(3)), same seeded batches, Adam, 5 epochs, and it prints the
same validation accuracy -- with none of the product around it: no tracing, no report, no files.
"""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.data.sentiment import generate
from pipeline.data.tokens import Vocabulary, tokenize
from pipeline.nn.text import TextPipeline


class Net(nn.Module):
    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, 50, padding_idx=0)
        self.lstm = nn.LSTM(50, 64, batch_first=True)
        self.out = nn.Linear(64, 3)

    def forward(self, ids):
        states, _ = self.lstm(self.embedding(ids))
        last = ((ids != 0).sum(dim=1) - 1).clamp(min=0)
        return self.out(states[torch.arange(ids.size(0)), last])


def main() -> None:
    data = generate(1000, 0)
    train, val = data.split(0.2, 0)
    text = TextPipeline(Vocabulary.build(tokenize(t) for t in train.texts))
    x, y = text(train.texts), torch.tensor(train.labels)
    vx, vy = text(val.texts), torch.tensor(val.labels)
    torch.manual_seed(0)
    model = Net(len(text.vocab))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
    generator = torch.Generator().manual_seed(0)
    for epoch in range(5):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), 32):
            idx = order[start : start + 32]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(vx).argmax(1) == vy).float().mean().item()
        print(f"epoch {epoch + 1}: validation accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
