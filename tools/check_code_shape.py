# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Check the shape the architecture promises (docs/architecture.md) on plugins/: run by `make test`.

  check_code_shape.py [PLUGINS_DIR]

- no function longer than 60 lines or with more than 7 parameters;
- no file with more than 400 lines of code, its DOCUMENTATION, EXAMPLES and RETURN blocks, docstrings,
  comments and blank lines aside;
- no import cycle among module_utils and plugin_utils, and nothing there imports AnsibleModule but _module.py.
"""

from __future__ import annotations

import ast
import os
import sys

MAX_FUNCTION_LINES = 60
MAX_PARAMETERS = 7
MAX_CODE_LINES = 400
PACKAGE = 'ansible_collections.community.dingtalk.plugins.'
DOC_BLOCKS = ('DOCUMENTATION', 'EXAMPLES', 'RETURN')
# The one file that may know AnsibleModule: the module glue.
MODULE_GLUE = 'module_utils/_module.py'


def python_files(root):
    for directory, _subdirectories, files in os.walk(root):
        for name in sorted(files):
            if name.endswith('.py'):
                yield os.path.join(directory, name)


def code_lines(tree, source):
    """Lines that hold code: not blank, not comments, not docstrings or documentation blocks."""
    skipped = set()
    for node in ast.walk(tree):
        body = getattr(node, 'body', None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(getattr(body[0], 'value', None), ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            skipped.update(range(body[0].lineno, body[0].end_lineno + 1))
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id in DOC_BLOCKS for target in node.targets):
            skipped.update(range(node.lineno, node.end_lineno + 1))
    count = 0
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith('#') and number not in skipped:
            count += 1
    return count


def shape_problems(path, relative):
    with open(path, encoding='utf-8') as handle:
        source = handle.read()
    tree = ast.parse(source)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            arguments = node.args
            parameters = [argument.arg for argument in arguments.posonlyargs + arguments.args + arguments.kwonlyargs if argument.arg not in ('self', 'cls')]
            if length > MAX_FUNCTION_LINES:
                problems.append(f'{relative}:{node.lineno}: {node.name}() has {length} lines (at most {MAX_FUNCTION_LINES})')
            if len(parameters) > MAX_PARAMETERS:
                problems.append(f'{relative}:{node.lineno}: {node.name}() has {len(parameters)} parameters (at most {MAX_PARAMETERS})')
    lines = code_lines(tree, source)
    if lines > MAX_CODE_LINES:
        problems.append(f'{relative}: {lines} lines of code (at most {MAX_CODE_LINES})')
    return problems, tree


def local_imports(tree):
    """The collection's modules that a file imports: 'module_utils/_client.py', ..."""
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            target = node.module[len(PACKAGE) :].replace('.', '/')
            if target in ('module_utils', 'plugin_utils'):  # from ...module_utils import _http
                imported.update(f'{target}/{alias.name}.py' for alias in node.names)
            else:
                imported.add(target + '.py')
    return imported


def knows_ansible_module(tree):
    return any(
        isinstance(node, ast.ImportFrom) and node.module == 'ansible.module_utils.basic' and any(alias.name == 'AnsibleModule' for alias in node.names)
        for node in ast.walk(tree)
    )


def find_cycle(graph):
    visiting, done = [], set()

    def visit(node):
        if node in visiting:
            return visiting[visiting.index(node) :] + [node]
        if node in done:
            return None
        visiting.append(node)
        for successor in sorted(graph.get(node, ())):
            cycle = visit(successor)
            if cycle:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle:
            return cycle
    return None


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'plugins')
    problems, graph = [], {}
    for path in python_files(root):
        relative = os.path.relpath(path, root).replace(os.sep, '/')
        found, tree = shape_problems(path, relative)
        problems.extend(found)
        if relative.startswith(('module_utils/', 'plugin_utils/')):
            graph[relative] = local_imports(tree)
            if knows_ansible_module(tree) and relative != MODULE_GLUE:
                problems.append(f'{relative}: imports AnsibleModule; only {MODULE_GLUE} may')
    cycle = find_cycle(graph)
    if cycle:
        problems.append('import cycle: {0}'.format(' -> '.join(cycle)))
    for problem in problems:
        print(problem)
    print(f'code shape of {os.path.normpath(root)}: {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
