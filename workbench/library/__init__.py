"""The persona library under ``personas/``: YAML and Jinja2 files → checked domain objects.

This package is the one place that knows the files' layout (see ``docs/ARCHITECTURE_NOTES.md``)::

    from workbench.library import Library
    library = Library()                      # root from settings (personas_dir)
    prompts = library.render("ed_mi_01-plain-B-high-normal")
    issues = library.validate()              # [] when every file and reference holds
"""

from workbench.library.grid import DESIGNS, Design, default_persona_id
from workbench.library.issues import Issue, LibraryError, LibraryLookupError, ValidationReport
from workbench.library.persona_library import Library, validate
from workbench.library.reader import Profile
from workbench.library.scripts import Script

__all__ = [
    "DESIGNS",
    "Design",
    "Issue",
    "Library",
    "LibraryError",
    "LibraryLookupError",
    "Profile",
    "Script",
    "ValidationReport",
    "default_persona_id",
    "validate",
]
