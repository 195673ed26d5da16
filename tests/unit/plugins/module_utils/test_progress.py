# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import threading

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._progress import ProgressReporter, ticking_sleep
from ansible_collections.community.dingtalk.tests.unit.fake_time import FakeTime


def reporter(total, **options):
    clock, lines = FakeTime(500.0), []
    return ProgressReporter('stop', total, lines.append, clock=clock.clock, **options), clock, lines


def test_a_line_every_tenth_of_the_items_then_the_last_one_from_finish():
    progress, clock, lines = reporter(40)
    for number in range(40):
        clock.now += 0.1
        progress.item_done(changed=number % 2 == 0, failed=number == 7)
    assert len(lines) == 9  # at 4, 8, ... 36: the 40th item's line is finish()'s
    progress.finish()
    assert lines[0] == 'stop: 4 of 40 done, 2 changed, 0 failed; 0.0 s waiting for the rate limit, 0.4 s elapsed'
    assert [line.split(' done')[0] for line in lines] == [f'stop: {done} of 40' for done in range(4, 40, 4)] + ['stop: 40 of 40']
    assert lines[-1] == 'stop: 40 of 40 done, 20 changed, 1 failed; 0.0 s waiting for the rate limit, 4.0 s elapsed'


def test_a_line_every_ten_seconds_when_items_are_slow():
    progress, clock, lines = reporter(1000)
    for _dummy in range(5):
        clock.now += 4
        progress.item_done(changed=True)
    progress.add_wait(2.5)
    progress.add_wait(0.25)
    clock.now += 4
    progress.item_done()
    # Due at 12 s and again at 24 s (ten seconds after the last line), not at every item.
    assert lines == [
        'stop: 3 of 1000 done, 3 changed, 0 failed; 0.0 s waiting for the rate limit, 12.0 s elapsed',
        'stop: 6 of 1000 done, 5 changed, 0 failed; 2.8 s waiting for the rate limit, 24.0 s elapsed',
    ]


def test_tick_says_how_long_a_wait_has_lasted_without_an_item():
    progress, clock, lines = reporter(1)
    clock.now += 5
    progress.tick()
    assert lines == []
    clock.now += 5
    progress.tick()
    assert lines == ['stop: 0 of 1 done, 0 changed, 0 failed; 0.0 s waiting for the rate limit, 10.0 s elapsed']


def test_finish_gives_one_last_line_and_then_nothing():
    progress, clock, lines = reporter(None)
    progress.item_done(failed=True)
    clock.now += 30
    progress.finish()
    progress.finish()
    progress.item_done()
    assert lines == ['stop: 1 done, 0 changed, 1 failed; 0.0 s waiting for the rate limit, 30.0 s elapsed']


def test_items_finishing_on_many_threads_are_all_counted_in_order():
    progress, clock, lines = reporter(800)

    def worker():
        for _dummy in range(100):
            progress.item_done(changed=True)
            progress.add_wait(0.01)

    threads = [threading.Thread(target=worker) for dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    progress.finish()
    done = [int(line.split(': ')[1].split(' of')[0]) for line in lines]
    assert done == sorted(done) and done[-1] == 800 and len(done) == 10  # every 80 items, then finish's
    assert lines[-1] == 'stop: 800 of 800 done, 800 changed, 0 failed; 8.0 s waiting for the rate limit, 0.0 s elapsed'


def test_a_followed_wait_counts_only_what_it_grew_by_since():
    progress, clock, lines = reporter(None)
    held_back = [7.5]  # a limiter kept from a loop's earlier items had held calls back already
    progress.follow_wait(lambda: held_back[0])
    held_back[0] += 1.25
    progress.add_wait(0.5)
    progress.item_done(changed=True)
    progress.finish()
    assert lines == ['stop: 1 done, 1 changed, 0 failed; 1.8 s waiting for the rate limit, 0.0 s elapsed']


def test_a_wait_without_items_says_only_the_time():
    progress, clock, lines = reporter(None)
    clock.now += 10
    progress.tick()
    progress.add_wait(1)
    clock.now += 10
    progress.tick()
    assert lines == ['stop: 10.0 s elapsed', 'stop: 1.0 s waiting for the rate limit, 20.0 s elapsed']


def test_a_ticking_sleep_sleeps_as_long_in_steps_and_lets_a_long_wait_be_said():
    progress, clock, lines = reporter(None)
    sleep = clock.sleep  # one bound method, for the identity check at the end
    pause = ticking_sleep(progress, sleep=sleep, step_seconds=1.0)
    pause(2.5)
    assert clock.sleeps == [1.0, 1.0, 0.5] and lines == []
    pause(8)
    assert sum(clock.sleeps) == pytest.approx(10.5)
    assert lines == ['stop: 10.5 s elapsed']
    assert ticking_sleep(None, sleep=sleep) is sleep  # nothing to tell: the plain sleep
