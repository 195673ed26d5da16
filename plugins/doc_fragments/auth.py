# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """App credentials and the token cache, shared by the modules and the dingtalk_token lookup."""

    DOCUMENTATION = r"""
options:
  app_key:
    description:
      - The AppKey (client ID) of an internal app (an app your organisation developed for itself).
      - Give it with O(app_secret). Cannot be combined with the third-party app options.
      - If no credential option is set, modules use the value of the E(DINGTALK_APP_KEY) environment variable, and the lookup uses
        it if this option is not set otherwise.
    type: str
  app_secret:
    description:
      - The AppSecret (client secret) of the internal app O(app_key).
      - If no credential option is set, modules use the value of the E(DINGTALK_APP_SECRET) environment variable, and the lookup uses
        it if this option is not set otherwise.
      - Never shown in output, and never written to the token cache.
    type: str
  suite_key:
    description:
      - The SuiteKey of a third-party enterprise app (an app from a DingTalk ISV installed by O(auth_corp_id)).
      - Give it with O(suite_secret), O(auth_corp_id) and O(suite_ticket). Cannot be combined with O(app_key).
      - If no credential option is set, modules use the value of the E(DINGTALK_SUITE_KEY) environment variable, and the lookup uses
        it if this option is not set otherwise.
    type: str
  suite_secret:
    description:
      - The SuiteSecret of the third-party app O(suite_key).
      - If no credential option is set, modules use the value of the E(DINGTALK_SUITE_SECRET) environment variable, and the lookup uses
        it if this option is not set otherwise.
    type: str
  auth_corp_id:
    description:
      - The CorpId of the organisation that installed the third-party app O(suite_key).
      - If no credential option is set, modules use the value of the E(DINGTALK_AUTH_CORP_ID) environment variable, and the lookup uses
        it if this option is not set otherwise.
    type: str
  suite_ticket:
    description:
      - The latest suite ticket DingTalk pushed to the third-party app.
      - If no credential option is set, modules use the value of the E(DINGTALK_SUITE_TICKET) environment variable, and the lookup uses
        it if this option is not set otherwise.
    type: str
  cache:
    description:
      - Whether to share access tokens through the token cache in O(cache_dir).
      - The cache holds one token per credential set and API host, for every process of a run and for later
        runs on the same machine, until five minutes before the token expires. A file lock makes many processes
        that ask at once cause one token request.
      - The cache stores the token and its expiry only, in files named by a hash of the API host and the
        credentials (the secret included, so a changed secret never reuses an old token).
      - With V(false), every task (and every evaluation of the lookup) asks DingTalk for a token.
    type: bool
    default: true
  cache_dir:
    description:
      - The token cache directory. When missing, it is created with mode V(0700), and so is each parent directory
        created for it; files in it have mode V(0600).
      - The collection never changes the mode of a directory it did not create. A directory of the current user's
        that no one else may enter is used as it is. One that others may enter or that another user owns (a shared
        directory such as C(/tmp)) is left as it is, and the tokens go into a private subdirectory
        C(community.dingtalk-tokens-<uid>) that the collection creates in it with mode V(0700); if another user took
        that name first, or it is a link, the cache is not used, with a warning that names it.
      - A cache file or lock file that is a link, not a regular file, owned by another user or (a cache file)
        readable by group or others is not used; a cache file is replaced, a lock file refused with a warning.
      - If not set, the value of the E(DINGTALK_TOKEN_CACHE_DIR) environment variable is used, and if that is not
        set either, C($XDG_CACHE_HOME/community.dingtalk/tokens) (by default C(~/.cache/community.dingtalk/tokens)).
      - When that default directory cannot be used, for example because the home directory is not writable, the cache
        moves to C(community.dingtalk-tokens) in the private data directory of the ansible-runner job (as AWX runs
        jobs), or else to C($TMPDIR/community.dingtalk-tokens-<uid>), or, when another user took that name, to a
        directory C($TMPDIR/community.dingtalk-tokens-<uid>-<random>) that the collection creates with a name no one
        can take in advance. A warning, which Ansible shows once per run, names the directory used and why each
        place before it was refused. A directory set here or in E(DINGTALK_TOKEN_CACHE_DIR) is never replaced.
    type: path
"""

    # Where plugins (the lookup) also read these options from. Secrets have no ini source on purpose:
    # ansible.cfg is often committed and world-readable.
    PLUGINS = r"""
options:
  app_key:
    env:
      - name: DINGTALK_APP_KEY
    vars:
      - name: dingtalk_app_key
  app_secret:
    env:
      - name: DINGTALK_APP_SECRET
    vars:
      - name: dingtalk_app_secret
  suite_key:
    env:
      - name: DINGTALK_SUITE_KEY
    vars:
      - name: dingtalk_suite_key
  suite_secret:
    env:
      - name: DINGTALK_SUITE_SECRET
    vars:
      - name: dingtalk_suite_secret
  auth_corp_id:
    env:
      - name: DINGTALK_AUTH_CORP_ID
    vars:
      - name: dingtalk_auth_corp_id
  suite_ticket:
    env:
      - name: DINGTALK_SUITE_TICKET
    vars:
      - name: dingtalk_suite_ticket
  cache:
    vars:
      - name: dingtalk_token_cache
  cache_dir:
    env:
      - name: DINGTALK_TOKEN_CACHE_DIR
    vars:
      - name: dingtalk_token_cache_dir
"""
