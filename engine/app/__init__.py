"""The application layer: the use cases, between the entry points and the domain.

Read it in the order a request travels:

* :mod:`engine.app.requests`: what an entry point asks (one frozen request per use case);
* :mod:`engine.app.handlers`: the table of handlers, each turning its request into a
  domain command (``engine.commands``) that the service decides by the country's rules
  (``engine.decider``, ``rules``) into events it appends to the store (``engine.service``,
  ``engine.store``), and answering with a typed result;
* :mod:`engine.app.results`: those results, in cents and datetimes;
* :mod:`engine.app.queries`: the read side, views from the read models (``projections``),
  which also feed the live socket (``api.routes.live``);
* :mod:`engine.app.scheduler`: the deadline scheduler, which opens and closes auctions
  on time through the same service;
* :mod:`engine.app.receipts`: the signed receipt of an accepted bid;
* :mod:`engine.app.offline`: what the command line runs without a server.

Nothing here knows HTTP, WebSockets or the command line (``api``), and nothing is
built at import: the composition root (``api.bootstrap``) wires these objects
to the store, the read models and the settings when the server starts.
"""
