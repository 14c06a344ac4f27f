"""Placeholder: the `settings` subcommand is being written."""


def register(sub) -> None:
    return None
