#!/usr/bin/env python3
"""Helpers for bench/run.sh: parse load-generator output, hold idle connections, time Baton
upgrades, and turn the raw results (results.tsv) into the tables of RESULTS.md.

Standard library only. Every subcommand is called by run.sh; run `benchlib.py -h` for the list.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import selectors
import signal
import socket
import statistics
import sys
import threading
import time
from collections import defaultdict

# --------------------------------------------------------------------------------------------
# Parsing wrk and h2load output
# --------------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _to_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        return float("nan")
    return float(m.group(1)) * _UNITS_MS[m.group(2)]


def parse_wrk(path: str) -> dict:
    """requests, errors (socket errors + non-2xx/3xx), rps, p50/p99 in ms (when --latency)."""
    text = open(path, encoding="utf-8", errors="replace").read()
    out = {"requests": 0, "errors": 0, "rps": 0.0, "p50_ms": float("nan"), "p99_ms": float("nan"),
           "connect": 0, "read": 0, "write": 0, "timeout": 0, "non2xx": 0, "seconds": 0.0}
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text)
    if m:
        out["requests"] = int(m.group(1))
        out["seconds"] = _to_ms(m.group(2) + m.group(3)) / 1000.0
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["rps"] = float(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["connect"], out["read"], out["write"], out["timeout"] = (int(g) for g in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    out["errors"] = out["connect"] + out["read"] + out["write"] + out["timeout"] + out["non2xx"]
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)\s*$", text, re.M)
        if m:
            out[key] = _to_ms(m.group(1))
    return out


def parse_h2load(path: str) -> dict:
    text = open(path, encoding="utf-8", errors="replace").read()
    out = {"rps": 0.0, "requests": 0, "succeeded": 0, "errors": 0}
    m = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text)
    if m:
        out["rps"] = float(m.group(1))
    m = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", text)
    if m:
        total, done, ok, failed, errored, timeout = (int(g) for g in m.groups())
        out["requests"], out["succeeded"] = done, ok
        out["errors"] = failed + errored + timeout
    m = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if m:
        out["errors"] += int(m.group(3)) + int(m.group(4))
    return out


def parse_hey(path: str) -> dict:
    """hey's summary: ok (2xx responses), errors (non-2xx + error distribution), rps, p50/p99 in ms."""
    text = open(path, encoding="utf-8", errors="replace").read()
    out = {"ok": 0, "errors": 0, "rps": 0.0, "p50_ms": float("nan"), "p99_ms": float("nan")}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["rps"] = float(m.group(1))
    for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", text):
        if code.startswith("2"):
            out["ok"] += int(n)
        else:
            out["errors"] += int(n)
    errs = text.split("Error distribution:", 1)
    if len(errs) == 2:
        out["errors"] += sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]", errs[1], re.M))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%+ in ([\d.]+) secs", text, re.M)
        if m:
            out[key] = float(m.group(1)) * 1000.0
    return out


def cmd_parse(args: argparse.Namespace) -> None:
    data = {"wrk": parse_wrk, "h2load": parse_h2load, "hey": parse_hey}[args.kind](args.file)
    # Shell-friendly: one "key value" per line, so run.sh can pick what it needs.
    for k, v in data.items():
        print(f"{k} {v}")


# --------------------------------------------------------------------------------------------
# Holding idle keep-alive connections (memory test)
# --------------------------------------------------------------------------------------------

def _read_response(sock: socket.socket, deadline: float) -> bool:
    buf = b""
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except BlockingIOError:
            time.sleep(0.001)
            continue
        if not chunk:
            return False
        buf += chunk
        head, sep, body = buf.partition(b"\r\n\r\n")
        if not sep:
            continue
        status_ok = head.startswith(b"HTTP/1.1 200")
        m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if m and len(body) >= int(m.group(1)):
            return status_ok
        if not m and body.endswith(b"0\r\n\r\n"):
            return status_ok
    return False


def cmd_holdconns(args: argparse.Namespace) -> None:
    """Opens N connections in batches, sends one GET on each, reads the 200, then holds them all
    open (idle, keep-alive) until SIGTERM/SIGINT. Prints 'held N failed F' when ready."""
    request = f"GET / HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n\r\n".encode()
    socks: list[socket.socket] = []
    failed = 0
    for start in range(0, args.n, args.batch):
        batch = []
        for _ in range(min(args.batch, args.n - start)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(10)
            try:
                s.connect((args.host, args.port))
                s.sendall(request)
                batch.append(s)
            except OSError:
                failed += 1
                s.close()
        deadline = time.monotonic() + 10
        for s in batch:
            s.setblocking(False)
            if _read_response(s, deadline):
                socks.append(s)
            else:
                failed += 1
                s.close()
    print(f"held {len(socks)} failed {failed}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait(args.max_hold)
    for s in socks:
        s.close()


# --------------------------------------------------------------------------------------------
# Baton upgrade timing
# --------------------------------------------------------------------------------------------

def _admin(host: str, port: int, method: str, path: str, timeout: float = 2.0) -> tuple[int, str]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        # X-Baton-Admin: what Baton's admin listener requires of a state-changing call (docs/health.md).
        conn.request(method, path, headers={"Connection": "close", "X-Baton-Admin": "1"})
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


def _status(host: str, port: int) -> dict | None:
    try:
        code, body = _admin(host, port, "GET", "/status", timeout=1.0)
        return json.loads(body) if code == 200 else None
    except (OSError, ValueError, http.client.HTTPException):
        return None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _parse_timespan_ms(text: str) -> float | None:
    # .NET TimeSpan "c" format: [d.]hh:mm:ss[.fffffff]
    m = re.fullmatch(r"(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.(\d+))?", str(text).strip())
    if not m:
        return None
    d, h, mi, s, frac = m.groups()
    total = ((int(d or 0) * 24 + int(h)) * 60 + int(mi)) * 60 + int(s)
    return total * 1000.0 + (float("0." + frac) * 1000.0 if frac else 0.0)


def _parse_ms(value) -> float | None:
    """A duration of Baton's JSON log: milliseconds (a number), or an older build's TimeSpan text."""
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return _parse_timespan_ms(value)


def _upgrade_ready(log_path: str, old_pid: int) -> dict | None:
    """The State of the last UpgradeReady (1204) logged for old_pid."""
    try:
        lines = open(log_path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if '"EventId":1204' not in line:
            continue
        try:
            state = json.loads(line).get("State", {})
        except ValueError:
            continue
        if int(state.get("OldPid", -1)) == old_pid:
            return state
    return None


def _reported_upgrade_ms(log_path: str, old_pid: int) -> float | None:
    """Baton's own figure: UpgradeReady's Elapsed (request -> new process ready)."""
    state = _upgrade_ready(log_path, old_pid)
    return None if state is None else _parse_ms(state.get("ElapsedMs", state.get("Elapsed", "")))


def _event(log_path: str, event_id: int, pid: int) -> tuple[float, dict] | None:
    """The last JSON log event with this id whose State.Pid is pid: (epoch seconds, State)."""
    try:
        lines = open(log_path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return None
    needle = f'"EventId":{event_id},'
    for line in reversed(lines):
        if needle not in line:
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        state = ev.get("State", {})
        if int(state.get("Pid", -1)) != pid:
            continue
        ts = dt.datetime.strptime(ev["Timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).timestamp()
        return ts, state
    return None


def _last_request_epoch(log_path: str, pid: int) -> float | None:
    """From Baton's JSON logs: DrainCompleted (1102) of pid, minus its AfterLast."""
    ev = _event(log_path, 1102, pid)
    if ev is None:
        return None
    after = _parse_ms(ev[1].get("AfterLastMs", ev[1].get("AfterLast", "")))
    return ev[0] - after / 1000.0 if after is not None else None


def _from_log_soon(read, log: str, pid: int):
    """read(log, pid), retried for up to 1 s: the old process's last log lines may land a little
    after its exit is seen."""
    for _ in range(50):
        value = read(log, pid)
        if value is not None:
            return value
        time.sleep(0.02)
    return None


def _upgrade_quietly(args: argparse.Namespace, old: int, result: dict, t0: float, post_upgrade, trigger_out: dict) -> None:
    """--quiet: what an operator's one command does, and nothing beside it. The trigger (POST
    /upgrade, which answers once the new process is ready, or SIGQUIT), then a wait for the old
    process to exit, looked at every 50 ms; no /status polling. The times come from Baton's own
    log: upgrade_ms = UpgradeReady's Elapsed, exit_after_last_ms = ShutdownComplete - last request."""
    if args.trigger == "sigquit":
        os.kill(old, signal.SIGQUIT)
    else:
        post_upgrade()
        if trigger_out.get("code") != 200:
            result["message"] = f"trigger answered {trigger_out.get('code')}: {str(trigger_out.get('body', ''))[:200]}"
            return
    while time.monotonic() - t0 < args.timeout and _alive(old):
        time.sleep(0.05)
    if _alive(old):
        result["message"] = "the old process did not exit"
        return
    result["exit_ms"] = (time.monotonic() - t0) * 1000.0
    state = _from_log_soon(_upgrade_ready, args.log, old)
    if state is None:
        result["message"] = "no UpgradeReady in the log"
        return
    result["upgrade_ms"] = result["reported_ms"] = _parse_ms(state.get("ElapsedMs", state.get("Elapsed", "")))
    result["new_pid"] = int(state["NewPid"])
    last, done = _last_request_epoch(args.log, old), _event(args.log, 1006, old)
    if last is not None and done is not None:
        result["exit_after_last_ms"] = max(0.0, (done[0] - last) * 1000.0)
    result["ok"] = True
    result["message"] = str(trigger_out.get("body", ""))[:200].replace("\n", " ")


def cmd_upgrade(args: argparse.Namespace) -> None:
    """Triggers one Baton upgrade and prints one JSON line: old/new pid, upgrade_ms (trigger ->
    /status answered by a new pid), exit_ms (trigger -> old pid gone), exit_after_last_ms (old pid
    gone - its last request, from its DrainCompleted log event)."""
    host, port = args.admin.rsplit(":", 1)
    port_i = int(port)
    before = _status(host, port_i)
    result: dict = {"ok": False, "old_pid": None, "new_pid": None, "upgrade_ms": None, "reported_ms": None,
                    "exit_ms": None, "exit_after_last_ms": None, "message": ""}
    if before is None:
        result["message"] = "admin /status not answering"
        print(json.dumps(result))
        return
    old = int(before["pid"])
    result["old_pid"] = old
    trigger_out: dict = {}

    def post_upgrade() -> None:
        try:
            trigger_out["code"], trigger_out["body"] = _admin(host, port_i, "POST", "/upgrade", timeout=args.timeout)
        except (OSError, http.client.HTTPException) as e:
            trigger_out["code"], trigger_out["body"] = 0, str(e)

    t0 = time.monotonic()
    if args.quiet:
        _upgrade_quietly(args, old, result, t0, post_upgrade, trigger_out)
        print(json.dumps(result))
        return
    if args.trigger == "sigquit":
        os.kill(old, signal.SIGQUIT)
        th = None
    else:
        th = threading.Thread(target=post_upgrade, daemon=True)
        th.start()
    new = None
    while time.monotonic() - t0 < args.timeout:
        st = _status(host, port_i)
        if st and int(st["pid"]) != old and st.get("phase") == "Running":
            new = int(st["pid"])
            result["upgrade_ms"] = (time.monotonic() - t0) * 1000.0
            break
        if th is not None and not th.is_alive() and trigger_out.get("code") not in (200, None):
            break
        time.sleep(0.002)
    if new is None:
        if th is not None:
            th.join(2)
        result["message"] = f"no new process; trigger answered {trigger_out.get('code')}: {str(trigger_out.get('body', ''))[:200]}"
        print(json.dumps(result))
        return
    result["new_pid"] = new
    while time.monotonic() - t0 < args.timeout and _alive(old):
        time.sleep(0.001)
    if not _alive(old):
        exit_epoch = time.time()
        result["exit_ms"] = (time.monotonic() - t0) * 1000.0
        last = _from_log_soon(_last_request_epoch, args.log, old)
        if last is not None:
            result["exit_after_last_ms"] = max(0.0, (exit_epoch - last) * 1000.0)
        # where the time goes: last request -> DrainCompleted logged -> ShutdownComplete logged -> gone
        drained = _event(args.log, 1102, old)
        done = _event(args.log, 1006, old)
        if drained is not None:
            result["last_to_drained_ms"] = _parse_ms(drained[1].get("AfterLastMs", drained[1].get("AfterLast", "")))
            if done is not None:
                result["drained_to_shutdown_log_ms"] = max(0.0, (done[0] - drained[0]) * 1000.0)
        if done is not None:
            result["shutdown_log_to_exit_ms"] = max(0.0, (exit_epoch - done[0]) * 1000.0)
    result["reported_ms"] = _reported_upgrade_ms(args.log, old)
    if th is not None:
        th.join(5)
    result["ok"] = True
    result["message"] = str(trigger_out.get("body", ""))[:200].replace("\n", " ")
    print(json.dumps(result))


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------

TARGET_ORDER = ["nginx", "haproxy", "yarp", "baton", "batonjit", "direct"]
TARGET_LABEL = {"nginx": "nginx", "haproxy": "HAProxy", "yarp": "plain YARP", "baton": "Baton (native)",
                "batonjit": "Baton (JIT)",
                "direct": "upstream direct (limit)"}


class _Data(defaultdict):
    """Reading a missing key gives [] without inserting it (so absent targets stay absent)."""

    def __missing__(self, key):
        return []


def _load(path: str) -> dict:
    """results.tsv: section, test, target, round, metric, value  ->  data[(section,test,target,metric)] = [values]"""
    data: dict = _Data(list)
    if not os.path.exists(path):
        return data
    for line in open(path, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 6 or parts[0] == "section":
            continue
        section, test, target, _round, metric, value = parts
        try:
            v = float(value)
        except ValueError:
            continue
        data.setdefault((section, test, target, metric), []).append(v)
    return data


def _med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else None


def _fmt(x, digits=0, unit=""):
    if x is None:
        return "–"
    if digits == 0:
        return f"{x:,.0f}{unit}"
    return f"{x:,.{digits}f}{unit}"


def _range(xs, digits=0):
    xs = [x for x in xs if x == x]
    if not xs:
        return "–"
    if len(xs) == 1:
        return _fmt(xs[0], digits)
    return f"{_fmt(min(xs), digits)}–{_fmt(max(xs), digits)}"


def _ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _targets(data, section, test, metric):
    present = {k[2] for k in data if k[0] == section and k[1] == test and k[3] == metric}
    return [t for t in TARGET_ORDER if t in present] + sorted(present - set(TARGET_ORDER))


def build_report(data: dict, notes: dict) -> tuple[str, dict]:
    parts: list[str] = []
    headline: dict = {}

    # Throughput
    tests = [("h1_c50", "HTTP/1.1 keep-alive, wrk -c50"), ("h1_c200", "HTTP/1.1 keep-alive, wrk -c200"),
             ("h2c_m10", "h2c, h2load -c10 -m10")]
    tp_rows = []
    for test, label in tests:
        tg = _targets(data, "throughput", test, "rps")
        if not tg:
            continue
        ref = _med(data[("throughput", test, "nginx", "rps")])
        ref_cpu = _med(data[("throughput", test, "nginx", "cpu_us_per_req")])
        ref_cap = 1e6 / ref_cpu if ref_cpu else None
        for t in tg:
            rps = data[("throughput", test, t, "rps")]
            cpu = _med(data[("throughput", test, t, "cpu_us_per_req")])
            busy = _med(data[("throughput", test, t, "proxy_core_busy")])
            lg = _med(data[("throughput", test, t, "loadgen_core_busy")])
            err = sum(data[("throughput", test, t, "errors")])
            cap = 1e6 / cpu if cpu else None
            tp_rows.append([label, TARGET_LABEL.get(t, t), _fmt(_med(rps)), _range(rps), _ratio(_med(rps), ref),
                            _fmt(cpu, 1), _fmt(cap), _ratio(cap, ref_cap), _fmt(busy, 0, "%"), _fmt(lg, 0, "%"), _fmt(err)])
            headline[(test, t)] = _med(rps)
            headline[("cap_" + test, t)] = cap
    if tp_rows:
        parts.append("## Throughput: small GET (2-byte body)\n\n"
                     "Median of the rounds, min–max across rounds, ratio = median / nginx median. "
                     "CPU µs/req = CPU time the proxy's processes used (user+sys) / requests: "
                     "the cost per request, much less sensitive to noisy neighbours than req/s "
                     "(the machine is shared). req per CPU-s = 1,000,000 / CPU µs/req: the rate one "
                     "whole core would give; its ratio vs nginx is the noise-robust comparison. "
                     "Core busy = share of the core not idle during the run (proxy core 1, load "
                     "generator + upstream core 0); proxy core near 100% means the proxy was the bottleneck.\n\n"
                     + _table(["test", "target", "req/s", "min–max", "vs nginx", "CPU µs/req", "req per CPU-s",
                               "per CPU-s vs nginx", "proxy core busy", "loadgen core busy", "errors"], tp_rows))

    # Latency
    lat_rows = []
    for test in sorted({k[1] for k in data if k[0] == "latency"}, key=lambda s: int(re.sub(r"\D", "", s) or 0)):
        ref99 = _med(data[("latency", test, "nginx", "p99_ms")])
        for t in _targets(data, "latency", test, "p99_ms"):
            offered = _med(data[("latency", test, t, "offered")])
            got = _med(data[("latency", test, t, "rps")])
            p50 = data[("latency", test, t, "p50_ms")]
            p99 = data[("latency", test, t, "p99_ms")]
            sat = " (saturated)" if offered and got and got < 0.95 * offered * 0.97 else ""
            lat_rows.append([_fmt(offered), TARGET_LABEL.get(t, t), _fmt(got) + sat, _fmt(_med(p50), 3),
                             _fmt(_med(p99), 3), _range(p99, 3), _ratio(_med(p99), ref99),
                             _fmt(sum(data[("latency", test, t, "errors")]))])
            headline[("lat_" + test, t)] = _med(p99)
    if lat_rows:
        parts.append("## Latency at a fixed rate below saturation\n\n"
                     "wrk --latency with a pacing script (bench/tools/paced.lua): each connection "
                     "sends a request, reads the response, waits a fixed delay, repeats. Latency is "
                     "send → response of each request. This is closed-loop pacing, not an open-loop "
                     "generator (wrk2 is not packaged in Debian): a stall delays later requests "
                     "instead of queueing them, so p99 under-counts stalls longer than the delay. "
                     "The achieved rate is shown; \"saturated\" marks a target that could not keep up.\n\n"
                     + _table(["offered req/s", "target", "achieved req/s", "p50 ms", "p99 ms", "p99 min–max",
                               "p99 vs nginx", "errors"], lat_rows))

    # Memory
    mem_rows = []
    ref_idle = _med(data[("memory", "5000", "nginx", "idle_rss_mb")])
    ref_pc = _med(data[("memory", "5000", "nginx", "per_conn_bytes")])
    for t in _targets(data, "memory", "5000", "idle_rss_mb"):
        idle = data[("memory", "5000", t, "idle_rss_mb")]
        held = data[("memory", "5000", t, "held_rss_mb")]
        pc = data[("memory", "5000", t, "per_conn_bytes")]
        ok = _med(data[("memory", "5000", t, "held")])
        mem_rows.append([TARGET_LABEL.get(t, t), _fmt(_med(idle), 1), _fmt(_med(held), 1), _fmt(_med(pc)),
                         _range(pc), _fmt(ok), _ratio(_med(idle), ref_idle), _ratio(_med(pc), ref_pc)])
        headline[("mem_pc", t)] = _med(pc)
        headline[("mem_idle", t)] = _med(idle)
    if mem_rows:
        parts.append("## Memory: idle and holding 5,000 idle keep-alive connections\n\n"
                     "RSS summed over the proxy's processes (nginx: master + worker; HAProxy: master + "
                     "worker). Idle = a fresh process after 2 s of wrk -c50 and 7 s of rest (Baton returns "
                     "the GC's free memory after 5 s without a request: Baton:Memory:IdleTrimAfter). Then "
                     "bench/tools/benchlib.py holdconns opens 5,000 connections, sends one GET on each, "
                     "reads the 200 and holds them idle; RSS is read 7 s later. Per connection = "
                     "(held − idle) / connections held.\n\n"
                     + _table(["target", "idle RSS MB", "RSS with 5,000 conns MB", "bytes/conn", "bytes/conn min–max",
                               "conns held", "idle vs nginx", "bytes/conn vs nginx"], mem_rows))

    # Restarts
    rs_rows = []
    for t in _targets(data, "restart", "loss", "restarts"):
        n = sum(data[("restart", "loss", t, "restarts")])
        if notes.get(f"restart_unavailable_{t}"):
            rs_rows.append([TARGET_LABEL.get(t, t), notes.get(f"restart_method_{t}", ""), notes[f"restart_unavailable_{t}"],
                            "–", "–", "–", "–", "–", "–", "–"])
            continue
        ka_req = sum(data[("restart", "loss", t, "ka_requests")])
        ka_err = sum(data[("restart", "loss", t, "ka_errors")])
        cl_req = sum(data[("restart", "loss", t, "close_requests")])
        cl_err = sum(data[("restart", "loss", t, "close_errors")])
        serve = data[("restart", "loss", t, "serve_ms")]
        rs_rows.append([TARGET_LABEL.get(t, t), notes.get(f"restart_method_{t}", ""), _fmt(n), _fmt(ka_req), _fmt(ka_err),
                        _fmt(ka_err / n if n else None, 1), _fmt(cl_req), _fmt(cl_err), _fmt(cl_err / n if n else None, 1),
                        (_fmt(_med(serve)) + " (" + _range(serve) + ")") if serve else "–"])
        headline[("restart_ka", t)] = ka_err / n if n else None
        headline[("restart_close", t)] = cl_err / n if n else None
    if rs_rows:
        parts.append("## Loss during restarts under load\n\n"
                     "Two wrk clients run for the whole test at the same time: keep-alive "
                     "(wrk -c50, never retries) and a new connection per request (wrk -c10 "
                     "-H 'Connection: close'). Failed = socket errors (connect, read, write, timeout) + "
                     "non-2xx responses. Requests = responses wrk read; a refused connect is a failure but "
                     "not a request, so while nothing listens (plain YARP between its stop and its start) "
                     "wrk's reconnect loop makes failed exceed requests. Restarts are spaced by the restart gap; \"time to serve\" is "
                     "trigger → the new generation answers (plain YARP: kill → new process serves a 200; "
                     "Baton: trigger → /status answered by the new pid; not observable for nginx/HAProxy).\n\n"
                     + _table(["target", "restart method", "restarts", "keep-alive requests", "keep-alive failed",
                               "failed/restart", "new-conn requests", "new-conn failed", "failed/restart",
                               "time to serve ms, median (min–max)"], rs_rows))

    # During a restart
    du_rows = []
    for t in _targets(data, "during", "restart", "ratio"):
        r = data[("during", "restart", t, "ratio")]
        du_rows.append([TARGET_LABEL.get(t, t), notes.get(f"restart_method_{t}", ""),
                        _fmt(_med(data[("during", "restart", t, "steady_rps")])),
                        _fmt(_med(data[("during", "restart", t, "during_rps")])),
                        _fmt(_med(r) * 100 if _med(r) is not None else None, 0, "%"),
                        _range([x * 100 for x in r]), _fmt(sum(data[("during", "restart", t, "errors")]))])
        headline[("during", t)] = _med(r)
    if du_rows:
        parts.append("## Throughput during one restart, relative to steady\n\n"
                     f"wrk -c50 for {notes.get('during_window', '?')} s right before (steady), then "
                     f"{notes.get('during_window', '?')} s with the restart triggered 0.5 s in (during).\n\n"
                     + _table(["target", "restart method", "steady req/s", "during req/s", "during / steady",
                               "min–max", "errors during"], du_rows))

    # Baton upgrade
    up_metrics = ("upgrade_ms", "reported_ms", "exit_after_last_ms", "last_to_drained_ms", "drained_to_shutdown_log_ms",
                  "shutdown_log_to_exit_ms", "exit_ms")
    up = {m: data[("baton", "upgrade", "baton", m)] for m in up_metrics}
    if notes.get("baton_upgrade"):
        parts.append("## Baton upgrade\n\n" + notes["baton_upgrade"])
    elif any(up.values()):
        rows = []
        targets = {"upgrade_ms": "≤ 300 ms", "reported_ms": "≤ 300 ms", "exit_after_last_ms": "≤ 10 ms", "exit_ms": "",
                   "last_to_drained_ms": "", "drained_to_shutdown_log_ms": "", "shutdown_log_to_exit_ms": ""}
        names = {"upgrade_ms": "upgrade time, measured outside (trigger → /status answered by the new pid), ms",
                 "reported_ms": "upgrade time as Baton logs it (UpgradeReady: request → new process ready), ms",
                 "exit_after_last_ms": "old-process exit after its last request (exit seen by polling /proc − DrainCompleted's last request), ms",
                 "exit_ms": "trigger → old process gone, ms",
                 "last_to_drained_ms": "  of which: last request → drain seen complete (DrainCompleted's AfterLast), ms",
                 "drained_to_shutdown_log_ms": "  of which: DrainCompleted → ShutdownComplete logged, ms",
                 "shutdown_log_to_exit_ms": "  of which: ShutdownComplete logged → process gone, ms"}
        for m in up_metrics:
            if not up[m]:
                continue
            rows.append([names[m], _fmt(_med(up[m]), 1), _range(up[m], 1), _fmt(len(up[m])), targets[m]])
        dur = _med(data[("during", "restart", "baton", "ratio")])
        rows.append(["throughput during an upgrade / steady", _fmt(dur * 100 if dur else None, 0, "%"),
                     _range([x * 100 for x in data[("during", "restart", "baton", "ratio")]]),
                     _fmt(len(data[("during", "restart", "baton", "ratio")])), "≥ 90%"])
        parts.append("## Baton upgrade\n\n" + _table(["metric", "median", "min–max", "samples", "target (issue 5)"], rows))
        headline[("upgrade_ms", "baton")] = _med(up["upgrade_ms"])
        headline[("exit_after_last_ms", "baton")] = _med(up["exit_after_last_ms"])

    # Access log cost
    al = sorted({k[2] for k in data if k[0] == "accesslog" and k[1] == "steady"})
    if al:
        refcpu = _med(data[("accesslog", "steady", "log-off", "cpu_us_per_req")])
        ref = _med(data[("accesslog", "steady", "log-off", "rps")])
        rows = []
        for v in sorted(al, key=lambda v: (v != "log-json", v != "log-text", v)):
            rps = data[("accesslog", "steady", v, "rps")]
            cpu = data[("accesslog", "steady", v, "cpu_us_per_req")]
            rows.append([v, notes.get(f"variant_{v}", ""), _fmt(_med(rps)), _range(rps), _ratio(_med(rps), ref, 3),
                         _fmt(_med(cpu), 1), _range(cpu, 1), _ratio(_med(cpu), refcpu, 3)])
        parts.append("## Access log on and off (Baton, steady state, wrk -c50)\n\n"
                     "One build, three processes at once on core 1, each warmed, measured in interleaved rounds. "
                     "CPU µs/req is the figure to read (target, issue 12: on ≤ 1.05 × off). "
                     f"{notes.get('accesslog_lines', '?')} JSON lines were written by log-json.\n\n"
                     + _table(["variant", "what", "req/s", "min–max", "vs off", "CPU µs/req", "min–max", "CPU vs off"], rows))
    # The upgrade window at a fixed offered load (issue 10)
    wtests = sorted({k[1] for k in data if k[0] == "window"})
    for rate in wtests:
        rows = []
        for t in _targets(data, "window", rate, "ratio"):
            ratio = data[("window", rate, t, "ratio")]
            p99r = data[("window", rate, t, "p99_ratio")]
            up_ms = data[("window", rate, t, "upgrade_ms")]
            rows.append([TARGET_LABEL.get(t, t), _fmt(_med(data[("window", rate, t, "control_ok")])),
                         _fmt(_med(data[("window", rate, t, "upgrade_ok")])), _fmt(_med(ratio), 3), _range(ratio, 3),
                         _fmt(_med(data[("window", rate, t, "control_p99_ms")]), 1), _fmt(_med(data[("window", rate, t, "upgrade_p99_ms")]), 1),
                         _fmt(_med(p99r), 2), _fmt(_med(up_ms), 0) if up_ms else "–",
                         _fmt(_med(data[("window", rate, t, "exit_after_last_ms")]), 1) if data[("window", rate, t, "exit_after_last_ms")] else "–",
                         _fmt(sum(data[("window", rate, t, "errors")]))])
            headline[("window_ratio", t)] = _med(ratio)
            headline[("window_p99_ratio", t)] = _med(p99r)
            headline[("window_upgrade_ms", t)] = _med(up_ms)
            headline[("window_exit_ms", t)] = _med(data[("window", rate, t, "exit_after_last_ms")])
        if rows:
            parts.append(f"## One restart inside a {notes.get('window_s', '10')} s window at {int(float(rate)):,} req/s offered\n\n"
                         "hey -c50 -q160 (50 workers × 160 req/s, keep-alive), the proxy pinned to one core: a window "
                         "without a restart (control), then the same window with one restart 3 s in (nginx: HUP; "
                         "HAProxy: master-worker reload; Baton: one POST /upgrade, pinned with the load generators, "
                         "nothing polling beside it: its times are the ones Baton logs — UpgradeReady's elapsed, and "
                         "ShutdownComplete minus the last request). Served = 2xx responses. Baton's "
                         "new process is warmed again before its next control window.\n\n"
                         + _table(["target", "served, control", "served, with restart", "served ÷ control", "min–max",
                                   "p99 ms, control", "p99 ms, with restart", "p99 ÷ control", "new process serving after, ms",
                                   "old process gone after its last request, ms", "errors"], rows))
    idle = _targets(data, "upgrade_idle", "idle", "upgrade_ms")
    if idle:
        rows = []
        for t in idle:
            v = data[("upgrade_idle", "idle", t, "upgrade_ms")]
            e = data[("upgrade_idle", "idle", t, "exit_after_last_ms")]
            rows.append([TARGET_LABEL.get(t, t), _fmt(_med(v), 1), _range(v, 1), _fmt(_med(data[("upgrade_idle", "idle", t, "reported_ms")]), 1),
                         _fmt(_med(e), 1), _range(e, 1), _fmt(len(v))])
            headline[("idle_upgrade_ms", t)] = _med(v)
            headline[("idle_exit_ms", t)] = _med(e)
        parts.append("## Upgrades without load\n\n"
                     "POST /upgrade, then /status polled every 2 ms until a new pid answers (signal → new process "
                     "accepting); the old process's exit seen by polling /proc every 1 ms, minus its last request "
                     "(DrainCompleted).\n\n"
                     + _table(["build", "trigger → new process accepting, ms (median)", "min–max", "as Baton logs it (UpgradeReady), ms",
                               "old process gone after its last request, ms", "min–max", "upgrades"], rows))

    # Tuning
    tu_tests = sorted({k[2] for k in data if k[0] == "tuning" and k[1] == "steady"})
    if tu_tests:
        ref = _med(data[("tuning", "steady", "default", "rps")])
        refcpu = _med(data[("tuning", "steady", "default", "cpu_us_per_req")])
        rows = []
        order = sorted(tu_tests, key=lambda v: (v != "default", v))
        for v in order:
            rps = data[("tuning", "steady", v, "rps")]
            cpu = data[("tuning", "steady", v, "cpu_us_per_req")]
            rows.append([v, notes.get(f"variant_{v}", ""), _fmt(_med(rps)), _range(rps), _ratio(_med(rps), ref, 3),
                         _fmt(_med(cpu), 1), _ratio(_med(cpu), refcpu, 3)])
        parts.append("## Tuning experiments (Baton, steady state, wrk -c50)\n\n"
                     "All variants run at once on core 1 (idle ones cost nothing), each warmed for "
                     f"{notes.get('tuning_warm', '?')} s, then measured in interleaved rounds. "
                     "Variants are environment variables, build options or patched copies of the "
                     "snapshot (bench/out/snap-*); none is in src/. Compare CPU µs/req (req/s swings "
                     "with the neighbours' load); differences under ~5% are within the noise.\n\n"
                     + _table(["variant", "what", "req/s", "min–max", "vs default", "CPU µs/req", "CPU vs default"], rows))
    cold = sorted({k[2] for k in data if k[0] == "tuning" and k[1] == "cold"})
    if cold:
        rows = []
        for v in sorted(cold, key=lambda v: (not v.startswith("baton-default"), v)):
            first = _med(data[("tuning", "cold", v, "first_200_ms")])
            avg = _med(data[("tuning", "cold", v, "avg_pct")])
            steady_at = _med(data[("tuning", "cold", v, "steady_after_s")])
            curve = data[("tuning", "cold", v, "curve_pct")]
            stopped = any(c == 0 for c in curve)
            what = notes.get(f"variant_{v}", "")
            if stopped:
                what += " — " + notes.get(f"cold_stopped_{v}", "× = no request answered in that second: the process had stopped (see bench/out/run/tuning/cold-" + v + ".log)")
            ratios = data[("tuning", "cold", v, "first_ratio")]
            rows.append([v, what, _fmt(first), _fmt(avg, 0, "%") if not stopped else "–",
                         _fmt(steady_at, 0, " s") if steady_at is not None and steady_at >= 0 else "not within window",
                         (_fmt(_med(ratios), 2) + (f" ({len(ratios)} starts: " + ", ".join(f"{r:.2f}" for r in ratios) + ")" if len(ratios) > 1 else "")) if ratios else "–",
                         " ".join("×" if c == 0 else f"{c:.0f}" for c in curve)])
        parts.append("## Cold start (a fresh process, as after every upgrade)\n\n"
                     f"Start, wait for the first 200, then back-to-back 1 s wrk -c50 chunks for "
                     f"{notes.get('cold_window', '?')} s. % = the build's warm CPU µs/req (tuning table: "
                     "default, jit or yarp) / the chunk's CPU µs/req: how efficiently the fresh process "
                     "serves compared with warm (CPU-based, so the neighbours' load weighs little; "
                     "req/s of a saturated core follows it). \"steady after\" = first second from which "
                     "every later chunk is ≥ 90%.\n\n"
                     + "\"first second ÷ own warm\" = the median CPU µs/req of the process's own last 3 "
                     "seconds ÷ its first second's (median over the starts; issue 10's target ≥ 0.9); "
                     "the per-second curve is the first start's.\n\n"
                     + _table(["variant", "what", "first 200 ms", "avg % of warm", "≥ 90% of warm after",
                               "first second ÷ own warm", "per-second % of warm"], rows))
    return "\n\n".join(parts), headline


def _issue10(h: dict, data: dict) -> str:
    def v(key, digits=0, unit=""):
        x = h.get(key)
        return _fmt(x, digits, unit) if x is not None else "–"

    def r(a, b, digits=2):
        return _ratio(h.get(a), h.get(b), digits)

    def first_second(build):
        # median over the cold starts of the process's first second against its own warm seconds;
        # runs before first_ratio existed: the first second against the tuning table's warm figure
        ratios = data[("tuning", "cold", build, "first_ratio")]
        if ratios:
            return f"{_med(ratios):.2f}" + (f" ({min(ratios):.2f}–{max(ratios):.2f}, {len(ratios)} starts)" if len(ratios) > 1 else "")
        curve = data[("tuning", "cold", build, "curve_pct")]
        return f"{curve[0] / 100:.2f}" if curve else "–"

    def mem(t, metric, digits=1):
        return _fmt(_med(data[("memory", "5000", t, metric)]), digits)

    rows = [
        ["upgrade: signal → new process accepting, idle, ms", v(("idle_upgrade_ms", "baton"), 1), v(("idle_upgrade_ms", "batonjit"), 1), "≤ 150"],
        ["upgrade: signal → new process accepting, at 8,000 req/s, ms", v(("window_upgrade_ms", "baton")), v(("window_upgrade_ms", "batonjit")), "≤ 300"],
        ["served ÷ control, 10-s window with one upgrade, 8,000 req/s (nginx " + v(("window_ratio", "nginx"), 3) + ", HAProxy " + v(("window_ratio", "haproxy"), 3) + ")",
         v(("window_ratio", "baton"), 3), v(("window_ratio", "batonjit"), 3), "≥ 0.97 and ≥ nginx"],
        ["p99 in that window ÷ p99 without upgrade (nginx " + v(("window_p99_ratio", "nginx"), 2) + ")", v(("window_p99_ratio", "baton"), 2), v(("window_p99_ratio", "batonjit"), 2), "≤ 1.2"],
        ["first second after a cold start ÷ warm (CPU per request)", first_second("default"), first_second("jit"), "≥ 0.9"],
        ["last request → old process gone, ms (idle upgrades)", v(("idle_exit_ms", "baton"), 1), v(("idle_exit_ms", "batonjit"), 1), "≤ 20"],
        ["last request → old process gone, ms (at 8,000 req/s)", v(("window_exit_ms", "baton"), 1), v(("window_exit_ms", "batonjit"), 1), "≤ 20"],
        ["idle RSS, MB", mem("baton", "idle_rss_mb"), mem("batonjit", "idle_rss_mb"), "≤ 40"],
        ["bytes per idle keep-alive connection (5,000 held)", mem("baton", "per_conn_bytes", 0), mem("batonjit", "per_conn_bytes", 0), "≤ 4,096"],
        ["small GET, HTTP/1.1 c50, requests per CPU-second ÷ nginx", r(("cap_h1_c50", "baton"), ("cap_h1_c50", "nginx")), r(("cap_h1_c50", "batonjit"), ("cap_h1_c50", "nginx")), "≥ 0.6"],
        ["h2c -m10 req/s ÷ nginx", r(("h2c_m10", "baton"), ("h2c_m10", "nginx")), r(("h2c_m10", "batonjit"), ("h2c_m10", "nginx")), "≥ 0.9"],
        ["h2c -m10 requests per CPU-second ÷ nginx", r(("cap_h2c_m10", "baton"), ("cap_h2c_m10", "nginx")), r(("cap_h2c_m10", "batonjit"), ("cap_h2c_m10", "nginx")), ""],
    ]
    return _table(["measure", "Baton (native)", "Baton (JIT)", "target"], rows)


def cmd_report(args: argparse.Namespace) -> None:
    data = _load(args.results)
    notes = {}
    if os.path.exists(args.notes):
        for line in open(args.notes, encoding="utf-8"):
            if "\t" in line:
                k, v = line.rstrip("\n").split("\t", 1)
                notes[k] = v.replace("\\n", "\n")
    body, h = build_report(data, notes)

    def r(a, b):
        return _ratio(h.get(a), h.get(b))

    head = ["## Headline ratios (same run)", ""]
    lines = [
        ("Baton / nginx, HTTP/1.1 -c50 req/s", r(("h1_c50", "baton"), ("h1_c50", "nginx"))),
        ("Baton / nginx, HTTP/1.1 -c50, requests per CPU-second (noise-robust)", r(("cap_h1_c50", "baton"), ("cap_h1_c50", "nginx"))),
        ("Baton / nginx, HTTP/1.1 -c200 req/s", r(("h1_c200", "baton"), ("h1_c200", "nginx"))),
        ("Baton / nginx, h2c req/s", r(("h2c_m10", "baton"), ("h2c_m10", "nginx"))),
        ("Baton / plain YARP, HTTP/1.1 -c50 req/s (lifecycle cost; target ≥ 0.97)", r(("h1_c50", "baton"), ("h1_c50", "yarp"))),
        ("Baton / plain YARP, HTTP/1.1 -c50, requests per CPU-second", r(("cap_h1_c50", "baton"), ("cap_h1_c50", "yarp"))),
        ("Baton / plain YARP, HTTP/1.1 -c200 req/s", r(("h1_c200", "baton"), ("h1_c200", "yarp"))),
        ("Baton / plain YARP, h2c req/s", r(("h2c_m10", "baton"), ("h2c_m10", "yarp"))),
        ("Baton / upstream direct, HTTP/1.1 -c50 req/s (issue 2 note)", r(("h1_c50", "baton"), ("h1_c50", "direct"))),
        ("Baton / upstream direct, HTTP/1.1 -c50, requests per CPU-second", r(("cap_h1_c50", "baton"), ("cap_h1_c50", "direct"))),
        ("HAProxy / nginx, HTTP/1.1 -c50", r(("h1_c50", "haproxy"), ("h1_c50", "nginx"))),
        ("plain YARP / nginx, HTTP/1.1 -c50", r(("h1_c50", "yarp"), ("h1_c50", "nginx"))),
        ("upstream direct / nginx, HTTP/1.1 -c50", r(("h1_c50", "direct"), ("h1_c50", "nginx"))),
    ]
    lat = sorted({k[0] for k in h if isinstance(k[0], str) and k[0].startswith("lat_")})
    for key in lat:
        lines.append((f"Baton p99 / nginx p99 at {key[len('lat_'):]} req/s (target ≤ 1)", r((key, "baton"), (key, "nginx"))))
    head += ["| ratio | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in lines]
    head += ["", "## Issue 10 targets (same run)", "", _issue10(h, data)]
    summary = "\n".join(head)
    meta = open(args.meta, encoding="utf-8").read() if os.path.exists(args.meta) else ""
    tail = open(args.tail, encoding="utf-8").read() if args.tail and os.path.exists(args.tail) else ""
    md = f"# Baton benchmark results\n\n{meta}\n\n{summary}\n\n{body}\n\n{tail}\n"
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(md)
    if args.print:
        print(summary)
        print()
        print(body)


# --------------------------------------------------------------------------------------------

def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("parse", help="parse wrk/h2load output")
    s.add_argument("kind", choices=["wrk", "h2load", "hey"])
    s.add_argument("file")
    s.set_defaults(func=cmd_parse)
    s = sub.add_parser("holdconns", help="open N keep-alive connections, one GET each, hold them")
    s.add_argument("host")
    s.add_argument("port", type=int)
    s.add_argument("n", type=int)
    s.add_argument("--batch", type=int, default=250)
    s.add_argument("--max-hold", type=float, default=120.0)
    s.set_defaults(func=cmd_holdconns)
    s = sub.add_parser("upgrade", help="trigger and time one Baton upgrade")
    s.add_argument("admin")
    s.add_argument("--trigger", choices=["http", "sigquit"], default="http")
    s.add_argument("--log", required=True)
    s.add_argument("--timeout", type=float, default=30.0)
    s.add_argument("--quiet", action="store_true", help="no polling beside the trigger; times from Baton's log")
    s.set_defaults(func=cmd_upgrade)
    s = sub.add_parser("report", help="write RESULTS.md from results.tsv")
    s.add_argument("--results", required=True)
    s.add_argument("--notes", required=True)
    s.add_argument("--meta", required=True)
    s.add_argument("--tail", default="")
    s.add_argument("--out", required=True)
    s.add_argument("--print", action="store_true")
    s.set_defaults(func=cmd_report)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
