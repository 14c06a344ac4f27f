"""A Zoom REST API client: Server-to-Server OAuth, retries, pagination and a request count.

The token is fetched with the account credentials grant, refreshed shortly before it expires
and whenever the API answers 401. A 429 waits for its `Retry-After`; 5xx answers, timeouts,
dropped connections and truncated bodies are retried with exponential backoff and jitter
(tenacity). Other 4xx answers fail at once. The client secret and tokens never leave this
module: they are not in any message, repr or log line.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential, wait_random

from zoomai.core.errors import ZoomaiError

DEFAULT_API_BASE = "https://api.zoom.us/v2"
ZOOM_TOKEN_URL = "https://zoom.us/oauth/token"
ENV_NAMES = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PAGE_SIZE = 300  # Zoom's largest page
TOKEN_MARGIN = 60.0  # seconds before expiry at which a token is renewed
MAX_RETRY_AFTER = 300.0  # seconds: a longer Retry-After fails the request instead of hanging


@dataclass(frozen=True)
class Credentials:
    """Server-to-Server OAuth app credentials; the secret is left out of repr."""

    account_id: str
    client_id: str
    client_secret: str = field(repr=False)


def _from_mapping(values: Mapping[str, str], where: str) -> Credentials:
    missing = [n for n in ENV_NAMES if not values.get(n)]
    if missing:
        raise ZoomaiError(f"{where}: missing {', '.join(missing)}")
    return Credentials(*(values[n] for n in ENV_NAMES))


def read_private(path: Path, what: str) -> str:
    """A secret file's text; refused if group or others may read or write it."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ZoomaiError(f"{path}: cannot read {what} ({getattr(exc, 'strerror', None) or exc})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ZoomaiError(f"{path}: {what} is open to group or others; run chmod 600 {path}")
    return text


def load_credentials(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from a file of NAME=VALUE lines (refused if group or others may read or write
    it) or, without a file, from the environment variables ENV_NAMES."""
    if path is None:
        return _from_mapping(os.environ if environ is None else environ, "environment")
    text = read_private(path, "credentials file")
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep or name.strip() not in ENV_NAMES:
            raise ZoomaiError(
                f"{path}, line {number}: expected NAME=VALUE with NAME one of {', '.join(ENV_NAMES)}"
            )
        values[name.strip()] = value.strip().strip("'\"")
    return _from_mapping(values, str(path))


def check_url(url: str, what: str) -> str:
    """An https URL, or http on a loopback address (the fake server): credentials never travel
    in clear text over a network."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname or parts.scheme == "http" and parts.hostname in LOOPBACK:
        return url.rstrip("/")
    raise ZoomaiError(f"{what} {url!r}: expected an https URL (or http on 127.0.0.1 / localhost)")


def token_url_for(api_base: str) -> str:
    """Zoom's token URL for Zoom's API; for any other API base, /oauth/token on its host."""
    if api_base.rstrip("/") == DEFAULT_API_BASE:
        return ZOOM_TOKEN_URL
    parts = urlsplit(api_base)
    return f"{parts.scheme}://{parts.netloc}/oauth/token"


class ApiError(ZoomaiError):
    """A request that failed for good: names the endpoint and the status."""

    def __init__(self, endpoint: str, status: int | None, detail: str):
        self.endpoint, self.status = endpoint, status
        shown = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"{endpoint}: {shown} ({detail})" if detail else f"{endpoint}: {shown}")


class Retryable(ApiError):
    """A failure worth another try (5xx, timeout, dropped connection, truncated body)."""


class RateLimited(Retryable):
    """429: wait `retry_after` seconds (None: the header was missing or unreadable)."""

    def __init__(self, endpoint: str, retry_after: float | None):
        super().__init__(endpoint, 429, "rate limited")
        self.retry_after = retry_after


class Unauthorized(Retryable):
    """401: the token was refused; the next try fetches a new one."""


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _detail(response: httpx.Response) -> str:
    """Zoom's error code and message from an error body, if it has them."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict) and ("code" in body or "message" in body):
        return f"Zoom code {body.get('code')}: {body.get('message')}"
    return ""


class ResponseCache:
    """Responses saved as JSON files in `folder`, one per (path, query): lets a pull resume.
    The files present are listed once, so a lookup that misses costs no disk access."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._saved: set[str] | None = None

    def _name(self, path: str, params: Mapping[str, Any]) -> str:
        key = json.dumps([path, sorted((k, str(v)) for k, v in params.items())])
        return hashlib.sha256(key.encode()).hexdigest() + ".json"

    def load(self, path: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        if self._saved is None:
            self._saved = set(os.listdir(self.folder)) if self.folder.is_dir() else set()
        name = self._name(path, params)
        if name not in self._saved:
            return None
        try:
            return json.loads((self.folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save(self, path: str, params: Mapping[str, Any], content: bytes) -> None:
        """The response body as received (a file cut short by an interruption is not valid JSON,
        so `load` misses it and the request is made again)."""
        self.folder.mkdir(mode=0o700, exist_ok=True)
        (self.folder / self._name(path, params)).write_bytes(content)


class ZoomClient:
    """GET requests to the Zoom API with a shared, auto-renewed token; safe to use from threads."""

    def __init__(
        self,
        credentials: Credentials,
        api_base: str = DEFAULT_API_BASE,
        token_url: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 6,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        connections: int = 4,
        cache: ResponseCache | None = None,
    ):
        self.api_base = check_url(api_base, "--api-base")
        self.token_url = check_url(token_url or token_url_for(self.api_base), "--token-url")
        self._credentials = credentials
        self._http = httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=connections + 1, max_keepalive_connections=connections + 1),
            follow_redirects=False,
        )
        self._retries = retries
        self._expo = wait_exponential(multiplier=backoff, max=max_backoff) + wait_random(0, backoff)
        self._lock = threading.Lock()  # counters
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0
        self._margin = 0.0
        self._cache = cache
        self.requests = 0  # HTTP requests sent, token requests included
        self.retried = 0

    def __enter__(self) -> ZoomClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"ZoomClient(api_base={self.api_base!r})"

    # --- retries ---------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Unauthorized):
            return 0.0
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        return self._expo(state)

    def _before_sleep(self, state: RetryCallState) -> None:
        with self._lock:
            self.retried += 1

    def _retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception_type(Retryable),
            stop=stop_after_attempt(self._retries),
            wait=self._wait,
            before_sleep=self._before_sleep,
            reraise=True,
        )

    def _send(self, endpoint: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request; transport failures become Retryable, 5xx/429 too."""
        with self._lock:
            self.requests += 1
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise Retryable(endpoint, None, "timed out") from None
        except httpx.TransportError as exc:
            raise Retryable(endpoint, None, f"connection failed: {type(exc).__name__}") from None
        if response.status_code == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > MAX_RETRY_AFTER:
                raise ApiError(
                    endpoint, 429, f"Retry-After {wait:.0f} s is longer than {MAX_RETRY_AFTER:.0f} s"
                )
            raise RateLimited(endpoint, wait)
        if response.status_code >= 500:
            raise Retryable(endpoint, response.status_code, _detail(response))
        return response

    @staticmethod
    def _json(endpoint: str, response: httpx.Response) -> dict[str, Any]:
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise Retryable(endpoint, response.status_code, "truncated or invalid JSON body") from None
        if not isinstance(body, dict):
            raise ApiError(endpoint, response.status_code, "expected a JSON object")
        return body

    # --- token -----------------------------------------------------------------------------

    def _fetch_token(self) -> None:
        endpoint = "POST /oauth/token"
        c = self._credentials
        response = self._send(
            endpoint,
            "POST",
            self.token_url,
            params={"grant_type": "account_credentials", "account_id": c.account_id},
            auth=(c.client_id, c.client_secret),
        )
        if response.status_code != 200:
            raise ApiError(endpoint, response.status_code, _detail(response) or "credentials refused")
        body = self._json(endpoint, response)
        token, expires_in = body.get("access_token"), body.get("expires_in", 3600)
        if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
            raise ApiError(endpoint, 200, "expected access_token and expires_in")
        self._token = token
        self._expires = time.monotonic() + float(expires_in)
        self._margin = min(TOKEN_MARGIN, float(expires_in) / 10)

    def _bearer(self) -> str:
        """The current token; a new one if there is none (a 401 dropped it) or it expires soon."""
        with self._token_lock:
            if self._token is None or time.monotonic() >= self._expires - self._margin:
                for attempt in self._retrying():
                    with attempt:
                        self._fetch_token()
            assert self._token is not None
            return self._token

    # --- GET -------------------------------------------------------------------------------

    def _get_once(self, endpoint: str, path: str, params: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
        token = self._bearer()
        response = self._send(
            endpoint, "GET", self.api_base + path, params=params, headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code == 401:
            with self._token_lock:
                if self._token == token:
                    self._token = None
            raise Unauthorized(endpoint, 401, _detail(response))
        if response.status_code != 200:
            raise ApiError(endpoint, response.status_code, _detail(response))
        return self._json(endpoint, response), response.content

    def get(
        self, endpoint: str, path: str, params: Mapping[str, Any] | None = None, cached: bool = True
    ) -> dict[str, Any]:
        """GET `path` (relative to the API base) as a JSON object, retried as described above.
        `endpoint` names it in messages, e.g. 'GET /users'. With a cache (and `cached`), a
        response saved earlier (an interrupted pull) is used instead of asking again."""
        params = params or {}
        cache = self._cache if cached else None
        if cache is not None and (saved := cache.load(path, params)) is not None:
            return saved
        for attempt in self._retrying():
            with attempt:
                body, content = self._get_once(endpoint, path, params)
        if cache is not None:
            cache.save(path, params, content)
        return body
