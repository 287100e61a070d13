#!/usr/bin/env python3
"""Loopback load for `scripts/bench --connections`: many idle connections, or many SSE streams.

  connections_load.py hold PORT COUNT
      opens COUNT connections to 127.0.0.1:PORT that send nothing, prints "HOLDING n" and keeps
      them until stdin closes (or the process is killed); reopens any the server closes.
  connections_load.py streams PORT COUNT TASK_ID...
      opens COUNT GET /progress streams spread over the tasks, reads every one to its end, then
      checks each against the task's whole log (one replay per task) and prints a summary.
Everything goes to 127.0.0.1 only, bounded in count and time.
"""
import re
import resource
import select
import socket
import sys
import time


def raise_open_files(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def connect(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", port))
    return s


def hold(port, count):
    raise_open_files(count + 100)
    conns = [connect(port) for _ in range(count)]
    print("HOLDING %d" % len(conns), flush=True)
    poller = select.epoll()
    by_fd = {}
    for c in conns:
        poller.register(c.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
        by_fd[c.fileno()] = c
    poller.register(sys.stdin.fileno(), select.EPOLLIN | select.EPOLLHUP)
    reopened = 0
    deadline = time.time() + 3600
    while time.time() < deadline:
        for fd, _ in poller.poll(1.0):
            if fd == sys.stdin.fileno():
                print("REOPENED %d" % reopened, flush=True)
                return
            old = by_fd.pop(fd)
            poller.unregister(fd)
            old.close()
            c = connect(port)
            by_fd[c.fileno()] = c
            poller.register(c.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
            reopened += 1


FRAME = re.compile(rb"id: (\d+)\nevent: ([\w-]+)\n")


def stream_request(task):
    return ("GET /progress/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % task).encode()


def streams(port, count, tasks):
    raise_open_files(count + 100)
    poller = select.epoll()
    state = {}
    begin = time.time()
    for i in range(count):
        s = connect(port)
        task = tasks[i % len(tasks)]
        s.sendall(stream_request(task))
        s.setblocking(False)
        state[s.fileno()] = [s, task, bytearray(), False]
        poller.register(s.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
    print("OPEN %d streams in %.1f s" % (count, time.time() - begin), flush=True)
    left = count
    deadline = time.time() + 600
    while left and time.time() < deadline:
        for fd, _ in poller.poll(1.0):
            entry = state[fd]
            try:
                data = entry[0].recv(262144)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            entry[2] += data
            if not data or entry[2].endswith(b"\r\n0\r\n\r\n"):
                entry[3] = True
                poller.unregister(fd)
                entry[0].close()
                left -= 1
    logs = {}
    for task in tasks:  # the whole log, replayed once the task ended
        s = connect(port)
        s.sendall(stream_request(task).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        raw = bytearray()
        s.settimeout(60)
        while not raw.endswith(b"\r\n0\r\n\r\n"):
            chunk = s.recv(262144)
            if not chunk:
                break
            raw += chunk
        s.close()
        logs[task] = FRAME.findall(bytes(raw))
    whole = 0
    events = 0
    for s, task, raw, done in state.values():
        got = FRAME.findall(bytes(raw))
        events += len(got)
        terminals = [e for _, e in got if e in (b"complete", b"error-event", b"cancelled")]
        if done and got == logs[task] and len(terminals) == 1 and got[-1][1] == terminals[0]:
            whole += 1
    print("STREAMS %d whole=%d events=%d log_events_per_task=%s seconds=%.1f" % (
        count, whole, events, sorted({len(v) for v in logs.values()}), time.time() - begin), flush=True)
    return 0 if whole == count else 1


def main():
    mode, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if mode == "hold":
        hold(port, count)
        return 0
    if mode == "streams":
        return streams(port, count, sys.argv[4:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
