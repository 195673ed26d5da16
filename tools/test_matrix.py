# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make test-matrix: units and integration on every ansible-core line, module units on every Python.

For each ansible-core line, a Python that line supports on the controller is looked for on this
machine (pyenv's versions, then PATH); the line's tests then run in a virtualenv of its own with
that Python (make test-core). For each Python from 3.8 on that is present, the module unit tests
run on it (make module-units), and sanity's compile and import tests (make module-sanity), which
`ansible-test sanity --docker` would run on every Python. A line or Python that cannot be tested here is reported as NOT RUN,
never as passed. Each step's output goes to a log file; a summary table ends the run. Exits 1 if
any step failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import time

# The controller Pythons of each ansible-core line, from its release notes (and ansible-test's
# CONTROLLER_PYTHON_VERSIONS), in the order this matrix prefers them: the Python of make test first.
CORE_PYTHONS = {
    '2.16': ('3.11', '3.12', '3.10'),
    '2.17': ('3.11', '3.12', '3.10'),
    '2.18': ('3.11', '3.12', '3.13'),
    '2.19': ('3.11', '3.12', '3.13'),
    '2.20': ('3.12', '3.13', '3.14'),
    '2.21': ('3.12', '3.13', '3.14'),
}
# The Pythons the modules promise to run on (tests/config.yml: 3.8 and later), up to the newest that
# ansible-core 2.21 supports on a target; one this machine lacks is reported NOT RUN.
MODULE_PYTHONS = ('3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14')
# ansible-core 2.21 tests modules on Python 3.9 and later: an older Python runs with the ansible-test of
# the newest line that still supports it on managed nodes.
MODULE_PYTHON_CORES = {'3.8': '2.19'}
LOG_TAIL_LINES = 40
PRINT_VERSION = 'print("%d.%d" % sys.version_info[:2])'
SUMMARY_HEADER = ('What', 'Python', 'Units', 'Integration', 'Compile and import', 'Time')


def find_python(version):
    """A working python<version>: pyenv's versions first, then PATH (but not pyenv's shims, which may point nowhere)."""
    root = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
    candidates = sorted(glob.glob(os.path.join(root, 'versions', '*', 'bin', 'python' + version)), reverse=True)
    on_path = shutil.which('python' + version)
    if on_path and os.sep + 'shims' + os.sep not in on_path:
        candidates.append(on_path)
    for candidate in candidates:
        if python_output(candidate, 'import sys, venv, ensurepip; ' + PRINT_VERSION) == version:
            return candidate
    return None


def python_of(venv):
    """The X.Y version of an existing virtualenv's Python, or None."""
    python = os.path.join(venv, 'bin', 'python')
    if not os.path.exists(python):
        return None
    return python_output(python, 'import sys; ' + PRINT_VERSION) or None


def python_output(python, code):
    """What ``python -c code`` prints, stripped; '' when it fails."""
    check = subprocess.run([python, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False, text=True)
    return check.stdout.strip() if check.returncode == 0 else ''


class Matrix:
    def __init__(self, log_dir, jobs=1):
        self.log_dir = log_dir
        self.jobs = jobs
        self.rows = []
        os.makedirs(log_dir, exist_ok=True)

    def step(self, name, make_args):
        """Run one make step into its log; return 'passed' or 'FAILED', and how long it took."""
        log_path = os.path.join(self.log_dir, name.replace(' ', '-') + '.log')
        started = time.monotonic()
        print('--- {0}: make {1} (log: {2})'.format(name, ' '.join(make_args), log_path), flush=True)
        with open(log_path, 'w', encoding='utf-8') as log:
            code = subprocess.run(['make', '--no-print-directory'] + make_args, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
        elapsed = time.monotonic() - started
        if code != 0:
            with open(log_path, encoding='utf-8', errors='replace') as log:
                print(''.join(log.readlines()[-LOG_TAIL_LINES:]), end='')
        status = 'passed' if code == 0 else 'FAILED'
        print(f'--- {name}: {status} in {minutes(elapsed)}', flush=True)
        return status, elapsed

    def core(self, core):
        """Units and integration of one ansible-core line; its row of the summary."""
        python = next(filter(None, (find_python(version) for version in CORE_PYTHONS[core])), None)
        if python is None:
            print('--- ansible-core {0}: NOT RUN, no Python it supports ({1}) on this machine'.format(core, ', '.join(CORE_PYTHONS[core])))
            return ('ansible-core ' + core, 'none of ' + ', '.join(CORE_PYTHONS[core]), 'NOT RUN', 'NOT RUN', '-', '')
        version = python_of_interpreter(python)
        venv = '.venv-' + core
        if python_of(venv) not in (None, version):
            shutil.rmtree(venv)  # made with another Python: its stamp file would not tell
        args = ['CORE=' + core, 'CORE_PYTHON=' + python, 'CORE_INTEGRATION_SKIP=']
        setup, setup_time = self.step(f'ansible-core {core} setup', ['stage-core'] + args)
        if setup != 'passed':
            return ('ansible-core ' + core, version, 'FAILED (setup)', 'NOT RUN', '-', minutes(setup_time))
        units, units_time = self.step(f'ansible-core {core} units', ['units-core'] + args)
        integration, integration_time = self.step(f'ansible-core {core} integration', ['integration-core'] + args)
        # Sanity, compile and import included, runs on each line in the CI workflow (make sanity-core).
        return ('ansible-core ' + release_of(venv), version, units, integration, '-', minutes(setup_time + units_time + integration_time))

    def module_python(self, version):
        """The module unit tests, and sanity's compile and import tests, on one Python; its row of the summary."""
        python = find_python(version)
        if python is None:
            print(f'--- Python {version}: NOT RUN, not installed')
            return ('modules on Python ' + version, 'not installed', 'NOT RUN', '-', 'NOT RUN', '')
        args = ['MODULE_PYTHON=' + python]
        what = 'modules on Python ' + version
        if version in MODULE_PYTHON_CORES:
            args.append('MODULE_CORE=' + MODULE_PYTHON_CORES[version])
            what += f' (ansible-test {MODULE_PYTHON_CORES[version]})'
        units, units_time = self.step(f'Python {version} module units', ['module-units'] + args)
        sanity, sanity_time = self.step(f'Python {version} compile and import', ['module-sanity'] + args)
        return (what, version, units, '-', sanity, minutes(units_time + sanity_time))

    def summary(self, elapsed, report_path=None):
        widths = [max(len(str(row[column])) for row in [SUMMARY_HEADER] + self.rows) for column in range(len(SUMMARY_HEADER))]
        print(f'\nTest matrix ({minutes(elapsed)} in all):')
        for row in [SUMMARY_HEADER, tuple('-' * width for width in widths)] + self.rows:
            print('  '.join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
        results = [cell for row in self.rows for cell in row[2:5]]
        failed = sum(1 for cell in results if cell.startswith('FAILED'))
        not_run = sum(1 for row in self.rows if 'NOT RUN' in row[2:5])
        totals = f'{failed} failed, {not_run} not run (no Python for them here)'
        print(totals)
        if report_path:
            write_report(report_path, self.rows, totals, elapsed, self.jobs)
        return failed


def write_report(path, rows, totals, elapsed, jobs):
    """The summary as the Markdown page the README's support table points to: what was run, on which commit, when."""
    commit = subprocess.run(['git', 'log', '-1', '--format=%h %cs'], stdout=subprocess.PIPE, check=False, text=True).stdout.strip()
    dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], stdout=subprocess.PIPE, check=False, text=True).stdout.strip()
    lines = [
        '# Test matrix',
        '',
        'Written by `make test-matrix` (tools/test_matrix.py) on {0}, at commit {1}{2}, in {3}. A line or Python'.format(
            time.strftime('%Y-%m-%d'), commit or 'unknown', ' with local changes' if dirty else '', minutes(elapsed)
        ),
        'missing on the machine is NOT RUN, never passed. Integration runs every target, the fault campaign included.',
        f'Times are wall times on {os.cpu_count()} cores, with {jobs} ansible-core line(s) tested at a time (`--jobs`).',
        '',
        '| ' + ' | '.join(SUMMARY_HEADER) + ' |',
        '|' + '---|' * len(SUMMARY_HEADER),
    ]
    lines.extend('| ' + ' | '.join(str(cell) for cell in row) + ' |' for row in rows)
    lines.extend(['', totals, ''])
    with open(path, 'w', encoding='utf-8') as report:
        report.write('\n'.join(lines))


def release_of(venv):
    """The ansible-core release installed in a virtualenv (2.16.19), or '?'."""
    return python_output(os.path.join(venv, 'bin', 'python'), 'import ansible.release; print(ansible.release.__version__)') or '?'


def python_of_interpreter(python):
    return subprocess.run([python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], stdout=subprocess.PIPE, check=True, text=True).stdout.strip()


def minutes(seconds):
    return f'{int(seconds) // 60}m{int(seconds) % 60:02d}s'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--log-dir', required=True)
    parser.add_argument('--cores', default=','.join(CORE_PYTHONS), help='ansible-core lines, comma-separated')
    parser.add_argument('--pythons', default=','.join(MODULE_PYTHONS), help='Pythons for the module unit tests, comma-separated')
    parser.add_argument('--report', help='also write the summary to this Markdown file')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='ansible-core lines tested at once (default 1); each has its own virtualenv, stage and emulator, and'
        ' integration mostly waits for processes to start, so two share two cores well. The module Pythons run one at a'
        ' time after them: they share one stage.',
    )
    args = parser.parse_args()
    cores = [core for core in args.cores.split(',') if core]
    pythons = [version for version in args.pythons.split(',') if version]
    unknown = [core for core in cores if core not in CORE_PYTHONS]
    if unknown:
        parser.error('unknown ansible-core line(s) {0}; known: {1}'.format(', '.join(unknown), ', '.join(CORE_PYTHONS)))

    if args.jobs < 1:
        parser.error('--jobs must be 1 or more')

    started = time.monotonic()
    matrix = Matrix(args.log_dir, args.jobs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as lines:
        matrix.rows.extend(lines.map(matrix.core, cores))  # in the order of --cores, whichever ends first
    matrix.rows.extend(matrix.module_python(version) for version in pythons)
    return 1 if matrix.summary(time.monotonic() - started, args.report) else 0


if __name__ == '__main__':
    sys.exit(main())
