"""The app tests' filled store (built through the public APIs), reused here."""

from tests.app.conftest import filled_store, filled_store_template  # noqa: F401 - fixtures
