"""Tests of workbench.store on real SQLite files."""
