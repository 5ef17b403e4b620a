"""Every deliberately broken rubric file yields the exact issue: file, line, field and message.

Each file under ``broken/`` holds one fault; the table is the specification of what a researcher
sees, in the same ``path:line: field: message`` form as the persona library's errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from workbench.library import LibraryError
from workbench.library.rubrics import load_rubrics, read_rubric, validate_rubrics

BROKEN = Path(__file__).resolve().parent / "broken"


class Case(NamedTuple):
    name: str
    line: int | None
    field: str
    fragments: tuple[str, ...]


CASES = [
    Case("malformed_yaml.yaml", 7, "",
         ("malformed YAML", "did not find expected ',' or ']'", "started on line 6")),
    Case("empty_file.yaml", None, "", ("the file is empty",)),
    Case("list_at_top.yaml", 1, "", ("expected a mapping of fields",)),
    Case("missing_anchor.yaml", 8, "items.0.anchors",
         ("every point of the scale 1–4 needs an anchor", "missing: 3")),
    Case("unknown_type.yaml", 5, "items.0.type",
         ("unknown type 'slider'", "use one of: rating, label, multi_label, text")),
    Case("missing_type.yaml", 4, "items.0.type", ("required field is missing", "rating, label")),
    Case("duplicate_item_id.yaml", 7, "items.1.id", ("duplicate item id 'note'", "also item 0")),
    Case("speaker_without_turn.yaml", 7, "items.0.speaker",
         ("speaker applies only to items with scope: turn",)),
    Case("bad_speaker.yaml", 8, "items.0.speaker", ("'patient' or 'clinician'", "got 'doctor'")),
    Case("one_choice.yaml", 8, "items.0.choices", ("needs at least 2 item(s), got 1",)),
    Case("level_in_question.yaml", 4, "axis_items.question",
         ("unknown placeholder {level_label}", "may appear only in help", "{axis_label}")),
    Case("id_mismatch.yaml", 1, "id", ("id 'fidelity' differs from the file name",)),
    Case("unknown_field.yaml", 9, "items.0.colour", ("unknown field", "allowed fields: id, label")),
    Case("no_items.yaml", None, "items", ("a rubric needs items, axis_items or both",)),
    Case("reserved_prefix.yaml", 8, "items.0.id",
         ("starts with 'axis_'", "reserves for generated per-axis items")),
    Case("inverted_scale.yaml", 7, "items.0.scale", ("from a lower to a higher point", "[4, 1]")),
]


def test_every_broken_file_has_a_case() -> None:
    on_disk = {p.name for p in BROKEN.iterdir() if p.is_file()}
    assert on_disk == {case.name for case in CASES}
    assert len(CASES) >= 8


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_rubric_reports_the_exact_issue(case: Case) -> None:
    path = BROKEN / case.name
    rubric, issues = read_rubric(path)
    assert rubric is None
    assert len(issues) == 1, "\n".join(map(str, issues))
    issue = issues[0]
    assert issue.field == case.field
    assert issue.line == case.line
    for fragment in case.fragments:
        assert fragment in issue.message
    text = str(issue)
    assert "\n" not in text
    where = f"{path}:{case.line}: " if case.line else f"{path}: "
    assert text.startswith(where)
    if case.field:
        assert f": {case.field}: " in text


def test_validate_rubrics_lists_every_file_in_reading_order() -> None:
    issues = validate_rubrics([BROKEN])
    assert [i.path.name for i in issues] == sorted(c.name for c in CASES)


def test_one_broken_file_fails_the_whole_load_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / "good.yaml").write_text(
        "id: good\nlabel: Good\nitems:\n  - {id: note, type: text, label: Note}\n"
    )
    (folder / "missing_anchor.yaml").write_text((BROKEN / "missing_anchor.yaml").read_text())
    with pytest.raises(LibraryError) as info:
        load_rubrics(tmp_path)
    message = str(info.value)
    assert message.count("\n") == 0
    assert f"{folder / 'missing_anchor.yaml'}:8: items.0.anchors: " in message
    (folder / "missing_anchor.yaml").unlink()
    assert list(load_rubrics(tmp_path)) == ["good"]
