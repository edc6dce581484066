#!/usr/bin/env python3
"""Writes the "Upstream rolling restarts (issue 13)" section of bench/RESULTS.md from
bench/out/upstreams/results.tsv (rows: section, target, key, metric, value), replacing that
section when it is there and keeping every other section."""
import argparse
import json
import os
import re
import statistics
from collections import Counter, defaultdict

HEADING = "## Upstream rolling restarts (issue 13)"
LABEL = {
    "baton": "Baton, default config (RetryOn AlwaysSafe, MaxTries 3)",
    "baton-retry": "Baton, RetryOn \"AlwaysSafe, Reset, Status\", RetryStatuses [503]",
    "baton-retry-ni": "Baton, the same + RetryNonIdempotent true (as nginx's non_idempotent)",
    "nginx": "nginx, proxy_next_upstream error timeout http_503, keepalive 128",
    "nginx-nofail": "nginx, the same with max_fails=0 on both servers",
    "haproxy": "HAProxy, retries 3, option redispatch, retry-on all-retryable-errors",
    "baton-off": "Baton, retries off (MaxTries 1)",
}
LOADS = [("ka", "keep-alive GET (wrk -c20)"), ("close", "Connection: close GET (wrk -c10)"),
         ("post4k", "POST 4 KiB (wrk -c10)"), ("post200k", "POST 200 KiB (wrk -c4)")]


def load(path):
    data = defaultdict(list)
    for line in open(path, encoding="utf-8").read().splitlines()[1:]:
        sec, target, key, metric, value = line.split("\t")
        try:
            data[(sec, target, key, metric)].append(float(value))
        except ValueError:
            pass
    return data


def not_retried(path):
    """Counts Baton's 2401 events ("Not retried: GET / on cluster app: reset at a; retry budget spent")."""
    c = Counter()
    if not os.path.exists(path):
        return c
    for line in open(path, encoding="utf-8", errors="replace"):
        if '"EventId":2401' not in line:
            continue
        try:
            msg = json.loads(line).get("Message", "")
        except ValueError:
            continue
        m = re.match(r"Not retried: (\S+) \S+ on cluster \S+: (\S+)[^;]*; (.*)", msg)
        c[f"{m.group(1)} {m.group(2)}, {m.group(3)}" if m else msg] += 1
    return c


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def fmt(v, d=0):
    if v is None:
        return "–"
    return f"{v:,.{d}f}"


def section(data, meta, run):
    targets = [t for t in ("baton", "baton-retry", "baton-retry-ni", "nginx", "nginx-nofail", "haproxy") if data.get(("rolling", t, "all", "restarts"))]
    n = int(meta.get("restarts", "20"))
    parts = [HEADING, "",
             f"Run {meta.get('date', '?')} by `bench/upstreams.sh` (also `bench/run.sh --upstreams`), Baton built "
             f"from commit {meta.get('commit', '?')[:12]} (branch with the issue 13 retry layer). {meta.get('cpu', '')}; "
             f"nginx {meta.get('nginx', '?')}, HAProxy {meta.get('haproxy', '?')}, wrk {meta.get('wrk', '?')}. "
             f"**The machine is shared and noisy**: other agents build and run test suites on both cores "
             f"during the run (load average at the end: {meta.get('load', '?')}), so req/s and request counts "
             "swing; failure counts and CPU per request are the figures to read. Run time "
             f"{int(meta.get('runtime_s', 0)) // 60} min {int(meta.get('runtime_s', 0)) % 60} s.", "",
             "Two upstream nginx instances (each its own master, 1 worker, `return 200 \"ok\"`, core "
             f"{meta.get('loadgen_cpu', 0)}) behind each proxy (pinned with `taskset -c {meta.get('proxy_cpu', 1)}`; "
             "Baton with `DOTNET_PROCESSOR_COUNT=1`). Under four wrk clients at once (core "
             f"{meta.get('loadgen_cpu', 0)}), the upstreams restart one after the other, A, B, A, …, "
             f"{n} restarts in total: `kill -QUIT` to the master (graceful quit: in-flight requests finish, idle "
             f"keep-alive connections are closed), {meta.get('down', '0.5')} s with nothing listening, start again, "
             f"wait until it answers a GET, {meta.get('gap', '1')} s, next restart. Failed = wrk's \"Non-2xx or 3xx "
             "responses\" + socket errors (connect, read, write, timeout): what a client that never retries sees.", ""]

    rows = []
    for t in targets:
        row = [LABEL[t]]
        tot_e = tot_n = 0
        for l, _ in LOADS:
            e = sum(data.get(("rolling", t, l, "errors"), [0]))
            r = sum(data.get(("rolling", t, l, "requests"), [0]))
            tot_e += e
            tot_n += r
            row.append(fmt(e / n, 1))
        row += [fmt(tot_e / n, 1), f"{fmt(tot_e)} / {fmt(tot_n)}"]
        rows.append(row)
    parts.append("### Failed requests per upstream restart\n\n"
                 + table(["proxy"] + [name for _, name in LOADS] + ["all loads", "failed / requests (total)"], rows))

    rows = []
    for t in targets:
        for l, name in LOADS:
            g = lambda m: sum(data.get(("rolling", t, l, m), [0]))
            sock = g("connect") + g("read") + g("write") + g("timeout")
            rows.append([LABEL[t], name, fmt(g("requests")), fmt(g("errors")), fmt(g("non2xx")),
                         f"{fmt(sock)} (c {fmt(g('connect'))}, r {fmt(g('read'))}, w {fmt(g('write'))}, t {fmt(g('timeout'))})"])
    parts.append("### Detail: requests and failures by kind\n\n"
                 + table(["proxy", "load", "requests", "failed", "non-2xx/3xx", "socket errors (connect, read, write, timeout)"], rows))

    rows = []
    for t in targets:
        if not t.startswith("baton"):
            continue
        why = not_retried(os.path.join(run, t, "stdout.log"))
        rows.append([LABEL[t], "; ".join(f"{k}: {v}" for k, v in why.most_common()) or "none"])
    if rows:
        parts.append("Baton's own account of the failures (event 2401 \"Not retried\" in its log, by method, "
                     "failure and reason):\n\n" + table(["proxy", "not retried (count)"], rows))

    variants = [v for v in ("baton-off", "baton", "baton-retry") if data.get(("cpu", v, "1", "requests"))]
    if variants:
        hz = os.sysconf("SC_CLK_TCK")
        rounds = int(meta.get("cpu_rounds", "3"))
        per = {}
        pooled = {}
        for v in variants:
            vals = []
            tn = tk = 0.0
            for r in range(1, rounds + 1):
                req = sum(data.get(("cpu", v, str(r), "requests"), [0]))
                ticks = sum(data.get(("cpu", v, str(r), "ticks"), [0]))
                tn += req
                tk += ticks
                if ticks > 0:
                    vals.append(req / (ticks / hz))
            per[v] = vals
            pooled[v] = tn / (tk / hz) if tk > 0 else None
        ref_med = statistics.median(per["baton-off"]) if per.get("baton-off") else None
        ref_pool = pooled.get("baton-off")
        rows = []
        for v in variants:
            med = statistics.median(per[v]) if per[v] else None
            errs = sum(sum(data.get(("cpu", v, str(r), "errors"), [0])) for r in range(1, rounds + 1))
            rows.append([LABEL[v], " / ".join(fmt(x) for x in per[v]), fmt(med), fmt(pooled[v]),
                         fmt(med / ref_med, 3) if med and ref_med else "–",
                         fmt(pooled[v] / ref_pool, 3) if pooled[v] and ref_pool else "–", fmt(errs)])
        parts.append("### CPU per request: retries configured but unused vs off\n\n"
                     f"Both upstreams healthy; the three Baton configs run at once on core {meta.get('proxy_cpu', 1)} "
                     "(an idle one costs nothing), each warmed first, then measured in "
                     f"{rounds} interleaved rounds (order rotated) of `wrk -t1 -c50 -d{meta.get('cpu_dur', 5)}s`. "
                     "Requests per CPU-second = wrk's requests / (utime + stime of the Baton process from "
                     "/proc/PID/stat, after − before). Pooled = all rounds' requests / all rounds' CPU seconds. "
                     "Issue 13 target: retries configured but unused within 3 % of off (ratio ≥ 0.97).\n\n"
                     + table(["config", "req per CPU-s, per round", "median", "pooled", "median vs off",
                              "pooled vs off", "errors"], rows))

    cmds = ["### Commands and configs", "",
            "```sh",
            "bench/upstreams.sh            # or: bench/run.sh --upstreams",
            "# loads, all four at once for the whole restart sequence, stopped with SIGINT after the last restart + gap:",
            "taskset -c 0 wrk -t1 -c20 -d600s URL",
            "taskset -c 0 wrk -t1 -c10 -d600s -H 'Connection: close' URL",
            "taskset -c 0 wrk -t1 -c10 -d600s -s bench/tools/post.lua URL -- 4096",
            "taskset -c 0 wrk -t1 -c4 -d600s -s bench/tools/post.lua URL -- 204800",
            "# an upstream restart: kill -QUIT <master>; wait until gone; sleep 0.5; nginx -p DIR -c DIR/nginx.conf; curl until 200",
            "```", ""]
    for name, path in (("upstream (A; B is the same on the next port)", "up-a/nginx.conf"), ("nginx", "nginx/nginx.conf"), ("nginx, max_fails=0", "nginx-nofail/nginx.conf"),
                       ("HAProxy", "haproxy/haproxy.cfg"), ("Baton, default", "baton/baton.json"),
                       ("Baton, retry variant", "baton-retry/baton.json"),
                       ("Baton, retry variant + RetryNonIdempotent", "baton-retry-ni/baton.json"), ("Baton, retries off (CPU test)", "baton-off/baton.json")):
        p = os.path.join(run, path)
        if os.path.exists(p):
            text = open(p, encoding="utf-8").read().replace(os.path.dirname(p), "DIR")
            cmds += [f"<details><summary>{name}</summary>", "", "```", text.rstrip(), "```", "", "</details>", ""]
    parts.append("\n".join(cmds))
    return "\n\n".join(p for p in parts if p) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--into", required=True)
    a = ap.parse_args()
    meta = dict(line.split("=", 1) for line in open(a.meta, encoding="utf-8").read().splitlines() if "=" in line)
    text = section(load(a.results), meta, a.run)
    print(text)
    old = open(a.into, encoding="utf-8").read() if os.path.exists(a.into) else "# Baton benchmark results\n"
    if HEADING in old:
        head, rest = old.split(HEADING, 1)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1:] if nxt >= 0 else ""
        new = head + text + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    with open(a.into, "w", encoding="utf-8") as f:
        f.write(new)


if __name__ == "__main__":
    main()
