"""New profile: required fields marked, no silent numeric defaults, every empty field named in
plain words, and overwrite exactly as the checkbox says."""

from __future__ import annotations

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import SHIPPED_PERSONAS, page, shown
from workbench.views.forms import profile_form_fields

SUBMIT = "FormSubmitter:profile_form-Save profile"


def open_form(app_env, empty_store, monkeypatch, tmp_path: Path) -> tuple[AppTest, Path]:
    root = tmp_path / "personas"
    shutil.copytree(SHIPPED_PERSONAS, root)
    app_env(empty_store)
    monkeypatch.setenv("WORKBENCH_PERSONAS", str(root))
    at = AppTest.from_file(page("profile"), default_timeout=60).run()
    assert not at.exception
    return at, root


def fill(at: AppTest, profile_id: str) -> None:
    for field in profile_form_fields("ed"):
        key = f"profile_ed_{field.name}"
        if field.kind == "int":
            at.number_input(key=key).set_value(7)
        else:
            widget = (at.text_area if field.kind == "long_text" else at.text_input)(key=key)
            widget.set_value(profile_id if field.name == "id" else "none")


def test_an_empty_form_names_every_required_field_in_plain_words(app_env, empty_store,
                                                                 monkeypatch, tmp_path) -> None:
    at, _ = open_form(app_env, empty_store, monkeypatch, tmp_path)
    assert at.number_input(key="profile_ed_age").value is None  # no silent 0
    assert at.number_input(key="profile_ed_pain").value is None
    assert at.text_input(key="profile_ed_id").label.endswith("\\*")
    at.button(key=SUBMIT).click().run()
    message = shown(at.error[0].value)
    required = [f.name for f in profile_form_fields("ed") if f.required]
    assert len(required) > 10 and all(f"**{name}**: required" in message
                                             for name in required)
    assert "**age**: required: type a number" in message and "pattern" not in message
    at.text_input(key="profile_ed_id").set_value("Chest Pain")
    at.button(key=SUBMIT).click().run()
    assert "**id**: use lower-case letters, digits and _ only" in shown(at.error[0].value)


def test_overwrite_is_what_the_checkbox_says(app_env, empty_store, monkeypatch,
                                             tmp_path) -> None:
    at, root = open_form(app_env, empty_store, monkeypatch, tmp_path)
    fill(at, "new_patient_01")
    at.button(key=SUBMIT).click().run()
    assert not at.error and at.success
    saved = root / "profiles" / "ed" / "new_patient_01.yaml"
    assert "age: 7" in saved.read_text()
    at.number_input(key="profile_ed_age").set_value(8)
    at.button(key=SUBMIT).click().run()
    message = shown(at.error[0].value)
    assert "already exists" in message and "allow overwriting" in message and "=True" not in message
    assert "age: 7" in saved.read_text()
    at.checkbox(key="profile_overwrite").check()
    at.button(key=SUBMIT).click().run()
    assert not at.error and "age: 8" in saved.read_text()
