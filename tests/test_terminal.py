"""What staff read in a terminal: `budget` and `check` on a real pseudo-terminal of 80 and 100 columns."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest

from builders import write_workbook
from toolkit import schema
from toolkit.japanese import display_width

NAMES = ["株式会社瀬戸内プリントワークス", "有限会社備前キッチンひなた", "株式会社岡南ロジパートナーズ",
         "株式会社さくらケアセンター東", "株式会社国富ベーカリー工房"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def tty_run(args: list[str], columns: int) -> str:
    """Run the command with its stdout and stderr on a pseudo-terminal ``columns`` wide; the text it showed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r", "")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    companies = [[f"C{i:02d}", NAMES[i % len(NAMES)] + ("" if i <= 5 else f"{i}")] for i in range(1, 21)]
    expenses = [[f"E{i}", "2025/10/1", f"C{i:02d}", "クラウドサービス経費", f"{350_680 + i * 1000:,}"]
                for i in range(1, 21)]
    expenses.append(["E99", "2025/10/1", "C03", "サポート費（コンサル・訪問費用等）", "1,206,800"])
    usage = [[f"C{i:02d}", "S01", "経理", "2025/9/2"] for i in range(1, 21)] * 2  # duplicates: 20 findings alike
    services = [[f"S{i:02d}", f"サービス{i}", None, area] for i, area in enumerate(schema.BUSINESS_AREAS, start=1)]
    return write_workbook(tmp_path_factory.mktemp("tty") / "m.xlsx",
                          {"企業": companies, "経費": expenses, "サービス": services, "利用実績": usage,
                           "導入": [["U1", "C99", "S01", "経理", 1, "2025/9/1"]] * 3})


@pytest.mark.parametrize("columns", [80, 100])
def test_budget_fits_the_terminal_and_shows_every_company_and_amount(book, columns):
    text = tty_run(["budget", str(book)], columns)
    lines = text.splitlines()
    assert all(display_width(line) <= columns for line in lines), max(lines, key=display_width)
    assert "…" not in text
    for i in range(1, 21):
        assert re.search(rf"^ ?C{i:02d} ", text, re.M), f"C{i:02d}"
    assert "351,680" in text and "1,206,800" in text  # amounts whole, never cut
    assert set(NAMES) <= set(wrapped_names(text).values())  # a name may wrap, but it is all there


def wrapped_names(text: str) -> dict[str, str]:
    """Company ID -> the name column's text joined over the lines it wraps onto (first table only)."""
    names: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^ ?(C\d\d) +(\S+)", line)
        if m:
            current = m.group(1)
            if current in names:  # the second table repeats the IDs: stop at it
                break
            names[current] = m.group(2)
        elif current and re.match(r"^ +(\S+) *$", line):
            names[current] += line.strip()
        else:
            current = None
    return names


@pytest.mark.parametrize("columns", [80, 100])
def test_check_fits_and_groups_identical_findings(book, columns):
    text = tty_run(["check", str(book)], columns)
    lines = text.splitlines()
    assert all(display_width(line) <= columns for line in lines), max(lines, key=display_width)
    # Three rows with the same unknown company: one line naming the rows as a range.
    assert "2–4" in text.replace("\n", "") and "（3行）" in text.replace("\n", "").replace(" ", "")
    assert "エラー" in text and "件" in text
    expanded = tty_run(["check", str(book), "--all"], columns)
    assert expanded.count("C99") > text.count("C99")


def test_a_long_finding_wraps_without_a_line_starting_with_closing_punctuation():
    from io import StringIO

    from rich.console import Console

    from toolkit.cli_views import print_findings
    from toolkit.model import Finding

    message = "実績期に含まれる支援が6か月に満たない企業があります：" + "、".join(f"C{i:02d}（{i % 6}か月）" for i in range(1, 21))
    for width in (80, 100):
        buffer = StringIO()
        print_findings(Console(file=buffer, width=width, color_system=None), [
            Finding("warning", "status-productivity", "決算", None, None, None, message)], 0, 1, group=True)
        lines = buffer.getvalue().splitlines()
        body = [line for line in lines if line.strip() and "内容" not in line and "─" not in line]
        assert all(display_width(line.rstrip()) <= width for line in lines)
        # Continuation lines hold only the message (the other columns are empty on them).
        first = next(line for line in body if "実績期" in line)
        continued = [line.strip() for line in body[body.index(first) + 1:] if line.strip() != "エラー 0 件、警告 1 件"]
        assert len(continued) >= 2 and not any(text[0] in "、。）」：" for text in continued), continued
        assert first[first.index("実績期"):].strip() + "".join(continued) == message


def test_a_warning_fills_its_lines_and_breaks_japanese_where_japanese_breaks(monkeypatch):
    from io import StringIO

    from rich.console import Console

    from toolkit import cli

    buffer = StringIO()
    monkeypatch.setattr(cli, "console", lambda stderr=False: Console(file=buffer, width=40, color_system=None))
    message = "記録 R2 の提供資料「サービス比較表、操作マニュアル（簡易版）」に資料リンクがなく、渡せません（目録に記載しました）"
    cli.warn(message)
    lines = buffer.getvalue().splitlines()
    # rich broke at the first space and left 「記録 R2」 alone on its line; now each line is filled to the width.
    assert display_width(lines[0]) >= 38 and all(display_width(line) <= 40 for line in lines)
    assert not any(line[0] in "、。）」" for line in lines[1:]) and "".join(lines) == message
