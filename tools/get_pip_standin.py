# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Offline stand-in for the get-pip script that ansible-test downloads.

ansible-test seeds every virtualenv it makes by running a cached get-pip script
(~/.ansible/test/cache/get_pip_<version>.py) with pip's arguments, and downloads
that script from a host that build machines without general internet access
cannot reach. This stand-in gives the same result from the package index: it
bootstraps pip with ensurepip, then installs what ansible-test asked for.
"""

import subprocess
import sys

# get-pip.py flags that pip itself does not know.
GET_PIP_ONLY_FLAGS = ('--no-setuptools', '--no-wheel')


def main():
    pip_arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_FLAGS]
    # ensurepip runs in a child process: run in-process it points PIP_CONFIG_FILE at
    # /dev/null, which drops the machine's pip settings (certificates, index mirrors).
    subprocess.run([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--upgrade'] + pip_arguments, check=True)


if __name__ == '__main__':
    main()
