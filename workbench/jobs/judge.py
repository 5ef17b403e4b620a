"""Judge jobs started from the app: ``workbench judge`` in a detached process, followed through
the store, cancellable.

Like a run (see :mod:`workbench.jobs.launch`), a judge job must not live inside a page script: the
Judge page starts ``python -m workbench judge --run … --rubric … --model …`` in its own session,
with its output in ``<store>.runs/<job>.log`` and its pid in ``<job>.pid``. Progress is read from
the store (conversations of the run this judge has scored on the rubric, of its done ones), so it
is right whoever started the job; a cancelled job resumes where it stopped when started again,
because the judge skips conversations it already scored.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from workbench.jobs.launch import ProcessState, process_state, run_file, runs_dir
from workbench.settings import ENV_OLLAMA_HOST, ENV_STORE, PROJECT_ROOT
from workbench.store import Store


class JudgeJob(NamedTuple):
    """One judge job: what it judges and where its files are."""

    key: str
    """``judge-<hash>``: names its log and pid files."""
    run_id: str
    rubric: str
    model: str
    """Judge model spec, e.g. ``ollama/llama3.2:3b``."""
    started: datetime
    """When the app started it (UTC)."""


def job_key(run_id: str, rubric: str, model: str) -> str:
    """The file name stem of the job judging ``run_id`` on ``rubric`` with ``model``."""
    digest = hashlib.sha256(f"{run_id}\n{rubric}\n{model}".encode()).hexdigest()[:16]
    return f"judge-{digest}"


def launch_judge(store_path: Path, run_id: str, rubric: str, model: str, *,
                 hosts: Sequence[str] = (), allow_remote: bool = False) -> JudgeJob:
    """Start ``python -m workbench judge`` detached (new session, stdin closed, output appended
    to the job's log); a daemon thread reaps it while the app lives."""
    store_path = Path(store_path).expanduser().resolve()
    runs_dir(store_path).mkdir(parents=True, exist_ok=True)
    key = job_key(run_id, rubric, model)
    command = [sys.executable, "-m", "workbench", "judge", "--no-progress", "--store",
               str(store_path), "--run", run_id, "--rubric", rubric, "--model", model]
    command += ["--allow-remote"] if allow_remote else []
    env = {**os.environ, ENV_STORE: str(store_path), "PYTHONUNBUFFERED": "1"}
    if hosts:
        env[ENV_OLLAMA_HOST] = ",".join(hosts)
    log = run_file(store_path, key, ".log")
    started = datetime.now(UTC)
    with log.open("a") as out:
        out.write(f"[{started:%Y-%m-%d %H:%M:%S} UTC] python {' '.join(command[1:])}\n")
        out.flush()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT,
                                   start_new_session=True, close_fds=True)
    run_file(store_path, key, ".pid").write_text(f"{process.pid}\n")
    threading.Thread(target=process.wait, name=f"reap-{key}", daemon=True).start()
    return JudgeJob(key, run_id, rubric, model, started)


def job_state(store_path: Path, job: JudgeJob) -> ProcessState:
    """Whether the job's process still lives."""
    return process_state(store_path, job.key, marker=job.run_id)


def cancel_judge(store_path: Path, job: JudgeJob) -> bool:
    """Stop the job's process group (values already stored stay); False when it is not alive."""
    if job_state(store_path, job) != "alive":
        return False
    pid = int(run_file(store_path, job.key, ".pid").read_text().strip())
    os.killpg(pid, signal.SIGTERM)  # its own session: the group is the job and nothing else
    return True


def job_log(store_path: Path, job: JudgeJob, lines: int = 8) -> str:
    """The last lines of the job's output ('' before it wrote any)."""
    path = run_file(store_path, job.key, ".log")
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def judge_progress(store: Store, run_id: str, rubric: str, model: str) -> tuple[int, int]:
    """(done conversations of the run this judge has scored on the rubric, done conversations)."""
    from workbench.analysis.judge import judge_annotator

    done = {t.id for t in store.conversations_of_run(run_id, ["done"])}
    scored = {a.conversation_id for a in store.annotations(annotator=judge_annotator(model))
              if a.rubric == rubric}
    return len(done & scored), len(done)
