#!/usr/bin/python3
"""bench/summary.py - turns build/bench/results.txt (written by bench/run.sh) into
Markdown tables: medians over the repeated runs and the Tresor/Dovecot ratios.

Usage: summary.py RESULTS_FILE
"""
import shlex
import statistics
import sys
from collections import defaultdict


def parse(path):
    rows = []
    repeat = 0
    with open(path) as f:
        for line in f:
            parts = shlex.split(line.strip())
            if not parts:
                continue
            kind, kv = parts[0], {}
            for p in parts[1:]:
                if "=" in p:
                    k, v = p.split("=", 1)
                    kv[k] = v
            if kind == "RUN":
                repeat = int(kv["repeat"])
                continue
            kv["_repeat"] = repeat
            rows.append((kind, kv))
    return rows


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def med(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def fmt(v, digits=0):
    if v != v:
        return "-"
    return f"{v:,.{digits}f}"


def main():
    rows = parse(sys.argv[1])
    info = {}
    for kind, kv in rows:
        if kind == "INFO":
            info.update(kv)
    out = []
    w = out.append
    w("### Machine and versions\n")
    w("| | |\n|---|---|")
    w(f"| date | {info.get('date', '?')} |")
    w(f"| machine | {info.get('nproc', '?')} CPUs ({info.get('cpu', '?')}), "
      f"{info.get('mem', '?')} memory, Linux {info.get('kernel', '?')} |")
    dirty = info.get("tresor_dirty", "0")
    w(f"| Tresor | commit {info.get('tresor', '?')}"
      + (f" (+{dirty} uncommitted files in the tree)" if dirty not in ("0", "") else "")
      + f", `workers = {info.get('workers', '?')}` |")
    w(f"| Dovecot | {info.get('dovecot', '?')}, {info.get('format', '?')} |")
    w(f"| workload | {info.get('users', '?')} users x {info.get('messages', '?')} messages, "
      f"{info.get('clients', '?')} clients, {info.get('warmup', '?')} s warm-up + "
      f"{info.get('duration', '?')} s measured per run, {info.get('repeat', '?')} runs |")

    w("\n### Filling the mailboxes (APPEND, one connection per user)\n")
    w("| server | messages | seconds | APPEND/s | mean size (bytes) |\n|---|---|---|---|---|")
    for kind, kv in rows:
        if kind == "FILL":
            n = int(kv["users"]) * int(kv["messages"])
            w(f"| {kv['server']} | {n:,} | {kv['seconds']} | {kv['appends_per_s']} | "
              f"{kv['mean_bytes']} |")

    results = defaultdict(dict)  # (mode) -> server -> repeat -> kv
    ops = defaultdict(list)  # (mode, op, server) -> [kv]
    diag = []
    for kind, kv in rows:
        main_run = kv.get("label", "main") == "main"
        if kind == "RESULT" and main_run:
            results[kv["mode"]].setdefault(kv["server"], {})[kv["_repeat"]] = kv
        elif kind == "RESULT":
            diag.append(kv)
        elif kind == "OP" and main_run:
            ops[(kv["mode"], kv["op"], kv["server"])].append(kv)

    targets = {"persistent": 1.5, "login": 2.0}
    w("\n### Command mix: commands/s (median of the runs)\n")
    w("| mode | Tresor runs | Tresor | Dovecot runs | Dovecot | Tresor/Dovecot per run "
      "| ratio of medians | target |\n|---|---|---|---|---|---|---|---|")
    for mode in ("persistent", "login"):
        t = results[mode].get("tresor", {})
        d = results[mode].get("dovecot", {})
        reps = sorted(set(t) & set(d))
        tv = [num(t[r]["cmds_per_s"]) for r in reps]
        dv = [num(d[r]["cmds_per_s"]) for r in reps]
        ratios = [a / b if b else float("nan") for a, b in zip(tv, dv)]
        tm, dm = med(tv), med(dv)
        ratio = tm / dm if dm else float("nan")
        w(f"| {mode} | {', '.join(fmt(v) for v in tv)} | **{fmt(tm)}** | "
          f"{', '.join(fmt(v) for v in dv)} | **{fmt(dm)}** | "
          f"{', '.join(fmt(v, 2) for v in ratios)} | **{fmt(ratio, 2)}x** | "
          f">= {targets[mode]}x {'met' if ratio >= targets[mode] else 'MISSED'} |")
    w("")
    w("| mode | server | sessions/s | errors | EXPUNGEISSUED | server CPU % | "
      "load generator CPU % |\n|---|---|---|---|---|---|---|")
    for mode in ("persistent", "login"):
        for server in ("tresor", "dovecot"):
            runs = list(results[mode].get(server, {}).values())
            if not runs:
                continue
            w(f"| {mode} | {server} | "
              f"{fmt(med([num(r['sessions_per_s']) for r in runs]), 1)} | "
              f"{sum(int(r['errors']) for r in runs)} | "
              f"{sum(int(r['expungeissued']) for r in runs)} | "
              f"{fmt(med([num(r.get('server_cpu_pct')) for r in runs]))} | "
              f"{fmt(med([num(r['client_cpu_pct']) for r in runs]))} |")

    w("\n### Per command: latency in ms (median over the runs of each run's mean and p99)\n")
    w("| mode | command | share | Tresor mean | Tresor p99 | Dovecot mean | Dovecot p99 |"
      "\n|---|---|---|---|---|---|---|")
    for mode in ("persistent", "login"):
        names = []
        for (m, op, s) in ops:
            if m == mode and op not in names:
                names.append(op)
        total = sum(int(kv["n"]) for (m, op, s), l in ops.items()
                    if m == mode and s == "tresor" and op != "CONNECT" for kv in l)
        for op in names:
            tl = ops.get((mode, op, "tresor"), [])
            dl = ops.get((mode, op, "dovecot"), [])
            share = sum(int(kv["n"]) for kv in tl) / total * 100 if total else 0
            w(f"| {mode} | {op} | {'-' if op == 'CONNECT' else fmt(share) + ' %'} | "
              f"{fmt(med([num(k['mean_ms']) for k in tl]), 2)} | "
              f"{fmt(med([num(k['p99_ms']) for k in tl]), 1)} | "
              f"{fmt(med([num(k['mean_ms']) for k in dl]), 2)} | "
              f"{fmt(med([num(k['p99_ms']) for k in dl]), 1)} |")

    w("\n### New message to an IDLE session (APPEND in one session, EXISTS in another)\n")
    w("| server | trials | missed | from sending APPEND: median | p99 | from APPEND's OK: median "
      "| p99 | APPEND itself: median | target |\n|---|---|---|---|---|---|---|---|---|")
    for kind, kv in rows:
        if kind == "LATENCY":
            p99 = num(kv["from_send_p99_ms"])
            w(f"| {kv['server']} | {kv['trials']} | {kv['missed']} | "
              f"{fmt(num(kv['from_send_p50_ms']), 1)} ms | {fmt(p99, 1)} ms | "
              f"{fmt(num(kv['from_ok_p50_ms']), 1)} ms | {fmt(num(kv['from_ok_p99_ms']), 1)} ms "
              f"| {fmt(num(kv['append_p50_ms']), 1)} ms | "
              + (f"< 100 ms {'met' if p99 < 100 else 'MISSED'} (p99) |"
                 if kv["server"] == "tresor" else "- |"))

    w("\n### Idle TLS connections in IDLE: server memory growth\n")
    w("| server | selected INBOX | connections asked | in IDLE | failed | set-up time "
      "| memory before | memory after | per connection | target |"
      "\n|---|---|---|---|---|---|---|---|---|---|")
    for kind, kv in rows:
        if kind == "IDLE":
            empty = int(kv.get("first_user", "1")) > int(info.get("users", "0"))
            inbox = "empty" if empty else f"{int(info.get('messages', '0')):,} messages"
            per = num(kv["per_conn_bytes"]) / 1024
            what = "VmRSS" if kv["server"] == "tresor" else "sum of Pss, all processes"
            target = ("<= 64 KiB " + ("met" if per <= 64 else "MISSED")
                      if kv["server"] == "tresor" else "-")
            w(f"| {kv['server']} | {inbox} | {int(kv['conns']):,} | {int(kv['idle']):,} | {kv['failed']} "
              f"| {kv['setup_s']} s | {fmt(num(kv['mem_before_kib']) / 1024, 1)} MiB "
              f"| {fmt(num(kv['mem_after_kib']) / 1024, 1)} MiB ({what}) | "
              f"**{fmt(per, 1)} KiB** | {target} |")
    if diag:
        w("\n### Diagnostics (one run each; not the headline numbers)\n")
        w("| run | server | mode | commands/s | sessions/s | errors | server CPU % |"
          "\n|---|---|---|---|---|---|---|")
        for kv in diag:
            w(f"| {kv['label']} | {kv['server']} | {kv['mode']} | "
              f"{fmt(num(kv['cmds_per_s']))} | {fmt(num(kv['sessions_per_s']), 1)} | "
              f"{kv['errors']} | {kv.get('server_cpu_pct', '-')} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
