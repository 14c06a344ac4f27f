"""Human labels for machine keys: setting keys in the admin console's wording, enum codes in
words, configurations, features, data categories (fideslang name, key kept beside it), codes in
table cells, table headers and headline figure names.

The words live in data/labels.yaml (validated against the settings registry and the presets on
load); setting labels default to the registry's description. Findings, charts and tables use
this module; CSV and JSON exports keep the machine keys.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from zoomai.analysis.configurations import Configuration, load_configurations
from zoomai.core.csvio import split_list
from zoomai.core.errors import DataError
from zoomai.core.paths import data_file
from zoomai.core.yamlio import problems_from, read_yaml
from zoomai.facts.factset import routing_effects
from zoomai.facts.matrix import load_feature_matrix
from zoomai.facts.registry import SPECS, UNIT_DAYS, SettingSpec
from zoomai.facts.taxonomy import load_data_categories
from zoomai.reporting import formats

SUPPORT_OPTIONS = {"zmo": "Zoom-hosted Models Only (ZMO)", "zdr": "Zero Data Retention (ZDR)"}


class Figure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    estimate: bool = False


class LabelsFile(BaseModel):
    """data/labels.yaml (see its header)."""

    model_config = ConfigDict(extra="forbid")
    settings: dict[str, str] = {}
    choices: dict[str, dict[str, str]] = {}
    configurations: dict[str, str] = {}
    values: dict[str, str] = {}
    columns: dict[str, str] = {}
    figures: dict[str, str | Figure] = {}
    figure_suffixes: dict[str, str] = {}

    @field_validator("settings")
    @classmethod
    def _known_settings(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SPECS))
        if unknown:
            raise ValueError(f"not a setting key of the registry: {', '.join(unknown)}")
        return value

    @field_validator("choices")
    @classmethod
    def _every_choice(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for key, words in value.items():
            spec = SPECS.get(key)
            if spec is None or spec.type != "enum":
                raise ValueError(f"{key}: not an enum setting of the registry")
            if set(words) != set(spec.choices):
                raise ValueError(f"{key}: expected words for exactly the values {list(spec.choices)}")
        missing = sorted(s.key for s in SPECS.values() if s.type == "enum" and s.key not in value)
        if missing:
            raise ValueError(f"no words for the values of {', '.join(missing)}")
        return value

    @field_validator("configurations")
    @classmethod
    def _known_presets(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        unknown = sorted(set(value) - set((info.context or {}).get("presets", value)))
        if unknown:
            raise ValueError(f"not a preset of data/configurations.yaml: {', '.join(unknown)}")
        return value


def load_labels(path: Path | str | None = None) -> LabelsFile:
    """The labels file (default data/labels.yaml), validated; DataError naming line and field."""
    return _load(Path(path) if path else data_file("labels.yaml"))


@cache
def _load(path: Path) -> LabelsFile:
    data, lines = read_yaml(path)
    try:
        return LabelsFile.model_validate(data or {}, context={"presets": set(load_configurations())})
    except ValidationError as exc:
        raise DataError(path, problems_from(exc, lines)) from None


def _words(name: str) -> str:
    """A machine name read aloud: 'records_unbounded' -> 'Records unbounded'."""
    text = str(name).replace("_", " ")
    return text[:1].upper() + text[1:]


# --- settings ----------------------------------------------------------------------------------


def setting(key: str) -> str:
    """A setting's label: labels.yaml, else the registry's description without its final full
    stop and the '(no API field)' note; an unknown key is shown as it is."""
    own = load_labels().settings.get(key)
    if own:
        return own
    spec = SPECS.get(key)
    if spec is None:
        return key
    return spec.description.replace(" (no API field)", "").rstrip(".")


def setting_value(key: str, value: object) -> str:
    """A setting's value in words: on/off, enum words, days, or the text itself."""
    spec: SettingSpec | None = SPECS.get(key)
    if value is None or value is pd.NA or value == "":
        return "not set"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if spec is None:
        return text
    if spec.type == "bool":
        return {"true": "on", "false": "off"}.get(text, text)
    if spec.type == "enum":
        return load_labels().choices.get(key, {}).get(text, text)
    if spec.type == "int" and text.isdigit():
        return formats.days(int(text))
    period = re.fullmatch(r"(\d+)([dwmy])", text)
    if period:  # a Zoom retention period ('3m'), unit words as in the registry's UNIT_DAYS
        n, unit = int(period[1]), next(u for u in UNIT_DAYS if u[0] == period[2])
        return f"{n} {unit}" + ("" if n == 1 else "s")
    return text


def setting_is(key: str, value: object) -> str:
    """'Who receives meeting summaries: All invitees, including external'."""
    return f"{setting(key)}: {setting_value(key, value)}"


def change(key: str, value: object) -> str:
    """A single setting change (zoomai.analysis.exposure.what_if key and value) as an action;
    ZMO and ZDR say that Zoom support switches them on."""
    if key in SUPPORT_OPTIONS:
        return f"Turn on {SUPPORT_OPTIONS[key]} (through Zoom support)"
    spec = SPECS.get(key)
    if spec is not None and spec.feature_id and str(value) == "false":
        return f"Switch off {feature(spec.feature_id)}"
    if spec is not None and spec.type == "bool":  # the admin console's wording, quoted
        return f'Turn {setting_value(key, value)} "{setting(key)}"'
    return f'Set "{setting(key)}" to {setting_value(key, value)}'


# --- configurations, features, data categories, codes -----------------------------------------


def configuration(name: str) -> str:
    """A configuration's title: the preset's words, else its own name."""
    return load_labels().configurations.get(name, name)


def configuration_changes(config: Configuration) -> list[str]:
    """What a configuration changes, one phrase per option and setting it fixes (model routing
    by its deployment option's name where the configuration gives `routing`)."""
    routing = (
        []
        if config.routing is None
        else [f"Model routing: {routing_effects('current').loc[config.routing, 'label']}"]
    )
    options = routing + [
        f"{label}: {'on' if getattr(config, option) else 'off'}"
        for option, label in SUPPORT_OPTIONS.items()
        if getattr(config, option) is not None
    ]
    return options + [setting_is(k, v) for k, v in config.settings.items()]


@cache
def _features() -> dict[str, str]:
    matrix = load_feature_matrix().drop_duplicates("feature_id")
    return {
        f: f"{name} ({p})"
        for f, p, name in matrix[["feature_id", "product", "feature"]].astype(str).itertuples(index=False)
    }


def feature(feature_id: str) -> str:
    """'meetings.meeting_summary' -> 'Meeting summary (Meetings)'."""
    return _features().get(feature_id, feature_id)


@cache
def _categories() -> dict[str, str]:
    frame = load_data_categories()
    return dict(zip(frame["fides_key"], frame["name"], strict=True))


def category(key: str) -> str:
    """A data category's human name ('user.content.transcript' -> 'Transcript'); several
    ';'-separated keys -> their names joined by ', '; an unknown key as it is."""
    return ", ".join(_categories().get(k, k) for k in split_list(str(key)))


def value(code: object) -> str:
    """A code of a table cell in words (status, kind of party, level, window); else as it is."""
    return load_labels().values.get(str(code), str(code))


def _suffixed(name: str, words_of: dict[str, str]) -> str | None:
    """The words of a name that is a labelled name plus a suffix of figure_suffixes
    ('records_min' -> 'Records, lower bound'); None otherwise."""
    base, _, suffix = name.rpartition("_")
    words = load_labels().figure_suffixes.get(suffix)
    return f"{words_of[base]}, {words}" if words and base in words_of else None


def column(name: str) -> str:
    """A table header for a column name: its label, a labelled column's bound or usage source
    (see figure_suffixes), else the name read aloud."""
    columns = load_labels().columns
    return columns.get(name) or _suffixed(name, columns) or _words(name)


def _figure_entry(name: str) -> Figure | None:
    """A headline figure's label and estimate flag: its own entry, else its base figure's with
    the words of its suffix ('records_min' -> 'Records held by any party, lower bound')."""
    entry = load_labels().figures.get(name)
    if entry is not None:
        return Figure(label=entry) if isinstance(entry, str) else entry
    base = name.rpartition("_")[0]
    own = _figure_entry(base) if base else None
    label = _suffixed(name, {base: own.label}) if own is not None else None
    return Figure(label=label, estimate=own.estimate) if own is not None and label else None


def has_figure(name: str) -> bool:
    """Whether a headline figure has words in data/labels.yaml (its own or its base's)."""
    return _figure_entry(name) is not None


def figure(name: str) -> str:
    """A headline figure's label (see `_figure_entry`); a name without one, read aloud."""
    entry = _figure_entry(name)
    return _words(name) if entry is None else entry.label


def figure_key(name: str, key: str) -> str:
    """A key of a figure that is a mapping or list (configurations, parties, versions,
    locations) in words."""
    if name in ("exposure_score", "features_available") or key in load_labels().configurations:
        return configuration(key)
    return value(key)


def figure_text(text: str) -> str:
    """A figure's text value in words: a setting change ('key=value', as what-if gives it) as
    an action, anything else as it is."""
    key, sep, chosen = text.partition("=")
    if sep and (key in SUPPORT_OPTIONS or key in SPECS):
        return change(key, chosen)
    return text


def is_share(name: str) -> bool:
    """Whether a column holds shares between 0 and 1 (`share`, `share_...`): shown as percentages."""
    return name == "share" or name.startswith("share_")


def is_estimate(name: str) -> bool:
    """Whether a headline figure is an estimate (shown rounded, marked 'about')."""
    entry = _figure_entry(name)
    return entry is not None and entry.estimate


def source_document(title: str, location: str) -> formats.Link | str:
    """A source document as reports name it: its title linked to its web address, or for a copy
    bundled with zoomai (a seed file) its title and 'bundled copy'; the address never as text."""
    if location.startswith("https://"):
        return formats.Link(title, location)
    return f"{title} (bundled copy)"


# --- tables ------------------------------------------------------------------------------------

CODE_COLUMNS = (
    "status",
    "party_kind",
    "level",
    "source_level",
    "locked_at",
    "window",
    "worst_window",
    "kind",
    "added_in_source",
    "feature",  # feature names pass through; the notice facts' codes get words
    "bound",  # which bound the figures without _min/_max give
)
CATEGORY_COLUMNS = ("data_category",)
VALUE_COLUMNS = ("value", "account_value")  # values of the row's setting `key`
# Columns that show machine keys on purpose (the fideslang key beside a category's name).
CODE_KEY_COLUMNS = ("fides_key",)


def humanise(df: pd.DataFrame, keep_keys: bool = True) -> pd.DataFrame:
    """A table for people: `words`, with headers as labels."""
    return words(df, keep_keys).rename(columns=column)


def words(df: pd.DataFrame, keep_keys: bool = True) -> pd.DataFrame:
    """The cells of a table in words, column names kept: setting keys and their values, data
    categories, configurations and codes. With `keep_keys`, a data-category table keeps the
    fideslang key in a `fides_key` column beside the name; numeric columns are untouched."""
    out = df.copy()
    if {"change", "key", "value"} <= set(out.columns):  # what-if changes: one action per row
        out["change"] = [change(k, v) for k, v in zip(out["key"].astype(str), out["value"], strict=True)]
        out = out.drop(columns=["key", "value"])
    if "key" in out.columns:
        keys = out["key"].astype(str)
        for col in VALUE_COLUMNS:
            if col in out.columns:
                out[col] = [setting_value(k, v) for k, v in zip(keys, out[col], strict=True)]
        out["key"] = keys.map(setting)
    for col in CATEGORY_COLUMNS:
        if col in out.columns:
            position = out.columns.get_loc(col)
            keys = out[col].astype(str)
            out[col] = keys.map(category)
            if keep_keys:
                out.insert(position + 1, "fides_key", keys)
    for col in CODE_COLUMNS:
        if col in out.columns:
            out[col] = out[col].map(lambda c: c if pd.isna(c) or c == "" else value(c))
    if "usage_data" in out.columns:  # a feature the usage does not cover: uses unknown, never 0
        covered = out["usage_data"].astype(bool)
        for col in ("uses", "uses_lost"):
            if col in out.columns:
                out[col] = out[col].astype(object).where(covered, formats.UNKNOWN)
    if "configuration" in out.columns:
        out["configuration"] = out["configuration"].astype(str).map(configuration)
    if "location" in out.columns:
        out["location"] = out["location"].map(lambda c: c if pd.isna(c) else value(c))
    return out
