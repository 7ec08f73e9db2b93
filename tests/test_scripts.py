"""The IT person's scripts: the scheduled task, the cron example and the scheduled-sync entry point."""
from __future__ import annotations

import importlib.util
import logging
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def _load_sync_scheduled():
    spec = importlib.util.spec_from_file_location("sync_scheduled", SCRIPTS / "sync_scheduled.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_register_task_is_utf8_with_bom_and_runs_the_windowless_python():
    data = (SCRIPTS / "register_task.ps1").read_bytes()
    # Windows PowerShell 5.1 reads a BOM-less script in the ANSI code page (cp932): every message garbled.
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert "New-ScheduledTaskAction -Execute $pythonw" in text  # no console window every hour
    assert 'Join-Path $folder "pythonw.exe"' in text
    # The default Python is the one the documented install makes (py launcher), not only a .venv no step creates.
    assert re.search(r"py\.exe.*-3.*sys\.executable", text)
    assert "master.xlsx" not in text and "マスター.xlsm" in text
    assert '-ieq ".xlsx"' in text and "ChangeExtension($Workbook, \".xlsm\")" in text  # refuses the stale copy


def test_cron_example_secret_file_steps_work_on_a_fresh_account(tmp_path):
    text = (SCRIPTS / "cron.example").read_text(encoding="utf-8")
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if "mkdir -p ~/.config/toolkit" in line)
    last = next(i for i in range(first, len(lines)) if lines[i].strip() == "#   EOF")
    script = "\n".join(line[len("#   "):] for line in lines[first:last + 1]) + "\n"
    home = tmp_path / "home"
    home.mkdir()  # a new account: no ~/.config at all
    subprocess.run(["bash", "-euc", script], env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, check=True)
    env_file = home / ".config" / "toolkit" / "sync.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(env_file.parent.stat().st_mode) == 0o700
    assert "TOOLKIT_CLIENT_SECRET" in env_file.read_text(encoding="utf-8")
    job = next(line for line in lines if line and not line.startswith("#"))
    assert "sync_scheduled.py" in job and ".xlsm" in job


def test_scheduled_sync_refuses_an_xlsx_when_its_xlsm_is_the_live_master(tmp_path):
    sync_scheduled = _load_sync_scheduled()
    (tmp_path / "マスター.xlsx").write_bytes(b"old copy")
    (tmp_path / "マスター.xlsm").write_bytes(b"live")
    log = tmp_path / "sync.log"
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        code = sync_scheduled.main([str(tmp_path / "マスター.xlsx"), "--log", str(log)])
    finally:
        for handler in root.handlers[len(handlers):]:
            root.removeHandler(handler)
            handler.close()
    assert code == 2
    text = log.read_text(encoding="utf-8")
    assert "マスター.xlsm" in text and "何も書き込んでいません" in text
    assert sync_scheduled.stale_copy(tmp_path / "マスター.xlsm") is None


def test_scheduled_sync_runs_under_pythonw_without_a_console(monkeypatch, capsys):
    """pythonw gives the process no stdout/stderr: argparse must not crash writing to them."""
    sync_scheduled = _load_sync_scheduled()
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    with pytest.raises(SystemExit) as done:
        sync_scheduled.main(["--help"])
    assert done.value.code == 0


def test_setup_windows_installs_for_every_user_and_says_so_in_japanese():
    data = (SCRIPTS / "setup_windows.ps1").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Windows PowerShell 5.1 reads a BOM-less script as cp932
    text = data[3:].decode("utf-8")
    assert "InstallAllUsers=1" in text and 'C:\\Program Files\\Python311' in text  # Python for all users
    assert "-m venv" in text and '"$Wheel[excel]"' in text and '"--proxy", $Proxy' in text  # one machine-wide venv
    assert "Office16\\XLSTART" in text and "xlwings.xlam" in text  # the add-in every user's Excel loads
    assert "WindowsBuiltInRole]::Administrator" in text and "管理者として実行してください" in text
    assert "excel-setup マスター.xlsx --python" in text  # the books then call this Python on every PC
