"""A library file cannot hang or crash the workbench, whatever its content: alias bombs,
recursive anchors, deep nesting and huge files are refused with the file and line, and rubric
files are schema-checked by ``validate`` like every other file.

Each check runs ``workbench personas validate`` in a child process: a hang or an interpreter
crash (libyaml's composer segfaults on deep nesting) would take pytest down with it. The
timeout is what is tested here: a bounded check finishes in well under a second.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.library.documents import UnsafeYAMLError, parse_yaml
from workbench.settings import PROJECT_ROOT

FIXTURE_LIBRARY = Path(__file__).resolve().parents[1] / "library" / "fixture_library"
RUBRICS_BROKEN = Path(__file__).resolve().parents[1] / "rubrics" / "broken"
HANG_S = 120  # far above a bounded check's time on a busy machine, far below a hang's


def _laughs(levels: int = 9, width: int = 9) -> str:
    """The classic "billion laughs": each anchor repeats the one before ``width`` times."""
    lines = ['id: x', 'l0: &l0 "lol"']
    for level in range(1, levels):
        refs = ",".join([f"*l{level - 1}"] * width)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


PAYLOADS = {
    "billion_laughs": (_laughs(), 9, "aliases"),
    "wide_bomb": ("id: x\na: &a [" + ",".join(["x"] * 200) + "]\nb: [" +
                  ",".join(["*a"] * 200) + "]\n", 2, "aliases"),
    "recursive_list": ("id: x\nloop: &me [1, *me]\n", 2, "recursive"),
    "recursive_map": ("id: x\nloop: &me\n  self: *me\n", 2, "recursive"),
    "recursive_merge": ("id: x\nloop: &me\n  <<: *me\n  y: 1\n", 2, "recursive"),
    "deep_flow": ("id: x\nv: " + "[" * 100_000 + "]" * 100_000 + "\n", 2, "nested"),
    "deep_block": ("id: x\n" + "".join(f"{' ' * i}k{i}:\n" for i in range(300)) +
                   " " * 300 + "v: 1\n", 65, "nested"),
    "huge": ("id: x\nnote: " + "a" * 2_100_000 + "\n", None, "too long"),
}
FOLDERS = ["personas/ed_consult", "axes", "rubrics", "scenarios", "profiles/ed"]


def _validate(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "workbench", "personas", "validate", "--root", str(root)],
        capture_output=True, text=True, timeout=HANG_S, env=env, cwd=PROJECT_ROOT)


@pytest.mark.parametrize(("name", "folder"), [
    (name, FOLDERS[i % len(FOLDERS)]) for i, name in enumerate(PAYLOADS)])
def test_validate_refuses_unbounded_yaml_with_file_and_line(tmp_path, name, folder):
    text, line, words = PAYLOADS[name]
    root = tmp_path / "personas"
    shutil.copytree(FIXTURE_LIBRARY, root)
    bad = root / folder / f"{name}.yaml"
    bad.write_text(text)
    result = _validate(root)
    assert result.returncode == 1, result.stdout + result.stderr
    where = f"{bad}:{line}:" if line else f"{bad}:"
    rows = [row for row in result.stdout.splitlines() if row.startswith(where)]
    assert rows and words in rows[0], result.stdout


@pytest.mark.parametrize("name", PAYLOADS)
def test_parse_refuses_before_expanding(name):
    text, line, words = PAYLOADS[name]
    with pytest.raises(UnsafeYAMLError, match=words) as caught:
        parse_yaml(text)
    if line:
        assert caught.value.problem_mark.line + 1 == line


def test_a_small_alias_still_works():
    """Anchors are allowed within bounds: the shipped library shares a trigger list that way."""
    data = parse_yaml("a: &t [you're safe, don't worry]\nb: *t\nc:\n  <<: {x: 1}\n").data
    assert data == {"a": ["you're safe", "don't worry"], "b": ["you're safe", "don't worry"],
                    "c": {"x": 1}}


@pytest.mark.parametrize("broken", ["unknown_type.yaml", "inverted_scale.yaml",
                                    "missing_anchor.yaml", "duplicate_item_id.yaml"])
def test_validate_schema_checks_rubric_files(tmp_path, broken):
    root = tmp_path / "personas"
    shutil.copytree(FIXTURE_LIBRARY, root)
    shutil.copy(RUBRICS_BROKEN / broken, root / "rubrics" / broken)
    result = _validate(root)
    assert result.returncode == 1, result.stdout
    assert any(row.startswith(f"{root / 'rubrics' / broken}:") for row in result.stdout.splitlines())
