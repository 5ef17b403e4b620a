"""Tests of workbench.library and `workbench personas`."""
