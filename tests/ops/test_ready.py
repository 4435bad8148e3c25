"""GET /ready: 200 while the store answers, the read models keep up and the tasks run; 503 naming what failed.

GET /health answers as long as the process lives, whatever /ready says.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from api.bootstrap import Runtime
from engine.store.base import NewEvent
from tests.api.support import running_api, utc_now


def _task(runtime: Runtime, name: str) -> asyncio.Task[None]:
    (task,) = [task for task in runtime.tasks if task.get_name() == name]
    return task


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_ready_when_everything_runs(tmp_path: Path) -> None:
    async with running_api(f"sqlite:///{tmp_path / 'auction.sqlite3'}") as api:
        response = await api.client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["failed"] == []
    assert set(body["checks"]) == {"store", "projections", "scheduler"}
    assert all(check["ok"] for check in body["checks"].values())


async def test_not_ready_when_the_store_is_closed(tmp_path: Path) -> None:
    async with running_api(f"sqlite:///{tmp_path / 'auction.sqlite3'}") as api:
        await api.runtime.store.close()
        response = await api.client.get("/ready")
        health = await api.client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert "store" in body["failed"]
    assert "closed" in body["checks"]["store"]["error"]
    assert health.status_code == 200  # the process lives


async def test_not_ready_when_the_scheduler_task_is_dead() -> None:
    async with running_api() as api:
        await _stop(_task(api.runtime, "deadline-scheduler"))
        response = await api.client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["scheduler"]
    assert body["checks"]["scheduler"] == {"ok": False, "error": "the scheduler task is not running"}


async def test_not_ready_while_the_read_models_lag_behind_the_store() -> None:
    async with running_api(ready_max_lag=1) as api:
        await _stop(_task(api.runtime, "projections-catch-up"))
        event = NewEvent(type="Note", data={}, recorded_at=utc_now())
        # Written past the read models (as another process would, with no catch-up to fold it).
        await api.runtime.store.append("auction-elsewhere", None, [event])
        await api.runtime.store.append("auction-elsewhere", 1, [event])
        response = await api.client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["projections"]
    assert body["checks"]["projections"]["lag"] == 2
    assert "2 events behind (at most 1)" in body["checks"]["projections"]["error"]
