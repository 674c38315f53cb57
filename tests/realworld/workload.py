# SPDX-License-Identifier: MIT
"""tests/realworld/workload.py - a Python workload for the malloc shim (run with
PYTHONMALLOC=malloc so that every object goes through malloc): large dicts, lists and
strings built and sorted, a JSON round trip of a few MB, the re module, many small
objects and their cycles. Deterministic: prints digests and counts only.
"""
import gc
import hashlib
import json
import random
import re
import sys


def digest(obj):
    return hashlib.sha256(repr(obj).encode()).hexdigest()[:16]


def main():
    rng = random.Random(20261125)
    out = []

    # large dict of strings -> lists, sorted several ways
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 12)))
             for _ in range(60000)]
    table = {}
    for i, w in enumerate(words):
        table.setdefault(w, []).append(i * 7 % 1000)
    keys = sorted(table)
    by_len = sorted(table.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    out.append(("dict", len(table), keys[:3], keys[-3:], by_len[0][0], digest(by_len[:50])))

    # strings: joins, splits, replaces, formatting
    text = " ".join(words)
    parts = text.split("a")
    upper = text.upper().replace("E", "3").replace("O", "0")
    lines = ["%06d:%s:%x" % (i, w, len(w) * 31 + i) for i, w in enumerate(words)]
    out.append(("strings", len(text), len(parts), digest(upper[:5000]), digest(sorted(lines)[:100])))

    # JSON round trip of a few MB
    records = [{"id": i, "name": words[i], "tags": [words[(i * 13) % len(words)], str(i % 97)],
                "score": (i * 37 % 1001) / 7.0, "nested": {"a": i % 3, "b": [i, i + 1, None]}}
               for i in range(40000)]
    blob = json.dumps(records, sort_keys=True)
    back = json.loads(blob)
    assert back == records
    blob2 = json.dumps(back, indent=1, sort_keys=True)
    out.append(("json", len(blob), len(blob2), hashlib.sha256(blob.encode()).hexdigest()[:16]))

    # re module
    pat = re.compile(r"\b([a-z])([a-z]*)\1\b")
    matches = pat.findall(text)
    subst = re.sub(r"([aeiou]{2,})", lambda m: "<%d>" % len(m.group(1)), text[:400000])
    splits = re.split(r"[xyz]+", text[:200000])
    out.append(("re", len(matches), digest(matches[:100]), len(subst), digest(subst[-2000:]),
                len(splits)))

    # many small objects: tuples, small lists, instances, with cycles for the collector
    class Node:
        __slots__ = ("value", "children", "parent")

        def __init__(self, value, parent=None):
            self.value = value
            self.children = []
            self.parent = parent

    roots = []
    for r in range(200):
        root = Node(r)
        stack = [root]
        for k in range(300):
            n = Node(k, stack[-1])
            stack[-1].children.append(n)
            if k % 3 == 0:
                stack.append(n)
            if len(stack) > 8:
                stack = stack[:2]
        roots.append(root)
    total = 0
    for root in roots:
        todo = [root]
        while todo:
            n = todo.pop()
            total += n.value
            todo.extend(n.children)
    del roots
    collected = gc.collect()
    pairs = sorted(((i * 7919) % 10007, str(i)) for i in range(150000))
    sets = [frozenset(range(i % 17)) for i in range(50000)]
    out.append(("objects", total, collected >= 0, pairs[:3], pairs[-3:], len(set(sets))))

    # list growth and shrinking (realloc patterns)
    acc = []
    for i in range(300000):
        acc.append(i)
        if i % 1000 == 999:
            del acc[: len(acc) // 2]
    bytes_acc = bytearray()
    for i in range(20000):
        bytes_acc += bytes([i % 256]) * (i % 50)
    out.append(("growth", len(acc), sum(acc), len(bytes_acc), hashlib.md5(bytes_acc).hexdigest()))

    for item in out:
        print(*item)
    print("python workload done", sys.version_info[:2] >= (3, 0))


if __name__ == "__main__":
    main()
