"""`zoomai import-settings`: a tenant folder from saved Zoom REST API responses.

Layout of the input folder (only account_settings.json is required):

    account_settings.json            GET /accounts/{accountId}/settings
    account_lock_settings.json       GET /accounts/{accountId}/lock_settings
    users.json                       GET /users, pages merged: {"users": [...]}
    groups.json                      GET /groups (optional, for group names): {"groups": [...]}
    groups/<groupId>/settings.json   GET /groups/{groupId}/settings (and lock_settings.json)
    users/<userId>/settings.json     GET /users/{userId}/settings
    phone/sites/<siteId>.json        GET /phone/sites/{siteId}
    phone/sites/<siteId>/settings/<settingType>.json
                                     GET /phone/sites/{siteId}/settings/{settingType}
    phone/users.json                 GET /phone/users, pages merged: {"users": [...]}
    usage/...                        observed usage evidence (see zoomai.tenants.observed)

or under the names of Zoom's API samples, flat in the folder
(`accounts-<accountId>-settings_GET.json`, `groups-<groupId>-lock_settings_GET.json`, ...: see
zoomai.tenants.layout).

A setting's registry key is its JSON field path joined with '.'; two documented aliases map the
option=meeting_security / lock-settings spellings onto the registry keys (`ALIASES`). Phone
site policies map `policy.<x>` (or a top-level `<x>`, as in a site settings response) to
`phone.<x>`; a site settings response none of whose fields the registry knows is listed as
not read, with the reason. Every field is optional; unmapped fields are listed in the import
report. Invalid JSON or a wrong type for a registry field raises DataError before anything is
written.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from zoomai.core.atomic import check_replaceable
from zoomai.core.errors import DataError, Problem, ZoomaiError
from zoomai.core.yamlio import read_json
from zoomai.facts.registry import LEVELS, SETTINGS, SPECS, UNIT_DAYS, format_value
from zoomai.tenants.estimate import UsageModel
from zoomai.tenants.layout import LINK, Layout, has_account_settings
from zoomai.tenants.pseudonymise import pseudonymise
from zoomai.tenants.tables import _ID, Tenant, build, is_tenant_folder, save_tenant
from zoomai.tenants.usage import USAGE_FILE, add_usage, record_text

REPORT_FILE = "import_report.json"
PHONE = "phone."
# Other spellings of registry keys in real responses: option=meeting_security puts the waiting
# room under meeting_security; lock_settings put meeting authentication under schedule_meeting.
ALIASES = {
    "meeting_security.waiting_room": "in_meeting.waiting_room",
    "schedule_meeting.meeting_authentication": "meeting_authentication",
}
VOICEMAIL_ITEMS = "auto_delete_data_after_retention_duration.items"
VOICEMAIL_KEY = "phone.auto_delete_data_after_retention_duration.voicemail_days"
SITE_META = ("id", "name", "country", "policy")
ROLE_IDS = {"0": "owner", "1": "admin", "2": "member"}  # Zoom's built-in role ids
MOBILE = {"android", "iphone", "ipad", "ios"}
CLIENT_VERSION = re.compile(r"^(\d+(?:\.\d+){1,3})\s*(?:\((\w+)\))?$")
PRE_AI_NOTE = "no AI Companion fields in account_settings.json: pre-AI account or plan"


# --- key maps ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyMap:
    """JSON paths (relative to the object walked) -> registry keys, for leaves and objects.

    An object path maps to None where it only leads to an alias (e.g. `meeting_security`).
    """

    leaves: dict[str, str]
    objects: dict[str, str | None]


def _spelled_as(key: str, path: str) -> bool:
    """The registry key is the JSON path itself (or it with a `phone.` prefix), not an alias."""
    return key == path or key.endswith("." + path)


def _keymap(pairs: dict[str, str]) -> KeyMap:
    """A KeyMap from leaf pairs (JSON path -> registry key); object paths are their prefixes."""
    objects: dict[str, str | None] = {}
    for path, key in pairs.items():
        parts = path.split(".")
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            target = key[: len(key) - len(path)] + prefix if _spelled_as(key, path) else None
            if objects.get(prefix) is None:
                objects[prefix] = target
    return KeyMap(pairs, objects)


_API_KEYS = [s.key for s in SETTINGS if s.api]
SETTINGS_MAP = _keymap({k: k for k in _API_KEYS if not k.startswith(PHONE)} | ALIASES)
PHONE_MAP = _keymap({k.removeprefix(PHONE): k for k in _API_KEYS if k.startswith(PHONE)})


def _ai_keys() -> frozenset[str]:
    """Registry keys about AI Companion: feature switches and the fields of their objects."""
    switches = [s.key for s in SETTINGS if s.api and s.feature_id]
    objects = {k.rsplit(".", 1)[0] for k in switches if k.count(".") >= 2}
    return frozenset(k for k in _API_KEYS if k in switches or any(k.startswith(o + ".") for o in objects))


AI_KEYS = _ai_keys()


def _covers(target: str, key: str) -> bool:
    return key == target or key.startswith(target + ".")


# --- walking one file ---------------------------------------------------------------------


class Val(NamedTuple):
    text: str
    path: str
    primary: bool  # from the canonical spelling (wins over an alias or fallback spelling)


@dataclass
class Found:
    """What one file contributed: values and locks by registry key, plus what was left out."""

    file: str
    values: dict[str, Val] = field(default_factory=dict)
    locks: set[str] = field(default_factory=set)
    ignored: list[str] = field(default_factory=list)
    aliased: dict[str, str] = field(default_factory=dict)  # JSON path -> registry key it was read as
    warnings: list[dict[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def warn(self, path: str, message: str) -> None:
        self.warnings.append({"file": self.file, "path": path, "message": message})

    def set_value(self, key: str, val: Val) -> None:
        old = self.values.get(key)
        if old is not None and old.text != val.text:
            kept = val if val.primary and not old.primary else old
            self.warn(val.path, f"{val.text} conflicts with {old.path} = {old.text}; kept {kept.path}")
        if old is None or (val.primary and not old.primary):
            self.values[key] = val

    @property
    def ai_fields(self) -> int:
        locks = sum(any(_covers(t, k) for k in AI_KEYS) for t in self.locks)
        return sum(k in AI_KEYS for k in self.values) + locks


def _show(value: Any) -> str:
    """A JSON value as shown in messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return repr(value)


@dataclass
class Walker:
    """Walks a settings or lock_settings JSON object against a KeyMap, filling `found`."""

    found: Found
    keymap: KeyMap
    base: str = ""  # JSON path of the object walked, for messages ("policy." for a site policy)
    primary: bool = True
    phone: bool = False  # Phone policy objects: `locked` booleans, voicemail retention items

    def full(self, rel: str) -> str:
        return self.base + rel

    def problem(self, rel: str, message: str) -> None:
        self.found.problems.append(Problem(None, self.full(rel), message))

    def values(self, obj: dict[str, Any], prefix: str = "") -> None:
        """Collect setting values (and Phone `locked` flags) from a settings object."""
        for name, value in obj.items():
            rel = f"{prefix}.{name}" if prefix else name
            if self.phone and rel == VOICEMAIL_ITEMS:
                self.voicemail(value, rel)
            elif rel in self.keymap.leaves:
                self.value(self.keymap.leaves[rel], value, rel)
            elif rel in self.keymap.objects:
                self.object(value, rel, self.values)
            elif self.phone and name == "locked" and self.keymap.objects.get(prefix):
                self.policy_lock(value, rel, prefix)
            else:
                self.found.ignored.append(self.full(rel))

    def object(self, value: Any, rel: str, walk: Callable[[dict[str, Any], str], None]) -> None:
        if isinstance(value, dict):
            walk(value, rel)
        elif value is None:
            self.found.warn(self.full(rel), "null, skipped")
        else:
            self.problem(rel, f"expected an object, got {_show(value)}")

    def value(self, key: str, value: Any, rel: str) -> None:
        spec = SPECS[key]
        if value is None:
            self.found.warn(self.full(rel), "null, skipped")
            return
        if spec.type == "enum":
            # the field map types an enum of numbers as an integer: "4" is a wrong type (an
            # error), 7 a value a newer API may add (a warning)
            integer = all(c.isdigit() for c in spec.choices)
            if isinstance(value, bool) or not isinstance(value, int if integer else str):
                want = "a whole number" if integer else "text"
                self.problem(rel, f"expected {want}, one of {', '.join(spec.choices)}; got {_show(value)}")
                return
            if str(value) not in spec.choices:
                self.found.warn(
                    self.full(rel), f"unknown value {value!r} (known: {', '.join(spec.choices)}), skipped"
                )
                return
        try:
            text = format_value(spec, value)
        except ValueError as exc:
            self.problem(rel, str(exc).removeprefix(f"{key}: "))
            return
        self.note_alias(rel, key)
        self.found.set_value(key, Val(text, self.full(rel), self.primary and _spelled_as(key, rel)))

    def note_alias(self, rel: str, key: str) -> None:
        if not _spelled_as(key, rel):
            self.found.aliased[self.full(rel)] = key

    def policy_lock(self, value: Any, rel: str, prefix: str) -> None:
        if not isinstance(value, bool):
            self.problem(rel, f"expected true or false, got {_show(value)}")
        elif value:
            self.found.locks.add(str(self.keymap.objects[prefix]))

    def voicemail(self, items: Any, rel: str) -> None:
        """Voicemail retention in days from items[] with type voicemail, duration, time_unit."""
        if not isinstance(items, list):
            self.problem(rel, f"expected an array, got {_show(items)}")
            return
        for i, item in enumerate(items):
            where = f"{rel}[{i}]"
            if not isinstance(item, dict):
                self.problem(where, f"expected an object, got {_show(item)}")
            elif item.get("type") != "voicemail":
                self.found.ignored.append(self.full(where))
            elif VOICEMAIL_KEY in self.found.values:
                self.found.warn(self.full(where), "second voicemail item, skipped")
            else:
                self.voicemail_item(item, where)

    def voicemail_item(self, item: dict[str, Any], where: str) -> None:
        duration, unit = item.get("duration"), item.get("time_unit")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int) or duration < 0
        ):
            self.problem(f"{where}.duration", f"expected a whole number, got {_show(duration)}")
        elif unit is not None and not isinstance(unit, str):
            self.problem(f"{where}.time_unit", f"expected year, month or day, got {_show(unit)}")
        elif duration is None or unit is None:
            self.found.warn(self.full(where), "voicemail item without duration or time_unit, skipped")
        elif unit not in UNIT_DAYS:
            self.found.warn(
                self.full(f"{where}.time_unit"),
                f"unknown value {unit!r} (known: {', '.join(UNIT_DAYS)}), skipped",
            )
        else:
            text = str(duration * UNIT_DAYS[unit])
            self.found.set_value(VOICEMAIL_KEY, Val(text, self.full(where), self.primary))

    def locks(self, obj: dict[str, Any], prefix: str = "") -> None:
        """Collect locks from a lock_settings object: true on a leaf or object path locks it."""
        for name, value in obj.items():
            rel = f"{prefix}.{name}" if prefix else name
            target = self.keymap.leaves.get(rel) or self.keymap.objects.get(rel)
            if rel not in self.keymap.leaves and rel not in self.keymap.objects:
                self.found.ignored.append(self.full(rel))
            elif isinstance(value, bool):
                if value and target:
                    self.note_alias(rel, target)
                    self.found.locks.add(target)
                elif value:
                    self.found.ignored.append(self.full(rel))
            elif rel in self.keymap.objects:
                self.object(value, rel, self.locks)
            elif value is None:
                self.found.warn(self.full(rel), "null, skipped")
            else:
                self.problem(rel, f"expected true or false (a lock), got {_show(value)}")


# --- files ---------------------------------------------------------------------------------


def _load_object(path: Path) -> dict[str, Any]:
    data = read_json(path)
    if not isinstance(data, dict):
        raise DataError(path, [Problem(None, "(top level)", f"expected a JSON object, got {_show(data)}")])
    return data


def _raise_problems(path: Path, found: Found) -> None:
    if found.problems:
        raise DataError(path, found.problems)


def _read_settings(path: Path, label: str, locks: bool = False) -> Found:
    """One account, group or user settings (or lock_settings) file."""
    found = Found(label)
    walker = Walker(found, SETTINGS_MAP)
    obj = _load_object(path)
    if locks:
        walker.locks(obj)
    else:
        walker.values(obj)
    _raise_problems(path, found)
    return found


def _read_site(path: Path, label: str, obj: dict[str, Any]) -> Found:
    """A Phone site: `policy.<x>` first, then top-level `<x>` (as in a site settings response)."""
    found = Found(label)
    policy = obj.get("policy")
    if isinstance(policy, dict):
        Walker(found, PHONE_MAP, base="policy.", phone=True).values(policy)
    elif policy is not None:
        found.problems.append(Problem(None, "policy", f"expected an object, got {_show(policy)}"))
    rest = {k: v for k, v in obj.items() if k not in SITE_META}
    Walker(found, PHONE_MAP, primary=False, phone=True).values(rest)
    _raise_problems(path, found)
    return found


@dataclass
class Directory:
    """Users, groups and sites from users.json, groups.json, phone/users.json and folder names."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)  # id -> name
    phone_groups: set[str] = field(default_factory=set)
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> name, country


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


class Checker:
    """Type checks for the directory fields of one file, collecting Problems."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []

    def get(
        self, obj: dict[str, Any], name: str, where: str, kind: type | tuple[type, ...], want: str
    ) -> Any:
        """obj[name] if absent, null or of type `kind`; else a problem and None."""
        value = obj.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
            self.problems.append(Problem(None, _join(where, name), f"expected {want}, got {_show(value)}"))
            return None
        return value

    def ident(self, obj: dict[str, Any], where: str) -> str | None:
        """obj["id"], which must be an id; else a problem and None."""
        value = obj.get("id")
        if not isinstance(value, str) or not re.match(_ID, value):
            self.problems.append(
                Problem(
                    None,
                    _join(where, "id"),
                    f"expected an id (letters, digits, _ . : @ -), got {_show(value)}",
                )
            )
            return None
        return value

    def done(self) -> None:
        if self.problems:
            raise DataError(self.path, self.problems)


def _list_of(path: Path, name: str) -> tuple[Checker, list[dict[str, Any]]]:
    """The `name` array of objects in a merged list response ({"users": [...]})."""
    obj, check = _load_object(path), Checker(path)
    items = check.get(obj, name, "", list, "an array") or []
    check.problems += [
        Problem(None, f"{name}[{i}]", f"expected an object, got {_show(x)}")
        for i, x in enumerate(items)
        if not isinstance(x, dict)
    ]
    check.done()
    return check, items


def _client(text: str | None) -> tuple[str | None, str]:
    """Zoom's last_client_version, e.g. '5.17.11.34827(mac)' -> ('5.17.11.34827', 'desktop')."""
    match = CLIENT_VERSION.match(text.strip()) if text else None
    if not match:
        return None, "desktop"
    tag = (match.group(2) or "").lower()
    return match.group(1), "mobile" if tag in MOBILE else "web" if tag == "web" else "desktop"


def _read_users(path: Path, found: Found, directory: Directory, groups_known: bool) -> None:
    """users.json -> users (email, home group = first of group_ids, role, client).

    A user id given twice is an error; a group id repeated in a user's group_ids, or (when
    groups.json lists the groups) naming no known group, is a warning."""
    check, items = _list_of(path, "users")
    known_groups = set(directory.groups)
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        where = f"users[{i}]"
        uid = check.ident(item, where)
        if uid is not None and uid in seen:
            check.problems.append(
                Problem(
                    None,
                    f"{where}.id",
                    f"duplicate user id {uid!r}: also users[{seen[uid]}]; expected one entry per user",
                )
            )
        elif uid is not None:
            seen[uid] = i
        email = check.get(item, "email", where, str, "text")
        group_ids = check.get(item, "group_ids", where, list, "an array") or []
        role_id = check.get(item, "role_id", where, (str, int), "a role id")
        version = check.get(item, "last_client_version", where, str, "text")
        for j, gid in enumerate(group_ids):
            if not isinstance(gid, str) or not re.match(_ID, gid):
                check.problems.append(
                    Problem(None, f"{where}.group_ids[{j}]", f"expected a group id, got {gid!r}")
                )
        if uid is None or check.problems:
            continue
        client_version, platform = _client(version)
        if version and client_version is None:
            found.warn(f"{where}.last_client_version", f"unreadable client version {version!r}, left empty")
        for j, gid in enumerate(group_ids):
            if gid in group_ids[:j]:
                found.warn(f"{where}.group_ids[{j}]", f"group id {gid!r} listed twice, counted once")
            elif groups_known and gid not in known_groups:
                found.warn(
                    f"{where}.group_ids[{j}]",
                    f"group {gid!r} is not in groups.json; kept as a group named {gid!r}",
                )
        directory.groups.update({g: directory.groups.get(g, g) for g in group_ids})
        directory.users[uid] = {
            "email": email,
            "group_id": group_ids[0] if group_ids else None,
            "client_version": client_version,
            "platform": platform,
            "role": ROLE_IDS.get(str(role_id), "member"),
        }
    check.done()


def _read_groups(path: Path, directory: Directory) -> None:
    """groups.json -> group names."""
    check, items = _list_of(path, "groups")
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        gid, name = check.ident(item, f"groups[{i}]"), check.get(item, "name", f"groups[{i}]", str, "text")
        if gid in seen:
            check.problems.append(
                Problem(
                    None,
                    f"groups[{i}].id",
                    f"duplicate group id {gid!r}: also groups[{seen[gid]}]; expected one entry per group",
                )
            )
        elif gid:
            seen[gid] = i
            directory.groups[gid] = name or gid
    check.done()


def _read_phone_users(path: Path, directory: Directory) -> None:
    """phone/users.json -> each user's site (and users not in users.json)."""
    check, items = _list_of(path, "users")
    for i, item in enumerate(items):
        where = f"users[{i}]"
        uid = check.ident(item, where)
        email = check.get(item, "email", where, str, "text")
        site = check.get(item, "site", where, dict, "an object")
        sid = check.ident(site, f"{where}.site") if site else None
        name = check.get(site, "name", f"{where}.site", str, "text") if site else None
        if uid is None or check.problems:
            continue
        user = directory.users.setdefault(uid, _new_user(email))
        if sid:
            user["site_id"] = sid
            directory.sites.setdefault(sid, {"name": name or sid, "country": None})
    check.done()


def _new_user(email: str | None = None) -> dict[str, Any]:
    return {"email": email, "group_id": None, "client_version": None, "platform": "desktop", "role": "member"}


def _site_meta(path: Path, site_id: str, obj: dict[str, Any], found: Found) -> dict[str, Any]:
    """Name and country code of a site file; warns if its `id` differs from the file name's."""
    check = Checker(path)
    sid, name = check.get(obj, "id", "", str, "text"), check.get(obj, "name", "", str, "text")
    country = check.get(obj, "country", "", (dict, str), "an object or text")
    code = check.get(country, "code", "country", str, "text") if isinstance(country, dict) else country
    check.done()
    if sid and sid != site_id:
        found.warn("id", f"site id {sid!r} differs from the file name; used {site_id!r}")
    return {"name": name or site_id, "country": code}


def _phone_policy(obj: dict[str, Any]) -> bool:
    """A group settings file with a non-empty `phone` object has an activated Phone policy.

    Its fields are not mapped to settings (Phone has no group-level controls in the registry),
    so they are listed as ignored.
    """
    return isinstance(obj.get("phone"), dict) and bool(obj["phone"])


# --- the import ----------------------------------------------------------------------------


@dataclass
class Scope:
    """Settings of one scope: level, id, and the files read for it."""

    level: str
    scope_id: str
    found: list[Found]

    def rows(self, tenant_id: str) -> list[dict[str, Any]]:
        values: dict[str, str] = {}
        locks: set[str] = set()
        for f in self.found:
            values.update({k: v.text for k, v in f.values.items()})
            locks |= f.locks
        base = {"tenant_id": tenant_id, "level": self.level, "scope_id": self.scope_id}
        rows = [{**base, "key": k, "value": v, "locked": k in locks} for k, v in sorted(values.items())]
        return rows + [
            {**base, "key": k, "value": None, "locked": True} for k in sorted(locks - values.keys())
        ]


def sanitise_id(name: str) -> str:
    """A folder name as a tenant id: characters outside the id pattern become '_'."""
    return re.sub(r"[^A-Za-z0-9_.:@-]", "_", name) or "imported"


def _ids_under(folder: Path, what: str, warnings: list[dict[str, str]], src: Path) -> list[str]:
    """Subfolder names (groups/<id>/, users/<id>/), checked against the id pattern. Symbolic
    links are not followed (a link or a loop would make a phantom group or user): a warning."""
    if folder.is_symlink():
        warnings.append(_link_warning(folder, src))
        return []
    if not folder.is_dir():
        return []
    names = []
    for p in sorted(folder.iterdir()):
        if p.is_symlink():
            warnings.append(_link_warning(p, src))
        elif p.is_dir():
            names.append(p.name)
    bad = [n for n in names if not re.match(_ID, n)]
    if bad:
        raise DataError(
            folder, [Problem(None, None, f"folder name {n!r} is not a valid {what} id") for n in bad]
        )
    return names


def _link_warning(path: Path, src: Path) -> dict[str, str]:
    return {"file": path.relative_to(src).as_posix(), "path": "", "message": LINK}


def _files_under(src: Path) -> list[str]:
    """Every regular file under `src` (relative, '/'-separated), not following symbolic links."""
    out = []
    for root, _, files in os.walk(src, followlinks=False):
        for name in files:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                out.append(path.relative_to(src).as_posix())
    return sorted(out)


class Importer:
    """Reads one input folder into scopes, directory tables and a report."""

    def __init__(self, src: Path):
        self.src = src
        self.layout = Layout.read(src)
        self.files: list[Found] = []
        self.scopes: list[Scope] = []
        self.directory = Directory()
        self.extra_warnings: list[dict[str, str]] = list(self.layout.warnings)
        self.not_read: dict[str, str] = {}  # files read with nothing to take, and why

    def rel(self, path: Path) -> str:
        return path.relative_to(self.src).as_posix()

    def settings(self, level: str, scope_id: str, settings: str, locks: str | None = None) -> None:
        """The settings (and lock settings) of one scope, by import-layout path."""
        found = []
        for rel, is_lock in ((settings, False), (locks, True)):
            if rel is not None and self.layout.exists(rel):
                path = self.layout.path(rel)
                found.append(_read_settings(path, self.rel(path), is_lock))
        self.files += found
        self.scopes.append(Scope(level, scope_id, found))

    def _ids(self, folder: str, what: str) -> list[str]:
        """Ids of groups/<id>/ or users/<id>/ folders and of sample-style names."""
        folders = _ids_under(self.src / folder, what, self.extra_warnings, self.src)
        return sorted(set(folders) | set(self.layout.ids(folder + "/")))

    def run(self, tenant_id: str) -> None:
        d, layout = self.directory, self.layout
        self.settings("account", tenant_id, "account_settings.json", "account_lock_settings.json")
        for gid in self._ids("groups", "group"):
            d.groups.setdefault(gid, gid)
            rel = f"groups/{gid}/settings.json"
            self.settings("group", gid, rel, f"groups/{gid}/lock_settings.json")
            if layout.exists(rel) and _phone_policy(_load_object(layout.path(rel))):
                d.phone_groups.add(gid)
        sites = {p.stem: p for p in (self.src / "phone" / "sites").glob("*.json")}
        named = _site_ids(layout.under("phone/sites/"))
        sites |= {sid: layout.path(f"phone/sites/{sid}.json") for sid in named}
        for sid, path in sorted(sites.items()):
            if path.is_symlink():
                self.extra_warnings.append(_link_warning(path, self.src))
            else:
                self.site(sid, path)
        for rel in sorted(_site_settings(self.src) | set(layout.under("phone/sites/"))):
            parts = rel.split("/")
            if len(parts) == 5:  # phone/sites/<siteId>/settings/<settingType>.json
                self.site_settings(parts[2], parts[4].removesuffix(".json"), layout.path(rel))
        for uid in self._ids("users", "user"):
            self.settings("user", uid, f"users/{uid}/settings.json")
        self.directory_files()
        for scope in self.scopes:
            if scope.level == "user":
                d.users.setdefault(scope.scope_id, _new_user())

    def site(self, sid: str, path: Path) -> None:
        if not re.match(_ID, sid):
            raise DataError(path, [Problem(None, None, f"file name {sid!r} is not a valid site id")])
        obj = _load_object(path)
        found = _read_site(path, self.rel(path), obj)
        self.directory.sites[sid] = _site_meta(path, sid, obj, found)
        self.files.append(found)
        self.scopes.append(Scope("site", sid, [found]))

    def site_settings(self, sid: str, setting_type: str, path: Path) -> None:
        """GET /phone/sites/{siteId}/settings/{settingType}: its fields the registry knows are
        site settings; a file with none (routing, hours, security, caller id...) is listed as
        not read, with the reason."""
        if path.is_symlink():
            self.extra_warnings.append(_link_warning(path, self.src))
            return
        if not re.match(_ID, sid):
            raise DataError(path, [Problem(None, None, f"{sid!r} is not a valid site id")])
        obj = _load_object(path)
        found = Found(self.rel(path))
        Walker(found, PHONE_MAP, primary=False, phone=True).values(obj)
        _raise_problems(path, found)
        if not found.values and not found.locks:
            fields = ", ".join(sorted(obj)) or "none"
            self.not_read[found.file] = (
                f"Phone site settings ({setting_type}): none of its fields ({fields}) is in the settings "
                "registry; Phone AI and retention policies are read from GET /phone/sites/{siteId}"
            )
            return
        self.files.append(found)
        self.directory.sites.setdefault(sid, {"name": sid, "country": None})
        scope = next((s for s in self.scopes if (s.level, s.scope_id) == ("site", sid)), None)
        if scope is None:
            self.scopes.append(Scope("site", sid, [found]))
        else:
            scope.found.append(found)

    def directory_files(self) -> None:
        d, layout = self.directory, self.layout
        dir_found = Found(self.rel(layout.path("users.json")))
        if layout.exists("groups.json"):
            _read_groups(layout.path("groups.json"), d)
        if layout.exists("users.json"):
            _read_users(layout.path("users.json"), dir_found, d, groups_known=layout.exists("groups.json"))
        if layout.exists("phone/users.json"):
            _read_phone_users(layout.path("phone/users.json"), d)
        self.extra_warnings += dir_found.warnings

    def read_paths(self) -> list[str]:
        names = [f.file for f in self.files]
        extra = ["groups.json", "users.json", "phone/users.json"]
        return sorted(names + [self.rel(self.layout.path(n)) for n in extra if self.layout.exists(n)])


def _site_ids(rels: list[str]) -> list[str]:
    """Site ids of phone/sites/<siteId>.json paths (not of their settings)."""
    return [rel.split("/")[2].removesuffix(".json") for rel in rels if rel.count("/") == 2]


def _site_settings(src: Path) -> set[str]:
    """phone/sites/<siteId>/settings/<settingType>.json files of the import layout."""
    folder = src / "phone" / "sites"
    return {p.relative_to(src).as_posix() for p in folder.glob("*/settings/*.json")}


def _tables(imp: Importer, tenant_row: dict[str, Any]) -> Tenant:
    tid, d = tenant_row["tenant_id"], imp.directory
    groups = [
        {"tenant_id": tid, "group_id": g, "name": n, "phone_policy_active": g in d.phone_groups}
        for g, n in sorted(d.groups.items())
    ]
    sites = [{"tenant_id": tid, "site_id": s, **meta} for s, meta in sorted(d.sites.items())]
    users = [{"tenant_id": tid, "user_id": u, "site_id": None, **info} for u, info in sorted(d.users.items())]
    settings = [row for scope in imp.scopes for row in scope.rows(tid)]
    return build(tenants=[tenant_row], groups=groups, sites=sites, users=users, settings=settings)


def _reach_warnings(imp: Importer, tenant: Tenant) -> list[dict[str, str]]:
    """Without users.json, settings silently reach fewer people: say so."""
    if imp.layout.exists("users.json"):
        return []
    if tenant.users.empty:
        message = "no users: group and user settings reach nobody (GET /users was not saved)"
    elif not tenant.groups.empty:
        message = (
            f"no users.json: users known only from their settings files ({len(tenant.users)}) "
            "are in no group, so group settings reach nobody"
        )
    else:
        return []
    return [{"file": "users.json", "path": "(whole file)", "message": message}]


def _files_without_settings(imp: Importer) -> list[str]:
    """Settings files read with nothing taken from them (e.g. a Phone site *settings* response,
    GET /phone/sites/{siteId}/settings/{settingType}, whose fields are not site policies)."""
    return sorted(f.file for f in imp.files if not f.values and not f.locks)


def _report(imp: Importer, tenant: Tenant) -> dict[str, Any]:
    settings = tenant.settings
    account_file = imp.rel(imp.layout.path("account_settings.json"))
    account = next((f for f in imp.files if f.file == account_file), None)
    notes = [PRE_AI_NOTE] if account is not None and account.ai_fields == 0 else []
    info = tenant.info
    notes.append(
        f"ZMO and ZDR are not in the API; set by --zmo/--zdr: zmo={str(info['zmo_enabled']).lower()}, "
        f"zdr={str(info['zdr_enabled']).lower()}"
    )
    read = set(imp.read_paths())
    not_read = [p for p in _files_under(imp.src) if p not in read]
    return {
        "tenant_id": tenant.tenant_id,
        "files_read": sorted(read),
        "files_not_read": not_read,
        "not_read_because": dict(sorted(imp.not_read.items())),
        "settings_rows": {lvl: int((settings["level"] == lvl).sum()) for lvl in LEVELS},
        "values": int(settings["value"].notna().sum()),
        "locks": int(settings["locked"].sum()),
        "ai_fields_found": sum(f.ai_fields for f in imp.files),
        "ignored_field_count": sum(len(f.ignored) for f in imp.files),
        "tables": {"groups": len(tenant.groups), "sites": len(tenant.sites), "users": len(tenant.users)},
        "files": {
            f.file: {
                "values": len(f.values),
                "locks": len(f.locks),
                "ai_fields": f.ai_fields,
                "aliased": f.aliased,
                "ignored_count": len(f.ignored),
                "ignored": f.ignored,
            }
            for f in imp.files
        },
        "warnings": _reach_warnings(imp, tenant)
        + imp.extra_warnings
        + [w for f in imp.files for w in f.warnings],
        "files_without_settings": _files_without_settings(imp),
        "notes": notes,
    }


def read_export(
    src: Path | str,
    tenant_id: str | None = None,
    *,
    region: str,
    zmo: bool = False,
    zdr: bool = False,
    name: str | None = None,
    vertical: str = "unknown",
    domains: tuple[str, ...] = (),
    usage_model: UsageModel | None = None,
    usage_seed: int = 0,
) -> tuple[Tenant, dict]:
    """Read a folder of saved Zoom API responses -> (validated Tenant, import report). Usage:
    observed from the folder's usage files (participants internal by the users' e-mail domains
    and `domains`), estimated with `usage_model` for the features without evidence (see
    zoomai.tenants.usage); the report's `usage` entry records it.

    `region` (a code of data/hosting_regions.yaml) has no default: Zoom's API does not give the
    hosting region, and outside the US it limits models to ZMO."""
    src = Path(src)
    if not src.is_dir():
        raise ZoomaiError(f"{src}: not a folder")
    if not has_account_settings(src):
        raise ZoomaiError(
            f"{src}: missing account_settings.json (GET /accounts/{{accountId}}/settings; "
            "or accounts-<accountId>-settings_GET.json as Zoom's samples name it)"
        )
    tid = tenant_id or sanitise_id(src.resolve().name)
    if not re.match(_ID, tid):
        raise ZoomaiError(f"tenant id {tid!r}: expected letters, digits and _ . : @ - only")
    imp = Importer(src)
    imp.run(tid)
    tenant = _tables(
        imp,
        {
            "tenant_id": tid,
            "name": name or tid,
            "hosting_region": region,
            "vertical": vertical,
            "zmo_enabled": zmo,
            "zdr_enabled": zdr,
            "customer_managed_key": False,
            "source": "imported",
        },
    )
    tenant, usage = add_usage(tenant, src, domains, usage_model, usage_seed)
    report = _report(imp, tenant)
    report["files_read"] = sorted(set(report["files_read"]) | set(usage["observed_files"]))
    report["files_not_read"] = [f for f in report["files_not_read"] if f not in usage["observed_files"]]
    return tenant, report | {"usage": usage}


def import_settings(
    src: Path | str,
    out: Path | str,
    pseudonym_key: bytes | None = None,
    *,
    derived: Callable[[Tenant], dict[str, str]] | None = None,
    **options: Any,
) -> tuple[Tenant, dict]:
    """Import `src` (see read_export) and save the tenant folder `out` with import_report.json;
    with `pseudonym_key`, e-mail addresses are replaced by keyed pseudonyms (see pseudonymise).
    `derived` gives more files (name -> text) made from the tenant as saved, written in the same
    atomic step (e.g. the changes since the previous snapshot)."""
    out = Path(out)
    check_replaceable(out, is_tenant_folder, folder=True, what="tenant folder")  # before any reading
    tenant, report = read_export(src, **options)
    if pseudonym_key is not None:
        tenant = pseudonymise(tenant, pseudonym_key)
    extra = {REPORT_FILE: json.dumps(report, indent=2) + "\n", USAGE_FILE: record_text(report["usage"])}
    extra |= derived(tenant) if derived else {}
    save_tenant(tenant, out, extra_files=extra)
    return tenant, report


def _not_read_lines(report: dict[str, Any]) -> list[str]:
    """Files not read, each with its reason where there is one (a Phone site settings response)."""
    return [f"  not read: {name}: {why}" for name, why in report["not_read_because"].items()]


def _empty_files_line(files: list[str], most: int = 5) -> list[str]:
    if not files:
        return []
    more = f" and {len(files) - most} more" if len(files) > most else ""
    return [f"  read, but no settings taken from: {', '.join(files[:most])}{more}"]


def summary_text(report: dict[str, Any], out: Path | str) -> str:
    """A short human summary of an import report."""
    rows = report["settings_rows"]
    lines = [
        f"Imported tenant {report['tenant_id']} into {out}",
        f"  files read: {len(report['files_read'])} (not read: {len(report['files_not_read'])})",
        *_not_read_lines(report),
        *_empty_files_line(report["files_without_settings"]),
        "  settings rows: "
        + ", ".join(f"{lvl} {n}" for lvl, n in rows.items())
        + f" ({report['values']} values, {report['locks']} locked)",
        f"  AI Companion fields found: {report['ai_fields_found']}",
        f"  unknown/ignored fields: {report['ignored_field_count']} (listed per file in {REPORT_FILE})",
        f"  warnings: {len(report['warnings'])}",
    ]
    lines += [f"    {w['file']}, {w['path']}: {w['message']}" for w in report["warnings"][:20]]
    lines += [f"  note: {n}" for n in report["notes"]]
    rows = report["usage"]["rows"]
    lines.append("  usage rows: " + ", ".join(f"{s} {n:,}" for s, n in rows.items()))
    lines += [f"  usage note: {n}" for n in report["usage"]["notes"]]
    return "\n".join(lines)
