# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything the emulator knows, behind one lock: the store that its DingTalk API and its admin API share.

The scenario (apps, suites, tokens, conferences, their recordings and the files on the file host), the
config, the fault rules, DingTalk's limits (their windows and counts), the request log and the statistics. DingTalk's behaviour is in
dingtalk_api.py, the admin API in admin_api.py; both change the store only while holding its lock.
"""

import collections
import copy
import json
import threading

from .calls import ApiError, admin_error, check_choice
from .clock import Clock
from .cloud_recordings import CloudRecordings
from .faults import FaultInjector
from .file_host import FileStore

REGIONS = ("io", "com")
IP_BLOCK_ANSWERS = ("html", "json")
# The limits DingTalk's global error-code page lists, with the code an internal app and a
# third-party app (per authorising organisation) get for each.
QPS_LIMITED = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
SUITE_QPS_LIMITED = "Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi"
QPM_LIMITED = "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi"
SUITE_QPM_LIMITED = "Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi"
API_QPS_LIMITED = "Forbidden.AccessDenied.QpsLimitForApi"
ORG_QUOTA_USED_UP = "Forbidden.AccessDenied.ApiCountLimitForOrg"
THROTTLING_CODES = (QPS_LIMITED, SUITE_QPS_LIMITED, QPM_LIMITED, SUITE_QPM_LIMITED, API_QPS_LIMITED)


class EmulatorStore:
    """Registry, tokens, meetings, config, faults, limits, request log and stats; ``lock`` guards them all.

    ``generation`` counts resets: a request that started before a reset belongs to the old scenario and
    must neither change nor log into the new one, so the server checks it at every step.
    """

    def __init__(self, region="io", qps_limit=20, latency=0.0, clock=None):
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        # The limits beyond qps_limit are off (0) unless a test turns them on; see "Limits" in README.md.
        self.defaults = {
            "region": check_choice(region, REGIONS, "region"),
            "qps_limit": int(qps_limit),
            "latency": float(latency),
            "invalid_auth_status": 400,
            "seed": 0,
            "qpm_limit": 0,
            "api_qps_limit": 0,
            "org_call_quota": 0,
            "ip_call_limit": 0,
            "ip_window_seconds": 20.0,
            "ip_block_seconds": 300.0,
            "ip_block_answer": "html",
        }
        # Counters survive reset so a token or id handed out before a reset never comes back to life.
        self._counters = collections.Counter()
        self.generation = 0
        self.in_flight = 0  # API requests being answered now (a delayed one, say); not reset, they are real
        # Videos and transcripts (cloud_recordings.py), their files on a file host of their own (file_host.py).
        self.recordings = CloudRecordings(FileStore(self.clock), ApiError, admin_error, self.clock)
        self.reset()

    def reset(self):
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
            self.stats = {
                "requests": 0,
                "by_api": collections.Counter(),
                "by_status": collections.Counter(),
                "by_code": collections.Counter(),
                "tokens_issued": 0,
                "throttled": 0,
                "ip_blocked": 0,
                "faults_injected": 0,
            }
            self.recordings.reset()

    # ----- time and numbers --------------------------------------------------------------------------

    def now(self):
        """Epoch seconds on the emulator's clock."""
        return self.clock.time()

    def now_ms(self):
        return int(self.clock.time() * 1000)

    def next_number(self, counter):
        with self.lock:
            self._counters[counter] += 1
            return self._counters[counter]

    def new_request_id(self):
        return "00000000-0000-4000-8000-%012d" % self.next_number("request")

    def config_value(self, key):
        with self.lock:
            return self.config[key]

    # ----- faults, the request log and the statistics ------------------------------------------------

    def pick_fault(self, api, method, raw_path, phase, generation):
        with self.lock:
            return self.faults.pick(api, method, raw_path, phase) if generation == self.generation else None

    def record_request(self, entry, generation):
        with self.lock:
            if generation != self.generation:
                return  # a request that straddled a reset must not leak into the next scenario's log
            entry["seq"] = self.next_number("seq")
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

    def record_unanswered(self, entry, generation):
        """A logged call whose answer could not be written (the client had gone): logged as dropped, as if unanswered."""
        with self.lock:
            if generation != self.generation or "seq" not in entry:
                return
            _uncount(self.stats["by_status"], str(entry["status"]))
            self.stats["by_status"]["dropped"] += 1
            if entry["code"]:
                _uncount(self.stats["by_code"], entry["code"])
            if entry["code"] in THROTTLING_CODES:
                self.stats["throttled"] -= 1
            entry["status"] = entry["code"] = None

    def count_in_flight(self, change):
        with self.lock:
            self.in_flight += change

    def logged_requests(self, since=0, api=None):
        """Copies of the log entries after sequence number ``since``, of one API if ``api`` is given."""
        with self.lock:
            return copy.deepcopy([entry for entry in self.request_log if entry["seq"] > since and api in (None, entry["api"])])

    def stats_snapshot(self):
        with self.lock:
            return dict(json.loads(json.dumps(self.stats)), in_flight=self.in_flight)

    # ----- DingTalk's limits -------------------------------------------------------------------------

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
            now = self.clock.monotonic()
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

    def check_limits(self, principal, org, third_party, api):
        """The organisation's quota, then DingTalk's per-API, per-caller-second and per-caller-minute limits.

        ``principal`` is an app key or ``suite_key/corp_id``, ``org`` the organisation it calls for.
        Sliding windows; only admitted calls occupy them, so a client that backs off gets through.
        """
        with self.lock:
            quota = self.config["org_call_quota"]
            if quota and self.org_calls[org] >= quota:
                raise ApiError(403, ORG_QUOTA_USED_UP, f"the API call quota of organisation {org} is used up")
            now = self.clock.monotonic()
            windows = (
                (self.config["api_qps_limit"], 1.0, ("api", api), API_QPS_LIMITED, f"API {api} exceeded its global QPS limit"),
                (
                    self.config["qps_limit"],
                    1.0,
                    ("second", principal, api),
                    SUITE_QPS_LIMITED if third_party else QPS_LIMITED,
                    f"{principal} exceeded the QPS limit of API {api}",
                ),
                (
                    self.config["qpm_limit"],
                    60.0,
                    ("minute", principal, api),
                    SUITE_QPM_LIMITED if third_party else QPM_LIMITED,
                    f"{principal} exceeded the QPM limit of API {api}",
                ),
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


def _uncount(counter, key):
    """Take one back from a Counter of the statistics, leaving out a count that falls to zero."""
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]
