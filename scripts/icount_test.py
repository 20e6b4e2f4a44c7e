#!/usr/bin/env python3
"""Tests of scripts/icount.py: the callgrind profile parser (inclusive cost
of the region functions, name compression shared by fn= and cfn=, dump
parts) and the gate's verdicts and exit codes. Run by CTest
(scripts.icount)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import icount  # noqa: E402

REGION = "void strata::harness::icount::(anonymous namespace)::Region<%dul>(void (*)(void*), void*)"

# Region<0> calls the commit (300 + 20 Ir inclusive), Region<2> a read;
# Region<2> and the read's callee are first named as a cfn, then defined as
# fn by number only, as callgrind writes it. Region<1> only ever runs while
# collection is off (no cost): it must not appear.
PROFILE = """version: 1
creator: callgrind-3.19.0
positions: line
events: Ir Dr
fl=(1) run.cc
fn=(1) %s
10 4 1
cfn=(2) strata::Connection::Transact(strata::edn::Node const&)
calls=1 20
11 300 7
cfn=(3) Helper()
calls=2 30
12 20
fn=(7) Replay()
5 1
cfn=(4) %s
calls=1 10
5 103 2
fn=(4)
10 3
cfn=(5) ReadEntity()
calls=1 40
11 100 2
fn=(5)
40 100 2
fn=(2)
20 280 5
cfn=(3)
calls=2 30
21 20
fn=(6) %s
10 0
totals: 428 10
""" % (REGION % 0, REGION % 2, REGION % 1)


class ParseTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_inclusive_cost_of_each_region(self):
        prof = self.write("cg.out", PROFILE)
        tsv = self.write("regions.tsv", "0\tcommit\n1\tindex-job\n2\tentity-by-id\n")
        out = os.path.join(self.dir, "icount.json")
        icount.regions([out, "adaptive=%s:%s" % (prof, tsv)])
        ops = json.load(open(out))["operations"]
        self.assertEqual(ops["adaptive/commit"], {"Ir": 324, "Dr": 8})
        self.assertEqual(ops["adaptive/entity-by-id"], {"Ir": 103, "Dr": 2})
        self.assertNotIn("adaptive/index-job", ops)  # no cost: not an operation of this run

    def test_dump_parts_by_client_request_label(self):
        base = self.write("cg.out", "events: Ir\ndesc: Trigger: Program termination\ntotals: 0\n")
        self.write("cg.out.1", "events: Ir\ndesc: Trigger: Client Request: transact-1\nfn=(1) f\n1 5\ntotals: 5\n")
        self.write("cg.out.2", "events: Ir\ndesc: Trigger: Client Request: point-lookup\nfn=(1) f\n1 9\ntotals: 9\n")
        out = os.path.join(self.dir, "icount.json")
        icount.regions([out, "bench=%s:" % base])
        ops = json.load(open(out))["operations"]
        self.assertEqual(ops, {"bench/point-lookup": {"Ir": 9}, "bench/transact-1": {"Ir": 5}})


class CompareTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def file(self, name, ops, compiler="gcc 12.2.0"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump({"format": 1, "context": {"compiler": compiler},
                       "operations": {k: {"Ir": v} for k, v in ops.items()}}, f)
        return path

    def gate(self, base, new, *extra):
        return subprocess.run([sys.executable, os.path.join(HERE, "icount.py"), "compare", base, new, *extra],
                              capture_output=True, text=True)

    def test_same_counts_pass(self):
        b = self.file("b.json", {"a/commit": 1000000, "a/read": 5000})
        r = self.gate(b, self.file("n.json", {"a/commit": 1004000, "a/read": 4990}), "--threshold", "1.5")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("PASS", r.stdout)

    def test_a_regression_beyond_the_threshold_fails_and_is_named(self):
        b = self.file("b.json", {"a/commit": 1000000, "a/read": 5000})
        r = self.gate(b, self.file("n.json", {"a/commit": 1000000, "a/read": 5100}), "--threshold", "1.5")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("regression: a/read Ir +2.00%", r.stderr)
        self.assertNotIn("a/commit Ir", r.stderr)
        # 2% passes a 3% threshold.
        self.assertEqual(self.gate(b, self.file("n2.json", {"a/commit": 1000000, "a/read": 5100}),
                                   "--threshold", "3").returncode, 0)

    def test_fewer_instructions_pass_with_a_note(self):
        b = self.file("b.json", {"a/commit": 1000000})
        r = self.gate(b, self.file("n.json", {"a/commit": 900000}))
        self.assertEqual(r.returncode, 0)
        self.assertIn("update the baseline", r.stdout)

    def test_an_operation_on_one_side_only_cannot_be_compared(self):
        b = self.file("b.json", {"a/commit": 1000000, "a/read": 5000})
        r = self.gate(b, self.file("n.json", {"a/commit": 1000000}))
        self.assertEqual(r.returncode, 2)
        self.assertIn("a/read is in only one", r.stderr)

    def test_a_missing_file_cannot_be_compared(self):
        b = self.file("b.json", {"a/commit": 1})
        self.assertEqual(self.gate(b, os.path.join(self.dir, "absent.json")).returncode, 2)

    def test_another_compiler_is_noted(self):
        b = self.file("b.json", {"a/commit": 1000})
        r = self.gate(b, self.file("n.json", {"a/commit": 1000}, compiler="clang 16"))
        self.assertIn("compiled by gcc 12.2.0", r.stdout)


class PlantedEndToEndTest(unittest.TestCase):
    """A tiny strata run --icount under callgrind, unplanted and with each
    planted 5% slowdown (harness/plant.h): the gate names the planted
    operation and only it. Needs valgrind and $STRATA_BIN (CTest
    scripts.icount_planted sets it); skipped otherwise."""

    def run_counts(self, name, env):
        out = os.path.join(self.dir, name)
        prof = out + ".cg"
        e = dict(os.environ, MALLOC_CONF="dirty_decay_ms:-1,muzzy_decay_ms:-1", **env)  # as perf-icount
        subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no", "--log-file=" + out + ".log",
                        "--callgrind-out-file=" + prof, os.environ["STRATA_BIN"], "run", "--icount",
                        "--workload", "uniform", "--scale", "0.01", "--seed", "1", "--strategy", "adaptive",
                        "--memory-index-threshold", "16k", "--read-ratio", "1", "--out", out],
                       check=True, env=e, capture_output=True)
        counts = out + ".json"
        icount.regions([counts, "adaptive=%s:%s" % (prof, os.path.join(out, "icount-regions.tsv"))])
        return counts

    @unittest.skipUnless(os.access(os.environ.get("STRATA_BIN", ""), os.X_OK) and subprocess.run(
        ["sh", "-c", "command -v valgrind"], capture_output=True).returncode == 0, "needs valgrind and STRATA_BIN")
    def test_the_gate_names_the_planted_operation(self):
        self.dir = tempfile.mkdtemp()
        clean = {"STRATA_PLANT_SLOW_COMMIT_PCT": "", "STRATA_PLANT_SLOW_READ_PCT": ""}
        base = self.run_counts("base", clean)
        ops = json.load(open(base))["operations"]
        self.assertIn("adaptive/commit", ops)
        self.assertIn("adaptive/index-job", ops)
        self.assertIn("adaptive/entity-by-id", ops)
        gate = [sys.executable, os.path.join(HERE, "icount.py"), "compare", base]
        again = subprocess.run(gate + [self.run_counts("again", clean)], capture_output=True, text=True)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        slow = subprocess.run(gate + [self.run_counts("commit", dict(clean, STRATA_PLANT_SLOW_COMMIT_PCT="5"))],
                              capture_output=True, text=True)
        self.assertEqual(slow.returncode, 1, slow.stdout + slow.stderr)
        self.assertIn("regression: adaptive/commit Ir +", slow.stderr)
        self.assertNotIn("entity-by-id", slow.stderr)
        read = subprocess.run(gate + [self.run_counts("read", dict(clean, STRATA_PLANT_SLOW_READ_PCT="5"))],
                              capture_output=True, text=True)
        self.assertEqual(read.returncode, 1, read.stdout + read.stderr)
        self.assertIn("regression: adaptive/entity-by-id Ir +", read.stderr)
        self.assertNotIn("adaptive/commit", read.stderr)


if __name__ == "__main__":
    unittest.main()
