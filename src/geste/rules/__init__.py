"""Pure rules engine: case model, safety check, bleeding risk, crisis triage policies.

This package imports nothing from Django nor from other geste packages, so that the CLI, the
API, the web pages and the benchmarks all run the very same code, fast.
"""
