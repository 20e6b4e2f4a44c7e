#!/usr/bin/env python3
"""Instruction counts per named region from callgrind profiles, and the
gate over them (scripts/perf-icount, docs/harness.md "Instruction counts").

  icount.py regions OUT.json NAME=CALLGRIND_OUT:REGIONS_TSV ...
      Reads each callgrind profile and sums the inclusive cost of every
      region function (strata::harness::icount::Region<N>, harness/icount.h)
      under NAME/<the slot's name from REGIONS_TSV>. With no REGIONS_TSV
      (NAME=CALLGRIND_OUT:), every dump part named by
      CALLGRIND_DUMP_STATS_AT("label") gives NAME/label its totals
      (the micro-benchmarks, bench/icount.h).
  icount.py compare BASE.json NEW.json [--threshold PCT] [--markdown FILE]
      Exit 0: every operation within the threshold; 1: one or more cost
      more instructions than the threshold allows (each named on stderr);
      2: the files cannot be compared (an operation missing on one side).
"""
import json
import re
import sys

REGION = re.compile(r"icount::\(anonymous namespace\)::Region<(\d+)[a-z]*>")


def parse(path):
    """Returns (events, inclusive cost per function name, totals per dump
    part label) of a callgrind output file."""
    events = []
    names = {}  # (kind, id) -> name, for compressed names
    self_cost = {}
    call_cost = {}
    parts = {}  # label -> totals
    fn = None
    after_calls = False
    label = None

    def add(d, key, costs):
        acc = d.setdefault(key, [0] * len(events))
        for i, c in enumerate(costs):
            acc[i] += c

    def name_of(kind, rest):
        m = re.match(r"\((\d+)\)(?: (.*))?$", rest)
        if not m:
            return rest
        key = (kind, m.group(1))
        if m.group(2) is not None:
            names[key] = m.group(2)
        return names.get(key, rest)

    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                if fn is None:
                    continue
                fields = line.split()
                costs = [int(x) for x in fields[1:]]
                costs += [0] * (len(events) - len(costs))
                if after_calls:
                    add(call_cost, fn, costs)
                    after_calls = False
                else:
                    add(self_cost, fn, costs)
                continue
            key, _, rest = line.partition("=")
            if key == "fn":
                fn = name_of("fn", rest)
                after_calls = False
            elif key == "cfn":  # callers and callees share the names' numbering
                name_of("fn", rest)
            elif key in ("cfi", "cfl"):
                name_of("fl", rest)
            elif key == "cob":
                name_of("ob", rest)
            elif key in ("fl", "fi", "fe"):
                name_of("fl", rest)
            elif key == "ob":
                name_of("ob", rest)
            elif key == "calls":
                after_calls = True
            elif line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("desc: Trigger:") or line.startswith("desc:"):
                pass
            elif line.startswith("totals:") or line.startswith("summary:"):
                if line.startswith("totals:") or label not in parts:
                    parts[label] = [int(x) for x in line.split()[1:]]
            elif line.startswith("cmd:"):
                pass
            elif line.startswith("part:"):
                label = None
            elif line.startswith("trigger:"):
                t = line.split(None, 1)[1] if " " in line else ""
                label = t[len("Client Request: "):] if t.startswith("Client Request: ") else t
    inclusive = {}
    for f in set(self_cost) | set(call_cost):
        s = self_cost.get(f, [0] * len(events))
        k = call_cost.get(f, [0] * len(events))
        inclusive[f] = [a + b for a, b in zip(s, k)]
    return events, inclusive, parts


def regions(args):
    out_path, specs = args[0], args[1:]
    result = {}
    for spec in specs:
        name, _, rest = spec.partition("=")
        prof, _, tsv = rest.partition(":")
        events, inclusive, parts = parse(prof)
        if tsv:
            slots = {}
            with open(tsv) as f:
                for line in f:
                    if line.strip():
                        i, n = line.rstrip("\n").split("\t", 1)
                        slots[int(i)] = n
            for fname, costs in inclusive.items():
                m = REGION.search(fname)
                if not m:
                    continue
                slot = int(m.group(1))
                op = name + "/" + slots.get(slot, "slot-%d" % slot)
                acc = result.setdefault(op, dict.fromkeys(events, 0))
                for e, c in zip(events, costs):
                    acc[e] += c
        else:
            for label, costs in parts.items():
                if not label:
                    continue
                result[name + "/" + label] = dict(zip(events, costs))
    for op in list(result):
        if result[op].get("Ir", 0) == 0:
            del result[op]
    with open(out_path, "w") as f:
        json.dump({"format": 1, "operations": dict(sorted(result.items()))}, f, indent=1)
        f.write("\n")
    for op, costs in sorted(result.items()):
        print("  %-44s %15s Ir" % (op, format(costs["Ir"], ",")))


def compare(args):
    threshold = 1.0
    markdown = None
    rest = []
    i = 0
    while i < len(args):
        if args[i] == "--threshold":
            threshold = float(args[i + 1])
            i += 2
        elif args[i] == "--markdown":
            markdown = args[i + 1]
            i += 2
        else:
            rest.append(args[i])
            i += 1
    base_path, new_path = rest
    try:
        base = json.load(open(base_path))["operations"]
        new = json.load(open(new_path))["operations"]
    except (OSError, ValueError, KeyError) as e:
        print("icount: cannot read %s / %s: %s" % (base_path, new_path, e), file=sys.stderr)
        return 2
    rows, regressions, improved = [], [], []
    missing = sorted(set(base) ^ set(new))
    for op in sorted(set(base) & set(new)):
        b, n = base[op]["Ir"], new[op]["Ir"]
        change = (n - b) * 100.0 / b if b else (0.0 if n == 0 else float("inf"))
        verdict = "same"
        if change > threshold:
            verdict = "REGRESSED"
            regressions.append("%s Ir %+.2f%%" % (op, change))
        elif change < -threshold:
            verdict = "improved"
            improved.append(op)
        rows.append((op, b, n, change, verdict))
    lines = ["| operation | base Ir | new Ir | change | verdict |", "| --- | ---: | ---: | ---: | --- |"]
    for op, b, n, change, verdict in rows:
        v = "**%s**" % verdict if verdict == "REGRESSED" else verdict
        lines.append("| %s | %s | %s | %+.3f%% | %s |" % (op, format(b, ","), format(n, ","), change, v))
        print("  %-44s %15s %15s %+8.3f%%  %s" % (op, format(b, ","), format(n, ","), change, verdict))
    for op in missing:
        print("icount: %s is in only one of the two files" % op, file=sys.stderr)
        lines.append("| %s | %s | %s | | missing |" % (op, "yes" if op in base else "-", "yes" if op in new else "-"))
    for r in regressions:
        print("icount: regression: %s (threshold %.2f%%)" % (r, threshold), file=sys.stderr)
    if improved:
        print("icount: fewer instructions beyond the threshold (update the baseline): %s" % ", ".join(improved))
    if markdown:
        with open(markdown, "w") as f:
            f.write("### Instruction counts (threshold %.2f%%)\n\n" % threshold + "\n".join(lines) + "\n")
    if missing:
        return 2
    if regressions:
        print("FAIL: %d regressions: %s" % (len(regressions), ", ".join(regressions)))
        return 1
    print("PASS: %d operations within %.2f%%" % (len(rows), threshold))
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("regions", "compare"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "regions":
        regions(sys.argv[2:])
        return 0
    return compare(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
