"""The benchmark's large program, built in code (quality.md: 50,000 利用実績, 5,000 支援記録, 20 companies).

The workbook is the real template (``build_template``: one Excel Table per sheet, drop-downs, the hidden lists
sheet, 集計) filled with the demo's 20 companies, catalogue, subscriptions, expenses, financials, plans, events and
meetings; only 利用実績 and 支援記録 are scaled up, from the demo's subscriptions and support acts, so every figure
and document has realistic data behind it. Written by openpyxl, as the demo writes its book.

The 500,000-row variant is made from the 50,000-row file by repeating the rows of the 利用実績 sheet XML (same
cells, same shared strings, same styles; only the row numbers change): openpyxl would need minutes and gigabytes.
"""
from __future__ import annotations

import random
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

from toolkit import schema
from toolkit.demo import USAGE_END, USAGE_START, _write_rows, _write_settings, demo_tables, write_materials
from toolkit.workbook.template import build_template, table_ref

USAGE_ROWS, SUPPORT_ROWS = 50_000, 5_000
SEED = 13


def usage_rows(tables: dict[str, list[dict]], n: int, rng: random.Random) -> list[dict]:
    """``n`` usage reports: a random subscription, a day it was running inside the usage period, an account."""
    accounts: dict[str, list[str]] = {}
    for r in tables[schema.USAGE_DAYS.sheet]:
        if r["account"] and r["account"] not in accounts.setdefault(r["company_id"], []):
            accounts[r["company_id"]].append(r["account"])
    subs = []
    for s in tables[schema.SUBSCRIPTIONS.sheet]:
        first, last = max(s["start"], USAGE_START), min(s["end"] or USAGE_END, USAGE_END)
        if first <= last:
            subs.append((s["company_id"], s["service_id"], s["area"], first, (last - first).days))
    rows = []
    for _ in range(n):
        company, service, area, first, span = rng.choice(subs)
        rows.append({"company_id": company, "service_id": service, "area": area,
                     "date": first + timedelta(days=rng.randint(0, span)),
                     "account": rng.choice(accounts.get(company) or [None]), "source": "ヒアリング",
                     "response_id": None})
    rows.sort(key=lambda r: (r["date"], r["company_id"], r["service_id"]))
    return rows


def _support_rows(tables: dict[str, list[dict]], n: int) -> list[dict]:
    """``n`` support records: each company's demo acts repeated in order (the first, in person, stays first),
    spread over the contract period."""
    by_company: dict[str, list[dict]] = {}
    for r in tables[schema.SUPPORT_LOG.sheet]:
        by_company.setdefault(r["company_id"], []).append(r)
    per_company = n // len(by_company)
    last_day = date(USAGE_END.year, 3, 20)
    rows = []
    for acts in by_company.values():
        acts.sort(key=lambda r: r["date"])
        start = acts[0]["date"]
        span = (last_day - start).days
        for j in range(per_company):
            act = acts[0] if j == 0 else acts[1 + (j - 1) % (len(acts) - 1)]
            rows.append({**act, "date": start + timedelta(days=j * span // per_company)})
    rows.sort(key=lambda r: (r["date"], r["company_id"]))
    for i, r in enumerate(rows, start=1):
        r["record_id"] = f"R{i:05d}"
    return rows


def build_large_program(path: Path, *, usage: int = USAGE_ROWS, support: int = SUPPORT_ROWS,
                        settings: dict[str, object] | None = None, event_links: bool = True
                        ) -> dict[str, list[dict]]:
    """Write the large program to ``path`` and return its tables (sheet -> rows by column key). ``settings``:
    設定 items (by their Japanese name) to set; ``event_links=False`` drops the events' Teams/Forms links."""
    rng = random.Random(SEED)
    tables = demo_tables()
    tables[schema.USAGE_DAYS.sheet] = usage_rows(tables, usage, rng)
    tables[schema.SUPPORT_LOG.sheet] = _support_rows(tables, support)
    if not event_links:
        tables[schema.EVENTS.sheet] = [{**e, "teams_url": None, "form_url": None}
                                       for e in tables[schema.EVENTS.sheet]]
    book = build_template()
    ws = book[schema.SETTINGS.sheet]
    _write_settings(ws)
    for row in range(2, ws.max_row + 1):
        item = ws.cell(row=row, column=1).value
        if settings and item in settings:
            ws.cell(row=row, column=2, value=settings[item])
    for sheet, rows in tables.items():
        _write_rows(book[sheet], schema.TABLES_BY_SHEET[sheet], rows)
    book.save(path)
    write_materials(Path(path).parent, tables[schema.SUPPORT_LOG.sheet])  # the files the 資料リンク name, as a
    return tables  # real program has them (check looks each one up)


# ---------------------------------------------------------------- the 500,000-row variant

_ROW = re.compile(rb"<row [^>]*>.*?</row>", re.S)
_REF = re.compile(rb'(<(?:row|c) [^>]*?\br=")([A-Z]*)(\d+)(")')


def _sheet_part(z: zipfile.ZipFile, sheet: str) -> str:
    """The zip member of a sheet, through workbook.xml and its relationships (openpyxl's part names)."""
    book = z.read("xl/workbook.xml").decode("utf-8")
    rid = re.search(r'<sheet [^>]*name="' + re.escape(sheet) + r'"[^>]*r:id="([^"]+)"', book).group(1)
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    target = re.search(r'<Relationship [^>]*Id="' + rid + r'"[^>]*Target="([^"]+)"', rels)
    if target is None:
        target = re.search(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="' + rid + '"', rels)
    name = target.group(1).lstrip("/")
    return name if name.startswith("xl/") else "xl/" + name


def repeat_usage_rows(source: Path, target: Path, times: int) -> Path:
    """Copy ``source`` to ``target`` with the 利用実績 data rows repeated ``times`` times (rows renumbered,
    the Table's range and the sheet's dimension grown to match)."""
    table = schema.USAGE_DAYS
    with zipfile.ZipFile(source) as z:
        part = _sheet_part(z, table.sheet)
        xml = z.read(part)
        rows = _ROW.findall(xml)
        header, data = rows[0], rows[1:]
        start, end = xml.index(header), xml.index(rows[-1]) + len(rows[-1])
        block = b"".join(data)
        out = [header]
        for k in range(times):
            shift = k * len(data)
            out.append(block if shift == 0 else _REF.sub(
                lambda m, shift=shift: m.group(1) + m.group(2) + str(int(m.group(3)) + shift).encode() + m.group(4),
                block))
        last = 1 + len(data) * times
        new_xml = xml[:start] + b"".join(out) + xml[end:]
        new_xml = re.sub(rb'<dimension ref="([A-Z]+)1:([A-Z]+)\d+"', rb'<dimension ref="\g<1>1:\g<2>' +
                         str(last).encode() + b'"', new_xml, count=1)
        ref = table_ref(table, last - 1).encode()
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out_zip:
            for info in z.infolist():
                content = z.read(info)
                if info.filename == part:
                    content = new_xml
                elif info.filename.startswith("xl/tables/") and b'displayName="' + table.name.encode() + b'"' in content:
                    content = re.sub(rb'ref="A1:[A-Z]+\d+"', b'ref="' + ref + b'"', content)
                out_zip.writestr(info, content)
    return target


if __name__ == "__main__":  # by hand: python scripts/bench_data.py OUT.xlsx
    import sys
    import time

    t0 = time.perf_counter()
    build_large_program(Path(sys.argv[1]))
    print(f"{sys.argv[1]} in {time.perf_counter() - t0:.1f} s")
