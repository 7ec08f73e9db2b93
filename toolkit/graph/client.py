"""A small Microsoft Graph client over the shared session (``toolkit.graph.http``): tokens, paging, downloads.

Throttling (429/503/504, ``Retry-After``) and connections that fail before a response are retried by urllib3
on the session's adapter. What urllib3 cannot see is handled here:
- a body cut off half-way (requests reads it after urllib3 returned): the GET is repeated, a bounded number
  of times, with the same back-off;
- 401 from Graph (an expired token): one fresh token, one more try;
- a download: Graph answers ``/content`` with a 302 to a pre-authenticated URL, fetched *without* our token;
  when that URL has expired (401 there) a new one is asked from ``/content``.
``@odata.nextLink`` is followed exactly as given, but only to the Graph origin: the token goes nowhere else.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import requests

from toolkit.errors import AuthError, SyncError
from toolkit.graph.http import BACKOFF, DEFAULT_TIMEOUT, DEFAULT_TRIES, RETRY_STATUSES

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_BODY_ERRORS = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


class TokenSource(Protocol):
    delegated: bool

    def token(self) -> str: ...

    def refresh(self) -> str: ...


class NotFound(SyncError):
    """404: a share link, meeting or user that does not exist (or is not visible to the app)."""


class Forbidden(SyncError):
    """403: the app lacks a permission, a site grant or the Teams application access policy."""


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _graph_error(response: requests.Response) -> str:
    """Graph's error code (``{"error": {"code": ...}}``), for the message; never the whole body."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code") or "") if isinstance(error, dict) else ""


def _session_sleep(session: requests.Session) -> Callable[[float], None]:
    """The waiting function of the session's retry policy, so one injection point serves every wait."""
    retry = getattr(session.get_adapter("https://"), "max_retries", None)
    return getattr(type(retry), "sleeper", time.sleep)


class GraphClient:
    def __init__(self, session: requests.Session, base_url: str, tokens: TokenSource, *,
                 tries: int = DEFAULT_TRIES, timeout: tuple[float, float] = DEFAULT_TIMEOUT):
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.tries = max(1, tries)
        self.timeout = timeout
        self._sleep = _session_sleep(session)
        self._origin = _origin(self.base_url)
        self.requests_made = 0

    @property
    def delegated(self) -> bool:
        return bool(getattr(self.tokens, "delegated", False))

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("https://", "http://")):
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def _check_origin(self, url: str) -> None:
        if _origin(url) != self._origin:
            raise SyncError("Microsoft Graph 以外のアドレスへの移動を指示されたため、同期を中止しました"
                            "（アクセストークンを外部に送らないため）。")

    def _get(self, url: str, *, what: str, params: Mapping[str, str] | None = None,
             authorized: bool = True) -> requests.Response:
        """One GET whose body has been read completely (a broken body is repeated here)."""
        if authorized:
            self._check_origin(url)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            headers = {"Accept": "application/json"}
            if authorized:
                headers["Authorization"] = "Bearer " + self.tokens.token()
            try:
                self.requests_made += 1
                response = self.session.get(url, params=params, headers=headers, timeout=self.timeout,
                                            allow_redirects=False)
                _ = response.content  # read it all now: a body cut off half-way fails here, not later
            except requests.exceptions.SSLError as exc:
                raise SyncError(f"{what}: サーバー証明書を検証できません。社内プロキシの証明書を使う場合は "
                                f"TOOLKIT_CA_BUNDLE を設定してください（{type(exc).__name__}）。") from None
            except requests.exceptions.RetryError:
                raise SyncError(f"{what}: サーバーが繰り返しエラーを返しました。しばらくしてから再実行してください。") \
                    from None
            except requests.Timeout as exc:
                raise SyncError(f"{what}: Microsoft 365 から時間内に応答がありません（{type(exc).__name__}）。"
                                "しばらくしてから再実行してください。") from None
            except requests.ConnectionError as exc:  # urllib3 has already retried the connection
                raise SyncError(f"{what}: Microsoft 365 に接続できません（{type(exc).__name__}）。"
                                "ネットワークを確認してください。") from None
            except _BODY_ERRORS as exc:
                if attempt < self.tries:
                    self._sleep(BACKOFF * 2 ** (attempt - 1))
                    continue
                raise SyncError(f"{what}: 接続が途中で切れました（{type(exc).__name__}）。{self.tries}回試しましたが"
                                "取得できませんでした。しばらくしてから再実行してください。") from None
            if response.status_code == 401 and authorized and not refreshed:
                refreshed = True  # an expired or revoked token: one fresh token, one more try
                self.tokens.refresh()
                continue
            return response

    def _raise_for_status(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        code = _graph_error(response)
        detail = f"HTTP {status}" + (f" {code}" if code else "")
        if status == 401:
            raise AuthError(f"{what}: 認証が受け付けられませんでした（{detail}）。アプリ登録と証明書・シークレットを"
                            "確認してください。")
        if status == 403:
            raise Forbidden(f"{what}: アクセス権がありません（{detail}）。アプリのアクセス許可（Sites.Selected と"
                            "サイトへの付与、OnlineMeetingArtifact.Read.All など）への管理者の同意と、Teams の"
                            "アプリケーション アクセス ポリシーを確認してください（docs/sync.md）。")
        if status == 404:
            raise NotFound(f"{what}: 見つかりません（{detail}）。URL と共有設定を確認してください。")
        if status in RETRY_STATUSES:
            problem = ("要求が多すぎるため制限されました（HTTP 429）" if status == 429
                       else f"サーバーが一時的に応答できません（HTTP {status}）")
            raise SyncError(f"{what}: {problem}。{self.tries}回試しましたが取得できませんでした。"
                            "しばらくしてから再実行してください。")
        raise SyncError(f"{what}: Microsoft Graph がエラーを返しました（{detail}）。")

    def get_json(self, path_or_url: str, *, what: str, params: Mapping[str, str] | None = None) -> dict:
        response = self._get(self.url(path_or_url), what=what, params=params)
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
        """A file's content through ``/content``; an expired pre-authenticated URL is asked for again."""
        url = self.url(path_or_url)
        for _ in range(3):
            response = self._get(url, what=what)
            hops = 0
            while response.status_code in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location or hops >= 5:
                    raise SyncError(f"{what}: ダウンロード先への転送が正しくありません。")
                hops += 1
                # Pre-authenticated: our bearer token must not travel to the file host.
                response = self._get(urljoin(response.url, location), what=what, authorized=False)
            if hops and response.status_code == 401:
                continue  # the short-lived download URL expired before we used it: a new one from /content
            self._raise_for_status(response, what)
            return response.content
        raise SyncError(f"{what}: ダウンロード用の URL が繰り返し期限切れになりました。しばらくしてから再実行してください。")
