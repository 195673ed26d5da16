# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the emulator's two APIs and its HTTP server share: a decoded request, routes, the error answer.

A leaf: it imports nothing of the emulator, and every other part of it may import it.
"""

import dataclasses
from typing import Any, Optional

TOKEN_HEADER = "x-acs-dingtalk-access-token"
REQUEST_ID_HEADER = "x-acs-request-id"
# DingTalk labels its JSON answers with the charset, as live answers show.
JSON_CONTENT_TYPE = "application/json;charset=utf-8"
ANY_SEGMENT = object()  # route placeholder: one path segment, captured as a parameter


def match_route(routes, method, segments):
    """Return (name, captured parameters) of the route matching decoded segments, or (None, [])."""
    for route_method, pattern, name in routes:
        if route_method != method or len(pattern) != len(segments):
            continue
        params = []
        for expected, actual in zip(pattern, segments):
            if expected is ANY_SEGMENT:
                params.append(actual)
            elif expected != actual:
                break
        else:
            return name, params
    return None, []


class ApiError(Exception):
    """An error answer: HTTP status, DingTalk code and message, plus extra body keys."""

    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self, request_id):
        return dict({"code": self.code, "message": self.message, "requestid": request_id}, **self.extra)


def admin_error(message):
    """The admin API's answer to bad input."""
    return ApiError(400, "badRequest", message)


def check_choice(value, choices, name):
    if value not in choices:
        raise admin_error("{} must be one of {}".format(name, ", ".join(str(choice) for choice in choices)))
    return value


def check_number(value, name, minimum=0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise admin_error(f"{name} must be a number >= {minimum}")
    return value


def check_string(value, name):
    if not isinstance(value, str) or not value:
        raise admin_error(f"{name} must be a non-empty string")
    return value


@dataclasses.dataclass
class Call:
    """One decoded request, as the API and admin operations see it."""

    name: Optional[str]
    params: list
    query: dict
    body: Any = None
    token: Optional[str] = None
    principal: Optional[str] = None  # filled in once the caller is known, for the request log
    versioned: bool = True  # False for a path outside /v1.0, which another gateway of DingTalk answers

    @classmethod
    def of_body(cls, body):
        """A call with only a body: how the admin API applies a seed item through its own operations."""
        return cls(None, [], {}, body)

    def json_object(self, error):
        """The body as a dict (absent body = {}); anything else raises ``error``."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise error
        return self.body
