"""axe-core in the browser tests: run the audit, fail on serious or critical violations of ours.

axe-core comes from npm with the static edition's front-end packages
(``site/package.json``; ``make site`` or ``make site/node_modules/.stamp``
installs them), and is injected into the page from disk: nothing is fetched.
Without it the audits skip and say how to install it. The rules are WCAG 2.0
and 2.1 A and AA and axe's best practices. A violation whose rule and element
match an entry of ``tests/axe_known_upstream.json`` (JupyterLab's or Voila's
own markup, each with its upstream issue) is reported but does not fail, unless
the element is part of our content (the explorer's ``kaiming-`` classes or the
static edition's ``kl-`` ones): an upstream entry never hides ours.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

KNOWN = Path(__file__).with_name("axe_known_upstream.json")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING = ("serious", "critical")
OURS = re.compile(r"kaiming-|kl-")


AXE = Path(__file__).resolve().parent.parent / "site" / "node_modules" / "axe-core" / "axe.min.js"


def axe_source() -> str:
    if not AXE.exists():
        import pytest

        pytest.skip("the axe-core audit needs site/node_modules: `make site/node_modules/.stamp`")
    return AXE.read_text(encoding="utf-8")


def run(page) -> list[dict]:
    """Every violation node: rule id, impact, CSS target and the element's HTML."""
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async (tags) => {
          const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
          return r.violations.flatMap(v => v.nodes.map(n => ({
            rule: v.id, impact: v.impact, target: n.target.join(' '),
            html: n.html.slice(0, 300)})));
        }""",
        TAGS,
    )


def known_upstream(context: str) -> list[dict]:
    entries = json.loads(KNOWN.read_text(encoding="utf-8"))["violations"]
    return [e for e in entries if e["context"] == context]


def split(violations: list[dict], context: str) -> tuple[list[dict], list[dict]]:
    """``(ours, upstream)``: upstream are those an entry of the known-upstream file matches."""
    entries = known_upstream(context)
    ours, upstream = [], []
    for v in violations:
        mine = bool(OURS.search(v["target"]) or OURS.search(v["html"]))
        match = any(
            e["rule"] == v["rule"] and re.search(e["element"], v["target"] + " " + v["html"])
            for e in entries
        )
        (upstream if match and not mine else ours).append(v)
    return ours, upstream


def by_impact(violations: list[dict]) -> dict[str, int]:
    return dict(Counter(v["impact"] for v in violations))


def assert_no_serious_violations(page, *, context: str) -> dict[str, int]:
    """Fail on a serious or critical violation that is not a known upstream one."""
    ours, _upstream = split(run(page), context.split("/")[0])
    serious = [v for v in ours if v["impact"] in FAILING]
    assert not serious, f"{context}: " + json.dumps(serious, indent=1)
    return by_impact(ours)
