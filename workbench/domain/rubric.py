"""Rubrics: typed annotation items, scoped to a conversation or a turn.

A rubric is data under ``personas/rubrics/``. Its items are ratings (an integer scale with a
labelled anchor on every point), single labels, multi-labels, free text or span labels (phrases of
a turn tagged from a label set). Each item is about the
whole conversation or about one turn, and a turn item may apply only to patient or only to
clinician turns. A rubric may also carry ``axis_items``: a template from which one rating item per
persona axis is generated, so adding an axis to the library adds its fidelity item with no code
change.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workbench.domain.axes import Axis
from workbench.domain.spans import parse_spans
from workbench.domain.transcript import Role

Scope = Literal["conversation", "turn"]
"""What an item is about: the whole conversation or one turn."""
Measurement = Literal["nominal", "ordinal"]
"""Level of measurement an agreement statistic should assume for an item's values."""

ID_PATTERN = r"^[a-z0-9_]+$"
AXIS_FIELDS = ("axis", "axis_label", "axis_description")
"""Placeholders every text of ``axis_items`` may use."""
LEVEL_FIELDS = ("level", "level_label", "level_description")
"""Placeholders only ``axis_items.help`` may use: the help is where an item names the intended
level (left empty when no level is given)."""


class _ItemBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(pattern=ID_PATTERN)
    """Item id, unique within the rubric (stored on every annotation value)."""
    label: str = Field(min_length=1)
    """Short name shown to the annotator."""
    question: str = ""
    """What the annotator is asked, in full."""
    help: str = ""
    """Guidance shown beside the item (hidden in blind mode when it reveals the persona)."""
    scope: Scope = "conversation"
    """``conversation``: one value per conversation; ``turn``: one value per turn."""
    speaker: Role | None = None
    """For turn items: only turns of this side (``patient`` or ``clinician``); None for both."""
    scenarios: tuple[str, ...] = ()
    """Scenario ids the item applies to; empty for every scenario."""
    required: bool = False
    """Whether a submission needs a value for this item."""

    @model_validator(mode="after")
    def _speaker_needs_turn_scope(self) -> _ItemBase:
        if self.speaker is not None and self.scope != "turn":
            raise ValueError("speaker applies only to items with scope: turn")
        return self

    def applies_to(self, role: Role | None = None, scenario: str | None = None) -> bool:
        """Whether the item is asked for a turn of ``role`` (None: the conversation) in
        ``scenario`` (None: any)."""
        if scenario is not None and self.scenarios and scenario not in self.scenarios:
            return False
        if role is None:
            return self.scope == "conversation"
        return self.scope == "turn" and (self.speaker is None or self.speaker == role)


class RatingItem(_ItemBase):
    """A rating on an integer scale with a labelled anchor on every point."""

    type: Literal["rating"] = "rating"
    """Item type."""
    scale: tuple[int, int]
    """Lowest and highest point, e.g. ``[1, 4]``."""
    anchors: dict[int, str]
    """Point → what it means; every point of the scale has one."""

    @model_validator(mode="after")
    def _anchor_every_point(self) -> RatingItem:
        low, high = self.scale
        if low >= high:
            raise ValueError(f"scale must go from a lower to a higher point, got [{low}, {high}]")
        check_anchors(self.anchors, low, high)
        return self

    @property
    def points(self) -> tuple[int, ...]:
        """Every point of the scale, low to high."""
        return tuple(range(self.scale[0], self.scale[1] + 1))

    @property
    def measurement(self) -> Measurement:
        """Ratings are ordinal."""
        return "ordinal"

    def check_value(self, value: Any) -> str | None:
        """Why ``value`` is not a valid rating, or None."""
        if isinstance(value, bool) or not isinstance(value, int):
            return f"item {self.id!r} takes a whole number, got {value!r}"
        if value not in self.points:
            return f"item {self.id!r} takes {self.scale[0]}–{self.scale[1]}, got {value}"
        return None


class Choice(BaseModel):
    """One option of a label or multi-label item."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(pattern=ID_PATTERN)
    """Value stored when chosen."""
    label: str = Field(min_length=1)
    """What the annotator sees."""
    description: str = ""
    """When to choose it."""


class _ChoiceItem(_ItemBase):
    choices: tuple[Choice, ...] = Field(min_length=2)
    """The options, in the order shown."""

    @field_validator("choices")
    @classmethod
    def _unique_choices(cls, choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
        ids = [c.id for c in choices]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate choice ids: {', '.join(dupes)}")
        return choices

    @property
    def choice_ids(self) -> tuple[str, ...]:
        """Choice ids in order."""
        return tuple(c.id for c in self.choices)

    @property
    def measurement(self) -> Measurement:
        """Labels are nominal."""
        return "nominal"


class LabelItem(_ChoiceItem):
    """Exactly one of a set of labels."""

    type: Literal["label"] = "label"
    """Item type."""

    def check_value(self, value: Any) -> str | None:
        """Why ``value`` is not one of the choices, or None."""
        if value not in self.choice_ids:
            return f"item {self.id!r} takes one of {', '.join(self.choice_ids)}; got {value!r}"
        return None


class MultiLabelItem(_ChoiceItem):
    """Any number of a set of labels (none chosen is a valid answer)."""

    type: Literal["multi_label"] = "multi_label"
    """Item type."""

    def check_value(self, value: Any) -> str | None:
        """Why ``value`` is not a list of distinct choices, or None."""
        if not isinstance(value, list) or len(set(map(str, value))) != len(value):
            return f"item {self.id!r} takes a list of distinct labels, got {value!r}"
        unknown = [v for v in value if v not in self.choice_ids]
        if unknown:
            return (
                f"item {self.id!r}: unknown label(s) {', '.join(map(repr, unknown))}; "
                f"valid: {', '.join(self.choice_ids)}"
            )
        return None


class TextItem(_ItemBase):
    """Free text."""

    type: Literal["text"] = "text"
    """Item type."""
    max_chars: int | None = Field(default=None, ge=1)
    """Optional length limit."""

    @property
    def measurement(self) -> None:
        """Free text has no agreement statistic."""
        return None

    def check_value(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable text, or None."""
        if not isinstance(value, str):
            return f"item {self.id!r} takes text, got {value!r}"
        if self.max_chars is not None and len(value) > self.max_chars:
            return f"item {self.id!r} takes at most {self.max_chars} characters, got {len(value)}"
        return None


class SpanItem(_ChoiceItem):
    """Phrases of a turn, each tagged with one label of ``choices`` (Label Studio's span labels).

    The value is a list of spans (see :mod:`workbench.domain.spans`); an empty list means the
    annotator found nothing to tag. Span items are always about one turn.
    """

    type: Literal["span"] = "span"
    """Item type."""
    scope: Scope = "turn"
    """Always ``turn``: a span quotes one turn."""
    choices: tuple[Choice, ...] = Field(min_length=1)
    """The label set (one label is enough)."""

    @model_validator(mode="after")
    def _spans_are_turn_items(self) -> SpanItem:
        if self.scope != "turn":
            raise ValueError("span items quote a turn: give them scope: turn")
        return self

    @property
    def measurement(self) -> None:
        """Span sets have no agreement statistic here (adjudicated side by side instead)."""
        return None

    def check_value(self, value: Any) -> str | None:
        """Why ``value`` is not a list of spans with known labels, or None (the offsets are
        checked against the turn text by :func:`workbench.domain.spans.check_spans`)."""
        spans, why = parse_spans(value)
        if why:
            return f"item {self.id!r} {why}"
        unknown = sorted({s.label for s in spans} - set(self.choice_ids))
        if unknown:
            return (f"item {self.id!r}: unknown label(s) {', '.join(map(repr, unknown))}; "
                    f"valid: {', '.join(self.choice_ids)}")
        return None


Item = Annotated[
    RatingItem | LabelItem | MultiLabelItem | TextItem | SpanItem, Field(discriminator="type")
]
"""Any rubric item (chosen by its ``type``)."""
AnyItem = RatingItem | LabelItem | MultiLabelItem | TextItem | SpanItem
"""Any rubric item, for annotations (without the discriminator)."""
ITEM_TYPES: dict[str, type[_ItemBase]] = {
    "rating": RatingItem,
    "label": LabelItem,
    "multi_label": MultiLabelItem,
    "text": TextItem,
    "span": SpanItem,
}
"""Item type → model."""


class AxisItems(BaseModel):
    """Template of the per-axis rating items a persona's axes generate.

    Texts are Python format strings. ``label``, ``question`` and ``help`` may use ``{axis}``,
    ``{axis_label}`` and ``{axis_description}``; ``help`` may also use ``{level}``,
    ``{level_label}`` and ``{level_description}`` (the intended level): the item's help is
    the one place a level is named, so generating items without levels leaves it empty.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id_prefix: str = Field(default="axis_", pattern=r"^[a-z0-9_]*$")
    """Generated item ids are this prefix followed by the axis id."""
    label: str = "{axis_label}"
    """Label of each generated item."""
    question: str
    """Question of each generated item."""
    help: str = ""
    """Guidance of each generated item (may name the intended level)."""
    scale: tuple[int, int]
    """Lowest and highest point."""
    anchors: dict[int, str]
    """Point → meaning (may use the axis placeholders)."""
    required: bool = False
    """Whether a submission needs each generated item."""

    @model_validator(mode="after")
    def _check(self) -> AxisItems:
        low, high = self.scale
        if low >= high:
            raise ValueError(f"scale must go from a lower to a higher point, got [{low}, {high}]")
        check_anchors(self.anchors, low, high)
        return self

    @field_validator("label", "question")
    @classmethod
    def _axis_placeholders(cls, text: str) -> str:
        check_placeholders(text, AXIS_FIELDS)
        return text

    @field_validator("help")
    @classmethod
    def _help_placeholders(cls, text: str) -> str:
        check_placeholders(text, AXIS_FIELDS + LEVEL_FIELDS)
        return text

    @field_validator("anchors")
    @classmethod
    def _anchor_placeholders(cls, anchors: dict[int, str]) -> dict[int, str]:
        for text in anchors.values():
            check_placeholders(text, AXIS_FIELDS)
        return anchors

    def item_for(self, axis: Axis, level_id: str | None = None) -> RatingItem:
        """The rating item of one axis; with ``level_id``, its help names the intended level."""
        fields = {"axis": axis.id, "axis_label": axis.label, "axis_description": axis.description}
        help_text = ""
        if level_id is not None:
            level = axis.level(level_id)
            help_text = self.help.format(
                **fields,
                level=level.id,
                level_label=level.label,
                level_description=level.description.strip(),
            )
        return RatingItem(
            id=f"{self.id_prefix}{axis.id}",
            label=self.label.format(**fields),
            question=self.question.format(**fields),
            help=help_text,
            scope="conversation",
            scale=self.scale,
            anchors={point: text.format(**fields) for point, text in self.anchors.items()},
            required=self.required,
        )


class Rubric(BaseModel):
    """A named set of annotation items (``personas/rubrics/<id>.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(pattern=ID_PATTERN)
    """Rubric id (the file stem); scenarios name it as ``default_rubric``."""
    label: str = Field(min_length=1)
    """Human name."""
    description: str = ""
    """What the rubric measures and where it comes from."""
    axis_items: AxisItems | None = None
    """When set, one rating item per axis of the persona is generated before ``items``."""
    items: tuple[Item, ...] = ()
    """The fixed items, in the order shown."""

    @model_validator(mode="after")
    def _check_items(self) -> Rubric:
        if not self.items and self.axis_items is None:
            raise ValueError("a rubric needs items, axis_items or both")
        problems = item_id_problems(
            [item.id for item in self.items],
            self.axis_items.id_prefix if self.axis_items else None,
        )
        if problems:
            raise ValueError(problems[0][1])
        return self

    def items_for(
        self,
        axes: Iterable[Axis] = (),
        levels: Mapping[str, str] | None = None,
        scenario: str | None = None,
    ) -> list[AnyItem]:
        """Every item a conversation is annotated with.

        Args:
            axes: the persona's axes (generate one fidelity item each when the rubric has
                ``axis_items``).
            levels: the persona's axis → level, to name the intended level in each generated
                item's help; None leaves the help empty.
            scenario: keep only items that apply to this scenario (None: all).
        """
        generated: list[AnyItem] = []
        if self.axis_items is not None:
            for axis in axes:
                level = levels.get(axis.id) if levels is not None else None
                generated.append(self.axis_items.item_for(axis, level))
        fixed = [
            item
            for item in self.items
            if scenario is None or not item.scenarios or scenario in item.scenarios
        ]
        return generated + fixed

    def item(self, item_id: str, axes: Iterable[Axis] = ()) -> AnyItem:
        """The item with this id (generated axis items included when ``axes`` are given).

        Raises:
            KeyError: naming the valid item ids.
        """
        items = self.items_for(axes)
        for item in items:
            if item.id == item_id:
                return item
        raise KeyError(
            f"rubric {self.id!r} has no item {item_id!r}; valid: "
            + ", ".join(i.id for i in items)
        )


def check_anchors(anchors: Mapping[int, str], low: int, high: int) -> None:
    """Every point from ``low`` to ``high`` has a non-blank anchor, and no other point has one.

    Raises:
        ValueError: naming the missing, extra or blank points.
    """
    points = set(range(low, high + 1))
    missing = sorted(points - set(anchors))
    extra = sorted(set(anchors) - points)
    if missing:
        raise ValueError(
            f"every point of the scale {low}–{high} needs an anchor; missing: "
            + ", ".join(map(str, missing))
        )
    if extra:
        raise ValueError(
            f"anchors outside the scale {low}–{high}: " + ", ".join(map(str, extra))
        )
    blank = sorted(p for p, text in anchors.items() if not text.strip())
    if blank:
        raise ValueError("anchors need text; blank: " + ", ".join(map(str, blank)))


def check_placeholders(text: str, allowed: tuple[str, ...]) -> None:
    """Only ``{name}`` placeholders from ``allowed`` occur in ``text``.

    Raises:
        ValueError: naming the unknown placeholder and the allowed ones.
    """
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise ValueError(f"malformed placeholder ({exc}); write {{{{ and }}}} for braces") from None
    for name in names:
        if name not in allowed:
            hint = " (level placeholders may appear only in help)" if name in LEVEL_FIELDS else ""
            raise ValueError(
                f"unknown placeholder {{{name}}}{hint}; allowed: "
                + ", ".join(f"{{{a}}}" for a in allowed)
            )


def item_id_problems(ids: list[str], axis_prefix: str | None) -> list[tuple[int, str]]:
    """Item ids given twice, or that could clash with generated axis items: (index, message)."""
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for index, item_id in enumerate(ids):
        if item_id in seen:
            problems.append((index, f"duplicate item id {item_id!r} (also item {seen[item_id]})"))
        seen.setdefault(item_id, index)
        if axis_prefix and item_id.startswith(axis_prefix):
            problems.append(
                (
                    index,
                    (
                        f"item id {item_id!r} starts with {axis_prefix!r}, which axis_items "
                        "reserves for generated per-axis items; rename it"
                    ),
                )
            )
    return problems
