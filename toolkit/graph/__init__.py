"""Microsoft 365 sync: Forms result workbooks and Teams attendance reports into the master workbook.

The public entry points live in ``toolkit.graph.sync`` (``run_sync``, ``plan_sync``, ``read_queue``,
``clear_queue``, ``SyncError``) and ``toolkit.graph.auth`` (``login_device_code``, ``AuthError``).
"""
