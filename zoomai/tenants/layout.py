"""Where each saved Zoom API response sits in an export folder.

Two spellings are read, and mean the same file:

- the import layout (what `zoomai pull` writes): `account_settings.json`,
  `groups/<groupId>/settings.json`, `phone/sites/<siteId>.json`, ...;
- the names of Zoom's API samples (shared/zoom-api/examples/): the endpoint's path with `/` as
  `-` and `_GET.json` at the end, flat in the export folder, e.g.
  `accounts-accountId-settings_GET.json` or `groups-<groupId>-lock_settings_GET.json`. A path
  parameter is the id itself, or the placeholder as Zoom's samples leave it (`groupId` is then
  read as a group with that id).

`ZOOM_NAMES` lists the endpoints; `LAYOUT` (in `README.md` and the importer's docstring) is the
other spelling. A response given in both spellings is an error: which one to read is not ours
to guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from zoomai.core.errors import DataError, Problem
from zoomai.tenants.tables import _ID

# (endpoint, regex of the sample-style name, the import-layout path it stands for)
ZOOM_NAMES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (endpoint, re.compile(pattern), layout)
    for endpoint, pattern, layout in (
        (
            "GET /accounts/{accountId}/settings",
            r"accounts-(?P<id>.+)-settings_GET\.json",
            "account_settings.json",
        ),
        (
            "GET /accounts/{accountId}/lock_settings",
            r"accounts-(?P<id>.+)-lock_settings_GET\.json",
            "account_lock_settings.json",
        ),
        ("GET /users", r"users_GET\.json", "users.json"),
        ("GET /groups", r"groups_GET\.json", "groups.json"),
        ("GET /phone/users", r"phone-users_GET\.json", "phone/users.json"),
        (
            "GET /groups/{groupId}/settings",
            r"groups-(?P<id>.+)-settings_GET\.json",
            "groups/{id}/settings.json",
        ),
        (
            "GET /groups/{groupId}/lock_settings",
            r"groups-(?P<id>.+)-lock_settings_GET\.json",
            "groups/{id}/lock_settings.json",
        ),
        (
            "GET /users/{userId}/settings",
            r"users-(?P<id>.+)-settings_GET\.json",
            "users/{id}/settings.json",
        ),
        (
            "GET /phone/sites/{siteId}/settings/{settingType}",
            r"phone-sites-(?P<id>.+)-settings-(?P<type>[A-Za-z0-9_]+)_GET\.json",
            "phone/sites/{id}/settings/{type}.json",
        ),
        ("GET /phone/sites/{siteId}", r"phone-sites-(?P<id>.+)_GET\.json", "phone/sites/{id}.json"),
    )
)


LINK = "symbolic link, not followed"


def _zoom_name(name: str) -> tuple[str, str] | None:
    """(endpoint, import-layout path) of a sample-style file name; None if it is not one. The
    first pattern that matches wins (a site's settings before the site)."""
    for endpoint, pattern, layout in ZOOM_NAMES:
        match = pattern.fullmatch(name)
        if match:
            return endpoint, layout.format(**match.groupdict())
    return None


@dataclass
class Layout:
    """The files of one export folder, by import-layout path.

    `aliases` maps an import-layout path to the sample-style file that stands for it (relative
    to the folder); `warnings` lists sample-style files skipped (symbolic links)."""

    src: Path
    aliases: dict[str, str] = field(default_factory=dict)
    warnings: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def read(cls, src: Path) -> Layout:
        layout = cls(src)
        problems = []
        for path in sorted(src.glob("*_GET.json")):
            found = _zoom_name(path.name)
            if found is None:
                continue
            endpoint, rel = found
            if path.is_symlink():
                layout.warnings.append({"file": path.name, "path": "", "message": LINK})
            elif not all(re.match(_ID, part) for part in _ids_of(rel)):
                problems.append(Problem(None, None, f"{path.name}: the ids in its name are not valid ids"))
            elif rel in layout.aliases or (src / rel).exists():
                other = layout.aliases.get(rel, rel)
                problems.append(
                    Problem(None, None, f"{path.name} and {other} are both {endpoint}; keep one of them")
                )
            else:
                layout.aliases[rel] = path.name
        if problems:
            raise DataError(src, problems)
        return layout

    def path(self, rel: str) -> Path:
        """The file that holds the import-layout file `rel` (which may not exist)."""
        return self.src / self.aliases.get(rel, rel)

    def exists(self, rel: str) -> bool:
        path = self.path(rel)
        return path.is_file() and not path.is_symlink()

    def ids(self, prefix: str) -> list[str]:
        """Ids that sample-style names give under `prefix` (`groups/`, `users/`, `phone/sites/`)."""
        return sorted({rel[len(prefix) :].split("/")[0].removesuffix(".json") for rel in self.under(prefix)})

    def under(self, prefix: str) -> list[str]:
        """Import-layout paths under `prefix` that sample-style names give."""
        return sorted(rel for rel in self.aliases if rel.startswith(prefix))


def _ids_of(rel: str) -> list[str]:
    """The id parts of an import-layout path made from a sample-style name."""
    parts = rel.removesuffix(".json").split("/")
    return parts[1:2] if parts[0] in ("groups", "users") else parts[2:3] + parts[4:5]


def has_account_settings(src: Path) -> bool:
    """Whether `src` holds GET /accounts/{accountId}/settings in either spelling."""
    return (src / "account_settings.json").is_file() or any(
        _zoom_name(p.name) == ("GET /accounts/{accountId}/settings", "account_settings.json")
        for p in src.glob("accounts-*-settings_GET.json")
    )
