# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cases of the reliability campaign, as data: the module's settings, the faults the emulator injects, the kinds of
conference and what stopping each must end in, and the hostile ids, answers and options.

campaign.py runs them, judge.py checks the results against them, report.py writes them up.
"""

from __future__ import annotations

import base64
import json
import os
import re

from emulator.hostile_ids import HOSTILE_CONFERENCE_IDS  # pylint: disable=import-error  # tests/ is on sys.path (tools/reliability_report.py)

CONFERENCES = '/v1.0/conference/videoConferences/'

APP_KEY = 'ding-reliability-app'
APP_SECRET = 'reliability-app-secret-5d1f09'
HOST = 'host-union-reliability'
OTHER_HOST = 'host-union-somebody-else'

TIMEOUT = 1  # seconds, the module's timeout option
SLOW_ANSWER = 2.0  # seconds a slow answer takes: more than TIMEOUT
RETRIES = 8  # a call fails all 9 attempts with a chance of 0.2 ** 9, about 5e-7
RATE_LIMIT = 500  # calls a second per API: far above what the campaign needs, so it is not rate-bound
CONCURRENCY = 16
SEED = 20260401  # the emulator's fault generator
# Upper bounds of the time one ansible-playbook run and one module run take beyond their DingTalk calls.
PLAYBOOK_OVERHEAD = 60
MODULE_RUN_OVERHEAD = 5

# The faults, in the order the emulator tries them; a call gets at most one per phase. "after" runs
# the operation first: the stop happened, its answer is lost or late. Together about 20 % of calls.
FAULTS = (
    ('500 systemError', {'kind': 'error', 'status': 500, 'code': 'systemError', 'probability': 0.06}),
    ('500 innerSystemError', {'kind': 'error', 'status': 500, 'code': 'innerSystemError', 'probability': 0.03}),
    # Throttling answers hold every caller of the API back a second (see _rate_limit.py): rarer, or the run is all pauses.
    ('429 system.busy', {'kind': 'error', 'status': 429, 'code': 'system.busy', 'probability': 0.005}),
    ('403 QPS limit', {'kind': 'error', 'status': 403, 'code': 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', 'probability': 0.005}),
    ('502 HTML page', {'kind': 'html', 'status': 502, 'probability': 0.03}),
    ('dropped connection', {'kind': 'drop', 'probability': 0.02}),
    ('slow answer', {'kind': 'delay', 'delay': SLOW_ANSWER, 'probability': 0.015}),
    ('answer lost after the call', {'kind': 'drop', 'phase': 'after', 'probability': 0.025}),
    ('slow answer after the call', {'kind': 'delay', 'delay': SLOW_ANSWER, 'phase': 'after', 'probability': 0.015}),
    ('answer cut off after the call', {'kind': 'truncated', 'phase': 'after', 'probability': 0.01}),
)

# Kinds of conference, by position in each group of 20, and what stopping must end in:
# (outcome, changed, cloud_record_status afterwards).
KIND_PATTERN = ('recording',) * 16 + ('paused', 'idle', 'finished', 'ended or foreign')
SEEDS = {
    'recording': {'status': 2, 'cloud_record_status': 1},
    'paused': {'status': 2, 'cloud_record_status': 2},
    'idle': {'status': 2, 'cloud_record_status': 0},
    'finished': {'status': 2, 'cloud_record_status': 3},
    'ended': {'status': 1, 'cloud_record_status': 3},
    'foreign': {'status': 2, 'cloud_record_status': 1, 'host_union_id': OTHER_HOST},
}
EXPECTED = {
    'recording': ('stopped', True, 3),
    'paused': ('stopped', True, 3),
    'idle': ('not_recording', False, 0),
    'finished': ('not_recording', False, 3),
    'ended': ('meeting_ended', False, 3),
    'foreign': ('failed', False, 1),
}
FOREIGN_CODE = 'recordStopPermissionError'
MAYBE_DONE = 'may have carried it out anyway'

# The modules remove white space around an ID (DingTalk's IDs carry none; AWX survey answers may), so an ID with
# it would reach DingTalk as another conference: the campaign sends the others; the client's unit tests send all.
HOSTILE_IDS = tuple(conference_id for conference_id in HOSTILE_CONFERENCE_IDS if conference_id == conference_id.strip())
HOSTILE_UNION_IDS = ('host\r\nX-Injected: 1', 'host\nx-acs-dingtalk-access-token: stolen', '"}, "unionId": "other', 'ü host \U0001f3a5')


def conference_kinds(prefix, count):
    """``{conference id: kind}`` of ``count`` conferences named prefix-0001...: four of every 20 are not plainly recording."""
    kinds = {}
    for index in range(count):
        kind = KIND_PATTERN[index % len(KIND_PATTERN)]
        if kind == 'ended or foreign':
            kind = 'ended' if (index // len(KIND_PATTERN)) % 2 == 0 else 'foreign'
        kinds[f'{prefix}-{index + 1:04d}'] = kind
    return kinds


def seed_conferences(kinds):
    """The emulator's seed of the conferences of ``kinds``."""
    return [dict({'conference_id': conference_id, 'host_union_id': HOST}, **SEEDS[kind]) for conference_id, kind in kinds.items()]


def stop_vars(kinds, retries):
    """The playbook variables of a stop of the conferences of ``kinds``."""
    return {'conference_ids': list(kinds), 'union_id': HOST, 'timeout': TIMEOUT, 'retries': retries, 'rate_limit': RATE_LIMIT, 'concurrency': CONCURRENCY}


def fault_rules():
    """The campaign's faults as the emulator's rules, for every API."""
    return [dict(rule, api='*') for _name, rule in FAULTS]


def hostile_union_id_conferences():
    """``[(conference id, hostile union id)]``: one conference hosted by each."""
    return [(f'union-{index}', union_id) for index, union_id in enumerate(HOSTILE_UNION_IDS)]


def hostile_answers():
    """Conferences answer-01...: each gets one hostile answer to its query or its stop (the emulator's raw fault)."""
    # (name, the call answered, the raw fault, what the result must say: "stopped" or a part of the failure message,
    #  whether a failed stop happened all the same: its answer was replaced after it)
    cases = (
        (
            'cloudRecordStatus "1" (a number sent as a string)',
            'conference.get',
            {'body': '{"confInfo": {"status": 2, "cloudRecordStatus": "1"}}'},
            'stopped',
            False,
        ),
        (
            'cloudRecordStatus null',
            'conference.get',
            {'body': '{"confInfo": {"status": 2, "cloudRecordStatus": null}}'},
            'confInfo.cloudRecordStatus = None',
            False,
        ),
        (
            'cloudRecordStatus "²" (a digit Python cannot int())',
            'conference.get',
            {'body': '{"confInfo": {"status": 2, "cloudRecordStatus": "\\u00b2"}}'},
            'confInfo.cloudRecordStatus',
            False,
        ),
        ('status true', 'conference.get', {'body': '{"confInfo": {"status": true, "cloudRecordStatus": 1}}'}, 'confInfo.status = True', False),
        (
            'cloudRecordStatus 10**30',
            'conference.get',
            {'body': '{"confInfo": {"status": 2, "cloudRecordStatus": 1' + '0' * 30 + '}}'},
            'confInfo.cloudRecordStatus',
            False,
        ),
        ('no confInfo', 'conference.get', {'body': '{"requestId": "x"}'}, 'without a confInfo object', False),
        ('confInfo is a list', 'conference.get', {'body': '{"confInfo": [2, 1]}'}, 'without a confInfo object', False),
        ('a JSON array', 'conference.get', {'body': '[]'}, 'HTTP 200 with a body that is not a JSON object', False),
        ('truncated body', 'conference.get', {'kind': 'truncated', 'body': '{"confInfo": {"status": 2, "cloudRecordStatus": 1}}'}, 'was cut off', False),
        ('50 MB body', 'conference.get', {'body': 'x' * 1024, 'repeat': 50 * 1024}, 'larger than 4 MiB', False),
        (
            '50 MB body without a length',
            'conference.get',
            {'body': 'x' * 1024, 'repeat': 50 * 1024, 'headers': {'Content-Length': None}},
            'larger than 4 MiB',
            False,
        ),
        (
            'non-UTF-8 body',
            'conference.get',
            {'body_base64': base64.b64encode(b'{"confInfo": "\xff\xfe"}').decode('ascii')},
            'HTTP 200 with a body that is not a JSON object',
            False,
        ),
        ('JSON nested 100000 deep', 'conference.get', {'body': '[' * 100000}, 'HTTP 200 with a body that is not a JSON object', False),
        (
            'an HTML page with HTTP 200',
            'conference.get',
            {'body': '<html><body>maintenance</body></html>', 'content_type': 'text/html'},
            'not a JSON object (text/html)',
            False,
        ),
        (
            'a JSON answer labelled text/plain',
            'conference.get',
            {'body': '{"confInfo": {"status": 2, "cloudRecordStatus": 1}}', 'content_type': 'text/plain'},
            'stopped',
            False,
        ),
        (
            'an error with a 10 kB message',
            'conference.get',
            {'status': 500, 'body': json.dumps({'code': 'systemError', 'message': 'm' * 10240})},
            'DingTalk error systemError: mmm',
            False,
        ),
        (
            'a redirect to another host',
            'conference.get',
            {'status': 307, 'body': '{}', 'headers': {'Location': 'http://127.0.0.1:9/steal'}},
            'a redirect, which is not followed',
            False,
        ),
        ('the stop answered 302 {"code": "200"}', 'cloudRecord.stop', {'status': 302, 'body': '{"code": "200"}'}, 'a redirect, which is not followed', False),
        (
            'the stop answered HTTP 200 with HTML, after stopping',
            'cloudRecord.stop',
            {'body': '<html>ok</html>', 'content_type': 'text/html', 'phase': 'after'},
            'not a JSON object',
            True,
        ),
        (
            'the stop answered with a 50 MB body, after stopping',
            'cloudRecord.stop',
            {'body': 'x' * 1024, 'repeat': 50 * 1024, 'phase': 'after'},
            'larger than 4 MiB',
            True,
        ),
    )
    answers = []
    for index, (name, api, rule, expect, stopped_anyway) in enumerate(cases):
        conference_id = f'answer-{index + 1:02d}'
        rule = dict({'kind': 'raw', 'api': api, 'path_regex': '^' + re.escape(CONFERENCES + conference_id) + '(/|$)'}, **rule)
        answers.append(
            {
                'name': name,
                'conference_id': conference_id,
                'rule': rule,
                'expect': expect,
                'stopped_anyway': stopped_anyway,
                'stop_called': expect == 'stopped' or api == 'cloudRecord.stop',
            }
        )
    return answers


def hostile_options(api_url, scanned):
    host_port = api_url.split('://', 1)[1]
    cases = (
        ({'api_url': 'http://user:password@' + host_port}, 'api_url must not contain credentials'),
        ({'api_url': api_url + '/v1.0/oauth2/accessToken'}, 'api_url must be scheme://host[:port] only'),
        ({'api_url': api_url + '?redirect=evil'}, 'api_url must be scheme://host[:port] only'),
        ({'api_url': 'ftp://' + host_port}, 'api_url must be an http:// or https:// URL'),
        ({'api_url': 'javascript:alert(1)'}, 'api_url must be an http:// or https:// URL'),
        ({'api_url': 'file:///etc/passwd'}, 'api_url must be an http:// or https:// URL'),
        ({'api_url': 'http://[::1'}, 'api_url is not a valid URL'),
        ({'api_url': api_url + '\r\nX-Injected: 1'}, 'api_url must not contain white space or control characters'),
        ({'api_url': 'http://\u0080'}, 'api_url has an invalid host name'),
        ({'access_token': 'token\r\nX-Injected: 1'}, 'access_token must be a non-empty string of visible ASCII characters'),
        ({'access_token': 'tök'}, 'access_token must be a non-empty string of visible ASCII characters'),
        ({'conference_id': '   '}, 'conference_id must not be empty or only white space'),
        ({'conference_ids': ['conf-a', '\t']}, 'conference_ids[1] must not be empty or only white space'),
        ({'union_id': ' '}, 'union_id must not be empty or only white space'),
        ({'timeout': 0}, 'timeout must be greater than 0'),
        ({'retries': 11}, 'retries must be between 0 and 10'),
        ({'ca_path': os.path.join(scanned, 'no-such-ca.pem')}, 'does not exist or cannot be read'),
        ({'conference_ids': ['conf-a'], 'rate_limit': -1}, 'rate_limit must be greater than 0'),
        ({'conference_ids': ['conf-a'], 'concurrency': 1000}, 'concurrency must be between 1 and 64'),
    )
    options = []
    for values, expected in cases:
        option = dict(values, expected=expected, label=printable(', '.join(f'{name}={value}' for name, value in values.items())))
        if 'conference_ids' not in option:
            option.setdefault('conference_id', 'conf-a')
        options.append(option)
    return options


def printable(value):
    """A value for the report: control characters escaped, long ones shortened."""
    text = value if value.isprintable() else value.encode('unicode_escape').decode('ascii')
    return text if len(text) <= 60 else f'{text[:40]}... ({len(value)} characters)'
