"""A small Microsoft Graph client over the shared session (``toolkit.graph.http``): tokens, paging, downloads.

Throttling (429/503/504, ``Retry-After``) and connections that fail before a response are retried by urllib3
on the session's adapter. What urllib3 cannot see is handled here:
- a body cut off half-way (requests reads it after urllib3 returned): the GET is repeated, a bounded number
  of times, with the same back-off;
- 401 from Graph (an expired token): one fresh token, one more try;
- a download: Graph answers ``/content`` with a 302 to a pre-authenticated URL, fetched *without* our token;
  when that URL has expired (401 there) a new one is asked from ``/content``.
``@odata.nextLink`` is followed exactly as given, but only to the Graph origin: the token goes nowhere else.
``request`` serves the Excel workbook API (POST / PATCH / DELETE with a JSON body); a write whose answer never
came raises ``OutcomeUnknown`` rather than being repeated (``toolkit.workbook.cloud`` re-reads, then decides).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import requests

from toolkit.errors import AuthError, GraphError
from toolkit.graph.http import BACKOFF, DEFAULT_TIMEOUT, DEFAULT_TRIES, RETRY_STATUSES

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_BODY_ERRORS = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


class TokenSource(Protocol):
    delegated: bool

    def token(self) -> str: ...

    def refresh(self) -> str: ...


class NotFound(GraphError):
    """404: a share link, meeting or user that does not exist (or is not visible to the app)."""


class OutcomeUnknown(GraphError):
    """A write was sent but its answer never came (a dropped connection, a time-out): it may have been applied."""


class Forbidden(GraphError):
    """403: the app lacks a permission, a site grant or the Teams application access policy."""


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _graph_error(response: requests.Response) -> str:
    """Graph's error code (``{"error": {"code": ...}}``), for the message; never the whole body."""
    codes = error_codes(response)
    return codes[0] if codes else ""


def error_codes(response: requests.Response) -> list[str]:
    """Graph's error code and the codes of its nested ``innerError``s, outermost first (the Excel API puts the
    specific one, ``invalidSessionReCreatable`` …, one level down)."""
    try:
        body = response.json()
    except ValueError:
        return []
    error = body.get("error") if isinstance(body, dict) else None
    codes = []
    while isinstance(error, dict) and len(codes) < 5:
        if error.get("code"):
            codes.append(str(error["code"]))
        error = error.get("innerError") or error.get("innererror")
    return codes


def _claims_challenge(response: requests.Response) -> bool:
    """A 401 whose ``WWW-Authenticate`` asks for more claims: conditional access (or continuous access evaluation)
    wants the person to sign in again; a fresh token from the same refresh token would be refused alike."""
    return "insufficient_claims" in response.headers.get("WWW-Authenticate", "")


def _connection_failure(exc: Exception, what: str, tries: int) -> GraphError:
    if isinstance(exc, requests.Timeout):
        return GraphError(f"{what}: Microsoft 365 から時間内に応答がありません（{type(exc).__name__}）。"
                         "しばらくしてから再実行してください。")
    if isinstance(exc, _BODY_ERRORS):
        return GraphError(f"{what}: 接続が途中で切れました（{type(exc).__name__}）。{tries}回試しましたが"
                         "取得できませんでした。しばらくしてから再実行してください。")
    # urllib3 has already retried the connection
    return GraphError(f"{what}: Microsoft 365 に接続できません（{type(exc).__name__}）。ネットワークを確認してください。")


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
        self.sleep = _session_sleep(session)  # every wait goes through the session's retry policy
        self._origin = _origin(self.base_url)
        self.requests_made = 0  # HTTP requests sent, urllib3's retries included (the sync report's "requests")

    @property
    def delegated(self) -> bool:
        return bool(getattr(self.tokens, "delegated", False))

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("https://", "http://")):
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def _check_origin(self, url: str) -> None:
        if _origin(url) != self._origin:
            raise GraphError("Microsoft Graph 以外のアドレスへの移動を指示されたため、同期を中止しました"
                            "（アクセストークンを外部に送らないため）。")

    def _get(self, url: str, *, what: str, params: Mapping[str, str] | None = None,
             authorized: bool = True) -> requests.Response:
        """One GET whose body has been read completely (a broken body is repeated here)."""
        return self._send("GET", url, what=what, params=params, authorized=authorized)

    def request(self, method: str, path_or_url: str, *, what: str, body: object = None,
                headers: Mapping[str, str] | None = None) -> requests.Response:
        """One call of any method (the Excel workbook API), status not checked. A POST that was sent but got no
        answer raises ``OutcomeUnknown``: the caller re-reads before it repeats anything."""
        return self._send(method, self.url(path_or_url), what=what, body=body, headers=headers)

    def _send(self, method: str, url: str, *, what: str, params: Mapping[str, str] | None = None,
              body: object = None, headers: Mapping[str, str] | None = None,
              authorized: bool = True) -> requests.Response:
        if authorized:
            self._check_origin(url)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            sent = {"Accept": "application/json", **(headers or {})}
            if authorized:
                sent["Authorization"] = "Bearer " + self.tokens.token()
            try:
                self.requests_made += 1
                response = self.session.request(method, url, params=params, headers=sent, json=body,
                                                timeout=self.timeout, allow_redirects=False)
                # urllib3's retries (429, 503) are requests too, and count against the service's quotas.
                self.requests_made += len(getattr(getattr(response.raw, "retries", None), "history", ()) or ())
                _ = response.content  # read it all now: a body cut off half-way fails here, not later
            except requests.exceptions.SSLError as exc:
                raise GraphError(f"{what}: サーバー証明書を検証できません。社内プロキシの証明書を使う場合は "
                                f"TOOLKIT_CA_BUNDLE を設定してください（{type(exc).__name__}）。") from None
            except requests.exceptions.RetryError:
                raise GraphError(f"{what}: サーバーが繰り返しエラーを返しました。しばらくしてから再実行してください。") \
                    from None
            except (requests.Timeout, requests.ConnectionError, *_BODY_ERRORS) as exc:
                if method == "POST" and not isinstance(exc, requests.exceptions.ConnectTimeout):
                    raise OutcomeUnknown(f"{what}: 応答を受け取る前に接続が切れました（{type(exc).__name__}）。") \
                        from None
                if method == "GET" and isinstance(exc, _BODY_ERRORS) and attempt < self.tries:
                    self.sleep(BACKOFF * 2 ** (attempt - 1))
                    continue
                raise _connection_failure(exc, what, self.tries) from None
            if response.status_code == 401 and authorized and not refreshed and not _claims_challenge(response):
                refreshed = True  # an expired or revoked token: one fresh token, one more try
                self.tokens.refresh()
                continue
            return response

    def raise_for_status(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        code = _graph_error(response)
        detail = f"HTTP {status}" + (f" {code}" if code else "")
        if status == 401:
            if _claims_challenge(response):
                raise AuthError(f"{what}: 条件付きアクセスのポリシーにより、サインインし直すよう求められました"
                                f"（{detail}）。同期用アカウントで `toolkit login` を実行し直してください。続く場合は "
                                "IT 管理者にポリシーの条件（場所・デバイス・多要素認証）を確認してください。")
            if self.delegated:
                raise AuthError(f"{what}: サインインが受け付けられませんでした（{detail}）。同期用アカウントで "
                                "`toolkit login` を実行し直してください。")
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
            raise GraphError(f"{what}: {problem}。{self.tries}回試しましたが取得できませんでした。"
                            "しばらくしてから再実行してください。")
        raise GraphError(f"{what}: Microsoft Graph がエラーを返しました（{detail}）。")

    def get_json(self, path_or_url: str, *, what: str, params: Mapping[str, str] | None = None) -> dict:
        response = self._get(self.url(path_or_url), what=what, params=params)
        self.raise_for_status(response, what)
        try:
            body = json.loads(response.content)
        except ValueError:
            raise GraphError(f"{what}: Microsoft Graph の応答が壊れています（JSON として読めません）。"
                            "しばらくしてから再実行してください。") from None
        if not isinstance(body, dict):
            raise GraphError(f"{what}: Microsoft Graph の応答の形式が想定と違います。")
        return body

    def iter_values(self, path_or_url: str, *, what: str,
                    params: Mapping[str, str] | None = None) -> Iterator[dict]:
        """Every item of a collection, page by page, following ``@odata.nextLink`` until it is absent."""
        url: str | None = self.url(path_or_url)
        seen: set[str] = set()
        while url is not None:
            if url in seen:
                raise GraphError(f"{what}: 次のページのリンクが同じページを指しています（応答の形式が想定と違います）。")
            seen.add(url)
            page = self.get_json(url, what=what, params=params)
            values = page.get("value")
            if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
                raise GraphError(f"{what}: Microsoft Graph の応答に value の一覧がありません（形式が想定と違います）。")
            yield from values
            next_link = page.get("@odata.nextLink")
            if next_link is not None and not isinstance(next_link, str):
                raise GraphError(f"{what}: 次のページのリンクの形式が想定と違います。")
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
                    raise GraphError(f"{what}: ダウンロード先への転送が正しくありません。")
                hops += 1
                # Pre-authenticated: our bearer token must not travel to the file host.
                response = self._get(urljoin(response.url, location), what=what, authorized=False)
            if hops and response.status_code == 401:
                continue  # the short-lived download URL expired before we used it: a new one from /content
            self.raise_for_status(response, what)
            return response.content
        raise GraphError(f"{what}: ダウンロード用の URL が繰り返し期限切れになりました。しばらくしてから再実行してください。")
