"""The use cases the command line runs without a server: a dry run of the rules, an erasure.

(Exporting and replaying the log are the audit tool's, ``projections.audit``.)
"""

from __future__ import annotations

from typing import Any

from engine.service import RulesLookup
from engine.simulate import ScenarioError, run_scenario
from engine.store import open_store
from engine.store.memory import MemoryEventStore
from engine.vault import SubjectVault, owner_of
from projections.notifications import NotificationBook

__all__ = ["ScenarioError", "forget", "simulate"]


async def simulate(scenario: Any, rules_for: RulesLookup) -> dict[str, Any]:
    """Run a scenario on a simulated clock through the engine, on a store in memory;
    raises ``engine.simulate.ScenarioError`` for one the rules refuse."""
    return await run_scenario(scenario, MemoryEventStore(), rules_for)


async def forget(database_url: str, subject: str, keys_url: str | None = None) -> int:
    """Erase ``subject``'s identity key (crypto-shredding) from the keys of the log at ``database_url``
    (kept at ``keys_url`` when given, ``engine.store.open_store``), and their notices, watches and
    e-mail address; how many keys were erased."""
    store = await open_store(database_url, keys_url)
    try:
        erased = await SubjectVault(store).forget(subject)
    finally:
        await store.close()
    # Their notices, watches and sealed e-mail address go too (projections.notifications).
    book = await NotificationBook.open(database_url)
    try:
        await book.forget(owner_of(subject))
    finally:
        await book.close()
    return erased
