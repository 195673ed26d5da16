# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the DingTalk emulator itself, over real HTTP, so the collection's tests can trust it."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import pytest
import requests

EMULATOR_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "emulator"))
EMULATOR_SCRIPT = os.path.join(EMULATOR_DIR, "dingtalk_emulator.py")

try:
    from ansible_collections.community.dingtalk.tests.emulator.admin import EmulatorAdmin
    from ansible_collections.community.dingtalk.tests.emulator.dingtalk_emulator import start_in_thread
except ImportError:
    # Outside an ansible_collections tree (plain checkout), the folder is the package "emulator".
    sys.path.insert(0, os.path.dirname(EMULATOR_DIR))
    from emulator.admin import EmulatorAdmin  # pylint: disable=import-error
    from emulator.dingtalk_emulator import start_in_thread  # pylint: disable=import-error

CONFERENCES = "/v1.0/conference/videoConferences/"
HOST = "host-union-id"
SCENARIO = {
    "apps": [
        {"app_key": "app-key", "app_secret": "app-secret"},
        {"app_key": "read-only", "app_secret": "secret", "permissions": ["VideoConference.Conference.Read"]},
        {"app_key": "write-only", "app_secret": "secret", "permissions": ["VideoConference.Conference.Write"]},
        {"app_key": "mainland-app", "app_secret": "secret", "region": "com"},
    ],
    "suites": [{"suite_key": "suite-key", "suite_secret": "suite-secret", "suite_ticket": "ticket", "corp_ids": ["corp-1"]}],
    "conferences": [{"conference_id": "conf-1", "host_union_id": HOST, "title": "Weekly", "cloud_record_status": 1}],
}


class Client:
    """Thin wrapper so each test reads as the DingTalk calls it makes."""

    def __init__(self, url):
        self.url = url
        self.session = requests.Session()
        self.emulator = EmulatorAdmin(url, timeout=5)

    def admin(self, method, path, body=None):
        return self.emulator.call(method, path, body)

    def api(self, method, path, token=None, body=None, **kwargs):
        headers = {"x-acs-dingtalk-access-token": token} if token else {}
        return self.session.request(method, self.url + path, headers=headers, json=body, timeout=5, **kwargs)

    def stats(self):
        return self.admin("GET", "stats")

    def token(self, app_key="app-key", app_secret="app-secret"):
        response = self.api("POST", "/v1.0/oauth2/accessToken", body={"appKey": app_key, "appSecret": app_secret})
        assert response.status_code == 200, response.text
        return response.json()["accessToken"]

    def stop(self, token, conference_id="conf-1", union_id=HOST):
        return self.api("POST", CONFERENCES + quote(conference_id, safe="") + "/cloudRecords/stop", token, {"unionId": union_id})

    def start(self, token, conference_id="conf-1", **body):
        return self.api("POST", CONFERENCES + quote(conference_id, safe="") + "/cloudRecords/start", token, dict({"unionId": HOST}, **body))

    def conference(self, token, conference_id="conf-1"):
        return self.api("GET", CONFERENCES + quote(conference_id, safe=""), token)

    def record_status(self, conference_id="conf-1"):
        return self.admin("GET", "conferences/" + quote(conference_id, safe=""))["cloud_record_status"]


def assert_error(response, status, code, message=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    body = response.json()
    assert body["code"] == code
    if message is not None:
        assert body["message"] == message
    assert body["requestid"] == response.headers["x-acs-request-id"]
    return body


@pytest.fixture(scope="module")
def server():
    with start_in_thread(qps_limit=0) as emulator:
        yield emulator


@pytest.fixture
def client(server):
    dingtalk = Client(server.url)
    dingtalk.admin("POST", "reset")
    dingtalk.admin("PUT", "config", {"qps_limit": 0})  # QPS is tested on its own; keep other tests deterministic
    dingtalk.admin("POST", "seed", SCENARIO)
    yield dingtalk
    dingtalk.session.close()
    dingtalk.emulator.close()


def test_internal_token_is_reused_and_extended(client, server):
    first = client.api("POST", "/v1.0/oauth2/accessToken", body={"appKey": "app-key", "appSecret": "app-secret"})
    assert first.json()["expireIn"] == 7200
    token = first.json()["accessToken"]
    expiry = server.state.tokens[token]["expires_at"]
    client.emulator.advance_clock(1)
    assert client.token() == token
    assert server.state.tokens[token]["expires_at"] > expiry
    unified = client.api("POST", "/v1.0/oauth2/corp-1/token", body={"client_id": "app-key", "client_secret": "app-secret", "grant_type": "client_credentials"})
    assert unified.json() == {"access_token": token, "expires_in": 7200}


@pytest.mark.parametrize(
    "body, code",
    [
        ({"appKey": "app-key", "appSecret": "wrong"}, "invalidClientIdOrSecret"),
        ({"appKey": "nobody", "appSecret": "app-secret"}, "invalidClientIdOrSecret"),
        ({"appKey": "mainland-app", "appSecret": "secret"}, "invalidClientIdOrSecret"),
        ({"appSecret": "app-secret"}, "MissingappKey"),
    ],
)
def test_internal_token_errors(client, body, code):
    assert_error(client.api("POST", "/v1.0/oauth2/accessToken", body=body), 400, code)


def test_token_calls_reject_form_and_non_json_bodies(client):
    for path in ("/v1.0/oauth2/accessToken", "/v1.0/oauth2/corpAccessToken", "/v1.0/oauth2/corp-1/token"):
        form = client.session.post(client.url + path, data={"appKey": "app-key", "appSecret": "app-secret"}, timeout=5)
        assert_error(form, 400, "Missingbody", "body is mandatory for this action.")
        assert_error(client.session.post(client.url + path, timeout=5), 400, "Missingbody")
        assert_error(client.api("POST", path, body=["appKey"]), 400, "Missingbody")


def test_unified_token_errors(client):
    path = "/v1.0/oauth2/corp-1/token"
    for body in (
        {"client_id": "app-key", "client_secret": "x", "grant_type": "client_credentials"},
        {"client_id": "nobody", "client_secret": "app-secret", "grant_type": "client_credentials"},
        {"client_id": "suite-key", "client_secret": "x", "grant_type": "client_credentials"},
        {"client_secret": "app-secret", "grant_type": "client_credentials"},
    ):
        assert_error(client.api("POST", path, body=body), 400, "invalid.client")
    for grant in ("password", None):
        body = {"client_id": "app-key", "client_secret": "app-secret", "grant_type": grant}
        assert_error(client.api("POST", path, body=body), 400, "unsupported.grant.type")
    not_installed = {"client_id": "suite-key", "client_secret": "suite-secret", "grant_type": "client_credentials"}
    assert_error(client.api("POST", "/v1.0/oauth2/corp-2/token", body=not_installed), 401, "unauthorized.client")


def test_unified_token_serves_third_party_apps(client):
    body = {"client_id": "suite-key", "client_secret": "suite-secret", "grant_type": "client_credentials"}
    tokens = [client.api("POST", "/v1.0/oauth2/corp-1/token", body=body).json() for _attempt in range(2)]
    assert tokens[0]["expires_in"] == 7200 and tokens[0]["access_token"] != tokens[1]["access_token"]
    assert client.stop(tokens[0]["access_token"]).json() == {"code": "200"}
    log = client.admin("GET", "requests?api=oauth2.token")["requests"]
    assert [entry["principal"] for entry in log] == ["suite-key/corp-1"] * 2


def test_third_party_token_is_new_every_call(client):
    body = {"suiteKey": "suite-key", "suiteSecret": "suite-secret", "authCorpId": "corp-1", "suiteTicket": "ticket"}
    tokens = [client.api("POST", "/v1.0/oauth2/corpAccessToken", body=body).json() for _attempt in range(2)]
    assert tokens[0]["accessToken"] != tokens[1]["accessToken"]
    assert tokens[0]["expireIn"] == 7200
    assert client.stop(tokens[0]["accessToken"]).json() == {"code": "200"}
    log = client.admin("GET", "requests?api=oauth2.corpAccessToken")["requests"]
    assert [entry["principal"] for entry in log] == ["suite-key/corp-1"] * 2


@pytest.mark.parametrize(
    "change, code",
    [
        ({"suiteKey": "other"}, "invalidSuiteKey"),
        ({"suiteSecret": "wrong"}, "invalidSuiteKey"),
        ({"suiteTicket": "stale"}, "invalidSuiteTicket"),
        ({"authCorpId": "corp-2"}, "invalidAuthInfo"),
    ],
)
def test_third_party_token_errors(client, change, code):
    body = dict({"suiteKey": "suite-key", "suiteSecret": "suite-secret", "authCorpId": "corp-1", "suiteTicket": "ticket"}, **change)
    assert_error(client.api("POST", "/v1.0/oauth2/corpAccessToken", body=body), 400, code)


def test_missing_unknown_and_expired_tokens(client):
    assert_error(client.conference(None), 400, "AuthenticationFailed.MissingParameter")
    assert_error(client.conference("not-a-token"), 400, "InvalidAuthentication")
    token = client.token()
    client.admin("POST", "tokens/expire", {"access_token": token})
    assert_error(client.stop(token), 400, "InvalidAuthentication")
    client.admin("PUT", "config", {"invalid_auth_status": 401})
    assert_error(client.stop(token), 401, "InvalidAuthentication")
    renewed = client.token()
    assert renewed != token
    assert client.stop(renewed).status_code == 200
    assert client.admin("POST", "tokens/expire", {})["expired"] == 2  # every token, already expired or not
    assert_error(client.stop(renewed), 401, "InvalidAuthentication")


def test_minted_tokens(client):
    minted = client.admin("POST", "tokens", {"app_key": "app-key", "token": "fixed-token", "expires_in": 60})
    assert minted["access_token"] == "fixed-token" and minted["expires_at"] > time.time() + 50
    assert client.conference("fixed-token").status_code == 200
    suite_token = client.admin("POST", "tokens", {"suite_key": "suite-key", "corp_id": "corp-1"})["access_token"]
    assert client.conference(suite_token).status_code == 200
    expired = client.admin("POST", "tokens", {"app_key": "app-key", "expires_in": -1})["access_token"]
    assert_error(client.conference(expired), 400, "InvalidAuthentication")
    bad = client.emulator.request("POST", "tokens", json={"suite_key": "suite-key", "corp_id": "corp-9"})
    assert bad.status_code == 400


def test_permission_points(client):
    body = assert_error(client.stop(client.token("read-only", "secret")), 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied")
    assert body["accessdenieddetail"] == {"requiredScopes": ["VideoConference.Conference.Write"]}
    body = assert_error(client.conference(client.token("write-only", "secret")), 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied")
    assert body["accessdenieddetail"] == {"requiredScopes": ["VideoConference.Conference.Read"]}
    assert client.record_status() == 1


def test_query_conference(client):
    token = client.token()
    info = client.conference(token).json()["confInfo"]
    assert info["conferenceId"] == "conf-1" and info["title"] == "Weekly" and info["creatorId"] == HOST
    assert info["status"] == 2 and info["cloudRecordStatus"] == 1 and isinstance(info["startTime"], int)
    # The fields of the documentation's answer example have a value by default; the end only once it has ended.
    assert info["creatorNick"] and info["roomCode"].isdigit() and info["externalLinkUrl"].startswith("https://")
    assert info["bizType"] == "0" and info["activeNum"] == 1 and info["attendNum"] == 1 and info["invitedNum"] == 0
    assert "endTime" not in info and "confDuration" not in info
    assert_error(client.conference(token, "missing"), 404, "roomNotFound")
    assert_error(client.api("GET", CONFERENCES, token), 400, "missingRoomId")
    assert_error(client.api("POST", CONFERENCES + "/cloudRecords/stop", token, {"unionId": HOST}), 400, "missingRoomId")


def test_conference_fields_are_settable(client):
    fields = {
        "creator_nick": "Li Lei",
        "room_code": "512345678",
        "external_link_url": "https://meeting.dingtalk.com/j/x",
        "biz_type": "3",
        "attend_num": 9,
        "invited_num": 12,
        "minutes_status": 1,
        "minutes_owner_union_id": HOST,
        "schedule_conference_id": "schedule-1",
        "start_time": 1000,
        "end_time": 61000,
        "status": 1,
        "extension_app_settings": [{"app_code": "c", "app_id": "i", "auto_open_mode": 1, "extension_app_biz_data": "d"}],
    }
    client.admin("PATCH", "conferences/conf-1", fields)
    info = client.conference(client.token()).json()["confInfo"]
    assert {
        key: info[key]
        for key in (
            "creatorNick",
            "roomCode",
            "externalLinkUrl",
            "bizType",
            "attendNum",
            "invitedNum",
            "minutesStatus",
            "minutesOwnerUnionId",
            "scheduleConferenceId",
            "endTime",
        )
    } == {
        "creatorNick": "Li Lei",
        "roomCode": "512345678",
        "externalLinkUrl": "https://meeting.dingtalk.com/j/x",
        "bizType": "3",
        "attendNum": 9,
        "invitedNum": 12,
        "minutesStatus": 1,
        "minutesOwnerUnionId": HOST,
        "scheduleConferenceId": "schedule-1",
        "endTime": 61000,
    }
    assert info["confDuration"] == 60000  # derived from the start and the end unless set
    assert info["extensionAppSettings"] == [{"appCode": "c", "appId": "i", "autoOpenMode": 1, "extensionAppBizData": "d"}]
    client.admin("PATCH", "conferences/conf-1", {"conf_duration": 5})
    assert client.conference(client.token()).json()["confInfo"]["confDuration"] == 5
    for bad in (
        {"attend_num": "9"},
        {"attend_num": -1},
        {"invited_num": True},
        {"room_code": 512345678},
        {"extension_app_settings": [{"app_kode": "c"}]},
        {"extension_app_settings": [{"auto_open_mode": "1"}]},
    ):
        response = client.emulator.request("PATCH", "conferences/conf-1", json=bad)
        assert response.status_code == 400, bad


def test_an_ended_meeting_always_has_an_end(client):
    client.admin("POST", "conferences", {"conference_id": "conf-over", "host_union_id": HOST, "status": 1, "cloud_record_status": 0, "start_time": 1000})
    info = client.conference(client.token(), "conf-over").json()["confInfo"]
    assert info["cloudRecordStatus"] == 0 and info["endTime"] > 1000 and info["confDuration"] == info["endTime"] - 1000


def test_conference_errors_carry_the_documented_messages(client):
    token = client.token()
    assert_error(client.stop(token, union_id="someone-else"), 400, "recordStopPermissionError", "you can't operator, please contact meeting manager")
    assert_error(client.start(token), 404, "recordStartError", "recordStartError:a cloud recording is already running or paused")
    client.admin("PATCH", "conferences/conf-1", {"cloud_record_status": 0})
    assert_error(
        client.start(token, unionId="someone-else"), 404, "recordStartPermissionError", "permissionError:only the meeting host may start a cloud recording"
    )
    assert client.start(token, mode="cinema").json()["message"].startswith("error:")
    client.admin("PATCH", "conferences/conf-1", {"status": 1})
    assert_error(client.stop(token), 400, "roomClosed", "the meeting has ended")
    assert_error(client.start(token), 400, "roomClosed", "the meeting has ended")
    client.admin("POST", "faults", {"rules": [{"api": "conference.get", "kind": "error", "times": 1}]})
    assert_error(client.conference(token), 500, "systemError", "system error")


def test_stop_recording(client):
    token = client.token()
    assert_error(client.stop(token, union_id="someone-else"), 400, "recordStopPermissionError")
    assert_error(client.api("POST", CONFERENCES + "conf-1/cloudRecords/stop", token, {}), 400, "paramsError")
    assert client.record_status() == 1
    response = client.stop(token)
    assert response.status_code == 200 and response.json() == {"code": "200"}
    assert client.conference(token).json()["confInfo"]["cloudRecordStatus"] == 3
    assert client.stop(token).json() == {"code": "200"}  # assumption: stopping a finished recording is a no-op
    assert client.record_status() == 3
    client.admin("PATCH", "conferences/conf-1", {"status": 1})
    assert_error(client.stop(token), 400, "roomClosed")


@pytest.mark.parametrize("before, after", [(0, 0), (2, 3)])
def test_stop_when_idle_or_paused(client, before, after):
    client.admin("PATCH", "conferences/conf-1", {"cloud_record_status": before})
    assert client.stop(client.token()).json() == {"code": "200"}
    assert client.record_status() == after


def test_start_recording(client):
    token = client.token()
    assert_error(client.start(token), 404, "recordStartError")  # already recording
    client.admin("PATCH", "conferences/conf-1", {"cloud_record_status": 2})
    assert_error(client.start(token), 404, "recordStartError")  # paused: no resume API
    client.admin("PATCH", "conferences/conf-1", {"cloud_record_status": 0})
    assert_error(client.start(token, mode="cinema"), 400, "paramsError")
    assert_error(client.start(token, smallWindowPosition="top_left"), 400, "paramsError")
    assert_error(client.start(token, unionId="someone-else"), 404, "recordStartPermissionError")
    assert client.start(token, mode="speech", smallWindowPosition="float_right").json() == {"code": "200"}
    conference = client.admin("GET", "conferences/conf-1")
    assert conference["cloud_record_status"] == 1 and conference["cloud_record_owner_union_id"] == HOST
    assert conference["record_mode"] == "speech" and conference["small_window_position"] == "float_right"
    client.admin("PATCH", "conferences/conf-1", {"status": 1})
    assert_error(client.start(token), 400, "roomClosed")


def test_create_and_close_conference(client):
    token = client.token()
    created = client.api("POST", CONFERENCES.rstrip("/"), token, {"userId": "creator", "confTitle": "Demo"})
    conference_id = created.json()["conferenceId"]
    info = client.conference(token, conference_id).json()["confInfo"]
    assert info["status"] == 2 and info["creatorId"] == "creator" and info["title"] == "Demo"
    assert_error(client.api("POST", CONFERENCES.rstrip("/"), token, {"userId": "creator"}), 400, "paramsError")
    assert client.start(token, conference_id, unionId="creator").status_code == 200
    path = CONFERENCES + quote(conference_id, safe="")
    assert_error(client.api("DELETE", path, token), 400, "paramsError")
    assert client.api("DELETE", path, token, params={"unionId": "creator"}).status_code == 200
    closed = client.admin("GET", "conferences/" + quote(conference_id, safe=""))
    assert closed["status"] == 1 and closed["cloud_record_status"] == 3 and closed["end_time"]
    assert_error(client.api("DELETE", path, token, params={"unionId": "creator"}), 400, "resourceClose")


def test_wrong_region(client):
    foreign = client.admin("POST", "tokens", {"app_key": "app-key", "region": "com"})["access_token"]
    assert_error(client.stop(foreign), 400, "recordStopPermissionError")
    client.admin("PATCH", "conferences/conf-1", {"cloud_record_status": 0})
    assert_error(client.start(foreign), 404, "recordStartPermissionError")
    assert_error(client.conference(foreign), 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied")
    token = client.token()
    client.admin("PUT", "config", {"region": "com"})  # same client, now pointed at the other host
    assert client.token("mainland-app", "secret")
    assert_error(client.api("POST", "/v1.0/oauth2/accessToken", body={"appKey": "app-key", "appSecret": "app-secret"}), 400, "invalidClientIdOrSecret")
    assert_error(client.stop(token), 400, "recordStopPermissionError")


def test_qps_window(client):
    token = client.token()
    client.admin("PUT", "config", {"qps_limit": 3})
    assert [client.conference(token).status_code for _attempt in range(3)] == [200] * 3
    assert_error(client.conference(token), 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
    assert client.stop(token).status_code == 200  # the window is per API
    client.emulator.advance_clock(1.05)
    assert client.conference(token).status_code == 200
    assert client.stats()["throttled"] == 1
    throttled = [entry for entry in client.admin("GET", "requests?api=conference.get")["requests"] if entry["status"] == 403]
    assert throttled[0]["code"] == "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"


def test_third_party_apps_are_throttled_per_organisation_with_their_own_code(client):
    client.admin("POST", "suites", {"suite_key": "suite-key", "suite_secret": "suite-secret", "suite_ticket": "ticket", "corp_ids": ["corp-1", "corp-2"]})
    first = client.admin("POST", "tokens", {"suite_key": "suite-key", "corp_id": "corp-1"})["access_token"]
    second = client.admin("POST", "tokens", {"suite_key": "suite-key", "corp_id": "corp-2"})["access_token"]
    client.admin("PUT", "config", {"qps_limit": 1})
    assert client.conference(first).status_code == 200
    assert_error(client.conference(first), 403, "Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi")
    assert client.conference(second).status_code == 200  # another authorising organisation has its own window
    body = {"suiteKey": "suite-key", "suiteSecret": "suite-secret", "authCorpId": "corp-1", "suiteTicket": "ticket"}
    assert client.api("POST", "/v1.0/oauth2/corpAccessToken", body=body).status_code == 200
    assert_error(client.api("POST", "/v1.0/oauth2/corpAccessToken", body=body), 403, "Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi")
    assert client.stats()["throttled"] == 2


@pytest.mark.parametrize(
    "owner, code",
    [
        ({"app_key": "app-key"}, "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi"),
        ({"suite_key": "suite-key", "corp_id": "corp-1"}, "Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi"),
    ],
)
def test_per_minute_limit(client, owner, code):
    token = client.admin("POST", "tokens", owner)["access_token"]
    client.admin("PUT", "config", {"qpm_limit": 2})
    assert [client.conference(token).status_code for _attempt in range(2)] == [200, 200]
    assert_error(client.conference(token), 403, code)
    assert client.stop(token).status_code == 200  # per API, like the per-second limit


def test_global_per_api_limit(client):
    client.admin("PUT", "config", {"api_qps_limit": 1})
    app_token = client.token()
    suite_token = client.admin("POST", "tokens", {"suite_key": "suite-key", "corp_id": "corp-1"})["access_token"]
    assert client.conference(app_token).status_code == 200
    assert_error(client.conference(suite_token), 403, "Forbidden.AccessDenied.QpsLimitForApi")  # every caller shares it


def test_organisation_quota(client):
    client.admin("POST", "apps", {"app_key": "other-org-app", "app_secret": "secret", "corp_id": "corp-9"})
    client.admin("PUT", "config", {"org_call_quota": 2})
    token = client.token()  # the first call of the organisation
    assert client.conference(token).status_code == 200
    assert_error(client.conference(token), 403, "Forbidden.AccessDenied.ApiCountLimitForOrg")
    assert_error(
        client.api("POST", "/v1.0/oauth2/accessToken", body={"appKey": "app-key", "appSecret": "app-secret"}), 403, "Forbidden.AccessDenied.ApiCountLimitForOrg"
    )
    assert client.conference(client.token("other-org-app", "secret")).status_code == 200  # another organisation


@pytest.mark.parametrize("answer", ["html", "json"])
def test_egress_ip_block(client, answer):
    token = client.token()
    client.admin("PUT", "config", {"ip_call_limit": 2, "ip_block_answer": answer})
    assert [client.conference(token).status_code for _attempt in range(2)] == [200, 200]
    for _attempt in range(2):  # the call over the limit, and every call after it while the block lasts
        blocked = client.conference(token)
        assert blocked.status_code == 200 and blocked.headers["x-acs-request-id"]
        if answer == "html":
            assert blocked.headers["Content-Type"].startswith("text/html") and "<html>" in blocked.text
        else:
            assert blocked.json()["status"] == 1111 and blocked.json()["wait"] == 5
    assert client.record_status() == 1 and client.stop(token).status_code == 200 and client.record_status() == 1  # refused
    assert client.stats()["ip_blocked"] == 3
    client.admin("PUT", "config", {"ip_block_seconds": 0})  # the block ends...
    assert client.stop(token).status_code == 200 and client.record_status() == 3


def test_fault_error_times_and_hits(client):
    token = client.token()
    client.admin("POST", "faults", {"rules": [{"api": "cloudRecord.stop", "kind": "error", "status": 500, "code": "innerSystemError", "times": 1}]})
    assert_error(client.stop(token), 500, "innerSystemError")
    assert client.record_status() == 1  # phase before: the stop did not happen
    assert client.stop(token).status_code == 200
    rules = client.admin("GET", "faults")["rules"]
    assert rules[0]["hits"] == 1 and rules[0]["times"] == 0
    assert client.stats()["faults_injected"] == 1
    assert client.admin("DELETE", "faults") == {"rules": []}


def test_fault_html_raw_and_admin_immunity(client):
    token = client.token()
    client.admin(
        "POST",
        "faults",
        {
            "rules": [
                {"api": "conference.get", "kind": "html", "status": 403, "times": 1},
                {"api": "*", "method": "GET", "path_regex": "conf-1$", "kind": "raw", "status": 200, "body": '{"confInfo": "oops"}', "times": 1},
            ]
        },
    )
    html = client.conference(token)
    assert html.status_code == 403 and html.headers["Content-Type"].startswith("text/html") and "<html>" in html.text
    raw = client.conference(token)
    assert raw.status_code == 200 and raw.text == '{"confInfo": "oops"}'
    client.admin("POST", "faults", {"rules": [{"api": "*", "kind": "error"}]})
    assert client.admin("GET", "config")["qps_limit"] == 0  # admin calls are never faulted


def test_fault_drop_before_and_after(client):
    token = client.token()
    client.admin("POST", "faults", {"rules": [{"api": "cloudRecord.stop", "kind": "drop", "times": 1}]})
    with pytest.raises(requests.ConnectionError):
        client.stop(token)
    assert client.record_status() == 1
    client.admin("POST", "faults", {"rules": [{"api": "cloudRecord.stop", "kind": "drop", "phase": "after", "times": 1}]})
    with pytest.raises(requests.ConnectionError):
        client.stop(token)
    assert client.record_status() == 3  # the answer was lost, the stop happened
    entry = client.admin("GET", "requests?api=cloudRecord.stop")["requests"][-1]
    assert entry["fault"] == "drop" and entry["status"] is None and entry["fault_phase"] == "after"


def test_fault_truncated_and_delay(client):
    token = client.token()
    client.admin("POST", "faults", {"rules": [{"api": "conference.get", "kind": "truncated", "phase": "after", "times": 1}]})
    try:
        cut_off = client.conference(token)
    except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError):
        pass  # urllib3 2 reports the short body
    else:  # urllib3 1.26 (with the lowest requests the collection allows) hands it over as it came
        assert len(cut_off.content) < int(cut_off.headers["Content-Length"])
    client.admin("POST", "faults", {"rules": [{"api": "conference.get", "kind": "delay", "delay": 2.0, "times": 1}]})
    started = time.monotonic()
    slow = threading.Thread(target=client.conference, args=(token,))
    slow.start()
    # On a loaded machine the thread may take a while to send its request: look for it while the delay lasts.
    in_flight = 0
    while in_flight == 0 and time.monotonic() - started < 1.5:
        in_flight = client.admin("GET", "stats")["in_flight"]
    assert in_flight == 1  # still being answered
    slow.join()
    assert time.monotonic() - started >= 2.0
    client.emulator.settle(timeout=5)  # the answer is out; the handler may still be finishing its write
    assert client.stats()["in_flight"] == 0


def test_fault_is_logged_when_the_client_gave_up(client, server):
    token = client.token()
    client.admin("POST", "faults", {"rules": [{"api": "conference.get", "kind": "delay", "delay": 0.5, "times": 1}]})
    with pytest.raises(requests.exceptions.Timeout):
        client.session.get(client.url + CONFERENCES + "conf-1", headers={"x-acs-dingtalk-access-token": token}, timeout=0.1)
    client.emulator.settle()
    assert client.admin("GET", "requests?api=conference.get")["requests"][-1]["fault"] == "delay"


def test_fault_raw_bytes_repeat_and_headers(client):
    token = client.token()
    client.admin(
        "POST",
        "faults",
        {
            "rules": [
                {"api": "conference.get", "kind": "raw", "body_base64": "/+7t", "times": 1},
                {"api": "conference.get", "kind": "raw", "body": "0123456789", "repeat": 100000, "times": 1},
                {"api": "conference.get", "kind": "raw", "status": 302, "headers": {"Location": "http://127.0.0.1:9/elsewhere"}, "times": 1},
            ]
        },
    )
    assert client.conference(token).content == b"\xff\xee\xed"
    big = client.conference(token)
    assert big.headers["Content-Length"] == "1000000" and big.content == b"0123456789" * 100000
    moved = client.api("GET", CONFERENCES + "conf-1", token, allow_redirects=False)
    assert moved.status_code == 302 and moved.headers["Location"] == "http://127.0.0.1:9/elsewhere"
    client.admin("POST", "faults", {"rules": [{"api": "conference.get", "kind": "raw", "body": "abc", "headers": {"Content-Length": None}, "times": 1}]})
    unframed = client.conference(token)
    assert "Content-Length" not in unframed.headers and unframed.content == b"abc"
    for bad in (
        {"kind": "raw", "body": "x", "body_base64": "eA=="},
        {"kind": "raw", "body_base64": "not base64!"},
        {"kind": "raw", "repeat": 0},
        {"kind": "raw", "headers": {"X-Bad": "a\r\nb"}},
        {"kind": "raw", "headers": ["x"]},
    ):
        assert client.emulator.request("POST", "faults", json={"rules": [bad]}).status_code == 400


def test_fault_probability_is_reproducible(client):
    token = client.token()

    def outcomes():
        client.admin("DELETE", "faults")
        client.admin("PUT", "config", {"seed": 7})
        client.admin("POST", "faults", {"rules": [{"api": "conference.get", "kind": "error", "probability": 0.5}]})
        return [client.conference(token).status_code for _attempt in range(12)]

    first = outcomes()
    assert set(first) == {200, 500}
    assert outcomes() == first


def test_request_straddling_a_reset_has_no_effect(client):
    """A delayed request from one scenario must not change or log into the next one."""
    client.admin("POST", "tokens", {"app_key": "app-key", "token": "fixed-token"})
    client.admin("PUT", "config", {"latency": 0.3})
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(_attempt_stop(client.url)))
    worker.start()
    time.sleep(0.1)
    client.admin("POST", "reset")
    client.admin("POST", "seed", dict(SCENARIO, tokens=[{"app_key": "app-key", "token": "fixed-token"}]))
    worker.join()
    assert outcome == ["dropped"]
    assert client.record_status() == 1
    assert client.admin("GET", "requests")["requests"] == []


def _attempt_stop(url):
    try:
        requests.post(url + CONFERENCES + "conf-1/cloudRecords/stop", json={"unionId": HOST}, headers={"x-acs-dingtalk-access-token": "fixed-token"}, timeout=5)
    except requests.ConnectionError:
        return "dropped"
    return "answered"


def test_request_log(client):
    token = client.token()
    client.admin("DELETE", "requests")
    client.stop(token, "a/b c")
    client.session.post(client.url + CONFERENCES + "conf-1/cloudRecords/stop", data="not json", headers={"x-acs-dingtalk-access-token": token}, timeout=5)
    log = client.admin("GET", "requests")["requests"]
    assert len(log) == 2  # admin calls are not recorded
    first, second = log
    assert first["path"] == CONFERENCES + "a%2Fb%20c/cloudRecords/stop"
    assert first["headers"]["x-acs-dingtalk-access-token"] == token
    assert first["body"] == {"unionId": HOST} and first["api"] == "cloudRecord.stop" and first["principal"] == "app-key"
    assert first["status"] == 404 and first["code"] == "roomNotFound" and first["fault"] is None
    assert second["body"] == "not json" and second["code"] == "paramsError"
    assert [entry["seq"] for entry in client.admin("GET", "requests?since=%d" % first["seq"])["requests"]] == [second["seq"]]
    assert client.admin("GET", "requests?api=oauth2.accessToken")["requests"] == []


def test_call_is_logged_and_counted_before_its_answer_is_written(client, server, monkeypatch):
    # What the store holds at the moment each API answer starts to go out (admin answers are not logged).
    seen_when_answering = []
    handler_class = server._httpd.RequestHandlerClass  # pylint: disable=protected-access
    original_send = handler_class._send  # pylint: disable=protected-access

    def send_and_note(handler, status, body, *args, **kwargs):
        if not handler.path.startswith("/_emulator/"):
            seen_when_answering.append((len(server.state.request_log), server.state.stats_snapshot()["requests"]))
        return original_send(handler, status, body, *args, **kwargs)

    monkeypatch.setattr(handler_class, "_send", send_and_note)
    client.stop(client.token())
    assert seen_when_answering == [(1, 1), (2, 2)]


def test_answer_that_cannot_be_written_is_logged_as_dropped(client, server):
    store = server.state
    token = client.token()
    client.admin("PUT", "config", {"qps_limit": 1})
    assert client.conference(token).status_code == 200
    throttled = client.conference(token)
    (entry,) = [logged for logged in store.request_log if logged["code"] is not None]
    before = client.stats()
    store.record_unanswered(entry, store.generation)  # what the handler does when the client has gone
    after = client.stats()
    assert entry["status"] is None and entry["code"] is None
    assert after["requests"] == before["requests"] and after["by_status"]["dropped"] == 1
    assert str(throttled.status_code) not in after["by_status"] and after["throttled"] == before["throttled"] - 1
    assert throttled.json()["code"] not in after["by_code"]


@pytest.mark.parametrize("conference_id", ["a/b", "a?b", "a#b", "100%", "a b", "会议-é", "a%2Fb"])
def test_percent_encoded_ids(client, conference_id):
    client.admin("POST", "conferences", {"conference_id": conference_id, "host_union_id": HOST, "cloud_record_status": 1})
    token = client.token()
    assert client.conference(token, conference_id).json()["confInfo"]["conferenceId"] == conference_id
    assert client.stop(token, conference_id).status_code == 200
    assert client.record_status(conference_id) == 3
    assert client.record_status() == 1


def test_scheduled_end(client):
    client.admin("PATCH", "conferences/conf-1", {"end_in_seconds": 60})
    token = client.token()
    assert client.conference(token).json()["confInfo"]["status"] == 2
    client.emulator.advance_clock(60)
    info = client.conference(token).json()["confInfo"]
    assert info["status"] == 1 and info["cloudRecordStatus"] == 3 and info["endTime"]
    assert_error(client.stop(token), 400, "roomClosed")


def test_unknown_path_and_request_ids(client):
    first = assert_error(client.api("GET", "/v1.0/nothing/here"), 404, "InvalidAction.NotFound")
    second = assert_error(client.api("PUT", CONFERENCES + "conf-1"), 404, "InvalidAction.NotFound")
    assert first["requestid"] != second["requestid"]


@pytest.mark.parametrize("path", ["/conference/videoConferences/conf-1", "/v2.0/oauth2/accessToken", "/"])
def test_path_outside_v1_is_a_success_status_with_an_error_body(client, path):
    answer = client.api("GET", path, client.token())
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json;charset=utf-8"
    assert answer.json() == {"errcode": 404, "errmsg": "请求的URI地址不存在"}


def test_latency_applies_to_api_only(client):
    client.admin("PUT", "config", {"latency": 0.2})
    started = time.monotonic()
    client.admin("GET", "stats")
    assert time.monotonic() - started < 0.15
    client.token()
    assert time.monotonic() - started >= 0.2


def test_admin_conferences_and_validation(client):
    created = client.admin("POST", "conferences", {"host_union_id": "h", "title": "T"})
    assert created["status"] == 2 and created["cloud_record_status"] == 0 and created["conference_id"]
    assert {item["conference_id"] for item in client.admin("GET", "conferences")["conferences"]} == {"conf-1", created["conference_id"]}
    for path, body in (
        ("conferences", {"host_union_id": "h", "status": 9}),
        ("conferences", {"title": "no host"}),
        ("apps", {"app_key": "k"}),
        ("config", {"qps": 1}),
        ("faults", {"rules": [{"kind": "explode"}]}),
    ):
        method = "PUT" if path == "config" else "POST"
        response = client.emulator.request(method, path, json=body)
        assert response.status_code == 400 and response.json()["code"] == "badRequest", path
    assert client.emulator.request("GET", "conferences/none").status_code == 404


def test_reset_and_stats(client):
    client.stop(client.token())
    stats = client.stats()
    assert stats["by_api"] == {"oauth2.accessToken": 1, "cloudRecord.stop": 1}
    assert stats["by_status"] == {"200": 2} and stats["tokens_issued"] == 1
    client.admin("PUT", "config", {"qps_limit": 5})
    client.admin("POST", "reset")
    assert client.admin("GET", "conferences") == {"conferences": []}
    assert client.stats()["requests"] == 0
    assert client.admin("GET", "config")["qps_limit"] == 0  # the server fixture's start-up value
    assert_error(client.api("POST", "/v1.0/oauth2/accessToken", body={"appKey": "app-key", "appSecret": "app-secret"}), 400, "invalidClientIdOrSecret")


def test_tls(tls_certificate):
    cert, key = tls_certificate
    with start_in_thread(tls_cert=cert, tls_key=key) as emulator:
        assert emulator.url.startswith("https://127.0.0.1:")
        EmulatorAdmin(emulator.url, verify=cert).add_app("k", "s")
        token = requests.post(emulator.url + "/v1.0/oauth2/accessToken", json={"appKey": "k", "appSecret": "s"}, verify=cert, timeout=5)
        assert token.json()["expireIn"] == 7200


def test_command_line(tmp_path):
    state_file, port_file = tmp_path / "state.json", tmp_path / "port"
    state_file.write_text(json.dumps(SCENARIO), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, EMULATOR_SCRIPT, "--port-file", str(port_file), "--state-file", str(state_file), "--region", "com", "--qps-limit", "7"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        port = int(port_file.read_text(encoding="utf-8"))
        assert line.strip() == "dingtalk-emulator listening on http://127.0.0.1:%d" % port
        client = Client("http://127.0.0.1:%d" % port)
        assert client.admin("GET", "config")["region"] == "com" and client.admin("GET", "config")["qps_limit"] == 7
        assert client.token("mainland-app", "secret")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        process.stdout.close()


ORG_CONFERENCES = "/v1.0/conference/orgConferences"


def list_org(client, token, **query):
    return client.api("GET", ORG_CONFERENCES, token, params=query)


def test_org_conferences_pages_with_next_token_and_total_count(client):
    client.admin(
        "POST",
        "seed",
        {
            "conferences": [
                {
                    "conference_id": "conf-%02d" % number,
                    "host_union_id": HOST,
                    "status": 1 if number % 4 == 0 else 2,
                    "title": "Meeting %d" % number,
                    "room_code": "5123%05d" % number,
                    "creator_nick": "Host",
                    "biz_type": "3",
                }
                for number in range(2, 14)
            ]
        },
    )
    token = client.token()
    listed, pages, next_token = [], [], None
    while True:
        query = {"maxResults": 4}
        if next_token is not None:
            query["nextToken"] = next_token
        response = list_org(client, token, **query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        listed += page["onGoingConfList"]
        if not page["hasMore"]:
            assert "nextToken" not in page
            break
        next_token = page["nextToken"]
    # conf-1 of the scenario, and the seeded ones that have not ended (every fourth has).
    expected = ["conf-1"] + ["conf-%02d" % number for number in range(2, 14) if number % 4]
    assert [item["conferenceId"] for item in listed] == expected
    assert [len(page["onGoingConfList"]) for page in pages] == [4, 4, 2]
    assert {page["totalCount"] for page in pages} == {len(expected)}
    # The field names of the official SDK's QueryOrgConferenceListResponseBodyOnGoingConfList; unset ones left out.
    assert listed[1] == {
        "conferenceId": "conf-02",
        "title": "Meeting 2",
        "roomCode": "512300002",
        "status": 2,
        "startTime": listed[1]["startTime"],
        "creatorId": HOST,
        "creatorNick": "Host",
        "bizType": "3",
    }
    # Every conference has a room code, a host nick and a kind; an ongoing one has no endTime yet.
    assert set(listed[0]) == {"conferenceId", "title", "roomCode", "status", "startTime", "creatorId", "creatorNick", "bizType"}


def test_org_conferences_next_token_survives_meetings_ending(client):
    client.admin("POST", "seed", {"conferences": [{"conference_id": "conf-%d" % number, "host_union_id": HOST} for number in range(2, 6)]})
    token = client.token()
    first = list_org(client, token, maxResults=2).json()
    assert [item["conferenceId"] for item in first["onGoingConfList"]] == ["conf-1", "conf-2"]
    client.admin("PATCH", "conferences/conf-1", {"status": 1})  # ends between two pages: nothing is skipped
    second = list_org(client, token, maxResults=2, nextToken=first["nextToken"]).json()
    assert [item["conferenceId"] for item in second["onGoingConfList"]] == ["conf-3", "conf-4"]
    assert second["totalCount"] == 4


def test_org_conferences_defaults_and_bad_parameters(client):
    client.admin("POST", "seed", {"conferences": [{"conference_id": "many-%02d" % number, "host_union_id": HOST} for number in range(30)]})
    token = client.token()
    assert len(list_org(client, token).json()["onGoingConfList"]) == 20  # assumption: the default page size
    assert len(list_org(client, token, maxResults=100).json()["onGoingConfList"]) == 31
    for bad in ("0", "101", "ten", ""):
        assert_error(list_org(client, token, maxResults=bad), 400, "paramError")
    assert_error(list_org(client, token, nextToken="not-ours"), 400, "paramError")
    body = assert_error(list_org(client, client.token("write-only", "secret")), 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied")
    assert body["accessdenieddetail"] == {"requiredScopes": ["VideoConference.Conference.Read"]}


def test_org_conferences_are_those_of_the_callers_organisation(client):
    client.admin(
        "POST",
        "seed",
        {
            "conferences": [
                {"conference_id": "corp-1-meeting", "host_union_id": HOST, "corp_id": "corp-1"},
                {"conference_id": "corp-2-meeting", "host_union_id": HOST, "corp_id": "corp-2"},
            ]
        },
    )
    suite_token = client.admin("POST", "tokens", {"suite_key": "suite-key", "corp_id": "corp-1"})["access_token"]
    assert [item["conferenceId"] for item in list_org(client, suite_token).json()["onGoingConfList"]] == ["corp-1-meeting"]
    # An internal app's organisation is the one of conferences without a corp_id.
    assert [item["conferenceId"] for item in list_org(client, client.token()).json()["onGoingConfList"]] == ["conf-1"]


def test_recording_owner_is_settable_and_set_by_a_start(client):
    token = client.token()
    client.admin("PATCH", "conferences/conf-1", {"cloud_record_owner_union_id": "somebody"})
    assert client.conference(token).json()["confInfo"]["cloudRecordOwnerUnionId"] == "somebody"
    assert_error(client.stop(token, union_id="somebody"), 400, "recordStopPermissionError")  # the owner, but not the host
    assert client.stop(token).status_code == 200
    assert client.start(token).status_code == 200
    assert client.conference(token).json()["confInfo"]["cloudRecordOwnerUnionId"] == HOST


def test_the_clock_moves_forward_only_and_survives_a_reset(client, server):
    before = client.admin("GET", "clock")
    token = client.admin("POST", "tokens", {"app_key": "app-key", "expires_in": 30})["access_token"]
    assert client.conference(token).status_code == 200
    moved = client.emulator.advance_clock(31)
    assert moved["advanced"] == before["advanced"] + 31 and moved["time"] >= before["time"] + 31
    assert_error(client.conference(token), 400, "InvalidAuthentication")  # expired on the emulator's clock
    for bad in ({"seconds": -1}, {"seconds": "1"}, {}):
        assert client.emulator.request("POST", "clock", json=bad).status_code == 400
    client.admin("POST", "reset")
    assert client.admin("GET", "clock")["advanced"] == moved["advanced"]  # time never goes back
    assert server.clock.offset == moved["advanced"]


def test_an_injected_clock_is_the_emulator_time():
    class FrozenClock:
        """Time that moves only when a test says so."""

        def __init__(self):
            self.now = 1000000.0

        def time(self):
            return self.now

        def monotonic(self):
            return self.now

    clock = FrozenClock()
    with start_in_thread(qps_limit=0, clock=clock) as emulator:
        admin = EmulatorAdmin(emulator.url)
        admin.add_app("app-key", "app-secret")
        minted = admin.post("tokens", {"app_key": "app-key", "expires_in": 60})
        assert minted["expires_at"] == 1000060.0
        conference = admin.add_conference("conf-1", host_union_id=HOST, end_in_seconds=5)
        assert conference["start_time"] == 1000000000 and conference["ends_at"] == 1000005.0
        clock.now += 5
        assert admin.conference("conf-1")["status"] == 1
        assert admin.requests_log() == []
        assert admin.request("POST", "clock", json={"seconds": 1}).status_code == 400  # only the test moves this clock
        admin.close()
