"""A small HTTP/1.1 load client on raw asyncio streams, for machines without wrk.

    python -m benchmarks.loadgen PORT PATH REQUESTS.jsonl --connections 16 --seconds 10

Each line of REQUESTS is {"body": ..., "headers": {...}}; the lines are sent in turn over
keep-alive connections, each request once (the run ends early when they are used up). The
requests are serialised to bytes before the clock starts and responses are parsed only as far
as their status and length, so the client costs far less than the servers it measures; it
prints one JSON line: requests/s, p50/p99 in ms, status counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from pathlib import Path


def prepare(path: Path, port: int, target: str) -> list[bytes]:
    """Every request as the bytes sent on the wire."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        body = item["body"].encode()
        head = [f"POST {target} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        head += [f"{k}: {v}" for k, v in item["headers"].items()]
        head.append(f"Content-Length: {len(body)}")
        out.append(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return out


async def _connection(
    port: int,
    requests: list[bytes],
    cursor: list[int],
    stop: float,
    latencies: list[float],
    statuses: Counter[int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop and cursor[0] < len(requests):
            request = requests[cursor[0]]
            cursor[0] += 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[int(head[9:12])] += 1
            if b"connection: close" in head.lower():
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def run(
    port: int, requests: list[bytes], connections: int, seconds: float
) -> dict[str, object]:
    """Drive the load; the figures of one run."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    cursor = [0]
    started = time.perf_counter()
    stop = started + seconds
    await asyncio.gather(
        *(
            _connection(port, requests, cursor, stop, latencies, statuses)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()

    def at(share: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "rate": round(len(latencies) / elapsed, 1),
        "p50_ms": at(0.50),
        "p99_ms": at(0.99),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "ran_out": cursor[0] >= len(requests),
    }


def main() -> int:
    """Run one load and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("requests", type=Path)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip", type=int, default=0, help="start at this line")
    args = parser.parse_args()
    requests = prepare(args.requests, args.port, args.path)[args.skip :]
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    figures = asyncio.run(run(args.port, requests, args.connections, args.seconds))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
