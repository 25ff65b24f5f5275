#!/usr/bin/env python3
"""httpserver.py - a bounded test HTTP server on 127.0.0.1 for vinstall's URL trees.

Serves DIR on an ephemeral port and writes the port to PORTFILE.  Paths
under /stall/ send headers and then nothing (a stalled server), paths under
/truncate/ promise more bytes than they send, every GET is logged in
DIR/.requests (with its Range and If-Range headers).  Paths under /ranged/
are served with an ETag (a hash of the content), Accept-Ranges: bytes and
Range/If-Range answers; files in DIR change how:
  .cut N        bodies stop (connection closed) at byte N of the file
  .no-ranges    no Accept-Ranges, and Range is ignored
  .head-etag    HEAD answers with this ETag (the file changed after a probe)
  .bad-range    a 206 that starts at byte 0 whatever was asked
  .slow S       bodies pause S seconds halfway (two runs at once)
Paths that misbehave about a file's size (the bytes each GET sent before the
client hung up are appended to DIR/.sent as "PATH BYTES"):
  /liar/NAME      HEAD announces NAME's length; GET sends NAME and then
                  filler, with no length, until the client hangs up
  /nolength/NAME  no length anywhere; GET sends filler until the client
                  hangs up
  /trickle/NAME   length 1000; GET sends one byte every 0.4 s
Endless bodies stop at 64 MiB.  The server exits after --lifetime seconds
whatever happens, so a failed test never leaves it behind.
"""
import email.utils
import hashlib
import argparse
import functools
import http.server
import os
import re
import sys
import threading
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def _special(self, head):
        if self.path.startswith("/stall/"):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            if not head:
                time.sleep(self.server.stall_seconds)
            return True
        if self.path.startswith("/truncate/"):
            body = b"x" * 100
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.send_header("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
            self.end_headers()
            if not head:
                self.wfile.write(body)
                self.wfile.flush()
            self.close_connection = True
            return True
        if self.path.startswith("/ranged/"):
            self._ranged(head)
            return True
        for prefix in ("/liar/", "/nolength/", "/trickle/"):
            if self.path.startswith(prefix):
                self._unbounded(prefix, head)
                return True
        return False

    def _unbounded(self, prefix, head):
        data = b""
        if prefix == "/liar/":
            try:
                with open(self.translate_path("/" + self.path[len(prefix):]), "rb") as f:
                    data = f.read()
            except OSError:
                self.send_error(404)
                return
        self.send_response(200)
        self.send_header("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
        if prefix == "/trickle/":
            self.send_header("Content-Length", "1000")
        elif prefix == "/liar/" and head:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.close_connection = True
        if head:
            return
        sent = 0
        try:
            if prefix == "/trickle/":
                while sent < 1000:
                    self.wfile.write(b"t")
                    self.wfile.flush()
                    sent += 1
                    time.sleep(0.4)
            else:
                self.wfile.write(data)
                sent = len(data)
                chunk = b"x" * 65536
                while sent < 64 * 1024 * 1024:
                    self.wfile.write(chunk)
                    sent += len(chunk)
                self.wfile.flush()
        except OSError:
            pass
        with open(os.path.join(self.directory, ".sent"), "a") as f:
            f.write("%s %d\n" % (self.path, sent))

    def _control(self, name):
        try:
            with open(os.path.join(self.directory, name)) as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    def _ranged(self, head):
        path = self.translate_path(self.path)
        try:
            with open(path, "rb") as f:
                data = f.read()
            mtime = os.stat(path).st_mtime
        except OSError:
            self.send_error(404)
            return
        etag = '"%s"' % hashlib.sha1(data).hexdigest()[:16]
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        ranges = self._control(".no-ranges") is None
        start, end, status = 0, len(data), 200
        asked = self.headers.get("Range") if ranges and not head else None
        if_range = self.headers.get("If-Range")
        if asked and (if_range is None or if_range in (etag, last_modified)):
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", asked)
            if m:
                start = int(m.group(1))
                if m.group(2):
                    end = min(end, int(m.group(2)) + 1)
                if start >= len(data) or start >= end:
                    self.send_response(416)
                    self.send_header("Content-Range", "bytes */%d" % len(data))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self._control(".bad-range") is not None:
                    start = 0
                status = 206
        self.send_response(status)
        if head and self._control(".head-etag"):
            etag = self._control(".head-etag")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        if ranges:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        if head:
            return
        cut = self._control(".cut")
        if cut is not None:
            end = max(start, min(end, int(cut)))
            self.close_connection = True
        slow = self._control(".slow")
        if slow is not None:
            half = start + (end - start) // 2
            self.wfile.write(data[start:half])
            self.wfile.flush()
            time.sleep(float(slow))
            start = half
        self.wfile.write(data[start:end])
        self.wfile.flush()

    def do_GET(self):
        line = "GET %s" % self.path
        for name in ("Range", "If-Range"):
            if self.headers.get(name):
                line += " %s: %s" % (name, self.headers.get(name))
        with open(os.path.join(self.directory, ".requests"), "a") as f:
            f.write(line + "\n")
        if not self._special(False):
            super().do_GET()

    def do_HEAD(self):
        if not self._special(True):
            super().do_HEAD()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("directory")
    ap.add_argument("portfile")
    ap.add_argument("--lifetime", type=float, default=60)
    ap.add_argument("--stall", type=float, default=10)
    args = ap.parse_args()
    handler = functools.partial(Handler, directory=args.directory)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    srv.stall_seconds = args.stall
    tmp = args.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.portfile)
    threading.Timer(args.lifetime, srv.shutdown).start()
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
