# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DingTalk's behaviour: the open API calls the collection uses, answered from the store.

Tokens (three token calls, authentication, permission points, regions), conferences (query, create,
close, the organisation's ongoing list) and cloud recordings (stop, start; the videos, their play links
and the transcript, which cloud_recordings.py keeps). Each behaviour follows
the source README.md names for it; what no source says is listed there under "Assumptions".
"""

import re

from .calls import ANY_SEGMENT, TOKEN_HEADER, ApiError

TOKEN_LIFETIME = 7200
PERMISSION_READ = "VideoConference.Conference.Read"
PERMISSION_WRITE = "VideoConference.Conference.Write"
DEFAULT_PERMISSIONS = (PERMISSION_READ, PERMISSION_WRITE)
RECORD_MODES = ("grid", "speech", "full_screen")
WINDOW_POSITIONS = ("relative_right", "float_right", "float_bottom")
CONF_INIT, CONF_ENDED, CONF_IN_PROGRESS = 0, 1, 2
RECORD_NONE, RECORD_RECORDING, RECORD_PAUSED, RECORD_FINISHED = 0, 1, 2, 3
PERMISSION_DENIED = "Forbidden.AccessDenied.AccessTokenPermissionDenied"
DEFAULT_CORP_ID = "ding-emulated-corp"  # the organisation an internal app belongs to unless registered with another
# A path outside /v1.0 is answered by DingTalk's older gateway: HTTP 200 with an errcode body (seen live).
UNVERSIONED_PATH_ANSWER = {"errcode": 404, "errmsg": "请求的URI地址不存在"}

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
    ("conferenceId", "conference_id"),
    ("title", "title"),
    ("status", "status"),
    ("cloudRecordStatus", "cloud_record_status"),
    ("cloudRecordOwnerUnionId", "cloud_record_owner_union_id"),
    ("creatorId", "host_union_id"),
    ("creatorNick", "creator_nick"),
    ("roomCode", "room_code"),
    ("externalLinkUrl", "external_link_url"),
    ("bizType", "biz_type"),
    ("activeNum", "active_num"),
    ("attendNum", "attend_num"),
    ("invitedNum", "invited_num"),
    ("startTime", "start_time"),
    ("endTime", "end_time"),
    ("confDuration", "conf_duration"),
    ("minutesStatus", "minutes_status"),
    ("minutesOwnerUnionId", "minutes_owner_union_id"),
    ("scheduleConferenceId", "schedule_conference_id"),
    ("extensionAppSettings", "extension_app_settings"),
)
# The items of extensionAppSettings: admin key -> confInfo key.
EXTENSION_APP_KEYS = {"app_code": "appCode", "app_id": "appId", "auto_open_mode": "autoOpenMode", "extension_app_biz_data": "extensionAppBizData"}


class DingTalkApi:
    """Answers DingTalk's API calls from the store; also the conference and token rules the admin API reuses."""

    OPERATIONS = {
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

    def __init__(self, store):
        self.store = store

    def perform(self, call, request_id, generation):
        """Run one API call; return (HTTP status, JSON body), or None if a reset made the request stale."""
        try:
            if call.name is None and not call.versioned:
                return 200, dict(UNVERSIONED_PATH_ANSWER)
            if call.name is None:
                raise ApiError(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
            with self.store.lock:
                if generation != self.store.generation:
                    return None
                return 200, getattr(self, self.OPERATIONS[call.name])(call)
        except ApiError as err:
            return err.status, err.body(request_id)

    # ----- tokens ------------------------------------------------------------------------------------

    @staticmethod
    def _token_body(call, fields):
        # A form or other non-JSON body, none at all, or JSON that is not an object: DingTalk answers
        # Missingbody with this message (seen live for a form body).
        if not isinstance(call.body, dict):
            raise ApiError(400, "Missingbody", "body is mandatory for this action.")
        for field in fields:
            if not isinstance(call.body.get(field), str) or not call.body[field]:
                raise ApiError(400, "Missing" + field, f"{field} is mandatory for this action.")
        return call.body

    def _caller(self, owner):
        """(principal, organisation, third party?) of an app key or a suite and the corp it serves."""
        if owner.get("app_key") is not None:
            app = self.store.apps.get(owner["app_key"]) or {}
            return owner["app_key"], app.get("corp_id", DEFAULT_CORP_ID), False
        return "{}/{}".format(owner["suite_key"], owner["corp_id"]), owner["corp_id"], True

    def _check_limits(self, owner, api):
        self.store.check_limits(*self._caller(owner), api)

    def _authenticate_app(self, call, app_key, app_secret, error):
        app = self.store.apps.get(app_key)
        # An app of the other region does not exist for this host: same answer as a wrong secret.
        if app is None or app["app_secret"] != app_secret or app["region"] != self.store.config["region"]:
            raise error
        call.principal = app_key
        self._check_limits({"app_key": app_key}, call.name)

    def _reuse_app_token(self, app_key):
        """Internal apps get the same token while it is valid, its expiry pushed back (DingTalk does this)."""
        store = self.store
        token = store.tokens.get(store.current_app_tokens.get(app_key))
        if token is not None and self._token_is_valid(token):
            token["expires_at"] = store.now() + TOKEN_LIFETIME
        else:
            token = self.new_token({"app_key": app_key}, store.config["region"], TOKEN_LIFETIME)
            store.current_app_tokens[app_key] = token["token"]
        store.stats["tokens_issued"] += 1
        return token["token"]

    def _api_access_token(self, call):
        body = self._token_body(call, ("appKey", "appSecret"))
        self._authenticate_app(call, body["appKey"], body["appSecret"], ApiError(400, "invalidClientIdOrSecret", "invalid clientId or clientSecret"))
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
        if client_id not in self.store.suites:
            self._authenticate_app(call, client_id, client_secret, invalid_client)
            return {"access_token": self._reuse_app_token(client_id), "expires_in": TOKEN_LIFETIME}
        suite = self._authenticate_suite(client_id, client_secret, invalid_client)
        corp_id = call.params[0]
        if corp_id not in suite["corp_ids"]:
            raise ApiError(401, "unauthorized.client", "unauthorized.client")  # the organisation has not installed the app
        return {"access_token": self._new_suite_token(call, client_id, corp_id), "expires_in": TOKEN_LIFETIME}

    def _authenticate_suite(self, suite_key, suite_secret, error):
        suite = self.store.suites.get(suite_key)
        if suite is None or suite["suite_secret"] != suite_secret or suite["region"] != self.store.config["region"]:
            raise error
        return suite

    def _new_suite_token(self, call, suite_key, corp_id):
        owner = {"suite_key": suite_key, "corp_id": corp_id}
        call.principal = self._caller(owner)[0]
        self._check_limits(owner, call.name)
        # Third-party apps get a fresh token on every call (documented DingTalk behaviour).
        token = self.new_token(owner, self.store.config["region"], TOKEN_LIFETIME)
        self.store.stats["tokens_issued"] += 1
        return token["token"]

    def _api_corp_access_token(self, call):
        body = self._token_body(call, ("suiteKey", "suiteSecret", "authCorpId", "suiteTicket"))
        suite = self._authenticate_suite(body["suiteKey"], body["suiteSecret"], ApiError(400, "invalidSuiteKey", "invalid suiteKey or suiteSecret"))
        if suite["suite_ticket"] != body["suiteTicket"]:
            raise ApiError(400, "invalidSuiteTicket", "invalid suiteTicket")
        if body["authCorpId"] not in suite["corp_ids"]:
            raise ApiError(400, "invalidAuthInfo", "the organisation has not installed this application")
        return {"accessToken": self._new_suite_token(call, body["suiteKey"], body["authCorpId"]), "expireIn": TOKEN_LIFETIME}

    def new_token(self, owner, region, lifetime, value=None, permissions=None):
        """Issue a token for ``owner`` (``{"app_key"}`` or ``{"suite_key", "corp_id"}``) and keep it in the store."""
        number = self.store.next_number("token")
        token = dict(
            owner,
            token=value or "emu%06d%s" % (number, format(number * 2654435761 % 2**32, "08x")),
            principal=owner.get("app_key") or "{}/{}".format(owner["suite_key"], owner["corp_id"]),
            region=region,
            expires_at=self.store.now() + lifetime,
            permissions=permissions,
        )
        self.store.tokens[token["token"]] = token
        return token

    def _token_is_valid(self, token):
        return token["expires_at"] > self.store.now()

    def _token_permissions(self, token):
        """Explicit permissions of a minted token, else the owner's current ones (changes apply at once)."""
        if token["permissions"] is not None:
            return token["permissions"]
        owner = self.store.apps.get(token.get("app_key")) or self.store.suites.get(token.get("suite_key")) or {}
        return owner.get("permissions", [])

    def _authorize(self, call, permission, wrong_region=None):
        """Token present and valid -> QPS -> permission point -> region, in that order."""
        if not call.token:
            raise ApiError(400, "AuthenticationFailed.MissingParameter", f"{TOKEN_HEADER} is mandatory for this action.")
        token = self.store.tokens.get(call.token)
        if token is None or not self._token_is_valid(token):
            raise ApiError(self.store.config["invalid_auth_status"], "InvalidAuthentication", "access token is invalid or expired")
        call.principal = token["principal"]
        self._check_limits(token, call.name)
        denied = ApiError(403, PERMISSION_DENIED, f"the app lacks the permission point {permission}", accessdenieddetail={"requiredScopes": [permission]})
        if permission not in self._token_permissions(token):
            raise denied
        if token["region"] != self.store.config["region"]:
            raise wrong_region or denied

    # ----- conferences -------------------------------------------------------------------------------

    def new_conference(self, conference_id=None):
        """A meeting as DingTalk starts one, not stored yet; the admin API sets its fields to a scenario's."""
        # Every confInfo field DingTalk's query example shows has a value, so a client reads them all under test.
        room_code = "5%08d" % self.store.next_number("room")
        return {
            "conference_id": conference_id or "emuconf%08d" % self.store.next_number("conference"),
            "title": "Emulated meeting",
            "host_union_id": None,
            "status": CONF_IN_PROGRESS,
            "cloud_record_status": RECORD_NONE,
            "cloud_record_owner_union_id": None,
            "record_mode": None,
            "small_window_position": None,
            "start_time": self.store.now_ms(),
            "end_time": None,
            "active_num": 1,
            "ends_at": None,
            "corp_id": None,
            "creator_nick": "Emulated host",
            "room_code": room_code,
            "external_link_url": "https://meeting.dingtalk.com/j/emu" + room_code,
            "biz_type": "0",
            "attend_num": 1,
            "invited_num": 0,
            "conf_duration": None,
            "minutes_status": None,
            "minutes_owner_union_id": None,
            "schedule_conference_id": None,
            "extension_app_settings": None,
        }

    def _find_conference(self, conference_id):
        if not conference_id:
            raise ApiError(400, "missingRoomId", "conferenceId is mandatory")
        conference = self.store.conferences.get(conference_id)
        if conference is None:
            raise ApiError(404, "roomNotFound", f"conference {conference_id} does not exist")
        self.apply_scheduled_end(conference)
        return conference

    def end_conference(self, conference, finish_recording=True):
        conference["status"] = CONF_ENDED
        conference["end_time"] = conference["end_time"] or self.store.now_ms()
        conference["ends_at"] = None
        if finish_recording and conference["cloud_record_status"] in (RECORD_RECORDING, RECORD_PAUSED):
            conference["cloud_record_status"] = RECORD_FINISHED
            self.store.recordings.recording_finished(conference)

    def apply_scheduled_end(self, conference):
        """``end_in_seconds`` is honoured lazily, whenever the meeting is looked at."""
        if conference["ends_at"] is not None and conference["ends_at"] <= self.store.now() and conference["status"] != CONF_ENDED:
            self.end_conference(conference)

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
            info["extensionAppSettings"] = [{EXTENSION_APP_KEYS[key]: value for key, value in setting.items()} for setting in info["extensionAppSettings"]]
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
            self.store.recordings.recording_finished(conference)
        return {"code": "200"}

    def _api_get_videos(self, call):
        self._authorize(call, PERMISSION_READ)
        return self.store.recordings.get_videos(call, self._find_conference(call.params[0]))

    def _api_get_play_info(self, call):
        self._authorize(call, PERMISSION_READ)
        return self.store.recordings.get_play_info(call, self._find_conference(call.params[0]))

    def _api_get_texts(self, call):
        self._authorize(call, PERMISSION_READ)
        return self.store.recordings.get_texts(call, self._find_conference(call.params[0]))

    def _api_start_recording(self, call):
        self._authorize(call, PERMISSION_WRITE, documented_error(404, "recordStartPermissionError", "the token is not valid on this host"))
        body = call.json_object(documented_error(400, "paramsError", "the body must be a JSON object"))
        union_id = self._union_id(body, documented_error(400, "paramsError", "unionId is mandatory"))
        if body.get("mode", RECORD_MODES[0]) not in RECORD_MODES:
            raise documented_error(400, "paramsError", "mode must be one of {}".format(", ".join(RECORD_MODES)))
        if body.get("smallWindowPosition", WINDOW_POSITIONS[0]) not in WINDOW_POSITIONS:
            raise documented_error(400, "paramsError", "smallWindowPosition must be one of {}".format(", ".join(WINDOW_POSITIONS)))
        conference = self._find_conference(call.params[0])
        if conference["status"] == CONF_ENDED:
            raise documented_error(400, "roomClosed")
        if union_id != conference["host_union_id"]:
            raise documented_error(404, "recordStartPermissionError", "only the meeting host may start a cloud recording")
        if conference["cloud_record_status"] in (RECORD_RECORDING, RECORD_PAUSED):
            raise documented_error(404, "recordStartError", "a cloud recording is already running or paused")
        conference.update(
            cloud_record_status=RECORD_RECORDING,
            cloud_record_owner_union_id=union_id,
            record_mode=body.get("mode"),
            small_window_position=body.get("smallWindowPosition"),
        )
        return {"code": "200"}

    def _api_create_conference(self, call):
        self._authorize(call, PERMISSION_WRITE)
        params_error = documented_error(400, "paramsError", "userId and confTitle are mandatory")
        body = call.json_object(params_error)
        if not all(isinstance(body.get(key), str) and body[key] for key in ("userId", "confTitle")):
            raise params_error
        conference = dict(self.new_conference(), host_union_id=body["userId"], title=body["confTitle"])
        self.store.conferences[conference["conference_id"]] = conference
        return {
            "conferenceId": conference["conference_id"],
            "conferencePassword": "",
            "hostPassword": "",
            "phoneNumbers": [],
            "roomCode": conference["room_code"],
            "externalLinkUrl": conference["external_link_url"],
        }

    def _api_close_conference(self, call):
        self._authorize(call, PERMISSION_WRITE)
        union_id = self._union_id(call.query, documented_error(400, "paramsError", "unionId is mandatory"))
        conference = self._find_conference(call.params[0])
        if conference["status"] == CONF_ENDED:
            raise ApiError(400, "resourceClose", "the conference is already closed")
        if union_id != conference["host_union_id"]:
            raise ApiError(400, "closePermissionError", "only the host may close the conference")
        self.end_conference(conference)
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
        corp_id = self.store.tokens[call.token].get("corp_id")  # a suite token acts for one organisation; an app for its own
        ongoing = []
        for position, conference in enumerate(self.store.conferences.values()):
            self.apply_scheduled_end(conference)
            if conference["status"] != CONF_ENDED and conference["corp_id"] == corp_id:
                ongoing.append((position, conference))
        page = [(position, conference) for position, conference in ongoing if position >= start][:page_size]
        has_more = bool(page) and ongoing[-1][0] > page[-1][0]
        body = {"hasMore": has_more, "totalCount": len(ongoing), "onGoingConfList": [self._org_list_item(conference) for _position, conference in page]}
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
        item = {
            "conferenceId": conference["conference_id"],
            "title": conference["title"],
            "roomCode": conference["room_code"],
            "status": conference["status"],
            "startTime": conference["start_time"],
            "endTime": conference["end_time"],
            "creatorId": conference["host_union_id"],
            "creatorNick": conference["creator_nick"],
            "bizType": conference["biz_type"],
        }
        return {key: value for key, value in item.items() if value is not None}
