"""Microsoft 365 sync: Forms result workbooks, Teams meeting and webinar attendance into the master workbook.

Entry points: ``toolkit.graph.sync`` (``run_sync`` for the CLI and the scheduler, ``synchronize`` shared with the
Excel button, ``plan_sync``) and ``toolkit.graph.auth`` (``login`` / ``logout``). Modules: ``http`` (the session
and its retries), ``auth`` (credentials, msal), ``client`` (Graph calls), ``forms`` and ``teams`` (the sources),
``rows`` (responses to sheet rows), ``matching``, ``merge`` (回答ID index, Excel-safe text), ``queue`` (files
beside the workbook). A master kept in SharePoint / OneDrive is read and written through
``toolkit.workbook.cloud`` (the Excel workbook API, delegated tokens only: ``auth.user_tokens``);
``sync.CloudDestination`` is its side of ``synchronize``.
"""
