"""The test suite (a package, so tests.support imports and runs with -m)."""
