"""Drives an HTTP server with ``wrk`` (Debian package ``wrk``) and reads back what it measured.

A Lua script builds each request (POST bodies and query strings with dates and guests varying
per request, so bookings spread over the calendar), counts answers by status class per thread,
and prints one JSON line at the end with the latency percentiles wrk measured. Each connection
is a client that honours ``Retry-After``: after a 503 it waits that long before asking again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

SCRIPT = r"""
local kind, auth = "%(kind)s", "%(auth)s"
local base, days, run = %(base)d, %(days)d, "%(run)s"
local types = {"std", "sup", "fam", "ste"}
local threads = {}
local made = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  math.randomseed(tid * 7919 + %(seed)d)
  ok, conflict, busy, failed, other = 0, 0, 0, 0, 0
end

local function day(offset)
  return os.date("!%%Y-%%m-%%d", base + offset * 86400)
end

function request()
  local path = wrk.path
  made = made + 1
  local first = math.random(0, days - 1)
  local arrival, departure = day(first), day(first + math.random(1, 4))
  local headers = {["Authorization"] = auth}
  if kind == "get" then
    return wrk.format("GET", path, headers)
  end
  if kind == "avail" then
    return wrk.format("GET", path .. "?arrival=" .. arrival .. "&departure=" .. departure
      .. "&adults=" .. math.random(1, 2), headers)
  end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = run .. "-" .. tid .. "-" .. made
  local body = '{"room_type":"' .. types[math.random(1, 4)] .. '","rate_plan":"flex","arrival":"'
    .. arrival .. '","departure":"' .. departure .. '","adults":' .. math.random(1, 2)
    .. ',"guest_name":"wrk ' .. tid .. '-' .. made .. '"}'
  return wrk.format("POST", path, headers, body)
end

-- a client that honours Retry-After: after a 503 this connection waits before its next request
local retry_after = 0

function delay()
  local wait = retry_after
  retry_after = 0
  return wait
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1
  elseif status == 409 then conflict = conflict + 1
  elseif status == 503 then
    busy = busy + 1
    retry_after = 1000 * (tonumber(headers["Retry-After"] or headers["retry-after"] or "1") or 1)
  elseif status >= 500 then failed = failed + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local sums = {ok = 0, conflict = 0, busy = 0, failed = 0, other = 0}
  for _, t in ipairs(threads) do
    for name, _ in pairs(sums) do sums[name] = sums[name] + t:get(name) end
  end
  local e = summary.errors
  io.write(string.format('WRK {"requests":%%d,"duration_us":%%d,"p50":%%d,"p95":%%d,"p99":%%d,'
    .. '"max":%%d,"ok":%%d,"conflict":%%d,"busy":%%d,"failed":%%d,"other":%%d,"socket_errors":%%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, sums.ok, sums.conflict, sums.busy, sums.failed, sums.other,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    ok: int
    conflict: int
    busy: int  # 503: shed
    failed: int  # other 5xx
    other: int
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def answered_rate(self) -> float:
        """Requests answered (2xx and 409) per second; refusals (503) left out."""
        return (self.ok + self.conflict) / self.seconds

    def line(self) -> str:
        return (f"{self.rate:7.0f} req/s  p50 {self.p50_ms:7.1f}  p95 {self.p95_ms:7.1f}  "
                f"p99 {self.p99_ms:7.1f}  max {self.max_ms:7.1f} ms  [2xx {self.ok}, 409 {self.conflict}, "
                f"503 {self.busy}, other 5xx {self.failed}, other {self.other}, "
                f"socket errors {self.socket_errors}]")


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("this benchmark drives HTTP with wrk: install it (apt-get install wrk)")
    return found


def run_wrk(url: str, *, kind: str, auth: str = "", connections: int, seconds: float,
            first_night: date, days: int = 365, run: str = "r", seed: int = 1,
            timeout_s: float = 10) -> Result:
    """``kind``: ``book`` (POST bodies), ``avail`` (GET with dates) or ``get`` (a plain GET)."""
    binary = require_wrk()
    base = int((first_night - date(1970, 1, 1)).total_seconds())
    lua = SCRIPT % {"kind": kind, "auth": auth, "base": base, "days": days, "run": run,
                    "seed": seed}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "bench.lua")
        script.write_text(lua)
        out = subprocess.run(
            [binary, "-t1", f"-c{connections}", f"-d{seconds:.0f}s", f"--timeout={timeout_s:.0f}s",
             "-s", str(script), url],
            capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise AssertionError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line[4:])
    return Result(requests=raw["requests"], seconds=raw["duration_us"] / 1e6, p50_ms=raw["p50"] / 1000,
                  p95_ms=raw["p95"] / 1000, p99_ms=raw["p99"] / 1000, max_ms=raw["max"] / 1000,
                  ok=raw["ok"], conflict=raw["conflict"], busy=raw["busy"], failed=raw["failed"],
                  other=raw["other"], socket_errors=raw["socket_errors"])
