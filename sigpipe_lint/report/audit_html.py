"""The audit report as one self-contained HTML page: inline CSS and SVG, no script, no fetch.

It opens from a file (file://) with no network: every link points into the page itself.
Same content as the Markdown report (report/audit.py), with the chart drawn as SVG bars:
findings per package, split by rule.
"""

from __future__ import annotations

from html import escape
from typing import Dict, List

from sigpipe_lint.report.audit import TOP, AuditSummary, _plural, anchor, by_package, chart_rows, no_fix_reasons, safety

# Colour-blind-safe (Okabe-Ito) colours, one per rule in code order.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1em 1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
h3{margin-top:1.4em}h4{margin:1.2em 0 .4em;font-family:ui-monospace,monospace;font-size:1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .6em;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
pre.diff{background:#f6f8fa;padding:.4em .6em;overflow-x:auto;margin:.3em 0 .6em}
.add{color:#116329;background:#e6ffec;display:block}.del{color:#82071e;background:#ffebe9;display:block}
.hunk{color:#6e7781;display:block}
ul.findings{list-style:none;padding-left:0}ul.findings>li{border-left:3px solid #ddd;padding:.2em .8em;margin:.6em 0}
.rule{font-weight:600;font-family:ui-monospace,monospace}.safe{color:#116329}.unsafe{color:#9a6700}.nofix{color:#57606a}
nav ul{columns:3;font-size:.9em}.muted{color:#6e7781}
svg text{font:12px system-ui,sans-serif}
"""


def _colors(s: AuditSummary) -> Dict[str, str]:
    return {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(s.per_rule)}


def chart_svg(s: AuditSummary) -> str:
    """Horizontal bars, one per package (the biggest, then the rest together), split by rule."""
    rows = chart_rows(s)
    if not rows:
        return ""
    colors = _colors(s)
    label_w, bar_w, row_h, top = 220, 560, 24, 34
    most = max(sum(per.values()) for _, per in rows)
    height = top + row_h * len(rows) + 10
    width = label_w + bar_w + 70
    out = [
        f'<svg id="chart" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        '<title id="chart-title">Findings per package, split by rule</title>',
    ]
    x = label_w
    for code, color in colors.items():  # legend
        out.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + 16}" y="16">{escape(code)} ({s.per_rule[code]:,})</text>')
        x += 110
    for i, (name, per) in enumerate(rows):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(name)}</text>')
        x = float(label_w)
        for code in colors:
            n = per.get(code, 0)
            if not n:
                continue
            w = max(1.0, bar_w * n / most)
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{colors[code]}">'
                f"<title>{escape(name)}: {n:,} {escape(code)}</title></rect>"
            )
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{sum(per.values()):,}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _diff_html(diff: str) -> str:
    out = []
    for line in diff.splitlines():
        cls = "add" if line.startswith("+") else "del" if line.startswith("-") else "hunk" if line.startswith("@@") else ""
        out.append(f'<span class="{cls}">{escape(line)}</span>' if cls else escape(line) + "\n")
    return "".join(out)


def render_audit_html(s: AuditSummary) -> str:
    pkgs = s.packages_with_findings
    h: List[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # nothing may load from elsewhere: no scripts at all, styles and images only inline
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
        "<title>sigpipe-lint audit</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>sigpipe-lint audit</h1>",
        "<p class=\"muted\">Audited: " + ", ".join(f"<code>{escape(r)}</code>" for r in s.roots) + " (paths below are relative to these)</p>",
        f'<p id="summary"><strong>{_plural(s.findings, "finding")}</strong> in {_plural(s.files_with_findings, "file")} '
        f"of {_plural(len(pkgs), 'package')}; {s.fixable:,} with a fix ({s.safe_fixable:,} safe).</p>",
        '<nav><strong>Contents:</strong> <a href="#chart-section">chart</a> · <a href="#rules">per rule</a> · '
        '<a href="#hotspots">hot spots</a> · <a href="#coverage">coverage</a> · <a href="#findings">findings</a>',
    ]
    if pkgs:
        h.append("<ul>" + "".join(f'<li><a href="#{anchor("pkg", n)}">{escape(n)}</a> ({p.findings:,})</li>' for n, p in pkgs.items()) + "</ul>")
    h.append("</nav>")
    if s.findings:
        h += ['<h2 id="chart-section">Findings per package and rule</h2>', chart_svg(s)]
    h += ['<h2 id="rules">Findings per rule</h2>', '<table><tr><th>rule</th><th class="n">findings</th></tr>']
    h += [f'<tr><td>{escape(c)}</td><td class="n">{n:,}</td></tr>' for c, n in s.per_rule.items()]
    h += ["</table>", '<h2 id="hotspots">Hot spots</h2>']
    h.append('<table><tr><th>package</th><th class="n">findings</th><th class="n">files with findings</th><th class="n">files</th><th class="n">lines</th></tr>')
    h += [
        f'<tr><td><a href="#{anchor("pkg", n)}">{escape(n)}</a></td><td class="n">{p.findings:,}</td>'
        f'<td class="n">{p.files_with_findings:,}</td><td class="n">{p.files:,}</td><td class="n">{p.lines:,}</td></tr>'
        for n, p in list(pkgs.items())[:TOP]
    ]
    h.append("</table>")
    quiet = [p for p in s.per_package.values() if not p.findings]
    if quiet:
        h.append(f'<p class="muted">{_plural(len(quiet), "package")} without findings ({_plural(sum(p.files for p in quiet), "file")}) not listed.</p>')
    h.append('<table><tr><th>file</th><th class="n">findings</th></tr>')
    h += [f'<tr><td><a href="#{anchor("file", p)}">{escape(p)}</a></td><td class="n">{n:,}</td></tr>' for p, n in s.top_files]
    h += [
        "</table>",
        '<h2 id="coverage">Coverage</h2><ul>',
        f"<li>Files: {s.files:,}; analysed {s.analysed:,}; skipped by the pre-filter {len(s.prefiltered):,} "
        "(no socket write: no rule can match; counted, not listed); not analysed "
        f"{len(s.failed):,}</li>",
        f"<li>Lines: {s.lines:,}; time: {s.elapsed:.2f} s</li></ul>",
    ]
    if s.failed:
        h.append("<table><tr><th>not analysed</th><th>why</th></tr>")
        h += [f"<tr><td>{escape(p)}</td><td>{escape(r)}</td></tr>" for p, r in s.failed]
        h.append("</table>")
    if s.problems:
        h.append("<p>Paths not found:</p><ul>" + "".join(f"<li>{escape(p)}: {escape(r)}</li>" for p, r in s.problems) + "</ul>")
    h.append('<h2 id="findings">Findings</h2>')
    if not s.entries:
        h.append("<p>None.</p>")
    for package, p, entries in by_package(s):
        h.append(f'<h3 id="{anchor("pkg", package)}">{escape(package)}: {_plural(p.findings, "finding")}</h3>')
        for e in entries:
            h.append(f'<h4 id="{anchor("file", e.shown)}">{escape(e.shown)}: {_plural(e.findings, "finding")}</h4><ul class="findings">')
            for g in e.groups:
                h.append(f'<li class="finding"><div>line {g.line}: <code>{escape(g.code)}</code></div>')
                for f in g.findings:
                    h.append(f'<div><span class="rule">{escape(f.code)}</span> {escape(f.message)}</div>')
                for edit, diff, _same_as in g.fixes:  # the page shows every diff in full
                    how = safety(edit, code=lambda flags: flags)
                    h.append(f'<div class="{edit.applicability}">{how}: {escape(edit.description)}</div><pre class="diff">{_diff_html(diff)}</pre>')
                h += [f'<div class="nofix">{escape(reason)}</div>' for reason in no_fix_reasons(g)]
                h.append("</li>")
            h.append("</ul>")
    h.append("</body></html>")
    return "\n".join(h) + "\n"
