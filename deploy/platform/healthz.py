#!/opt/academy/bin/python
"""Health check of a platform container: GET /healthz over TCP or a Unix socket.

Usage: academy-healthz http://127.0.0.1:8000/healthz | unix:/run/academy/sockets.sock
"""

import http.client
import socket
import sys


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


def main(target: str) -> int:
    if target.startswith("unix:"):
        connection: http.client.HTTPConnection = UnixConnection(target[len("unix:") :])
        path = "/healthz"
    else:
        rest = target.split("://", 1)[1]
        hostport, _, path = rest.partition("/")
        connection = http.client.HTTPConnection(hostport, timeout=10)
        path = "/" + path
    try:
        connection.request("GET", path, headers={"Host": "localhost"})
        status = connection.getresponse().status
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {path} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/healthz"))
