"""Read models keyed by event position, the catch-up task that keeps them current, and the live hub.

Pure folds (``catalogue``, ``history``, ``changes``, ``report``) turn decoded
events into plain data; ``readmodel`` holds the results in memory;
``catchup`` is the one asyncio task that feeds it from the store's global
order; ``hub`` fans change messages out to WebSocket watchers.
"""
