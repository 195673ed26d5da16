# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The token cache against the real file system, with real processes for the lock."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import stat
import tempfile
import time

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils import _cache_dir, _file_lock
from ansible_collections.community.dingtalk.plugins.module_utils._cache_dir import (
    FALLBACK_DIR_NAME,
    default_cache_dir,
    fallback_cache_dirs,
    runner_private_data_dir,
)
from ansible_collections.community.dingtalk.plugins.module_utils._token_cache import (
    DEFAULT_REFRESH_MARGIN_SECONDS,
    TokenCache,
    cache_key,
)
from ansible_collections.community.dingtalk.tests.unit.fake_time import FakeTime

NOW = 1700000000.0
SECRET = 'app-secret-5e1f0c9a77'
APP_KEY = 'ding-app-key-3b8d'
KEY = cache_key('https://api.dingtalk.io', 'app', APP_KEY, SECRET)
PLANTED = 'planted-token-must-not-be-used'
OTHER_UID = 65534  # nobody


class Fetcher:
    """Stands in for the token request: token-1, token-2, ... in call order."""

    def __init__(self, expires_in=7200):
        self.expires_in = expires_in
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return f'token-{self.calls}', self.expires_in


def private_dir(tmp_path):
    directory = tmp_path / 'tokens'
    directory.mkdir(mode=0o700)
    directory.chmod(0o700)
    return str(directory)


def record_path(directory, key=KEY):
    return os.path.join(directory, key + '.json')


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def assert_no_secrets(warnings):
    for warning in warnings:
        for secret in (SECRET, PLANTED, 'token-1', 'token-2'):
            assert secret not in warning


# Hits, misses and expiry -----------------------------------------------------


def test_miss_fetches_and_hit_reuses_across_instances(tmp_path):
    directory = private_dir(tmp_path)
    fetch = Fetcher()
    fake = FakeTime(NOW)
    assert TokenCache(directory, clock=fake.clock).get_or_fetch(KEY, fetch) == 'token-1'
    assert fetch.calls == 1
    # A new instance stands for another worker process: it must read the file.
    second = TokenCache(directory, clock=fake.clock)
    assert second.get_or_fetch(KEY, fetch) == 'token-1'
    assert fetch.calls == 1
    assert second.warnings == []


@pytest.mark.parametrize(
    'expires_in, refresh_margin, last_hit, first_miss',
    [
        (7200, DEFAULT_REFRESH_MARGIN_SECONDS, 6899, 6900),  # full margin: 300 s before expiry
        (600, DEFAULT_REFRESH_MARGIN_SECONDS, 299, 300),  # exactly 2x the margin: still the full margin
        (100, DEFAULT_REFRESH_MARGIN_SECONDS, 89, 90),  # short-lived: a tenth of the lifetime
        (7200, 60, 7139, 7140),  # a custom margin
    ],
)
def test_token_is_reused_until_the_refresh_margin(tmp_path, expires_in, refresh_margin, last_hit, first_miss):
    directory = private_dir(tmp_path)
    fake = FakeTime(NOW)
    fetch = Fetcher(expires_in)
    cache = TokenCache(directory, clock=fake.clock, refresh_margin=refresh_margin)
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    fake.now = NOW + last_hit
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    fake.now = NOW + first_miss
    assert cache.get_or_fetch(KEY, fetch) == 'token-2'
    assert fetch.calls == 2
    assert cache.warnings == []


def test_expiry_counts_from_before_the_request(tmp_path):
    directory = private_dir(tmp_path)
    fake = FakeTime(NOW)

    def slow_fetch():
        fake.now += 5  # the request takes a while
        return 'token-1', 7200

    TokenCache(directory, clock=fake.clock).get_or_fetch(KEY, slow_fetch)
    with open(record_path(directory)) as handle:
        assert json.load(handle)['expires_at'] == NOW + 7200


def test_token_without_usable_lifetime_is_not_cached(tmp_path):
    directory = private_dir(tmp_path)
    fetch = Fetcher(expires_in=0)
    cache = TokenCache(directory, clock=FakeTime(NOW).clock)
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    assert cache.get_or_fetch(KEY, fetch) == 'token-2'
    assert not os.path.exists(record_path(directory))
    assert len(cache.warnings) == 1
    assert_no_secrets(cache.warnings)


def test_fetch_error_propagates_writes_nothing_and_releases_the_lock(tmp_path):
    directory = private_dir(tmp_path)
    cache = TokenCache(directory, clock=FakeTime(NOW).clock, lock_timeout=0.3)

    def failing_fetch():
        raise RuntimeError('DingTalk said no')

    with pytest.raises(RuntimeError, match='DingTalk said no'):
        cache.get_or_fetch(KEY, failing_fetch)
    assert not os.path.exists(record_path(directory))
    # A lock left held would make this call time out with a warning.
    assert cache.get_or_fetch(KEY, Fetcher()) == 'token-1'
    assert cache.warnings == []


# Keys and file contents ------------------------------------------------------


def test_cache_key_changes_with_every_part():
    parts = ('https://api.dingtalk.io', 'app', APP_KEY, SECRET)
    assert cache_key(*parts) == KEY
    assert len(KEY) == 64 and set(KEY) <= set('0123456789abcdef')
    assert cache_key('https://api.dingtalk.io', 'app', APP_KEY, SECRET + 'x') != KEY
    assert cache_key('https://api.dingtalk.io', 'app', APP_KEY + 'x', SECRET) != KEY
    assert cache_key('https://other.example', 'app', APP_KEY, SECRET) != KEY


@pytest.mark.parametrize(
    'left, right',
    [
        (('ab', 'c'), ('a', 'bc')),
        (('a\0b',), ('a', 'b')),
        (('a', ''), ('a',)),
        (('a', None), ('a', '')),
        (('1:a',), ('', 'a')),
    ],
)
def test_cache_key_joins_parts_unambiguously(left, right):
    assert cache_key(*left) != cache_key(*right)


def test_cache_key_rejects_other_types():
    with pytest.raises(TypeError):
        cache_key('a', 1)


def test_changed_secret_does_not_reuse_the_old_token(tmp_path):
    directory = private_dir(tmp_path)
    fetch = Fetcher()
    cache = TokenCache(directory, clock=FakeTime(NOW).clock)
    assert cache.get_or_fetch(cache_key('api', 'app', APP_KEY, SECRET), fetch) == 'token-1'
    assert cache.get_or_fetch(cache_key('api', 'app', APP_KEY, 'rotated-secret'), fetch) == 'token-2'


def test_a_key_not_made_by_cache_key_is_refused(tmp_path):
    cache = TokenCache(private_dir(tmp_path))
    for key in ('../../etc/passwd', KEY.upper(), KEY[:-1]):
        with pytest.raises(ValueError):
            cache.get_or_fetch(key, Fetcher())


def test_files_hold_the_token_and_nothing_of_the_credentials(tmp_path):
    directory = private_dir(tmp_path)
    TokenCache(directory, clock=FakeTime(NOW).clock).get_or_fetch(KEY, Fetcher())
    assert sorted(os.listdir(directory)) == [KEY + '.json', KEY + '.lock']
    for root, _dummy, names in os.walk(str(tmp_path)):
        for name in names:
            with open(os.path.join(root, name), 'rb') as handle:
                data = handle.read()
            assert SECRET.encode() not in data
            assert APP_KEY.encode() not in data
    with open(os.path.join(directory, KEY + '.lock'), 'rb') as handle:
        assert handle.read() == b''
    with open(record_path(directory)) as handle:
        assert json.load(handle) == {'version': 1, 'access_token': 'token-1', 'expires_at': NOW + 7200, 'expires_in': 7200}


def test_directory_and_files_are_private_whatever_the_umask(tmp_path):
    existing = tmp_path / 'existing'
    existing.mkdir()
    existing.chmod(0o755)
    directory = str(existing / 'missing' / 'parents' / 'tokens')
    old_umask = os.umask(0o277)  # would make mkdir and mkstemp give 0500 and 0400
    try:
        cache = TokenCache(directory, clock=FakeTime(NOW).clock)
        cache.get_or_fetch(KEY, Fetcher())
    finally:
        os.umask(old_umask)
    assert cache.warnings == []
    assert mode_of(directory) == 0o700
    # The parents it created are private too; the existing one is left as it was.
    assert mode_of(str(existing / 'missing')) == mode_of(str(existing / 'missing' / 'parents')) == 0o700
    assert mode_of(str(existing)) == 0o755
    assert mode_of(record_path(directory)) == 0o600
    assert mode_of(os.path.join(directory, KEY + '.lock')) == 0o600


# Untrusted files and directories -------------------------------------------


def planted_record(**changes):
    record = {'version': 1, 'access_token': PLANTED, 'expires_at': NOW + 7200.0, 'expires_in': 7200}
    record.update(changes)
    return json.dumps(record)


def write_file(path, text, mode=0o600):
    with open(path, 'w') as handle:
        handle.write(text)
    os.chmod(path, mode)


def plant_corrupt_json(path, tmp_path):
    write_file(path, planted_record()[:-10])


def plant_wrong_type(path, tmp_path):
    write_file(path, planted_record(expires_at='2099-01-01T00:00:00'))


def plant_wrong_version(path, tmp_path):
    write_file(path, planted_record(version=2))


def plant_missing_field(path, tmp_path):
    write_file(path, json.dumps({'version': 1, 'access_token': PLANTED, 'expires_at': NOW + 7200.0}))


def plant_group_readable(path, tmp_path):
    write_file(path, planted_record(), mode=0o640)


def plant_symlink(path, tmp_path):
    target = str(tmp_path / 'elsewhere.json')
    write_file(target, planted_record())
    os.symlink(target, path)


def plant_foreign_owned(path, tmp_path):
    write_file(path, planted_record())
    os.chown(path, OTHER_UID, OTHER_UID)


@pytest.mark.parametrize(
    'plant',
    [
        plant_corrupt_json,
        plant_wrong_type,
        plant_wrong_version,
        plant_missing_field,
        plant_group_readable,
        plant_symlink,
        plant_foreign_owned,
    ],
)
def test_untrusted_cache_file_is_ignored_and_replaced(tmp_path, plant):
    directory = private_dir(tmp_path)
    path = record_path(directory)
    plant(path, tmp_path)
    fetch = Fetcher()
    cache = TokenCache(directory, clock=FakeTime(NOW).clock)

    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    assert fetch.calls == 1
    assert len(cache.warnings) == 1
    assert path in cache.warnings[0]
    assert_no_secrets(cache.warnings)

    info = os.lstat(path)
    assert stat.S_ISREG(info.st_mode)
    assert info.st_uid == os.geteuid()
    assert stat.S_IMODE(info.st_mode) == 0o600
    with open(path) as handle:
        assert json.load(handle)['access_token'] == 'token-1'
    if plant is plant_symlink:
        with open(str(tmp_path / 'elsewhere.json')) as handle:
            assert json.load(handle)['access_token'] == PLANTED  # the link was not followed
    # Replaced for good: the next process just reads it.
    again = TokenCache(directory, clock=FakeTime(NOW).clock)
    assert again.get_or_fetch(KEY, fetch) == 'token-1'
    assert again.warnings == []


def test_an_open_directory_of_ours_is_left_as_it_is_and_tokens_go_into_a_private_subdirectory(tmp_path):
    directory = tmp_path / 'tokens'
    directory.mkdir()
    directory.chmod(0o755)
    fetch = Fetcher()
    cache = TokenCache(str(directory), clock=FakeTime(NOW).clock)
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    assert TokenCache(str(directory), clock=FakeTime(NOW).clock).get_or_fetch(KEY, fetch) == 'token-1'
    assert fetch.calls == 1
    assert mode_of(str(directory)) == 0o755  # never changed: the collection did not create it
    private = os.path.join(str(directory), f'{FALLBACK_DIR_NAME}-{os.geteuid()}')
    assert cache.directory == private and mode_of(private) == 0o700
    assert os.listdir(str(directory)) == [os.path.basename(private)]
    assert cache.warnings == []


def test_a_directory_of_another_user_is_left_alone_and_tokens_go_into_a_private_subdirectory(tmp_path):
    directory = tmp_path / 'tokens'
    directory.mkdir()
    directory.chmod(0o755)
    os.chown(str(directory), OTHER_UID, OTHER_UID)
    fetch = Fetcher()
    cache = TokenCache(str(directory), clock=FakeTime(NOW).clock)
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    info = os.stat(str(directory))
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (OTHER_UID, 0o755)  # left alone
    private = os.lstat(cache.directory)
    assert os.path.dirname(cache.directory) == str(directory)
    assert (private.st_uid, stat.S_IMODE(private.st_mode)) == (os.geteuid(), 0o700)
    assert cache.warnings == []


def make_regular_file(tmp_path):
    path = tmp_path / 'tokens'
    path.write_text('')
    return str(path)


def make_symlink_to_private_dir(tmp_path):
    target = private_dir(tmp_path)
    link = str(tmp_path / 'link')
    os.symlink(target, link)
    return link


@pytest.mark.parametrize(
    'make, reason',
    [
        (make_regular_file, 'not a directory'),
        (make_symlink_to_private_dir, 'symbolic link'),
    ],
)
def test_path_that_is_no_plain_directory_is_not_used(tmp_path, make, reason):
    directory = make(tmp_path)
    fetch = Fetcher()
    cache = TokenCache(directory, clock=FakeTime(NOW).clock)
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    assert cache.get_or_fetch(KEY, fetch) == 'token-2'
    assert len(cache.warnings) == 1
    assert directory in cache.warnings[0] and reason in cache.warnings[0]
    if os.path.isdir(directory):
        assert os.listdir(directory) == []


# Invalidation ---------------------------------------------------------------


def test_invalidate_removes_only_the_rejected_token(tmp_path):
    directory = private_dir(tmp_path)
    fetch = Fetcher()
    cache = TokenCache(directory, clock=FakeTime(NOW).clock)
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    cache.invalidate(KEY, 'token-other')
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    cache.invalidate(KEY, 'token-1')
    assert not os.path.exists(record_path(directory))
    assert cache.get_or_fetch(KEY, fetch) == 'token-2'
    cache.invalidate(cache_key('never', 'cached'), 'token-2')  # nothing there: no error
    assert cache.warnings == []


def test_late_invalidate_keeps_the_newer_token_of_another_process(tmp_path):
    directory = private_dir(tmp_path)
    fetch = Fetcher()
    first = TokenCache(directory, clock=FakeTime(NOW).clock)
    second = TokenCache(directory, clock=FakeTime(NOW).clock)
    assert first.get_or_fetch(KEY, fetch) == 'token-1'
    # Both see token-1 rejected; the second process is quicker to replace it.
    second.invalidate(KEY, 'token-1')
    assert second.get_or_fetch(KEY, fetch) == 'token-2'
    first.invalidate(KEY, 'token-1')
    assert first.get_or_fetch(KEY, fetch) == 'token-2'
    assert fetch.calls == 2


# Locking between processes --------------------------------------------------


def fetch_in_child(directory, counter_path, barrier, results):
    try:

        def fetch():
            time.sleep(0.2)
            with open(counter_path, 'a') as handle:
                handle.write(f'{os.getpid()}\n')
            return f'token-{os.getpid()}', 7200

        cache = TokenCache(directory)
        barrier.wait(10)
        results.put((cache.get_or_fetch(KEY, fetch), cache.warnings))
    except BaseException as exc:  # pylint: disable=broad-exception-caught  # reported to the test instead
        results.put(('error', [repr(exc)]))


def test_concurrent_processes_cause_exactly_one_fetch(tmp_path):
    directory = str(tmp_path / 'tokens')  # created by the racing processes themselves
    counter_path = str(tmp_path / 'fetches.txt')
    context = multiprocessing.get_context('fork')
    barrier = context.Barrier(10)
    results = context.Queue()
    processes = [context.Process(target=fetch_in_child, args=(directory, counter_path, barrier, results)) for dummy in range(10)]
    for process in processes:
        process.start()
    answers = [results.get(timeout=20) for dummy in processes]
    for process in processes:
        process.join(10)
        assert process.exitcode == 0
    with open(counter_path) as handle:
        fetchers = handle.read().splitlines()
    assert len(fetchers) == 1
    assert [answer[0] for answer in answers] == [f'token-{fetchers[0]}'] * 10
    assert [answer[1] for answer in answers] == [[]] * 10


def hold_lock(lock_path, locked, release):
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    locked.set()
    release.wait(10)


def test_lock_held_too_long_fetches_without_the_cache(tmp_path):
    directory = private_dir(tmp_path)
    lock_path = os.path.join(directory, KEY + '.lock')
    context = multiprocessing.get_context('fork')
    locked, release = context.Event(), context.Event()
    holder = context.Process(target=hold_lock, args=(lock_path, locked, release))
    holder.start()
    try:
        assert locked.wait(10)
        fetch = Fetcher()
        cache = TokenCache(directory, clock=FakeTime(NOW).clock, lock_timeout=0.3)
        started = time.monotonic()
        assert cache.get_or_fetch(KEY, fetch) == 'token-1'
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join(10)
    assert fetch.calls == 1
    assert 0.3 <= elapsed < 2
    assert not os.path.exists(record_path(directory))
    assert len(cache.warnings) == 1
    assert lock_path in cache.warnings[0] and 'without the cache' in cache.warnings[0]
    # Once the holder is gone the cache works again.
    assert cache.get_or_fetch(KEY, fetch) == 'token-2'
    assert TokenCache(directory, clock=FakeTime(NOW).clock).get_or_fetch(KEY, fetch) == 'token-2'


def test_without_fcntl_the_cache_works_unlocked(tmp_path, monkeypatch):
    monkeypatch.setattr(_file_lock, 'fcntl', None)
    directory = private_dir(tmp_path)
    fetch = Fetcher()
    assert TokenCache(directory, clock=FakeTime(NOW).clock).get_or_fetch(KEY, fetch) == 'token-1'
    assert TokenCache(directory, clock=FakeTime(NOW).clock).get_or_fetch(KEY, fetch) == 'token-1'
    assert os.listdir(directory) == [KEY + '.json']


# Default directory -----------------------------------------------------------


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.delenv('XDG_CACHE_HOME', raising=False)
    monkeypatch.delenv('DINGTALK_TOKEN_CACHE_DIR', raising=False)
    assert default_cache_dir() == os.path.join(str(tmp_path), '.cache', 'community.dingtalk', 'tokens')
    monkeypatch.setenv('XDG_CACHE_HOME', 'relative/cache')  # invalid by the XDG spec: ignored
    assert default_cache_dir() == os.path.join(str(tmp_path), '.cache', 'community.dingtalk', 'tokens')
    monkeypatch.setenv('XDG_CACHE_HOME', '/xdg/cache')
    assert default_cache_dir() == '/xdg/cache/community.dingtalk/tokens'
    monkeypatch.setenv('DINGTALK_TOKEN_CACHE_DIR', '/run/dingtalk-tokens')
    assert default_cache_dir() == '/run/dingtalk-tokens'
    assert TokenCache().directory == '/run/dingtalk-tokens'


# When the default directory cannot be used ---------------------------------


@pytest.fixture
def unwritable_home(monkeypatch, tmp_path):
    """A HOME in which ~/.cache cannot be created (a file: root may write anywhere), no runner job, TMPDIR in tmp_path."""
    home = tmp_path / 'home'
    home.write_text('')
    monkeypatch.setenv('HOME', str(home))
    for variable in ('XDG_CACHE_HOME', 'DINGTALK_TOKEN_CACHE_DIR', _cache_dir.RUNNER_ARTIFACT_DIR_ENV):
        monkeypatch.delenv(variable, raising=False)
    temp = tmp_path / 'tmp'
    temp.mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', str(temp))
    return home


def runner_job(monkeypatch, tmp_path, ident='42'):
    """Make this process look like a job of ansible-runner with its private data dir in tmp_path; return that dir."""
    private_data_dir = tmp_path / 'private_data_dir'
    (private_data_dir / 'artifacts' / ident).mkdir(parents=True)
    monkeypatch.setenv(_cache_dir.RUNNER_ARTIFACT_DIR_ENV, str(private_data_dir / 'artifacts' / ident))
    return str(private_data_dir)


def test_runner_private_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(_cache_dir.RUNNER_ARTIFACT_DIR_ENV, raising=False)
    assert runner_private_data_dir() is None
    for artifact_dir in ('relative/artifacts/1', '/runner/not-artifacts/1'):
        monkeypatch.setenv(_cache_dir.RUNNER_ARTIFACT_DIR_ENV, artifact_dir)
        assert runner_private_data_dir() is None
    monkeypatch.setenv(_cache_dir.RUNNER_ARTIFACT_DIR_ENV, '/runner/artifacts/7/')  # in an execution environment
    assert runner_private_data_dir() == '/runner'
    private_data_dir = runner_job(monkeypatch, tmp_path)
    assert runner_private_data_dir() == private_data_dir


def test_unusable_home_falls_back_to_the_runner_job_and_every_task_says_so_alike(monkeypatch, tmp_path, unwritable_home):
    private_data_dir = runner_job(monkeypatch, tmp_path)
    fallback = os.path.join(private_data_dir, FALLBACK_DIR_NAME)
    assert fallback_cache_dirs()[0] == fallback
    fetch = Fetcher()

    first = TokenCache(clock=FakeTime(NOW).clock)
    assert first.get_or_fetch(KEY, fetch) == 'token-1'
    assert first.directory == fallback
    assert mode_of(fallback) == 0o700 and mode_of(record_path(fallback)) == 0o600
    assert len(first.warnings) == 1
    assert default_cache_dir() in first.warnings[0] and fallback in first.warnings[0]
    assert 'Not a directory' in first.warnings[0]
    assert_no_secrets(first.warnings)
    # Every other task of the run finds the token there, and says so in the same words, which
    # Ansible then shows once for the run (its display drops a warning it has shown).
    for _dummy in range(3):
        later = TokenCache(clock=FakeTime(NOW).clock)
        assert later.get_or_fetch(KEY, fetch) == 'token-1'
        assert later.warnings == first.warnings
    assert fetch.calls == 1
    # Nothing was written outside the job's own directory.
    assert os.listdir(tempfile.gettempdir()) == []


def fetch_with_default_cache(results):
    try:
        cache = TokenCache(clock=FakeTime(NOW).clock)
        results.put((cache.get_or_fetch(KEY, Fetcher()), cache.warnings))
    except BaseException as exc:  # pylint: disable=broad-exception-caught  # reported to the test instead
        results.put(('error', [repr(exc)]))


def test_unusable_home_falls_back_to_the_temporary_directory_and_every_task_says_so_alike(unwritable_home):
    fallback = os.path.join(tempfile.gettempdir(), f'{FALLBACK_DIR_NAME}-{os.geteuid()}')
    assert fallback_cache_dirs() == [fallback]
    # Tasks of one run are processes of their own, starting together.
    context = multiprocessing.get_context('fork')
    results = context.Queue()
    processes = [context.Process(target=fetch_with_default_cache, args=(results,)) for dummy in range(6)]
    for process in processes:
        process.start()
    answers = [results.get(timeout=20) for dummy in processes]
    for process in processes:
        process.join(10)
    assert sorted(token for token, warnings in answers) == ['token-1'] * 6, answers
    # Whichever process created the fallback, each says the one notice.
    notices = {tuple(process_warnings) for token, process_warnings in answers}
    assert len(notices) == 1, notices
    (notice,) = notices.pop()
    assert fallback in notice and default_cache_dir() in notice
    assert mode_of(fallback) == 0o700
    # A later run finds the fallback an earlier one made, and still says where its tokens are.
    later = TokenCache(clock=FakeTime(NOW).clock)
    assert later.get_or_fetch(KEY, Fetcher()) == 'token-1'
    assert later.warnings == [notice]


def test_a_fallback_directory_of_another_user_is_not_used_and_one_with_a_unique_name_is(unwritable_home):
    squatted = os.path.join(tempfile.gettempdir(), f'{FALLBACK_DIR_NAME}-{os.geteuid()}')
    os.mkdir(squatted, 0o777)
    os.chown(squatted, OTHER_UID, OTHER_UID)
    fetch = Fetcher()
    cache = TokenCache(clock=FakeTime(NOW).clock)
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    unique = cache.directory
    assert os.path.dirname(unique) == tempfile.gettempdir() and os.path.basename(unique).startswith(os.path.basename(squatted) + '-')
    assert os.listdir(squatted) == []
    assert mode_of(unique) == 0o700
    (warning,) = cache.warnings
    assert default_cache_dir() in warning and squatted in warning and f'owned by uid {OTHER_UID}' in warning
    assert f'tokens are cached in {unique} instead' in warning
    # The next task finds the same directory, and its token.
    later = TokenCache(clock=FakeTime(NOW).clock)
    assert later.get_or_fetch(KEY, fetch) == 'token-1'
    assert later.directory == unique and later.warnings == cache.warnings
    assert fetch.calls == 1


def test_nowhere_to_fall_back_keeps_tokens_in_memory(monkeypatch, tmp_path, unwritable_home):
    runner_job(monkeypatch, tmp_path)
    os.rmdir(str(tmp_path / 'private_data_dir' / 'artifacts' / '42'))
    os.rmdir(str(tmp_path / 'private_data_dir' / 'artifacts'))
    os.rmdir(str(tmp_path / 'private_data_dir'))  # a fallback's parent is never created
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path / 'no-such-tmp'))
    fetch = Fetcher()
    cache = TokenCache(clock=FakeTime(NOW).clock)
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    cache.discard('token-1')
    cache.invalidate(KEY, 'token-1')
    assert len(cache.warnings) == 1 and 'in memory' in cache.warnings[0]
    assert sorted(os.listdir(str(tmp_path))) == ['home', 'tmp']


@pytest.mark.parametrize('configure', ['argument', 'environment'])
def test_a_chosen_directory_is_never_replaced(monkeypatch, tmp_path, unwritable_home, configure):
    chosen = str(tmp_path / 'not-a-directory')
    write_file(chosen, '')
    if configure == 'environment':
        monkeypatch.setenv('DINGTALK_TOKEN_CACHE_DIR', chosen)
        cache = TokenCache(clock=FakeTime(NOW).clock)
    else:
        cache = TokenCache(chosen, clock=FakeTime(NOW).clock)
    fetch = Fetcher()
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    assert cache.get_or_fetch(KEY, fetch) == 'token-2'
    assert cache.directory == chosen
    assert len(cache.warnings) == 1 and 'not used' in cache.warnings[0]
    assert os.listdir(tempfile.gettempdir()) == []


def test_discard_finds_a_token_in_the_fallback(monkeypatch, tmp_path, unwritable_home):
    runner_job(monkeypatch, tmp_path)
    TokenCache(clock=FakeTime(NOW).clock).get_or_fetch(KEY, Fetcher())
    cache = TokenCache(clock=FakeTime(NOW).clock)
    cache.discard('token-1')
    assert not os.path.exists(record_path(cache.directory))
    assert len(cache.warnings) == 1 and f'tokens are cached in {cache.directory} instead' in cache.warnings[0]


def test_default_directory_and_its_new_parents_are_private(monkeypatch, tmp_path):
    home = tmp_path / 'home'
    home.mkdir()
    home.chmod(0o755)
    monkeypatch.setenv('HOME', str(home))
    monkeypatch.delenv('XDG_CACHE_HOME', raising=False)
    monkeypatch.delenv('DINGTALK_TOKEN_CACHE_DIR', raising=False)
    old_umask = os.umask(0o022)
    try:
        cache = TokenCache(clock=FakeTime(NOW).clock)
        cache.get_or_fetch(KEY, Fetcher())
    finally:
        os.umask(old_umask)
    assert cache.warnings == []
    for created in ('.cache', '.cache/community.dingtalk', '.cache/community.dingtalk/tokens'):
        assert mode_of(str(home / created)) == 0o700, created
    assert mode_of(str(home)) == 0o755


# Another local user on the machine ---------------------------------------------


def test_a_shared_sticky_cache_dir_keeps_its_mode_and_the_tokens_go_into_a_private_subdirectory(shared_dir, other_user):
    shared = shared_dir('tmp', 0o1777)  # cache_dir: /tmp for a job that runs as root
    other_user.run(f'mkdir {shared}/their-own && touch {shared}/their-file')
    fetch = Fetcher()
    cache = TokenCache(shared, clock=FakeTime(NOW).clock)
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    assert TokenCache(shared, clock=FakeTime(NOW).clock).get_or_fetch(KEY, fetch) == 'token-1'
    assert fetch.calls == 1
    assert mode_of(shared) == 0o1777 and os.stat(shared).st_uid == 0  # still every user's /tmp, sticky bit and all
    private = os.path.join(shared, f'{FALLBACK_DIR_NAME}-{os.geteuid()}')
    assert cache.directory == private and mode_of(private) == 0o700
    assert sorted(os.listdir(shared)) == sorted(['their-own', 'their-file', os.path.basename(private)])
    assert cache.warnings == []


@pytest.mark.parametrize('planted', ['directory', 'link'])
def test_a_private_subdirectory_another_user_took_first_is_refused_by_path_and_nothing_is_written_there(shared_dir, other_user, planted):
    shared = shared_dir('tmp', 0o1777)
    private = os.path.join(shared, f'{FALLBACK_DIR_NAME}-{os.geteuid()}')
    their = os.path.join(shared, 'theirs')
    other_user.run(f'mkdir -m 0777 {their}')
    other_user.run(f'mkdir -m 0777 {private}' if planted == 'directory' else f'ln -s {their} {private}')
    fetch = Fetcher()
    cache = TokenCache(shared, clock=FakeTime(NOW).clock)
    assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    assert cache.get_or_fetch(KEY, fetch) == 'token-2'  # not cached anywhere
    assert os.listdir(their) == []
    if planted == 'directory':
        assert os.listdir(private) == []
    (warning,) = cache.warnings
    assert private in warning and shared in warning
    assert (f'owned by uid {other_user.uid}' if planted == 'directory' else 'symbolic link') in warning
    assert '1777' in warning  # the shared directory's mode, as it is
    assert mode_of(shared) == 0o1777
    assert_no_secrets(cache.warnings)


def test_a_temporary_directory_name_taken_for_this_user_cannot_deny_the_cache(shared_dir, other_user, monkeypatch, unwritable_home):
    temp = shared_dir('tmp', 0o1777)
    monkeypatch.setattr(tempfile, 'tempdir', temp)
    squatted = os.path.join(temp, f'{FALLBACK_DIR_NAME}-{os.geteuid()}')
    other_user.run(f'mkdir -m 0700 {squatted}')
    fetch = Fetcher()
    first = TokenCache(clock=FakeTime(NOW).clock)
    assert first.get_or_fetch(KEY, fetch) == 'token-1'
    later = TokenCache(clock=FakeTime(NOW).clock)
    assert later.get_or_fetch(KEY, fetch) == 'token-1'
    assert fetch.calls == 1  # one request, not one per task
    unique = first.directory
    assert later.directory == unique != squatted and mode_of(unique) == 0o700 and os.stat(unique).st_uid == os.geteuid()
    (warning,) = first.warnings
    # Why each place was refused: HOME, and the name another user took.
    assert default_cache_dir() in warning and 'Not a directory' in warning
    assert f'{squatted} cannot be used because it is owned by uid {other_user.uid}' in warning
    assert mode_of(temp) == 0o1777


@pytest.mark.parametrize('kind', ['foreign file', 'fifo'])
def test_a_lock_file_that_is_not_ours_is_refused_not_waited_for(tmp_path, other_user, kind):
    directory = private_dir(tmp_path)
    lock_path = os.path.join(directory, KEY + '.lock')
    if kind == 'fifo':
        os.mkfifo(lock_path, 0o600)
    else:
        write_file(lock_path, '', mode=0o666)
        os.chown(lock_path, other_user.uid, other_user.gid)
    holder = os.open(lock_path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if kind != 'fifo':
            fcntl.flock(holder, fcntl.LOCK_EX)  # held, as the other user would hold it for as long as they like
        fetch = Fetcher()
        cache = TokenCache(directory, clock=FakeTime(NOW).clock, lock_timeout=1)
        assert cache.get_or_fetch(KEY, fetch) == 'token-1'
    finally:
        os.close(holder)
    assert fetch.calls == 1
    (warning,) = cache.warnings
    assert lock_path in warning and 'is not used' in warning
    assert (f'owned by uid {other_user.uid}' if kind != 'fifo' else 'not a regular file') in warning
    assert not os.path.exists(record_path(directory))  # nothing cached without the lock
