#!/usr/bin/env python3
# vtop-fake-vrun.py - a stand-in for vrun's control socket (docs/control.md):
# answers status and stats with counters that grow by fixed steps on each
# stats call, so vtop's rates are checkable; or misbehaves on purpose.
#
#   vtop-fake-vrun.py SOCKET PID [--vcpus N] [--cpu-ns STEP] [--cpu-base NS]
#       [--rd-reqs STEP] ... [--guest-bytes N] [--rss-bytes N] [--state S]
#       [--mode good|garbage-stats|negative|many-vcpus|silent|bad-state]
#       [--gone-after CALLS]
# Writes SOCKET.ready once it listens.  With --gone-after it answers that
# many stats calls, then removes its socket, kills PID (the stand-in vrun)
# and exits, as a VM that powers off between two refreshes.
import argparse
import json
import os
import signal
import socket
import sys
import threading

STEPS = ["rd_reqs", "rd_bytes", "wr_reqs", "wr_bytes", "rx_bytes", "rx_packets",
         "tx_bytes", "tx_packets", "exits"]

p = argparse.ArgumentParser()
p.add_argument("socket")
p.add_argument("pid", type=int)
p.add_argument("--vcpus", type=int, default=1)
p.add_argument("--cpu-ns", type=int, default=0, help="per vCPU per stats call")
p.add_argument("--cpu-base", type=int, default=0, help="per vCPU before the first call")
for s in STEPS:
    p.add_argument("--" + s.replace("_", "-"), type=int, default=0)
p.add_argument("--guest-bytes", type=int, default=16 << 20)
p.add_argument("--rss-bytes", type=int, default=0)
p.add_argument("--state", default="running")
p.add_argument("--mode", default="good")
p.add_argument("--gone-after", type=int, default=0)
a = p.parse_args()

lock = threading.Lock()
calls = 0


def stats(k):
    step = {s: getattr(a, s) * k for s in STEPS}
    vcpus = [{"id": i, "tid": a.pid + 1 + i, "cpu_time_ns": a.cpu_base + a.cpu_ns * k,
              "exits": {"io": 0}} for i in range(a.vcpus)]
    if a.mode == "many-vcpus":
        vcpus = vcpus * 300
    disk = {"name": "blk0", "read_reqs": step["rd_reqs"], "read_bytes": step["rd_bytes"],
            "write_reqs": step["wr_reqs"], "write_bytes": step["wr_bytes"],
            "flush_reqs": 0, "errors": 0}
    if a.mode == "negative":
        disk["read_reqs"] = -5
    nic = {"name": "net0", "ifname": "vk0", "rx_packets": step["rx_packets"],
           "rx_bytes": step["rx_bytes"], "tx_packets": step["tx_packets"],
           "tx_bytes": step["tx_bytes"], "tx_dropped": 0}
    return {"uptime_ms": 1000 * k, "vcpus": vcpus,
            "exits": {"io": step["exits"], "mmio": 0, "intr": 0, "shutdown": 0,
                      "system_event": 0, "internal_error": 0, "fail_entry": 0, "other": 0},
            "disks": [disk], "nics": [nic],
            "memory": {"guest_bytes": a.guest_bytes, "rss_bytes": a.rss_bytes}}


def gone():
    try:
        os.unlink(a.socket)
    except FileNotFoundError:
        pass
    try:
        os.kill(a.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os._exit(0)


def answer(line):
    """The reply line for one request line, or None for no reply."""
    global calls
    if a.mode == "silent":
        return None
    req = json.loads(line)
    cmd = req.get("command")
    if cmd == "status":
        state = 123 if a.mode == "bad-state" else a.state
        ret = {"name": os.path.basename(a.socket)[:-5], "state": state, "pid": a.pid,
               "uptime_ms": 1, "vcpus": [{"id": i, "tid": a.pid + 1 + i} for i in range(a.vcpus)]}
    elif cmd == "stats":
        if a.mode == "garbage-stats":
            return '{"ok": true, "return": {"uptime_ms": 1, "vcpus": [\x01\xff garbage'
        with lock:
            calls += 1
            ret = stats(calls)
    else:
        return json.dumps({"ok": False, "error": "unknown command"})
    return json.dumps({"ok": True, "return": ret})


def serve(conn):
    buf = b""
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                reply = answer(line)
                if reply is not None:
                    conn.sendall(reply.encode("utf-8", "surrogateescape") + b"\n")
                if a.gone_after and calls >= a.gone_after:
                    gone()


srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    os.unlink(a.socket)
except FileNotFoundError:
    pass
srv.bind(a.socket)
srv.listen(16)
with open(a.socket + ".ready", "w") as f:
    f.write("ready\n")
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
