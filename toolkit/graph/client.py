"""A small Microsoft Graph client: one ``requests.Session``, timeouts, retries, paging, safe downloads.

- Throttling (429) and transient server errors (500/502/503/504) are retried, waiting ``Retry-After`` seconds
  when Graph gives it, a short exponential back-off otherwise; a bounded number of tries, then ``SyncError``.
- A dropped connection or a truncated body is retried the same way (every call here is a GET: safe to repeat).
- 401 (an expired token) gets one fresh token and one more try.
- ``@odata.nextLink`` is followed exactly as given, but only to the Graph origin: the bearer token is never sent
  anywhere else. A download's 302 to a pre-authenticated URL is followed *without* the Authorization header.
"""
from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import requests

from toolkit.errors import SyncError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_TIMEOUT = (10.0, 120.0)  # (connect, read) seconds
DEFAULT_TRIES = 6
MAX_WAIT = 120.0  # never sleep longer than this for one Retry-After


class TokenSource(Protocol):
    def token(self) -> str: ...

    def refresh(self) -> str: ...


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def retry_after_seconds(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


def _graph_error(response: requests.Response) -> str:
    """Graph's error code (``{"error": {"code": ...}}``), for the message; never the whole body."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or "")
    return ""


class GraphClient:
    def __init__(self, session: requests.Session, base_url: str, tokens: TokenSource, *,
                 tries: int = DEFAULT_TRIES, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep):
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.tries = max(1, tries)
        self.timeout = timeout
        self.backoff = backoff
        self.sleep = sleep
        self._origin = _origin(self.base_url)
        self.requests_made = 0

    # ------------------------------------------------------------ URLs

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("https://", "http://")):
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def _check_origin(self, url: str) -> None:
        if _origin(url) != self._origin:
            raise SyncError("Microsoft Graph 以外のアドレスへの移動を指示されたため、同期を中止しました"
                            "（アクセストークンを外部に送らないため）。")

    # ------------------------------------------------------------ requests

    def _wait(self, attempt: int, response: requests.Response | None) -> None:
        wait = retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
        if wait is None:
            wait = self.backoff * (2 ** (attempt - 1))
        self.sleep(min(wait, MAX_WAIT))

    def _get(self, url: str, *, what: str, params: Mapping[str, str] | None = None,
             authorized: bool = True, allow_redirects: bool = False) -> requests.Response:
        """GET with retries; returns a response whose body has been read completely."""
        if authorized:
            self._check_origin(url)
        refreshed = False
        last_problem = ""
        for attempt in range(1, self.tries + 1):
            headers = {"Accept": "application/json"}
            if authorized:
                headers["Authorization"] = "Bearer " + self.tokens.token()
            response = None
            try:
                self.requests_made += 1
                response = self.session.get(url, params=params, headers=headers, timeout=self.timeout,
                                            allow_redirects=allow_redirects)
                _ = response.content  # read the whole body now, so a broken body is retried here
            except requests.exceptions.SSLError as exc:
                raise SyncError(f"{what}: サーバー証明書を検証できません。社内プロキシの証明書を使う場合は "
                                f"TOOLKIT_CA_BUNDLE を設定してください（{type(exc).__name__}）。") from None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                last_problem = f"接続が途中で切れました（{type(exc).__name__}）"
                if attempt < self.tries:
                    self._wait(attempt, None)
                    continue
                break
            status = response.status_code
            if status == 401 and authorized and not refreshed:
                # An expired or revoked token: one fresh token, one more try.
                refreshed = True
                self.tokens.refresh()
                continue
            if status in RETRY_STATUSES:
                last_problem = ("要求が多すぎるため制限されました（HTTP 429）" if status == 429
                                else f"サーバーが一時的に応答できません（HTTP {status}）")
                if attempt < self.tries:
                    self._wait(attempt, response)
                    continue
                break
            return response
        raise SyncError(f"{what}: {last_problem}。{self.tries}回試しましたが取得できませんでした。"
                        "しばらくしてから再実行してください。")

    def _raise_for_status(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        code = _graph_error(response)
        detail = f"HTTP {status}" + (f" {code}" if code else "")
        if status == 401:
            raise SyncError(f"{what}: 認証が受け付けられませんでした（{detail}）。アプリ登録と証明書・シークレットを"
                            "確認してください。")
        if status == 403:
            raise SyncError(f"{what}: アクセス権がありません（{detail}）。アプリのアクセス許可（Files.Read.All、"
                            "OnlineMeetingArtifact.Read.All など）への管理者の同意と、Teams のアプリケーション "
                            "アクセス ポリシーを確認してください。")
        if status == 404:
            raise NotFound(f"{what}: 見つかりません（{detail}）。URL と共有設定を確認してください。")
        raise SyncError(f"{what}: Microsoft Graph がエラーを返しました（{detail}）。")

    def get_json(self, path_or_url: str, *, what: str, params: Mapping[str, str] | None = None) -> dict:
        url = self.url(path_or_url)
        response = self._get(url, what=what, params=params)
        self._raise_for_status(response, what)
        try:
            body = json.loads(response.content)
        except ValueError:
            raise SyncError(f"{what}: Microsoft Graph の応答が壊れています（JSON として読めません）。"
                            "しばらくしてから再実行してください。") from None
        if not isinstance(body, dict):
            raise SyncError(f"{what}: Microsoft Graph の応答の形式が想定と違います。")
        return body

    def iter_values(self, path_or_url: str, *, what: str,
                    params: Mapping[str, str] | None = None) -> Iterator[dict]:
        """Every item of a collection, page by page, following ``@odata.nextLink`` until it is absent."""
        url: str | None = self.url(path_or_url)
        seen: set[str] = set()
        while url is not None:
            if url in seen:
                raise SyncError(f"{what}: 次のページのリンクが同じページを指しています（応答の形式が想定と違います）。")
            seen.add(url)
            page = self.get_json(url, what=what, params=params)
            values = page.get("value")
            if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
                raise SyncError(f"{what}: Microsoft Graph の応答に value の一覧がありません（形式が想定と違います）。")
            yield from values
            next_link = page.get("@odata.nextLink")
            if next_link is not None and not isinstance(next_link, str):
                raise SyncError(f"{what}: 次のページのリンクの形式が想定と違います。")
            url = next_link
            params = None  # the next link carries its own query

    def download(self, path_or_url: str, *, what: str) -> bytes:
        """A file's content. Graph answers with a 302 to a pre-authenticated URL, fetched without our token."""
        url = self.url(path_or_url)
        response = self._get(url, what=what)
        hops = 0
        while response.status_code in REDIRECT_STATUSES:
            location = response.headers.get("Location")
            if not location or hops >= 5:
                raise SyncError(f"{what}: ダウンロード先への転送が正しくありません。")
            hops += 1
            # The target is pre-authenticated: sending the bearer token there would leak it to the file host.
            response = self._get(urljoin(response.url, location), what=what, authorized=False)
        self._raise_for_status(response, what)
        return response.content


class NotFound(SyncError):
    """404: a share link or meeting that does not exist (or is not visible to the app)."""

