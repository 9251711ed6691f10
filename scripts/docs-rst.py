#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers of scripts/docs-check.sh that need Python.

  docs-rst.py directives FILE.rst...
      one line per ".. kernel-doc::" directive, tab separated:
      rst-file, line, source path, option, value (value may be empty)

  docs-rst.py parse FILE.rst...
      parse each file with plain docutils and print one "PASS: rst:NAME"
      or "FAIL: rst:NAME: why" line, NAME the file's path from the
      current directory (docs-check.sh runs it from the top of the
      repository: Documentation/...). The kernel's Sphinx directives and
      roles (kernel-doc, toctree, the C domain, ...) are accepted without
      being expanded: the kernel-doc output is checked on its own, and by
      the Sphinx build when Sphinx is there.

Not for: building the documentation (scripts/docs-check.sh runs a small
Sphinx build of the project's pages when sphinx-build is installed).
"""

import os
import re
import sys

DIRECTIVE = re.compile(r'^\.\.\s+kernel-doc::\s*(\S+)\s*$')
OPTION = re.compile(r'^\s+:([a-z-]+):\s*(.*?)\s*$')


def directives_of(path):
    """Yield (line, source, option, value) for each kernel-doc directive."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        m = DIRECTIVE.match(lines[i])
        if not m:
            i += 1
            continue
        start, src = i + 1, m.group(1)
        opt, val = '', ''
        i += 1
        while i < len(lines) and OPTION.match(lines[i]):
            opt, val = OPTION.match(lines[i]).groups()
            i += 1
        yield start, src, opt, val


def cmd_directives(files):
    for path in files:
        for line, src, opt, val in directives_of(path):
            print('\t'.join([path, str(line), src, opt, val]))
    return 0


def cmd_parse(files):
    import docutils.core
    import docutils.nodes
    import docutils.utils
    from docutils.parsers.rst import Directive, directives, roles

    class Stub(Directive):
        """A Sphinx-only directive: accepted, its body parsed if any."""
        required_arguments = 0
        optional_arguments = 100
        final_argument_whitespace = True
        has_content = True
        option_spec = None

        def run(self):
            # ".. only::" may hold section titles (index pages); Sphinx
            # lifts them out, a nested parse here cannot.
            if not self.content or self.name == 'only':
                return []
            node = docutils.nodes.container()
            self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    class AnyOption(dict):
        def __missing__(self, key):
            return directives.unchanged

    Stub.option_spec = AnyOption()

    for name in ('kernel-doc', 'kernel-abi', 'kernel-include', 'kernel-feat',
                 'toctree', 'only', 'c:function', 'c:struct', 'c:union',
                 'c:enum', 'c:macro', 'c:type', 'c:var', 'c:member',
                 'c:namespace', 'c:namespace-push', 'c:namespace-pop',
                 'code-block', 'flat-table', 'seealso'):
        directives.register_directive(name, Stub)

    def literal_role(name, rawtext, text, lineno, inliner, options=None,
                     content=None):
        return [docutils.nodes.literal(rawtext, text)], []

    for name in ('ref', 'doc', 'c:func', 'c:type', 'c:macro', 'c:struct',
                 'c:union', 'c:enum', 'c:member', 'c:data', 'c:expr',
                 'numref', 'kbd', 'file', 'manpage'):
        roles.register_local_role(name, literal_role)

    failed = 0
    for path in files:
        name = os.path.relpath(path)
        with open(path, encoding='utf-8') as f:
            text = f.read()
        messages = []

        def observer(msg):
            if msg['level'] >= docutils.utils.Reporter.WARNING_LEVEL:
                messages.append(msg.astext().splitlines()[0])

        settings = {'report_level': 5, 'halt_level': 5,
                    'warning_stream': False, 'file_insertion_enabled': False,
                    'raw_enabled': False}
        doc = docutils.core.publish_doctree(
            text, source_path=path, settings_overrides=settings,
            reader_name='standalone', parser_name='restructuredtext')
        # The observer only sees messages reported after it is attached;
        # the parsed tree holds them all as system_message nodes.
        for msg in doc.findall(docutils.nodes.system_message):
            observer(msg)
        if messages:
            failed += 1
            print('FAIL: rst:%s: %s' % (name, '; '.join(messages[:3])))
            for m in messages:
                print(m, file=sys.stderr)
        else:
            print('PASS: rst:%s' % name)
    return 1 if failed else 0


def main(argv):
    if len(argv) < 2 or argv[1] not in ('directives', 'parse'):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == 'directives':
        return cmd_directives(argv[2:])
    return cmd_parse(argv[2:])


if __name__ == '__main__':
    sys.exit(main(sys.argv))
