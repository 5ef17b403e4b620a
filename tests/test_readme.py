"""The README is the user's manual: every command and setting must be documented in it."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from workbench import settings
from workbench.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group: object, prefix: str) -> list[str]:
    found = []
    for name, command in getattr(group, "commands", {}).items():
        path = f"{prefix} {name}"
        found.append(path)
        found.extend(_commands(command, path))
    return found


COMMANDS = _commands(typer.main.get_command(app), "workbench")
ENV_VARS = [value for name, value in vars(settings).items() if name.startswith("ENV_")]


def test_the_cli_has_commands_to_document() -> None:
    assert {"workbench run", "workbench personas validate", "workbench demo"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"`{command}" in README or f"{command} " in README, f"README does not document `{command}`"


@pytest.mark.parametrize("variable", ENV_VARS)
def test_every_environment_variable_is_in_the_readme(variable: str) -> None:
    assert f"`{variable}`" in README, f"README does not document ${variable}"


def test_the_readme_test_command_is_what_ci_runs() -> None:
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "python -m pytest -q" in README and ci.rstrip().endswith("python -m pytest -q")
