"""A separate OS process that hammers the shared limiter and reports what it saw as JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import redis.asyncio as aioredis

from service.records.keys import DeploymentKeys
from service.sitoo.limiter import Lane, RedisLimiter


async def _one_call(
    redis: aioredis.Redis, limiter: RedisLimiter, args: argparse.Namespace, record: dict[str, list]
) -> None:
    async with limiter.slot(Lane(args.lane)) as slot:
        counter = f"{args.prefix}:probe:inflight:{slot.credential}"
        now_in_flight = int(await redis.incr(counter))
        started = time.monotonic_ns()  # CLOCK_MONOTONIC is shared by all processes of the host
        record["peaks"].append(now_in_flight)
        await asyncio.sleep(args.hold_ms / 1000)
        ended = time.monotonic_ns()
        await redis.decr(counter)
        record["intervals"].append([slot.credential, started, ended])
        record["overtaken"].append(slot.overtaken_by)
        await redis.rpush(f"{args.prefix}:probe:grants", f"{args.lane}:{slot.grant_seq}")


async def _main(args: argparse.Namespace) -> None:
    redis = aioredis.Redis.from_url(args.url)
    limiter = RedisLimiter(
        redis,
        keys=DeploymentKeys(args.prefix),
        credentials=args.credentials.split(","),
        max_in_flight=args.max_in_flight,
    )
    record: dict[str, list] = {"peaks": [], "intervals": [], "overtaken": []}
    try:
        for _ in range(args.calls):
            await asyncio.gather(
                *(_one_call(redis, limiter, args, record) for _ in range(args.tasks))
            )
    finally:
        await redis.aclose()
    json.dump(record, sys.stdout)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("prefix")
    parser.add_argument("--credentials", default="api-1")
    parser.add_argument("--max-in-flight", type=int, default=1)
    parser.add_argument("--lane", default="bulk")
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--hold-ms", type=float, default=2.0)
    asyncio.run(_main(parser.parse_args()))
