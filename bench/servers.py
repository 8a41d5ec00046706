"""What the benchmarks that start a Streamlit server share: a free port on 127.0.0.1, waiting for its
health check, and stopping it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, process: subprocess.Popen | None = None, timeout: float = 180) -> None:
    """Return once the server on ``port`` answers its health check; stop the benchmark if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the server on port {port} did not answer its health check within {timeout:g} s")


def stop(process: subprocess.Popen) -> None:
    """Terminate the server, and kill it if it has not ended 20 s later."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc; 0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_quiet(pid: int, busy: float = 0.05, timeout: float = 90) -> float:
    """Wait until the server has used less than ``busy`` of a core over a whole second (its warm-up done, a
    served page's work finished): a warm server is measured, not one still loading. Returns the seconds waited."""
    started = time.monotonic()
    last = process_cpu_seconds(pid)
    while time.monotonic() - started < timeout:
        time.sleep(1.0)
        now = process_cpu_seconds(pid)
        if now - last < busy:
            break
        last = now
    return time.monotonic() - started
