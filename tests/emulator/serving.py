# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An HTTP server answering in a background thread of this process: the emulator's API host and its file host."""

import socket
import socketserver
import threading
from http.server import ThreadingHTTPServer


class BackgroundHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server on ``address`` (an IPv6 address binds IPv6), served by ``serve_in_thread``."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops connection attempts of a burst of concurrent clients (which
    # then time out): not a fault any test asked for.
    request_queue_size = 128

    def __init__(self, address, handler):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._thread = None
        super().__init__(address, handler)

    def server_bind(self):
        # HTTPServer.server_bind resolves the host's FQDN, which can stall for seconds without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def base_url(self, scheme="http"):
        host, port = self.server_address[:2]
        return "%s://%s:%d" % (scheme, f"[{host}]" if ":" in host else host, port)

    def serve_in_thread(self, name):
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True)
        self._thread.start()

    def stop(self):
        """Stop answering (if it was) and close the socket."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()
