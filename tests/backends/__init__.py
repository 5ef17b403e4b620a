"""Tests of workbench.backends against the Ollama-API test server."""
