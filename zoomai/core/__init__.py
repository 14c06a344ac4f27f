"""Beneath every stage: errors, paths, YAML and CSV readers, output formats, versions."""
