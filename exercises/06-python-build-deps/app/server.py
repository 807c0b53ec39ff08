"""Pilot roster: assigns harbour pilots to arriving ships, on the standard library's http.server.

    GET /                    today's board as text (contains "Pilot roster is ready")
    GET /pilot?ship=NAME     the pilot for one ship
    GET /health              "ok", for health checks

It listens on $PORT (default 8080) and $HOST (default 0.0.0.0) and writes nothing to disk, so it
runs on a read-only root filesystem as an unprivileged user. Its one dependency, mmh3, is a
C extension (see roster.py).
"""
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import roster


class Handler(BaseHTTPRequestHandler):
    server_version = "pilot-roster/1.0"

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/":
            self.send(200, roster.roster())
        elif url.path == "/pilot":
            ship = parse_qs(url.query).get("ship", [""])[0].strip()
            if ship:
                self.send(200, f"{ship}: pilot {roster.pilot_for(ship)}\n")
            else:
                self.send(400, "name the ship: /pilot?ship=NAME\n")
        elif url.path == "/health":
            self.send(200, "ok\n")
        else:
            self.send(404, "no such berth\n")

    def send(self, status, body):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
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

    print(f"pilot roster listening on http://{host}:{port}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
