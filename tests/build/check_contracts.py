#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_contracts.py SRC_DIR [--list] - every function a header of mm/, lib/ or kernel/ exports
carries one contract, in the form of Linux's kernel-doc, right above its declaration:

    /**
     * name() - what it does, in one line.
     * @param: what it is (one line per named parameter).
     *
     * More of what it does and why, when needed.
     *
     * Context: may it run in an interrupt handler, which lock it takes or needs.
     * Return: the values it returns, and when (not for a function returning void).
     */

A function is exported when a header declares it (a prototype) or defines it `static
inline`; the heap part's private headers (PRIVATE below) are not checked, nor are
function-like macros. Exits 1 naming each missing part.
--list prints every function found and what it lacks (a worklist).
"""
import re
import sys
from pathlib import Path

HEADER_DIRS = ("mm", "lib", "lib/collections", "kernel")
# The heap part's private headers: only mm/heap*.c (and the heap's own tests) include them;
# their helpers are the implementation of mm/heap.h's contracts, commented where they are.
PRIVATE = {"mm/heap_internal.h", "mm/heap_index.h", "mm/heap_goodfit.h"}

# A declaration starts at file scope (no indent) with a type and ends at the first ';' or
# '{' at paren depth 0. Lines that start with these words are not function declarations.
NOT_DECL = re.compile(r"^(#|typedef\b|struct\s+\w+\s*\{|union\b|enum\b|extern\s+\"C\"|\}|/\*|\*|//)")
FUNC = re.compile(r"(\w+)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*(?:__attribute__\s*\(\(.*\)\)\s*)*$",
                  re.S)


def strip_comments(text):
    """Comments replaced by spaces of the same length (line numbers stay)."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r"/\*.*?\*/|//[^\n]*", blank, text, flags=re.S)


def declarations(text):
    """(line_no, name, return_type, params, is_inline) of the file-scope functions."""
    code = strip_comments(text)
    lines = code.split("\n")
    out = []
    i = 0
    depth_brace = 0
    while i < len(lines):
        line = lines[i]
        if depth_brace == 0 and line and not line[0].isspace() and not NOT_DECL.match(line) \
                and "(" in line and not line.startswith("#"):
            # gather until ';' or '{' at paren depth 0
            j = i
            buf = ""
            end = None
            while j < len(lines):
                buf += lines[j] + "\n"
                depth = 0
                for k, ch in enumerate(buf):
                    if ch == "(":
                        depth += 1
                    elif ch == ")":
                        depth -= 1
                    elif ch in ";{" and depth == 0:
                        end = (k, ch)
                        break
                if end:
                    break
                j += 1
            if end is None:
                break
            head = buf[:end[0]].strip()
            head = re.sub(r"\s+", " ", head)
            if "=" not in head.split("(")[0]:
                m = FUNC.search(head)
                if m and not head.startswith("#"):
                    name = m.group(1)
                    rtype = head[:m.start()].strip()
                    params = m.group(2).strip()
                    inline = "inline" in rtype.split()
                    if rtype and not rtype.endswith(("=", ",")) and name not in ("sizeof",) \
                            and "(*" not in rtype:
                        out.append((i + 1, name, rtype, params, inline))
            # skip a body
            if end[1] == "{":
                depth_brace = 0
                rest = buf[end[0]:]
                for ch in rest:
                    if ch == "{":
                        depth_brace += 1
                    elif ch == "}":
                        depth_brace -= 1
                while depth_brace > 0 and j + 1 < len(lines):
                    j += 1
                    for ch in lines[j]:
                        if ch == "{":
                            depth_brace += 1
                        elif ch == "}":
                            depth_brace -= 1
            i = j + 1
            continue
        for ch in line:
            if ch == "{":
                depth_brace += 1
            elif ch == "}":
                depth_brace -= 1
        i += 1
    return out


def param_names(params):
    if params in ("", "void"):
        return []
    names = []
    for p in re.split(r",(?![^()]*\))", params):
        p = p.strip()
        if p == "...":
            names.append("...")
            continue
        m = re.search(r"\(\s*\*\s*(\w+)\s*\)", p)  # function pointer parameter
        if m:
            names.append(m.group(1))
            continue
        m = re.search(r"(\w+)\s*(\[[^\]]*\])*$", p)
        if m and len(p.split()) > 1 or (m and "*" in p):
            names.append(m.group(1))
    return names


def doc_above(text_lines, line_no):
    """The /** ... */ block that ends on the line just above line_no (1-based), or None."""
    k = line_no - 2
    if k < 0 or not text_lines[k].rstrip().endswith("*/"):
        return None
    end = k
    while k >= 0 and "/*" not in text_lines[k]:
        k -= 1
    if k < 0 or not text_lines[k].lstrip().startswith("/**"):
        return None
    return "\n".join(text_lines[k:end + 1])


def check_file(path, rel):
    text = path.read_text()
    tl = text.split("\n")
    problems = []
    found = []
    for line_no, name, rtype, params, _inline in declarations(text):
        doc = doc_above(tl, line_no)
        lacks = []
        if doc is None:
            lacks.append("a /** kernel-doc */ comment right above it")
        else:
            if not re.search(r"^\s*/?\*\*?\s*" + re.escape(name) + r"\(\) - \S", doc, re.M):
                lacks.append(f"the first line '{name}() - what it does'")
            lines = doc.split("\n")
            first = next((i for i, l in enumerate(lines) if re.search(re.escape(name) + r"\(\) - ", l)), None)
            if first is not None and first + 1 < len(lines) and \
                    not re.match(r"^\s*\*\s*(@|$)", lines[first + 1]) and \
                    not lines[first + 1].strip().startswith("*/"):
                lacks.append("a one-line summary (the line after it must be an @param: or blank)")
            for p in param_names(params):
                pat = r"@\.\.\.:" if p == "..." else r"@" + re.escape(p) + r":"
                if not re.search(pat, doc):
                    lacks.append(f"@{p}:")
            if not re.search(r"^\s*\*\s*Context:\s*\S", doc, re.M):
                lacks.append("Context:")
            void = re.sub(r"\b(static|inline|extern|__attribute__\s*\(\(.*?\)\)|_Noreturn|"
                          r"noreturn|__noreturn)\b", "", rtype).strip() == "void"
            if not void and not re.search(r"^\s*\*\s*Return:\s*\S", doc, re.M):
                lacks.append("Return:")
            ctx, ret = doc.find("Context:"), doc.find("Return:")
            if ctx >= 0 and ret >= 0 and ret < ctx:
                lacks.append("Context: before Return: (kernel-doc's order)")
        found.append((rel, line_no, name, lacks))
        if lacks:
            problems.append(f"{rel}:{line_no}: {name}() lacks " + ", ".join(lacks))
    return found, problems


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    src = Path(sys.argv[1])
    listing = "--list" in sys.argv[2:]
    allfound, problems = [], []
    for d in HEADER_DIRS:
        for h in sorted((src / d).glob("*.h")):
            if str(h.relative_to(src)) in PRIVATE:
                continue
            found, probs = check_file(h, str(h.relative_to(src)))
            allfound += found
            problems += probs
    if listing:
        for rel, line_no, name, lacks in allfound:
            print(f"{rel}:{line_no}: {name}: " + ("ok" if not lacks else ", ".join(lacks)))
    if problems:
        print("\n".join(problems))
        print(f"check_contracts: {len(problems)} of {len(allfound)} exported functions of "
              f"{', '.join(HEADER_DIRS)} lack parts of their contract (form: {__file__}'s docstring)")
        return 1
    print(f"check_contracts: all {len(allfound)} exported functions of {', '.join(HEADER_DIRS)} "
          "carry a contract (what, @params, Context:, Return:)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
