"""Pure parts of the SharePoint location: reading a WORKBOOK argument, values for the workbook API, request chunks,
sign-in messages, and the retry rule that keeps urllib3 from repeating a rows/add."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from urllib3.exceptions import MaxRetryError, ProtocolError

from toolkit.errors import UsageError
from toolkit.graph.auth import describe_msal_error
from toolkit.graph.http import make_retry
from toolkit.workbook.cloud import _chunks, cell_json
from toolkit.workbook.location import CloudUrl, is_cloud, parse_workbook


@pytest.mark.parametrize("typed, expected", [
    # a share link, as 「共有」→「リンクのコピー」 gives it
    ("https://contoso.sharepoint.com/:x:/s/program/EaBcD123?e=xYz", "https://contoso.sharepoint.com/:x:/s/program/EaBcD123?e=xYz"),
    # the file's address from desktop Excel (「パスのコピー」): spaces and Japanese as typed, pasted in quotes
    ('"https://contoso.sharepoint.com/sites/program/Shared Documents/マスター.xlsx?web=1"',
     "https://contoso.sharepoint.com/sites/program/Shared%20Documents/%E3%83%9E%E3%82%B9%E3%82%BF%E3%83%BC.xlsx?web=1"),
    # already encoded: left as it is (not encoded twice)
    ("https://contoso-my.sharepoint.com/personal/staff/Documents/%E3%83%9E.xlsx",
     "https://contoso-my.sharepoint.com/personal/staff/Documents/%E3%83%9E.xlsx"),
])
def test_an_address_becomes_a_cloud_location(typed, expected):
    location = parse_workbook(typed)
    assert isinstance(location, CloudUrl) and is_cloud(location) and location == expected


def test_a_path_stays_a_path_and_an_address_names_its_file():
    assert parse_workbook("マスター.xlsx") == Path("マスター.xlsx") and not is_cloud(parse_workbook("a.xlsx"))
    assert parse_workbook(r"C:\share\マスター.xlsm") == Path(r"C:\share\マスター.xlsm")
    assert parse_workbook("https://contoso.sharepoint.com/sites/p/Shared Documents/マスター.xlsm").name == "マスター.xlsm"
    with pytest.raises(UsageError, match="https://"):
        parse_workbook("http://contoso.sharepoint.com/sites/p/master.xlsx")


def test_values_go_as_excel_keeps_them():
    assert cell_json("0123") == "'0123" and cell_json("=1+1") == "'=1+1" and cell_json("1-2") == "'1-2"
    assert cell_json(None) is None and cell_json("") is None and cell_json(None, blank="") == ""
    assert cell_json(12) == 12 and cell_json(True) is True and cell_json(float("nan")) is None
    assert cell_json(date(2025, 9, 10)) == 45910 and cell_json(datetime(2025, 9, 10, 12, 0)) == 45910.5


def test_rows_are_chunked_under_the_request_size_and_none_is_lost():
    rows = [[f"'{i:05d}", "'" + "あ" * 100] for i in range(1000)]
    chunks = list(_chunks(rows, limit=20_000))
    assert len(chunks) > 1 and [r for c in chunks for r in c] == rows
    assert all(len(json.dumps(c, ensure_ascii=False).encode()) <= 20_000 for c in chunks)
    huge = [["'" + "x" * 50_000]]
    assert list(_chunks(huge, limit=20_000)) == [huge]  # one row over the limit still goes, alone


@pytest.mark.parametrize("codes, expected", [
    ("AADSTS700082: The refresh token has expired due to inactivity.", "有効期限が切れました"),
    ("AADSTS50173: The provided grant has expired due to it being revoked.", "有効期限が切れました"),
    ("AADSTS53003: Access has been blocked by Conditional Access policies.", "条件付きアクセス"),
    ("AADSTS50076: Due to a configuration change made by your administrator, you must use MFA.", "条件付きアクセス"),
])
def test_sign_in_failures_of_the_dedicated_account_say_what_to_do(codes, expected):
    message = describe_msal_error({"error": "invalid_grant", "error_description": codes})
    assert expected in message and "toolkit login" in message


class _Response:
    def __init__(self, status):
        self.status = status

    def get_redirect_location(self):
        return None


def test_urllib3_never_repeats_a_workbook_write_that_may_have_been_applied():
    retry = make_retry(3, sleep=lambda s: None)
    rows_add = "/v1.0/drives/b!x/items/01/workbook/tables/Attendance/rows/add"
    with pytest.raises(MaxRetryError):  # a 504: handed back to the caller, who re-reads before repeating
        retry.increment("POST", rows_add, response=_Response(504))
    with pytest.raises(ProtocolError):  # sent, no answer: likewise
        retry.increment("POST", rows_add, error=ProtocolError("connection lost"))
    assert retry.increment("POST", rows_add, response=_Response(429)).total == 1  # refused: safe to repeat
    assert retry.increment("PATCH", rows_add, response=_Response(504)).total == 1  # a range PATCH is idempotent
    assert retry.increment("POST", "/tenant/oauth2/v2.0/token", response=_Response(504)).total == 1
