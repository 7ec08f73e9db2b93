"""The deliverables as Word (docxtpl) and PDF (LibreOffice): plans, the reports to the city and the booklet."""
from __future__ import annotations

from .booklet import build_booklet
from .build import UnknownCompany, build_plans, build_reports, build_single, build_status_report
from .pdf import LibreOfficeMissing, PdfConversionError, convert_to_pdf

__all__ = ["LibreOfficeMissing", "PdfConversionError", "UnknownCompany", "build_booklet", "build_plans",
           "build_reports", "build_single", "build_status_report", "convert_to_pdf"]
