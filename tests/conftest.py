"""Fixtures shared by several test modules, registered once here so no module imports fixture names: the loopback
Graph with its workbook API and the signed-in environment (``cloud_setup``), the Excel adapter's test book
(``tests.excel_book``)."""
pytest_plugins = ("cloud_setup", "tests.excel_book")
