#!/usr/bin/env python3
"""CPU time of processes over a while, by thread name: who used the cores during a bench phase.

  cpu_shares.py SECONDS LABEL=PID...
      samples /proc/PID/task/*/stat (utime + stime) now and SECONDS later, and prints one line:
      "cpu: <label>/<thread name> <share of one core>% ..." largest first, plus the machine's
      other load (all processes not named) from /proc/stat. Reads /proc only.
"""
import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def threads(pid):
    out = {}
    base = "/proc/%d/task" % pid
    try:
        tids = os.listdir(base)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("%s/%s/stat" % (base, tid)) as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[tid] = (name, int(fields[11]) + int(fields[12]))  # utime, stime (fields 14, 15)
    return out


def machine():
    with open("/proc/stat") as f:
        cpu = f.readline().split()[1:]
    values = [int(v) for v in cpu]
    return sum(values) - values[3] - values[4], sum(values)  # busy, total (idle, iowait left out)


def sample(pids):
    return {label: threads(pid) for label, pid in pids}, machine()


def main():
    seconds = float(sys.argv[1])
    pids = [(a.split("=", 1)[0], int(a.split("=", 1)[1])) for a in sys.argv[2:]]
    before, (busy0, _) = sample(pids)
    time.sleep(seconds)
    after, (busy1, _) = sample(pids)
    shares = {}
    named = 0
    for label, _ in pids:
        for tid, (name, ticks) in after[label].items():
            used = ticks - before[label].get(tid, (name, 0))[1]
            key = "%s/%s" % (label, name)
            shares[key] = shares.get(key, 0) + used
            named += used
    parts = ["%s %.0f%%" % (k, 100.0 * v / TICK / seconds) for k, v in sorted(shares.items(), key=lambda kv: -kv[1]) if v > 0]
    other = max(0, (busy1 - busy0) - named)
    parts.append("rest of the machine %.0f%%" % (100.0 * other / TICK / seconds))
    print("cpu (100% = one core): " + ", ".join(parts), flush=True)


if __name__ == "__main__":
    main()
