#!/usr/bin/env python3
"""httpserver.py - a bounded test HTTP server on 127.0.0.1 for vinstall's URL trees.

Serves DIR on an ephemeral port and writes the port to PORTFILE.  Paths
under /stall/ send headers and then nothing (a stalled server), paths under
/truncate/ promise more bytes than they send, /count/ counts requests in
DIR/.requests.  The server exits after --lifetime seconds whatever happens,
so a failed test never leaves it behind.
"""
import argparse
import functools
import http.server
import os
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
        return False

    def do_GET(self):
        with open(os.path.join(self.directory, ".requests"), "a") as f:
            f.write("GET %s\n" % self.path)
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
