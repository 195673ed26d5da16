# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Check that an execution environment built from docs/examples/execution-environment.yml is complete with the collection.

Usage: check_execution_environment.py EE_DEFINITION COLLECTION_TARBALL WORK_DIR

There is no container engine here, so the image is not built. Instead:

1. `ansible-builder create` writes the build context, which is checked: the Containerfile
   installs the collections of _build/requirements.yml (community.dingtalk among them),
   runs the introspection script on them, and assembles what it found.
2. The galaxy stage of the Containerfile is replayed offline: the collection tarball stands
   in for the Galaxy download and is installed with ansible-galaxy.
3. The builder stage's introspection script from the context (_build/scripts/introspect.py)
   runs on those collections, as the Containerfile runs it. The installed collection declares
   its requirements (meta/execution-environment.yml -> requirements.txt), and the pip
   requirements the assemble step would install are exactly those, for community.dingtalk.
"""

import os
import re
import shutil
import subprocess
import sys

import yaml


def run(*command, **env):
    print('$ ' + ' '.join(command))
    subprocess.run(command, check=True, env=dict(os.environ, **env))


def check(condition, message, problems):
    print('  {0} {1}'.format('ok  ' if condition else 'FAIL', message))
    if not condition:
        problems.append(message)


def main():
    definition, tarball, work_dir = sys.argv[1:4]
    context = os.path.join(work_dir, 'context')
    collections = os.path.join(work_dir, 'collections')
    pip_requirements = os.path.join(work_dir, 'introspected-requirements.txt')
    shutil.rmtree(work_dir, ignore_errors=True)
    os.makedirs(work_dir)
    problems = []

    run('ansible-builder', 'create', '--file', definition, '--context', context, '--output-filename', 'Containerfile')
    with open(os.path.join(context, 'Containerfile'), encoding='utf-8') as containerfile:
        steps = containerfile.read()
    with open(os.path.join(context, '_build', 'requirements.yml'), encoding='utf-8') as galaxy_requirements:
        galaxy = yaml.safe_load(galaxy_requirements)
    print(f'Build context {context}:')
    check(
        'community.dingtalk' in [collection['name'] for collection in galaxy.get('collections', [])],
        '_build/requirements.yml installs community.dingtalk',
        problems,
    )
    check(re.search(r'^COPY _build /build$', steps, re.M) is not None, 'the Containerfile copies _build', problems)
    check(
        re.search(r'^RUN .*ansible-galaxy collection install .*-r requirements\.yml', steps, re.M) is not None,
        'the Containerfile installs the collections of _build/requirements.yml',
        problems,
    )
    check(
        re.search(r'^RUN .*introspect\.py introspect .*--write-pip=(\S+)', steps, re.M) is not None,
        'the Containerfile introspects the installed collections for Python requirements',
        problems,
    )
    check(
        re.search(r'^RUN /output/scripts/assemble$', steps, re.M) is not None,
        'the Containerfile assembles (pip-installs) what the introspection found',
        problems,
    )
    check(os.path.isfile(os.path.join(context, '_build', 'scripts', 'introspect.py')), 'the context holds the introspection script', problems)

    # The galaxy stage, offline: the built tarball instead of the Galaxy download.
    run('ansible-galaxy', 'collection', 'install', '--offline', '--force', '-p', collections, tarball, ANSIBLE_COLLECTIONS_PATH=collections)
    # The builder stage: the very script the Containerfile runs.
    run(sys.executable, os.path.join(context, '_build', 'scripts', 'introspect.py'), 'introspect', collections, '--write-pip', pip_requirements)
    lines = []
    if os.path.exists(pip_requirements):  # the script writes it only when some collection asks for a package
        with open(pip_requirements, encoding='utf-8') as introspected:
            lines = [line.strip() for line in introspected if line.strip()]
    print('Python requirements the image gets: {0}'.format('; '.join(lines) or 'none'))
    installed = os.path.join(collections, 'ansible_collections', 'community', 'dingtalk')
    with open(os.path.join(installed, 'meta', 'execution-environment.yml'), encoding='utf-8') as ee_meta:
        declared = yaml.safe_load(ee_meta)['dependencies']['python']
    with open(os.path.join(installed, declared), encoding='utf-8') as requirements:
        packages = [line for line in (raw.split('#')[0].strip() for raw in requirements) if line]
    with open('requirements.txt', encoding='utf-8') as checkout_requirements:
        expected = [line for line in (raw.split('#')[0].strip() for raw in checkout_requirements) if line]
    check(
        packages == expected and any(package.startswith('requests') for package in packages),
        'the installed collection declares requests in {0}, as the checkout\'s requirements.txt does: {1}'.format(declared, ', '.join(packages) or 'none'),
        problems,
    )
    from_collection = [line.split('#')[0].strip() for line in lines if 'community.dingtalk' in line]
    check(sorted(from_collection) == sorted(expected), 'the image pip-installs {0} for community.dingtalk'.format(', '.join(expected)), problems)

    print(f'{len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
