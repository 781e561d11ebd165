"""A bounded cache keyed by an object's identity: formulas, and parsed calls, looked up again.

The object is kept alive beside its value, so its id is never reused while it is here; clearing
the cache loses no meaning (a miss takes the general path to the same result). Not keyed by
equality: sympy hashes extents through Python's integer hash, the value modulo 2**61 − 1, so
power-of-two denominators collide every 61 halvings (13,332 extents of a 10,000-layer chain had
492 distinct hashes), and an equality-keyed dict compares deep expressions on every lookup; a
call node's equality walks its whole expression.
"""

from __future__ import annotations

from typing import Any



class ByIdentity:
    """`get(obj, *key)` the value `put(obj, value, *key)` stored, or None; at most `limit`
    entries (then cleared)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: dict[tuple[object, ...], tuple[object, Any]] = {}

    def get(self, obj: object, *key: object) -> Any:
        hit = self.items.get((id(obj), *key))
        return hit[1] if hit is not None and hit[0] is obj else None

    def put(self, obj: object, value: object, *key: object) -> None:
        if len(self.items) >= self.limit:
            self.items.clear()
        self.items[(id(obj), *key)] = (obj, value)

    def clear(self) -> None:
        self.items.clear()
