# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Put tools/get_pip_standin.py where the installed ansible-test looks for its cached get-pip script.

Run with the Python of the virtualenv that has ansible-core installed.
"""

import os
import shutil
import sys
import types

from ansible_test._internal.python_requirements import get_venv_packages


def main():
    python = types.SimpleNamespace(version='{0}.{1}'.format(*sys.version_info[:2]))
    pip_version = get_venv_packages(python)['pip']
    cache_path = os.path.expanduser('~/.ansible/test/cache/get_pip_{0}.py'.format(pip_version.replace('.', '_')))
    os.makedirs(os.path.dirname(cache_path), exist_ok=True)
    # make test sets up two virtualenvs at once: a copy under another name, then a rename, so that
    # ansible-test never reads a half-written stand-in.
    partial_path = f'{cache_path}.{os.getpid()}.partial'
    shutil.copyfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'get_pip_standin.py'), partial_path)
    os.replace(partial_path, cache_path)
    print(f'ansible-test pip bootstrap stand-in: {cache_path}')


if __name__ == '__main__':
    main()
