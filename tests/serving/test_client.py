"""The Python client's retries: it waits out a server that is not listening yet, and gives up with a clear message.

Fault injection: a TCP forwarder in front of the real server starts listening only after a delay.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading

import numpy as np
import pytest

from dancegen.process import free_port
from dancegen.serving.client import DanceClient
from dancegen.serving.errors import ServingError


class _Forward(socketserver.BaseRequestHandler):
    """Copies bytes both ways; an end of stream on one side is passed on as a half-close (FIN) to the other."""

    def handle(self) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.server.upstream_port))

        def pump(source: socket.socket, sink: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while data := source.recv(65536):
                    sink.sendall(data)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        back.start()
        pump(self.request, upstream)
        back.join(timeout=10)
        upstream.close()


class _Forwarder(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def forward_later(port: int, upstream_port: int, delay: float):
    """Forward 127.0.0.1:port → upstream_port, listening only ``delay`` seconds after entering."""
    servers: list[_Forwarder] = []

    def start() -> None:
        server = _Forwarder(("127.0.0.1", port), _Forward)
        server.upstream_port = upstream_port
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()

    timer = threading.Timer(delay, start)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_retries_until_the_server_listens(triton, protocol, frame_shapes):
    port = free_port()
    upstream = triton.grpc_port if protocol == "grpc" else triton.http_port
    with (
        forward_later(port, upstream, delay=0.6),
        DanceClient(f"127.0.0.1:{port}", protocol, timeout=30, retries=6, retry_delay=0.2) as client,
    ):
        guidance, heatmaps = client.m2penc(np.ones((3, 35), np.float32))  # the first attempts are refused
    assert (guidance.shape, heatmaps.shape) == ((3, *frame_shapes[0]), (3, *frame_shapes[1]))


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_gives_up_with_a_clear_message(protocol):
    with DanceClient(f"127.0.0.1:{free_port()}", protocol, retries=2, retry_delay=0.01) as client:
        with pytest.raises(ServingError, match=r"is unavailable after 3 attempts .*dancegen serve start"):
            client.m2penc(np.ones((3, 35), np.float32))
