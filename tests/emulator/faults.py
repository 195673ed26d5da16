# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault rules: which API requests get a fault instead of (or after) DingTalk's answer, and which fault.

The rules live in the store (store.py) and are consulted under its lock; the HTTP server
(http_server.py) writes the faults. See "Fault rules" in README.md.
"""

import base64
import binascii
import random
import re

from .calls import JSON_CONTENT_TYPE, admin_error, check_choice, check_number

FAULT_KINDS = ("error", "html", "drop", "delay", "truncated", "raw")


def use_rule(rule):
    """Count a hit of a fault rule that applies, use up one of its ``times`` (None: unlimited), return a copy to apply."""
    rule["hits"] += 1
    if rule["times"] is not None:
        rule["times"] -= 1
    return dict(rule)


class FaultInjector:
    """Fault rules matched against API requests; not thread-safe on its own (the store locks)."""

    def __init__(self, seed):
        self.rules = []
        self.random = random.Random(seed)

    @staticmethod
    def validate(rule):
        if not isinstance(rule, dict):
            raise admin_error("a fault rule must be an object")
        known = {
            "api",
            "method",
            "path_regex",
            "kind",
            "status",
            "code",
            "message",
            "delay",
            "body",
            "body_base64",
            "content_type",
            "headers",
            "repeat",
            "times",
            "probability",
            "phase",
        }
        unknown = set(rule) - known
        if unknown:
            raise admin_error("unknown fault rule keys: {}".format(", ".join(sorted(unknown))))
        kind = check_choice(rule.get("kind"), FAULT_KINDS, "kind")
        checked = {
            "api": rule.get("api", "*"),
            "method": rule["method"].upper() if rule.get("method") else None,
            "path_regex": rule.get("path_regex"),
            "kind": kind,
            "status": int(check_number(rule.get("status", 200 if kind in ("raw", "truncated") else 500), "status", 100)),
            "code": rule.get("code", "systemError"),
            "message": rule.get("message", "system error"),  # what DingTalk documents for systemError
            "delay": check_number(rule.get("delay", 0), "delay"),
            "body": rule.get("body"),
            "body_base64": rule.get("body_base64"),
            "content_type": rule.get("content_type", JSON_CONTENT_TYPE),
            "headers": rule.get("headers", {}),
            "repeat": int(check_number(rule.get("repeat", 1), "repeat", 1)),
            "times": rule.get("times"),
            "probability": check_number(rule.get("probability", 1), "probability"),
            "phase": check_choice(rule.get("phase", "before"), ("before", "after"), "phase"),
            "hits": 0,
        }
        if checked["times"] is not None:
            checked["times"] = int(check_number(checked["times"], "times", 1))
        if checked["body_base64"] is not None:
            if checked["body"] is not None:
                raise admin_error("body and body_base64 cannot be combined")
            try:
                if not isinstance(checked["body_base64"], str):
                    raise admin_error("body_base64 must be a string")
                base64.b64decode(checked["body_base64"], validate=True)
            except binascii.Error as err:
                raise admin_error(f"body_base64 is not base64: {err}") from err
        headers = checked["headers"]
        if not isinstance(headers, dict) or not all(
            isinstance(name, str) and re.match(r"^[A-Za-z0-9-]+$", name) and (value is None or isinstance(value, str) and not re.search(r"[\r\n]", value))
            for name, value in headers.items()
        ):
            raise admin_error("headers must map header names to values without line breaks, or to null")
        if checked["path_regex"] is not None:
            try:
                re.compile(checked["path_regex"])
            except re.error as err:
                raise admin_error(f"path_regex does not compile: {err}") from err
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
            return use_rule(rule)
        return None
