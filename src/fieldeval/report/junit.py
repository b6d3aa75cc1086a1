"""The gate as JUnit XML, the format CI systems show as test results."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fieldeval.results.gate import Finding, GateResult

# finding kind -> the test case it belongs to; every candidate gets all three
CASES = {"regression": "regression", "threshold": "thresholds", "new_critical": "critical checks"}


def gate_junit(result: GateResult) -> str:
    """One `<testsuite name="fieldeval gate">`, one `<testcase>` per candidate and case.

    ElementTree escapes every attribute and text, so outputs quoted in details stay inert.
    """
    comparison = result.comparison
    candidates = [c.candidate_id for c in comparison.candidates]
    candidates += [f.candidate_id for f in result.findings if f.candidate_id not in candidates]
    suite = ET.Element(
        "testsuite",
        name="fieldeval gate",
        tests=str(len(candidates) * len(CASES)),
        failures="0",
        errors="0",
    )
    ET.SubElement(
        ET.SubElement(suite, "properties"),
        "property",
        name="runs",
        value=f"{comparison.before.id} -> {comparison.after.id}",
    )
    failures = 0
    for candidate in dict.fromkeys(candidates):
        for kind, case_name in CASES.items():
            findings = [f for f in result.findings if (f.candidate_id, f.kind) == (candidate, kind)]
            failures += _case(suite, candidate, case_name, findings)
    suite.set("failures", str(failures))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _case(suite: ET.Element, candidate: str, name: str, findings: list[Finding]) -> bool:
    """Adds one test case; True when it failed."""
    case = ET.SubElement(suite, "testcase", classname=f"fieldeval.{candidate}", name=name)
    failing = [f for f in findings if f.failing]
    if failing:
        failure = ET.SubElement(case, "failure", message=failing[0].detail, type=failing[0].kind)
        failure.text = "\n".join(f"{f.subject}: {f.detail}" for f in failing)
    passing = [f for f in findings if not f.failing]
    if passing:
        ET.SubElement(case, "system-out").text = "\n".join(
            f"{f.subject}: {f.detail}" for f in passing
        )
    return bool(failing)
