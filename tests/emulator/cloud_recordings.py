# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's cloud recordings: the videos and transcript of each conference, and the three calls that read them.

getVideos, getPlayInfos and getTexts answer with the field names of the official SDK's models
(``QueryCloudRecordVideo*``, ``QueryCloudRecordVideoPlayInfo*``, ``QueryCloudRecordText*`` in
``alibabacloud_dingtalk.conference_1_0.models``), the transcript cursor spelled ``nextTtoken`` as there.
The files themselves are on a separate file host (file_host.py); getPlayInfos signs links to it.

A stop (or the end of a meeting that was recording) makes a video, and a few transcript paragraphs,
that DingTalk would list once processed: here after ``video_delay`` seconds. Tests add videos with
ids of their choosing (hostile ones too) through the admin API. The store (store.py) owns one instance,
which the DingTalk and the admin API call under its lock. Times are the emulator's clock (clock.py). Stdlib only.
"""

import time

DEFAULT_CONFIG = {
    "video_delay": 0.0,  # seconds from a stop until its video is listed
    "link_lifetime": 3600,  # seconds a signed link is valid; 0 or less: already expired
    "recording_size": 256 * 1024,  # bytes of the video a stop makes
    "transcript_paragraphs": 3,  # paragraphs a stop adds to the transcript
    "not_ready_answer": "error",  # what getVideos answers while none is listed: "error" (cloudRecordNotFound) or "empty"
}
REGION = "cn-hangzhou"
MAX_TEXT_RESULTS = 2000  # the most getTexts documents for maxResults
DEFAULT_TEXT_RESULTS = 100  # not documented
VIDEO_FIELDS = (
    "record_id",
    "media_id",
    "region_id",
    "record_type",
    "duration",
    "file_size",
    "start_time",
    "end_time",
    "union_id",
    "ready_in_seconds",
    "stored_size",
)


def _camel_video(video):
    return {
        "recordId": video["record_id"],
        "mediaId": video["media_id"],
        "regionId": video["region_id"],
        "recordType": video["record_type"],
        "duration": video["duration"],
        "fileSize": video["file_size"],
        "startTime": video["start_time"],
        "endTime": video["end_time"],
        "unionId": video["union_id"],
    }


class CloudRecordings:
    """Videos and transcripts per conference id; ``api_error(status, code, message)`` and ``admin_error(message)`` make errors.

    ``clock`` is the emulator's (``time()`` in epoch seconds).
    """

    def __init__(self, store, api_error, admin_error, clock=time):
        self.store = store
        self.clock = clock
        self.api_error = api_error
        self.admin_error = admin_error
        self._counter = 0  # survives resets: ids handed out never come back
        self.reset()

    def reset(self):
        self.config = dict(DEFAULT_CONFIG)
        self.videos = {}  # conference id -> [video in admin shape, with visible_at]
        self.transcripts = {}  # conference id -> [paragraph as getTexts sends it]
        self.closed = set()  # conference ids whose recordings answer resourceClose
        self.store.reset()

    def _next(self):
        self._counter += 1
        return self._counter

    # ----- what the DingTalk state tells us -----------------------------------------------------------

    def recording_finished(self, conference):
        """A running or paused recording of ``conference`` (admin shape) has just been stopped: its video and transcript."""
        now_ms = int(self.clock.time() * 1000)
        number = self._next()
        union_id = conference.get("cloud_record_owner_union_id") or conference["host_union_id"]
        # The recording's number names its video and its transcript; the rest is a default video of one minute ending now.
        video = {"record_id": str(7000000 + number), "media_id": "emumedia%06d" % number, "union_id": union_id, "ready_in_seconds": self.config["video_delay"]}
        self._add_video(conference["conference_id"], video)
        transcript = self.transcripts.setdefault(conference["conference_id"], [])
        for index in range(self.config["transcript_paragraphs"]):
            start = now_ms - 60000 + index * 1000
            transcript.append(
                self._paragraph(
                    {
                        "record_id": 7000000 + number,
                        "union_id": union_id,
                        "nick_name": "Host",
                        "paragraph": "Paragraph %d of recording %d." % (index + 1, number),
                        "start_time": start,
                        "end_time": start + 900,
                    }
                )
            )

    def _add_video(self, conference_id, fields):
        unknown = set(fields) - set(VIDEO_FIELDS)
        if unknown:
            raise self.admin_error("unknown video keys: {}".format(", ".join(sorted(unknown))))
        number = self._next()
        video = {
            "record_id": str(7000000 + number),
            "media_id": "emumedia%06d" % number,
            "region_id": REGION,
            "record_type": 0,
            "duration": 60000,
            "file_size": self.config["recording_size"],
            "start_time": int(self.clock.time() * 1000) - 60000,
            "end_time": int(self.clock.time() * 1000),
            "union_id": None,
        }
        video.update({key: value for key, value in fields.items() if key not in ("ready_in_seconds", "stored_size")})
        if not isinstance(video["file_size"], int) or isinstance(video["file_size"], bool) or video["file_size"] < 0:
            raise self.admin_error("file_size must be an integer >= 0")
        video["visible_at"] = self.clock.time() + float(fields.get("ready_in_seconds") or 0)
        self.videos.setdefault(conference_id, []).append(video)
        if isinstance(video["media_id"], str):
            # stored_size: the file host holds another size than DingTalk lists, for tests of that mismatch.
            self.store.put(video["media_id"], fields.get("stored_size", video["file_size"]))
            self.store.put(video["media_id"] + ".m3u8", 64, "application/vnd.apple.mpegurl")
        return video

    @staticmethod
    def _paragraph(fields):
        whole = {
            "sentence": fields["paragraph"],
            "start_time": fields.get("start_time"),
            "end_time": fields.get("end_time"),
            "union_id": fields.get("union_id"),
        }
        sentences = fields.get("sentences") or [whole]
        return {
            "recordId": fields.get("record_id"),
            "unionId": fields.get("union_id"),
            "nickName": fields.get("nick_name"),
            "paragraph": fields["paragraph"],
            "startTime": fields.get("start_time"),
            "endTime": fields.get("end_time"),
            "status": fields.get("status", 0),
            "sentenceList": [
                {
                    "sentence": sentence["sentence"],
                    "startTime": sentence.get("start_time"),
                    "endTime": sentence.get("end_time"),
                    "unionId": sentence.get("union_id"),
                    "wordList": [
                        {"word": word, "wordId": str(position), "startTime": sentence.get("start_time"), "endTime": sentence.get("end_time")}
                        for position, word in enumerate(sentence["sentence"].split())
                    ],
                }
                for sentence in sentences
            ],
        }

    # ----- API operations (EmulatorState has authorised the call and found the conference) ---------------

    def _check(self, call, conference, names):
        for name in names:
            if not isinstance(call.query.get(name), str) or not call.query[name]:
                raise self.api_error(400, "paramsError", f"error:{name} is mandatory")
        if conference["conference_id"] in self.closed:
            raise self.api_error(400, "resourceClose", "the cloud recording resource is closed")

    def _visible(self, conference_id):
        now = self.clock.time()
        return [video for video in self.videos.get(conference_id, []) if video["visible_at"] <= now]

    def get_videos(self, call, conference):
        self._check(call, conference, ("unionId",))
        visible = self._visible(conference["conference_id"])
        if not visible and self.config["not_ready_answer"] == "error":
            raise self.api_error(400, "cloudRecordNotFound", "cloud record not found")
        return {"videoList": [_camel_video(video) for video in visible]}

    def get_play_info(self, call, conference):
        self._check(call, conference, ("mediaId", "regionId", "unionId"))
        video = next(
            (
                video
                for video in self._visible(conference["conference_id"])
                if video["media_id"] == call.query["mediaId"] and video["region_id"] == call.query["regionId"]
            ),
            None,
        )
        if video is None:
            raise self.api_error(400, "cloudRecordNotFound", "cloud record not found")
        lifetime = self.config["link_lifetime"]
        return {
            "mp4FileUrl": self.store.sign(video["media_id"], lifetime),
            "playUrl": self.store.sign(video["media_id"] + ".m3u8", lifetime),
            "duration": video["duration"],
            "fileSize": video["file_size"],
            "status": 0,
        }

    def get_texts(self, call, conference):
        self._check(call, conference, ("unionId",))
        conference_id = conference["conference_id"]
        paragraphs = list(self.transcripts.get(conference_id, []))
        if not paragraphs and not self.videos.get(conference_id):
            raise self.api_error(400, "cloudRecordNotFound", "cloud record not found")
        try:
            max_results = int(call.query.get("maxResults") or DEFAULT_TEXT_RESULTS)
            start = int(call.query.get("nextToken") or 0)
            start_time = int(call.query.get("startTime") or 0)
        except ValueError:
            raise self.api_error(400, "paramsError", "error:maxResults, nextToken and startTime are numbers") from None
        if not 1 <= max_results <= MAX_TEXT_RESULTS or start < 0 or call.query.get("direction", "0") not in ("0", "1"):
            raise self.api_error(400, "paramsError", "error:maxResults must be 1 to %d, direction 0 or 1" % MAX_TEXT_RESULTS)
        if call.query.get("direction") == "1":
            paragraphs.reverse()
        paragraphs = [paragraph for paragraph in paragraphs if (paragraph["startTime"] or 0) >= start_time]
        page = [dict(paragraph, nextTtoken=position + 1) for position, paragraph in enumerate(paragraphs[start : start + max_results], start)]
        return {"hasMore": start + max_results < len(paragraphs), "paragraphList": page}

    # ----- admin (snake_case) ------------------------------------------------------------------------

    def admin_add(self, body):
        """``{"conference_id", "videos"?: [...], "transcript"?: [...], "closed"?: bool}``: add to a conference's recordings."""
        conference_id = body.get("conference_id")
        if not isinstance(conference_id, str) or not conference_id:
            raise self.admin_error("conference_id must be a non-empty string")
        videos = [self._add_video(conference_id, dict(fields)) for fields in body.get("videos", [])]
        for fields in body.get("transcript", []):
            if not isinstance(fields, dict) or not isinstance(fields.get("paragraph"), str):
                raise self.admin_error("a transcript item needs a paragraph")
            self.transcripts.setdefault(conference_id, []).append(self._paragraph(fields))
        if "closed" in body:
            (self.closed.add if body["closed"] else self.closed.discard)(conference_id)
        return {"conference_id": conference_id, "videos": [self._admin_video(video) for video in videos]}

    def admin_list(self, query):
        conference_ids = [query["conference_id"]] if query.get("conference_id") else sorted(set(self.videos) | set(self.transcripts))
        return {
            "recordings": [
                {
                    "conference_id": conference_id,
                    "videos": [self._admin_video(video) for video in self.videos.get(conference_id, [])],
                    "transcript_paragraphs": len(self.transcripts.get(conference_id, [])),
                    "closed": conference_id in self.closed,
                }
                for conference_id in conference_ids
            ]
        }

    def _admin_video(self, video):
        shown = {key: value for key, value in video.items() if key != "visible_at"}
        shown["listed"] = video["visible_at"] <= self.clock.time()
        return shown

    def admin_config(self, body=None):
        checks = {
            "video_delay": lambda value: float(value) if float(value) >= 0 else None,
            "link_lifetime": int,
            "recording_size": lambda value: int(value) if int(value) >= 0 else None,
            "transcript_paragraphs": lambda value: int(value) if int(value) >= 0 else None,
            "not_ready_answer": lambda value: value if value in ("error", "empty") else None,
        }
        for key, value in (body or {}).items():
            if key not in checks:
                raise self.admin_error(f"unknown recordings config key: {key}")
            try:
                checked = checks[key](value)
            except (TypeError, ValueError):
                checked = None
            if checked is None or isinstance(value, bool):
                raise self.admin_error(f"recordings config {key} has an unusable value")
            self.config[key] = checked
        return dict(self.config, file_host_url=self.store.base_url)
