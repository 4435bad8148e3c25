"""The offline audit tool: an exported event log in, verified reports out.

What ``auction export``, ``auction replay`` and ``auction verify-receipt`` do,
with no server, no HTTP framework and no running engine:

* :mod:`projections.audit.log`: the log's file format (JSON Lines, one stored
  event a line): written from a store, read back, its hash chains verified;
* :mod:`projections.audit.receipts`: the signed bid receipt's format and its
  offline check, and the check that a log holds every bid a receipt names;
* :mod:`projections.audit.replay`: a verified log folded into the same reports
  the server gives (:func:`projections.report.build_report`);
* :mod:`projections.audit.render`: those reports as JSON, CSV or an HTML page.

Why here, under ``projections``: a replay is a projection of the log, the same
fold over the same events, read from a file instead of the store, so it sits
beside the report it rebuilds and depends on what the read models depend on
(the events, their codec, the hash chain), never on the application layer or
an entry point. The command line (``api.cli``) only turns arguments into calls
and answers into exit codes. The renderers are the one kind of output the live
read models never make: they are the report's printed forms, kept in a module
of their own. The application layer signs receipts with the format defined
here (``engine.app.receipts``), so what the server signs is what an auditor
checks.
"""
