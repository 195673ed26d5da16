# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-memory emulator of the DingTalk open API calls used by community.dingtalk: its entry point.

DingTalk cannot be reached from the test machines, so every test and demo of the
collection talks to this server instead.  It follows the project's DingTalk API reference
(dingtalk-api.md); behaviour the reference leaves open is listed under "Assumptions" in README.md
next to this file, which also says which file of this folder holds what.

Stdlib only, so it runs anywhere the collection's tests run:

    python tests/emulator/dingtalk_emulator.py --port 0 --port-file /tmp/port

or, from Python tests, ``with start_in_thread(qps_limit=5) as emulator: ...``; launcher.py starts it as
a child process and waits until it listens.
"""

import argparse
import os
import signal
import ssl
import sys
import threading

if __package__:
    from .calls import ApiError
    from .http_server import EmulatorServer
    from .store import REGIONS
else:
    # Run as a script, or imported from this folder (sys.path holds it): the folder is the package
    # "emulator", imported from its parent.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from emulator.calls import ApiError  # pylint: disable=import-error
    from emulator.http_server import EmulatorServer  # pylint: disable=import-error
    from emulator.store import REGIONS  # pylint: disable=import-error

__all__ = ("EmulatorServer", "main", "start_in_thread")


def start_in_thread(**options):
    """Start an emulator in a background thread; keyword arguments are EmulatorServer's (CLI options, and ``clock``)."""
    return EmulatorServer(**options).start()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Emulator of the DingTalk open API for community.dingtalk tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--region", choices=REGIONS, default="io", help="io plays api.dingtalk.io, com plays api.dingtalk.com")
    parser.add_argument("--qps-limit", type=int, default=20, help="calls per second per app and API; 0 = unlimited")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API answer")
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    parser.add_argument("--state-file", help="JSON seed applied at start (same shape as POST /_emulator/seed)")
    parser.add_argument("--verbose", action="store_true", help="log method, path and status of each request to stderr")
    parser.add_argument("--file-host-port", type=int, default=0, help="port of the recordings' file host; 0 picks a free one")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    try:
        server = EmulatorServer(
            host=args.host,
            port=args.port,
            region=args.region,
            qps_limit=args.qps_limit,
            latency=args.latency,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            state_file=args.state_file,
            port_file=args.port_file,
            verbose=args.verbose,
            file_host_port=args.file_host_port,
        )
    except (ApiError, OSError, ValueError, ssl.SSLError) as err:
        parser.error(f"cannot start: {err}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    server.start()
    print(f"dingtalk-emulator listening on {server.url}", flush=True)
    print(f"recordings' file host listening on {server.file_host_url}", flush=True)
    while not stop.wait(0.2):
        pass
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
