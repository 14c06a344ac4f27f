"""Stable keyed pseudonyms for people's e-mail addresses, so a tenant folder can be shared.

`p-<HMAC-SHA256(key, address)>@<domain>`: the same address always gives the same pseudonym
under one key (snapshots stay comparable), nobody without the key can recompute or test a guess,
and the domain is kept because internal vs external is what the analysis needs. The key lives in
a private file that stays with the analyst; the tenant tables hold no name columns.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from pathlib import Path

import pandas as pd

from zoomai.core.errors import ZoomaiError
from zoomai.tenants.tables import Tenant
from zoomai.tenants.zoomapi import read_private

MIN_KEY_CHARS = 16
DIGEST_CHARS = 20


def load_key(path: Path) -> bytes:
    """The key: a private file's text (at least MIN_KEY_CHARS characters, outer blanks dropped)."""
    key = read_private(path, "pseudonym key file").strip()
    if len(key) < MIN_KEY_CHARS:
        raise ZoomaiError(f"{path}: pseudonym key too short: expected at least {MIN_KEY_CHARS} characters")
    return key.encode()


def pseudonym(key: bytes, address: str) -> str:
    """The pseudonym of one e-mail address (case and outer blanks ignored)."""
    address = address.strip().lower()
    digest = hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:DIGEST_CHARS]
    domain = address.rpartition("@")[2] or "unknown.invalid"
    return f"p-{digest}@{domain}"


def pseudonymise(tenant: Tenant, key: bytes) -> Tenant:
    """The tenant with every user's e-mail address replaced by its pseudonym."""
    email = tenant.users["email"]
    replaced = email.map(lambda e: pseudonym(key, e), na_action="ignore").astype(email.dtype)
    return dataclasses.replace(tenant, users=tenant.users.assign(email=replaced.where(email.notna(), pd.NA)))
