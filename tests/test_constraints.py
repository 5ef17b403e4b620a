"""A fresh install gets the versions the suite passed with: constraints.txt pins them all."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([0-9][A-Za-z0-9_.!-]*)$")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"constraints.txt: {line!r} is not an exact name==version pin"
        pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def test_every_dependency_of_the_project_and_its_dev_extra_is_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = _pins()
    missing = sorted({_name(r) for r in wanted} - set(pins))
    assert not missing, f"not pinned in constraints.txt (run .ci/refresh-constraints): {missing}"
    assert project["name"] not in pins  # installed editable from the checkout, never pinned
    assert "+" not in pins["torch"]  # a local label (+cpu) would tie the file to one index


def test_the_readme_and_ci_install_with_the_constraints() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for text in (readme, ci):
        assert re.search(r'pip install (-q )?-c constraints\.txt -e "\.\[dev\]"', text)
        assert re.search(r"pip install (-q )?-c constraints\.txt torch==", text)
    assert ".ci/refresh-constraints" in readme
    assert (ROOT / ".ci" / "refresh-constraints").stat().st_mode & 0o111
