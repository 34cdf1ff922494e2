"""Load on the paths with wrk, in rounds, each round between two runs of the no-op view."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.report import PathResult, Target
from bench.runner import run_wrk


@dataclass
class LoadDriver:
    wrk: str
    base_url: str
    data_dir: Path
    wrk_log: Path
    connections: int
    threads: int
    queries: dict[str, tuple[int | None, int | None]]
    say: Callable[[str], None]

    def drive(self, path, *, warmup: float, duration: float) -> PathResult:
        """One run of wrk on `path` (after `warmup` seconds of warm-up), as a row."""
        if path.prime is not None and warmup > 0:
            path.prime()
        if path.refresh is not None:
            path.data = path.refresh()
        data = path.write_data(self.data_dir, self.threads)
        saved = {k: os.environ.get(k) for k in path.env}
        os.environ.update(path.env)
        try:
            if warmup > 0:
                self._wrk(path, data, warmup)
            measured = self._wrk(path, data, duration)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.say(
            f"  {path.label:<32} {measured.rps:8,.0f} req/s  p50 {measured.p50_ms:6.1f} ms  "
            f"p99 {measured.p99_ms:6.1f} ms  statuses {measured.statuses}"
        )
        return PathResult(
            key=path.key,
            label=path.label,
            rps=measured.rps,
            p50_ms=measured.p50_ms,
            p99_ms=measured.p99_ms,
            requests=measured.requests,
            queries=self.queries[path.key][0],
            expected_status=path.expected_status,
            statuses=measured.statuses,
            socket_errors={k: v for k, v in measured.socket_errors.items() if v},
            target=path.target,
            tolerated=[str(status) for status in path.tolerated],
        )

    def _wrk(self, path, data, duration: float):
        return run_wrk(
            self.wrk,
            url=self.base_url + path.url,
            script=path.script,
            data=data,
            duration=duration,
            connections=self.connections,
            threads=self.threads,
            log=self.wrk_log,
        )

    def rounds(
        self,
        paths: list,
        *,
        rounds: int,
        warmup: float,
        duration: float,
        noop,
        extra: dict[str, dict] | None = None,
    ) -> tuple[list[PathResult], list[PathResult], PathResult]:
        """Every path in `rounds` rounds of `duration / rounds` seconds. Each round's ratio uses
        the no-op runs just before and just after it, and a path's ratio is the median of its
        rounds, so a machine that gets busier or quieter during the run (or a burst of other
        work in one round) does not skew the ratios. Returns the no-op runs, one merged row per
        path and the no-op row."""
        slice_seconds = duration / rounds
        noops = [self.drive(noop, warmup=warmup, duration=slice_seconds)]
        results = []
        for path in paths:
            runs, ratios = [], []
            for round_index in range(rounds):
                runs.append(
                    self.drive(
                        path, warmup=warmup if round_index == 0 else 0, duration=slice_seconds
                    )
                )
                noops.append(self.drive(noop, warmup=0, duration=slice_seconds))
                reference = (noops[-2].rps + noops[-1].rps) / 2
                if reference:
                    ratios.append(runs[-1].rps / reference)
            row = merged(runs, ratios)
            row.extra.update((extra or {}).get(row.key, {}))
            results.append(row)
        return noops, results, self._noop_row(noops)

    def _noop_row(self, noops: list[PathResult]) -> PathResult:
        statuses: dict[str, int] = {}
        for n in noops:
            for status, count in n.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
        return PathResult(
            key="noop",
            label="no-op reference view",
            rps=sum(n.rps for n in noops) / len(noops),
            p50_ms=sum(n.p50_ms for n in noops) / len(noops),
            p99_ms=max(n.p99_ms for n in noops),
            requests=sum(n.requests for n in noops),
            queries=self.queries["noop"][0],
            expected_status=200,
            statuses=statuses,
            socket_errors={},
            target=Target(),
            ratio=1.0,
            extra={"runs_rps": [round(n.rps, 1) for n in noops]},
        )


def merged(runs: list[PathResult], ratios: list[float]) -> PathResult:
    """One row from a path's rounds: medians (robust to a burst of other work on the machine
    during one round), the worst p99, every request and status counted."""
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    for run in runs:
        for status, count in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
        for kind, count in run.socket_errors.items():
            errors[kind] = errors.get(kind, 0) + count
    first = runs[0]
    return PathResult(
        key=first.key,
        label=first.label,
        rps=statistics.median(run.rps for run in runs),
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=max(run.p99_ms for run in runs),
        requests=sum(run.requests for run in runs),
        queries=first.queries,
        expected_status=first.expected_status,
        statuses=statuses,
        socket_errors=errors,
        target=first.target,
        tolerated=first.tolerated,
        ratio=statistics.median(ratios) if ratios else None,
        extra={
            "rounds_rps": [round(run.rps, 1) for run in runs],
            "rounds_ratio": [round(ratio, 3) for ratio in ratios],
        },
    )
