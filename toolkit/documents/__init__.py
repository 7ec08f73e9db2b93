"""The deliverables as Word (docxtpl) and PDF (LibreOffice): improvement plans and the reports to the city."""
from __future__ import annotations

from .booklet import build_booklet
from .build import UnknownCompany, build_plans, build_reports
from .pdf import LibreOfficeMissing, PdfConversionError, convert_to_pdf

__all__ = ["build_booklet", "LibreOfficeMissing", "PdfConversionError", "UnknownCompany", "build_plans", "build_reports",
           "convert_to_pdf"]
