# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What an HTTP answer from DingTalk says: its JSON object, or the DingTalkError it stands for.

Every answer is read as hostile: a body that is not JSON, a redirect, an anti-abuse page, an error
hidden in a success answer, texts too long to quote. This is a private module: its interface may
change without notice.
"""

from __future__ import annotations

import json

from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, is_sendable_token

REQUEST_ID_HEADER = 'x-acs-request-id'

# What a task message quotes of texts the server chose (error messages, codes, content types).
MAX_QUOTED_CHARACTERS = 300

# DingTalk blocks an egress IP address that calls too often (more than 10,000 calls within 20 seconds
# blocks it for five minutes), answering with an HTML page or an anti-abuse JSON body instead of its
# JSON. Every further call from the address is one more call of a blocked caller: such an answer is final.
IP_BLOCK_STATUS = '1111'  # the "status" of the anti-abuse body, as public reports of live answers show it
# The statuses besides 2xx a blocking gateway answers with; an HTML page with another one (404, 502, ...)
# is a wrong host or a failing gateway, and a 5xx page stays worth a retry.
IP_BLOCK_PAGE_STATUSES = frozenset((403, 429))
IP_BLOCK_ADVICE = (
    'the egress IP address is probably blocked for making too many calls (DingTalk blocks an address for '
    'five minutes after more than 10,000 calls within 20 seconds). Not retried: wait a few minutes, and look '
    'for what called DingTalk so often.'
)

# Every DingTalk API answers JSON, errors too: another answer is most often a web server that is not DingTalk's.
NOT_JSON_ADVICE = 'The host may not be DingTalk\'s API: check api_url.'


def unknown_outcome(status):
    """Whether an answer with ``status`` that we cannot read leaves open if the call was carried out.

    A 2xx says it was; a 5xx page from a gateway (not DingTalk's JSON) says nothing; a 3xx or 4xx one
    was refused before it reached DingTalk.
    """
    return 200 <= status < 300 or status >= 500


def parse_answer(status, headers, body):
    """Return the JSON object of a successful (2xx) answer, or raise DingTalkError."""
    request_id = quoted(headers.get(REQUEST_ID_HEADER))
    if 300 <= status < 400:
        raise DingTalkError(f'DingTalk answered HTTP {status}, a redirect, which is not followed; check api_url', http_status=status, request_id=request_id)
    try:
        payload = json.loads(body.decode('utf-8'))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested too deep to parse
        payload = None
    if not isinstance(payload, dict):
        content_type = quoted(headers.get('Content-Type')) or 'no content type'
        if _is_ip_block_page(status, headers, body):
            raise DingTalkError(
                f'DingTalk answered HTTP {status} with an HTML page, not a JSON object ({content_type}): {IP_BLOCK_ADVICE}',
                http_status=status,
                request_id=request_id,
                answer_lost=unknown_outcome(status),
                final=True,
            )
        not_json = DingTalkError(
            f'DingTalk answered HTTP {status} with a body that is not a JSON object ({content_type})',
            http_status=status,
            request_id=request_id,
            answer_lost=unknown_outcome(status),
        )
        not_json.advice = NOT_JSON_ADVICE
        raise not_json
    if quoted(payload.get('status')) == IP_BLOCK_STATUS and 'code' not in payload:
        # Refused before it reached the API, so nothing happened, whatever the HTTP status says.
        raise DingTalkError(
            f'DingTalk refused the call with its anti-abuse answer (status 1111, HTTP {status}): {IP_BLOCK_ADVICE}',
            http_status=status,
            request_id=request_id,
            answer_lost=False,
            final=True,
        )
    errcode = payload.get('errcode')
    if 200 <= status < 300 and errcode not in (None, 0, '0') and quoted(errcode):
        # DingTalk's older gateway (a path outside /v1.0, for one) reports errors in a success answer.
        raise DingTalkError(quoted(payload.get('errmsg')) or 'no message', code=quoted(errcode), http_status=status, request_id=request_id)
    if not 200 <= status < 300:
        detail = payload.get('accessdenieddetail')
        scopes = detail.get('requiredScopes') if isinstance(detail, dict) else None
        raise DingTalkError(
            quoted(payload.get('message')) or quoted(payload.get('errmsg')) or 'no message',
            code=quoted(payload.get('code')) or quoted(errcode) or f'HTTP{status}',
            http_status=status,
            request_id=quoted(payload.get('requestid')) or quoted(payload.get('requestId')) or request_id,
            required_scopes=[quoted(scope) for scope in scopes if quoted(scope)] if isinstance(scopes, list) else None,
        )
    return payload


def _is_ip_block_page(status, headers, body):
    """Whether a body that is not JSON is the HTML page DingTalk blocks an egress IP address with."""
    if not (200 <= status < 300 or status in IP_BLOCK_PAGE_STATUSES):
        return False
    content_type = (quoted(headers.get('Content-Type')) or '').lower()
    return 'html' in content_type or body.lstrip()[:1] == b'<'


def quoted(value):
    """A text (or number) DingTalk sent, shortened for a message; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = str(value)
    return text if len(text) <= MAX_QUOTED_CHARACTERS else text[:MAX_QUOTED_CHARACTERS] + '...'


def token_from_answer(answer):
    token = answer.get('accessToken') or answer.get('access_token')
    expires_in = answer.get('expireIn', answer.get('expires_in'))
    if not isinstance(token, str) or not token or isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise DingTalkError('DingTalk answered the token request without an accessToken and expireIn', http_status=200)
    if not is_sendable_token(token):
        # It could not be sent in a header, and a playbook could put it into one of its own.
        raise DingTalkError('DingTalk answered the token request with an accessToken that is not visible ASCII text', http_status=200)
    return token, expires_in
