"""Roots and proofs of the log's Merkle tree, read from the subtree hashes a store keeps.

Every adapter keeps the hash of each complete, aligned subtree of the tree over
its events (:class:`engine.store.base.TreeStore`); a root or a proof needs a
logarithmic number of them. :func:`engine.merkle.subtrees_needed` says which,
one read fetches them, and :class:`engine.merkle.Tree` computes the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from engine.merkle import Frontier, Tree, frontier_coordinates, subtrees_needed
from engine.store.base import StoreError, TreeStore

T = TypeVar("T")


class TreeTooSmall(ValueError):
    """A root or proof was asked for a tree larger than the log."""


async def _computed(store: TreeStore, size: int, compute: Callable[[Tree], T]) -> T:
    held = await store.tree_size()
    if size > held:
        raise TreeTooSmall(f"the log holds {held} events, not {size}")
    hashes = await store.tree_hashes(subtrees_needed(compute))
    try:
        return compute(Tree(lambda level, index: hashes[level, index]))
    except KeyError as missing:
        raise StoreError(f"the store's Merkle tree lacks the subtree {missing.args[0]}") from None


async def root(store: TreeStore, size: int) -> bytes:
    return await _computed(store, size, lambda tree: tree.root(size))


async def inclusion_proof(store: TreeStore, index: int, size: int) -> list[bytes]:
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    return await _computed(store, size, lambda tree: tree.inclusion_proof(index, size))


async def consistency_proof(store: TreeStore, first: int, second: int) -> list[bytes]:
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")
    return await _computed(store, second, lambda tree: tree.consistency_proof(first, second))


async def frontier(store: TreeStore, size: int) -> Frontier:
    """The frontier of the first ``size`` leaves, read from the store."""
    coordinates = frontier_coordinates(size)
    hashes = await store.tree_hashes(coordinates)
    try:
        return Frontier(size, [hashes[c] for c in coordinates])
    except KeyError as missing:
        raise StoreError(f"the store's Merkle tree lacks the subtree {missing.args[0]}") from None
