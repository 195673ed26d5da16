#!/usr/bin/env bash
# AWX job runs: ansible-runner, the engine AWX runs jobs with, runs the example job template
# docs/examples/awx_job_template.yml and a batch against the emulator, with credentials of the
# types in extensions/awx injected as AWX injects them, as a non-root user whose HOME it cannot
# write, as in an OpenShift-based AWX (see awx_job.py). Each job must ask for one token and say
# once that its token cache moved. Jobs of a second UID share the archive storage with the first, as the
# AWX guide's recipe has them. A batch job is cancelled as AWX cancels one, then run again.
# At the end no secret, no token and no traceback may appear in any job event, stdout or artifact.
set -eu

# One AWX job run at a time on a machine (make test runs two ansible-core lines at once): a run opens
# the virtualenv's parent directories to the job user and closes them at its end, which must not
# happen under another run's jobs.
exec 9>"${TMPDIR:-/tmp}/community.dingtalk-awx_job_run.lock"
flock 9

AWX_JOB_WORK_DIR=$(mktemp -d)
# The job user finds ansible-runner and ansible-playbook on PATH, in the virtualenv under test; that lookup
# uses access(2), which ignores the read capability awx_job.py gives the user. Parents of the virtualenv
# that the job user may not enter (a checkout under a private directory; the user is in group 0, so the
# group's bits count) are opened for entering, not listing, for the length of this run, as every directory
# of an execution environment's image is.
opened=()
if [ "$(id -u)" = 0 ]; then
    dir=$(dirname "$(command -v ansible-runner)")
    while [ "$dir" != / ]; do
        # The group's execute bit: the seventh character of drwxr-x---.
        case "$(stat -c %A "$dir")" in
            ??????[xs]*) ;;
            *) chmod g+x "$dir" && opened+=("$dir") ;;
        esac
        dir=$(dirname "$dir")
    done
fi
close_opened() { for dir in "${opened[@]}"; do chmod g-x "$dir"; done; }
trap 'rm -rf "$AWX_JOB_WORK_DIR"; close_opened' EXIT
chmod 0711 "$AWX_JOB_WORK_DIR"  # the job user enters its own private data dirs in it
export AWX_JOB_WORK_DIR
# An arbitrary UID in OpenShift's style, of this run alone: awx_job.py tells the job's processes by it.
export AWX_JOB_UID=$((1000680000 + RANDOM))
export ANSIBLE_NOCOLOR=1

job() { python awx_job.py "$@" 9>&-; }  # the lock is this script's alone: no job keeps it
AWX_COLLECTION_ROOT=$(job collection-root)  # asked once: ansible-galaxy takes a second to say
export AWX_COLLECTION_ROOT
job_template="$AWX_COLLECTION_ROOT/docs/examples/awx_job_template.yml"
stop_task="Stop the cloud recording"
batch_task="Stop the cloud recordings"

status=0
job preflight || status=$?
if [ "$status" -eq 3 ]; then exit 0; elif [ "$status" -ne 0 ]; then exit "$status"; fi

job seed --batch 300
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
archive_template="$AWX_COLLECTION_ROOT/docs/examples/awx_archive_job_template.yml"
# The archive lives on storage mounted into the job, writable by the job's group (0), as OpenShift gives a
# pod's arbitrary UID write access; the job creates its own directory there.
mkdir -p "$AWX_JOB_WORK_DIR/storage"
chmod 1770 "$AWX_JOB_WORK_DIR/storage"  # the sticky bit, as the AWX guide asks for shared storage
archive_vars=(--var conference_id=conf-awx-archive --var host_union_id=host-union-awx
              --var archive_dest="$AWX_JOB_WORK_DIR/storage/recordings" --var archive_wait_minutes=1 --var archive_poll_seconds=1)
job run archive-1 "DingTalk internal app" "$archive_template" --verbosity 4 "${archive_vars[@]}"
job expect archive-1 "Archive the recording" --changed yes --outcome archived
job run archive-2 "DingTalk internal app" "$archive_template" "${archive_vars[@]}"
job expect archive-2 "Archive the recording" --changed no --outcome up_to_date
# Jobs of another UID on the same storage, as the AWX guide's recipe has them: one asked to archive the same
# conference into the same archive_dest refuses the first job's directory, naming it and its owner, and writes
# nothing; one with an archive_dest of its own archives there. Each job's files stay its own, and the volume's
# mode is what its owner set.
if [ "$(id -u)" = 0 ]; then
    first_uid=$AWX_JOB_UID
    other_uid=$((AWX_JOB_UID + 1))
    AWX_JOB_UID=$other_uid job run archive-other-uid "DingTalk internal app" "$archive_template" "${archive_vars[@]}" \
        --expect-failure "$AWX_JOB_WORK_DIR/storage/recordings/conf-awx-archive is owned by uid $first_uid, not by the current user (uid {job_uid}); nothing is written into it"
    AWX_JOB_UID=$other_uid job run archive-own-dest "DingTalk internal app" "$archive_template" "${archive_vars[@]}" \
        --var archive_dest="$AWX_JOB_WORK_DIR/storage/recordings-$other_uid"
    job expect archive-own-dest "Archive the recording" --changed yes --outcome archived
    job expect-owned "$AWX_JOB_WORK_DIR/storage/recordings" "$first_uid"
    job expect-owned "$AWX_JOB_WORK_DIR/storage/recordings-$other_uid" "$other_uid"
    [ "$(stat -c %a "$AWX_JOB_WORK_DIR/storage")" = 1770 ] || { echo "FAILED: the shared storage's mode changed" >&2; exit 1; }
else
    echo "NOT RUN: jobs of two UIDs on shared storage (the test runs as uid $(id -u), not root, and cannot switch users)"
fi
if grep -rq 'Signature=' "$AWX_JOB_WORK_DIR"/archive-*/artifacts; then
    echo "FAILED: a signed download link appears in the artifacts of an archive job" >&2
    exit 1
fi
# Job 6: the dingtalk_token lookup with the injected environment, and the API URL of the inventory,
# which the credential's (a host that does not answer) must not override.
job run lookup "DingTalk internal app" lookup_job.yml --verbosity 4 --var conference_id=conf-awx-lookup \
    --input api_url=http://127.0.0.1:9 --inventory-var "dingtalk_api_url=$(python -c 'import awx_job; print(awx_job.emulator_url())')"

# Job 7 stops 300 recordings in one task and is cancelled part way (each call slowed down, so that
# the batch is still under way); job 8 runs it again and must report changed exactly for the
# recordings the cancelled job had not stopped.
job run batch-1 "DingTalk internal app" batch_job.yml --var host_union_id=host-union-awx --var batch_size=300 \
    --latency 0.2 --interrupt-after-stops 20
job still-recording "$AWX_JOB_WORK_DIR/still-recording.json"
job run batch-2 "DingTalk internal app" batch_job.yml --var host_union_id=host-union-awx --var batch_size=300
job expect-batch batch-2 "$batch_task" "$AWX_JOB_WORK_DIR/still-recording.json"

job scan
