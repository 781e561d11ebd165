"""Seeded one-layer case generators for the keras layers added with the full catalog (issue 3), in
the format of layer_cases.GENERATORS: (convention, layer) -> (generator, number of cases)."""

from __future__ import annotations

from typing import Any

GENERATORS: dict[tuple[str, str], tuple[Any, int]] = {}
