"""Placeholder: the `importer` subcommand is being written."""


def register(sub) -> None:
    return None
