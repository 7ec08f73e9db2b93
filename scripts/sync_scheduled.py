#!/usr/bin/env python3
"""Scheduled Microsoft 365 sync (Windows Task Scheduler, cron): `toolkit sync` with a rotating log.

    pythonw scripts/sync_scheduled.py \\\\server\\share\\マスター.xlsm [--log PATH]

    pythonw scripts/sync_scheduled.py "https://contoso.sharepoint.com/:x:/s/program/Eab…" [--log PATH]

The workbook is the master staff work in: the .xlsm once the Excel buttons are set up. Given an .xlsx with an
.xlsm of the same name beside it, the run stops (exit 2): it would feed a stale copy staff no longer open.
A master in SharePoint / OneDrive is written through the Excel workbook API as the account signed in once with
`toolkit login` (the cached refresh token keeps it working; docs/sync.md).

Exit status as the CLI: 0 done (or rows queued because Excel had the workbook open), 2 the sync failed and
nothing was written. The log keeps counts and messages only: no secret, no token, no e-mail address (masked),
the workbook by file name. Default log: <user config dir>/logs/sync.log (%APPDATA%\\toolkit\\logs on Windows).
"""
from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import re
import sys
from collections import Counter
from pathlib import Path

try:
    import toolkit  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from toolkit.graph.auth import config_dir
from toolkit.errors import ToolkitError

_EMAIL = re.compile(r"[\w.+'-]+@([\w-]+(?:\.[\w-]+)+)")
_BEARER = re.compile(r"(Bearer\s+)[\w.~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


class RedactingFormatter(logging.Formatter):
    """Masks secrets, tokens and e-mail addresses in the whole formatted record (tracebacks included)."""

    def __init__(self, fmt: str, secrets: list[str]):
        super().__init__(fmt)
        self._secrets = [s for s in secrets if s and len(s) >= 4]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = _BEARER.sub(r"\1***", text)
        text = _JWT.sub("***", text)
        return _EMAIL.sub(r"（メールアドレス）", text)


def setup_logging(log_path: Path, *, max_bytes: int, backups: int, env=os.environ) -> logging.Logger:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(log_path, maxBytes=max_bytes, backupCount=backups,
                                                   encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(message)s",
                                            [env.get("TOOLKIT_CLIENT_SECRET", "")]))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    # Library chatter (URLs, headers) stays out of the log.
    for noisy in ("msal", "urllib3", "requests"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return logging.getLogger("toolkit.scheduled")


def stale_copy(workbook: Path) -> Path | None:
    """The .xlsm beside an .xlsx of the same name: the live master, when the .xlsx is the one given."""
    if workbook.suffix.lower() != ".xlsx":
        return None
    xlsm = workbook.with_suffix(".xlsm")
    return xlsm if xlsm.exists() else None


def main(argv: list[str] | None = None) -> int:
    for stream in ("stdout", "stderr"):  # pythonw (the scheduled task) has no console: print nowhere, not crash
        if getattr(sys, stream) is None:
            setattr(sys, stream, open(os.devnull, "w", encoding="utf-8"))
    parser = argparse.ArgumentParser(
        description="Microsoft 365 から出欠と利用実績を取り込みます（定期実行用）。",
        epilog="例: pythonw scripts\\sync_scheduled.py \"\\\\fileserver\\share\\マスター.xlsm\"")
    parser.add_argument("workbook", help="マスターブック（Excel のボタンを設定したブックなら .xlsm。スタッフが使っている"
                                         "ファイル）のパス、または SharePoint / OneDrive のアドレス")
    parser.add_argument("--log", type=Path, default=None, help="ログファイル（既定: 設定フォルダー/logs/sync.log）")
    parser.add_argument("--max-bytes", type=int, default=1_000_000, help="ログ1ファイルの上限（バイト）")
    parser.add_argument("--backups", type=int, default=5, help="残す古いログの数")
    args = parser.parse_args(argv)

    log = setup_logging(args.log or config_dir() / "logs" / "sync.log", max_bytes=args.max_bytes,
                        backups=args.backups)
    from toolkit.graph.sync import run_sync
    from toolkit.workbook.location import display_name, is_cloud, parse_workbook

    try:
        workbook = parse_workbook(args.workbook)
    except ToolkitError as exc:
        log.error("同期できませんでした: %s", exc)
        return exc.exit_code
    log.info("同期を開始します: %s", display_name(workbook))
    live = None if is_cloud(workbook) else stale_copy(workbook)
    if live is not None:
        log.error("%s の横にボタン付きの %s があります。スタッフが使っているのは %s なので、同期を中止しました"
                  "（何も書き込んでいません）。定期実行の指定を %s に変えてください。",
                  workbook.name, live.name, live.name, live.name)
        return 2
    try:
        report = run_sync(workbook)
    except ToolkitError as exc:  # sign-in, connection, a workbook that cannot be read, the writer
        # A local write is all or nothing; a SharePoint one says itself what it had written already.
        log.error("同期できませんでした%s: %s", "" if is_cloud(workbook) else "（ブックは変更していません）", exc)
        return exc.exit_code
    except Exception:  # an unexpected failure still ends in the log, not in a lost console window
        log.exception("同期中に予期しないエラーが発生しました（ブックは変更していません）")
        return 2
    for problem in report.problems:
        log.warning("%s", problem)
    if report.unmatched:
        reasons = Counter(f"{u['sheet']}・{u['column']}: {u['reason']}" for u in report.unmatched)
        for reason, count in sorted(reasons.items()):
            log.warning("要確認 %d件 — %s", count, reason)
    log.info("同期を終了しました: %s", report.summary())
    return report.exit_code  # 2 when a source could not be read: the scheduler shows the run as failed


if __name__ == "__main__":
    sys.exit(main())
