"""Notebook helpers, charts, findings, headlines, and the papermill report runner."""
