"""Merkle trees over a log, hashed as RFC 9162 (and RFC 6962) section 2.1 hashes them.

Pure. A leaf's hash is SHA-256(0x00 || leaf), a node's SHA-256(0x01 || left || right);
the tree over ``n`` leaves splits at the largest power of two below ``n``. This module
makes and checks the two proofs a log gives its readers:

- an inclusion proof: the sibling hashes from a leaf up to the root, so that one
  who holds a signed root learns that the leaf is in that tree (section 2.1.3);
- a consistency proof: the hashes that show a tree of ``second`` leaves extends
  the tree of its first ``first`` leaves unchanged (section 2.1.4), so that one
  who holds an earlier signed root can tell a later log is an extension of it and
  not a rewrite or a cut.

:class:`Tree` makes both from a function giving the hash of any complete,
aligned subtree, so a store can keep those hashes instead of every leaf, and
:class:`Frontier` keeps the root of a growing log in logarithmic space.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two below ``n`` (n > 1): where the tree over ``n`` leaves splits."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """Hashes and proofs over the first leaves of a log.

    ``complete(level, index)`` gives the hash of the complete subtree of ``2**level``
    leaves starting at leaf ``index * 2**level`` (level 0: a leaf's hash); every other
    subtree is made from those, each once per tree object."""

    def __init__(self, complete: Callable[[int, int], bytes]) -> None:
        self._complete = complete
        self._made: dict[tuple[int, int], bytes] = {}

    @classmethod
    def of_leaves(cls, leaf_hashes: Sequence[bytes]) -> Tree:
        """A tree over leaf hashes held in memory."""
        levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
        return cls(lambda level, index: levels[level][index])

    def hash(self, start: int, end: int) -> bytes:
        """The hash of the subtree over leaves [start, end) as the tree of ``end`` leaves splits it."""
        size = end - start
        if size <= 0:
            raise ValueError("an empty range has no subtree")
        if size & (size - 1) == 0 and start % size == 0:
            return self._complete(size.bit_length() - 1, start // size)
        known = self._made.get((start, end))
        if known is None:
            middle = start + split(size)
            known = self._made[start, end] = node_hash(self.hash(start, middle), self.hash(middle, end))
        return known

    def root(self, size: int) -> bytes:
        return EMPTY_ROOT if size == 0 else self.hash(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves, leaf end first."""
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            middle = start + split(end - start)
            if index < middle:
                path.append(self.hash(middle, end))
                end = middle
            else:
                path.append(self.hash(start, middle))
                start = middle
        path.reverse()
        return path

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """The proof that the tree of ``second`` leaves extends that of its first ``first``."""
        if not 0 < first <= second:
            raise ValueError(f"no consistency proof from {first} to {second} leaves")
        return self._subproof(first, 0, second, True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self.hash(start, end)]
        k = split(n)
        if m <= k:
            return self._subproof(m, start, start + k, whole) + [self.hash(start + k, end)]
        return self._subproof(m - k, start + k, end, False) + [self.hash(start, start + k)]


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 section 2.1.3.2), or None when it cannot
    belong to a tree of ``size`` leaves."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


HASH_SIZE = 32


def _hashes(*values: bytes | Sequence[bytes]) -> bool:
    """Whether every value (or list of values) is a SHA-256 digest."""
    return all(len(v) == HASH_SIZE if isinstance(v, bytes) else all(len(p) == HASH_SIZE for p in v) for v in values)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    return _hashes(leaf, root, proof) and root_from_inclusion(leaf, index, size, proof) == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the tree of ``second`` leaves (``second_root``) extends the tree of
    its first ``first`` leaves (``first_root``) (RFC 9162 section 2.1.4.2)."""
    if first < 1 or second < first:
        return False  # nothing is proved about an empty tree (the published vectors refuse it too)
    if first == second:
        return not proof and first_root == second_root
    if not proof or not _hashes(first_root, second_root, proof):
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


class Frontier:
    """The root of a growing log kept in logarithmic space: the hashes of the complete
    subtrees the leaves so far fill, largest first (a "compact range" from leaf 0).

    ``push`` returns the complete subtrees each new leaf finishes, as (level, index, hash),
    so a store can keep them for proofs."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError("a frontier holds one hash per set bit of its size")
        self.size = size
        self.hashes = list(hashes)

    def push(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        index, made = self.size, [(0, self.size, leaf)]
        current, level = leaf, 0
        while index & 1:
            current = node_hash(self.hashes.pop(), current)
            level += 1
            index >>= 1
            made.append((level, index, current))
        self.hashes.append(current)
        self.size += 1
        return made

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            root = node_hash(left, root)
        return root


def frontier_coordinates(size: int) -> list[tuple[int, int]]:
    """The complete subtrees (level, index) whose hashes make the frontier of ``size`` leaves,
    largest first: one per set bit of ``size``."""
    return [(level, (size >> level) - 1) for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]


class Span:
    """What one commit adds to a log's tree: the frontier of the ``start`` leaves before it and
    the hashes of the leaves it adds. Enough to give the new root, the complete subtrees the
    commit finishes (which a store keeps), and the inclusion proof of every new leaf in the
    tree after the commit, without reading anything else."""

    def __init__(self, start: int, frontier: Sequence[bytes], leaves: Sequence[bytes]) -> None:
        coordinates = frontier_coordinates(start)
        if len(frontier) != len(coordinates):
            raise ValueError("a frontier holds one hash per set bit of its size")
        self.start = start
        self.leaves = tuple(leaves)
        self.size = start + len(self.leaves)
        self._known = dict(zip(coordinates, frontier, strict=True))
        self.start_root = Frontier(start, frontier).root()  # the root before the commit
        growing = Frontier(start, frontier)
        self.nodes: list[tuple[int, int, bytes]] = []  # the complete subtrees this commit finishes
        for leaf in self.leaves:
            self.nodes.extend(growing.push(leaf))
        self._known.update(((level, index), digest) for level, index, digest in self.nodes)
        self.frontier = tuple(growing.hashes)  # after the commit
        self._tree = Tree(lambda level, index: self._known[level, index])

    def root(self) -> bytes:
        return self._tree.root(self.size)

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The audit path of leaf ``index`` (one this commit added) in the tree after the commit."""
        if not self.start <= index < self.size:
            raise ValueError(f"leaf {index} was not added by this commit ({self.start} to {self.size - 1})")
        return self._tree.inclusion_proof(index, self.size)


def subtrees_needed(proof: Callable[[Tree], object]) -> set[tuple[int, int]]:
    """The complete subtrees (level, index) that ``proof(tree)`` reads, found by running it once
    on a tree of placeholder hashes: a store fetches exactly those, then runs it for real."""
    asked: set[tuple[int, int]] = set()

    def complete(level: int, index: int) -> bytes:
        asked.add((level, index))
        return EMPTY_ROOT

    proof(Tree(complete))
    return asked
