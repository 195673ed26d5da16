# -*- coding: utf-8 -*-
# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-memory emulator of the DingTalk open API calls used by community.dingtalk.

DingTalk cannot be reached from the test machines, so every test and demo of the
collection talks to this server instead.  It follows the project's DingTalk API reference
(dingtalk-api.md); behaviour the reference leaves open is listed under "Assumptions" in README.md
next to this file.

Stdlib only, so it runs anywhere the collection's tests run:

    python tests/emulator/dingtalk_emulator.py --port 0 --port-file /tmp/port

or, from Python tests, ``with start_in_thread(qps_limit=5) as emulator: ...``.
"""

import argparse
import base64
import binascii
import collections
import copy
import dataclasses
import json
import os
import random
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qsl, unquote

try:
    from . import cloud_recordings, file_host
except ImportError:  # run as a script, or imported from this directory: the siblings are on sys.path
    import cloud_recordings  # pylint: disable=import-error
    import file_host  # pylint: disable=import-error

TOKEN_HEADER = "x-acs-dingtalk-access-token"
REQUEST_ID_HEADER = "x-acs-request-id"
TOKEN_LIFETIME = 7200
PERMISSION_READ = "VideoConference.Conference.Read"
PERMISSION_WRITE = "VideoConference.Conference.Write"
DEFAULT_PERMISSIONS = (PERMISSION_READ, PERMISSION_WRITE)
REGIONS = ("io", "com")
RECORD_MODES = ("grid", "speech", "full_screen")
WINDOW_POSITIONS = ("relative_right", "float_right", "float_bottom")
CONF_INIT, CONF_ENDED, CONF_IN_PROGRESS = 0, 1, 2
RECORD_NONE, RECORD_RECORDING, RECORD_PAUSED, RECORD_FINISHED = 0, 1, 2, 3
PERMISSION_DENIED = "Forbidden.AccessDenied.AccessTokenPermissionDenied"
# The limits DingTalk's global error-code page lists, with the code an internal app and a
# third-party app (per authorising organisation) get for each.
QPS_LIMITED = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
SUITE_QPS_LIMITED = "Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi"
QPM_LIMITED = "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi"
SUITE_QPM_LIMITED = "Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi"
API_QPS_LIMITED = "Forbidden.AccessDenied.QpsLimitForApi"
ORG_QUOTA_USED_UP = "Forbidden.AccessDenied.ApiCountLimitForOrg"
THROTTLING_CODES = (QPS_LIMITED, SUITE_QPS_LIMITED, QPM_LIMITED, SUITE_QPM_LIMITED, API_QPS_LIMITED)
DEFAULT_CORP_ID = "ding-emulated-corp"  # the organisation an internal app belongs to unless registered with another
# DingTalk labels its JSON answers with the charset, as live answers show.
JSON_CONTENT_TYPE = "application/json;charset=utf-8"
# A path outside /v1.0 is answered by DingTalk's older gateway: HTTP 200 with an errcode body (seen live).
UNVERSIONED_PATH_ANSWER = {"errcode": 404, "errmsg": "请求的URI地址不存在"}
IP_BLOCK_ANSWERS = ("html", "json")
FAULT_KINDS = ("error", "html", "drop", "delay", "truncated", "raw")
ANY_SEGMENT = object()  # route placeholder: one path segment, captured as a parameter

CONFERENCE_PREFIX = ("v1.0", "conference", "videoConferences")
API_ROUTES = (
    ("POST", ("v1.0", "oauth2", "accessToken"), "oauth2.accessToken"),
    ("POST", ("v1.0", "oauth2", "corpAccessToken"), "oauth2.corpAccessToken"),
    ("POST", ("v1.0", "oauth2", ANY_SEGMENT, "token"), "oauth2.token"),
    ("POST", CONFERENCE_PREFIX, "conference.create"),
    ("GET", CONFERENCE_PREFIX + (ANY_SEGMENT,), "conference.get"),
    ("DELETE", CONFERENCE_PREFIX + (ANY_SEGMENT,), "conference.close"),
    ("POST", CONFERENCE_PREFIX + (ANY_SEGMENT, "cloudRecords", "stop"), "cloudRecord.stop"),
    ("POST", CONFERENCE_PREFIX + (ANY_SEGMENT, "cloudRecords", "start"), "cloudRecord.start"),
    ("GET", ("v1.0", "conference", "orgConferences"), "conference.listOrg"),
    ("GET", CONFERENCE_PREFIX + (ANY_SEGMENT, "cloudRecords", "getVideos"), "cloudRecord.getVideos"),
    ("GET", CONFERENCE_PREFIX + (ANY_SEGMENT, "cloudRecords", "videos", "getPlayInfos"), "cloudRecord.getPlayInfos"),
    ("GET", CONFERENCE_PREFIX + (ANY_SEGMENT, "cloudRecords", "getTexts"), "cloudRecord.getTexts"),
)
ADMIN_PREFIX = "_emulator"
ADMIN_ROUTES = (
    ("POST", ("reset",), "admin_reset"),
    ("POST", ("seed",), "admin_seed"),
    ("POST", ("apps",), "admin_add_app"),
    ("POST", ("suites",), "admin_add_suite"),
    ("GET", ("tokens",), "admin_list_tokens"),
    ("POST", ("tokens",), "admin_mint_token"),
    ("POST", ("tokens", "expire"), "admin_expire_tokens"),
    ("GET", ("conferences",), "admin_list_conferences"),
    ("POST", ("conferences",), "admin_put_conference"),
    ("GET", ("conferences", ANY_SEGMENT), "admin_get_conference"),
    ("PATCH", ("conferences", ANY_SEGMENT), "admin_patch_conference"),
    ("GET", ("config",), "admin_get_config"),
    ("PUT", ("config",), "admin_update_config"),
    ("GET", ("faults",), "admin_list_faults"),
    ("POST", ("faults",), "admin_add_faults"),
    ("DELETE", ("faults",), "admin_clear_faults"),
    ("GET", ("requests",), "admin_list_requests"),
    ("DELETE", ("requests",), "admin_clear_requests"),
    ("GET", ("stats",), "admin_get_stats"),
    ("GET", ("recordings",), "admin_list_recordings"),
    ("POST", ("recordings",), "admin_add_recordings"),
    ("GET", ("recordings", "config"), "admin_recordings_config"),
    ("PUT", ("recordings", "config"), "admin_recordings_config"),
)


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
    return ApiError(400, "badRequest", message)


# The message each conference API's documentation page gives for its codes (see "Error messages" in
# README.md). A "%s" stands for a detail the pages do not specify; the emulator fills in its own.
DOCUMENTED_MESSAGES = {
    "recordStopPermissionError": "you can't operator, please contact meeting manager",
    "roomClosed": "the meeting has ended",
    "recordStopError": "record stop error, please try again",
    "systemError": "system error",
    "innerSystemError": "The system is busy, please try again later",
    "paramsError": "error:%s",
    "recordStartError": "recordStartError:%s",
    "recordStartPermissionError": "permissionError:%s",
}


def documented_error(status, code, detail=""):
    """An ApiError with DingTalk's documented message for ``code``."""
    message = DOCUMENTED_MESSAGES[code]
    return ApiError(status, code, message % detail if "%s" in message else message)


# confInfo of the conference query: every field of its documentation page and of the SDK's
# QueryConferenceInfoResponseBodyConfInfo, with the admin key that sets it.
CONF_INFO_FIELDS = (
    ("conferenceId", "conference_id"), ("title", "title"), ("status", "status"),
    ("cloudRecordStatus", "cloud_record_status"), ("cloudRecordOwnerUnionId", "cloud_record_owner_union_id"),
    ("creatorId", "host_union_id"), ("creatorNick", "creator_nick"), ("roomCode", "room_code"),
    ("externalLinkUrl", "external_link_url"), ("bizType", "biz_type"), ("activeNum", "active_num"),
    ("attendNum", "attend_num"), ("invitedNum", "invited_num"), ("startTime", "start_time"), ("endTime", "end_time"),
    ("confDuration", "conf_duration"), ("minutesStatus", "minutes_status"), ("minutesOwnerUnionId", "minutes_owner_union_id"),
    ("scheduleConferenceId", "schedule_conference_id"), ("extensionAppSettings", "extension_app_settings"),
)
# The items of extensionAppSettings: admin key -> confInfo key.
EXTENSION_APP_KEYS = {"app_code": "appCode", "app_id": "appId", "auto_open_mode": "autoOpenMode",
                      "extension_app_biz_data": "extensionAppBizData"}


@dataclasses.dataclass
class Call:
    """One decoded request, as the state's API and admin operations see it."""

    name: Optional[str]
    params: list
    query: dict
    body: Any = None
    token: Optional[str] = None
    principal: Optional[str] = None  # filled in once the caller is known, for the request log
    versioned: bool = True  # False for a path outside /v1.0, which another gateway of DingTalk answers

    def json_object(self, error):
        """The body as a dict (absent body = {}); anything else raises ``error``."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise error
        return self.body


def _now_ms():
    return int(time.time() * 1000)


def _check_choice(value, choices, name):
    if value not in choices:
        raise admin_error("%s must be one of %s" % (name, ", ".join(str(choice) for choice in choices)))
    return value


def _check_number(value, name, minimum=0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise admin_error("%s must be a number >= %s" % (name, minimum))
    return value


def _check_string(value, name):
    if not isinstance(value, str) or not value:
        raise admin_error("%s must be a non-empty string" % name)
    return value


def _check_extension_app_settings(value):
    if not isinstance(value, list) or not all(isinstance(item, dict) and set(item) <= set(EXTENSION_APP_KEYS) for item in value):
        raise admin_error("extension_app_settings must be a list of objects with the keys %s" % ", ".join(sorted(EXTENSION_APP_KEYS)))
    for item in value:
        for key, item_value in item.items():
            expected = int if key == "auto_open_mode" else str
            if not isinstance(item_value, expected) or isinstance(item_value, bool):
                raise admin_error("extension_app_settings: %s must be %s" % (key, "an integer" if expected is int else "a string"))
    return value


def _check_permissions(value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise admin_error("permissions must be a list of strings")
    return value


class FaultInjector:
    """Fault rules matched against API requests; not thread-safe on its own (EmulatorState locks)."""

    def __init__(self, seed):
        self.rules = []
        self.random = random.Random(seed)

    @staticmethod
    def validate(rule):
        if not isinstance(rule, dict):
            raise admin_error("a fault rule must be an object")
        known = {"api", "method", "path_regex", "kind", "status", "code", "message", "delay", "body", "body_base64",
                 "content_type", "headers", "repeat", "times", "probability", "phase"}
        unknown = set(rule) - known
        if unknown:
            raise admin_error("unknown fault rule keys: %s" % ", ".join(sorted(unknown)))
        kind = _check_choice(rule.get("kind"), FAULT_KINDS, "kind")
        checked = {
            "api": rule.get("api", "*"),
            "method": rule["method"].upper() if rule.get("method") else None,
            "path_regex": rule.get("path_regex"),
            "kind": kind,
            "status": int(_check_number(rule.get("status", 200 if kind in ("raw", "truncated") else 500), "status", 100)),
            "code": rule.get("code", "systemError"),
            "message": rule.get("message", "system error"),  # what DingTalk documents for systemError
            "delay": _check_number(rule.get("delay", 0), "delay"),
            "body": rule.get("body"),
            "body_base64": rule.get("body_base64"),
            "content_type": rule.get("content_type", JSON_CONTENT_TYPE),
            "headers": rule.get("headers", {}),
            "repeat": int(_check_number(rule.get("repeat", 1), "repeat", 1)),
            "times": rule.get("times"),
            "probability": _check_number(rule.get("probability", 1), "probability"),
            "phase": _check_choice(rule.get("phase", "before"), ("before", "after"), "phase"),
            "hits": 0,
        }
        if checked["times"] is not None:
            checked["times"] = int(_check_number(checked["times"], "times", 1))
        if checked["body_base64"] is not None:
            if checked["body"] is not None:
                raise admin_error("body and body_base64 cannot be combined")
            try:
                if not isinstance(checked["body_base64"], str):
                    raise admin_error("body_base64 must be a string")
                base64.b64decode(checked["body_base64"], validate=True)
            except binascii.Error as err:
                raise admin_error("body_base64 is not base64: %s" % err) from err
        headers = checked["headers"]
        if not isinstance(headers, dict) or not all(
                isinstance(name, str) and re.match(r"^[A-Za-z0-9-]+$", name)
                and (value is None or isinstance(value, str) and not re.search(r"[\r\n]", value))
                for name, value in headers.items()):
            raise admin_error("headers must map header names to values without line breaks, or to null")
        if checked["path_regex"] is not None:
            try:
                re.compile(checked["path_regex"])
            except re.error as err:
                raise admin_error("path_regex does not compile: %s" % err) from err
        return checked

    def pick(self, api, method, raw_path, phase):
        """Consume and return the first rule that applies to this request in this phase, or None."""
        for rule in self.rules:
            if rule["phase"] != phase or rule["times"] == 0:
                continue
            if rule["api"] not in ("*", api) or rule["method"] not in (None, method):
                continue
            if rule["path_regex"] is not None and not re.search(rule["path_regex"], raw_path):
                continue
            # Roll only for rules that match, so a rule's outcome does not depend on unrelated traffic.
            if rule["probability"] < 1 and self.random.random() >= rule["probability"]:
                continue
            rule["hits"] += 1
            if rule["times"] is not None:
                rule["times"] -= 1
            return dict(rule)
        return None


class EmulatorState:
    """Everything the emulator knows, behind one lock: registry, tokens, meetings, faults, log, stats."""

    def __init__(self, region="io", qps_limit=20, latency=0.0):
        self.lock = threading.RLock()
        # The limits beyond qps_limit are off (0) unless a test turns them on; see "Limits" in README.md.
        self.defaults = {"region": _check_choice(region, REGIONS, "region"), "qps_limit": int(qps_limit),
                         "latency": float(latency), "invalid_auth_status": 400, "seed": 0,
                         "qpm_limit": 0, "api_qps_limit": 0, "org_call_quota": 0,
                         "ip_call_limit": 0, "ip_window_seconds": 20.0, "ip_block_seconds": 300.0, "ip_block_answer": "html"}
        # Counters survive reset so a token or id handed out before a reset never comes back to life.
        self._counters = collections.Counter()
        self.generation = 0
        self.in_flight = 0  # API requests being answered now (a delayed one, say); not reset, they are real
        # Videos and transcripts (cloud_recordings.py), their files on a file host of their own (file_host.py).
        self.recordings = cloud_recordings.CloudRecordings(file_host.FileStore(), ApiError, admin_error)
        self.admin_reset(None)

    # ----- bookkeeping -------------------------------------------------------------------------------

    def _next(self, counter):
        with self.lock:
            self._counters[counter] += 1
            return self._counters[counter]

    def new_request_id(self):
        return "00000000-0000-4000-8000-%012d" % self._next("request")

    def config_value(self, key):
        with self.lock:
            return self.config[key]

    def pick_fault(self, api, method, raw_path, phase, generation):
        with self.lock:
            return self.faults.pick(api, method, raw_path, phase) if generation == self.generation else None

    def record_request(self, entry, generation):
        with self.lock:
            if generation != self.generation:
                return  # a request that straddled a reset must not leak into the next scenario's log
            entry["seq"] = self._next("seq")
            self.request_log.append(entry)
            self.stats["requests"] += 1
            self.stats["by_api"][entry["api"] or "unknown"] += 1
            self.stats["by_status"]["dropped" if entry["status"] is None else str(entry["status"])] += 1
            if entry["code"]:
                self.stats["by_code"][entry["code"]] += 1
            if entry["code"] in THROTTLING_CODES:
                self.stats["throttled"] += 1
            if entry["ip_blocked"]:
                self.stats["ip_blocked"] += 1
            if entry["fault"]:
                self.stats["faults_injected"] += 1

    # ----- API operations ----------------------------------------------------------------------------

    API_OPERATIONS = {
        "oauth2.accessToken": "_api_access_token",
        "oauth2.corpAccessToken": "_api_corp_access_token",
        "oauth2.token": "_api_unified_token",
        "conference.create": "_api_create_conference",
        "conference.get": "_api_get_conference",
        "conference.close": "_api_close_conference",
        "cloudRecord.stop": "_api_stop_recording",
        "cloudRecord.start": "_api_start_recording",
        "conference.listOrg": "_api_list_org_conferences",
        "cloudRecord.getVideos": "_api_get_videos",
        "cloudRecord.getPlayInfos": "_api_get_play_info",
        "cloudRecord.getTexts": "_api_get_texts",
    }

    def check_ip(self, address, generation):
        """The egress-IP limit, checked before anything else: None, or how to answer a blocked address.

        More than ``ip_call_limit`` calls from one address within ``ip_window_seconds`` block it for
        ``ip_block_seconds`` (DingTalk documents 10,000 calls in 20 s and five minutes); calls during the
        block are refused and do not extend it.
        """
        with self.lock:
            limit = self.config["ip_call_limit"]
            if not limit or generation != self.generation:
                return None
            now = time.monotonic()
            # The block's length is read now, so that a test can end a block by shortening it.
            if address in self.ip_blocked_since and now < self.ip_blocked_since[address] + self.config["ip_block_seconds"]:
                return self.config["ip_block_answer"]
            window = self.ip_windows[address]
            while window and window[0] <= now - self.config["ip_window_seconds"]:
                window.popleft()
            if len(window) >= limit:
                self.ip_blocked_since[address] = now
                window.clear()
                return self.config["ip_block_answer"]
            window.append(now)
            return None

    def perform(self, call, request_id, generation):
        """Run one API call; return (HTTP status, JSON body), or None if a reset made the request stale."""
        try:
            if call.name is None and not call.versioned:
                return 200, dict(UNVERSIONED_PATH_ANSWER)
            if call.name is None:
                raise ApiError(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
            with self.lock:
                if generation != self.generation:
                    return None
                return 200, getattr(self, self.API_OPERATIONS[call.name])(call)
        except ApiError as err:
            return err.status, err.body(request_id)

    @staticmethod
    def _token_body(call, fields):
        # A form or other non-JSON body, none at all, or JSON that is not an object: DingTalk answers
        # Missingbody with this message (seen live for a form body).
        if not isinstance(call.body, dict):
            raise ApiError(400, "Missingbody", "body is mandatory for this action.")
        for field in fields:
            if not isinstance(call.body.get(field), str) or not call.body[field]:
                raise ApiError(400, "Missing" + field, "%s is mandatory for this action." % field)
        return call.body

    def _caller(self, owner):
        """(principal, organisation, third party?) of an app key or a suite and the corp it serves."""
        if owner.get("app_key") is not None:
            app = self.apps.get(owner["app_key"]) or {}
            return owner["app_key"], app.get("corp_id", DEFAULT_CORP_ID), False
        return "%s/%s" % (owner["suite_key"], owner["corp_id"]), owner["corp_id"], True

    def _check_limits(self, owner, api):
        """The organisation's quota, then DingTalk's per-API, per-caller-second and per-caller-minute limits.

        Sliding windows; only admitted calls occupy them, so a client that backs off gets through.
        """
        principal, org, third_party = self._caller(owner)
        quota = self.config["org_call_quota"]
        if quota and self.org_calls[org] >= quota:
            raise ApiError(403, ORG_QUOTA_USED_UP, "the API call quota of organisation %s is used up" % org)
        now = time.monotonic()
        windows = (
            (self.config["api_qps_limit"], 1.0, ("api", api), API_QPS_LIMITED, "API %s exceeded its global QPS limit" % api),
            (self.config["qps_limit"], 1.0, ("second", principal, api), SUITE_QPS_LIMITED if third_party else QPS_LIMITED,
             "%s exceeded the QPS limit of API %s" % (principal, api)),
            (self.config["qpm_limit"], 60.0, ("minute", principal, api), SUITE_QPM_LIMITED if third_party else QPM_LIMITED,
             "%s exceeded the QPM limit of API %s" % (principal, api)),
        )
        admitted = []
        for limit, span, key, code, message in windows:
            if not limit:
                continue
            window = self.qps_windows[key]
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                raise ApiError(403, code, message)
            admitted.append(window)
        for window in admitted:
            window.append(now)
        self.org_calls[org] += 1

    def _authenticate_app(self, call, app_key, app_secret, error):
        app = self.apps.get(app_key)
        # An app of the other region does not exist for this host: same answer as a wrong secret.
        if app is None or app["app_secret"] != app_secret or app["region"] != self.config["region"]:
            raise error
        call.principal = app_key
        self._check_limits({"app_key": app_key}, call.name)

    def _reuse_app_token(self, app_key):
        """Internal apps get the same token while it is valid, its expiry pushed back (DingTalk does this)."""
        token = self.tokens.get(self.current_app_tokens.get(app_key))
        if token is not None and self._token_is_valid(token):
            token["expires_at"] = time.time() + TOKEN_LIFETIME
        else:
            token = self._new_token({"app_key": app_key}, self.config["region"], TOKEN_LIFETIME)
            self.current_app_tokens[app_key] = token["token"]
        self.stats["tokens_issued"] += 1
        return token["token"]

    def _api_access_token(self, call):
        body = self._token_body(call, ("appKey", "appSecret"))
        self._authenticate_app(call, body["appKey"], body["appSecret"],
                               ApiError(400, "invalidClientIdOrSecret", "invalid clientId or clientSecret"))
        return {"accessToken": self._reuse_app_token(body["appKey"]), "expireIn": TOKEN_LIFETIME}

    def _api_unified_token(self, call):
        """``/v1.0/oauth2/{corpId}/token``: internal apps (client_id = AppKey) and third-party apps
        (client_id = SuiteKey, corpId = the authorising organisation), with OAuth-style error codes.

        Its documentation page gives each error the code itself as its message.
        """
        body = self._token_body(call, ())
        if body.get("grant_type") != "client_credentials":
            raise ApiError(400, "unsupported.grant.type", "unsupported.grant.type")
        client_id, client_secret = body.get("client_id"), body.get("client_secret")
        invalid_client = ApiError(400, "invalid.client", "invalid.client")
        if not isinstance(client_id, str) or not isinstance(client_secret, str) or not client_id or not client_secret:
            raise invalid_client
        if client_id not in self.suites:
            self._authenticate_app(call, client_id, client_secret, invalid_client)
            return {"access_token": self._reuse_app_token(client_id), "expires_in": TOKEN_LIFETIME}
        suite = self._authenticate_suite(client_id, client_secret, invalid_client)
        corp_id = call.params[0]
        if corp_id not in suite["corp_ids"]:
            raise ApiError(401, "unauthorized.client", "unauthorized.client")  # the organisation has not installed the app
        return {"access_token": self._new_suite_token(call, client_id, corp_id), "expires_in": TOKEN_LIFETIME}

    def _authenticate_suite(self, suite_key, suite_secret, error):
        suite = self.suites.get(suite_key)
        if suite is None or suite["suite_secret"] != suite_secret or suite["region"] != self.config["region"]:
            raise error
        return suite

    def _new_suite_token(self, call, suite_key, corp_id):
        owner = {"suite_key": suite_key, "corp_id": corp_id}
        call.principal = self._caller(owner)[0]
        self._check_limits(owner, call.name)
        # Third-party apps get a fresh token on every call (documented DingTalk behaviour).
        token = self._new_token(owner, self.config["region"], TOKEN_LIFETIME)
        self.stats["tokens_issued"] += 1
        return token["token"]

    def _api_corp_access_token(self, call):
        body = self._token_body(call, ("suiteKey", "suiteSecret", "authCorpId", "suiteTicket"))
        suite = self._authenticate_suite(body["suiteKey"], body["suiteSecret"],
                                         ApiError(400, "invalidSuiteKey", "invalid suiteKey or suiteSecret"))
        if suite["suite_ticket"] != body["suiteTicket"]:
            raise ApiError(400, "invalidSuiteTicket", "invalid suiteTicket")
        if body["authCorpId"] not in suite["corp_ids"]:
            raise ApiError(400, "invalidAuthInfo", "the organisation has not installed this application")
        return {"accessToken": self._new_suite_token(call, body["suiteKey"], body["authCorpId"]), "expireIn": TOKEN_LIFETIME}

    def _new_token(self, owner, region, lifetime, value=None, permissions=None):
        number = self._next("token")
        token = dict(owner, token=value or "emu%06d%s" % (number, format(number * 2654435761 % 2 ** 32, "08x")),
                     principal=owner.get("app_key") or "%s/%s" % (owner["suite_key"], owner["corp_id"]),
                     region=region, expires_at=time.time() + lifetime, permissions=permissions)
        self.tokens[token["token"]] = token
        return token

    @staticmethod
    def _token_is_valid(token):
        return token["expires_at"] > time.time()

    def _token_permissions(self, token):
        """Explicit permissions of a minted token, else the owner's current ones (changes apply at once)."""
        if token["permissions"] is not None:
            return token["permissions"]
        owner = self.apps.get(token.get("app_key")) or self.suites.get(token.get("suite_key")) or {}
        return owner.get("permissions", [])

    def _authorize(self, call, permission, wrong_region=None):
        """Token present and valid -> QPS -> permission point -> region, in that order."""
        if not call.token:
            raise ApiError(400, "AuthenticationFailed.MissingParameter", "%s is mandatory for this action." % TOKEN_HEADER)
        token = self.tokens.get(call.token)
        if token is None or not self._token_is_valid(token):
            raise ApiError(self.config["invalid_auth_status"], "InvalidAuthentication", "access token is invalid or expired")
        call.principal = token["principal"]
        self._check_limits(token, call.name)
        denied = ApiError(403, PERMISSION_DENIED, "the app lacks the permission point %s" % permission,
                          accessdenieddetail={"requiredScopes": [permission]})
        if permission not in self._token_permissions(token):
            raise denied
        if token["region"] != self.config["region"]:
            raise wrong_region or denied

    def _find_conference(self, conference_id):
        if not conference_id:
            raise ApiError(400, "missingRoomId", "conferenceId is mandatory")
        conference = self.conferences.get(conference_id)
        if conference is None:
            raise ApiError(404, "roomNotFound", "conference %s does not exist" % conference_id)
        self._apply_scheduled_end(conference)
        return conference

    def _end_conference(self, conference, finish_recording=True):
        conference["status"] = CONF_ENDED
        conference["end_time"] = conference["end_time"] or _now_ms()
        conference["ends_at"] = None
        if finish_recording and conference["cloud_record_status"] in (RECORD_RECORDING, RECORD_PAUSED):
            conference["cloud_record_status"] = RECORD_FINISHED
            self.recordings.recording_finished(conference)

    def _apply_scheduled_end(self, conference):
        """``end_in_seconds`` is honoured lazily, whenever the meeting is looked at."""
        if conference["ends_at"] is not None and conference["ends_at"] <= time.time() and conference["status"] != CONF_ENDED:
            self._end_conference(conference)

    @staticmethod
    def _union_id(body, error):
        union_id = body.get("unionId")
        if not isinstance(union_id, str) or not union_id:
            raise error
        return union_id

    def _api_get_conference(self, call):
        self._authorize(call, PERMISSION_READ)
        conference = self._find_conference(call.params[0])
        info = {api_key: conference[admin_key] for api_key, admin_key in CONF_INFO_FIELDS}
        ended = conference["status"] == CONF_ENDED
        if not ended:
            info["confDuration"] = None  # documented as sent once the meeting has ended
        elif info["confDuration"] is None and conference["end_time"] is not None:
            info["confDuration"] = max(0, conference["end_time"] - conference["start_time"])
        if info["extensionAppSettings"] is not None:
            info["extensionAppSettings"] = [{EXTENSION_APP_KEYS[key]: value for key, value in setting.items()}
                                            for setting in info["extensionAppSettings"]]
        return {"confInfo": {key: value for key, value in info.items() if value is not None}}

    def _api_stop_recording(self, call):
        self._authorize(call, PERMISSION_WRITE, documented_error(400, "recordStopPermissionError"))
        params_error = documented_error(400, "paramsError", "unionId is mandatory")
        union_id = self._union_id(call.json_object(params_error), params_error)
        conference = self._find_conference(call.params[0])
        if conference["status"] == CONF_ENDED:
            raise documented_error(400, "roomClosed")
        if union_id != conference["host_union_id"]:
            raise documented_error(400, "recordStopPermissionError")
        if conference["cloud_record_status"] in (RECORD_RECORDING, RECORD_PAUSED):
            conference["cloud_record_status"] = RECORD_FINISHED
            self.recordings.recording_finished(conference)
        return {"code": "200"}

    def _api_get_videos(self, call):
        self._authorize(call, PERMISSION_READ)
        return self.recordings.get_videos(call, self._find_conference(call.params[0]))

    def _api_get_play_info(self, call):
        self._authorize(call, PERMISSION_READ)
        return self.recordings.get_play_info(call, self._find_conference(call.params[0]))

    def _api_get_texts(self, call):
        self._authorize(call, PERMISSION_READ)
        return self.recordings.get_texts(call, self._find_conference(call.params[0]))

    def _api_start_recording(self, call):
        self._authorize(call, PERMISSION_WRITE, documented_error(404, "recordStartPermissionError", "the token is not valid on this host"))
        body = call.json_object(documented_error(400, "paramsError", "the body must be a JSON object"))
        union_id = self._union_id(body, documented_error(400, "paramsError", "unionId is mandatory"))
        if body.get("mode", RECORD_MODES[0]) not in RECORD_MODES:
            raise documented_error(400, "paramsError", "mode must be one of %s" % ", ".join(RECORD_MODES))
        if body.get("smallWindowPosition", WINDOW_POSITIONS[0]) not in WINDOW_POSITIONS:
            raise documented_error(400, "paramsError", "smallWindowPosition must be one of %s" % ", ".join(WINDOW_POSITIONS))
        conference = self._find_conference(call.params[0])
        if conference["status"] == CONF_ENDED:
            raise documented_error(400, "roomClosed")
        if union_id != conference["host_union_id"]:
            raise documented_error(404, "recordStartPermissionError", "only the meeting host may start a cloud recording")
        if conference["cloud_record_status"] in (RECORD_RECORDING, RECORD_PAUSED):
            raise documented_error(404, "recordStartError", "a cloud recording is already running or paused")
        conference.update(cloud_record_status=RECORD_RECORDING, cloud_record_owner_union_id=union_id,
                          record_mode=body.get("mode"), small_window_position=body.get("smallWindowPosition"))
        return {"code": "200"}

    def _api_create_conference(self, call):
        self._authorize(call, PERMISSION_WRITE)
        params_error = documented_error(400, "paramsError", "userId and confTitle are mandatory")
        body = call.json_object(params_error)
        if not all(isinstance(body.get(key), str) and body[key] for key in ("userId", "confTitle")):
            raise params_error
        conference = self._store_conference({"host_union_id": body["userId"], "title": body["confTitle"]})
        return {"conferenceId": conference["conference_id"], "conferencePassword": "", "hostPassword": "", "phoneNumbers": [],
                "roomCode": conference["room_code"], "externalLinkUrl": conference["external_link_url"]}

    def _api_close_conference(self, call):
        self._authorize(call, PERMISSION_WRITE)
        union_id = self._union_id(call.query, documented_error(400, "paramsError", "unionId is mandatory"))
        conference = self._find_conference(call.params[0])
        if conference["status"] == CONF_ENDED:
            raise ApiError(400, "resourceClose", "the conference is already closed")
        if union_id != conference["host_union_id"]:
            raise ApiError(400, "closePermissionError", "only the host may close the conference")
        self._end_conference(conference)
        return {"cause": "success", "code": 200}

    # ----- the organisation's ongoing conferences (GET /v1.0/conference/orgConferences) ----------------

    ORG_LIST_DEFAULT_PAGE, ORG_LIST_MAX_PAGE = 20, 100  # neither is documented: see README.md, "Assumptions"
    ORG_LIST_TOKEN = re.compile(r"^emunext-([0-9]{1,9})$")

    def _api_list_org_conferences(self, call):
        """One page of the caller's organisation's conferences that have not ended, oldest first.

        ``nextToken`` is the position after the page's last conference in the order conferences were
        created (ended ones included), so a meeting ending between two pages shifts nothing.
        """
        self._authorize(call, PERMISSION_READ)
        page_size = self._org_list_page_size(call.query.get("maxResults"))
        start = 0
        if call.query.get("nextToken") is not None:
            match = self.ORG_LIST_TOKEN.match(call.query["nextToken"])
            if match is None:
                raise ApiError(400, "paramError", "nextToken is invalid")
            start = int(match.group(1))
        corp_id = self.tokens[call.token].get("corp_id")  # a suite token acts for one organisation; an app for its own
        ongoing = []
        for position, conference in enumerate(self.conferences.values()):
            self._apply_scheduled_end(conference)
            if conference["status"] != CONF_ENDED and conference["corp_id"] == corp_id:
                ongoing.append((position, conference))
        page = [(position, conference) for position, conference in ongoing if position >= start][:page_size]
        has_more = bool(page) and ongoing[-1][0] > page[-1][0]
        body = {"hasMore": has_more, "totalCount": len(ongoing),
                "onGoingConfList": [self._org_list_item(conference) for _position, conference in page]}
        if has_more:
            body["nextToken"] = "emunext-%d" % (page[-1][0] + 1)
        return body

    def _org_list_page_size(self, value):
        if value is None:
            return self.ORG_LIST_DEFAULT_PAGE
        if not re.match(r"^[0-9]{1,6}$", value) or not 1 <= int(value) <= self.ORG_LIST_MAX_PAGE:
            raise ApiError(400, "paramError", "maxResults must be between 1 and %d" % self.ORG_LIST_MAX_PAGE)
        return int(value)

    @staticmethod
    def _org_list_item(conference):
        """The fields of the SDK's QueryOrgConferenceListResponseBodyOnGoingConfList; unset ones left out."""
        item = {"conferenceId": conference["conference_id"], "title": conference["title"], "roomCode": conference["room_code"],
                "status": conference["status"], "startTime": conference["start_time"], "endTime": conference["end_time"],
                "creatorId": conference["host_union_id"], "creatorNick": conference["creator_nick"], "bizType": conference["biz_type"]}
        return {key: value for key, value in item.items() if value is not None}

    # ----- admin operations (each takes the decoded Call; keys are snake_case) ------------------------

    def admin_reset(self, _call):
        with self.lock:
            self.generation += 1
            self.config = dict(self.defaults)
            self.apps, self.suites, self.tokens, self.current_app_tokens, self.conferences = {}, {}, {}, {}, {}
            self.faults = FaultInjector(self.config["seed"])
            self.request_log = []
            self.qps_windows = collections.defaultdict(collections.deque)
            self.org_calls = collections.Counter()
            self.ip_windows = collections.defaultdict(collections.deque)
            self.ip_blocked_since = {}
            self.stats = {"requests": 0, "by_api": collections.Counter(), "by_status": collections.Counter(),
                          "by_code": collections.Counter(), "tokens_issued": 0, "throttled": 0, "ip_blocked": 0,
                          "faults_injected": 0}
            self.recordings.reset()
            return {"reset": True}

    def admin_seed(self, call):
        """Apply a whole scenario; items go in order and the first invalid one stops with 400."""
        body = call.json_object(admin_error("the seed must be an object"))
        unknown = set(body) - {"config", "apps", "suites", "tokens", "conferences"}
        if unknown:
            raise admin_error("unknown seed keys: %s" % ", ".join(sorted(unknown)))
        with self.lock:
            if "config" in body:
                self.admin_update_config(Call(None, [], {}, body["config"]))
            for key, operation in (("apps", self.admin_add_app), ("suites", self.admin_add_suite),
                                   ("tokens", self.admin_mint_token), ("conferences", self.admin_put_conference)):
                for item in body.get(key, []):
                    operation(Call(None, [], {}, item))
            return {"apps": len(self.apps), "suites": len(self.suites), "tokens": len(self.tokens), "conferences": len(self.conferences)}

    def _registration(self, call, fields):
        body = call.json_object(admin_error("the body must be an object"))
        entry = {field: _check_string(body.get(field), field) for field in fields}
        permissions = _check_permissions(body.get("permissions", list(DEFAULT_PERMISSIONS)))
        # Resolved now: an app belongs to the region it was registered in, even if config.region changes later.
        entry.update(permissions=permissions, region=_check_choice(body.get("region", self.config["region"]), REGIONS, "region"))
        return body, entry

    def admin_add_app(self, call):
        with self.lock:
            body, app = self._registration(call, ("app_key", "app_secret"))
            app["corp_id"] = _check_string(body.get("corp_id", DEFAULT_CORP_ID), "corp_id")  # its organisation, for org_call_quota
            self.apps[app["app_key"]] = app
            return {"app_key": app["app_key"], "permissions": app["permissions"], "region": app["region"], "corp_id": app["corp_id"]}

    def admin_add_suite(self, call):
        with self.lock:
            body, suite = self._registration(call, ("suite_key", "suite_secret", "suite_ticket"))
            corp_ids = body.get("corp_ids", [])
            if not isinstance(corp_ids, list):
                raise admin_error("corp_ids must be a list")
            suite["corp_ids"] = [str(corp_id) for corp_id in corp_ids]
            self.suites[suite["suite_key"]] = suite
            return {"suite_key": suite["suite_key"], "corp_ids": suite["corp_ids"], "permissions": suite["permissions"], "region": suite["region"]}

    def admin_mint_token(self, call):
        body = call.json_object(admin_error("the body must be an object"))
        with self.lock:
            if "app_key" in body:
                owner_record = self.apps.get(body["app_key"])
                owner = {"app_key": body["app_key"]}
            else:
                suite = self.suites.get(body.get("suite_key"))
                if suite is not None and body.get("corp_id") not in suite["corp_ids"]:
                    raise admin_error("corp_id is not one of the suite's corp_ids")
                owner_record, owner = suite, {"suite_key": body.get("suite_key"), "corp_id": body.get("corp_id")}
            if owner_record is None:
                raise admin_error("app_key, or suite_key and corp_id, must name a registered app or suite")
            region = _check_choice(body.get("region", owner_record["region"]), REGIONS, "region")
            lifetime = _check_number(body.get("expires_in", TOKEN_LIFETIME), "expires_in", -10 ** 9)
            value = body.get("token")
            if value is not None:
                _check_string(value, "token")
            permissions = body.get("permissions")
            if permissions is not None:
                _check_permissions(permissions)
            token = self._new_token(owner, region, lifetime, value, permissions)
            return {"access_token": token["token"], "expires_at": token["expires_at"]}

    def admin_list_tokens(self, _call):
        """Every token issued since the last reset, so that tests can scan their output for each of them."""
        with self.lock:
            return {"tokens": [{"access_token": token["token"], "principal": token["principal"], "expires_at": token["expires_at"]}
                               for token in self.tokens.values()]}

    def admin_expire_tokens(self, call):
        body = call.json_object(admin_error("the body must be an object"))
        with self.lock:
            if "access_token" in body:
                if body["access_token"] not in self.tokens:
                    raise ApiError(404, "notFound", "no such token")
                targets = [self.tokens[body["access_token"]]]
            else:
                targets = list(self.tokens.values())
            for token in targets:
                token["expires_at"] = min(token["expires_at"], time.time() - 1)
            return {"expired": len(targets)}

    CONFERENCE_FIELDS = ("conference_id", "title", "host_union_id", "status", "cloud_record_status", "cloud_record_owner_union_id",
                         "record_mode", "small_window_position", "start_time", "end_time", "active_num", "end_in_seconds",
                         "corp_id", "creator_nick", "room_code", "external_link_url", "biz_type", "attend_num", "invited_num",
                         "conf_duration", "minutes_status", "minutes_owner_union_id", "schedule_conference_id",
                         "extension_app_settings")
    # The SDK's types: strings, and integers (Integer or Long on the documentation page).
    TEXT_FIELDS = ("title", "corp_id", "cloud_record_owner_union_id", "corp_id", "creator_nick", "room_code", "external_link_url", "biz_type",
                   "minutes_owner_union_id", "schedule_conference_id")
    INTEGER_FIELDS = ("attend_num", "invited_num", "conf_duration", "minutes_status")

    def _apply_conference_fields(self, conference, fields):
        unknown = set(fields) - set(self.CONFERENCE_FIELDS)
        if unknown:
            raise admin_error("unknown conference keys: %s" % ", ".join(sorted(unknown)))
        if "status" in fields:
            _check_choice(fields["status"], (CONF_INIT, CONF_ENDED, CONF_IN_PROGRESS), "status")
        if "cloud_record_status" in fields:
            _check_choice(fields["cloud_record_status"], (RECORD_NONE, RECORD_RECORDING, RECORD_PAUSED, RECORD_FINISHED), "cloud_record_status")
        for key in ("start_time", "end_time", "active_num", "end_in_seconds"):
            if fields.get(key) is not None:
                _check_number(fields[key], key)
        for key in self.INTEGER_FIELDS:
            value = fields.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise admin_error("%s must be an integer >= 0" % key)
        for key in self.TEXT_FIELDS:
            if fields.get(key) is not None and not isinstance(fields[key], str):
                raise admin_error("%s must be a string" % key)
        if fields.get("extension_app_settings") is not None:
            _check_extension_app_settings(fields["extension_app_settings"])
        updates = {key: value for key, value in fields.items() if key != "end_in_seconds"}
        ending = updates.get("status") == CONF_ENDED and conference.get("status") != CONF_ENDED
        conference.update(updates)
        if ending:
            # {"status": 1} ends the meeting the way closing it would, unless the patch sets the recording itself.
            self._end_conference(conference, finish_recording="cloud_record_status" not in fields)
        if "end_in_seconds" in fields:
            conference["ends_at"] = time.time() + fields["end_in_seconds"]
        return conference

    def _store_conference(self, fields):
        # Every confInfo field DingTalk's query example shows has a value, so a client reads them all under test.
        room_code = "5%08d" % self._next("room")
        conference = {"conference_id": fields.get("conference_id") or "emuconf%08d" % self._next("conference"),
                      "title": "Emulated meeting", "host_union_id": None, "status": CONF_IN_PROGRESS,
                      "cloud_record_status": RECORD_NONE, "cloud_record_owner_union_id": None, "record_mode": None,
                      "small_window_position": None, "start_time": _now_ms(), "end_time": None, "active_num": 1, "ends_at": None,
                      "corp_id": None, "creator_nick": "Emulated host", "room_code": room_code,
                      "external_link_url": "https://meeting.dingtalk.com/j/emu" + room_code, "biz_type": "0",
                      "attend_num": 1, "invited_num": 0, "conf_duration": None, "minutes_status": None,
                      "minutes_owner_union_id": None, "schedule_conference_id": None, "extension_app_settings": None}
        self._apply_conference_fields(conference, fields)
        _check_string(conference["host_union_id"], "host_union_id")
        _check_string(conference["conference_id"], "conference_id")
        self.conferences[conference["conference_id"]] = conference
        return conference

    def admin_put_conference(self, call):
        with self.lock:
            return dict(self._store_conference(call.json_object(admin_error("the body must be an object"))))

    def _admin_conference(self, conference_id):
        if conference_id not in self.conferences:
            raise ApiError(404, "notFound", "no conference %s" % conference_id)
        conference = self.conferences[conference_id]
        self._apply_scheduled_end(conference)
        return conference

    def admin_list_conferences(self, _call):
        with self.lock:
            return {"conferences": [dict(self._admin_conference(key)) for key in self.conferences]}

    def admin_get_conference(self, call):
        with self.lock:
            return dict(self._admin_conference(call.params[0]))

    def admin_patch_conference(self, call):
        body = call.json_object(admin_error("the body must be an object"))
        if "conference_id" in body:
            raise admin_error("conference_id cannot be changed")
        with self.lock:
            return dict(self._apply_conference_fields(self._admin_conference(call.params[0]), body))

    def admin_get_config(self, _call):
        with self.lock:
            return dict(self.config)

    def admin_update_config(self, call):
        body = call.json_object(admin_error("the config must be an object"))
        checks = {
            "qps_limit": lambda value: int(_check_number(value, "qps_limit")),
            "latency": lambda value: float(_check_number(value, "latency")),
            "invalid_auth_status": lambda value: _check_choice(value, (400, 401), "invalid_auth_status"),
            "region": lambda value: _check_choice(value, REGIONS, "region"),
            "seed": lambda value: int(_check_number(value, "seed")),
            "qpm_limit": lambda value: int(_check_number(value, "qpm_limit")),
            "api_qps_limit": lambda value: int(_check_number(value, "api_qps_limit")),
            "org_call_quota": lambda value: int(_check_number(value, "org_call_quota")),
            "ip_call_limit": lambda value: int(_check_number(value, "ip_call_limit")),
            "ip_window_seconds": lambda value: float(_check_number(value, "ip_window_seconds")),
            "ip_block_seconds": lambda value: float(_check_number(value, "ip_block_seconds")),
            "ip_block_answer": lambda value: _check_choice(value, IP_BLOCK_ANSWERS, "ip_block_answer"),
        }
        unknown = set(body) - set(checks)
        if unknown:
            raise admin_error("unknown config keys: %s" % ", ".join(sorted(unknown)))
        with self.lock:
            updates = {key: checks[key](value) for key, value in body.items()}
            self.config.update(updates)
            if "seed" in updates:
                self.faults.random.seed(updates["seed"])
            return dict(self.config)

    def admin_add_faults(self, call):
        rules = call.json_object(admin_error("the body must be an object")).get("rules")
        if not isinstance(rules, list):
            raise admin_error("rules must be a list")
        checked = [FaultInjector.validate(rule) for rule in rules]
        with self.lock:
            self.faults.rules.extend(checked)
            return self.admin_list_faults(call)

    def admin_list_faults(self, _call):
        with self.lock:
            return {"rules": copy.deepcopy(self.faults.rules)}

    def admin_clear_faults(self, _call):
        with self.lock:
            self.faults.rules = []
            return {"rules": []}

    def admin_list_requests(self, call):
        since = call.query.get("since", "0")
        if not since.isdigit():
            raise admin_error("since must be a non-negative integer")
        with self.lock:
            entries = [entry for entry in self.request_log
                       if entry["seq"] > int(since) and call.query.get("api") in (None, entry["api"])]
            return {"requests": copy.deepcopy(entries)}

    def admin_clear_requests(self, _call):
        with self.lock:
            self.request_log = []
            return {"requests": []}

    def admin_get_stats(self, _call):
        with self.lock:
            return dict(json.loads(json.dumps(self.stats)), in_flight=self.in_flight)

    def admin_add_recordings(self, call):
        with self.lock:
            return self.recordings.admin_add(call.json_object(admin_error("the body must be an object")))

    def admin_list_recordings(self, call):
        with self.lock:
            return self.recordings.admin_list(call.query)

    def admin_recordings_config(self, call):
        with self.lock:
            return self.recordings.admin_config(call.json_object(admin_error("the config must be an object")))

    def count_in_flight(self, change):
        with self.lock:
            self.in_flight += change


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """Decodes a request, routes it to EmulatorState, applies latency and faults, writes the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "dingtalk-emulator/1.0"
    timeout = 120  # an idle keep-alive connection of a crashed client must not pin a thread forever
    disable_nagle_algorithm = True  # headers and body go out as separate writes; Nagle would add ~40 ms per answer

    def setup(self):
        # The TLS handshake happens here, in the connection's own thread, not in the accept loop.
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silenced: the standard lines could carry request details; _dispatch logs safe ones itself."""

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers: nothing in them matters here
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    @staticmethod
    def _parse_body(raw):
        if not raw:
            return None
        text = raw.decode("utf-8", errors="replace")
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _send(self, status, body, content_type, request_id, declared_length=None, headers=None, repeat=1):
        # A rule's headers add to these, or replace them; null leaves one out.
        all_headers = {"Content-Type": content_type, "Content-Length": str(len(body) * repeat if declared_length is None else declared_length),
                       REQUEST_ID_HEADER: request_id}
        all_headers.update(headers or {})
        if all_headers["Content-Length"] is None:
            self.close_connection = True  # the body ends where the connection does
        self.send_response(status)
        for name, value in all_headers.items():
            if value is not None:
                self.send_header(name, value)
        self.end_headers()
        # A body repeated many times goes out in blocks of about 64 KiB: a huge answer never sits in memory whole.
        per_block = max(1, 65536 // max(1, len(body)))
        for _block in range(repeat // per_block):
            self.wfile.write(body * per_block)
        self.wfile.write(body * (repeat % per_block))
        self.wfile.flush()

    def _send_json(self, status, payload, request_id):
        self._send(status, json.dumps(payload).encode("utf-8"), JSON_CONTENT_TYPE, request_id)

    def _dispatch(self):
        raw_path, _sep, raw_query = self.path.partition("?")
        # Split first, then decode each segment: an encoded "/" stays inside its path parameter.
        segments = [unquote(part) for part in raw_path.split("/")[1:]]
        try:
            body = self._parse_body(self._read_body())
        except ValueError:
            self.close_connection = True
            self.send_error(400, "unreadable body")
            return
        call = Call(None, [], dict(parse_qsl(raw_query, keep_blank_values=True)), body, self.headers.get(TOKEN_HEADER))
        request_id = self.server.state.new_request_id()
        if segments and segments[0] == ADMIN_PREFIX:
            status = self._dispatch_admin(call, segments[1:], request_id)
        else:
            status = self._dispatch_api(call, raw_path, segments, request_id)
        if self.server.verbose:  # method, path and status only: never a header, token or body
            print("%s %s %s" % (self.command, raw_path, status), file=sys.stderr, flush=True)

    def _dispatch_admin(self, call, segments, request_id):
        call.name, call.params = match_route(ADMIN_ROUTES, self.command, segments)
        try:
            if call.name is None:
                raise ApiError(404, "InvalidAction.NotFound", "no such admin call")
            status, payload = 200, getattr(self.server.state, call.name)(call)
        except ApiError as err:
            status, payload = err.status, err.body(request_id)
        self._send_json(status, payload, request_id)
        return status

    def _dispatch_api(self, call, raw_path, segments, request_id):
        state = self.server.state
        generation = state.generation  # taken first: a reset while this request waits makes it stale
        call.name, call.params = match_route(API_ROUTES, self.command, segments)
        call.versioned = segments[:1] == ["v1.0"]
        entry = {"time": time.time(), "method": self.command, "path": raw_path, "api": call.name, "query": call.query,
                 "headers": {name.lower(): value for name, value in self.headers.items()}, "body": call.body,
                 "status": None, "code": None, "fault": None, "fault_phase": None, "ip_blocked": False, "principal": None,
                 "request_id": request_id, "connection": "%s:%s" % self.client_address[:2]}
        state.count_in_flight(1)
        try:
            entry["status"], entry["code"], entry["fault"] = self._answer_api(call, raw_path, request_id, generation, entry)
        finally:  # logged even when the client has gone away before the answer could be written
            entry["principal"] = call.principal
            entry["duration"] = round(time.time() - entry["time"], 3)
            state.record_request(entry, generation)
            state.count_in_flight(-1)
        return entry["status"]

    def _answer_api(self, call, raw_path, request_id, generation, entry):
        """Latency, faults and the operation; return (status or None, logged code, fault kind).

        The fault kind goes into ``entry`` as soon as it is chosen: the log keeps it even when the
        answer cannot be written because the client gave up waiting (a delay longer than its timeout).
        """
        state = self.server.state
        latency = state.config_value("latency")
        if latency:
            time.sleep(latency)
        blocked_answer = state.check_ip(self.client_address[0], generation)
        if blocked_answer is not None:  # DingTalk's gateway refuses the address before anything else happens
            entry["ip_blocked"] = True
            return self._send_ip_block(blocked_answer, request_id), None, None
        before = state.pick_fault(call.name, self.command, raw_path, "before", generation)
        if before is not None:
            entry["fault"], entry["fault_phase"] = before["kind"], "before"
        if before is not None and before["kind"] != "delay":  # the fault replaces the answer: the operation never runs
            return self._send_fault(before, None, request_id) + (before["kind"],)
        if before is not None:
            time.sleep(before["delay"])
        outcome = state.perform(call, request_id, generation)
        if outcome is None:  # the emulator was reset meanwhile: this request belongs to an old scenario
            self.close_connection = True
            return None, None, None
        status, payload = outcome
        after = state.pick_fault(call.name, self.command, raw_path, "after", generation)
        if after is not None:
            entry["fault"], entry["fault_phase"] = after["kind"], "after"
        if after is not None and after["kind"] != "delay":  # the operation ran; only its answer is lost or replaced
            return self._send_fault(after, payload, request_id) + (after["kind"],)
        if after is not None:
            time.sleep(after["delay"])
        self._send_json(status, payload, request_id)
        return status, payload.get("code") if status >= 400 else None, "delay" if before or after else None

    def _send_ip_block(self, answer, request_id):
        """DingTalk's answer to a blocked egress IP: an HTML page, or the anti-abuse JSON body of public reports.

        HTTP 200 either way (an assumption: the reports quote bodies, not status lines), the worst case
        for a client, which must not take it for a success. Returns the status.
        """
        if answer == "json":
            body = {"status": 1111, "wait": 5, "source": "x5", "punish": "deny", "uuid": request_id.replace("-", "")}
            self._send_json(200, body, request_id)
        else:
            page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Access denied</title></head><body>"
                    "<p>Too many requests from your IP address. Access is denied; please try again later.</p></body></html>")
            self._send(200, page.encode("utf-8"), "text/html;charset=utf-8", request_id)
        return 200

    def _send_fault(self, rule, payload, request_id):
        """Write the fault's answer; return (status or None when nothing was sent, logged code)."""
        kind, status = rule["kind"], rule["status"]
        if kind == "drop":
            self.close_connection = True
            return None, None
        if kind == "error":
            self._send_json(status, {"code": rule["code"], "message": rule["message"], "requestid": request_id}, request_id)
            return status, rule["code"]
        if kind == "html":
            page = "<html><head><title>%d</title></head><body><h1>%d</h1><p>%s</p></body></html>" % (status, status, rule["message"])
            self._send(status, page.encode("utf-8"), "text/html; charset=utf-8", request_id)
            return status, None
        if kind == "truncated":  # announce the whole body, send half of it, hang up
            if rule["body"] is None:
                payload = payload or {"code": rule["code"], "message": rule["message"], "requestid": request_id}
            encoded = (json.dumps(payload) if rule["body"] is None else rule["body"]).encode("utf-8")
            self.close_connection = True
            self._send(status, encoded[:len(encoded) // 2], rule["content_type"], request_id, declared_length=len(encoded))
            return status, None
        if rule["body_base64"] is not None:  # raw
            body = base64.b64decode(rule["body_base64"])
        else:
            body = (rule["body"] or "").encode("utf-8")
        self._send(status, body, rule["content_type"], request_id, headers=rule["headers"], repeat=rule["repeat"])
        return status, None


class _EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops connection attempts of a burst of concurrent clients (which
    # then time out): not a fault any test asked for.
    request_queue_size = 128

    def __init__(self, address, state, verbose, tls_context):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.state = state
        self.verbose = verbose
        super().__init__(address, EmulatorRequestHandler)
        if tls_context is not None:
            self.socket = tls_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def server_bind(self):
        # HTTPServer.server_bind resolves the host's FQDN, which can stall for seconds without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        """Dropped connections and failed TLS handshakes are routine in fault tests; stay quiet."""
        if self.verbose:
            print("connection error: %s" % (sys.exc_info()[1],), file=sys.stderr, flush=True)


class EmulatorServer:
    """A running emulator: ``.url``, ``.state``, ``.shutdown()``; usable as a context manager."""

    def __init__(self, host="127.0.0.1", port=0, region="io", qps_limit=20, latency=0.0, tls_cert=None, tls_key=None,
                 state_file=None, port_file=None, verbose=False, file_host_port=0):
        self.state = EmulatorState(region=region, qps_limit=qps_limit, latency=latency)
        if state_file:
            with open(state_file, encoding="utf-8") as handle:
                self.state.admin_seed(Call(None, [], {}, json.load(handle)))
        tls_context = None
        if tls_cert:
            tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_context.load_cert_chain(tls_cert, tls_key)
        self._httpd = _EmulatorHTTPServer((host, port), self.state, verbose, tls_context)
        self.port = self._httpd.server_address[1]
        # The recordings' files are on another host, as DingTalk's are: a server of its own, on a port of its own.
        self.file_host = file_host.FileHostServer(self.state.recordings.store, host=host, port=file_host_port)
        self.file_host_url = self.file_host.url
        self.url = "%s://%s:%d" % ("https" if tls_context else "http", "[%s]" % host if ":" in host else host, self.port)
        self._port_file = port_file
        self._thread = None

    def start(self):
        self.file_host.start()
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="dingtalk-emulator", daemon=True)
        self._thread.start()
        if self._port_file:
            # Write then rename, so a watcher never reads a half-written port number.
            temporary = "%s.%d.tmp" % (self._port_file, os.getpid())
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write("%d\n" % self.port)
            os.replace(temporary, self._port_file)
        return self

    def shutdown(self):
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        self.file_host.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.shutdown()


def start_in_thread(**options):
    """Start an emulator in a background thread; keyword arguments are EmulatorServer's (CLI options)."""
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
        server = EmulatorServer(host=args.host, port=args.port, region=args.region, qps_limit=args.qps_limit, latency=args.latency,
                                tls_cert=args.tls_cert, tls_key=args.tls_key, state_file=args.state_file,
                                port_file=args.port_file, verbose=args.verbose, file_host_port=args.file_host_port)
    except (ApiError, OSError, ValueError, ssl.SSLError) as err:
        parser.error("cannot start: %s" % err)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    server.start()
    print("dingtalk-emulator listening on %s" % server.url, flush=True)
    print("recordings' file host listening on %s" % server.file_host_url, flush=True)
    while not stop.wait(0.2):
        pass
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
