"""Placeholder: the `simulate` subcommand is being written."""


def register(sub) -> None:
    return None
