"""Text from the data files that reports show to people (statements, topics, how a conflict is
handled): words only. A fact id or other snake_case identifier in such text reaches the reader
verbatim, so loading refuses it; facts are cited in their own fields instead."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

# A snake_case identifier (a fact id, a column name), not part of a path or a file name.
MACHINE_ID = re.compile(r"(?<![/\w.-])[a-z0-9]+(?:_[a-z0-9]+)+(?![\w/]|\.(?:yaml|csv|json))")


def machine_ids(text: str) -> list[str]:
    """The snake_case identifiers in a text, in order."""
    return [m.group(0) for m in MACHINE_ID.finditer(text)]


def _words_only(text: str) -> str:
    found = machine_ids(text)
    if found:
        raise ValueError(
            f"text shown to readers names the identifier {', '.join(found)}: say it in words "
            "(cite a fact in its own field)"
        )
    return text


Prose = Annotated[str, Field(min_length=1), AfterValidator(_words_only)]
