"""Watching progress in tests: a recorder of a job's step calls, and a command run with its
stderr on a pseudo-terminal, as in a shell (the CLI's bars are off when stderr is not one)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
Told = list[tuple[float, int, str]]


def recorder() -> tuple[Told, Callable[[float, int, str], None]]:
    """A list, and a step callback (``on_progress(done, total, what)``) that appends to it."""
    told: Told = []
    return told, lambda done, total, what: told.append((done, total, what))


def assert_in_order(told: Told, total: int) -> None:
    """Every call against one total, the share done never going back, within 0..total."""
    assert told and {t for _, t, _ in told} == {total}
    dones = [d for d, _, _ in told]
    assert dones == sorted(dones) and 0 <= dones[0] and dones[-1] <= total


def on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``python -m workbench ARGS`` with stderr on a pseudo-terminal (as in a shell), stdout
    piped: (exit status, stdout, what the terminal showed)."""
    main, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 250, 0, 0))
    screen: list[bytes] = []

    def read() -> None:  # drain the terminal while the command runs, so it never blocks
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the command closed its end
                return
            if not chunk:
                return
            screen.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    proc = subprocess.run([sys.executable, "-m", "workbench", *args], stdout=subprocess.PIPE,
                          stderr=follower, env=env, cwd=ROOT, timeout=600, check=False)
    os.close(follower)
    reader.join(timeout=60)
    os.close(main)
    return proc.returncode, proc.stdout.decode(), b"".join(screen).decode(errors="replace")


def cli_env(settings: Path) -> dict[str, str]:
    """The environment of a ``python -m workbench`` run from this checkout, offline, with its own
    settings file."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1",
            "WORKBENCH_SETTINGS": str(settings)}
