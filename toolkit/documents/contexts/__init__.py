"""One context module per deliverable: pure functions of the Program and its figures, data only."""
from .base import document_date
from .booklet import booklet_context
from .budget_report import budget_report_context
from .business_report import business_report_context, toc_entries
from .kpi_report import kpi_report_context
from .minutes import meeting_context
from .plan import plan_context
from .privacy_register import privacy_register_context
from .purge_report import purge_report_context
from .status_report import status_report_context
from .support_log import support_log_context

__all__ = ["booklet_context", "budget_report_context", "business_report_context", "document_date",
           "kpi_report_context", "meeting_context", "plan_context", "privacy_register_context", "purge_report_context", "status_report_context", "support_log_context", "toc_entries"]
