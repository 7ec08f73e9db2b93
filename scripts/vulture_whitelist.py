"""Names vulture cannot see used: attributes set on other libraries' objects (xlwings' app, openpyxl sheets, python-docx
sections, requests sessions), entry points called by name (click commands, the Excel macros, cog, the chart drawers
chart_data names), record fields the templates read, urllib3's Retry hooks, pytest fixtures. Made with
`vulture toolkit scripts tests --min-confidence 60 --make-whitelist`; a new entry needs a reason to be here."""
# ruff: noqa
_.creator  # unused attribute (scripts/make_template.py:44)
pytest_plugins  # unused variable (tests/conftest.py:4)
_.handle_starttag  # unused method (tests/fake_browser.py:25)
_.daemon_threads  # unused attribute (tests/fake_graph.py:222)
protocol_version  # unused variable (tests/fake_graph.py:386)
disable_nagle_algorithm  # unused variable (tests/fake_graph.py:389)
_.log_message  # unused method (tests/fake_graph.py:391)
_.close_connection  # unused attribute (tests/fake_graph.py:446)
_.do_PATCH  # unused method (tests/fake_graph.py:502)
_.do_DELETE  # unused method (tests/fake_graph.py:505)
_.do_PUT  # unused method (tests/fake_graph.py:508)
_.do_POST  # unused method (tests/fake_graph.py:514)
_.do_GET  # unused method (tests/fake_graph.py:688)
serve_usage_responses  # unused function (tests/fake_graph.py:907)
serial_date  # unused function (tests/fake_workbook.py:509)
MAX_ROW  # unused variable (tests/fake_xlwings.py:39)
_.status_bar  # unused attribute (tests/fake_xlwings.py:107)
buttons  # unused variable (tests/fake_xlwings.py:116)
callback  # unused variable (tests/fake_xlwings.py:117)
italic  # unused variable (tests/fake_xlwings.py:198)
italic  # unused variable (tests/fake_xlwings.py:338)
_.get_redirect_location  # unused method (tests/test_cloud_units.py:73)
chart_cache  # unused function (tests/test_documents.py:41)
tz  # unused variable (tests/test_excel.py:493)
priority  # unused variable (tests/test_graph_sync.py:81)
_.delete_password  # unused method (tests/test_graph_sync.py:93)
_.trust_env  # unused attribute (tests/test_graph_sync.py:578)
chart_cache  # unused function (tests/test_pdf.py:27)
capsys  # unused variable (tests/test_scripts.py:74)
init  # unused function (toolkit/cli.py:253)
privacy  # a click command (toolkit/cli.py), called by name from the command line
purge  # a click command (toolkit/cli.py)
handover  # a click command (toolkit/cli.py)
command_table  # unused function (toolkit/cli_docs.py:27)
_._  # unused attribute (toolkit/cli_ja.py:58)
change_bars  # unused function (toolkit/documents/charts.py:163)
cap_bars  # unused function (toolkit/documents/charts.py:196)
stacked_months  # unused function (toolkit/documents/charts.py:222)
usage_pace  # called by name from chart_data.status_chart_jobs
_.different_first_page_header_footer  # unused attribute (toolkit/documents/paging.py:41)
_.different_first_page_header_footer  # unused attribute (toolkit/documents/paging.py:184)
make_reports  # unused function (toolkit/excel.py:69)
_.status_bar  # unused attribute (toolkit/excel.py:102)
_.status_bar  # unused attribute (toolkit/excel.py:106)
_.status_bar  # unused attribute (toolkit/excel.py:195)
_.status_bar  # unused attribute (toolkit/excel.py:371)
_.status_bar  # unused attribute (toolkit/excel.py:458)
_.sleep_for_retry  # unused method (toolkit/graph/http.py:52)
_._sleep_backoff  # unused method (toolkit/graph/http.py:59)
_.trust_env  # unused attribute (toolkit/graph/http.py:156)
contact_name  # unused variable (toolkit/model.py:76)
voucher  # unused variable (toolkit/model.py:123)
next_plan  # unused variable (toolkit/model.py:136)
_.page_margins  # unused attribute (toolkit/workbook/template.py:147)
_.showGridLines  # unused attribute (toolkit/workbook/template.py:330)
_._fonts  # unused attribute (toolkit/workbook/template.py:338)
__getattr__  # unused function (toolkit/workbook/xlsx/__init__.py:35)
_.raised_on  # unused variable (toolkit/model.py) — the 課題 record's fields, for the 状況報告書
_.impact  # unused variable (toolkit/model.py)
_.reported_on  # unused variable (toolkit/model.py)
is_linked_to_previous  # python-docx property set by documents/render._mark_draft
autofit  # python-docx property set by documents/render._mark_draft
_.budget_cloud  # 設定 予算額 items, read with getattr by documents/contexts/budget_report.budget_lines
_.budget_setup
_.budget_consulting
_.budget_common
pytestmark  # pytest reads it by name (a module-level mark)
