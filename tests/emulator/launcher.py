# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Start the DingTalk emulator as a child process and wait until it listens: how every tool, benchmark and shell
script starts one. (Python tests that want it in their own process use dingtalk_emulator.start_in_thread.)

From Python, with the options of dingtalk_emulator.py as keyword arguments:

    with EmulatorProcess(qps_limit=0, log_file='emulator.log') as emulator:
        emulator.url

From a shell script:

    python tests/emulator/launcher.py [--log FILE] [--integration-config FILE] [EMULATOR OPTION ...] -- COMMAND [ARG ...]

runs COMMAND with the emulator's address in DINGTALK_EMULATOR_URL, stops the emulator however COMMAND ends,
and exits with COMMAND's status. EMULATOR OPTIONs are dingtalk_emulator.py's (``--qps-limit 0``,
``--tls-cert FILE --tls-key FILE``, ...). ``--integration-config`` also writes the address to an
integration_config.yml as ``dingtalk_emulator_url``, for ansible-test, which filters the environment.
Stdlib only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

EMULATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dingtalk_emulator.py')
URL_VARIABLE = 'DINGTALK_EMULATOR_URL'
START_TIMEOUT = 20  # seconds; it listens within a fraction of one, even on a busy machine


class EmulatorStartError(Exception):
    """The emulator exited, or did not report its port in time."""


def command_line_options(options):
    """Keyword arguments as dingtalk_emulator.py's options: ``qps_limit=0`` is ``--qps-limit 0``, ``verbose=True`` ``--verbose``."""
    arguments = []
    for name, value in options.items():
        if value is None or value is False:
            continue
        arguments.append('--' + name.replace('_', '-'))
        if value is not True:
            arguments.append(str(value))
    return arguments


def emulator_url(arguments, port):
    """The address the emulator started with ``arguments`` serves on ``port``."""
    peek = argparse.ArgumentParser(add_help=False)
    peek.add_argument('--host', default='127.0.0.1')
    peek.add_argument('--tls-cert')
    chosen, _others = peek.parse_known_args(arguments)
    host = f'[{chosen.host}]' if ':' in chosen.host else chosen.host
    return '{0}://{1}:{2}'.format('https' if chosen.tls_cert else 'http', host, port)


class EmulatorProcess:
    """The emulator in a child process, started and listening: ``.url``, ``.stop()``; a context manager.

    ``arguments`` are more command line options of dingtalk_emulator.py. Its output goes to ``log_file``,
    else to a temporary file that is shown if it does not start.
    """

    def __init__(self, arguments=(), log_file=None, python=None, start_timeout=START_TIMEOUT, **options):
        self._work_dir = tempfile.mkdtemp(prefix='dingtalk-emulator-')
        port_file = os.path.join(self._work_dir, 'port')
        self.log_file = log_file or os.path.join(self._work_dir, 'emulator.log')
        arguments = command_line_options(options) + list(arguments)
        with open(self.log_file, 'wb') as log:
            self.process = subprocess.Popen(
                [python or sys.executable, EMULATOR, '--port-file', port_file] + arguments, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            self.url = emulator_url(arguments, self._wait_for_port(port_file, start_timeout))
        except EmulatorStartError:
            self.stop()
            raise

    def _wait_for_port(self, port_file, timeout):
        # The emulator writes the file under another name and renames it: once it is there, it is whole.
        deadline = time.monotonic() + timeout
        while not os.path.exists(port_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                with open(self.log_file, encoding='utf-8', errors='replace') as log:
                    output = log.read()[-3000:]
                raise EmulatorStartError(
                    'the DingTalk emulator did not start{0}:\n{1}'.format(
                        '' if self.process.returncode is None else f' (exit status {self.process.returncode})', output
                    )
                )
            time.sleep(0.02)
        with open(port_file, encoding='utf-8') as handle:
            return int(handle.read())

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._work_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def write_integration_config(path, url):
    with open(path, 'w', encoding='utf-8') as config:
        config.write(f'---\ndingtalk_emulator_url: {url}\n')


def run_command(command, url):
    """Run ``command`` with the emulator's address in its environment; return its exit status as a shell would."""
    child = subprocess.Popen(command, env=dict(os.environ, **{URL_VARIABLE: url}))
    # A terminal's Ctrl-C reaches the command by itself; a SIGTERM or SIGHUP sent to this process is passed on,
    # and the emulator is stopped once the command has ended.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda received, _frame: child.send_signal(received))
    status = child.wait()
    return 128 - status if status < 0 else status


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog='launcher.py',
        usage='%(prog)s [--log FILE] [--integration-config FILE] [EMULATOR OPTION ...] -- COMMAND [ARG ...]',
        description=f'Run COMMAND with a DingTalk emulator, its address in {URL_VARIABLE}.',
    )
    parser.add_argument('--log', help="the emulator's output (default: shown only if it does not start)")
    parser.add_argument('--integration-config', help='also write the address here, as dingtalk_emulator_url')
    if '--' not in argv or argv.index('--') == len(argv) - 1:
        parser.error('give the command to run after --')
    split = argv.index('--')
    options, emulator_options = parser.parse_known_args(argv[:split])
    try:
        emulator = EmulatorProcess(emulator_options, log_file=options.log)
    except (EmulatorStartError, OSError) as err:
        print(err, file=sys.stderr)
        return 1
    with emulator:
        if options.integration_config:
            write_integration_config(options.integration_config, emulator.url)
        try:
            return run_command(argv[split + 1 :], emulator.url)
        except OSError as err:
            print(f'cannot run {argv[split + 1]}: {err}', file=sys.stderr)
            return 127


if __name__ == '__main__':
    sys.exit(main())
