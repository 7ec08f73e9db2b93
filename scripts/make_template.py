"""Regenerate toolkit/workbook_templates/master.xlsx from toolkit/schema.py.

Run after any change to the schema: `python scripts/make_template.py`. The output is byte-for-byte
reproducible (fixed zip timestamps and document dates), so the committed file only changes when the
template really does.
"""
from __future__ import annotations

import io
import re
import sys
import zipfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from toolkit.workbook.template import TEMPLATE_PATH, build_template, workbook_bytes  # noqa: E402

FIXED_MOMENT = datetime(2025, 4, 1)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def reproducible(data: bytes) -> bytes:
    """The same workbook with every date openpyxl stamps at save time pinned to FIXED_MOMENT."""
    stamp = FIXED_MOMENT.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            pinned = zipfile.ZipInfo(info.filename, date_time=FIXED_MOMENT.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = 0o644 << 16
            target.writestr(pinned, content)
    return out.getvalue()


def main() -> int:
    wb = build_template()
    wb.properties.created = FIXED_MOMENT
    wb.properties.creator = "toolkit"
    TEMPLATE_PATH.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE_PATH.write_bytes(reproducible(workbook_bytes(wb)))
    print(f"wrote {TEMPLATE_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
