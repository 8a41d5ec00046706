"""On a CUDA machine: the tracer's numbers equal the CPU's, and one traced forward moves its samples and
statistics to the host in ONE device-to-host copy, whatever the number of modules (no per-module sync).

    python bench/gpu_checks.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.nn.models import Seq2Seq, Seq2SeqConfig
from pipeline.trace import trace


def main() -> int:
    assert torch.cuda.is_available(), "no CUDA device"
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(20) for m in (nn.Linear(64, 64), nn.ReLU())]).eval()
    x = torch.randn(32, 64)
    with torch.no_grad(), trace(model) as on_cpu:
        model(x)
    model, x = model.cuda(), x.cuda()
    with torch.no_grad(), trace(model):  # warm up kernels and the allocator
        model(x)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as prof, torch.no_grad(), \
            trace(model) as on_gpu:
        model(x)
    torch.cuda.synchronize()
    copies = [e for e in prof.events() if "DtoH" in e.name]  # CUDA's "Memcpy DtoH (Device -> Pageable)"
    print(f"{torch.cuda.get_device_name()}: {len(on_gpu)} records, device-to-host copies during the traced "
          f"forward: {len(copies)}")
    worst = max(abs(a.stats.mean - b.stats.mean) + abs(a.stats.std - b.stats.std) for a, b in zip(on_cpu, on_gpu,
                                                                                                   strict=True))
    same = all(torch.allclose(a.sample, b.sample, atol=1e-4) for a, b in zip(on_cpu, on_gpu, strict=True))
    print(f"statistics agree with the CPU's to {worst:.2e}; samples agree: {same}; samples on: "
          f"{on_gpu[0].sample.device}")
    ok = same and worst < 1e-3 and len(copies) == 1
    # The lesson's seq2seq model with functional ops recorded too (ops on CPU tensors inside a CUDA model).
    torch.manual_seed(0)
    seq = Seq2Seq(Seq2SeqConfig(40, 14, sos_id=2, eos_id=3, embed_dim=64, hidden_dim=128, attention=True)).eval()
    ids = torch.randint(2, 40, (8, 10))
    with torch.no_grad(), trace(seq, ops=True) as on_cpu:
        seq(ids)
    seq, ids = seq.cuda(), ids.cuda()
    with torch.no_grad(), trace(seq, ops=True) as on_gpu:
        seq(ids)
    keys = [r.key for r in on_cpu] == [r.key for r in on_gpu]
    worst = max((abs(a.stats.mean - b.stats.mean) for a, b in zip(on_cpu, on_gpu, strict=True)
                 if a.stats is not None and b.stats is not None), default=0.0)
    print(f"seq2seq with ops=True: {len(on_gpu)} records, same records as on the CPU: {keys}; means agree to "
          f"{worst:.2e}")
    return 0 if ok and keys and worst < 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
