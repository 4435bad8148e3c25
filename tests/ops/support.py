"""Helpers for the operations tests: the metrics page parsed, one sample looked up."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


async def scrape(client: httpx.AsyncClient) -> list[Sample]:
    """``GET /metrics``, parsed by prometheus_client's own text parser (a malformed page raises)."""
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return [sample for family in text_string_to_metric_families(response.text) for sample in family.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    """The value of the sample ``name`` with exactly ``labels``; 0 when the series does not exist yet."""
    found = [sample.value for sample in samples if sample.name == name and sample.labels == labels]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else 0.0
