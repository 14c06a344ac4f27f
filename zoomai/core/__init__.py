"""Beneath every stage: errors, paths, bounded YAML/JSON and CSV readers, atomic writers, process
lifetime and locks, output formats, versions."""
