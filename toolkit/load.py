"""The Program of a master workbook, wherever it lives, with the row rules applied once.

The one place above storage where records become a Program the rules may count: ``toolkit.workbook.read`` (and
``toolkit.workbook.cloud`` for a book in SharePoint / OneDrive, downloaded and read by the same reader) turn cells
into records; ``toolkit.validity.apply_row_rules`` then leaves out the rows the row rules reject (duplicate IDs,
unknown references, implausible dates and amounts), once. Every command, the Excel buttons and the sync load
through here.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from toolkit.model import Program
from toolkit.validity import apply_row_rules
from toolkit.workbook import read
from toolkit.workbook.location import Location, is_cloud


def build_program(raw: Mapping[str, Sequence[Sequence[object]]]) -> Program:
    """Raw sheets (a file's, or the book open in Excel) → the Program, row rules applied."""
    return apply_row_rules(read.build_records(raw))


def load_program(location: Location | str | os.PathLike, sheets: Sequence[str] | None = None, *,
                 env: Mapping[str, str] = os.environ) -> Program:
    """The Program of the workbook at ``location`` (of its ``sheets`` only, for a job that reads no more)."""
    if not is_cloud(location):
        return apply_row_rules(read.load_records(location, sheets))  # each sheet built while the next is parsed
    return build_program(read_cloud(location, sheets, env=env))


def read_cloud(location: Location, sheets: Sequence[str] | None = None, *,
               env: Mapping[str, str] = os.environ) -> read.RawBook:
    """A workbook in SharePoint / OneDrive as raw sheets (downloaded, cached by cTag). A Graph failure reading it
    says the book cannot be read (WorkbookError), not that a sync failed."""
    from toolkit.errors import WorkbookError
    from toolkit.workbook.cloud import CloudBook, graph_failures_as

    with graph_failures_as(WorkbookError), CloudBook(location, env=env) as book:
        return book.read_raw(sheets)
