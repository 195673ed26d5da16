# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The archive scenario of run_benchmark.py (--scenario archive): dingtalk_cloud_record_archive against the emulator's file host.

  1. A 1 GiB recording archived by ansible-playbook: the peak memory of the whole process tree (the sum of
     the resident set sizes of ansible-playbook and every process under it, sampled every 50 ms; and the
     sum of their proportional set sizes, which counts the pages that forked workers share once), and the
     largest single process.
  2. Throughput of that download against curl fetching the same recording from the same file host on the
     same machine, taking turns run by run; measured by the file host (first to last byte of each answer),
     so that ansible-playbook's start-up is not counted, and also as wall time of the whole playbook.
  3. A rerun over the 1 GiB recording, and over 100 archived recordings (batch mode): no request for a body
     may reach the file host.

For scale, the same memory figures of a playbook of one ansible.builtin.ping task (ansible-playbook's own
floor), and of the rerun (the same module, nothing downloaded): the difference is what downloading costs.

Writes docs/benchmarks/archive/README.md and results.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

import requests
from emulator.admin import EmulatorAdmin  # pylint: disable=import-error  # run_benchmark.py puts tests/ on sys.path
from emulator.file_host import object_sha256  # pylint: disable=import-error

HERE = os.path.dirname(os.path.abspath(__file__))
APP_KEY = 'ding-bench-app'
APP_SECRET = 'bench-secret'
HOST_UNION_ID = 'host-union-bench'
GIB = 1024**3
BIG_CONFERENCE = 'bench-archive-1gib'
BIG_MEDIA = 'bench-media-1gib'
MANY = 100
MANY_SIZE = 256 * 1024
MEMORY_TARGET_MIB = 100
THROUGHPUT_TARGET = 1.2


class TreeMemory:
    """Samples the memory of a process and all its descendants until stopped; keeps the peaks (bytes)."""

    def __init__(self, root_pid, interval=0.05):
        self.root_pid = root_pid
        self.interval = interval
        self.peak_rss = self.peak_pss = self.peak_single_rss = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            rss = pss = single = 0
            tree = self._tree()
            for pid in tree:
                process_rss, process_pss = _memory(pid)
                rss += process_rss
                pss += process_pss
                single = max(single, process_rss)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_single_rss = max(self.peak_single_rss, single)
            self.peak_processes = max(self.peak_processes, len(tree))
            self._stop.wait(self.interval)

    def _tree(self):
        children = {}
        for name in os.listdir('/proc'):
            if not name.isdigit():
                continue
            try:
                with open(f'/proc/{name}/stat', encoding='utf-8') as stat:
                    fields = stat.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(name))
        tree, todo = [], [self.root_pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        return tree


def _memory(pid):
    """(RSS, PSS) of a process in bytes; (0, 0) once it has gone."""
    rss = pss = 0
    try:
        with open(f'/proc/{pid}/status', encoding='utf-8') as status:
            for line in status:
                if line.startswith('VmRSS:'):
                    rss = int(line.split()[1]) * 1024
        with open(f'/proc/{pid}/smaps_rollup', encoding='utf-8') as rollup:
            for line in rollup:
                if line.startswith('Pss:'):
                    pss = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return rss, pss


class Bench:
    def __init__(self, server, collections_path, work_dir):
        self.api = server.url
        self.admin = EmulatorAdmin(server.url, timeout=60)
        self.files = self.admin.file_host()
        self.collections_path = collections_path
        self.work_dir = work_dir
        self.session = requests.Session()  # for the DingTalk call that hands out the signed link
        self.session.trust_env = False

    def prepare(self):
        self.admin.reset()
        conferences = [{'conference_id': BIG_CONFERENCE, 'host_union_id': HOST_UNION_ID, 'status': 1, 'cloud_record_status': 3}]
        conferences += [{'conference_id': many_id(number), 'host_union_id': HOST_UNION_ID, 'status': 1, 'cloud_record_status': 3} for number in range(MANY)]
        self.admin.seed({'apps': [{'app_key': APP_KEY, 'app_secret': APP_SECRET}], 'conferences': conferences})
        self.admin.add_recordings(BIG_CONFERENCE, videos=[{'media_id': BIG_MEDIA, 'file_size': GIB}])
        for number in range(MANY):
            self.admin.add_recordings(many_id(number), videos=[{'media_id': f'bench-media-{number:03d}', 'file_size': MANY_SIZE}])

    def file_requests(self):
        return self.files.requests()

    def clear_file_requests(self):
        self.files.clear_requests()

    def signed_link(self):
        token = self.admin.mint_token(APP_KEY)
        answer = self.session.get(
            self.api + f'/v1.0/conference/videoConferences/{BIG_CONFERENCE}/cloudRecords/videos/getPlayInfos',
            params={'mediaId': BIG_MEDIA, 'regionId': 'cn-hangzhou', 'unionId': HOST_UNION_ID},
            headers={'x-acs-dingtalk-access-token': token},
            timeout=60,
        )
        answer.raise_for_status()
        return answer.json()['mp4FileUrl']

    def playbook(self, dest, playbook='archive.yml', **extra):
        extra_vars = dict(api_url=self.api, app_key=APP_KEY, app_secret=APP_SECRET, host_union_id=HOST_UNION_ID, dest=dest, **extra)
        vars_file = os.path.join(self.work_dir, 'vars.json')
        with open(vars_file, 'w', encoding='utf-8') as handle:
            json.dump(extra_vars, handle)
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=self.collections_path,
            DINGTALK_TOKEN_CACHE_DIR=os.path.join(self.work_dir, 'tokens'),
            ANSIBLE_STDOUT_CALLBACK='ansible.builtin.minimal',
            ANSIBLE_NOCOLOR='1',
        )
        command = ['ansible-playbook', '-i', os.path.join(HERE, 'playbooks', 'inventory.yml'), '-e', '@' + vars_file, os.path.join(HERE, 'playbooks', playbook)]
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        with TreeMemory(process.pid) as memory:
            output = process.communicate()[0].decode('utf-8', 'replace')
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            raise RuntimeError('the archive playbook failed:\n' + output[-3000:])
        return {
            'seconds': seconds,
            'changed': '"changed": true' in output,
            'peak_tree_rss': memory.peak_rss,
            'peak_tree_pss': memory.peak_pss,
            'peak_single_rss': memory.peak_single_rss,
            'processes': memory.peak_processes,
        }


def many_id(number):
    return f'bench-archive-{number:03d}'


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(4 * 1024 * 1024), b''):
            digest.update(block)
    return digest.hexdigest()


def mib(value):
    return round(value / (1024 * 1024), 1)


def run(server, collections_path, runs, output_dir, machine_info):
    expected_sha256 = object_sha256(BIG_MEDIA, GIB)
    with tempfile.TemporaryDirectory(prefix='dingtalk-archive-bench-') as work_dir:
        bench = Bench(server, collections_path, work_dir)
        bench.prepare()
        dest = os.path.join(work_dir, 'dest')
        os.mkdir(dest)
        archived = os.path.join(dest, BIG_CONFERENCE, BIG_MEDIA + '.mp4')
        curl_output = os.path.join(work_dir, 'curl.mp4')
        module_runs, curl_runs = [], []
        for _turn in range(runs):
            # The module: from nothing, so that the whole file is downloaded.
            shutil.rmtree(os.path.join(dest, BIG_CONFERENCE), ignore_errors=True)
            bench.clear_file_requests()
            run_result = bench.playbook(dest, conference_id=BIG_CONFERENCE)
            [transfer] = [entry for entry in bench.file_requests() if entry['status'] in (200, 206)]
            run_result.update(transfer_seconds=transfer['duration'], bytes=transfer['bytes_sent'], identical=sha256_of(archived) == expected_sha256)
            module_runs.append(run_result)
            os.remove(archived)
            # curl, on a link of its own for the same recording.
            link = bench.signed_link()
            bench.clear_file_requests()
            started = time.perf_counter()
            subprocess.run(['curl', '--silent', '--show-error', '--fail', '--output', curl_output, link], check=True)
            wall = time.perf_counter() - started
            [transfer] = bench.file_requests()
            curl_runs.append({'seconds': wall, 'transfer_seconds': transfer['duration'], 'bytes': transfer['bytes_sent']})
            os.remove(curl_output)
            print(
                'archive 1 GiB: module {0:.2f} s wall, {1:.2f} s transfer, tree RSS {2} MiB, PSS {3} MiB; curl {4:.2f} s wall, {5:.2f} s transfer'.format(
                    run_result['seconds'],
                    run_result['transfer_seconds'],
                    mib(run_result['peak_tree_rss']),
                    mib(run_result['peak_tree_pss']),
                    wall,
                    transfer['duration'],
                ),
                flush=True,
            )

        baseline = bench.playbook(dest, playbook='baseline.yml')
        # Reruns: the 1 GiB file once more complete, then 100 recordings archived and archived again.
        bench.playbook(dest, conference_id=BIG_CONFERENCE)
        bench.clear_file_requests()
        big_rerun = bench.playbook(dest, conference_id=BIG_CONFERENCE)
        big_rerun['file_host_requests'] = len(bench.file_requests())
        many_ids = [many_id(number) for number in range(MANY)]
        many_first = bench.playbook(dest, conference_ids=many_ids)
        many_first['file_host_requests'] = len(bench.file_requests()) - big_rerun['file_host_requests']
        bench.clear_file_requests()
        many_rerun = bench.playbook(dest, conference_ids=many_ids)
        many_rerun['file_host_requests'] = len(bench.file_requests())
        print(
            'rerun 1 GiB: changed {0}, {1} file host requests; 100 recordings: first run {2:.2f} s ({3} downloads), rerun {4:.2f} s, '
            'changed {5}, {6} file host requests'.format(
                big_rerun['changed'],
                big_rerun['file_host_requests'],
                many_first['seconds'],
                many_first['file_host_requests'],
                many_rerun['seconds'],
                many_rerun['changed'],
                many_rerun['file_host_requests'],
            ),
            flush=True,
        )

    results = summarise(module_runs, curl_runs, big_rerun, many_first, many_rerun)
    results['baseline'] = baseline
    results['targets'].insert(
        3,
        {
            'target': 'memory the 1 GiB download adds over the rerun that downloads nothing (sum of RSS / PSS)',
            'measured': '{0} / {1} MiB (rerun {2} / {3} MiB; ansible.builtin.ping alone {4} / {5} MiB)'.format(
                mib(max(run['peak_tree_rss'] for run in module_runs) - big_rerun['peak_tree_rss']),
                mib(max(run['peak_tree_pss'] for run in module_runs) - big_rerun['peak_tree_pss']),
                mib(big_rerun['peak_tree_rss']),
                mib(big_rerun['peak_tree_pss']),
                mib(baseline['peak_tree_rss']),
                mib(baseline['peak_tree_pss']),
            ),
            'met': max(run['peak_tree_rss'] for run in module_runs) - big_rerun['peak_tree_rss'] < 10 * 1024 * 1024,
        },
    )
    write_report(output_dir, results, runs, machine_info)
    return results


def summarise(module_runs, curl_runs, big_rerun, many_first, many_rerun):
    module_transfer = statistics.median(run['transfer_seconds'] for run in module_runs)
    curl_transfer = statistics.median(run['transfer_seconds'] for run in curl_runs)
    peak_rss = max(run['peak_tree_rss'] for run in module_runs)
    peak_pss = max(run['peak_tree_pss'] for run in module_runs)
    checks = [
        (
            '1 GiB archived, byte-identical, every run',
            'identical in {0} of {1}'.format(sum(run['identical'] for run in module_runs), len(module_runs)),
            all(run['identical'] for run in module_runs),
        ),
        (
            f'whole ansible-playbook tree under {MEMORY_TARGET_MIB} MiB (sum of RSS)',
            f'{mib(peak_rss)} MiB',
            peak_rss < MEMORY_TARGET_MIB * 1024 * 1024,
        ),
        (
            f'whole ansible-playbook tree under {MEMORY_TARGET_MIB} MiB (sum of PSS)',
            f'{mib(peak_pss)} MiB',
            peak_pss < MEMORY_TARGET_MIB * 1024 * 1024,
        ),
        (
            f'transfer within {THROUGHPUT_TARGET}x of curl (file host timing, median)',
            f'{module_transfer:.2f} s vs {curl_transfer:.2f} s = {module_transfer / curl_transfer:.2f}x',
            module_transfer <= THROUGHPUT_TARGET * curl_transfer,
        ),
        (
            'rerun of the 1 GiB recording: no file host request',
            '{0} requests, changed {1}'.format(big_rerun['file_host_requests'], big_rerun['changed']),
            big_rerun['file_host_requests'] == 0 and not big_rerun['changed'],
        ),
        (
            f'rerun over {MANY} archived recordings: no file host request',
            '{0} requests, changed {1}'.format(many_rerun['file_host_requests'], many_rerun['changed']),
            many_rerun['file_host_requests'] == 0 and not many_rerun['changed'],
        ),
    ]
    return {
        'module_runs': module_runs,
        'curl_runs': curl_runs,
        'big_rerun': big_rerun,
        'many_first': many_first,
        'many_rerun': many_rerun,
        'module_transfer_median': module_transfer,
        'curl_transfer_median': curl_transfer,
        'module_wall_median': statistics.median(run['seconds'] for run in module_runs),
        'curl_wall_median': statistics.median(run['seconds'] for run in curl_runs),
        'targets': [{'target': name, 'measured': measured, 'met': met} for name, measured, met in checks],
    }


def write_report(output_dir, results, runs, machine_info):
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, 'results.json'), 'w', encoding='utf-8') as handle:
        json.dump({'machine': machine_info, 'results': results}, handle, indent=2)
    lines = [
        '# Benchmark: archiving cloud recordings',
        '',
        'Generated by `tests/benchmarks/run_benchmark.py --scenario archive`; do not edit by hand.',
        '',
        f'dingtalk_cloud_record_archive against the DingTalk emulator and its file host, on loopback, {runs} run(s) taking turns with '
        'curl fetching the same 1 GiB recording (a link of its own) from the same file host. Transfer times are the file host\'s, '
        'from the request to the last byte written; wall times include ansible-playbook\'s start-up, the token and the DingTalk '
        'calls. Memory is sampled every 50 ms over ansible-playbook and every process under it.',
        '',
        '| run | module wall (s) | module transfer (s) | MiB/s | tree RSS peak (MiB) | tree PSS peak (MiB) | largest process (MiB) '
        '| curl wall (s) | curl transfer (s) | MiB/s |',
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    for number, (module, curl) in enumerate(zip(results['module_runs'], results['curl_runs']), 1):
        lines.append(
            '| {0} | {1:.2f} | {2:.2f} | {3:.0f} | {4} | {5} | {6} | {7:.2f} | {8:.2f} | {9:.0f} |'.format(
                number,
                module['seconds'],
                module['transfer_seconds'],
                module['bytes'] / module['transfer_seconds'] / 2**20,
                mib(module['peak_tree_rss']),
                mib(module['peak_tree_pss']),
                mib(module['peak_single_rss']),
                curl['seconds'],
                curl['transfer_seconds'],
                curl['bytes'] / curl['transfer_seconds'] / 2**20,
            )
        )
    lines += [
        '',
        'Reruns: the 1 GiB recording once complete, {0:.2f} s; {1} recordings of {2} KiB in one batch run: {3:.2f} s the first '
        'time ({4} downloads), {5:.2f} s again.'.format(
            results['big_rerun']['seconds'],
            MANY,
            MANY_SIZE // 1024,
            results['many_first']['seconds'],
            results['many_first']['file_host_requests'],
            results['many_rerun']['seconds'],
        ),
    ]
    lines += [
        '',
        'Memory floor: a playbook of one `ansible.builtin.ping` task peaks at {0} MiB (sum of RSS) and {1} MiB (sum of PSS) '
        'over {2} processes; the archive rerun, which downloads nothing, at {3} and {4} MiB.'.format(
            mib(results['baseline']['peak_tree_rss']),
            mib(results['baseline']['peak_tree_pss']),
            results['baseline']['processes'],
            mib(results['big_rerun']['peak_tree_rss']),
            mib(results['big_rerun']['peak_tree_pss']),
        ),
    ]
    lines += ['', '## Targets', '', '| target | measured | met |', '|---|---|---|']
    lines += ['| {0} | {1} | {2} |'.format(check['target'], check['measured'], 'yes' if check['met'] else '**no**') for check in results['targets']]
    lines += ['', '## Machine', '']
    lines += [f'- {key}: {value}' for key, value in machine_info.items()]
    with open(os.path.join(output_dir, 'README.md'), 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines) + '\n')
