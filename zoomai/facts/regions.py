"""Hosting-region codes (data/hosting_regions.yaml): what --region and a tenant's region may be."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from zoomai.core.paths import data_file
from zoomai.core.yamlio import load_model


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Z]{2}$")
    name: str


class RegionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regions: list[Region] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)


def hosting_regions(path: Path | None = None) -> dict[str, str]:
    """Region code -> name, in the file's order."""
    return dict(_load(Path(path) if path else data_file("hosting_regions.yaml")))


@cache
def _load(path: Path) -> tuple[tuple[str, str], ...]:
    return tuple((r.code, r.name) for r in load_model(path, RegionsFile).regions)
