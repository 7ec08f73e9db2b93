"""Configuration, credentials and tokens (msal) for the Microsoft 365 sync.

Where things come from (``docs/sync.md``):
- tenant and client IDs: ``TOOLKIT_TENANT_ID`` / ``TOOLKIT_CLIENT_ID``, else the 設定 sheet;
- the app's credential (scheduled sync): a certificate, ``TOOLKIT_CLIENT_CERTIFICATE`` = a PEM file holding
  the RSA private key and its certificate (Microsoft's recommendation for daemon apps); else a secret,
  ``TOOLKIT_CLIENT_SECRET``, else the OS keyring (service ``toolkit``, user = client ID); never the workbook;
- else a person's tokens cached by ``toolkit login`` (device-code flow, delegated permissions). The Excel
  workbook API (a master kept in SharePoint / OneDrive) takes delegated tokens only: its writes always go
  through this cache (``user_tokens``), as a dedicated account signed in once, even where an app credential
  reads Forms and Teams. The tenant and client of that sign-in are remembered (``login.json``), since a
  master in SharePoint cannot be read for its 設定 sheet before someone has signed in;
- endpoints: ``TOOLKIT_AUTHORITY``, ``TOOLKIT_GRAPH_URL``, ``TOOLKIT_CA_BUNDLE`` (tests, national clouds, proxies).

msal and the Graph client share one session (``toolkit.graph.http``). Scopes are built from the configured
Graph host, so a national cloud's Graph gets tokens for itself.
"""
from __future__ import annotations

import json
import os
import re
import ssl
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from toolkit.errors import AuthError
from toolkit.private import private_folder, restrict, write_private_file
from toolkit.graph.http import TimeoutHttp, make_session as _make_session, user_agent

DEFAULT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
KEYRING_SERVICE = "toolkit"
CACHE_FILE = "token_cache.json"
LOGIN_FILE = "login.json"  # tenant and client of the last `toolkit login` (no secret, no token)


@dataclass(frozen=True)
class Certificate:
    """A client certificate as msal takes it. ``thumbprint``: SHA-1 of the DER certificate, hex (as Entra shows)."""

    private_key: str = field(repr=False)
    certificate: str
    thumbprint: str

    def credential(self) -> dict[str, str]:
        # Without an explicit "thumbprint" msal computes the SHA-256 one itself and signs with PS256 (x5t#S256);
        # the SHA-1 form is kept by msal for ADFS only.
        return {"private_key": self.private_key, "public_certificate": self.certificate}


@dataclass(frozen=True)
class AuthConfig:
    tenant_id: str
    client_id: str
    authority: str
    graph_url: str
    ca_bundle: str | None = None
    proxy: str | None = None
    # Never printed: repr=False keeps them out of tracebacks and logs that show the object.
    secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    agent: str = ""  # the User-Agent of every call (toolkit.graph.http.user_agent)

    @property
    def default_authority(self) -> bool:
        return urlsplit(self.authority).hostname == urlsplit(DEFAULT_AUTHORITY).hostname

    @property
    def resource(self) -> str:
        """The Graph resource the tokens are for: scheme and host of the configured Graph URL."""
        parts = urlsplit(self.graph_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def app_scopes(self) -> list[str]:
        return [self.resource + "/.default"]

    @property
    def delegated_scopes(self) -> list[str]:
        # ".default": the delegated permissions the admin consented for the app (docs/sync.md lists them), no
        # more. A fixed list would ask the person to consent to each, which a tenant with user consent turned
        # off refuses (AADSTS65001 / 90094) although the admin granted what the toolkit needs.
        return [self.resource + "/.default"]


def _env(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def resolve_config(settings: object | None, env: Mapping[str, str] = os.environ) -> AuthConfig:
    """IDs, endpoints and the credential from the environment, falling back to the 設定 sheet for the IDs, then
    to the tenant and client of the last `toolkit login`."""
    signed_in = read_login(env)
    tenant = (_env(env, "TOOLKIT_TENANT_ID") or (getattr(settings, "tenant_id", "") or "").strip()
              or signed_in.get("tenant_id", ""))
    client_id = (_env(env, "TOOLKIT_CLIENT_ID") or (getattr(settings, "client_id", "") or "").strip()
                 or signed_in.get("client_id", ""))
    if not tenant:
        raise AuthError("テナントIDがありません。設定シートの「テナントID」か環境変数 TOOLKIT_TENANT_ID に"
                        "入れてください（SharePoint のブックは、先に `toolkit login --tenant … --client-id …`）。")
    if not client_id:
        raise AuthError("クライアントIDがありません。設定シートの「クライアントID」か環境変数 TOOLKIT_CLIENT_ID に"
                        "入れてください（SharePoint のブックは、先に `toolkit login --tenant … --client-id …`）。")
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
                      secret=_env(env, "TOOLKIT_CLIENT_SECRET") or None,
                      certificate_path=_env(env, "TOOLKIT_CLIENT_CERTIFICATE") or None,
                      agent=user_agent(getattr(settings, "contractor", None)))


def make_session(config: AuthConfig, *, tries: int | None = None, sleep=None) -> requests.Session:
    from toolkit.graph.http import DEFAULT_TRIES

    try:
        return _make_session(ca_bundle=config.ca_bundle, proxy=config.proxy, tries=tries or DEFAULT_TRIES,
                             sleep=sleep, agent=config.agent or None)
    except ssl.SSLError:
        raise AuthError(f"TOOLKIT_CA_BUNDLE のファイルを証明書（PEM 形式）として読めません: {config.ca_bundle}") from None


def load_certificate(path: str | os.PathLike) -> Certificate:
    """The PEM file of ``TOOLKIT_CLIENT_CERTIFICATE``: an RSA private key (unencrypted) and its certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError:
        raise AuthError(f"証明書ファイルを読めません: {path}（TOOLKIT_CLIENT_CERTIFICATE）") from None
    key_block = re.search(rb"-----BEGIN (?:RSA )?PRIVATE KEY-----.+?-----END (?:RSA )?PRIVATE KEY-----", data, re.S)
    cert_block = re.search(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", data, re.S)
    if key_block is None or cert_block is None:
        raise AuthError(f"証明書ファイル {path.name} に秘密キーと証明書の両方（PEM 形式）が必要です。"
                        "docs/sync.md の手順で作り直してください。")
    try:
        key = serialization.load_pem_private_key(key_block.group(0), password=None)
        cert = x509.load_pem_x509_certificate(cert_block.group(0))
    except (ValueError, TypeError):
        raise AuthError(f"証明書ファイル {path.name} を読めません（パスワード付きの秘密キーには対応していません）。") \
            from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AuthError(f"証明書ファイル {path.name} の秘密キーが RSA ではありません。")
    if key.public_key().public_numbers() != cert.public_key().public_numbers():
        raise AuthError(f"証明書ファイル {path.name} の秘密キーと証明書が対になっていません。")
    thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 — Entra's displayed thumbprint
    return Certificate(key_block.group(0).decode("ascii"), cert_block.group(0).decode("ascii"), thumbprint)


# ---------------------------------------------------------------- msal errors → messages

# Entra's codes for a refresh token that can no longer be used (inactivity, expiry, password change, revoked
# sessions, sign-in frequency) and for conditional access refusing the sign-in (blocked, non-compliant device,
# MFA or another control required). The Excel workbook API runs on a cached refresh token, so these are the
# messages the scheduled sync of a SharePoint master shows once a sign-in stops working.
EXPIRED_SIGN_IN_CODES = frozenset({"AADSTS700082", "AADSTS70043", "AADSTS70008", "AADSTS50173", "AADSTS50133",
                                   "AADSTS50089", "AADSTS700084", "AADSTS50132"})
CONDITIONAL_ACCESS_CODES = frozenset({"AADSTS53003", "AADSTS53000", "AADSTS53001", "AADSTS53002",
                                      "AADSTS530003", "AADSTS50158"})
MFA_CODES = frozenset({"AADSTS50076", "AADSTS50079"})  # multi-factor authentication required / to be registered

def describe_msal_error(result: Mapping[str, object], config: AuthConfig | None = None) -> str:
    """msal's error dict as a message staff can act on (no secret is ever in it)."""
    error = str(result.get("error") or "")
    description = str(result.get("error_description") or "")
    codes = set(re.findall(r"AADSTS\d+", description)) | {f"AADSTS{c}" for c in result.get("error_codes") or []}
    first_line = description.splitlines()[0] if description else ""
    tenant = config.tenant_id if config else ""
    if codes & {"AADSTS700027", "AADSTS700024", "AADSTS700023", "AADSTS7000274"} or (
            error == "invalid_client" and config is not None and config.certificate_path):
        return ("証明書による認証が受け付けられませんでした。Entra 管理センターのアプリ登録の「証明書とシークレット」に"
                "この証明書（TOOLKIT_CLIENT_CERTIFICATE）がアップロードされ、有効期限内か確認してください。"
                f"（{error} {' '.join(sorted(codes))}）".rstrip())
    if "AADSTS7000218" in codes:
        return ("このアプリ登録ではデバイスコードでのサインインが許可されていません（AADSTS7000218: パブリック クライアント"
                " フローが無効）。ブラウザーでサインインする `toolkit login`（--device-code なし）を使うか、IT 管理者に"
                "Entra 管理センターのアプリ登録 →「認証」→「パブリック クライアント フローを許可する」を「はい」に"
                "してもらってください。")
    if codes & {"AADSTS7000215", "AADSTS7000222", "AADSTS7000216"} or error == "invalid_client":
        return ("クライアントシークレットが正しくないか、有効期限が切れています。Entra 管理センターのアプリ登録で"
                "新しいシークレットを作成し、TOOLKIT_CLIENT_SECRET かキーリングに設定し直してください。"
                f"（{error} {' '.join(sorted(codes))}）".rstrip())
    if codes & {"AADSTS65001", "AADSTS650057", "AADSTS90094", "AADSTS90008"} or error == "consent_required":
        return ("アプリのアクセス許可に管理者の同意がありません（ユーザーによる同意は組織で無効にされています）。IT 管理者に"
                "Entra 管理センターのアプリ登録 →「API のアクセス許可」で docs/sync.md のアクセス許可を追加し、"
                f"「管理者の同意を与えます」を実行してもらってください。（{error} {' '.join(sorted(codes))}）")
    if codes & MFA_CODES:
        return ("多要素認証が必要です（" + " ".join(sorted(codes & MFA_CODES)) + "）。`toolkit login` をブラウザーで"
                "実行し、多要素認証を済ませてサインインし直してください（保存済みのサインインやデバイスコードでは"
                "求めに応じられないことがあります）。定期実行のアカウントで続く場合は、IT 管理者に条件付きアクセスの"
                "多要素認証の頻度を確認してもらってください。")
    if codes & {"AADSTS90002", "AADSTS900023", "AADSTS90072"} or error == "invalid_tenant":
        return f"テナント「{tenant}」が見つかりません。テナントIDを確認してください。（{' '.join(sorted(codes))}）"
    if codes & {"AADSTS700016"} or error == "unauthorized_client":
        return ("クライアントID のアプリがこのテナントに見つかりません。クライアントIDとテナントIDを確認してください。"
                f"（{error} {' '.join(sorted(codes))}）")
    if codes & CONDITIONAL_ACCESS_CODES:
        return ("条件付きアクセスのポリシーにより、サインインがブロックされました（"
                f"{' '.join(sorted(codes & CONDITIONAL_ACCESS_CODES))}）。同期用アカウントがこのポリシーの条件"
                "（場所・準拠デバイス・サインインの方法など）を満たさないためです。デバイスコードでのサインインを"
                "ブロックするポリシーなら、`toolkit login`（ブラウザーでのサインイン）を使ってください。それ以外は"
                "IT 管理者に、同期を実行するパソコンの場所から同期用アカウントがサインインできるようポリシーの除外を"
                "設定してもらい、`toolkit login` でサインインし直してください。")
    if codes & EXPIRED_SIGN_IN_CODES:
        return ("同期用アカウントのサインインの有効期限が切れました（長く使われなかった、パスワードが変更された、"
                f"または管理者がサインインを取り消した: {' '.join(sorted(codes & EXPIRED_SIGN_IN_CODES))}）。"
                "同期用アカウントで `toolkit login` を実行し、もう一度サインインしてください。")
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

def _msal_app(cls, config: AuthConfig, session: requests.Session, **kwargs):
    try:
        return cls(config.client_id, authority=config.authority, http_client=TimeoutHttp(session),
                   # Instance discovery asks login.microsoftonline.com about the authority: skip it for any
                   # other authority (tests, a proxy in front of Entra), as msal's docs advise.
                   instance_discovery=None if config.default_authority else False, **kwargs)
    except (ValueError, requests.RequestException) as exc:
        raise _authority_failure(exc, config) from None


class AppTokens:
    """Application permissions (scheduled sync): client credentials with a certificate or a secret."""

    delegated = False

    def __init__(self, config: AuthConfig, session: requests.Session, credential: str | dict):
        import msal

        self._config = config
        self._app = _msal_app(msal.ConfidentialClientApplication, config, session, client_credential=credential)

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
    """Delegated permissions from the token cache of `toolkit login`, as the account that signed in last (its
    home account id is kept in ``login.json``; a cache may hold several accounts)."""

    delegated = True

    def __init__(self, config: AuthConfig, session: requests.Session, cache, home_account_id: str | None = None):
        self._config = config
        self._app = _public_app(config, session, cache)
        self._account = _signed_in_account(self._app.get_accounts(), home_account_id)

    @property
    def available(self) -> bool:
        return self._account is not None

    def _acquire(self, force: bool) -> str:
        try:
            result = self._app.acquire_token_silent_with_error(self._config.delegated_scopes, self._account,
                                                               force_refresh=force)
        except requests.RequestException as exc:
            raise _authority_failure(exc, self._config) from None
        if not result or "access_token" not in result:
            raise AuthError(describe_msal_error(result or {"error": "interaction_required"}, self._config))
        return result["access_token"]  # a PersistedTokenCache saves itself

    def token(self) -> str:
        return self._acquire(False)

    def refresh(self) -> str:
        return self._acquire(True)


def _signed_in_account(accounts: list[dict], home_account_id: str | None) -> dict | None:
    """The cached account that signed in last; with no record of it, the only one (never a guess among several)."""
    if home_account_id:
        return next((a for a in accounts if a.get("home_account_id") == home_account_id), None)
    return accounts[0] if len(accounts) == 1 else None


def _public_app(config: AuthConfig, session: requests.Session, cache):
    """msal's public client; on Windows through the Web Account Manager broker when ``msal[broker]`` is installed
    (Windows Hello, the device's own sign-in and device-based conditional access)."""
    import msal

    broker = {}
    if sys.platform == "win32":
        try:
            import pymsalruntime  # noqa: F401 — present only with msal[broker]
            broker = {"enable_broker_on_windows": True}
        except ImportError:
            pass
    return _msal_app(msal.PublicClientApplication, config, session, token_cache=cache, **broker)


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


def _signed_in_user(config: AuthConfig, session: requests.Session, env: Mapping[str, str]) -> UserTokens | None:
    """The tokens of the account `toolkit login` signed in last, when the cache still holds it."""
    if not token_cache_exists(env):
        return None
    user = UserTokens(config, session, open_token_cache(env), read_login(env).get("home_account_id"))
    return user if user.available else None


def user_tokens(config: AuthConfig, session: requests.Session, env: Mapping[str, str] = os.environ,
                *, why: str = "SharePoint / OneDrive のブックへの書き込み") -> UserTokens:
    """The `toolkit login` account's tokens, for what only delegated permissions allow (the Excel workbook API)."""
    user = _signed_in_user(config, session, env)
    if user is not None:
        return user
    raise AuthError(f"{why}には、サインインしたアカウントが必要です（Excel のブック API はアプリの資格情報を"
                    "受け付けません）。同期用アカウントで一度 `toolkit login` を実行してください（docs/sync.md）。")


def token_source(config: AuthConfig, session: requests.Session, env: Mapping[str, str] = os.environ):
    """Certificate, else secret (env, then keyring), else the `toolkit login` cache; else a clear error."""
    if config.certificate_path:
        return AppTokens(config, session, load_certificate(config.certificate_path).credential())
    secret = config.secret or _keyring_secret(config.client_id)
    if secret:
        return AppTokens(config, session, secret)
    user = _signed_in_user(config, session, env)
    if user is not None:
        return user
    raise AuthError("アプリの資格情報がありません。証明書（環境変数 TOOLKIT_CLIENT_CERTIFICATE）か"
                    "クライアントシークレット（TOOLKIT_CLIENT_SECRET か OS のキーリング"
                    f"（サービス名 {KEYRING_SERVICE}、ユーザー名 = クライアントID））を設定するか、"
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


def token_cache_exists(env: Mapping[str, str] = os.environ) -> bool:
    return token_cache_path(env).is_file()


def read_login(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """{"tenant_id", "client_id", "account"} of the last `toolkit login`; empty when there was none."""
    try:
        data = json.loads((config_dir(env) / LOGIN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: str(v) for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _persistence(path: Path):
    """The OS keychain where there is one (DPAPI on Windows, Keychain on macOS, Secret Service on Linux through
    msal-extensions); otherwise a file only its owner can read (a server without a desktop session)."""
    from msal_extensions import FilePersistence, build_encrypted_persistence

    class OwnerOnlyFile(FilePersistence):
        def save(self, content):
            super().save(content)
            restrict(Path(self.get_location()))  # an existing file keeps its mode on O_CREAT: set it

    private_folder(path.parent)
    try:
        return build_encrypted_persistence(str(path))
    except Exception:  # no keychain here (libsecret / D-Bus missing): msal-extensions raises various errors
        return OwnerOnlyFile(str(path))


def open_token_cache(env: Mapping[str, str] = os.environ):
    """msal's token cache kept by msal-extensions (locked while written, so two processes never clash)."""
    from msal_extensions import PersistedTokenCache

    return PersistedTokenCache(_persistence(token_cache_path(env)))


def browser_available(env: Mapping[str, str] = os.environ) -> bool:
    """Whether a sign-in page can be shown here: Windows and macOS always; elsewhere a desktop session or a
    BROWSER the person chose (a server reached over SSH has neither: the device code is its way in)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(_env(env, "BROWSER") or _env(env, "DISPLAY") or _env(env, "WAYLAND_DISPLAY"))


def login(env: Mapping[str, str] = os.environ, out: Callable[[str], object] = print, *,
          settings: object | None = None, session: requests.Session | None = None, device_code: bool = False,
          timeout: int = 600) -> str:
    """`toolkit login`: sign a person in and keep the tokens in the user's cache; returns who signed in.

    In a browser by default (authorization code with PKCE on a loopback redirect: the flow conditional access
    expects; many tenants block the device-code flow), or with a device code (``device_code``, or where no
    browser can be shown: a server over SSH). The account is remembered by its home account id, so a cache that
    holds several accounts is used as the one that signed in last."""
    config = resolve_config(settings, env)
    session = session or make_session(config)
    app = _public_app(config, session, open_token_cache(env))
    if device_code or not browser_available(env):
        if not device_code:
            out("ブラウザーを開けない環境のため、デバイスコードでサインインします。")
        result = _device_code_flow(app, config, out)
    else:
        out("ブラウザーでサインイン画面を開きます。サインインが終わるとこの画面に戻ります"
            "（ブラウザーが開かないときは Ctrl+C で止め、`toolkit login --device-code` を使ってください）。")
        try:
            result = app.acquire_token_interactive(config.delegated_scopes, prompt="select_account", timeout=timeout,
                                                   parent_window_handle=app.CONSOLE_WINDOW_HANDLE)
        except requests.RequestException as exc:
            raise _authority_failure(exc, config) from None
        except RuntimeError as exc:  # msal: no browser could be opened
            raise AuthError(f"ブラウザーを開けませんでした（{exc}）。`toolkit login --device-code` で"
                            "サインインしてください。") from None
    if "access_token" not in result:
        raise AuthError(describe_msal_error(result, config))
    claims = result.get("id_token_claims") or {}
    who = str(claims.get("preferred_username") or "")
    home = _home_account_id(app, claims)
    write_private_file(config_dir(env) / LOGIN_FILE, json.dumps(
        {"tenant_id": config.tenant_id, "client_id": config.client_id, "account": who,
         "home_account_id": home}, ensure_ascii=False))
    out(f"サインインしました{('（' + who + '）') if who else ''}。トークンは {token_cache_path(env)} に"
        "（キーチェーンのある OS ではそこに暗号化して）保存しました。")
    return who


def _device_code_flow(app, config: AuthConfig, out: Callable[[str], object]) -> dict:
    try:
        flow = app.initiate_device_flow(scopes=config.delegated_scopes)
    except (ValueError, requests.RequestException) as exc:
        raise _authority_failure(exc, config) from None
    if "user_code" not in flow:
        raise AuthError(describe_msal_error(flow, config))
    out(f"ブラウザーで {flow.get('verification_uri')} を開き、コード {flow['user_code']} を入力して"
        "サインインしてください。")
    try:
        return app.acquire_token_by_device_flow(flow)
    except requests.RequestException as exc:
        raise _authority_failure(exc, config) from None


def _home_account_id(app, claims: Mapping[str, object]) -> str:
    """The cache's id of the account that just signed in (its object id and tenant, as msal keys accounts)."""
    oid, tid = claims.get("oid"), claims.get("tid")
    for account in app.get_accounts():
        if account.get("home_account_id") == f"{oid}.{tid}" or (
                not oid and account.get("username") == claims.get("preferred_username")):
            return str(account.get("home_account_id") or "")
    return ""


def logout(env: Mapping[str, str] = os.environ, out: Callable[[str], object] = print, *,
           settings: object | None = None, session: requests.Session | None = None) -> None:
    """`toolkit logout`: the signed-in account's tokens removed from the cache, and the record of the sign-in."""
    record = config_dir(env) / LOGIN_FILE
    signed_in = read_login(env)
    if not signed_in and not token_cache_exists(env):
        out("サインインしているアカウントはありません。")
        return
    if token_cache_exists(env):
        config = resolve_config(settings, env)
        session = session or make_session(config)
        app = _public_app(config, session, open_token_cache(env))
        account = _signed_in_account(app.get_accounts(), signed_in.get("home_account_id"))
        if account is not None:
            app.remove_account(account)
    record.unlink(missing_ok=True)
    who = signed_in.get("account") or ""
    out(f"サインアウトしました{('（' + who + '）') if who else ''}。このパソコンに保存していたトークンを削除しました。")
