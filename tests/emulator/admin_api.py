# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's admin API under /_emulator/: set up scenarios and recordings, inject faults, read the request log, move the clock.

JSON in and out with snake_case keys (see "Admin API" in README.md). It changes the store directly and
borrows DingTalk's own rules (dingtalk_api.py) where a scenario must look like DingTalk made it: a new
conference's defaults, a token's shape, what ending a meeting does. Tests call it through admin.py.
"""

import copy

from .calls import ANY_SEGMENT, ApiError, Call, admin_error, check_choice, check_number, check_string
from .dingtalk_api import (
    CONF_ENDED,
    CONF_IN_PROGRESS,
    CONF_INIT,
    DEFAULT_CORP_ID,
    DEFAULT_PERMISSIONS,
    EXTENSION_APP_KEYS,
    RECORD_FINISHED,
    RECORD_NONE,
    RECORD_PAUSED,
    RECORD_RECORDING,
    TOKEN_LIFETIME,
)
from .faults import FaultInjector
from .store import IP_BLOCK_ANSWERS, REGIONS

ADMIN_PREFIX = "_emulator"
ADMIN_ROUTES = (
    ("POST", ("reset",), "reset"),
    ("POST", ("seed",), "seed"),
    ("POST", ("apps",), "add_app"),
    ("POST", ("suites",), "add_suite"),
    ("GET", ("tokens",), "list_tokens"),
    ("POST", ("tokens",), "mint_token"),
    ("POST", ("tokens", "expire"), "expire_tokens"),
    ("GET", ("conferences",), "list_conferences"),
    ("POST", ("conferences",), "put_conference"),
    ("GET", ("conferences", ANY_SEGMENT), "get_conference"),
    ("PATCH", ("conferences", ANY_SEGMENT), "patch_conference"),
    ("GET", ("config",), "get_config"),
    ("PUT", ("config",), "update_config"),
    ("GET", ("faults",), "list_faults"),
    ("POST", ("faults",), "add_faults"),
    ("DELETE", ("faults",), "clear_faults"),
    ("GET", ("requests",), "list_requests"),
    ("DELETE", ("requests",), "clear_requests"),
    ("GET", ("stats",), "get_stats"),
    ("GET", ("recordings",), "list_recordings"),
    ("POST", ("recordings",), "add_recordings"),
    ("GET", ("recordings", "config"), "recordings_config"),
    ("PUT", ("recordings", "config"), "recordings_config"),
    ("GET", ("clock",), "get_clock"),
    ("POST", ("clock",), "advance_clock"),
)

CONFERENCE_FIELDS = (
    "conference_id",
    "title",
    "host_union_id",
    "status",
    "cloud_record_status",
    "cloud_record_owner_union_id",
    "record_mode",
    "small_window_position",
    "start_time",
    "end_time",
    "active_num",
    "end_in_seconds",
    "corp_id",
    "creator_nick",
    "room_code",
    "external_link_url",
    "biz_type",
    "attend_num",
    "invited_num",
    "conf_duration",
    "minutes_status",
    "minutes_owner_union_id",
    "schedule_conference_id",
    "extension_app_settings",
)
# The SDK's types: strings, and integers (Integer or Long on the documentation page).
TEXT_FIELDS = (
    "title",
    "corp_id",
    "cloud_record_owner_union_id",
    "creator_nick",
    "room_code",
    "external_link_url",
    "biz_type",
    "minutes_owner_union_id",
    "schedule_conference_id",
)
INTEGER_FIELDS = ("attend_num", "invited_num", "conf_duration", "minutes_status")
CONFIG_CHECKS = {
    "qps_limit": lambda value: int(check_number(value, "qps_limit")),
    "latency": lambda value: float(check_number(value, "latency")),
    "invalid_auth_status": lambda value: check_choice(value, (400, 401), "invalid_auth_status"),
    "region": lambda value: check_choice(value, REGIONS, "region"),
    "seed": lambda value: int(check_number(value, "seed")),
    "qpm_limit": lambda value: int(check_number(value, "qpm_limit")),
    "api_qps_limit": lambda value: int(check_number(value, "api_qps_limit")),
    "org_call_quota": lambda value: int(check_number(value, "org_call_quota")),
    "ip_call_limit": lambda value: int(check_number(value, "ip_call_limit")),
    "ip_window_seconds": lambda value: float(check_number(value, "ip_window_seconds")),
    "ip_block_seconds": lambda value: float(check_number(value, "ip_block_seconds")),
    "ip_block_answer": lambda value: check_choice(value, IP_BLOCK_ANSWERS, "ip_block_answer"),
}


def _check_extension_app_settings(value):
    if not isinstance(value, list) or not all(isinstance(item, dict) and set(item) <= set(EXTENSION_APP_KEYS) for item in value):
        raise admin_error("extension_app_settings must be a list of objects with the keys {}".format(", ".join(sorted(EXTENSION_APP_KEYS))))
    for item in value:
        for key, item_value in item.items():
            expected = int if key == "auto_open_mode" else str
            if not isinstance(item_value, expected) or isinstance(item_value, bool):
                raise admin_error("extension_app_settings: {} must be {}".format(key, "an integer" if expected is int else "a string"))
    return value


def _check_permissions(value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise admin_error("permissions must be a list of strings")
    return value


def _object_body(call):
    return call.json_object(admin_error("the body must be an object"))


class AdminApi:
    """One method per admin route; each takes the decoded Call and returns the JSON answer."""

    def __init__(self, store, dingtalk):
        self.store = store
        self.dingtalk = dingtalk

    def handle(self, call):
        return getattr(self, call.name)(call)

    # ----- the scenario ------------------------------------------------------------------------------

    def reset(self, _call):
        self.store.reset()
        return {"reset": True}

    def seed(self, call):
        """Apply a whole scenario; items go in order and the first invalid one stops with 400."""
        body = call.json_object(admin_error("the seed must be an object"))
        unknown = set(body) - {"config", "apps", "suites", "tokens", "conferences"}
        if unknown:
            raise admin_error("unknown seed keys: {}".format(", ".join(sorted(unknown))))
        store = self.store
        with store.lock:
            if "config" in body:
                self.update_config(Call.of_body(body["config"]))
            for key, operation in (("apps", self.add_app), ("suites", self.add_suite), ("tokens", self.mint_token), ("conferences", self.put_conference)):
                for item in body.get(key, []):
                    operation(Call.of_body(item))
            return {"apps": len(store.apps), "suites": len(store.suites), "tokens": len(store.tokens), "conferences": len(store.conferences)}

    def _registration(self, call, fields):
        body = _object_body(call)
        entry = {field: check_string(body.get(field), field) for field in fields}
        permissions = _check_permissions(body.get("permissions", list(DEFAULT_PERMISSIONS)))
        # Resolved now: an app belongs to the region it was registered in, even if config.region changes later.
        entry.update(permissions=permissions, region=check_choice(body.get("region", self.store.config["region"]), REGIONS, "region"))
        return body, entry

    def add_app(self, call):
        with self.store.lock:
            body, app = self._registration(call, ("app_key", "app_secret"))
            app["corp_id"] = check_string(body.get("corp_id", DEFAULT_CORP_ID), "corp_id")  # its organisation, for org_call_quota
            self.store.apps[app["app_key"]] = app
            return {"app_key": app["app_key"], "permissions": app["permissions"], "region": app["region"], "corp_id": app["corp_id"]}

    def add_suite(self, call):
        with self.store.lock:
            body, suite = self._registration(call, ("suite_key", "suite_secret", "suite_ticket"))
            corp_ids = body.get("corp_ids", [])
            if not isinstance(corp_ids, list):
                raise admin_error("corp_ids must be a list")
            suite["corp_ids"] = [str(corp_id) for corp_id in corp_ids]
            self.store.suites[suite["suite_key"]] = suite
            return {"suite_key": suite["suite_key"], "corp_ids": suite["corp_ids"], "permissions": suite["permissions"], "region": suite["region"]}

    # ----- tokens ------------------------------------------------------------------------------------

    def mint_token(self, call):
        body = _object_body(call)
        store = self.store
        with store.lock:
            if "app_key" in body:
                owner_record = store.apps.get(body["app_key"])
                owner = {"app_key": body["app_key"]}
            else:
                suite = store.suites.get(body.get("suite_key"))
                if suite is not None and body.get("corp_id") not in suite["corp_ids"]:
                    raise admin_error("corp_id is not one of the suite's corp_ids")
                owner_record, owner = suite, {"suite_key": body.get("suite_key"), "corp_id": body.get("corp_id")}
            if owner_record is None:
                raise admin_error("app_key, or suite_key and corp_id, must name a registered app or suite")
            region = check_choice(body.get("region", owner_record["region"]), REGIONS, "region")
            lifetime = check_number(body.get("expires_in", TOKEN_LIFETIME), "expires_in", -(10**9))
            value = body.get("token")
            if value is not None:
                check_string(value, "token")
            permissions = body.get("permissions")
            if permissions is not None:
                _check_permissions(permissions)
            token = self.dingtalk.new_token(owner, region, lifetime, value, permissions)
            return {"access_token": token["token"], "expires_at": token["expires_at"]}

    def list_tokens(self, _call):
        """Every token issued since the last reset, so that tests can scan their output for each of them."""
        with self.store.lock:
            return {
                "tokens": [
                    {"access_token": token["token"], "principal": token["principal"], "expires_at": token["expires_at"]} for token in self.store.tokens.values()
                ]
            }

    def expire_tokens(self, call):
        body = _object_body(call)
        store = self.store
        with store.lock:
            if "access_token" in body:
                if body["access_token"] not in store.tokens:
                    raise ApiError(404, "notFound", "no such token")
                targets = [store.tokens[body["access_token"]]]
            else:
                targets = list(store.tokens.values())
            for token in targets:
                token["expires_at"] = min(token["expires_at"], store.now() - 1)
            return {"expired": len(targets)}

    # ----- conferences -------------------------------------------------------------------------------

    def _apply_conference_fields(self, conference, fields):
        unknown = set(fields) - set(CONFERENCE_FIELDS)
        if unknown:
            raise admin_error("unknown conference keys: {}".format(", ".join(sorted(unknown))))
        if "status" in fields:
            check_choice(fields["status"], (CONF_INIT, CONF_ENDED, CONF_IN_PROGRESS), "status")
        if "cloud_record_status" in fields:
            check_choice(fields["cloud_record_status"], (RECORD_NONE, RECORD_RECORDING, RECORD_PAUSED, RECORD_FINISHED), "cloud_record_status")
        for key in ("start_time", "end_time", "active_num", "end_in_seconds"):
            if fields.get(key) is not None:
                check_number(fields[key], key)
        for key in INTEGER_FIELDS:
            value = fields.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise admin_error(f"{key} must be an integer >= 0")
        for key in TEXT_FIELDS:
            if fields.get(key) is not None and not isinstance(fields[key], str):
                raise admin_error(f"{key} must be a string")
        if fields.get("extension_app_settings") is not None:
            _check_extension_app_settings(fields["extension_app_settings"])
        updates = {key: value for key, value in fields.items() if key != "end_in_seconds"}
        ending = updates.get("status") == CONF_ENDED and conference.get("status") != CONF_ENDED
        conference.update(updates)
        if ending:
            # {"status": 1} ends the meeting the way closing it would, unless the patch sets the recording itself.
            self.dingtalk.end_conference(conference, finish_recording="cloud_record_status" not in fields)
        if "end_in_seconds" in fields:
            conference["ends_at"] = self.store.now() + fields["end_in_seconds"]
        return conference

    def put_conference(self, call):
        fields = _object_body(call)
        with self.store.lock:
            conference = self._apply_conference_fields(self.dingtalk.new_conference(fields.get("conference_id")), fields)
            check_string(conference["host_union_id"], "host_union_id")
            check_string(conference["conference_id"], "conference_id")
            self.store.conferences[conference["conference_id"]] = conference
            return dict(conference)

    def _conference(self, conference_id):
        if conference_id not in self.store.conferences:
            raise ApiError(404, "notFound", f"no conference {conference_id}")
        conference = self.store.conferences[conference_id]
        self.dingtalk.apply_scheduled_end(conference)
        return conference

    def list_conferences(self, _call):
        with self.store.lock:
            return {"conferences": [dict(self._conference(key)) for key in self.store.conferences]}

    def get_conference(self, call):
        with self.store.lock:
            return dict(self._conference(call.params[0]))

    def patch_conference(self, call):
        body = _object_body(call)
        if "conference_id" in body:
            raise admin_error("conference_id cannot be changed")
        with self.store.lock:
            return dict(self._apply_conference_fields(self._conference(call.params[0]), body))

    # ----- config and faults -------------------------------------------------------------------------

    def get_config(self, _call):
        with self.store.lock:
            return dict(self.store.config)

    def update_config(self, call):
        body = call.json_object(admin_error("the config must be an object"))
        unknown = set(body) - set(CONFIG_CHECKS)
        if unknown:
            raise admin_error("unknown config keys: {}".format(", ".join(sorted(unknown))))
        with self.store.lock:
            updates = {key: CONFIG_CHECKS[key](value) for key, value in body.items()}
            self.store.config.update(updates)
            if "seed" in updates:
                self.store.faults.random.seed(updates["seed"])
            return dict(self.store.config)

    def add_faults(self, call):
        rules = _object_body(call).get("rules")
        if not isinstance(rules, list):
            raise admin_error("rules must be a list")
        checked = [FaultInjector.validate(rule) for rule in rules]
        with self.store.lock:
            self.store.faults.rules.extend(checked)
            return self.list_faults(call)

    def list_faults(self, _call):
        with self.store.lock:
            return {"rules": copy.deepcopy(self.store.faults.rules)}

    def clear_faults(self, _call):
        with self.store.lock:
            self.store.faults.rules = []
            return {"rules": []}

    # ----- what happened -----------------------------------------------------------------------------

    def list_requests(self, call):
        since = call.query.get("since", "0")
        if not since.isdigit():
            raise admin_error("since must be a non-negative integer")
        return {"requests": self.store.logged_requests(int(since), call.query.get("api"))}

    def clear_requests(self, _call):
        with self.store.lock:
            self.store.request_log = []
            return {"requests": []}

    def get_stats(self, _call):
        return self.store.stats_snapshot()

    # ----- recordings (cloud_recordings.py) ----------------------------------------------------------

    def add_recordings(self, call):
        with self.store.lock:
            return self.store.recordings.admin_add(_object_body(call))

    def list_recordings(self, call):
        with self.store.lock:
            return self.store.recordings.admin_list(call.query)

    def recordings_config(self, call):
        with self.store.lock:
            return self.store.recordings.admin_config(call.json_object(admin_error("the config must be an object")))

    # ----- the clock ---------------------------------------------------------------------------------

    def get_clock(self, _call):
        # A clock a test injected may have no offset: it moves only when that test moves it.
        return {"time": self.store.now(), "advanced": getattr(self.store.clock, "offset", None)}

    def advance_clock(self, call):
        """Move the emulator's time forward: tokens expire, scheduled ends come, limit windows pass, without waiting."""
        seconds = check_number(_object_body(call).get("seconds"), "seconds")
        if not hasattr(self.store.clock, "advance"):
            raise admin_error("this emulator runs on a clock of the test's own, which the admin API cannot move")
        self.store.clock.advance(seconds)
        return self.get_clock(call)
