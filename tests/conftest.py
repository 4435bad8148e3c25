"""The whole suite's defaults: the write limits (api.ratelimit) raised far above what any test sends.

Tests drive hundreds of writes a second from one address and one token, as no person does;
servers the tests start (in process or as ``auction serve``) inherit these variables. The
limits' own tests set theirs explicitly (tests/api/test_review_access.py)."""

from __future__ import annotations

import os

from api.ratelimit import LOAD_TEST_ENVIRONMENT

for _name, _value in LOAD_TEST_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)
