#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Host-side tests of scripts/bench-report.py: the figures it picks out of
# the benchmark's console logs and how it judges a target from them, on
# logs written here with known figures. No VM, standard library only.
#
#	python3 tools/dma-heap-bench/tests/report-test.py
#
# Prints one "PASS: <name>" or "FAIL: <name>: <why>" line per test and
# exits non-zero if any failed.

import importlib.util
import os
import sys
import tempfile
import unittest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..",
                                   ".."))
spec = importlib.util.spec_from_file_location(
    "bench_report", os.path.join(TOP, "scripts", "bench-report.py"))
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)

FREE = "free_us_p50.system.4K"
FLOOR = report.FLOOR_KEY
OPS = report.ops_key("4K", "1t")


class Logs:
    """Console logs of boots, each a dict of BENCH figures."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        self.count = 0

    def run(self, label, boots):
        paths = []
        for figs in boots:
            self.count += 1
            path = os.path.join(self.dir.name, "%d.log" % self.count)
            with open(path, "w") as f:
                for key, val in figs.items():
                    f.write("BENCH %s %s\n" % (key, val))
                f.write("DTHEAPS-RESULT bench 0\n")
            paths.append(path)
        return report.Run(label, paths)


def free_target(targets):
    return next(t for t in targets if t.name == "free_slowdown.4K")


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.logs = Logs()

    def tearDown(self):
        self.logs.dir.cleanup()

    def test_best_round_is_lowest_latency_and_highest_rate(self):
        run = self.logs.run("stock", [{FREE: 5.0, OPS: 900},
                                      {FREE: 4.0, OPS: 1000}])
        self.assertEqual(run.get(FREE), 4.0)
        self.assertEqual(run.get(OPS), 1000)
        self.assertEqual(run.errors, [])

    def test_unfinished_log_is_an_error(self):
        path = os.path.join(self.logs.dir.name, "cut.log")
        with open(path, "w") as f:
            f.write("BENCH %s 5.0\n" % FREE)
        run = report.Run("stock", [path])
        self.assertEqual(len(run.errors), 1)
        self.assertIn("did not finish", run.errors[0])

    def test_free_is_judged_over_the_floor_of_its_own_boot(self):
        # The project's boot is 10% slower at the dma-buf core's own
        # close: its free over that floor is the same as stock's.
        stock = self.logs.run("stock", [{FREE: 5.0, FLOOR: 5.0}])
        proj = self.logs.run("project", [{FREE: 5.5, FLOOR: 5.5}])
        t = free_target(report.check_targets(stock, proj))
        self.assertAlmostEqual(t.value, 1.0)
        self.assertAlmostEqual(t.raw, 1.1)
        self.assertTrue(t.ok)

    def test_one_boot_each_has_no_pairs(self):
        stock = self.logs.run("stock", [{FREE: 5.0, FLOOR: 5.0}])
        proj = self.logs.run("project", [{FREE: 5.5, FLOOR: 5.0}])
        t = free_target(report.check_targets(stock, proj))
        self.assertIsNone(t.pairs)
        self.assertFalse(t.ok)
        self.assertNotIn("boot pairs", t.line())

    def test_boot_pairs_span_every_pairing(self):
        # Over the floor: stock boots 0.98 and 1.02, project 1.01 and
        # 1.04. Best rounds 1.01 / 0.98 miss 1.0, but pairing the
        # project's best boot with stock's slower one meets it.
        stock = self.logs.run("stock", [{FREE: 4.9, FLOOR: 5.0},
                                        {FREE: 5.1, FLOOR: 5.0}])
        proj = self.logs.run("project", [{FREE: 5.05, FLOOR: 5.0},
                                         {FREE: 5.2, FLOOR: 5.0}])
        t = free_target(report.check_targets(stock, proj))
        self.assertAlmostEqual(t.value, 1.01 / 0.98)
        self.assertFalse(t.ok)
        self.assertAlmostEqual(t.pairs[0], 1.01 / 1.02)
        self.assertAlmostEqual(t.pairs[1], 1.04 / 0.98)
        self.assertTrue(t.undecided())
        self.assertIn("the bound is inside them", t.line())
        self.assertIn("MISS", t.line())

    def test_bound_outside_every_pair_is_decided(self):
        stock = self.logs.run("stock", [{OPS: 1000}, {OPS: 1010}])
        proj = self.logs.run("project", [{OPS: 1200}, {OPS: 1250}])
        t = next(t for t in report.check_targets(stock, proj)
                 if t.name == "small_cycles_vs_stock.4K.1t")
        self.assertAlmostEqual(t.value, 1250 / 1010)
        self.assertEqual(t.pairs, (1200 / 1010, 1250 / 1000))
        self.assertTrue(t.ok)
        self.assertFalse(t.undecided())
        self.assertNotIn("inside", t.line())

    def test_pairs_that_all_meet_the_bound_at_its_edge_decide(self):
        # Every pairing meets ">= 1.0", the worst exactly: decided.
        stock = self.logs.run("stock", [{OPS: 1000}, {OPS: 900}])
        proj = self.logs.run("project", [{OPS: 1000}])
        t = next(t for t in report.check_targets(stock, proj)
                 if t.name == "small_cycles_vs_stock.4K.1t")
        self.assertEqual(t.pairs[0], 1.0)
        self.assertTrue(t.ok)
        self.assertFalse(t.undecided())
        # And "<= 1.0" met by every pairing, the worst exactly.
        stock = self.logs.run("stock", [{FREE: 5.0, FLOOR: 5.0},
                                        {FREE: 5.5, FLOOR: 5.0}])
        proj = self.logs.run("project", [{FREE: 5.0, FLOOR: 5.0}])
        t = free_target(report.check_targets(stock, proj))
        self.assertAlmostEqual(t.pairs[1], 1.0)
        self.assertFalse(t.undecided())

    def test_pairs_skip_boots_that_lack_the_figure(self):
        stock = self.logs.run("stock", [{OPS: 1000}, {}, {OPS: 800}])
        proj = self.logs.run("project", [{OPS: 900}])
        t = next(t for t in report.check_targets(stock, proj)
                 if t.name == "small_cycles_vs_stock.4K.1t")
        self.assertEqual(t.pairs, (0.9, 900 / 800))

    def test_unmeasured_target_misses(self):
        stock = self.logs.run("stock", [{}])
        proj = self.logs.run("project", [{}])
        t = free_target(report.check_targets(stock, proj))
        self.assertIsNone(t.value)
        self.assertFalse(t.ok)
        self.assertIn("not measured", t.line())
        self.assertTrue(any("floor" in p for p in report.problems(proj)))


class Lines(unittest.TextTestResult):
    """One PASS or FAIL line per test, as the project's other suites."""

    def addSuccess(self, test):
        super().addSuccess(test)
        print("PASS: report/%s" % test._testMethodName)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        print("FAIL: report/%s: %s" % (test._testMethodName,
                                        str(err[1]).splitlines()[0]))

    def addError(self, test, err):
        super().addError(test, err)
        print("FAIL: report/%s: %s: %s" % (test._testMethodName,
                                            err[0].__name__, err[1]))


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(ReportTest)
    runner = unittest.TextTestRunner(stream=open(os.devnull, "w"),
                                     resultclass=Lines)
    sys.exit(0 if runner.run(suite).wasSuccessful() else 1)
