# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Archiving a conference's cloud recordings to a directory: one file per video, and the transcript, idempotently.

Each video goes to ``dest/<conference id>/<media id>.mp4``. Ids come from DingTalk, so a file name is
made from an id by percent-encoding every character but letters, digits and ``-._~`` (and a leading
dot): no id can name another directory, a hidden file or a temporary file, and two ids never share a
name. A file is streamed to ``.<name>.part`` beside it, in chunks, locked against a second run writing
the same file, and renamed only once its size is the ``fileSize`` DingTalk lists, if the file system has
room for it; a file of that size is complete and not downloaded again. Dest may be shared storage that
other users write to: the conference directory and every file in it are used only when they are the
running user's and no link, and all file work is done relative to the directory's descriptor (see
_archive_files.py). Links are renewed when the storage host refuses them (they
expire), and neither a link nor the access token appears in a result or a message. Free of
Ansible: file attributes are the door's business (with_file_attributes takes its way of setting
them). This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections import namedtuple
from urllib.parse import quote, urlsplit

from ansible_collections.community.dingtalk.plugins.module_utils import _http
from ansible_collections.community.dingtalk.plugins.module_utils._archive_files import ArchiveFailure, write_all
from ansible_collections.community.dingtalk.plugins.module_utils._archive_files import Writer as _Writer
from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import OwnerUnknown, acting_as
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, FileAttributeError, InvalidOptionError, Refusal
from ansible_collections.community.dingtalk.plugins.module_utils._recordings import (
    play_info,
    read_transcript,
    shape_video,
    wait_for_videos,
)

VIDEO_SUFFIX = '.mp4'
TRANSCRIPT_FILE_NAME = 'transcript.json'
# A file name in bytes; the temporary name adds a dot and .part, and file systems allow 255.
MAX_FILE_NAME_BYTES = 200
# Read and written 1 MiB at a time: memory stays flat whatever the size, and the system calls are few.
CHUNK_BYTES = 1024 * 1024
# How often one download asks DingTalk for a new link after the storage host refused one (it had expired).
MAX_LINK_RENEWALS = 3
# The storage host's answers that say the link is no good (OSS answers 403 "Request has expired").
LINK_REFUSED_STATUSES = (401, 403)

NO_VIDEO_MESSAGE = 'DingTalk lists no video for conference {0}{1}: it was not recorded, or the recording is still being processed after its stop. {2}'


def no_video_message(conference_id, waited, wait_timeout):
    """The ``msg`` for a conference without a listed video after ``waited`` seconds of ``wait_timeout``: what to set next."""
    if not wait_timeout:
        return NO_VIDEO_MESSAGE.format(conference_id, '', 'Set wait_timeout to wait for it.')
    return NO_VIDEO_MESSAGE.format(
        conference_id,
        f' after waiting {waited:.1f} seconds (wait_timeout={wait_timeout})',
        f'To wait longer, raise wait_timeout ({wait_timeout} s now).',
    )


ATTRIBUTES_FAILED_MESSAGE = (
    '{0} of {1} files of conference {2} are archived (see files) but could not be given every file attribute asked for; the others were set: {3}'
)


class _LinkRefused(Exception):
    """The storage host refused the link: it has expired, most likely."""


def safe_file_name(identifier, suffix=''):
    """A plain file name for an id DingTalk (or a playbook) gave, with ``suffix``; raises InvalidOptionError if there is none.

    Percent-encoding maps every id to a distinct name that holds no ``/``, NUL, control character or
    ``%`` of its own, is never ``.`` or ``..``, and does not start with a dot (so it is not hidden, and
    not a temporary file of another name). An id of letters, digits and ``-_.~`` keeps its name.
    """
    text = '' if identifier is None else str(identifier)
    if not text:
        raise InvalidOptionError('an empty id cannot name a file')
    name = quote(text, safe='')
    if name.startswith('.'):
        name = '%2E' + name[1:]
    name += suffix
    if len(name.encode('utf-8')) > MAX_FILE_NAME_BYTES:
        raise InvalidOptionError(
            'the id {0!r} is too long to name a file ({1} bytes once encoded, at most {2})'.format(
                text[:40] + ('...' if len(text) > 40 else ''), len(name.encode('utf-8')), MAX_FILE_NAME_BYTES
            )
        )
    return name


def check_dest(dest):
    """Raise InvalidOptionError unless ``dest`` is an existing directory, reached through no link another user planted.

    ``dest`` is the user's choice, and may be a link of theirs (or root's); a link that another user owns is
    refused, as the kernel refuses such a link in a sticky world-writable directory, since on shared storage it
    may lead anywhere the running user may write.
    """
    try:
        status = os.lstat(dest)
    except OSError:
        status = None
    if status is not None and stat.S_ISLNK(status.st_mode) and status.st_uid not in (os.geteuid(), 0):
        raise InvalidOptionError(
            f'dest {dest} is a symbolic link owned by uid {status.st_uid}, not by the current user (uid {os.geteuid()}) or root; give the directory itself'
        )
    if not os.path.isdir(dest):
        raise InvalidOptionError(f'dest {dest} is not an existing directory')


def conference_directory(dest, conference_id):
    """``dest/<conference id as a safe name>``, checked to lie in ``dest``."""
    path = os.path.join(dest, safe_file_name(conference_id))
    # Holds by construction (a safe name has no separator and is no dot segment); checked anyway, as the point of it all.
    if os.path.dirname(os.path.abspath(path)) != os.path.abspath(dest):
        raise InvalidOptionError(f'conference id {conference_id!r} would lead out of dest')
    return path


# What archiving a conference is asked to do, the same for every conference of a run: as whom (``union_id``; None:
# as each recording's owner),
# where (``dest``), whether the transcript too, how long to wait for a recording to be listed, check mode, the
# mode of new files, ``on_link`` (given every signed link before it is used), the clock to wait by, and ``progress``
# (None: silent), told of each file as it is done (``item_done(changed, failed)``).
ArchiveOptions = namedtuple(
    'ArchiveOptions',
    ['union_id', 'dest', 'transcript', 'wait_timeout', 'poll_interval', 'check_mode', 'new_file_mode', 'on_link', 'sleep', 'clock', 'progress'],
    defaults=(False, 0, 5, False, 0o644, None, time.sleep, time.monotonic, None),
)


# What archiving one conference did: ``outcome`` (``archived``, ``up_to_date``, ``no_recordings``, ``owner_unknown``
# or ``failed``), ``files`` (one entry per file: ``kind``, ``path``, ``size``, ``written``, and for a video its
# ``media_id`` and ``record_id``; ``failed`` and ``msg`` when it failed; ``changed`` once file attributes were
# applied, and ``attributes_failed`` whether one of them could not be), the seconds ``waited`` for a recording to
# be listed, the warnings, and whom the recordings were read as (``union_id``).
ArchiveOutcome = namedtuple(
    'ArchiveOutcome', ['conference_id', 'changed', 'outcome', 'files', 'waited', 'warnings', 'union_id'], defaults=(False, None, (), 0.0, (), None)
)


def archive_conference(client, file_host, conference_id, options):
    """Archive every video of ``conference_id`` (and its transcript) under ``options.dest``: ArchiveOutcome.

    A file that fails does not stop the others; the conference is refused (Refusal, with every file's entry)
    if any did, or if it has no recording. In check mode nothing is written or created, and ``written`` says
    what would be. ``on_link`` is given every signed link before it is used, so that the door can keep it
    out of its output. A new file gets ``new_file_mode``; a replaced one keeps its mode. Without
    ``options.union_id`` the recordings are read as their owner, whom the conference query names; where it
    names none, or the app may not read it, the conference is refused with outcome ``owner_unknown``.
    """
    dest, wait_timeout = options.dest, options.wait_timeout
    seen = ArchiveOutcome(conference_id)
    directory = conference_directory(dest, conference_id)
    try:
        union_id = acting_as(client, conference_id, options.union_id)
    except OwnerUnknown as unknown:
        raise Refusal(str(unknown), seen._replace(outcome='owner_unknown')) from None
    except DingTalkError as error:
        raise Refusal(error.describe(), seen._replace(outcome='failed'), error) from None
    seen = seen._replace(union_id=union_id)
    try:
        videos, waited = wait_for_videos(client, conference_id, union_id, wait_timeout, options.poll_interval, sleep=options.sleep, clock=options.clock)
    except DingTalkError as error:
        raise Refusal(error.describe(), seen._replace(outcome='failed'), error) from None
    seen = seen._replace(waited=waited)
    if not videos:
        raise Refusal(no_video_message(conference_id, waited, wait_timeout), seen._replace(outcome='no_recordings'))

    writer = _Writer(directory, options.check_mode, options.new_file_mode)
    files = []
    for video in videos:
        files.append(_told(options.progress, _archive_video(client, file_host, conference_id, union_id, shape_video(video), writer, options.on_link)))
    if options.transcript:
        files.append(_told(options.progress, _archive_transcript(client, conference_id, union_id, writer)))
    changed = any(entry['written'] for entry in files)
    seen = seen._replace(files=tuple(files), changed=changed)
    failures = [entry for entry in files if entry.get('failed')]
    if failures:
        message = '{0} of {1} files of conference {2} could not be archived: {3}'.format(
            len(failures), len(files), conference_id, '; '.join(entry['msg'] for entry in failures[:3])
        )
        raise Refusal(message, seen._replace(outcome='failed'))
    return seen._replace(outcome='archived' if changed else 'up_to_date')


def _told(progress, entry):
    if progress is not None:
        progress.item_done(changed=bool(entry['written']), failed=bool(entry.get('failed')))
    return entry


def with_file_attributes(outcome, set_attributes):
    """``outcome`` once each of its files has the mode, owner and group asked for; a change makes it changed.

    ``set_attributes(path, changed)`` is the door's: it gives the file its attributes (or, in check mode, says
    whether it would) and returns ``changed`` or whether it changed them; it raises FileAttributeError for an
    attribute it could not set, once it has set the others. A file that failed, or that check mode did not write,
    is left alone: it gets its attributes when it is written. Every file is tried; if any attribute could not be
    set, Refusal is raised with the outcome (its files, each with ``attributes_failed``) and says which.
    """
    files = []
    failures = []
    for entry in outcome.files:
        entry = dict(entry, changed=entry['written'], attributes_failed=False)
        if not entry.get('failed') and entry['path'] is not None and os.path.exists(entry['path']):
            try:
                entry['changed'] = set_attributes(entry['path'], entry['changed'])
            except FileAttributeError as failure:
                entry.update(changed=entry['changed'] or failure.changed, attributes_failed=True, msg=str(failure))
                failures.append('{0}: {1}'.format(entry['path'], failure))
        files.append(entry)
    changed = any(entry['changed'] for entry in files)
    archived = 'archived' if changed and outcome.outcome == 'up_to_date' else outcome.outcome
    outcome = outcome._replace(files=tuple(files), changed=changed, outcome=archived)
    if failures:
        message = ATTRIBUTES_FAILED_MESSAGE.format(len(failures), len(files), outcome.conference_id, '; '.join(failures[:3]))
        raise Refusal(message, outcome)
    return outcome


def _archive_video(client, file_host, conference_id, union_id, recording, writer, on_link):
    entry = {
        'kind': 'video',
        'media_id': recording['media_id'],
        'record_id': recording['record_id'],
        'path': None,
        'size': recording['file_size'],
        'written': False,
    }
    try:
        entry['path'] = writer.path(safe_file_name(recording['media_id'], VIDEO_SUFFIX))
        links = None
        if entry['size'] is None:  # getVideos left it out: the play info may have it
            links = play_info(client, conference_id, union_id, recording)
            entry['size'] = links['file_size']
        if entry['size'] is None:
            raise ArchiveFailure(
                'DingTalk gives no fileSize for media {0}, so a complete file could not be told from a partial one; it was not archived'.format(
                    recording['media_id']
                )
            )
        if writer.complete(entry['path'], entry['size']):
            return entry
        entry['written'] = True
        if writer.check_mode:
            return entry
        download = _Download(client, file_host, _VideoSource(conference_id, union_id, recording), entry['size'], on_link, links)
        writer.write(entry['path'], download.into, size=entry['size'])
    except (ArchiveFailure, InvalidOptionError) as failure:
        _fail_entry(entry, 'media {0}: {1}'.format(recording['media_id'], failure))
    except DingTalkError as error:
        _fail_entry(entry, 'media {0}: {1}'.format(recording['media_id'], error.describe()))
    return entry


def _archive_transcript(client, conference_id, union_id, writer):
    """transcript.json beside the videos: every paragraph as DingTalk sends it, rewritten only when it has changed."""
    entry = {'kind': 'transcript', 'path': writer.path(TRANSCRIPT_FILE_NAME), 'size': None, 'written': False}
    try:
        paragraphs = read_transcript(client, conference_id, union_id)
        content = (json.dumps({'conferenceId': conference_id, 'paragraphList': paragraphs}, ensure_ascii=False, indent=1, sort_keys=True) + '\n').encode(
            'utf-8'
        )
        entry.update(size=len(content), paragraphs=len(paragraphs))
        if writer.holds(entry['path'], content):
            return entry
        entry['written'] = True
        if not writer.check_mode:
            writer.write(entry['path'], lambda fd: write_all(fd, content))
    except ArchiveFailure as failure:
        _fail_entry(entry, f'transcript: {failure}')
    except DingTalkError as error:
        _fail_entry(entry, f'transcript: {error.describe()}')
    return entry


def _fail_entry(entry, message):
    entry.update(failed=True, written=False, msg=message)


# Which video a download is of: getPlayInfos needs all three to hand out a fresh link.
_VideoSource = namedtuple('_VideoSource', ['conference_id', 'union_id', 'recording'])


class _Download:
    """One video's bytes from the storage host into a file, with fresh links when they expire and resumption when a transfer breaks."""

    def __init__(self, client, file_host, source, size, on_link, links=None):
        self.client = client
        self.file_host = file_host
        self.conference_id, self.union_id, self.recording = source
        self.size = size
        self.on_link = on_link
        self.links = links

    def _link(self, renew=False):
        if self.links is None or renew:
            self.links = play_info(self.client, self.conference_id, self.union_id, self.recording)
        link = self.links['mp4_url']
        if link is None:
            raise ArchiveFailure('DingTalk gives no mp4FileUrl for it (the file may still be processing); run the task again later')
        if self.on_link is not None:
            self.on_link(link)
        parts = urlsplit(link)
        if parts.scheme not in ('http', 'https') or not parts.hostname or any(ord(char) <= 32 or ord(char) >= 127 for char in link):
            raise ArchiveFailure('DingTalk gives an mp4FileUrl that is not an http(s) URL of visible ASCII characters')
        return link

    def into(self, fd):
        """Write the whole file into ``fd``, from its start: transient failures resume where the bytes end."""
        link = self._link()
        written = renewals = attempt = 0
        while True:
            try:
                written = self._transfer(link, fd, written)
                return
            except _LinkRefused:
                if renewals >= MAX_LINK_RENEWALS:
                    raise ArchiveFailure(f'the storage host {_host(link)} refused its link even after {renewals} new ones from DingTalk') from None
                renewals += 1
                link = self._link(renew=True)
            except ArchiveFailure as failure:
                if not failure.retryable or attempt >= self.client.connection.retries:
                    raise
                attempt += 1
                self.client.connection.wait_before_retry(attempt)
            written = os.lseek(fd, 0, os.SEEK_END)

    def _transfer(self, link, fd, offset):
        """One request: the bytes from ``offset`` on. Returns the size written; raises _LinkRefused or ArchiveFailure."""
        try:
            answer = self.file_host.open(link, offset)
        except (_http.UnsupportedProxy, _http.PlainHttpRefused) as error:
            raise ArchiveFailure(str(error)) from None
        except _http.TransportError as failure:
            raise ArchiveFailure(_transport_message(failure, link), retryable=not failure.final) from None
        try:
            offset = self._start(answer, link, fd, offset)
            for chunk in answer.chunks(CHUNK_BYTES):
                offset += len(chunk)
                if offset > self.size:
                    raise ArchiveFailure(
                        f'the storage host {_host(link)} sent more than the {self.size} bytes DingTalk lists (fileSize); the file was not kept'
                    )
                write_all(fd, chunk)
        except _http.TransportError as failure:
            raise ArchiveFailure(_transport_message(failure, link), retryable=True) from None
        finally:
            answer.close()
        if offset < self.size:
            raise ArchiveFailure(f'the storage host {_host(link)} ended the transfer after {offset} of {self.size} bytes', retryable=True)
        return offset

    def _start(self, answer, link, fd, offset):
        """Check the answer's status and length; return the offset its body starts at (0 when the host sends it all)."""
        status = answer.status
        if status in LINK_REFUSED_STATUSES:
            raise _LinkRefused()
        if status == 416 and offset == self.size:
            return offset  # the rest was asked for, and there is none: every byte is here
        if status == 429 or status >= 500:
            raise ArchiveFailure(f'the storage host {_host(link)} answered HTTP {status}', retryable=True)
        if status not in (200, 206):
            raise ArchiveFailure(
                'the storage host {0} answered HTTP {1}{2}'.format(_host(link), status, ', a redirect, which is not followed' if 300 <= status < 400 else '')
            )
        if status == 206:
            start, total = _content_range(answer.headers.get('Content-Range'))
            if start != offset or total != self.size:
                raise ArchiveFailure(f'the storage host {_host(link)} sent a range that does not continue the file of {self.size} bytes')
            return offset
        declared = answer.headers.get('Content-Length', '')
        if declared.isdigit() and int(declared) != self.size:
            raise ArchiveFailure(f'the storage host {_host(link)} has {int(declared)} bytes where DingTalk lists {self.size} (fileSize); the file was not kept')
        if offset:  # the host sent the whole file, not the rest: start again
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
        return 0


def _content_range(value):
    """``(first byte, total size)`` of a ``bytes first-last/total`` Content-Range; (None, None) for anything else."""
    unit, _space, spec = (value or '').partition(' ')
    span, _slash, total = spec.partition('/')
    first = span.partition('-')[0]
    if unit != 'bytes' or not first.isdigit() or not total.isdigit():
        return None, None
    return int(first), int(total)


def _host(link):
    """The storage host of a link, for messages: never the link, which is a bearer credential."""
    return urlsplit(link).hostname or 'of the link'


def _transport_message(failure, link):
    host = _host(link)
    if isinstance(failure, _http.CertificateUntrusted):
        reason = f' ({failure.reason})' if failure.reason else ''
        return f'TLS with the storage host {host} failed{reason}; set ca_path to the CA that signs its certificate, or add it to the system trust store'
    descriptions = (
        (_http.ProxyFailed, 'the proxy could not be reached, or refused to connect to the storage host {0}'),
        (_http.HostUnknown, 'the storage host name {0} could not be resolved'),
        (_http.ConnectionRefused, 'the storage host {0} refused the connection or cannot be reached'),
        (_http.ConnectTimedOut, 'no connection to the storage host {0} within the timeout'),
        (_http.TimedOut, 'the storage host {0} sent nothing within the timeout'),
        (_http.CutOff, 'the storage host {0} cut the transfer off'),
        (_http.NotHttp, 'the storage host {0} did not answer in HTTP'),
    )
    return next((text for kind, text in descriptions if isinstance(failure, kind)), 'the connection to the storage host {0} was dropped').format(host)
