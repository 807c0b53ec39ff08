"""Tide clock: Saltmarsh Quay's tide service, on the standard library's http.server only.

    GET /            the harbour notice as text (contains "Tide clock is running")
    GET /tides.json  the next four high and low waters as JSON
    GET /health      "ok", for health checks

It listens on $PORT (default 8080) and $HOST (default 0.0.0.0) and writes nothing to disk, so it
runs on a read-only root filesystem as an unprivileged user. No third-party package: the image
needs a Python interpreter and these two files, nothing else.
"""
import json
import os
import signal
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import tides


class Handler(BaseHTTPRequestHandler):
    server_version = "tide-clock/1.0"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        now = datetime.now(timezone.utc)
        if path == "/":
            self.send("text/plain; charset=utf-8", tides.notice(now))
        elif path == "/tides.json":
            self.send("application/json", json.dumps(tides.table(now)) + "\n")
        elif path == "/health":
            self.send("text/plain; charset=utf-8", "ok\n")
        else:
            self.send("text/plain; charset=utf-8", "no such chart\n", status=404)

    def send(self, content_type, body, status=200):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    host = os.environ.get("HOST") or "0.0.0.0"
    port = int(os.environ.get("PORT") or "8080")
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True

    # In a container this process is PID 1, which gets no default signal handling: without a
    # handler `docker stop` waits 10 seconds and then kills it. shutdown() must not run on the
    # thread that is inside serve_forever(), hence the helper thread.
    def stop(signum, _frame):
        print(f"{signal.Signals(signum).name} received, closing", flush=True)
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print(f"tide clock listening on http://{host}:{port}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
