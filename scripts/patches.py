#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the project into a git format-patch series against the pristine tree.

Called by scripts/patches.sh, which passes the pristine tree, the overlay
map of scripts/kernel.sh and the author's identity. What goes into which
patch, in what order and with what message is in scripts/series/ (see its
"rules" file); nothing here names a project file.

    patches.py plan                  print "patch<TAB>kernel path<TAB>project
                                     path" in order ("derived" for files
                                     every patch may change)
    patches.py write OUT WORKDIR     write the series into OUT

Environment: TOP (project), KSRC (pristine tree), DTHEAPS_MAP (lines
"project-dir kernel-dir"), and for "write" DTHEAPS_AUTHOR_NAME,
DTHEAPS_AUTHOR_EMAIL. Problems go to stderr as "FAILED [patches]: ..."
lines and exit 1; notes that do not stop the series (a patch with a
generated message) go to WORKDIR/notes.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap

TOP = os.environ["TOP"]
KSRC = os.environ["KSRC"]
SERIES = os.path.join(TOP, "scripts", "series")


def die(msg):
    sys.stderr.write("FAILED [patches]: %s\n" % msg)
    sys.exit(1)


# ---------------------------------------------------------------- rules

def glob_regex(pat):
    """A rules pattern as a regex; '%' becomes the one capture group."""
    out, i = "", 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "%":
            out += "([^/]+)"
        elif c == "[":
            j = pat.index("]", i)
            out += pat[i:j + 1]
            i = j + 1
            continue
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + r"\Z")


class Rules:
    def __init__(self):
        self.patches = []       # (regex, id template, pattern)
        self.derive = []
        self.outside = []
        self.kconfig = {}       # symbol -> patch id
        path = os.path.join(SERIES, "rules")
        with open(path) as f:
            for n, line in enumerate(f, 1):
                words = line.split("#", 1)[0].split()
                if not words:
                    continue
                kind, args = words[0], words[1:]
                if kind == "patch" and len(args) >= 2:
                    for p in args[1:]:
                        self.patches.append((glob_regex(p), args[0], p))
                elif kind == "derive" and args:
                    self.derive += [glob_regex(p) for p in args]
                elif kind == "outside" and args:
                    self.outside += [glob_regex(p) for p in args]
                elif kind == "kconfig" and len(args) == 2:
                    self.kconfig[args[0]] = args[1]
                else:
                    die("%s:%d: cannot read this rule" % (path, n))

    def is_derived(self, kpath):
        return any(r.match(kpath) for r in self.derive)

    def is_outside(self, path):
        return any(r.match(path) for r in self.outside)

    def assign(self, kpath):
        """(patch id, template id or None, stem or None) or None."""
        for regex, pid, _ in self.patches:
            m = regex.match(kpath)
            if not m:
                continue
            if "%" in pid:
                if not m.groups():
                    die("rules: %s has '%%' in its name but not in its "
                        "pattern" % pid)
                return pid.replace("%", m.group(1)), pid, m.group(1)
            return pid, None, None
        return None


def read_series():
    order = []
    with open(os.path.join(SERIES, "series")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                order.append(line)
    return order


# ---------------------------------------------------------------- files

def overlay():
    """{kernel path: project file} for every file the map lays over."""
    files = {}
    for line in os.environ["DTHEAPS_MAP"].splitlines():
        if not line.strip():
            continue
        src, dst = line.split()
        base = os.path.join(TOP, src)
        for root, dirs, names in os.walk(base):
            dirs.sort()
            for name in sorted(names):
                full = os.path.join(root, name)
                rel = os.path.relpath(full, base)
                kpath = os.path.normpath(os.path.join(dst, rel))
                if kpath in files:
                    die("%s and %s both go to %s" %
                        (files[kpath], full, kpath))
                files[kpath] = full
    return files


def check_outside(files):
    """Every file of the repository is laid over the tree or named
    'outside' in the rules: a file nobody placed must not vanish."""
    mapped = [l.split()[0] for l in os.environ["DTHEAPS_MAP"].splitlines()
              if l.strip()]
    out = subprocess.run(["git", "-C", TOP, "ls-files", "--cached",
                          "--others", "--exclude-standard"],
                         check=True, capture_output=True, text=True).stdout
    lost = []
    for path in out.splitlines():
        if not os.path.exists(os.path.join(TOP, path)):
            continue
        if any(path.startswith(m) for m in mapped):
            continue
        if not Rules_.is_outside(path):
            lost.append(path)
    if lost:
        die("not laid over the kernel tree and not 'outside' in "
            "scripts/series/rules: " + " ".join(lost))


def pristine(kpath):
    return os.path.join(KSRC, kpath)


def in_pristine(kpath):
    return os.path.isfile(pristine(kpath))


def read(path):
    with open(path) as f:
        return f.read()


# ---------------------------------------------------------------- plan

class Plan:
    """Which patch each file belongs to, and the patches in order."""

    def __init__(self):
        self.files = overlay()
        check_outside(self.files)
        self.of = {}            # kernel path -> patch id
        self.template = {}      # patch id -> (template id, stem)
        self.derived = []
        unassigned = []
        for kpath in sorted(self.files):
            if Rules_.is_derived(kpath):
                self.derived.append(kpath)
                continue
            a = Rules_.assign(kpath)
            if not a:
                unassigned.append(kpath)
                continue
            self.of[kpath] = a[0]
            if a[1]:
                self.template[a[0]] = (a[1], a[2])
        if unassigned:
            die("no patch in scripts/series/rules for: " +
                " ".join(unassigned))

        ids = set(self.of.values())
        self.order = []
        for entry in read_series():
            if "%" in entry:
                self.order += sorted(i for i in ids
                                     if self.template.get(i, ("",))[0] ==
                                     entry)
            elif entry in ids:
                self.order.append(entry)
        missing = ids - set(self.order)
        if missing:
            die("patches missing from scripts/series/series: " +
                " ".join(sorted(missing)))
        self.index = {pid: n for n, pid in enumerate(self.order)}

    def files_of(self, pid):
        return sorted(k for k, p in self.of.items() if p == pid)


# ------------------------------------------------------- derived files

class State:
    """The tree after some patches: which files are there, which final."""

    def __init__(self, plan, applied):
        self.plan = plan
        self.applied = applied  # kernel paths at their final version

    def exists(self, kpath):
        return kpath in self.applied or in_pristine(kpath)

    def final(self, kpath):
        return kpath not in self.plan.of or kpath in self.applied


def logical_lines(text):
    """Makefile lines with their continuations: [(joined, raw)]."""
    out, raw = [], []
    for line in text.splitlines(keepends=True):
        raw.append(line)
        if line.rstrip("\n").endswith("\\"):
            continue
        joined = " ".join(l.rstrip("\n").rstrip("\\").strip()
                          for l in raw)
        out.append((joined, "".join(raw)))
        raw = []
    if raw:
        out.append((" ".join(l.strip() for l in raw), "".join(raw)))
    return out


MK_ASSIGN = re.compile(r"^([\w$()\-.]+)(\s*)(\+=|:=|=)\s*(.*)$")


class Makefile:
    def __init__(self, kpath, text):
        self.dir = os.path.dirname(kpath)
        self.text = text
        self.lines = logical_lines(text)
        self.composite = {}     # "x.o" -> [parts]
        self.by_symbol = {}     # CONFIG symbol -> [objects]
        for joined, _ in self.lines:
            m = MK_ASSIGN.match(joined)
            if not m:
                continue
            lhs, objs = m.group(1), m.group(4).split()
            cm = re.match(r"^(.+)-(y|objs|\$\(CONFIG_\w+\))$", lhs)
            if cm and not lhs.startswith("obj-"):
                self.composite.setdefault(cm.group(1) + ".o", []).extend(
                    objs)
            for sym in re.findall(r"\$\(CONFIG_(\w+)\)", lhs):
                self.by_symbol.setdefault(sym, []).extend(objs)

    def sources(self, obj):
        """Kernel paths an object is built from (candidates that exist in
        the final tree), or None for what is not ours to judge."""
        if obj in self.composite:
            out = []
            for part in self.composite[obj]:
                s = self.sources(part)
                if s is None:
                    return None
                out += s
            return out
        if obj.endswith("/"):
            d = os.path.join(self.dir, obj.rstrip("/"))
            return [d + "/"]
        if not obj.endswith(".o"):
            return None
        stem = obj[:-2]
        cands = [stem + ".c", stem + ".S", stem + ".rs"]
        if stem.endswith(".dtbo"):
            cands = [stem[:-5] + ".dtso"]
        return [os.path.join(self.dir, c) for c in cands]

    def obj_exists(self, obj, state):
        srcs = self.sources(obj)
        if srcs is None:
            return True
        if obj in self.composite:
            return all(self.obj_exists(p, state)
                       for p in self.composite[obj])
        if obj.endswith("/"):
            d = srcs[0]
            return any(state.exists(d + n) for n in ("Makefile", "Kbuild"))
        return any(state.exists(s) for s in srcs)

    def obj_final(self, obj, state):
        """The object exists and every file it is built from is final."""
        if not self.obj_exists(obj, state):
            return False
        if obj in self.composite:
            return all(self.obj_final(p, state)
                       for p in self.composite[obj])
        srcs = self.sources(obj) or []
        if obj.endswith("/"):
            d = srcs[0]
            return all(state.final(k) for k in state.plan.of
                       if k.startswith(d))
        return all(state.final(s) for s in srcs if state.exists(s))

    def derive(self, state):
        out = []
        for joined, raw in self.lines:
            m = MK_ASSIGN.match(joined)
            if not m:
                out.append(raw)
                continue
            lhs, objs = m.group(1), m.group(4).split()
            cm = re.match(r"^(.+)-(y|objs|\$\(CONFIG_\w+\))$", lhs)
            if cm and not lhs.startswith("obj-"):
                if not self.obj_exists(cm.group(1) + ".o", state):
                    continue
            keep = [o for o in objs if self.obj_exists(o, state)]
            if keep == objs:
                out.append(raw)
            elif keep:
                out.append(self.reflow(raw, m, keep))
        return "".join(out)

    @staticmethod
    def reflow(raw, m, objs):
        first = raw.splitlines()[0]
        head = first[:first.index(m.group(3)) + len(m.group(3))] + " "
        rest = raw.splitlines()[1:]
        indent = re.match(r"^\s*", rest[0]).group(0) if rest else "\t"
        lines, cur = [], head
        for o in objs:
            add = o if cur in (head, indent) else " " + o
            if len((cur + add).expandtabs()) > 79 and cur not in (head,
                                                                 indent):
                lines.append(cur + " \\")
                cur = indent + o
            else:
                cur += add
        lines.append(cur)
        return "\n".join(lines) + "\n"


KC_BLOCK = re.compile(r"^(?:config|menuconfig)\s+(\w+)")


def kconfig_blocks(text):
    """(preamble, [(symbol, text)]); each block without trailing blanks."""
    pre, blocks, cur = [], [], None
    for line in text.splitlines(keepends=True):
        m = KC_BLOCK.match(line)
        if m:
            cur = [m.group(1), [line]]
            blocks.append(cur)
        elif cur is None:
            pre.append(line)
        elif re.match(r"^(menu|endmenu|if|endif|choice|endchoice|source|"
                      r"comment)\b", line):
            die("Kconfig derivation handles config entries only, not: " +
                line.strip())
        else:
            cur[1].append(line)
    return "".join(pre), [(s, "".join(l).rstrip("\n") + "\n")
                          for s, l in blocks]


def derive_kconfig(kpath, state, final_text, makefile):
    pre_text = read(pristine(kpath)) if in_pristine(kpath) else ""
    _, old = kconfig_blocks(pre_text)
    old = dict(old)
    preamble, blocks = kconfig_blocks(final_text)
    final_syms = {s for s, _ in blocks}
    gone = set(old) - final_syms
    if gone:
        die("%s: removing pristine entries is not supported: %s" %
            (kpath, " ".join(sorted(gone))))
    out = []
    for sym, text in blocks:
        if kconfig_ready(sym, state, makefile):
            out.append(text)
        elif sym in old:
            out.append(old[sym])
    if out == [old[s] for s, _ in blocks if s in old] and \
            len(out) == len(old):
        return pre_text
    return preamble + "\n".join(out) if out else preamble


def kconfig_ready(sym, state, makefile):
    pid = Rules_.kconfig.get(sym)
    if pid:
        return any(state.plan.of[k] == pid for k in state.applied)
    objs = makefile.by_symbol.get(sym) if makefile else None
    if not objs:
        die("Kconfig symbol %s builds no object in its Makefile; say which "
            "patch adds it with 'kconfig %s PATCH' in scripts/series/rules"
            % (sym, sym))
    return all(makefile.obj_final(o, state) for o in objs)


def derive(plan, state, kpath):
    final = read(plan.files[kpath])
    name = os.path.basename(kpath)
    if name in ("Makefile", "Kbuild"):
        return Makefile(kpath, final).derive(state)
    if name.startswith("Kconfig"):
        mk = os.path.join(os.path.dirname(kpath), "Makefile")
        mkfile = Makefile(mk, read(plan.files[mk])) if mk in plan.files \
            else (Makefile(mk, read(pristine(mk))) if in_pristine(mk)
                  else None)
        return derive_kconfig(kpath, state, final, mkfile)
    die("%s: no rule to derive it (only Makefile, Kbuild, Kconfig)" % kpath)


# ---------------------------------------------------------- MAINTAINERS

def maintainers_entry(plan, kpath):
    """The F: pattern that covers a new file: the topmost new directory
    whose files all come in this file's patch, else the file itself."""
    parts = kpath.split("/")
    pid = plan.of[kpath]
    for i in range(1, len(parts)):
        d = "/".join(parts[:i])
        if os.path.isdir(pristine(d)):
            continue
        under = [k for k in list(plan.of) + plan.derived
                 if k.startswith(d + "/")]
        if all(plan.of.get(k) == pid for k in under):
            return d + "/"
    return kpath


def maintainers(plan, applied, author):
    text = read(pristine("MAINTAINERS"))
    entries = sorted({maintainers_entry(plan, k) for k in applied
                      if not in_pristine(k)})
    if not entries:
        return text
    before, section = None, []
    for line in read(os.path.join(SERIES, "MAINTAINERS.in")).splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("before:"):
            before = line.split(":", 1)[1].strip()
        elif line or section:
            section.append(line.replace("@AUTHOR@", author))
    section += ["F:\t" + e for e in entries]
    lines = text.split("\n")
    if before not in lines:
        die("MAINTAINERS has no section %r to put ours before" % before)
    at = lines.index(before)
    return "\n".join(lines[:at] + section + [""] + lines[at:])


# ------------------------------------------------------------ messages

def opening_comment(path):
    """The text of a file's opening comment or of a binding's
    title and description, as paragraphs."""
    text = read(path)
    if path.endswith(".yaml"):
        m = re.search(r"^description: *\|?-?\n((?:  .*\n|\n)+)", text, re.M)
        body = textwrap.dedent(m.group(1)) if m else ""
        t = re.search(r"^title: *(.*)$", text, re.M)
        return ((t.group(1) + ".\n\n") if t else "") + body
    m = re.search(r"/\*\n((?: \*.*\n)+?) \*/", text)
    if not m:
        return ""
    return "\n".join(re.sub(r"^ \* ?", "", l)
                     for l in m.group(1).splitlines())


def rewrap(text):
    paras = re.split(r"\n\s*\n", text.strip())
    out = []
    for p in paras:
        if re.match(r"^\s*([-*]|\d+\.)\s", p):
            out.append(p)       # lists keep their shape
        else:
            out.append(textwrap.fill(" ".join(p.split()), 72))
    return "\n\n".join(out)


def message(plan, pid, notes):
    path = os.path.join(SERIES, pid + ".msg")
    if os.path.isfile(path):
        return read(path).strip() + "\n"
    if pid not in plan.template:
        die("no message for patch %s: write %s" % (pid, path))
    tid, stem = plan.template[pid]
    tpath = os.path.join(SERIES, tid + ".msg")
    if not os.path.isfile(tpath):
        die("no message for patch %s: write %s" % (pid, path))
    files = plan.files_of(pid)
    summary = rewrap(opening_comment(plan.files[files[0]]))
    notes.append("%s: generated message (from %s); write %s" %
                 (pid, os.path.basename(tpath), path))
    text = read(tpath).replace("@NAME@", stem)
    text = text.replace("@SUMMARY@", summary or "(no opening comment)")
    text = text.replace("@FILES@", "\n".join("  " + f for f in files))
    return text.strip() + "\n"


# -------------------------------------------------------------- writing

def git(repo, *args, **kw):
    return subprocess.run(["git", "-C", repo] + list(args), check=True,
                          capture_output=True, text=True, **kw).stdout


def put(repo, kpath, text=None, src=None):
    dst = os.path.join(repo, kpath)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if src:
        shutil.copyfile(src, dst)
        shutil.copymode(src, dst)
    else:
        with open(dst, "w") as f:
            f.write(text)


def kernel_version():
    mk = read(pristine("Makefile"))
    v = {k: re.search(r"^%s = *(\S*)" % k, mk, re.M).group(1)
         for k in ("VERSION", "PATCHLEVEL", "SUBLEVEL")}
    return "%s.%s.%s" % (v["VERSION"], v["PATCHLEVEL"], v["SUBLEVEL"])


def write(out, work):
    name = os.environ.get("DTHEAPS_AUTHOR_NAME", "")
    email = os.environ.get("DTHEAPS_AUTHOR_EMAIL", "")
    if not name or not email:
        die("no author identity (DTHEAPS_AUTHOR_NAME/EMAIL)")
    author = "%s <%s>" % (name, email)
    plan = Plan()
    notes = []
    msgs = {pid: message(plan, pid, notes) for pid in plan.order}

    repo = os.path.join(work, "repo")
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
    git(repo, "init", "-q")
    touched = sorted(set(plan.files) | {"MAINTAINERS"})
    for k in touched:
        if in_pristine(k):
            put(repo, k, src=pristine(k))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Linux " + kernel_version(), env=env)

    applied = set()
    for pid in plan.order:
        for k in plan.files_of(pid):
            put(repo, k, src=plan.files[k])
            applied.add(k)
        state = State(plan, applied)
        for k in plan.derived:
            put(repo, k, derive(plan, state, k))
        put(repo, "MAINTAINERS", maintainers(plan, applied, author))
        git(repo, "add", "-A")
        msg = msgs[pid].rstrip("\n") + "\n\nSigned-off-by: %s\n" % author
        git(repo, "commit", "-q", "-F", "-", input=msg, env=env)

    # The series must end in exactly the project's tree.
    for k, src in plan.files.items():
        if read(os.path.join(repo, k)) != read(src):
            die("after the last patch %s differs from %s: the rules that "
                "derive it leave something out" % (k, src))

    shutil.rmtree(out, ignore_errors=True)
    prefix = os.environ.get("SUBJECT_PREFIX", "PATCH")
    git(repo, "format-patch", "-q", "--cover-letter", "--no-signature",
        "--subject-prefix=" + prefix, "-o", out, "HEAD~%d" % len(plan.order),
        env=env)
    fill_cover(out, plan, notes)
    with open(os.path.join(work, "notes"), "w") as f:
        f.write("".join(n + "\n" for n in notes))
    for n in notes:
        sys.stderr.write("note: %s\n" % n)


def fill_cover(out, plan, notes):
    cover = [f for f in os.listdir(out) if f.startswith("0000-")][0]
    path = os.path.join(out, cover)
    text = read(os.path.join(SERIES, "cover.msg")).strip()
    text = text.replace("@BASE@", kernel_version())
    subject, _, blurb = text.partition("\n\n")
    c = read(path)
    c = c.replace("*** SUBJECT HERE ***", subject.strip())
    c = c.replace("*** BLURB HERE ***", blurb.strip())
    with open(path, "w") as f:
        f.write(c)


def main():
    global Rules_
    Rules_ = Rules()
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "plan":
        plan = Plan()
        rel = lambda k: os.path.relpath(plan.files[k], TOP)
        for pid in plan.order:
            for k in plan.files_of(pid):
                print("%s\t%s\t%s" % (pid, k, rel(k)))
        for k in plan.derived:
            print("derived\t%s\t%s" % (k, rel(k)))
    elif cmd == "write" and len(sys.argv) == 4:
        write(sys.argv[2], sys.argv[3])
    else:
        die("usage: patches.py plan | write OUT WORKDIR")


Rules_ = None

if __name__ == "__main__":
    main()
