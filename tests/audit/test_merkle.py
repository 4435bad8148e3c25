"""The log's Merkle hashing and proofs: the published RFC 6962 / RFC 9162 test vectors
(tests/vectors/rfc6962-merkle, from transparency-dev/merkle, Apache 2.0), and properties."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.merkle import (
    EMPTY_ROOT,
    Frontier,
    Span,
    Tree,
    frontier_coordinates,
    leaf_hash,
    subtrees_needed,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "rfc6962-merkle"


def _cases(kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(str(p.relative_to(VECTORS)), json.loads(p.read_text())) for p in sorted((VECTORS / kind).rglob("*.json"))]


def _hashes(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


INCLUSION, CONSISTENCY = _cases("inclusion"), _cases("consistency")


def test_the_vectors_are_all_there() -> None:
    assert len(INCLUSION) + len(CONSISTENCY) == 196
    assert any(not case["wantErr"] for _, case in INCLUSION) and any(case["wantErr"] for _, case in INCLUSION)


@pytest.mark.parametrize(("name", "case"), INCLUSION, ids=[name for name, _ in INCLUSION])
def test_inclusion_vectors(name: str, case: dict[str, Any]) -> None:
    ok = verify_inclusion(
        base64.b64decode(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        _hashes(case["proof"]),
        base64.b64decode(case["root"]),
    )
    assert ok is not case["wantErr"], case["desc"]


@pytest.mark.parametrize(("name", "case"), CONSISTENCY, ids=[name for name, _ in CONSISTENCY])
def test_consistency_vectors(name: str, case: dict[str, Any]) -> None:
    ok = verify_consistency(
        case["size1"],
        case["size2"],
        base64.b64decode(case["root1"]),
        base64.b64decode(case["root2"]),
        _hashes(case["proof"]),
    )
    assert ok is not case["wantErr"], case["desc"]


def test_the_proofs_made_here_are_the_published_ones() -> None:
    # The happy-path cases are over the eight leaves of RFC 6962's own example tree.
    leaves = [
        leaf_hash(bytes.fromhex(x))
        for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
    ]
    tree = Tree.of_leaves(leaves)
    for name, case in INCLUSION:
        if case["desc"] == "happy path" and case["treeSize"] <= 8 and not case["wantErr"]:
            assert tree.root(case["treeSize"]) == base64.b64decode(case["root"]), name
            assert tree.inclusion_proof(case["leafIdx"], case["treeSize"]) == _hashes(case["proof"]), name
    for name, case in CONSISTENCY:
        if case["desc"] == "happy path" and case["size2"] <= 8 and case["size1"] < case["size2"]:
            assert tree.consistency_proof(case["size1"], case["size2"]) == _hashes(case["proof"]), name


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=40)


@given(leaf_lists, st.data())
def test_every_inclusion_proof_verifies_and_a_changed_leaf_does_not(data: list[bytes], draw: st.DataObject) -> None:
    leaves = [leaf_hash(d) for d in data]
    tree = Tree.of_leaves(leaves)
    size = draw.draw(st.integers(1, len(leaves)))
    index = draw.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    assert verify_inclusion(leaves[index], index, size, proof, tree.root(size))
    assert not verify_inclusion(leaf_hash(data[index] + b"x"), index, size, proof, tree.root(size))
    if size > 1:
        other = (index + 1) % size
        moved = verify_inclusion(leaves[index], other, size, proof, tree.root(size))
        assert not moved or leaves[other] == leaves[index]


@given(leaf_lists, st.data())
def test_every_consistency_proof_verifies_and_a_rewritten_prefix_does_not(
    data: list[bytes], draw: st.DataObject
) -> None:
    leaves = [leaf_hash(d) for d in data]
    tree = Tree.of_leaves(leaves)
    second = draw.draw(st.integers(1, len(leaves)))
    first = draw.draw(st.integers(1, second))
    proof = tree.consistency_proof(first, second)
    assert verify_consistency(first, second, tree.root(first), tree.root(second), proof)
    # A log whose first part was changed, cut or reordered no longer extends the earlier root.
    changed = draw.draw(st.integers(0, first - 1))
    rewritten = leaves.copy()
    rewritten[changed] = leaf_hash(data[changed] + b"x")
    other = Tree.of_leaves(rewritten)
    proof = other.consistency_proof(first, second)
    assert not verify_consistency(first, second, tree.root(first), other.root(second), proof)
    if first >= 2 and leaves[0] != leaves[1]:
        swapped = [leaves[1], leaves[0], *leaves[2:]]
        moved = Tree.of_leaves(swapped)
        assert not verify_consistency(
            first, second, tree.root(first), moved.root(second), moved.consistency_proof(first, second)
        )


@given(leaf_lists)
def test_the_frontier_keeps_the_root_of_every_prefix(data: list[bytes]) -> None:
    leaves = [leaf_hash(d) for d in data]
    tree = Tree.of_leaves(leaves)
    frontier = Frontier()
    assert frontier.root() == EMPTY_ROOT
    kept: dict[tuple[int, int], bytes] = {}
    for n, leaf in enumerate(leaves, start=1):
        for level, index, digest in frontier.push(leaf):
            kept[level, index] = digest
        assert frontier.root() == tree.root(n)
    # The complete subtrees it reported are enough to make every proof.
    stored = Tree(lambda level, index: kept[level, index])
    assert stored.inclusion_proof(len(leaves) - 1, len(leaves)) == tree.inclusion_proof(len(leaves) - 1, len(leaves))
    resumed = Frontier(frontier.size, frontier.hashes)
    assert resumed.root() == tree.root(len(leaves))


@given(leaf_lists, st.data())
def test_a_log_with_a_dropped_leaf_does_not_extend_the_earlier_root(data: list[bytes], draw: st.DataObject) -> None:
    leaves = [leaf_hash(d) for d in data]
    if len(leaves) < 2:
        return
    tree = Tree.of_leaves(leaves)
    first = draw.draw(st.integers(1, len(leaves) - 1))
    dropped_at = draw.draw(st.integers(0, first - 1))
    dropped = leaves[:dropped_at] + leaves[dropped_at + 1 :]
    if dropped[:first] == leaves[:first]:
        return  # the leaf dropped had an equal neighbour: the same log
    other = Tree.of_leaves(dropped)
    second = len(dropped)
    assert not verify_consistency(
        first, second, tree.root(first), other.root(second), other.consistency_proof(first, second)
    )


@given(leaf_lists, st.lists(st.integers(1, 7), min_size=1, max_size=40))
def test_commit_spans_give_the_whole_trees_roots_proofs_and_subtrees(data: list[bytes], cuts: list[int]) -> None:
    leaves = [leaf_hash(d) for d in data]
    tree = Tree.of_leaves(leaves)
    kept: dict[tuple[int, int], bytes] = {}
    start = 0
    for cut in cuts:
        if start >= len(leaves):
            break
        end = min(len(leaves), start + cut)
        frontier = [kept[c] for c in frontier_coordinates(start)]
        span = Span(start, frontier, leaves[start:end])
        kept.update(((level, index), digest) for level, index, digest in span.nodes)
        assert span.size == end and span.root() == tree.root(end)
        for index in range(start, end):
            assert span.inclusion_proof(index) == tree.inclusion_proof(index, end)
        start = end
    # What a store keeps from the spans answers every proof, reading only what subtrees_needed names.
    size = start
    asked = subtrees_needed(lambda t: t.consistency_proof(max(1, size // 2), size))
    stored = Tree(lambda level, index: kept[level, index] if (level, index) in asked else b"")
    assert stored.consistency_proof(max(1, size // 2), size) == tree.consistency_proof(max(1, size // 2), size)
