"""The example app Berth deploys on first start: a tiny HTTP service with a health check."""
import json
import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8080"))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            return self.reply(200, {"ok": True})
        return self.reply(200, {
            # Set with `berth config set hello GREETING=...` (scripts/up sets one per environment).
            "message": os.environ.get("GREETING", "Hello from Berth!"),
            "memoryMb": os.environ.get("BERTH_MEMORY_MB"),
            "app": os.environ.get("BERTH_APP"),
            "env": os.environ.get("BERTH_ENV"),
            "tenant": os.environ.get("BERTH_TENANT"),
            "release": os.environ.get("BERTH_RELEASE"),
            "container": socket.gethostname(),
        })

    def reply(self, status, body):
        data = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        print("%s %s" % (self.address_string(), fmt % args), flush=True)


# Exit promptly on SIGTERM: Berth has already moved traffic away before it stops a container.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(f"listening on :{PORT}", flush=True)
ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
