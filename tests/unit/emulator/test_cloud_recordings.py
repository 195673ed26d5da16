# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the emulator's cloud recordings and of its file host, over real HTTP."""

import os
import sys
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests

EMULATOR_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "emulator"))

try:
    from ansible_collections.community.dingtalk.tests.emulator.admin import EmulatorAdmin, FileHostAdmin
    from ansible_collections.community.dingtalk.tests.emulator.dingtalk_emulator import start_in_thread
    from ansible_collections.community.dingtalk.tests.emulator.file_host import object_bytes, parse_range
except ImportError:
    # Outside an ansible_collections tree (plain checkout), the folder is the package "emulator".
    sys.path.insert(0, os.path.dirname(EMULATOR_DIR))
    from emulator.admin import EmulatorAdmin, FileHostAdmin  # pylint: disable=import-error
    from emulator.dingtalk_emulator import start_in_thread  # pylint: disable=import-error
    from emulator.file_host import object_bytes, parse_range  # pylint: disable=import-error

CONFERENCES = "/v1.0/conference/videoConferences/"
HOST = "host-union-id"
# The keys of the official SDK's models (alibabacloud_dingtalk 2.2.65, conference_1_0/models.py).
SDK_VIDEO_KEYS = {"duration", "endTime", "fileSize", "mediaId", "recordId", "recordType", "regionId", "startTime", "unionId"}
SDK_PLAY_INFO_KEYS = {"duration", "fileSize", "mp4FileUrl", "playUrl", "status"}
SDK_TEXT_KEYS = {"hasMore", "paragraphList"}
SDK_PARAGRAPH_KEYS = {"endTime", "nextTtoken", "nickName", "paragraph", "recordId", "sentenceList", "startTime", "status", "unionId"}
SDK_SENTENCE_KEYS = {"endTime", "sentence", "startTime", "unionId", "wordList"}
SDK_WORD_KEYS = {"endTime", "startTime", "word", "wordId"}


@pytest.fixture(scope="module")
def server():
    with start_in_thread(qps_limit=0) as emulator:
        yield emulator


class Dingtalk:
    def __init__(self, server):
        self.url = server.url
        self.files = server.file_host_url
        self.session = requests.Session()
        self.session.trust_env = False
        self.emulator = EmulatorAdmin(server.url, timeout=5)
        self.file_host = FileHostAdmin(server.file_host_url, timeout=5)
        self.admin("POST", "reset")
        self.admin(
            "POST",
            "seed",
            {
                "apps": [{"app_key": "app", "app_secret": "secret"}],
                "conferences": [{"conference_id": "conf-1", "host_union_id": HOST, "cloud_record_status": 1}],
            },
        )
        self.token = self.admin("POST", "tokens", {"app_key": "app"})["access_token"]

    def admin(self, method, path, body=None):
        return self.emulator.call(method, path, body)

    def get(self, call, conference_id="conf-1", **query):
        return self.session.get(
            self.url + CONFERENCES + quote(conference_id, safe="") + "/cloudRecords/" + call,
            params=query,
            headers={"x-acs-dingtalk-access-token": self.token},
            timeout=5,
        )

    def stop(self):
        response = self.session.post(
            self.url + CONFERENCES + "conf-1/cloudRecords/stop", json={"unionId": HOST}, headers={"x-acs-dingtalk-access-token": self.token}, timeout=5
        )
        assert response.status_code == 200, response.text

    def play_info(self, video):
        response = self.get("videos/getPlayInfos", mediaId=video["mediaId"], regionId=video["regionId"], unionId=HOST)
        assert response.status_code == 200, response.text
        return response.json()

    def file_requests(self):
        return self.file_host.requests()


@pytest.fixture
def dingtalk(server):
    return Dingtalk(server)


def error_code(response):
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"  # as DingTalk labels its answers
    return response.status_code, response.json()["code"]


def test_a_stop_makes_a_video_and_a_transcript_with_the_sdk_field_names(dingtalk):
    assert error_code(dingtalk.get("getVideos", unionId=HOST)) == (400, "cloudRecordNotFound")
    dingtalk.stop()
    [video] = dingtalk.get("getVideos", unionId=HOST).json()["videoList"]
    assert set(video) == SDK_VIDEO_KEYS
    assert (video["recordType"], video["unionId"], video["fileSize"]) == (0, HOST, 256 * 1024)
    info = dingtalk.play_info(video)
    assert set(info) == SDK_PLAY_INFO_KEYS
    assert urlsplit(info["mp4FileUrl"]).netloc == urlsplit(dingtalk.files).netloc != urlsplit(dingtalk.url).netloc
    texts = dingtalk.get("getTexts", unionId=HOST).json()
    assert set(texts) == SDK_TEXT_KEYS
    paragraph = texts["paragraphList"][0]
    assert set(paragraph) == SDK_PARAGRAPH_KEYS
    assert set(paragraph["sentenceList"][0]) == SDK_SENTENCE_KEYS
    assert set(paragraph["sentenceList"][0]["wordList"][0]) == SDK_WORD_KEYS


def test_a_video_is_listed_only_after_the_configured_delay(dingtalk):
    dingtalk.admin("PUT", "recordings/config", {"video_delay": 3600})
    dingtalk.stop()
    assert error_code(dingtalk.get("getVideos", unionId=HOST)) == (400, "cloudRecordNotFound")
    [listed] = dingtalk.admin("GET", "recordings?conference_id=conf-1")["recordings"]
    assert [video["listed"] for video in listed["videos"]] == [False]
    dingtalk.admin("PUT", "recordings/config", {"not_ready_answer": "empty"})
    assert dingtalk.get("getVideos", unionId=HOST).json() == {"videoList": []}


def test_closed_resources_missing_parameters_and_unknown_media(dingtalk):
    dingtalk.stop()
    assert error_code(dingtalk.get("getVideos")) == (400, "paramsError")
    assert error_code(dingtalk.get("videos/getPlayInfos", mediaId="m", unionId=HOST)) == (400, "paramsError")
    assert error_code(dingtalk.get("videos/getPlayInfos", mediaId="nope", regionId="cn-hangzhou", unionId=HOST)) == (400, "cloudRecordNotFound")
    assert error_code(dingtalk.get("getTexts", unionId=HOST, maxResults=2001)) == (400, "paramsError")
    assert error_code(dingtalk.get("getVideos", "conf-missing", unionId=HOST)) == (404, "roomNotFound")
    dingtalk.admin("POST", "recordings", {"conference_id": "conf-1", "closed": True})
    for call, query in (("getVideos", {}), ("getTexts", {}), ("videos/getPlayInfos", {"mediaId": "m", "regionId": "r"})):
        assert error_code(dingtalk.get(call, unionId=HOST, **query)) == (400, "resourceClose")


def test_transcript_pages_follow_the_paragraph_cursor(dingtalk):
    dingtalk.admin("PUT", "recordings/config", {"transcript_paragraphs": 0})
    dingtalk.admin("POST", "recordings", {"conference_id": "conf-1", "videos": [{}], "transcript": [{"paragraph": "p%d" % number} for number in range(5)]})
    first = dingtalk.get("getTexts", unionId=HOST, maxResults=2).json()
    assert ([p["paragraph"] for p in first["paragraphList"]], first["hasMore"]) == (["p0", "p1"], True)
    cursor = first["paragraphList"][-1]["nextTtoken"]
    last = dingtalk.get("getTexts", unionId=HOST, maxResults=2, nextToken=cursor + 2).json()
    assert ([p["paragraph"] for p in last["paragraphList"]], last["hasMore"]) == (["p4"], False)
    newest = dingtalk.get("getTexts", unionId=HOST, maxResults=1, direction="1").json()
    assert [p["paragraph"] for p in newest["paragraphList"]] == ["p4"]


# The file host ----------------------------------------------------------------------------


def test_the_file_host_serves_the_object_whole_and_by_range_and_logs_every_header(dingtalk):
    dingtalk.admin("POST", "recordings", {"conference_id": "conf-1", "videos": [{"media_id": "m/1", "file_size": 200000}]})
    [video] = dingtalk.get("getVideos", unionId=HOST).json()["videoList"]
    link = dingtalk.play_info(video)["mp4FileUrl"]
    whole = dingtalk.session.get(link, headers={"X-Probe": "seen"}, timeout=5)
    assert (whole.status_code, whole.headers["Accept-Ranges"], whole.content) == (200, "bytes", object_bytes("m/1", 200000))
    part = dingtalk.session.get(link, headers={"Range": "bytes=65520-65530"}, timeout=5)
    expected = (206, "bytes 65520-65530/200000", object_bytes("m/1", 200000, 65520, 65531))
    assert (part.status_code, part.headers["Content-Range"], part.content) == expected
    tail = dingtalk.session.get(link, headers={"Range": "bytes=-5"}, timeout=5)
    assert (tail.status_code, tail.content) == (206, object_bytes("m/1", 200000)[-5:])
    beyond = dingtalk.session.get(link, headers={"Range": "bytes=200000-"}, timeout=5)
    assert (beyond.status_code, beyond.headers["Content-Range"]) == (416, "bytes */200000")
    logged = dingtalk.file_requests()
    assert [entry["status"] for entry in logged] == [200, 206, 206, 416]
    assert logged[0]["headers"]["x-probe"] == "seen" and logged[0]["key"] == "m/1" and logged[0]["bytes_sent"] == 200000
    assert logged[0]["query_keys"] == ["Expires", "Signature"]


def test_expired_and_forged_links_are_refused_as_oss_refuses_them(dingtalk):
    dingtalk.stop()
    [video] = dingtalk.get("getVideos", unionId=HOST).json()["videoList"]
    dingtalk.admin("PUT", "recordings/config", {"link_lifetime": 0})
    expired = dingtalk.session.get(dingtalk.play_info(video)["mp4FileUrl"], timeout=5)
    assert (expired.status_code, b"<Code>AccessDenied</Code>" in expired.content, b"Request has expired." in expired.content) == (403, True, True)
    dingtalk.admin("PUT", "recordings/config", {"link_lifetime": 60})
    parts = urlsplit(dingtalk.play_info(video)["mp4FileUrl"])
    query = dict(parse_qsl(parts.query))
    later = int(query["Expires"]) + 3600  # the same signature for a later expiry
    forged = dingtalk.session.get("%s://%s%s?Expires=%d&Signature=%s" % (parts.scheme, parts.netloc, parts.path, later, query["Signature"]), timeout=5)
    assert (forged.status_code, b"SignatureDoesNotMatch" in forged.content) == (403, True)


def test_file_host_faults_cut_a_body_off_and_answer_expired(dingtalk):
    dingtalk.stop()
    [video] = dingtalk.get("getVideos", unionId=HOST).json()["videoList"]
    link = dingtalk.play_info(video)["mp4FileUrl"]
    rules = [{"kind": "expired", "times": 1}, {"kind": "cut", "after_bytes": 10, "times": 1}]
    dingtalk.file_host.add_faults(*rules)
    assert dingtalk.session.get(link, timeout=5).status_code == 403
    try:
        cut = dingtalk.session.get(link, timeout=5).content  # urllib3 1.26 hands over what came
    except requests.exceptions.ChunkedEncodingError:  # urllib3 2 says that it ended short
        cut = None
    assert cut in (None, object_bytes(video["mediaId"], video["fileSize"], 0, 10))
    assert dingtalk.session.get(link, timeout=5).status_code == 200
    assert [(entry["fault"], entry["bytes_sent"]) for entry in dingtalk.file_requests()] == [("expired", 0), ("cut", 10), (None, 256 * 1024)]


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        ("bytes=0-9", (0, 10)),
        ("bytes=5-", (5, 100)),
        ("bytes=-10", (90, 100)),
        ("bytes=95-200", (95, 100)),
        ("bytes=100-", "unsatisfiable"),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
    ],
)
def test_range_headers_are_read_as_rfc_9110_says(value, expected):
    assert parse_range(value, 100) == expected
