"""Data categories: the fideslang taxonomy plus the project's documented extensions."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.models import DataCategory
from pandera.typing import Series
from pydantic import BaseModel, ConfigDict, ValidationError

from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.yamlio import load_model


class Extension(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fides_key: str
    parent_key: str
    name: str
    description: str


class ExtensionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extensions: list[Extension]


class DataCategories(pa.DataFrameModel):
    """One row per data category a feature-matrix row may name."""

    fides_key: Series[str] = pa.Field(unique=True, description="Dotted taxonomy key.")
    parent_key: Series[str] = pa.Field(nullable=True, description="Parent key; empty at the top.")
    name: Series[str] = pa.Field(description="Human-readable name.")
    description: Series[str] = pa.Field(description="What the category holds.")
    extension: Series[bool] = pa.Field(description="True for a zoomai extension, False for fideslang.")


def load_data_categories(path: Path | None = None) -> pd.DataFrame:
    """The fideslang default data categories plus the extensions in data/data_categories.yaml.

    Each extension must be a new key directly under an existing parent, and must be a valid
    fideslang DataCategory.
    """
    path = Path(path) if path else data_file("data_categories.yaml")
    return _load(path)


@cache
def _load(path: Path) -> pd.DataFrame:
    spec = load_model(path, ExtensionsFile)
    rows = [
        (c.fides_key, c.parent_key, c.name, c.description or "", False)
        for c in DEFAULT_TAXONOMY.data_category
    ]
    known = {r[0] for r in rows}
    problems = []
    for i, ext in enumerate(spec.extensions):
        field = f"extensions[{i}].fides_key"
        if ext.fides_key in known:
            problems.append(Problem(None, field, f"{ext.fides_key!r} already exists"))
        elif ext.parent_key not in known:
            problems.append(Problem(None, field, f"parent {ext.parent_key!r} is not a known category"))
        elif ext.fides_key.rsplit(".", 1)[0] != ext.parent_key:
            problems.append(Problem(None, field, f"expected a key directly under {ext.parent_key!r}"))
        else:
            try:
                DataCategory(
                    fides_key=ext.fides_key,
                    parent_key=ext.parent_key,
                    name=ext.name,
                    description=ext.description,
                )
            except ValidationError as exc:
                problems.append(Problem(None, field, f"not a valid fideslang category: {exc}"))
        known.add(ext.fides_key)
        rows.append((ext.fides_key, ext.parent_key, ext.name, ext.description, True))
    if problems:
        raise DataError(path, problems)
    frame = pd.DataFrame(rows, columns=["fides_key", "parent_key", "name", "description", "extension"])
    return DataCategories.validate(frame)
