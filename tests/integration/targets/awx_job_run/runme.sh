#!/usr/bin/env bash
# An AWX job run: ansible-runner, the engine AWX runs jobs with, runs the example job
# template docs/examples/awx_job_template.yml against the emulator, with credentials of the
# types in extensions/awx injected as AWX injects them (see awx_job.py). The outcome is read
# from the job events; at the end no secret and no token may appear in any job event,
# stdout or artifact file of any job.
set -eu

AWX_JOB_WORK_DIR=$(mktemp -d)
trap 'rm -rf "$AWX_JOB_WORK_DIR"' EXIT
export AWX_JOB_WORK_DIR
# One token cache for the jobs of this test, as one execution node has one for its jobs.
export DINGTALK_TOKEN_CACHE_DIR="$AWX_JOB_WORK_DIR/token-cache"
export ANSIBLE_NOCOLOR=1

job() { python awx_job.py "$@"; }
job_template="$(job collection-root)/docs/examples/awx_job_template.yml"
stop_task="Stop the cloud recording"

job seed
# Job 1 at the highest verbosity AWX offers (4, debug): the recording is stopped.
job run stop-1 "DingTalk internal app" "$job_template" --verbosity 4 \
    --var conference_id=conf-awx-internal --var host_union_id=host-union-awx
job expect stop-1 "$stop_task" --changed yes --outcome stopped
# Job 2 relaunches the job template: nothing is left to stop.
job run stop-2 "DingTalk internal app" "$job_template" \
    --var conference_id=conf-awx-internal --var host_union_id=host-union-awx
job expect stop-2 "$stop_task" --changed no --outcome not_recording
# Job 3 with a credential of the third-party app type.
job run stop-suite "DingTalk third-party app" "$job_template" --verbosity 4 \
    --var conference_id=conf-awx-suite --var host_union_id=host-union-awx
job expect stop-suite "$stop_task" --changed yes --outcome stopped
# Jobs 4 and 5: the stop-and-archive job template, launched, then relaunched: nothing to stop or download.
archive_template="$(job collection-root)/docs/examples/awx_archive_job_template.yml"
archive_vars=(--var conference_id=conf-awx-archive --var host_union_id=host-union-awx
              --var archive_dest="$AWX_JOB_WORK_DIR/recordings" --var archive_wait_minutes=1 --var archive_poll_seconds=1)
job run archive-1 "DingTalk internal app" "$archive_template" --verbosity 4 "${archive_vars[@]}"
job expect archive-1 "Archive the recording" --changed yes --outcome archived
job run archive-2 "DingTalk internal app" "$archive_template" "${archive_vars[@]}"
job expect archive-2 "Archive the recording" --changed no --outcome up_to_date
if grep -rq 'Signature=' "$AWX_JOB_WORK_DIR"/archive-*/artifacts; then
    echo "FAILED: a signed download link appears in the artifacts of an archive job" >&2
    exit 1
fi
# Job 6: the dingtalk_token lookup with the injected extra vars.
job run lookup "DingTalk internal app" lookup_job.yml --verbosity 4 --var conference_id=conf-awx-lookup

job scan
