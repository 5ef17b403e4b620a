"""`kill -9` of a real run process mid-run, then `--resume`: no turn duplicated, none missing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.simulate.conftest import assert_well_formed, six_personas, transcripts
from tests.support import OllamaTestServer
from workbench.library import Library
from workbench.simulate import execute_run
from workbench.store import Store

PROJECT = Path(__file__).resolve().parents[2]


def _workbench(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "workbench", *args, "--no-progress"],
                            cwd=PROJECT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


async def test_a_killed_run_resumes_with_no_duplicated_and_no_missing_turn(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path, library_root: Path, tmp_path: Path,
) -> None:
    server = make_server(parallel=4, latency=0.03)
    personas = six_personas(library)
    config = {"personas": personas, "samples": 2, "concurrency": 3, "max_turns": 20,
              "hosts": [server.url]}
    run_id = plan(**config)
    env = {**os.environ, "WORKBENCH_STORE": str(store_path),
           "WORKBENCH_PERSONAS": str(library_root),
           "WORKBENCH_SETTINGS": str(tmp_path / "none.json")}

    process = _workbench("run", run_id, env=env)
    deadline = time.monotonic() + 30
    with Store(store_path) as store:
        while store.run_progress(run_id).total_turns < 40:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the run did not get going"
            await asyncio.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(10)

    killed = transcripts(store_path, run_id)
    assert "running" in {c.status for c in killed}
    assert sum(len(c.turns) for c in killed) < 12 * 20
    for conv in killed:  # what was committed is a clean prefix of each conversation
        assert [t.index for t in conv.turns] == list(range(len(conv.turns)))

    resumed = _workbench("run", "--resume", run_id, env=env)
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert f"Run {run_id} done: 12 done" in out

    # The same run without a kill, in this process: the server's replies depend only on the
    # prompt, the seed and the turn number, so the transcripts must match text for text.
    reference = plan(**config)
    await execute_run(store_path, reference)
    finished = {(c.persona_id, c.seed): c for c in transcripts(store_path, run_id)}
    expected = {(c.persona_id, c.seed): c for c in transcripts(store_path, reference)}
    assert finished.keys() == expected.keys()
    for key, conv in finished.items():
        assert conv.status == "done"
        assert_well_formed(conv)
        assert [(t.role, t.text, t.state) for t in conv.turns] == [
            (t.role, t.text, t.state) for t in expected[key].turns]
