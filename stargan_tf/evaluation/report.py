"""The evaluation report: written as JSON; number formats of the families' printed tables."""
from __future__ import annotations

import json
import os


def write_report(report: dict, path: str) -> None:
    """Writes the report as indented JSON, atomically (a crash never leaves half a report)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)


def percent(value) -> str:
    return "-" if value is None else f"{100.0 * value:.2f}%"


def number(value, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
