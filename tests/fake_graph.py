"""A loopback HTTPS fake of Entra ID's token endpoints and of the Graph endpoints the sync uses.

A real server (``http.server.ThreadingHTTPServer`` + ``ssl``, certificates from ``trustme``) on 127.0.0.1,
so the tests and the benchmark run real msal and real requests. Faults on demand (``FakeGraph.fault``):
429/503 with Retry-After, a 401 for an expired token, a body cut off half-way, a dropped connection,
malformed JSON, an expired download URL; the download URL refuses any request that carries an Authorization
header. The token endpoint takes a client secret or a certificate's signed client assertion, which it verifies
for real (``x5t`` / ``x5t#S256`` against the registered certificate, RS256 / PS256 signature, audience, issuer,
expiry). Graph's shapes follow Microsoft's documentation: ``/users/{upn}`` (object ID), online meetings under
the organizer's object ID (``/me`` only with a delegated token), ``JoinWebUrl`` and ``joinMeetingId`` filters,
attendance reports with ``meetingStartDateTime``, and webinars / town halls under
``/solutions/virtualEvents`` with sessions, their attendance and (webinars) registrations.

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
last, so a launcher waits for that file to appear. It serves until killed (SIGTERM / SIGINT). With
``--master FILE`` it also holds that workbook in a SharePoint library at ``MASTER_SHARE_URL`` (the Excel
workbook API of ``fake_workbook.py``: a cloud master to sync into).

A master in SharePoint (``add_workbook``) is served for download like a form's result workbook and answers the
Excel workbook API (``fake_workbook.WorkbookService``, ``fake.excel``) for delegated tokens only. Faults for it,
by ``fault(match, kind)``: ``"423"`` (locked for editing: ``EditModeCannotAcquireLock``), ``"expire-session"``
(every session expires before this call), ``"504-after"`` (the call is carried out, then answered 504), and the
ones above (429, 503, …: not carried out). A ``PUT`` (a whole-file upload) is refused and recorded (``puts``).
"""
from __future__ import annotations

import base64
import io
import json
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, unquote, urlsplit

import trustme
from fake_workbook import WorkbookFile, WorkbookService, load_workbook_file

TENANT = "contoso-test-tenant"
CLIENT_ID = "00000000-1111-2222-3333-444444444444"
SECRET = "fake-secret-Zq8~do-not-leak"
ORGANIZER = "organizer@contoso.example"
ORGANIZER_ID = "6e8a4b1c-0d2f-4a3b-9c5d-7e6f8a9b0c1d"  # the organizer's object ID in the fake directory
USAGE_SHARE_URL = "https://contoso.sharepoint.com/:x:/g/personal/staff/EUsageFormResults?e=abc123"
MASTER_SHARE_URL = "https://contoso.sharepoint.com/:x:/s/program/EMasterWorkbook?e=m4st3r"
FORMS_HEADERS_EN = ("ID", "Start time", "Completion time", "Email", "Name")
FORMS_HEADERS_JA = ("ID", "開始時刻", "完了時刻", "メール", "名前")
_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


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
    modified: str = "2025-10-01T00:00:00Z"  # lastModifiedDateTime: Forms saves a response into the file


_SITE = re.compile(r"^/(sites|teams|personal)/[^/]+")


def library_of(url: str) -> tuple[str, str, str, str] | None:
    """(host, site path, library, path in the library) of a file's path address; None for a share link."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if path.startswith("/:"):
        return None
    m = _SITE.match(path)
    site = m.group(0) if m else ""
    library, _, inside = path[len(site):].strip("/").partition("/")
    return (parts.hostname or "", site, library, inside) if library and inside else None


def library_drive(url: str) -> str | None:
    """One drive id per document library, as Graph has it (files of one library share their driveId)."""
    where = library_of(url)
    if where is None:
        return None
    import hashlib

    return "b!lib-" + hashlib.sha256("|".join(where[:3]).encode()).hexdigest()[:12]


@dataclass
class Meeting:
    join_url: str
    meeting_id: str
    reports: dict[str, list[dict]] = field(default_factory=dict)  # report id -> attendance records
    starts: dict[str, str] = field(default_factory=dict)  # report id -> meetingStartDateTime (UTC)
    join_meeting_id: str | None = None
    organizer_id: str = ORGANIZER_ID


@dataclass
class VirtualEvent:
    """A webinar or town hall with one session (the documented case for webinars)."""

    kind: str  # "webinars" / "townhalls"
    event_id: str
    session_id: str
    join_url: str
    start: str  # the session's start, UTC
    reports: dict[str, list[dict]] = field(default_factory=dict)
    registrations: list[dict] = field(default_factory=list)
    organizer_id: str = ORGANIZER_ID


@dataclass
class Fault:
    match: str  # a substring of the request path (with query)
    kind: str  # "429", "503", "401", "truncate", "drop", "malformed", "404", "403", "claims"; for the workbook
    # API also "423", "expire-session", "504-after" (see the module's docstring)
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
        self.refresh_error: dict | None = None  # the error a refresh-token request gets (expired sign-in, CA)
        self.certificate_der: bytes | None = None  # the certificate registered for the app (client assertion)
        self.assertions: list[dict] = []  # verified client assertion headers (alg, x5t…)
        self.users: dict[str, str] = {ORGANIZER.casefold(): ORGANIZER_ID}  # UPN -> object ID
        self.virtual_events: list[VirtualEvent] = []
        self.delegated: set[str] = set()  # access tokens issued to a signed-in person
        self.tokens: set[str] = set()  # valid access tokens
        self.issued: list[str] = []  # every access token ever issued (to prove none is written anywhere)
        self.token_requests: list[dict] = []
        self.device_scopes: dict[str, str] = {}
        # The person who signs in next (authorization code or device code): upn, object id, display name.
        self.user = ("staff@contoso.example", "user-oid", "担当 太郎")
        self.token_user: dict[str, str] = {}  # delegated access token -> upn of the person it was issued to
        self._codes: dict[str, dict] = {}  # authorization code -> what the authorize request said
        self._refresh: dict[str, tuple[str, str, str]] = {}  # refresh token -> the person
        self.log: list[dict] = []  # every request: method, path, has_auth
        self.workbooks: dict[str, WorkbookFile] = {}  # share id -> a master kept in SharePoint
        # The app holds only Sites.Selected: /shares (documented least privilege Files.Read.All) answers 403.
        self.sites_selected_only = False
        self.site_ids: dict[str, tuple[str, str]] = {}  # site id -> (host, site path)
        self.excel = WorkbookService()  # the Excel workbook API behind them
        self.puts: list[str] = []  # whole-file uploads attempted (never acceptable for a co-authored book)
        self._downloads: dict[str, FormFile | WorkbookFile] = {}
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
        where = library_of(share_url)
        form = FormFile(share_url, item_id or "01ITEM" + secrets.token_hex(6).upper(),
                        library_drive(share_url) or "b!drive-" + secrets.token_hex(4),
                        where[3].rsplit("/", 1)[-1] if where else "Form results.xlsx",
                        f'"c:{{{secrets.token_hex(8)}}},1"', forms_workbook(headers, rows))
        with self._lock:
            self.forms[share_id(share_url)] = form
        return form

    def add_file(self, share_url: str, content: bytes, *, name: str) -> FormFile:
        """Any file in a library (a consulting material a support record links to): resolved by
        ``GET /shares/{id}/driveItem`` and downloaded by ``GET /drives/{id}/items/{id}/content`` like the Forms
        result workbooks (the same routes, documented at learn.microsoft.com/graph/api/shares-get and
        /graph/api/driveitem-get-content: a 302 to a pre-authenticated URL)."""
        file = FormFile(share_url, "01FILE" + secrets.token_hex(6).upper(),
                        library_drive(share_url) or "b!drive-" + secrets.token_hex(4), name,
                        f'"c:{{{secrets.token_hex(8)}}},1"', content)
        with self._lock:
            self.forms[share_id(share_url)] = file
        return file

    def update_form(self, share_url: str, headers: tuple[str, ...], rows: list[tuple]) -> FormFile:
        """New responses came in: new content, new cTag, same item."""
        form = self.forms[share_id(share_url)]
        with self._lock:
            form.content = forms_workbook(headers, rows)
            form.ctag = f'"c:{{{secrets.token_hex(8)}}},2"'
        return form

    def add_workbook(self, share_url: str, content: bytes, *, name: str = "マスター.xlsx",
                     item_id: str | None = None) -> WorkbookFile:
        """A workbook in a SharePoint library, reachable by ``share_url`` (download and workbook API)."""
        file = load_workbook_file(share_url, content, name=name, item_id=item_id)
        file.drive_id = library_drive(share_url) or file.drive_id
        with self._lock:
            self.workbooks[share_id(share_url)] = file
        return file

    def _item(self, drive_id: str, item_id: str) -> FormFile | WorkbookFile | None:
        return next((f for f in (*self.forms.values(), *self.workbooks.values())
                     if f.drive_id == drive_id and f.item_id == item_id), None)

    def remove_form(self, share_url: str) -> None:
        """The result workbook was deleted: its share link no longer resolves (404)."""
        with self._lock:
            self.forms.pop(share_id(share_url), None)

    def add_meeting(self, join_url: str, reports: dict[str, list[dict]], *, starts: dict[str, str] | None = None,
                    join_meeting_id: str | None = None) -> Meeting:
        starts = {rid: (starts or {}).get(rid, "2025-10-01T01:00:00Z") for rid in reports}
        meeting = Meeting(join_url, "MSo" + secrets.token_hex(8), reports, starts, join_meeting_id)
        with self._lock:
            self.meetings[join_url] = meeting
        return meeting

    def add_virtual_event(self, kind: str, join_url: str, *, reports: dict[str, list[dict]],
                          registrations: list[dict] = (), start: str = "2025-10-01T05:00:00Z") -> VirtualEvent:
        event = VirtualEvent(kind, f"{secrets.token_hex(8)}@{self.tenant}", secrets.token_hex(8), join_url, start,
                             reports, list(registrations))
        with self._lock:
            self.virtual_events.append(event)
        return event

    def make_certificate(self, path: Path, *, register: bool = True) -> Path:
        """A PEM with an RSA private key and its self-signed certificate, as TOOLKIT_CLIENT_CERTIFICATE takes it;
        registered as the app's certificate unless ``register`` is False (an unknown certificate)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "toolkit-sync")])
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256()))
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM)
        path.write_bytes(pem)
        if register:
            self.certificate_der = cert.public_bytes(serialization.Encoding.DER)
        return path

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


def registration(email: str, first: str, last: str, status: str = "registered") -> dict:
    """A webinar registration as Graph returns it (virtualEventRegistration)."""
    return {"id": secrets.token_hex(6), "email": email, "firstName": first, "lastName": last, "status": status,
            "registrationDateTime": "2025-09-20T01:00:00Z", "cancelationDateTime": None, "userId": None,
            "registrationQuestionAnswers": []}


def attendance_record(email: str | None, name: str, seconds: int, role: str = "Attendee") -> dict:
    return {"id": secrets.token_hex(6), "emailAddress": email, "totalAttendanceInSeconds": seconds, "role": role,
            "identity": {"id": secrets.token_hex(6), "displayName": name},
            "attendanceIntervals": [{"joinDateTime": "2025-10-01T10:00:00Z", "leaveDateTime": "2025-10-01T11:00:00Z",
                                     "durationInSeconds": seconds}]}


def _is_workbook(parts: list[str]) -> bool:
    """/v1.0/drives/{d}/items/{i}/workbook/…"""
    return len(parts) > 6 and parts[0] == "v1.0" and parts[1] == "drives" and parts[3] == "items" \
        and parts[5] == "workbook"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Graph; requests reuses the connection
    # Headers and body go out as two writes: with Nagle's algorithm on, the body waits for the client's delayed
    # ACK (40 ms on Linux) on every request of a kept-alive connection, a stall Graph does not have.
    disable_nagle_algorithm = True

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
        elif fault.kind == "claims":  # conditional access (or continuous access evaluation) wants a new sign-in
            self._graph_error(401, "InvalidAuthenticationToken", "Continuous access evaluation resulted in "
                              "challenge.", {"WWW-Authenticate": 'Bearer realm="", error="insufficient_claims", '
                                             'claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZX19fQ=="'})
        elif fault.kind == "404":
            self._graph_error(404, "itemNotFound", "not found")
        elif fault.kind == "expired":  # a pre-authenticated download URL past its lifetime
            self._graph_error(401, "unauthenticated", "The download URL has expired.")
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

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _graph_write(self, method: str) -> None:
        """POST / PATCH / DELETE to Graph: only the Excel workbook API takes them here."""
        fake = self.fake
        raw = self._body()
        fake.log.append({"method": method, "path": self.path, "has_auth": "Authorization" in self.headers,
                         "agent": self.headers.get("User-Agent")})
        parts = unquote(urlsplit(self.path).path).strip("/").split("/")
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or auth[7:] not in fake.tokens:
            return self._graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not valid.")
        if not _is_workbook(parts):
            return self._graph_error(405, "methodNotAllowed", f"{method} is not supported here")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._graph_error(400, "BadRequest", "the body is not JSON")
        self._workbook(method, parts, body, delegated=auth[7:] in fake.delegated)

    def _workbook(self, method: str, parts: list[str], body: object, *, delegated: bool) -> None:
        fake = self.fake
        file = fake._item(parts[2], parts[4])
        if not isinstance(file, WorkbookFile):
            return self._graph_error(404, "itemNotFound", "The resource could not be found.")
        if not delegated:  # the documented permissions table: Application — not supported
            return self._graph_error(403, "accessDenied", "The workbook API does not support application permissions.")
        fault = fake._take_fault(self.path)
        if fault is not None and fault.kind == "423":
            return self._graph_error(423, "EditModeCannotAcquireLock", "The file is locked for editing by another "
                                     "user.")
        if fault is not None and fault.kind == "expire-session":
            fake.excel.expire_sessions()
        elif fault is not None and fault.kind != "504-after":
            return self._apply_fault(fault)
        with fake._lock:
            status, payload, headers = fake.excel.handle(
                method, file, parts[6:], body, self.headers.get("workbook-session-id"), fake.base_url,
                "/" + "/".join(parts[:6]))
        if fault is not None and fault.kind == "504-after":  # carried out, but the gateway gave up waiting
            return self._graph_error(504, "GatewayTimeout", "The request timed out.")
        if status == 204:
            return self._send(204, b"", headers=headers)
        self._json(status, payload, headers)

    def do_PATCH(self) -> None:
        self._graph_write("PATCH")

    def do_DELETE(self) -> None:
        self._graph_write("DELETE")

    def do_PUT(self) -> None:
        self._body()
        self.fake.log.append({"method": "PUT", "path": self.path, "has_auth": "Authorization" in self.headers})
        self.fake.puts.append(self.path)
        self._graph_error(409, "resourceLocked", "A whole-file upload would overwrite the co-authors' edits.")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/v1.0/"):
            return self._graph_write("POST")
        form = {k: v[0] for k, v in parse_qs(self._body().decode("utf-8")).items()}
        self.fake.log.append({"method": "POST", "path": self.path, "has_auth": "Authorization" in self.headers})
        tenant = path.strip("/").split("/")[0]
        fault = self.fake._take_fault(self.path)
        if fault is not None:
            return self._apply_fault(fault)
        if path.endswith("/oauth2/v2.0/token"):
            return self._token(tenant, form)
        if path.endswith("/oauth2/v2.0/devicecode"):
            wrong = [s for s in form.get("scope", "").split() if s.startswith("https://")
                     and not s.startswith(self.fake.base_url + "/")]
            if wrong:  # delegated scopes must name this cloud's Graph
                return self._json(400, {"error": "invalid_scope", "error_description": f"AADSTS70011: {wrong[0]}"})
            code = "dev-" + secrets.token_hex(8)
            self.fake.device_scopes[code] = form.get("scope", "")
            return self._json(200, {"device_code": code, "user_code": "ABCD-EFGH",
                                    "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900,
                                    "interval": 1, "message": "To sign in, use a web browser ... ABCD-EFGH"})
        self._json(404, {"error": "not_found"})

    def _authorize(self, tenant: str, query: dict[str, str]) -> None:
        """The authorization endpoint as a browser meets it once the person signed in: the code goes back to the
        app's loopback redirect URI, by a 302 or, for response_mode=form_post, a page whose form the browser posts
        there (Microsoft identity platform, "OAuth 2.0 authorization code flow": response_type=code, redirect_uri,
        state echoed, PKCE code_challenge with method S256, response_mode query or form_post)."""
        fake = self.fake
        redirect = query.get("redirect_uri", "")
        if tenant != fake.tenant or query.get("client_id") != fake.client_id:
            return self._json(400, {"error": "unauthorized_client", "error_description": "AADSTS700016"})
        if not re.fullmatch(r"http://(localhost|127\.0\.0\.1)(:\d+)?/?", redirect):
            return self._json(400, {"error": "invalid_request", "error_description":
                                    "AADSTS50011: The redirect URI does not match the app's."})
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256" \
                or not query.get("code_challenge"):
            return self._json(400, {"error": "invalid_request", "error_description":
                                    "AADSTS9002325: Proof Key for Code Exchange is required."})
        code = "ac-" + secrets.token_hex(8)
        fake._codes[code] = {"challenge": query["code_challenge"], "redirect_uri": redirect,
                             "nonce": query.get("nonce"), "scope": query.get("scope", ""), "user": fake.user}
        if query.get("response_mode") == "form_post":  # what msal asks for: the browser posts the code back
            from html import escape

            fields = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}"/>'
                             for k, v in (("code", code), ("state", query.get("state", ""))))
            page = (f'<html><body onload="document.forms[0].submit()"><form method="POST" '
                    f'action="{escape(redirect)}">{fields}</form></body></html>')
            return self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
        target = f"{redirect}?code={code}&state={query.get('state', '')}"
        return self._send(302, b"", headers={"Location": target})

    def _person_tokens(self, user: tuple[str, str, str], scope: str, nonce: str | None = None) -> dict:
        """A delegated grant's answer: tokens, an id_token and client_info naming ``user`` (upn, oid, name)."""
        fake = self.fake
        upn, oid, name = user
        payload = self._issue(delegated=True)
        fake.token_user[payload["access_token"]] = upn
        refresh = "rt-" + secrets.token_hex(8)
        fake._refresh[refresh] = user
        now = int(time.time())
        claims = {"iss": f"{fake.base_url}/{fake.tenant}/v2.0", "aud": fake.client_id, "iat": now,
                  "exp": now + 3600, "sub": "subject-" + oid, "oid": oid, "tid": fake.tenant,
                  "preferred_username": upn, "name": name}
        if nonce:
            claims["nonce"] = nonce
        payload.update({
            "refresh_token": refresh,
            "id_token": ".".join((_b64url(b'{"alg":"none"}'), _b64url(json.dumps(claims).encode()), "")),
            "client_info": _b64url(json.dumps({"uid": oid, "utid": fake.tenant}).encode()),
            "scope": scope,
        })
        return payload

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
            if form.get("client_assertion_type") == _JWT_BEARER:
                problem = self._check_assertion(form.get("client_assertion", ""))
                if problem:
                    return self._json(401, {"error": "invalid_client", "error_description":
                                            f"AADSTS700027: Client assertion failed signature validation. {problem}",
                                            "error_codes": [700027]})
            elif form.get("client_secret") != fake.secret:
                return self._json(401, {"error": "invalid_client", "error_description":
                                        "AADSTS7000215: Invalid client secret provided.", "error_codes": [7000215]})
            scope = form.get("scope", "")
            if scope != f"{fake.base_url}/.default":
                return self._json(400, {"error": "invalid_scope", "error_description":
                                        f"AADSTS70011: The provided value for scope {scope} is not valid."})
            return self._json(200, self._issue())
        if grant == "refresh_token" and fake.refresh_error is not None:
            return self._json(400, fake.refresh_error)
        if grant == "refresh_token":
            user = fake._refresh.get(form.get("refresh_token", ""))
            if user is None:
                return self._json(400, {"error": "invalid_grant", "error_description":
                                        "AADSTS9002313: Invalid request. The refresh token is malformed or unknown.",
                                        "error_codes": [9002313]})
            return self._json(200, self._person_tokens(user, form.get("scope", "")))
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            # The poll carries no scope: the grant covers what the device-code request asked for.
            return self._json(200, self._person_tokens(
                fake.user, form.get("scope") or fake.device_scopes.get(form.get("device_code", ""), "")))
        if grant == "authorization_code":
            import hashlib

            asked = fake._codes.pop(form.get("code", ""), None)
            if asked is None or asked["redirect_uri"] != form.get("redirect_uri"):
                return self._json(400, {"error": "invalid_grant", "error_description":
                                        "AADSTS70000: The provided authorization code is invalid or expired."})
            verifier = form.get("code_verifier", "")
            if _b64url(hashlib.sha256(verifier.encode("ascii")).digest()) != asked["challenge"]:
                return self._json(400, {"error": "invalid_grant", "error_description":
                                        "AADSTS501481: The Code_Verifier does not match the code_challenge."})
            return self._json(200, self._person_tokens(asked["user"], asked["scope"], asked["nonce"]))
        self._json(400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"})

    def _check_assertion(self, assertion: str) -> str:
        """Why the signed client assertion is refused ("" when it is good), checked as Entra does."""
        import hashlib

        import jwt
        from cryptography import x509

        fake = self.fake
        if fake.certificate_der is None:
            return "no certificate registered"
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError as exc:
            return f"not a JWT ({exc})"
        expected = {"x5t": _b64url(hashlib.sha1(fake.certificate_der).digest()),
                    "x5t#S256": _b64url(hashlib.sha256(fake.certificate_der).digest())}
        # msal pads the base64url thumbprint with "="; the value is what counts.
        if not any(str(header.get(k) or "").rstrip("=") == v for k, v in expected.items()):
            return "unknown certificate thumbprint"
        if header.get("alg") not in ("RS256", "PS256"):
            return f"algorithm {header.get('alg')} not accepted"
        key = x509.load_der_x509_certificate(fake.certificate_der).public_key()
        try:
            claims = jwt.decode(assertion, key, algorithms=[header["alg"]], audience=self._token_endpoint(),
                                issuer=fake.client_id, options={"require": ["exp", "iss", "aud", "sub", "jti"]})
        except jwt.PyJWTError as exc:
            return f"invalid assertion ({type(exc).__name__})"
        if claims.get("sub") != fake.client_id:
            return "subject is not the client"
        fake.assertions.append(header)
        return ""

    def _token_endpoint(self) -> str:
        return f"{self.fake.base_url}/{self.fake.tenant}/oauth2/v2.0/token"

    def _issue(self, delegated: bool = False) -> dict:
        token = "at-" + secrets.token_hex(16)
        with self.fake._lock:
            self.fake.tokens.add(token)
            self.fake.issued.append(token)
            if delegated:
                self.fake.delegated.add(token)
        return {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}

    def do_GET(self) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        auth = self.headers.get("Authorization")
        fake.log.append({"method": "GET", "path": self.path, "has_auth": auth is not None,
                         "agent": self.headers.get("User-Agent")})
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

        if path.endswith("/oauth2/v2.0/authorize"):
            return self._authorize(parts[0], query)

        if parts == ["fake", "stats"]:  # for the benchmark: the fake's own costs, to tell them from the toolkit's
            return self._json(200, {"serialise_seconds": sum(w.serialise_seconds for w in fake.workbooks.values()),
                                    "requests": len(fake.log)})

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
        if _is_workbook(parts):
            return self._workbook("GET", parts, None, delegated=auth[7:] in fake.delegated)
        payload = self._route(parts[1:], query, delegated=auth[7:] in fake.delegated)
        fault = fake._take_fault(self.path)
        if fault is not None:
            return self._apply_fault(fault, payload[1] if payload else None)
        if payload is None:
            return self._graph_error(404, "itemNotFound", "The resource could not be found.")
        status, body, headers = payload
        if status == 302:
            return self._send(302, b"", headers=headers)
        return self._json(status, body, headers)

    @staticmethod
    def _drive_item(form) -> dict:
        return {"id": form.item_id, "name": form.name, "eTag": f'"{{{form.item_id}}},1"', "cTag": form.ctag,
                "lastModifiedDateTime": getattr(form, "modified", "2025-10-01T00:00:00Z"),
                "parentReference": {"driveId": form.drive_id, "driveType": "business"}}

    def _sites(self, parts: list[str], query: dict[str, str]):
        """Sites.Selected covers a granted site's own resources (site-getbypath, drive-list, driveitem-get by
        path): ``/sites/{host}:/{path}`` (or ``/sites/{host}``, the root site), ``/sites/{id}/drives``,
        ``/drives/{id}/root:/{path}``. Only the libraries of files added by their path address exist."""
        files = [f for f in (*self.fake.forms.values(), *self.fake.workbooks.values()) if library_of(f.share_url)]
        if parts[0] == "sites" and len(parts) >= 2 and parts[-1] != "drives":
            host = parts[1].rstrip(":")
            site = "/" + "/".join(parts[2:]) if len(parts) > 2 else ""
            if not any(library_of(f.share_url)[:2] == (host, site) for f in files):
                return None
            site_id = f"{host},{abs(hash(site)) % 10**8:08d},{abs(hash(host)) % 10**8:08d}"
            self.fake.site_ids[site_id] = (host, site)
            return 200, {"id": site_id, "webUrl": f"https://{host}{site}"}, {}
        if parts[0] == "sites" and len(parts) == 3 and parts[2] == "drives":
            where = self.fake.site_ids.get(parts[1])
            if where is None:
                return None
            libraries = sorted({library_of(f.share_url)[2] for f in files if library_of(f.share_url)[:2] == where})
            return self._page([{"id": library_drive(f"https://{where[0]}{where[1]}/{lib}/x"), "name": lib,
                                "webUrl": f"https://{where[0]}{where[1]}/{lib}".replace(" ", "%20")}
                               for lib in libraries], query)
        if parts[0] == "drives" and len(parts) >= 4 and parts[2] == "root:":
            inside = "/".join(parts[3:])
            form = next((f for f in files if f.drive_id == parts[1] and library_of(f.share_url)[3] == inside), None)
            return None if form is None else (200, self._drive_item(form), {})
        return None

    def _route(self, parts: list[str], query: dict[str, str], *, delegated: bool):
        fake = self.fake
        if len(parts) == 3 and parts[0] == "shares" and parts[2] == "driveItem":
            if fake.sites_selected_only:
                return 403, {"error": {"code": "accessDenied", "message": "Access denied"}}, {}
            form = fake.forms.get(parts[1]) or fake.workbooks.get(parts[1])
            if form is None:
                return None
            return 200, self._drive_item(form), {}
        if parts[:1] == ["sites"] or (parts[:1] == ["drives"] and len(parts) >= 3 and parts[2] == "root:"):
            return self._sites(parts, query)
        if len(parts) == 5 and parts[0] == "drives" and parts[2] == "items" and parts[4] == "content":
            form = fake._item(parts[1], parts[3])
            if form is None:
                return None
            token = secrets.token_hex(8)
            fake._downloads[token] = form
            return 302, None, {"Location": f"{fake.base_url}/download/{token}?tempauth=xyz"}
        if len(parts) == 2 and parts[0] == "users":
            oid = fake.users.get(parts[1].casefold())
            return None if oid is None else (200, {"id": oid}, {})
        if parts[:1] == ["me"]:
            if not delegated:
                return 400, {"error": {"code": "BadRequest", "message":
                                       "/me request is only valid with delegated authentication flow."}}, {}
            return self._meetings(parts[1:], query, ORGANIZER_ID)
        if len(parts) >= 3 and parts[0] == "users" and parts[2] == "onlineMeetings":
            if parts[1] not in fake.users.values():  # the docs require the object ID, not the UPN
                return 404, {"error": {"code": "UserNotFound", "message": "organizer by object ID only"}}, {}
            return self._meetings(parts[2:], query, parts[1])
        if parts[:2] == ["solutions", "virtualEvents"] and len(parts) >= 4:
            return self._virtual(parts[2:], query, delegated)
        return None

    def _meetings(self, parts: list[str], query: dict[str, str], organizer: str):
        fake = self.fake
        mine = [m for m in fake.meetings.values() if m.organizer_id == organizer]
        if len(parts) == 1:
            flt = query.get("$filter", "")
            m = re.fullmatch(r"(JoinWebUrl|joinMeetingIdSettings/joinMeetingId) eq '((?:[^']|'')*)'", flt)
            if m is None:
                return 400, {"error": {"code": "BadRequest", "message": "filter"}}, {}
            value = m.group(2).replace("''", "'")
            if m.group(1) == "JoinWebUrl":
                found = [x for x in mine if x.join_url == value]
            else:
                found = [x for x in mine if x.join_meeting_id == value]
            return 200, {"value": [{"id": x.meeting_id, "joinWebUrl": x.join_url} for x in found]}, {}
        meeting = next((x for x in mine if x.meeting_id == parts[1]), None)
        if meeting is None:
            return None
        return self._reports(parts[2:], query, meeting.reports, meeting.starts)

    def _reports(self, parts: list[str], query: dict[str, str], reports: dict[str, list[dict]],
                 starts: dict[str, str]):
        if parts == ["attendanceReports"]:
            items = [{"id": rid, "totalParticipantCount": len(recs), "meetingStartDateTime": starts[rid],
                      "meetingEndDateTime": starts[rid]} for rid, recs in reports.items()]
            return self._page(items, query)
        if len(parts) == 3 and parts[0] == "attendanceReports" and parts[2] == "attendanceRecords":
            records = reports.get(parts[1])
            return None if records is None else self._page(records, query)
        return None

    def _virtual(self, parts: list[str], query: dict[str, str], delegated: bool):
        fake = self.fake
        kind, what = parts[0], parts[1]
        if kind not in ("webinars", "townhalls"):
            return None
        events = [e for e in fake.virtual_events if e.kind == kind]
        if len(parts) == 2 and what.startswith(("getByUserIdAndRole(", "getByUserRole(")):
            if what.startswith("getByUserRole("):
                if not delegated:
                    return 403, {"error": {"code": "Forbidden", "message": "delegated only"}}, {}
                user = ORGANIZER_ID
            else:
                m = re.fullmatch(r"getByUserIdAndRole\(userId='([^']*)',\s*role='organizer'\)", what)
                if m is None:
                    return 400, {"error": {"code": "BadRequest", "message": what}}, {}
                user = m.group(1)
            items = [{"@odata.type": f"#microsoft.graph.virtualEvent{kind[:-1].capitalize()}", "id": e.event_id,
                      "status": "published", "displayName": "説明会"} for e in events if e.organizer_id == user]
            return self._page(items, query)
        event = next((e for e in events if e.event_id == what), None)
        if event is None:
            return None
        rest = parts[2:]
        if rest == ["sessions"]:
            return self._page([{"id": event.session_id, "joinWebUrl": event.join_url, "subject": "説明会",
                                "startDateTime": {"dateTime": event.start.rstrip("Z"), "timeZone": "UTC"},
                                "endDateTime": {"dateTime": event.start.rstrip("Z"), "timeZone": "UTC"}}], query)
        if rest == ["registrations"] and kind == "webinars":
            return self._page(event.registrations, query)
        if len(rest) >= 3 and rest[0] == "sessions" and rest[1] == event.session_id:
            return self._reports(rest[2:], query, event.reports, {rid: event.start for rid in event.reports})
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
    serve.add_argument("--master", type=Path, help="a master workbook to hold at MASTER_SHARE_URL (workbook API)")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fake-graph-"))
    workdir.mkdir(parents=True, exist_ok=True)
    fake = FakeGraph(workdir, page_size=100).start()
    fake.add_form(USAGE_SHARE_URL, USAGE_HEADERS,
                  usage_rows(args.responses, args.companies.split(","), args.services.split(",")))
    if args.master:
        fake.add_workbook(MASTER_SHARE_URL, args.master.read_bytes(), name=args.master.name)
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
