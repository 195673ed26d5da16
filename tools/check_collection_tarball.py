# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Check the file list of a collection tarball built by `ansible-galaxy collection build`.

Usage: check_collection_tarball.py TARBALL CHECKOUT

The tarball is built from the staged copy, where test runs leave generated files
(tests/output, the integration inventory and config, the changelog plugin cache,
ansible-lint's .ansible). galaxy.yml's build_ignore must keep them out. So every file
in the tarball must be one that git tracks or would track in CHECKOUT, or one of the
two manifests ansible-galaxy writes; and the files a user of the collection needs
must be there.
"""

import subprocess
import sys
import tarfile

MANIFESTS = {'MANIFEST.json', 'FILES.json'}
REQUIRED = (
    'README.md',
    'COPYING',
    'LICENSES/GPL-3.0-or-later.txt',
    'requirements.txt',
    'meta/runtime.yml',
    'meta/execution-environment.yml',
    'extensions/awx/dingtalk_credential_types.yml',
    'meta/extensions.yml',
    'extensions/eda/plugins/event_source/conference_events.py',
    'docs/docsite/extra-docs.yml',
    'docs/docsite/links.yml',
    'changelogs/changelog.yaml',
    'plugins/lookup/dingtalk_token.py',
    'plugins/modules/dingtalk_cloud_record.py',
)
# Never in a release, whatever git says.
FORBIDDEN_PARTS = ('tests/output/', '.venv', '__pycache__/', '.pytest_cache/', '.ansible/', '.hypothesis/', '.git/')
FORBIDDEN_FILES = ('tests/integration/inventory', 'tests/integration/integration_config.yml', 'changelogs/.plugin-cache.yaml')
FORBIDDEN_SUFFIXES = ('.pyc', '.tar.gz', '.retry')


def tracked_files(checkout):
    listing = subprocess.run(
        ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=checkout, check=True, stdout=subprocess.PIPE
    ).stdout.decode('utf-8')
    return set(path for path in listing.split('\0') if path)


def main():
    tarball, checkout = sys.argv[1:3]
    with tarfile.open(tarball) as archive:
        members = [member.name for member in archive.getmembers() if member.isfile()]
    tracked = tracked_files(checkout)
    problems = []
    for name in members:
        if name in MANIFESTS:
            continue
        if name not in tracked:
            problems.append(f'{name}: not a file of the collection (generated or test output?)')
        if any(part in name for part in FORBIDDEN_PARTS) or name in FORBIDDEN_FILES or name.endswith(FORBIDDEN_SUFFIXES):
            problems.append(f'{name}: must not be released')
    problems += [f'{name}: missing' for name in REQUIRED + tuple(sorted(MANIFESTS)) if name not in members]
    print(f'{tarball}: {len(members)} files, {len(problems)} problems')
    for problem in problems:
        print('  ' + problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
