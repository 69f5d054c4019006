#!/usr/bin/python3
"""bench/summary.py - turns build/bench/results.txt (written by bench/run.sh,
bench/smtp.sh and bench/pop3.sh) into Markdown tables: medians over the repeated
runs and the Tresor/Dovecot and Tresor/Postfix ratios. The IMAP tables appear when
the file has IMAP results, the SMTP tables when it has SMTP lines, the POP3 tables
when it has POP3 lines.

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
            # bench/smtp.sh repeats the machine keys after bench/run.sh's: first wins
            for k, v in kv.items():
                info.setdefault(k, v)
    out = []
    w = out.append
    imap = "dovecot" in info
    w("### Machine and versions\n")
    w("| | |\n|---|---|")
    w(f"| date | {info.get('date', '?')} |")
    w(f"| machine | {info.get('nproc', '?')} CPUs ({info.get('cpu', '?')}), "
      f"{info.get('mem', '?')} memory, Linux {info.get('kernel', '?')} |")
    dirty = info.get("tresor_dirty", "0")
    workers = info.get("workers", info.get("smtp_workers", info.get("pop3_workers", "?")))
    w(f"| Tresor | commit {info.get('tresor', '?')}"
      + (f" (+{dirty} uncommitted files in the tree)" if dirty not in ("0", "") else "")
      + f", `workers = {workers}` |")
    if imap:
        imap_tables(rows, info, w)
    smtp_tables(rows, info, w)
    pop3_tables(rows, info, w)
    print("\n".join(out))


def imap_tables(rows, info, w):
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


def smtp_tables(rows, info, w):
    runs = defaultdict(dict)  # mode -> server -> repeat -> kv
    for kind, kv in rows:
        if kind == "SMTP":
            runs[kv["mode"]].setdefault(kv["server"], {})[int(kv["repeat"])] = kv
    if not runs:
        return
    g = info.get
    w("\n### SMTP: durable accepts per second (smtp-source, median of the runs)\n")
    w("| | |\n|---|---|")
    w(f"| Postfix | {g('smtp_postfix', '?')} (Debian), private instance, delivery to a "
      f"Maildir by virtual(8), `in_flow_delay = {g('smtp_in_flow_delay', '?')}` |")
    w(f"| workload | {g('smtp_sessions', '?')} sessions, {int(g('smtp_messages', '0')):,} "
      f"messages of {int(g('smtp_size', '0')):,} body bytes per run to one recipient, "
      f"{g('smtp_repeat', '?')} run(s) after {g('smtp_warmup', '?')} warm-up messages |")
    w("")
    w("| mode | Tresor runs | Tresor | Postfix runs | Postfix | Tresor/Postfix per run "
      "| ratio of medians | target |\n|---|---|---|---|---|---|---|---|")
    for mode in ("per-message", "persistent"):
        t = runs[mode].get("tresor", {})
        p = runs[mode].get("postfix", {})
        tv = [num(t[r]["msgs_per_s"]) for r in sorted(t)]
        pv = [num(p[r]["msgs_per_s"]) for r in sorted(p)]
        reps = sorted(set(t) & set(p))
        ratios = [num(t[r]["msgs_per_s"]) / num(p[r]["msgs_per_s"]) for r in reps]
        tm, pm = med(tv), med(pv)
        ratio = tm / pm if pm == pm and pm else float("nan")
        verdict = "-" if ratio != ratio else ("met" if ratio >= 2.0 else "MISSED")
        w(f"| {mode} | {', '.join(fmt(v) for v in tv)} | **{fmt(tm)}** | "
          f"{', '.join(fmt(v) for v in pv)} | **{fmt(pm)}** | "
          f"{', '.join(fmt(v, 2) for v in ratios)} | "
          f"**{fmt(ratio, 2)}{'x' if ratio == ratio else ''}** | >= 2x {verdict} |")
    w("")
    w("| mode | server | messages delivered | seconds to accept | seconds until all in the "
      "mailbox | server CPU ms per message |\n|---|---|---|---|---|---|")
    for mode in ("per-message", "persistent"):
        for server in ("tresor", "tresor-sealed", "postfix"):
            rs = list(runs[mode].get(server, {}).values())
            if not rs:
                continue
            cpu = med([num(r["server_cpu_s"]) * 1000 / num(r["messages"]) for r in rs])
            w(f"| {mode} | {server} | {sum(int(r['delivered']) for r in rs):,} | "
              f"{fmt(med([num(r['seconds']) for r in rs]), 2)} | "
              f"{fmt(med([num(r['delivered_seconds']) for r in rs]), 2)} | "
              f"{fmt(cpu, 2)} |")
    seal_tables(rows, info, w)


def seal_tables(rows, info, w):
    """bench/smtp.sh's sealed account (SMTPSEAL, SEALCHECK) and bench/seal-bench (SEAL)."""
    ratios = [kv for kind, kv in rows if kind == "SMTPSEAL"]
    checks = [kv for kind, kv in rows if kind == "SEALCHECK"]
    seals = [kv for kind, kv in rows if kind == "SEAL"]
    if ratios:
        w(f"\n### SMTP into a sealed account (same Tresor, key {info.get('smtp_seal_key', '?')}): "
          "messages/s, median of the runs\n")
        w("| mode | sealed runs | sealed | unsealed runs | unsealed | sealed/unsealed per run "
          "| ratio of medians | target |\n|---|---|---|---|---|---|---|---|")
        for kv in ratios:
            runs_s = ", ".join(fmt(num(v)) for v in kv["sealed_runs"].split(","))
            runs_u = ", ".join(fmt(num(v)) for v in kv["unsealed_runs"].split(","))
            w(f"| {kv['mode']} | {runs_s} | **{fmt(num(kv['sealed_msgs_per_s']))}** | {runs_u} | "
              f"**{fmt(num(kv['unsealed_msgs_per_s']))}** | {kv['ratios'].replace(',', ', ')} | "
              f"**{kv['ratio']}x** | >= {kv['target']}x {kv['verdict']} |")
    for kv in checks:
        w(f"\nChecked over IMAP: the last {int(kv['checked']):,} of the {int(kv['messages']):,} "
          f"messages of {kv['account']} are PGP/MIME, no trace field outside, no body line "
          f"in clear ({kv['last_stored_bytes']} bytes stored for the last).")
    if seals:
        w("\n### Sealing alone: crypto_seal() per message (bench/seal-bench)\n")
        w("| message | key | runs | sealed size | median | p90 | mean | min | max |"
          "\n|---|---|---|---|---|---|---|---|---|")
        for kv in seals:
            w(f"| {int(kv['size']):,} bytes | {kv['key']} | {kv['n']} | "
              f"{int(kv['sealed_bytes']):,} bytes | **{fmt(num(kv['median_us']))} µs** | "
              f"{fmt(num(kv['p90_us']))} µs | {fmt(num(kv['mean_us']))} µs | "
              f"{fmt(num(kv['min_us']))} µs | {fmt(num(kv['max_us']))} µs |")


POP3_WORKLOADS = (
    ("one-by-one", "main maildrop, 1 session, one RETR at a time"),
    ("pipelined", "main maildrop, 1 session, pipelined"),
    ("big", "1 MiB messages, 1 session, one RETR at a time"),
    ("concurrent", "{sessions} concurrent sessions, pipelined"),
)


def pop3_rounds(rows, kind, key):
    """key(kv) -> server -> round -> kv, for the measured rounds (round >= 1)."""
    out = defaultdict(lambda: defaultdict(dict))
    for k, kv in rows:
        if k == kind and int(kv["round"]) >= 1:
            out[key(kv)][kv["server"]][int(kv["round"])] = kv
    return out


def pop3_tables(rows, info, w):
    if not any(k in ("POP3UIDL", "POP3RETR") for k, _ in rows):
        return
    g = info.get
    uidl = pop3_rounds(rows, "POP3UIDL", lambda kv: kv["tls"])
    retr = pop3_rounds(rows, "POP3RETR", lambda kv: kv["workload"])
    warm = [(k, kv) for k, kv in rows if k in ("POP3UIDL", "POP3RETR") and kv["round"] == "0"]
    fills = defaultdict(list)
    for k, kv in rows:
        if k == "POP3FILL":
            fills[kv["server"]].append(kv)
    main_fill = [kv for kv in fills.get("tresor", []) if kv["set"] == "std" and kv["first"] == "1"
                 and int(kv["messages"]) == int(g("pop3_messages", "-1"))]
    mean = (fmt(num(main_fill[0]["bytes"]) / num(main_fill[0]["messages"]))
            if main_fill else "?")

    w("\n### POP3: Tresor against Dovecot (median of the rounds)\n")
    w("| | |\n|---|---|")
    w(f"| Dovecot | {g('pop3_dovecot', '?')}, {g('pop3_format', '?')}, pop3 settings at their "
      f"defaults: `pop3_uidl_format = {g('pop3_uidl_format', '?')}`, "
      f"`pop3_lock_session = {g('pop3_lock_session', '?')}`, "
      f"`pop3_no_flag_updates = {g('pop3_no_flag_updates', '?')}`, "
      f"`pop3_fast_size_lookups = {g('pop3_fast_size_lookups', '?')}`; "
      f"pop3 processes reused (`service_count = 100`) |")
    w(f"| workload | main maildrop: {int(g('pop3_messages', '0')):,} messages of {mean} bytes "
      f"on average; {g('pop3_big', '?')} messages of 1 MiB; {g('pop3_sessions', '?')} "
      f"concurrent sessions of {int(g('pop3_conc_messages', '0')):,} messages each; "
      f"{g('pop3_trials', '?')} UIDL sessions per round, {g('pop3_window', '?')} RETRs in "
      f"flight when pipelined, {g('pop3_repeat', '?')} rounds |")
    w("| fill | " + ", ".join(
        f"{server} {fmt(max(num(kv['seconds']) for kv in fills[server]), 1)} s"
        for server in ("tresor", "dovecot") if fills.get(server))
      + " (IMAP APPEND, every account of both servers at once) |")
    checked = defaultdict(lambda: [0, 0])
    for k, kv in warm:
        if k == "POP3RETR" and kv.get("verified") == "yes":
            checked[kv["server"]][0] += int(kv["messages"])
            checked[kv["server"]][1] += int(kv["mismatches"])
    w("| check | warm-up RETR runs, every message compared with the generated bytes: "
      + ", ".join(f"{s} {c[0]:,} messages, {c[1]} different" for s, c in checked.items())
      + " |")

    w("\n#### Connect + USER/PASS + UIDL to the final \".\" (ms, median of each round's "
      "sessions)\n")
    w("| connection | Tresor rounds | Tresor | Dovecot rounds | Dovecot | Dovecot/Tresor "
      "| target |\n|---|---|---|---|---|---|---|")
    for tls, name in (("0", "plain TCP"), ("1", "TLS (pop3s)")):
        t, d = uidl[tls].get("tresor", {}), uidl[tls].get("dovecot", {})
        tv = [num(t[r]["total_p50_ms"]) for r in sorted(t)]
        dv = [num(d[r]["total_p50_ms"]) for r in sorted(d)]
        if not tv and not dv:
            continue
        tm, dm = med(tv), med(dv)
        verdict = "-"
        if tls == "0" and int(g("pop3_messages", "0")) >= 10000:
            verdict = f"< 50 ms {'met' if tm < 50 else 'MISSED'}"
        w(f"| {name} | {', '.join(fmt(v, 1) for v in tv)} | **{fmt(tm, 1)} ms** | "
          f"{', '.join(fmt(v, 1) for v in dv)} | **{fmt(dm, 1)} ms** | "
          f"{fmt(dm / tm if tm else float('nan'), 2)}x | {verdict} |")
    w("")
    w("| connection | server | connect + greeting | USER + PASS | UIDL | total | min | max "
      "| first session after the fill |\n|---|---|---|---|---|---|---|---|---|")
    for tls, name in (("0", "plain TCP"), ("1", "TLS")):
        for server in ("tresor", "dovecot"):
            rs = list(uidl[tls].get(server, {}).values())
            if not rs:
                continue
            first = [kv for k, kv in warm if k == "POP3UIDL" and kv["server"] == server
                     and kv["tls"] == tls]
            w(f"| {name} | {server} | "
              + " | ".join(f"{fmt(med([num(r[k]) for r in rs]), 2)}"
                           for k in ("connect_p50_ms", "login_p50_ms", "uidl_p50_ms",
                                     "total_p50_ms"))
              + f" | {fmt(min(num(r['total_min_ms']) for r in rs), 2)} "
              f"| {fmt(max(num(r['total_max_ms']) for r in rs), 2)} | "
              + (f"{fmt(num(first[0]['first_ms']), 1)}" if first else "-") + " |")

    w("\n#### RETR throughput over TLS (MB/s of message bytes, 10^6 bytes)\n")
    w("| workload | Tresor rounds | Tresor | Dovecot rounds | Dovecot | Tresor/Dovecot per round "
      "| ratio of medians | target |\n|---|---|---|---|---|---|---|---|")
    capped_any = False
    for wl, name in POP3_WORKLOADS:
        t, d = retr[wl].get("tresor", {}), retr[wl].get("dovecot", {})
        if not t and not d:
            continue
        reps = sorted(set(t) & set(d))
        tv = [num(t[r]["mb_per_s"]) for r in sorted(t)]
        dv = [num(d[r]["mb_per_s"]) for r in sorted(d)]
        ratios = [num(t[r]["mb_per_s"]) / num(d[r]["mb_per_s"]) for r in reps]
        tm, dm = med(tv), med(dv)
        ratio = tm / dm if dm == dm and dm else float("nan")
        verdict = "-" if ratio != ratio else (">= 1x " + ("met" if ratio >= 1 else "MISSED"))

        def runs(rs):
            return ", ".join(fmt(num(rs[r]["mb_per_s"]), 1)
                             + ("*" if rs[r].get("capped") == "yes" else "") for r in sorted(rs))
        capped_any |= any(kv.get("capped") == "yes" for rs in (t, d) for kv in rs.values())
        name = name.format(sessions=g("pop3_sessions", "?"))
        w(f"| {name} | {runs(t)} | **{fmt(tm, 1)}** | {runs(d)} | **{fmt(dm, 1)}** | "
          f"{', '.join(fmt(v, 2) for v in ratios)} | **{fmt(ratio, 2)}x** | {verdict} |")
    if capped_any:
        w(f"\n\\* stopped after {g('pop3_max_seconds', '?')} s (POP3_MAX_SECONDS): MB/s of the "
          "messages retrieved until then.")
    w("")
    w("| workload | server | messages per run | MB per run | seconds | server CPU ms per MB "
      "| load generator CPU % |\n|---|---|---|---|---|---|---|")
    for wl, name in POP3_WORKLOADS:
        for server in ("tresor", "dovecot"):
            rs = list(retr[wl].get(server, {}).values())
            if not rs:
                continue
            w(f"| {wl} | {server} | {fmt(med([num(r['messages']) for r in rs]))} | "
              f"{fmt(med([num(r['bytes']) / 1e6 for r in rs]), 1)} | "
              f"{fmt(med([num(r['seconds']) for r in rs]), 3)} | "
              f"{fmt(med([num(r['server_cpu_s']) * 1e3 / (num(r['bytes']) / 1e6) for r in rs]), 1)} | "
              f"{fmt(med([num(r['client_cpu_pct']) for r in rs]))} |")


if __name__ == "__main__":
    main()
