"""Sign-in as a city's or firm's tenant is usually configured (issue 25 item 2): in the browser with PKCE (device
code blocked by conditional access), `.default` scopes (user consent off), the account that signed in last used
from a cache holding two, `toolkit logout`, and each AADSTS refusal of the identity endpoint in Japanese."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_graph import FakeGraph

from toolkit.errors import AuthError
from toolkit.graph.auth import login, logout, make_session, resolve_config, user_tokens

HERE = Path(__file__).parent
ALICE = ("alice@contoso.example", "oid-alice", "有馬 亜里沙")
BOB = ("bob@contoso.example", "oid-bob", "坂東 文太")


@pytest.fixture
def fake(tmp_path):
    with FakeGraph(tmp_path) as server:
        yield server


@pytest.fixture
def env(fake, tmp_path):
    env = fake.env(TOOLKIT_CONFIG_DIR=str(tmp_path / "config"))
    del env["TOOLKIT_CLIENT_SECRET"]
    return env


def browser_login(fake: FakeGraph, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`toolkit login` as its own process, with a browser (tests/fake_browser.py) and no device code."""
    run_env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    run_env.update(env)
    run_env["BROWSER"] = f"{sys.executable} {HERE / 'fake_browser.py'} %s"
    run_env["FAKE_BROWSER_CA"] = str(fake.ca_path)
    return subprocess.run([sys.executable, "-m", "toolkit", "login"], env=run_env, capture_output=True, text=True,
                          timeout=120, check=False)


def signed_in_as(env: dict[str, str]) -> str:
    """Whose token the toolkit's delegated calls carry now."""
    config = resolve_config(None, env)
    session = make_session(config)
    try:
        return user_tokens(config, session, env).token()
    finally:
        session.close()


def test_login_in_the_browser_with_pkce_and_the_default_scope(fake, env):
    fake.user = ALICE
    done = browser_login(fake, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "サインインしました（alice@contoso.example）" in done.stdout and "Traceback" not in done.stderr
    assert not fake.device_scopes  # no device code was asked for: the authorization-code flow ran
    grant = next(r for r in fake.token_requests if r.get("grant_type") == "authorization_code")
    assert grant["code_verifier"] and grant["redirect_uri"].startswith("http://localhost:")  # PKCE, loopback
    assert f"{fake.base_url}/.default" in grant["scope"].split()  # what the admin consented, no fixed list
    record = json.loads((Path(env["TOOLKIT_CONFIG_DIR"]) / "login.json").read_text(encoding="utf-8"))
    assert record["home_account_id"] == f"oid-alice.{fake.tenant}" and record["account"] == ALICE[0]
    assert fake.token_user[signed_in_as(env)] == ALICE[0]


def test_two_cached_accounts_the_one_that_signed_in_last_is_used_and_logout_removes_it(fake, env):
    fake.user = ALICE
    login(env, out=lambda _: None, device_code=True)
    fake.user = BOB
    assert browser_login(fake, env).returncode == 0
    assert fake.token_user[signed_in_as(env)] == BOB[0]  # not the first account of the cache
    fake.user = ALICE
    login(env, out=lambda _: None, device_code=True)
    assert fake.token_user[signed_in_as(env)] == ALICE[0]
    said: list[str] = []
    logout(env, out=said.append)
    assert "サインアウトしました（alice@contoso.example）" in said[0]
    assert not (Path(env["TOOLKIT_CONFIG_DIR"]) / "login.json").exists()
    # Bob never signed out: the one account left on this PC is his (an older install kept no login record either).
    assert fake.token_user[signed_in_as(env)] == BOB[0]
    logout(env, out=said.append)
    with pytest.raises(AuthError, match="toolkit login"):
        signed_in_as(env)


@pytest.mark.parametrize("code, words", [
    (7000218, ["パブリック クライアント フロー", "--device-code なし"]),
    (65001, ["管理者の同意", "ユーザーによる同意"]),
    (90094, ["管理者の同意"]),
    (50076, ["多要素認証"]),
    (50079, ["多要素認証"]),
    (53003, ["条件付きアクセス", "ブラウザー"]),
    (700082, ["有効期限", "toolkit login"]),
])
def test_each_refusal_of_the_identity_endpoint_says_what_to_change(fake, env, code, words):
    fake.token_error = {"error": "invalid_grant" if code != 7000218 else "invalid_client",
                        "error_description": f"AADSTS{code}: refused by the tenant.\r\nTrace ID: x",
                        "error_codes": [code]}
    with pytest.raises(AuthError) as refused:
        login(env, out=lambda _: None, device_code=True)
    message = str(refused.value)
    assert all(w in message for w in words), message
    assert refused.value.exit_code == 2
