"""`--pseudonymise KEY_FILE`: e-mail addresses become stable keyed hashes; the key stays private."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pandas as pd

from tests.conftest import run_cli
from zoomai.tenants.tables import load_tenant

USERS = [
    {"id": "u1", "email": "Ann@Example.com", "group_ids": []},
    {"id": "u2", "email": "bob@example.org", "group_ids": []},
    {"id": "u3", "group_ids": []},
]


def _export(root: Path) -> Path:
    root.mkdir()
    (root / "account_settings.json").write_text("{}")
    (root / "users.json").write_text(json.dumps({"users": USERS}))
    return root


def _key(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text + "\n")
    path.chmod(mode)
    return path


def _expected(key: str, address: str) -> str:
    digest = hmac.new(key.encode(), address.encode(), hashlib.sha256).hexdigest()[:20]
    return f"p-{digest}@{address.split('@')[1]}"


def test_addresses_are_replaced_by_keyed_pseudonyms(tmp_path: Path) -> None:
    export, key = _export(tmp_path / "x"), "a-key-of-the-analyst-0001"
    code, out, err = run_cli(
        "import-settings", export, "--out", tmp_path / "t", "--region", "US",
        "--pseudonymise", _key(tmp_path / "k", key),
    )  # fmt: skip
    assert code == 0, err
    emails = load_tenant(tmp_path / "t").users.set_index("user_id")["email"]
    assert emails["u1"] == _expected(key, "ann@example.com")  # case ignored
    assert emails["u2"] == _expected(key, "bob@example.org")
    assert pd.isna(emails["u3"])
    written = b"".join(p.read_bytes() for p in (tmp_path / "t").iterdir())
    assert b"ann@" not in written.lower() and b"bob@" not in written and key.encode() not in written

    # Same key: same pseudonyms (snapshots stay comparable); another key: others.
    assert run_cli("import-settings", export, "--out", tmp_path / "t2", "--region", "US",
                   "--pseudonymise", tmp_path / "k")[0] == 0  # fmt: skip
    assert load_tenant(tmp_path / "t2").users["email"].equals(load_tenant(tmp_path / "t").users["email"])
    other = _key(tmp_path / "k2", "another-key-entirely-0002")
    assert run_cli("import-settings", export, "--out", tmp_path / "t3", "--region", "US",
                   "--pseudonymise", other)[0] == 0  # fmt: skip
    assert load_tenant(tmp_path / "t3").users.set_index("user_id")["email"]["u1"] != emails["u1"]


def test_key_file_must_be_private_and_long_enough(tmp_path: Path) -> None:
    export = _export(tmp_path / "x")
    open_key = _key(tmp_path / "k", "a-key-of-the-analyst-0001", 0o644)
    code, _, err = run_cli("import-settings", export, "--out", tmp_path / "t", "--region", "US",
                           "--pseudonymise", open_key)  # fmt: skip
    assert code == 2 and "pseudonym key file is open to group or others" in err
    code, _, err = run_cli("import-settings", export, "--out", tmp_path / "t", "--region", "US",
                           "--pseudonymise", _key(tmp_path / "s", "short"))  # fmt: skip
    assert code == 2 and "pseudonym key too short" in err
    assert not (tmp_path / "t").exists()
