"""Configuration, the HTTP session, and tokens (msal) for the Microsoft 365 sync.

Where things come from (``docs/sync.md``):
- tenant and client IDs: ``TOOLKIT_TENANT_ID`` / ``TOOLKIT_CLIENT_ID``, else the 設定 sheet;
- the client secret: ``TOOLKIT_CLIENT_SECRET``, else the OS keyring (service ``toolkit``, user = client ID),
  else a token cached by ``toolkit login`` (device-code flow); never the workbook;
- endpoints: ``TOOLKIT_AUTHORITY``, ``TOOLKIT_GRAPH_URL``, ``TOOLKIT_CA_BUNDLE`` (tests, other clouds, proxies).

msal and the Graph client share one ``requests.Session`` with ``trust_env = False`` and ``verify`` set
explicitly: requests would otherwise let ``REQUESTS_CA_BUNDLE`` override the CA bundle we chose.
"""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from toolkit.graph.client import DEFAULT_TIMEOUT
from toolkit.errors import AuthError, SyncError  # noqa: F401  (SyncError: re-exported)

DEFAULT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_RESOURCE = "https://graph.microsoft.com"
APP_SCOPES = [GRAPH_RESOURCE + "/.default"]
# Delegated permissions for `toolkit login` (a person signs in; Teams主催者 must be that person).
DELEGATED_SCOPES = [GRAPH_RESOURCE + "/" + p for p in ("Files.Read.All", "OnlineMeetings.Read",
                                                        "OnlineMeetingArtifact.Read.All")]
KEYRING_SERVICE = "toolkit"
CACHE_FILE = "token_cache.json"
# Graph hosts of the national clouds, whose tokens are requested for their own resource.
_NATIONAL_GRAPH_HOSTS = ("graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn")


@dataclass(frozen=True)
class AuthConfig:
    tenant_id: str
    client_id: str
    authority: str
    graph_url: str
    ca_bundle: str | None = None
    proxy: str | None = None
    # Never printed: repr=False keeps it out of tracebacks and logs that show the object.
    secret: str | None = field(default=None, repr=False)

    @property
    def default_authority(self) -> bool:
        return urlsplit(self.authority).hostname == urlsplit(DEFAULT_AUTHORITY).hostname

    @property
    def app_scopes(self) -> list[str]:
        parts = urlsplit(self.graph_url)
        if parts.hostname in _NATIONAL_GRAPH_HOSTS:
            return [f"{parts.scheme}://{parts.netloc}/.default"]
        return list(APP_SCOPES)


def _env(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def resolve_config(settings: object | None, env: Mapping[str, str] = os.environ) -> AuthConfig:
    """IDs, endpoints and the secret from the environment, falling back to the 設定 sheet for the IDs."""
    tenant = _env(env, "TOOLKIT_TENANT_ID") or (getattr(settings, "tenant_id", "") or "").strip()
    client_id = _env(env, "TOOLKIT_CLIENT_ID") or (getattr(settings, "client_id", "") or "").strip()
    if not tenant:
        raise AuthError("テナントIDがありません。設定シートの「テナントID」か環境変数 TOOLKIT_TENANT_ID に"
                        "入れてください。")
    if not client_id:
        raise AuthError("クライアントIDがありません。設定シートの「クライアントID」か環境変数 TOOLKIT_CLIENT_ID に"
                        "入れてください。")
    if not re.fullmatch(r"[A-Za-z0-9.\-]+", tenant):
        raise AuthError(f"テナントID「{tenant}」の形式が正しくありません（GUID か contoso.onmicrosoft.com の形）。")
    authority = (_env(env, "TOOLKIT_AUTHORITY") or DEFAULT_AUTHORITY).replace("{tenant}", tenant).rstrip("/")
    if urlsplit(authority).scheme != "https":
        raise AuthError(f"TOOLKIT_AUTHORITY は https:// で始まる必要があります（{authority}）。")
    graph_url = (_env(env, "TOOLKIT_GRAPH_URL") or DEFAULT_GRAPH_URL).rstrip("/")
    if urlsplit(graph_url).scheme != "https":
        raise AuthError(f"TOOLKIT_GRAPH_URL は https:// で始まる必要があります（{graph_url}）。")
    ca_bundle = _env(env, "TOOLKIT_CA_BUNDLE") or None
    if ca_bundle and not os.path.exists(ca_bundle):
        raise AuthError(f"TOOLKIT_CA_BUNDLE のファイルが見つかりません: {ca_bundle}")
    return AuthConfig(tenant, client_id, authority, graph_url, ca_bundle, _env(env, "TOOLKIT_PROXY") or None,
                      secret=_env(env, "TOOLKIT_CLIENT_SECRET") or None)


def make_session(config: AuthConfig) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no REQUESTS_CA_BUNDLE / proxy / .netrc surprises: everything is explicit
    session.verify = config.ca_bundle or True
    if config.proxy:
        session.proxies = {"https": config.proxy, "http": config.proxy}
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8)
    session.mount("https://", adapter)
    return session


class _TimeoutHttp:
    """The session as msal's http_client, with our timeouts (msal passes none of its own)."""

    def __init__(self, session: requests.Session, timeout=DEFAULT_TIMEOUT):
        self._session = session
        self._timeout = timeout

    def get(self, url, params=None, headers=None, **kwargs):
        kwargs.setdefault("timeout", self._timeout)
        return self._session.get(url, params=params, headers=headers, **kwargs)

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        kwargs.setdefault("timeout", self._timeout)
        return self._session.post(url, params=params, data=data, headers=headers, **kwargs)

    def close(self):  # the session belongs to the caller
        pass


# ---------------------------------------------------------------- msal errors → messages

def describe_msal_error(result: Mapping[str, object], config: AuthConfig | None = None) -> str:
    """msal's error dict as a message staff can act on (no secret is ever in it)."""
    error = str(result.get("error") or "")
    description = str(result.get("error_description") or "")
    codes = set(re.findall(r"AADSTS\d+", description)) | {f"AADSTS{c}" for c in result.get("error_codes") or []}
    first_line = description.splitlines()[0] if description else ""
    tenant = config.tenant_id if config else ""
    if codes & {"AADSTS7000215", "AADSTS7000222", "AADSTS7000216"} or error == "invalid_client":
        return ("クライアントシークレットが正しくないか、有効期限が切れています。Entra 管理センターのアプリ登録で"
                "新しいシークレットを作成し、TOOLKIT_CLIENT_SECRET かキーリングに設定し直してください。"
                f"（{error} {' '.join(sorted(codes))}）".rstrip())
    if codes & {"AADSTS65001", "AADSTS650057", "AADSTS90094"} or error == "consent_required":
        return ("アプリのアクセス許可に管理者の同意がありません。Entra 管理センターの「API のアクセス許可」で"
                f"「管理者の同意を与えます」を実行してください。（{error} {' '.join(sorted(codes))}）")
    if codes & {"AADSTS90002", "AADSTS900023", "AADSTS90072"} or error == "invalid_tenant":
        return f"テナント「{tenant}」が見つかりません。テナントIDを確認してください。（{' '.join(sorted(codes))}）"
    if codes & {"AADSTS700016"} or error == "unauthorized_client":
        return ("クライアントID のアプリがこのテナントに見つかりません。クライアントIDとテナントIDを確認してください。"
                f"（{error} {' '.join(sorted(codes))}）")
    if error in ("invalid_grant", "interaction_required"):
        return "サインインの有効期限が切れました。`toolkit login` でもう一度サインインしてください。" + (
            f"（{first_line[:200]}）" if first_line else "")
    return f"認証に失敗しました（{error or '不明なエラー'}）。{first_line[:200]}"


def _authority_failure(exc: Exception, config: AuthConfig) -> AuthError:
    if isinstance(exc, requests.exceptions.SSLError):
        return AuthError("認証サーバーの証明書を検証できません。社内プロキシの証明書を使う場合は TOOLKIT_CA_BUNDLE を"
                         "設定してください。")
    if isinstance(exc, requests.RequestException):
        return AuthError(f"認証サーバー（{urlsplit(config.authority).netloc}）に接続できません。"
                         f"ネットワークを確認してください（{type(exc).__name__}）。")
    # msal raises ValueError when the tenant's OpenID configuration cannot be fetched (unknown tenant).
    return AuthError(f"テナント「{config.tenant_id}」が見つかりません。テナントIDと TOOLKIT_AUTHORITY を確認して"
                     "ください。")


# ---------------------------------------------------------------- token sources

class AppTokens:
    """Application permissions (scheduled sync): client credentials with a secret."""

    def __init__(self, config: AuthConfig, session: requests.Session, secret: str):
        import msal

        self._config = config
        try:
            self._app = msal.ConfidentialClientApplication(
                config.client_id, client_credential=secret, authority=config.authority,
                http_client=_TimeoutHttp(session),
                # Instance discovery asks login.microsoftonline.com about the authority: skip it for any
                # other authority (tests, a proxy in front of Entra), as msal's docs advise.
                instance_discovery=None if config.default_authority else False,
            )
        except (ValueError, requests.RequestException) as exc:
            raise _authority_failure(exc, config) from None

    def token(self) -> str:
        try:
            result = self._app.acquire_token_for_client(self._config.app_scopes)
        except requests.RequestException as exc:
            raise _authority_failure(exc, self._config) from None
        if not result or "access_token" not in result:
            raise AuthError(describe_msal_error(result or {}, self._config))
        return result["access_token"]

    def refresh(self) -> str:
        # acquire_token_for_client refuses force_refresh and would hand back the cached (rejected) token.
        self._app.remove_tokens_for_client()
        return self.token()


class UserTokens:
    """Delegated permissions from the device-code cache of `toolkit login`."""

    def __init__(self, config: AuthConfig, session: requests.Session, cache_path: Path):
        import msal

        self._config = config
        self._cache_path = cache_path
        self._cache = msal.SerializableTokenCache()
        self._cache.deserialize(cache_path.read_text(encoding="utf-8"))
        try:
            self._app = msal.PublicClientApplication(
                config.client_id, authority=config.authority, token_cache=self._cache,
                http_client=_TimeoutHttp(session),
                instance_discovery=None if config.default_authority else False,
            )
        except (ValueError, requests.RequestException) as exc:
            raise _authority_failure(exc, config) from None
        self._accounts = self._app.get_accounts()

    @property
    def available(self) -> bool:
        return bool(self._accounts)

    def _acquire(self, force: bool) -> str:
        try:
            result = self._app.acquire_token_silent_with_error(DELEGATED_SCOPES, self._accounts[0],
                                                               force_refresh=force)
        except requests.RequestException as exc:
            raise _authority_failure(exc, self._config) from None
        if not result or "access_token" not in result:
            raise AuthError(describe_msal_error(result or {"error": "interaction_required"}, self._config))
        if self._cache.has_state_changed:
            write_private_file(self._cache_path, self._cache.serialize())
        return result["access_token"]

    def token(self) -> str:
        return self._acquire(False)

    def refresh(self) -> str:
        return self._acquire(True)


def _keyring_secret(client_id: str) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, client_id) or None
        except (KeyringError, RuntimeError):
            return None  # no usable backend (a server without a desktop session): fall through
    except ImportError:
        return None


def token_source(config: AuthConfig, session: requests.Session, env: Mapping[str, str] = os.environ):
    """Secret from env, else keyring, else the device-code cache; else a clear error."""
    secret = config.secret or _keyring_secret(config.client_id)
    if secret:
        return AppTokens(config, session, secret)
    cache_path = token_cache_path(env)
    if cache_path.is_file():
        user = UserTokens(config, session, cache_path)
        if user.available:
            return user
    raise AuthError("クライアントシークレットがありません。環境変数 TOOLKIT_CLIENT_SECRET か OS のキーリング"
                    f"（サービス名 {KEYRING_SERVICE}、ユーザー名 = クライアントID）に設定するか、"
                    "`toolkit login` でサインインしてください。")


# ---------------------------------------------------------------- the token cache file

def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The user's own configuration folder: %APPDATA%\\toolkit or ~/.config/toolkit (TOOLKIT_CONFIG_DIR wins)."""
    if _env(env, "TOOLKIT_CONFIG_DIR"):
        return Path(_env(env, "TOOLKIT_CONFIG_DIR"))
    if sys.platform == "win32" and _env(env, "APPDATA"):
        return Path(_env(env, "APPDATA")) / "toolkit"
    base = _env(env, "XDG_CONFIG_HOME") or str(Path(_env(env, "HOME") or Path.home()) / ".config")
    return Path(base) / "toolkit"


def token_cache_path(env: Mapping[str, str] = os.environ) -> Path:
    return config_dir(env) / CACHE_FILE


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` so that only its owner can read it (0600), atomically (a crash leaves old or new)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)  # O_CREAT's mode is ignored for an existing file; on Windows the folder ACL applies
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def login_device_code(env: Mapping[str, str] = os.environ, out: Callable[[str], object] = print, *,
                      settings: object | None = None, session: requests.Session | None = None) -> None:
    """`toolkit login`: sign in a person with the device-code flow and keep the tokens in the user's cache."""
    import msal

    config = resolve_config(settings, env)
    session = session or make_session(config)
    cache = msal.SerializableTokenCache()
    path = token_cache_path(env)
    if path.is_file():
        cache.deserialize(path.read_text(encoding="utf-8"))
    try:
        app = msal.PublicClientApplication(
            config.client_id, authority=config.authority, token_cache=cache, http_client=_TimeoutHttp(session),
            instance_discovery=None if config.default_authority else False)
        flow = app.initiate_device_flow(scopes=DELEGATED_SCOPES)
    except (ValueError, requests.RequestException) as exc:
        raise _authority_failure(exc, config) from None
    if "user_code" not in flow:
        raise AuthError(describe_msal_error(flow, config))
    out(f"ブラウザーで {flow.get('verification_uri')} を開き、コード {flow['user_code']} を入力して"
        "サインインしてください。")
    try:
        result = app.acquire_token_by_device_flow(flow)
    except requests.RequestException as exc:
        raise _authority_failure(exc, config) from None
    if "access_token" not in result:
        raise AuthError(describe_msal_error(result, config))
    write_private_file(path, cache.serialize())
    claims = result.get("id_token_claims") or {}
    who = claims.get("preferred_username") or ""
    out(f"サインインしました{('（' + who + '）') if who else ''}。トークンは {path} に保存しました。")

