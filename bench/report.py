"""The benchmark's table, its JSON record, and the comparison of two runs.

`python -m bench.report compare A.json B.json` prints throughput of B relative to A per path
(the "within 20% at 100,000 families" check).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Target:
    """What issue 8 asks of a path: a minimum ratio to the no-op view and a maximum number of
    database queries (None: no target)."""

    min_ratio: float | None = None
    max_queries: int | None = None
    note: str = ""

    def describe(self) -> str:
        parts = []
        if self.min_ratio is not None:
            parts.append(f">= {self.min_ratio:.2f}x")
        if self.max_queries is not None:
            parts.append(f"<= {self.max_queries} q")
        if self.note:
            parts.append(self.note)
        return ", ".join(parts) or "-"


@dataclass
class PathResult:
    key: str
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    queries: int | None
    expected_status: int
    statuses: dict[str, int]
    socket_errors: dict[str, int]
    target: Target = field(default_factory=Target)
    ratio: float | None = None
    extra: dict = field(default_factory=dict)
    tolerated: list[str] = field(default_factory=list)

    @property
    def wrong_statuses(self) -> int:
        allowed = {str(self.expected_status), *self.tolerated}
        return sum(n for status, n in self.statuses.items() if status not in allowed)

    def verdict(self) -> str:
        if self.requests == 0:
            return "FAILED"
        problems = []
        if self.wrong_statuses:
            problems.append(f"{self.wrong_statuses} unexpected statuses")
        if sum(self.socket_errors.values()):
            problems.append(f"{sum(self.socket_errors.values())} socket errors")
        target = self.target
        if (
            target.min_ratio is not None
            and self.ratio is not None
            and self.ratio < target.min_ratio
        ):
            problems.append(f"ratio {self.ratio:.3f} < {target.min_ratio:.2f}")
        independent = self.extra.get("queries_independent_of_teens", {}).get("independent")
        if independent is False:
            problems.append("queries grow with the number of teens")
        if target.max_queries is not None and (
            self.queries is None or self.queries > target.max_queries
        ):
            problems.append(f"{self.queries} queries > {target.max_queries}")
        if problems:
            return "MISSED: " + "; ".join(problems)
        if target.min_ratio is None and target.max_queries is None:
            return "measured"
        return "met"


def format_table(rows: list[PathResult]) -> str:
    headers = ["path", "req/s", "p50 ms", "p99 ms", "queries", "x no-op", "target", "result"]
    lines = []
    for row in rows:
        lines.append(
            [
                row.label,
                f"{row.rps:,.0f}",
                f"{row.p50_ms:.1f}",
                f"{row.p99_ms:.1f}",
                "-" if row.queries is None else str(row.queries),
                "-" if row.ratio is None else f"{row.ratio:.2f}",
                row.target.describe(),
                row.verdict(),
            ]
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    numeric = {1, 2, 3, 4, 5}

    def render(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    out = [render(headers), render(["-" * w for w in widths])]
    out.extend(render(line) for line in lines)
    return "\n".join(out)


def format_markdown(rows: list[PathResult]) -> str:
    out = [
        "| path | req/s | p50 ms | p99 ms | queries | × no-op | target | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        out.append(
            f"| {row.label} | {row.rps:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | "
            f"{'-' if row.queries is None else row.queries} | "
            f"{'-' if row.ratio is None else f'{row.ratio:.2f}'} | "
            f"{row.target.describe()} | {row.verdict()} |"
        )
    return "\n".join(out)


def save(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")


def record_of(rows: list[PathResult], **extra) -> dict:
    return {"paths": [asdict(row) for row in rows], **extra}


def compare(base_file: Path, other_file: Path) -> int:
    base = json.loads(base_file.read_text())
    other = json.loads(other_file.read_text())
    base_rows = {row["key"]: row for row in base["paths"]}
    print(
        f"{other_file.name} ({other.get('families', '?')} families) against "
        f"{base_file.name} ({base.get('families', '?')} families): throughput ratio B/A"
    )
    worst = 1.0
    for row in other["paths"]:
        if row["key"] not in base_rows or not base_rows[row["key"]]["rps"]:
            continue
        # Compare ratios to the no-op view, so machine noise between the two runs cancels out;
        # raw requests per second are shown as well.
        base_row = base_rows[row["key"]]
        raw = row["rps"] / base_row["rps"]
        norm = (
            row["ratio"] / base_row["ratio"] if row.get("ratio") and base_row.get("ratio") else raw
        )
        worst = min(worst, norm)
        print(f"  {row['label']:<32} raw {raw:5.2f}  normalised to no-op {norm:5.2f}")
    verdict = "within 20%" if worst >= 0.8 else "MORE than 20% slower"
    print(f"worst path: {worst:.2f} -> {verdict}")
    return 0 if worst >= 0.8 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report")
    sub = parser.add_subparsers(dest="command", required=True)
    cmp_parser = sub.add_parser("compare", help="throughput of run B relative to run A")
    cmp_parser.add_argument("base", type=Path)
    cmp_parser.add_argument("other", type=Path)
    show = sub.add_parser("show", help="print a saved run as a Markdown table")
    show.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "compare":
        return compare(args.base, args.other)
    record = json.loads(args.file.read_text())
    rows = []
    for row in record["paths"]:
        row["target"] = Target(**row["target"])
        rows.append(PathResult(**row))
    print(format_markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
