"""Run the loopback Graph fake (tests/fake_graph.py) in a process of its own, for the sync benchmark.

    python scripts/bench_fake_graph.py WORKDIR RESPONSES NAMES.json [MASTER.xlsx]

NAMES.json: {"companies": [...], "services": [...]} (the names the form answers use). Serves RESPONSES usage
responses at fake_graph.USAGE_SHARE_URL over real HTTPS (trustme) on 127.0.0.1 and, given MASTER.xlsx, that
workbook in a SharePoint library at fake_graph.MASTER_SHARE_URL (the Excel workbook API); prints one JSON line
with the TOOLKIT_* environment pointing at it, then obeys one command per line on stdin:

    touch   the form's result workbook is saved again (same responses, new cTag): answers "ok"
    reset   the SharePoint master is MASTER.xlsx again (a fresh master for the next round): answers "ok"
    stats   the fake's own time spent turning the master into bytes for downloads: answers {"serialise_seconds"}
    (EOF)   stop
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import fake_graph  # noqa: E402


def main() -> None:
    workdir, count, names_path = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    master = Path(sys.argv[4]).read_bytes() if len(sys.argv) > 4 else None
    names = json.loads(names_path.read_text(encoding="utf-8"))
    rows = fake_graph.usage_rows(count, names["companies"], names["services"])
    workdir.mkdir(parents=True, exist_ok=True)
    fake = fake_graph.FakeGraph(workdir, page_size=100).start()
    fake.add_form(fake_graph.USAGE_SHARE_URL, fake_graph.USAGE_HEADERS, rows)
    if master is not None:
        fake.add_workbook(fake_graph.MASTER_SHARE_URL, master)
    print(json.dumps({"env": fake.env(), "share_url": fake_graph.USAGE_SHARE_URL,
                      "master_url": fake_graph.MASTER_SHARE_URL,
                      "tenant": fake.tenant, "client_id": fake.client_id}), flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "touch":
                fake.update_form(fake_graph.USAGE_SHARE_URL, fake_graph.USAGE_HEADERS, rows)
                print("ok", flush=True)
            elif command == "reset" and master is not None:
                fake.add_workbook(fake_graph.MASTER_SHARE_URL, master)
                print("ok", flush=True)
            elif command == "stats":
                seconds = sum(w.serialise_seconds for w in fake.workbooks.values())
                print(json.dumps({"serialise_seconds": seconds}), flush=True)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
