"""Shared set-up for the tests of a master kept in SharePoint (``test_cloud_*.py``): one loopback fake per module
with two forms, a dedicated account signed in once by device code (fixtures ``fake`` and ``env``: import them
into the test module), and a fresh master (its own drive item, so its own sync state) per test."""
from __future__ import annotations

import secrets
import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest
from fake_graph import FORMS_HEADERS_JA, USAGE_HEADERS, USAGE_SHARE_URL, FakeGraph, write_master

from toolkit.graph.auth import login
from toolkit.graph.http import make_session
from toolkit.graph.sync import run_sync
from toolkit.workbook.read import read_raw

EVENT_FORM_URL = "https://contoso.sharepoint.com/:x:/s/program/ECloudEventResults?e=c1"
ATTENDANCE_HEADERS = FORMS_HEADERS_JA + ("企業名", "氏名", "メールアドレス", "出欠")
FORMULA = '=HYPERLINK("http://x","y")'
T0 = datetime(2025, 10, 1, 10, 0)
COMPANIES = [
    ("C01", "株式会社アルファ商事", None, None, None, None, None, None, None, "taro@alpha.co.jp"),
    ("C02", "有限会社ベータ工業", None, None, None, None, None, None, None, "info@beta.jp"),
]
SERVICES = [("S01", "kintone", "サイボウズ", "グループウェア"), ("S02", "freee会計", "freee", "経理")]
EVENTS = [("E01", "説明会・ワークショップ", "第1回説明会", date(2025, 10, 1), "オンライン", None, None, EVENT_FORM_URL)]
ATTENDANCE_ANSWERS = [
    (1, T0, T0, "anonymous", "", "アルファ商事", "山田 太郎", "yamada@alpha.co.jp", "出席"),
    (2, T0, T0, "anonymous", "", "ベータ工業", "0123", "hanako@beta.jp", ""),  # a name that reads as a number
    (3, T0, T0, "anonymous", "", "アルファ商事", FORMULA, "x@alpha.co.jp", "欠席"),
]
USAGE_ANSWERS = [
    (1, T0, T0, "anonymous", "", "アルファ商事", "kintone", "グループウェア", date(2025, 9, 10)),
    (2, T0, T0, "anonymous", "", "ベータ工業", "freee会計", "", "2025/9/11"),
    (3, T0, T0, "anonymous", "", "不明商店", "kintone", "グループウェア", date(2025, 9, 12)),
]


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    server = FakeGraph(tmp_path_factory.mktemp("fake"), page_size=50).start()
    server.add_form(EVENT_FORM_URL, ATTENDANCE_HEADERS, ATTENDANCE_ANSWERS, item_id="01CLOUDEVENT")
    server.add_form(USAGE_SHARE_URL, USAGE_HEADERS, USAGE_ANSWERS, item_id="01CLOUDUSAGE")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def env(fake, tmp_path_factory) -> dict[str, str]:
    """App-only for Forms (the secret) and a dedicated account signed in once for the workbook API."""
    env = fake.env(TOOLKIT_CACHE_DIR=str(tmp_path_factory.mktemp("cache")))
    said: list[str] = []
    login(env, out=said.append, device_code=True)
    assert "ABCD-EFGH" in said[0]
    return env


def master_bytes(usage_form: str = USAGE_SHARE_URL) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = write_master(Path(folder) / "master.xlsx", companies=COMPANIES, services=SERVICES, events=EVENTS,
                            settings={"利用実績フォーム結果URL": usage_form})
        return path.read_bytes()


def add_master(fake: FakeGraph, content: bytes):
    """A new master in the fake's SharePoint: (its share link, the fake's file)."""
    url = f"https://contoso.sharepoint.com/:x:/s/program/E{secrets.token_hex(6)}?e=t"
    return url, fake.add_workbook(url, content)


def as_file(content: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.write(content)
    handle.close()
    return Path(handle.name)


def downloaded(file, sheet: str) -> list[dict]:
    """The sheet as the product's reader sees the file the service now holds."""
    path = as_file(file.content)
    try:
        rows = read_raw(path, sheets=[sheet])[sheet]
    finally:
        path.unlink()
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r)) for r in rows[1:] if any(v not in ("", None) for v in r)]


def keys(file, sheet: str) -> list[str]:
    return [r["回答ID"] for r in downloaded(file, sheet) if r.get("回答ID")]


def sync(url, env, *, waits=None, **kwargs):
    """run_sync through a session whose retry waits are recorded, never slept."""
    with make_session(ca_bundle=env["TOOLKIT_CA_BUNDLE"], tries=3,
                      sleep=(waits if waits is not None else []).append) as session:
        return run_sync(url, env=env, session=session, **kwargs)
