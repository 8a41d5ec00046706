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
    return 0 if same and worst < 1e-3 and len(copies) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
