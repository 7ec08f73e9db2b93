"""A loopback HTTPS fake of Entra ID's token endpoints and of the Graph endpoints the sync uses.

A real server (``http.server.ThreadingHTTPServer`` + ``ssl``, certificates from ``trustme``) on 127.0.0.1,
so the tests and the benchmark run real msal and real requests. Faults on demand (``FakeGraph.fault``):
429/503 with Retry-After, a 401 for an expired token, a body cut off half-way, a dropped connection,
malformed JSON; the download URL refuses any request that carries an Authorization header.

    fake = FakeGraph(tmp_path).start()
    fake.add_form(URL, headers, rows)
    env = fake.env()          # TOOLKIT_* variables pointing at the fake
    ...
    fake.stop()

``serve_usage_responses(n, companies, services, workdir)`` starts one in this process. As its own process (the
benchmark measures the sync against a server that does not share the sync's interpreter):

    python tests/fake_graph.py serve --responses 10000 --port-file PATH --ca-file PATH [--env-file PATH]
        [--companies 株式会社ベンチC01,...] [--services クラウドS01,...] [--workdir DIR]

serves ``--responses`` usage self-report responses at ``USAGE_SHARE_URL``, writes the CA certificate (PEM) to
``--ca-file``, the ``TOOLKIT_*`` variables a sync needs to ``--env-file`` (JSON), and the port to ``--port-file``
last, so a launcher waits for that file to appear. It serves until killed (SIGTERM / SIGINT).
"""
from __future__ import annotations

import base64
import io
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, unquote, urlsplit

import trustme

TENANT = "contoso-test-tenant"
CLIENT_ID = "00000000-1111-2222-3333-444444444444"
SECRET = "fake-secret-Zq8~do-not-leak"
ORGANIZER = "organizer@contoso.example"
USAGE_SHARE_URL = "https://contoso.sharepoint.com/:x:/g/personal/staff/EUsageFormResults?e=abc123"
FORMS_HEADERS_EN = ("ID", "Start time", "Completion time", "Email", "Name")
FORMS_HEADERS_JA = ("ID", "開始時刻", "完了時刻", "メール", "名前")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def share_id(url: str) -> str:
    # Written out here rather than imported, so the test of the product's encoding is a real comparison.
    return "u!" + _b64url(url.encode("utf-8"))


def forms_workbook(headers: tuple[str, ...], rows: list[tuple]) -> bytes:
    """A Forms-like result workbook: one sheet, one table (Table1) of responses."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Sheet1")
    date_format = book.add_format({"num_format": "yyyy/m/d h:mm:ss"})
    day_format = book.add_format({"num_format": "yyyy/m/d"})
    data = []
    for row in rows:
        data.append(list(row))
    columns = [{"header": h} for h in headers]
    sheet.add_table(0, 0, max(len(rows), 1), len(headers) - 1,
                    {"name": "Table1", "columns": columns, "data": data or [[None] * len(headers)]})
    # xlsxwriter writes table data without formats: re-write date cells with a date format.
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, date_format)
            elif isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), day_format)
            elif isinstance(value, str):
                sheet.write_string(r, c, value)  # a form answer is text, even "=1+1"
    book.close()
    return buffer.getvalue()


@dataclass
class FormFile:
    share_url: str
    item_id: str
    drive_id: str
    name: str
    ctag: str
    content: bytes
    downloads: int = 0


@dataclass
class Meeting:
    join_url: str
    meeting_id: str
    reports: dict[str, list[dict]] = field(default_factory=dict)  # report id -> attendance records


@dataclass
class Fault:
    match: str  # a substring of the request path (with query)
    kind: str  # "429", "503", "401", "truncate", "drop", "malformed", "404", "403"
    times: int = 1
    retry_after: str | None = "0"


class FakeGraph:
    def __init__(self, workdir: Path, *, tenant: str = TENANT, client_id: str = CLIENT_ID, secret: str = SECRET,
                 page_size: int = 2):
        self.workdir = Path(workdir)
        self.tenant = tenant
        self.client_id = client_id
        self.secret = secret
        self.page_size = page_size
        self.forms: dict[str, FormFile] = {}  # share id -> form
        self.meetings: dict[str, Meeting] = {}  # join url -> meeting
        self.faults: list[Fault] = []
        self.token_error: dict | None = None  # an error dict the token endpoint answers with
        self.tokens: set[str] = set()  # valid access tokens
        self.issued: list[str] = []  # every access token ever issued (to prove none is written anywhere)
        self.token_requests: list[dict] = []
        self.device_scopes: dict[str, str] = {}
        self.log: list[dict] = []  # every request: method, path, has_auth
        self._downloads: dict[str, FormFile] = {}
        self._lock = threading.Lock()
        self._ca = trustme.CA()
        self.ca_path = self.workdir / "fake-graph-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_path))
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ life cycle

    def start(self) -> FakeGraph:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def graph_url(self) -> str:
        return self.base_url + "/v1.0"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "TOOLKIT_AUTHORITY": f"{self.base_url}/{self.tenant}",
            "TOOLKIT_GRAPH_URL": self.graph_url,
            "TOOLKIT_CA_BUNDLE": str(self.ca_path),
            "TOOLKIT_TENANT_ID": self.tenant,
            "TOOLKIT_CLIENT_ID": self.client_id,
            "TOOLKIT_CLIENT_SECRET": self.secret,
            "TOOLKIT_CONFIG_DIR": str(self.workdir / "config"),
            "TOOLKIT_GRAPH_TRIES": "3",
        }
        env.update(extra)
        return env

    # ------------------------------------------------------------ content

    def add_form(self, share_url: str, headers: tuple[str, ...], rows: list[tuple], *,
                 item_id: str | None = None) -> FormFile:
        form = FormFile(share_url, item_id or "01ITEM" + secrets.token_hex(6).upper(), "b!drive-" + secrets.token_hex(4),
                        "Form results.xlsx", f'"c:{{{secrets.token_hex(8)}}},1"', forms_workbook(headers, rows))
        with self._lock:
            self.forms[share_id(share_url)] = form
        return form

    def update_form(self, share_url: str, headers: tuple[str, ...], rows: list[tuple]) -> FormFile:
        """New responses came in: new content, new cTag, same item."""
        form = self.forms[share_id(share_url)]
        with self._lock:
            form.content = forms_workbook(headers, rows)
            form.ctag = f'"c:{{{secrets.token_hex(8)}}},2"'
        return form

    def add_meeting(self, join_url: str, reports: dict[str, list[dict]]) -> Meeting:
        meeting = Meeting(join_url, "MSo" + secrets.token_hex(8), reports)
        with self._lock:
            self.meetings[join_url] = meeting
        return meeting

    def fault(self, match: str, kind: str, times: int = 1, retry_after: str | None = "0") -> Fault:
        fault = Fault(match, kind, times, retry_after)
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.match in path:
                    fault.times -= 1
                    return fault
        return None

    def expire_tokens(self) -> None:
        """Every token issued so far is rejected from now on (401), as when a token expires."""
        with self._lock:
            self.tokens.clear()

    def requests_to(self, fragment: str) -> list[dict]:
        return [r for r in self.log if fragment in r["path"]]


def attendance_record(email: str | None, name: str, seconds: int, role: str = "Attendee") -> dict:
    return {"id": secrets.token_hex(6), "emailAddress": email, "totalAttendanceInSeconds": seconds, "role": role,
            "identity": {"id": secrets.token_hex(6), "displayName": name},
            "attendanceIntervals": [{"joinDateTime": "2025-10-01T10:00:00Z", "leaveDateTime": "2025-10-01T11:00:00Z",
                                     "durationInSeconds": seconds}]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Graph; requests reuses the connection

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    @property
    def fake(self) -> FakeGraph:
        return self.server.fake  # type: ignore[attr-defined]

    # ------------------------------------------------------------ responses

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode("utf-8"), headers=headers)

    def _graph_error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"error": {"code": code, "message": message}}, headers)

    def _apply_fault(self, fault: Fault, payload: object | None = None) -> None:
        retry = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        if fault.kind == "429":
            self._graph_error(429, "TooManyRequests", "throttled", retry)
        elif fault.kind == "503":
            self._graph_error(503, "serviceNotAvailable", "unavailable", retry)
        elif fault.kind == "401":
            self.fake.expire_tokens()
            self._graph_error(401, "InvalidAuthenticationToken", "Access token has expired.")
        elif fault.kind == "403":
            self._graph_error(403, "Forbidden", "no access")
        elif fault.kind == "404":
            self._graph_error(404, "itemNotFound", "not found")
        elif fault.kind == "malformed":
            self._send(200, b'{"value": [{"id": "x"}, ')
        elif fault.kind in ("truncate", "drop"):
            body = json.dumps(payload if payload is not None else {"value": []}).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 500))
            self.end_headers()
            if fault.kind == "truncate":
                self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
        else:
            raise AssertionError(fault.kind)

    # ------------------------------------------------------------ routing

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
        path = urlsplit(self.path).path
        self.fake.log.append({"method": "POST", "path": self.path, "has_auth": "Authorization" in self.headers})
        tenant = path.strip("/").split("/")[0]
        if path.endswith("/oauth2/v2.0/token"):
            return self._token(tenant, form)
        if path.endswith("/oauth2/v2.0/devicecode"):
            code = "dev-" + secrets.token_hex(8)
            self.fake.device_scopes[code] = form.get("scope", "")
            return self._json(200, {"device_code": code, "user_code": "ABCD-EFGH",
                                    "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900,
                                    "interval": 1, "message": "To sign in, use a web browser ... ABCD-EFGH"})
        self._json(404, {"error": "not_found"})

    def _token(self, tenant: str, form: dict[str, str]) -> None:
        fake = self.fake
        fake.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if tenant != fake.tenant:
            return self._json(400, {"error": "invalid_request", "error_description":
                                    f"AADSTS90002: Tenant '{tenant}' not found."})
        if fake.token_error is not None:
            return self._json(400, fake.token_error)
        if form.get("client_id") != fake.client_id:
            return self._json(400, {"error": "unauthorized_client", "error_description":
                                    "AADSTS700016: Application not found in the directory.", "error_codes": [700016]})
        grant = form.get("grant_type")
        if grant == "client_credentials":
            if form.get("client_secret") != fake.secret:
                return self._json(401, {"error": "invalid_client", "error_description":
                                        "AADSTS7000215: Invalid client secret provided.", "error_codes": [7000215]})
            return self._json(200, self._issue())
        if grant in ("urn:ietf:params:oauth:grant-type:device_code", "refresh_token"):
            payload = self._issue()
            now = int(time.time())
            claims = {"iss": f"{fake.base_url}/{fake.tenant}/v2.0", "aud": fake.client_id, "iat": now,
                      "exp": now + 3600, "sub": "subject", "oid": "user-oid", "tid": fake.tenant,
                      "preferred_username": "staff@contoso.example", "name": "担当 太郎"}
            payload.update({
                "refresh_token": "rt-" + secrets.token_hex(8),
                "id_token": ".".join((_b64url(b'{"alg":"none"}'), _b64url(json.dumps(claims).encode()), "")),
                "client_info": _b64url(json.dumps({"uid": "user-oid", "utid": fake.tenant}).encode()),
                # The poll carries no scope: the grant covers what the device-code request asked for.
                "scope": form.get("scope") or fake.device_scopes.get(form.get("device_code", ""), ""),
            })
            return self._json(200, payload)
        self._json(400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"})

    def _issue(self) -> dict:
        token = "at-" + secrets.token_hex(16)
        with self.fake._lock:
            self.fake.tokens.add(token)
            self.fake.issued.append(token)
        return {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}

    def do_GET(self) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        auth = self.headers.get("Authorization")
        fake.log.append({"method": "GET", "path": self.path, "has_auth": auth is not None})
        parts = path.strip("/").split("/")

        if path.endswith("/v2.0/.well-known/openid-configuration"):
            tenant = parts[0]
            if tenant != fake.tenant:
                return self._json(400, {"error": "invalid_tenant", "error_description":
                                        f"AADSTS90002: Tenant '{tenant}' not found."})
            base = f"{fake.base_url}/{tenant}"
            return self._json(200, {
                "issuer": f"{base}/v2.0", "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            })

        if parts[0] == "download":
            # The pre-authenticated URL: our token must never arrive here.
            if auth is not None:
                return self._graph_error(401, "AuthorizationHeaderNotAllowed", "pre-authenticated URL")
            form = fake._downloads.get(parts[1])
            if form is None:
                return self._graph_error(404, "itemNotFound", "no such download")
            fault = fake._take_fault(self.path)
            if fault is not None:
                return self._apply_fault(fault)
            form.downloads += 1
            return self._send(200, form.content,
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

        if parts[0] != "v1.0":
            return self._json(404, {"error": "not_found"})
        if not auth or not auth.startswith("Bearer ") or auth[7:] not in fake.tokens:
            return self._graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not valid.")
        payload = self._route(parts[1:], query)
        fault = fake._take_fault(self.path)
        if fault is not None:
            return self._apply_fault(fault, payload[1] if payload else None)
        if payload is None:
            return self._graph_error(404, "itemNotFound", "The resource could not be found.")
        status, body, headers = payload
        if status == 302:
            return self._send(302, b"", headers=headers)
        return self._json(status, body, headers)

    def _route(self, parts: list[str], query: dict[str, str]):
        fake = self.fake
        if len(parts) == 3 and parts[0] == "shares" and parts[2] == "driveItem":
            form = fake.forms.get(parts[1])
            if form is None:
                return None
            return 200, {"id": form.item_id, "name": form.name, "eTag": f'"{{{form.item_id}}},1"', "cTag": form.ctag,
                         "lastModifiedDateTime": "2025-10-01T00:00:00Z",
                         "parentReference": {"driveId": form.drive_id, "driveType": "business"}}, {}
        if len(parts) == 5 and parts[0] == "drives" and parts[2] == "items" and parts[4] == "content":
            form = next((f for f in fake.forms.values() if f.drive_id == parts[1] and f.item_id == parts[3]), None)
            if form is None:
                return None
            token = secrets.token_hex(8)
            fake._downloads[token] = form
            return 302, None, {"Location": f"{fake.base_url}/download/{token}?tempauth=xyz"}
        if len(parts) >= 3 and parts[0] == "users" and parts[2] == "onlineMeetings":
            if len(parts) == 3:
                flt = query.get("$filter", "")
                prefix = "JoinWebUrl eq '"
                if not flt.startswith(prefix) or not flt.endswith("'"):
                    return 400, {"error": {"code": "BadRequest", "message": "filter"}}, {}
                url = flt[len(prefix):-1].replace("''", "'")
                meeting = fake.meetings.get(url)
                values = [{"id": meeting.meeting_id, "joinWebUrl": url}] if meeting else []
                return 200, {"value": values}, {}
            meeting = next((m for m in fake.meetings.values() if m.meeting_id == parts[3]), None)
            if meeting is None:
                return None
            if len(parts) == 5 and parts[4] == "attendanceReports":
                items = [{"id": rid, "totalParticipantCount": len(recs),
                          "meetingStartDateTime": "2025-10-01T10:00:00Z"} for rid, recs in meeting.reports.items()]
                return self._page(items, query)
            if len(parts) == 7 and parts[4] == "attendanceReports" and parts[6] == "attendanceRecords":
                records = meeting.reports.get(parts[5])
                return None if records is None else self._page(records, query)
        return None

    def _page(self, items: list[dict], query: dict[str, str]):
        start = int(query.get("$skiptoken") or 0)
        size = self.fake.page_size
        body: dict = {"value": items[start:start + size]}
        if start + size < len(items):
            path = urlsplit(self.path).path
            body["@odata.nextLink"] = f"{self.fake.base_url}{path}?$skiptoken={start + size}"
        return 200, body, {}


# ---------------------------------------------------------------- for the benchmark

def usage_rows(n: int, company_names: list[str], service_names: list[str],
               start: date = date(2025, 9, 1)) -> list[tuple]:
    """``n`` usage self-report responses (English Forms columns), spread over companies, services and days."""
    areas = ("人事", "経理", "グループウェア", "販売促進", "生産管理", "コミュニケーション", "取引管理", "情報管理",
             "経営分析", "業務自動化")
    rows = []
    stamp = datetime(2025, 9, 1, 9, 0, 0)
    for i in range(n):
        rows.append((i + 1, stamp, stamp + timedelta(minutes=2), "anonymous", "",
                     company_names[i % len(company_names)], service_names[(i // 3) % len(service_names)],
                     areas[i % len(areas)], start + timedelta(days=(i // 7) % 180)))
    return rows


USAGE_HEADERS = FORMS_HEADERS_EN + ("企業名", "サービス名", "利用領域", "利用日")


def serve_usage_responses(n: int, company_names: list[str], service_names: list[str],
                          workdir: Path) -> tuple[str, str, dict[str, str]]:
    """Start a fake serving ``n`` usage responses at ``USAGE_SHARE_URL``: (base_url, ca_path, env).

    The workbook's 設定 利用実績フォーム結果URL must be ``USAGE_SHARE_URL``; the env holds the tenant, client
    and secret, so the workbook's テナントID / クライアントID may stay empty. The server runs in a daemon thread
    until the process ends.
    """
    fake = FakeGraph(Path(workdir), page_size=100).start()
    fake.add_form(USAGE_SHARE_URL, USAGE_HEADERS, usage_rows(n, company_names, service_names))
    return fake.base_url, str(fake.ca_path), fake.env()


# ---------------------------------------------------------------- master workbooks for the sync tests

def write_master(path: Path, *, companies: list[tuple] = (), services: list[tuple] = (), events: list[tuple] = (),
                 usage: list[tuple] = (), attendance: list[tuple] = (), settings: dict[str, object] | None = None
                 ) -> Path:
    """A master workbook from the real template (tables, drop-downs), with rows in contract header order."""
    from toolkit import schema
    from toolkit.workbook.template import build_template, resize_table

    book = build_template()
    for table, rows in ((schema.COMPANIES, companies), (schema.SERVICES, services), (schema.EVENTS, events),
                        (schema.USAGE_DAYS, usage), (schema.ATTENDANCE, attendance)):
        ws = book[table.sheet]
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                ws.cell(row=r, column=c, value=value)
        resize_table(ws, table, len(rows))
    ws = book[schema.SETTINGS.sheet]
    for r in range(2, ws.max_row + 1):
        item = ws.cell(row=r, column=1).value
        if settings and item in settings:
            ws.cell(row=r, column=2, value=settings[item])
    book.save(path)
    return path


# ---------------------------------------------------------------- as its own process

BENCH_COMPANIES = [f"株式会社ベンチC{i:02d}" for i in range(1, 21)]
BENCH_SERVICES = [f"クラウドS{i:02d}" for i in range(1, 31)]


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import shutil
    import signal
    import tempfile

    parser = argparse.ArgumentParser(description="Loopback HTTPS fake of Entra ID and Microsoft Graph.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve usage self-report responses until killed")
    serve.add_argument("--responses", type=int, default=10_000)
    serve.add_argument("--port-file", type=Path, required=True)
    serve.add_argument("--ca-file", type=Path, required=True)
    serve.add_argument("--env-file", type=Path)
    serve.add_argument("--companies", default=",".join(BENCH_COMPANIES))
    serve.add_argument("--services", default=",".join(BENCH_SERVICES))
    serve.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fake-graph-"))
    workdir.mkdir(parents=True, exist_ok=True)
    fake = FakeGraph(workdir, page_size=100).start()
    fake.add_form(USAGE_SHARE_URL, USAGE_HEADERS,
                  usage_rows(args.responses, args.companies.split(","), args.services.split(",")))
    shutil.copyfile(fake.ca_path, args.ca_file)
    env = fake.env(TOOLKIT_CA_BUNDLE=str(args.ca_file.resolve()))
    if args.env_file:
        _write_atomically(args.env_file, json.dumps(env, ensure_ascii=False))
    _write_atomically(args.port_file, str(fake.base_url.rsplit(":", 1)[1]))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.2):  # a timed wait lets the signal handler run
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
