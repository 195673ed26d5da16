# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Conference ids that have broken URL building in other clients.

The emulator keeps each one an opaque path segment, and the tests send them all: the client's unit
tests (tests/unit/plugins/module_utils/test_hostile_input.py) and the reliability campaign's playbooks.
"""

HOSTILE_CONFERENCE_IDS = (
    '..',
    '.',
    '/',
    '?',
    '#',
    '%',
    '%2F',
    '%%',
    'a/../../oauth2/accessToken',
    '../../_emulator/reset',
    'id?unionId=evil#frag',
    'tab\tid',
    'line\r\nX-Injected: 1',
    '会议/ü',
    '\U0001f3a5 meeting',
    ' leading and trailing ',
    'semi;colon=1',
    'back\\slash',
    'quote\'"',
    '<script>alert(1)</script>',
    '+plus+&amp;',
    '$(reboot)',
    'x' * 10240,
)
