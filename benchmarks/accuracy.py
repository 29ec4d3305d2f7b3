"""Recall and precision of sigpipe-lint on the hand-labelled real-code set.

The set lives in benchmarks/realcode/: projects.json names the public projects (repository,
commit, folder analysed) and labels.jsonl the write sites, labelled by reading the code
before the tool ran on it. The trees themselves are not in this repository: materialise
them as benchmarks/realcode/README.md says, under one folder (--root), one sub-folder per
project id.

For each project this runs, as a new user would,

    sigpipe-lint check <project folder> --output-format json --exit-zero --no-cache

once with the default rules and once with --select SPL, matches the findings to the
labelled sites by (project, path, line), and prints per project and in total: TP, FN, FP,
recall and precision, then every miss, every false positive and every finding on an
unlabelled line of a labelled file (for a human to label; never counted). When the two
are the same rule set (`sigpipe-lint rule --all` shows every rule on by default, and no
pyproject.toml from the project folder up names `tool.sigpipe-lint`), the tool runs once
per project and the select-SPL column repeats the default one; the output says so.

Projects carry a "set" in projects.json: "holdout" for the projects labelled after the
engine was tuned on the others (never tuned on), none for the original set. Besides the
overall total, the totals of each set are printed (and written under "total_by_set").

Labels: crash and partial are positives; handled and not-socket are negatives; unclear
sites are matched (so a finding there is not "unlabelled") but not counted. One site
reported under two codes (SPL001 and SPL004) counts once. A label whose line text no
longer matches the tree is drift: reported as an error (exit status 2), and the project is
still scored.

    python benchmarks/accuracy.py --root /work/realcode
    python benchmarks/accuracy.py --root /work/realcode --sigpipe-lint ".venv/bin/sigpipe-lint" --json out.json
    python benchmarks/accuracy.py --root /work/realcode --set holdout
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SET_DIR = HERE / "realcode"
POSITIVE = {"crash", "partial"}
NEGATIVE = {"handled", "not-socket"}
LABELS = POSITIVE | NEGATIVE | {"unclear"}
# SPL002 reports a SIGPIPE reset, not a write: it is listed, never matched to a site.
NON_WRITE_CODES = {"SPL002"}
CONFIGS = {"default": [], "select-SPL": ["--select", "SPL"]}
# the hint line about held-back unsafe fixes is not a file that could not be analysed
HINT = re.compile(r"unsafe fix(es)? (is|are) available")


def load_projects(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    projects = data["projects"] if isinstance(data, dict) else data
    seen = set()
    for p in projects:
        for key in ("id", "repo", "commit"):
            if key not in p:
                raise SystemExit(f"{path}: project without {key!r}: {p}")
        if p["id"] in seen:
            raise SystemExit(f"{path}: duplicate project id {p['id']}")
        seen.add(p["id"])
    return projects


def load_labels(path: Path, project_ids: set[str]) -> list[dict]:
    labels = []
    seen = set()
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        site = json.loads(raw)
        where = f"{path.name}:{n}"
        for key in ("project", "path", "line", "text", "label", "reason"):
            if key not in site:
                raise SystemExit(f"{where}: missing {key!r}")
        if site["label"] not in LABELS:
            raise SystemExit(f"{where}: unknown label {site['label']!r}")
        if site["project"] not in project_ids:
            raise SystemExit(f"{where}: unknown project {site['project']!r}")
        key = (site["project"], site["path"], site["line"])
        if key in seen:
            raise SystemExit(f"{where}: site labelled twice: {key}")
        seen.add(key)
        labels.append(site)
    return labels


def check_drift(root: Path, labels: list[dict]) -> list[str]:
    errors = []
    cache: dict[Path, list[str] | None] = {}
    for site in labels:
        f = root / site["project"] / site["path"]
        if f not in cache:
            try:
                cache[f] = f.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                cache[f] = None
        lines = cache[f]
        if lines is None:
            errors.append(f"{site['project']}/{site['path']}: file missing")
            continue
        if site["line"] > len(lines):
            errors.append(f"{site['project']}/{site['path']}:{site['line']}: past end of file")
            continue
        got = lines[site["line"] - 1].strip()
        if got != site["text"]:
            errors.append(
                f"{site['project']}/{site['path']}:{site['line']}: drift: "
                f"labelled {site['text']!r}, tree has {got!r}"
            )
    return sorted(set(errors))


def run_tool(cmd: list[str], folder: Path, extra: list[str], env: dict) -> tuple[list[dict], str, float]:
    argv = cmd + ["check", str(folder), "--output-format", "json", "--exit-zero", "--no-cache", *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=1800)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{shlex.join(argv)} exited {proc.returncode}:\n{proc.stderr}")
    try:
        findings = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise SystemExit(f"{shlex.join(argv)}: output is not JSON ({exc}):\n{proc.stdout[:2000]}")
    return findings, proc.stderr, elapsed


def every_rule_on_by_default(cmd: list[str]) -> bool:
    """Whether `sigpipe-lint rule --all` shows every rule on by default (False if unreadable)."""
    proc = subprocess.run(cmd + ["rule", "--all"], capture_output=True, text=True)
    states = [m[1] for m in re.finditer(r"^SPL\d+\s+(on|off)\b", proc.stdout, re.M)]
    return proc.returncode == 0 and bool(states) and all(s == "on" for s in states)


def configures_rules(folder: Path) -> bool:
    """Whether a pyproject.toml from `folder` up has a `tool.sigpipe-lint` table, which can
    make the default rules differ from --select SPL (any one counts: better run twice)."""
    for d in [folder.resolve(), *folder.resolve().parents]:
        f = d / "pyproject.toml"
        try:
            if "tool.sigpipe-lint" in f.read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            continue
    return False


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def score(project: dict, tree: Path, sites: list[dict], findings: list[dict]) -> dict:
    """Match one run's findings to the project's labelled sites."""
    by_line: dict[tuple[str, int], set[str]] = defaultdict(set)
    policy = []
    for f in findings:
        p = Path(f["path"])
        if not p.is_absolute():
            p = Path.cwd() / p
        try:
            rel = p.resolve().relative_to(tree.resolve()).as_posix()
        except ValueError:
            rel = f["path"]
        if f["code"] in NON_WRITE_CODES:
            policy.append({"path": rel, "line": f["line"], "code": f["code"]})
            continue
        by_line[(rel, f["line"])].add(f["code"])

    labelled_files = {s["path"] for s in sites}
    claimed: set[tuple[str, int]] = set()
    result = {"TP": [], "FN": [], "FP": [], "TN": [], "unclear": []}
    for s in sites:
        lines = [s["line"], *s.get("alt_lines", [])]
        codes = set()
        for ln in lines:
            codes |= by_line.get((s["path"], ln), set())
            claimed.add((s["path"], ln))
        entry = {
            "project": s["project"], "path": s["path"], "line": s["line"], "text": s["text"],
            "label": s["label"], "owner": s.get("owner"), "reason": s["reason"],
            "codes": sorted(codes),
        }
        if s["label"] in POSITIVE:
            result["TP" if codes else "FN"].append(entry)
        elif s["label"] in NEGATIVE:
            result["FP" if codes else "TN"].append(entry)
        else:
            result["unclear"].append(entry)
    unlabelled = []
    outside = Counter()
    for (path, line), codes in sorted(by_line.items()):
        if (path, line) in claimed:
            continue
        if path in labelled_files:
            unlabelled.append({"project": project["id"], "path": path, "line": line, "codes": sorted(codes)})
        else:
            outside[path] += 1
    result["unlabelled"] = unlabelled
    result["outside_files"] = dict(outside)
    result["policy"] = policy
    return result


def summarise(parts: list[dict]) -> dict:
    tp = sum(len(p["TP"]) for p in parts)
    fn = sum(len(p["FN"]) for p in parts)
    fp = sum(len(p["FP"]) for p in parts)
    tn = sum(len(p["TN"]) for p in parts)
    return {
        "TP": tp, "FN": fn, "FP": fp, "TN": tn,
        "recall": ratio(tp, tp + fn), "precision": ratio(tp, tp + fp),
        "unlabelled": sum(len(p["unlabelled"]) for p in parts),
        "outside": sum(sum(p["outside_files"].values()) for p in parts),
    }


def owner_recall(parts: list[dict]) -> dict:
    """Recall by who owns the connection (handler, thread, main, task, api)."""
    by_owner: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in parts:
        for e in p["TP"]:
            by_owner[e["owner"] or "?"][0] += 1
        for e in p["FN"]:
            by_owner[e["owner"] or "?"][1] += 1
    return {k: {"TP": v[0], "FN": v[1], "recall": ratio(v[0], v[0] + v[1])} for k, v in sorted(by_owner.items())}


def set_of(project: dict) -> str:
    """The set a project belongs to: "original" unless projects.json says otherwise."""
    return project.get("set", "original")


def fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


def as_clones(root: Path, dest: Path, projects: list[dict]) -> Path:
    """A root under `dest` where each project's tree is the one under `root` (a link), or,
    for a tree with no project marker (extracted by `git archive`, or from a snapshot), a
    copy of it with an empty `.git` folder: the tree a `git clone` gives. The labels'
    line texts are checked against these trees as against the originals."""
    for p in projects:
        src, dst = root / p["id"], dest / p["id"]
        if not src.is_dir():
            continue
        if any((src / m).exists() for m in MARKERS):
            dst.symlink_to(src)
        else:
            shutil.copytree(src, dst, symlinks=True)
            (dst / ".git").mkdir()
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, type=Path, help="folder holding one tree per project id")
    ap.add_argument("--sigpipe-lint", default="sigpipe-lint", help="command that runs the tool (default: sigpipe-lint)")
    ap.add_argument("--projects", type=Path, default=SET_DIR / "projects.json")
    ap.add_argument("--labels", type=Path, default=SET_DIR / "labels.jsonl")
    ap.add_argument("--only", action="append", default=[], help="score only this project id (repeatable)")
    ap.add_argument("--set", dest="sets", action="append", default=[],
                    help="score only the projects of this set: original, holdout (repeatable)")
    ap.add_argument("--json", type=Path, help="also write the full result as JSON to this file ('-' for stdout only)")
    ap.add_argument("--as-clones", action="store_true",
                    help="analyse each tree that has no project marker (pyproject.toml, setup.cfg, setup.py, "
                         ".git) from a temporary copy holding an empty .git folder, as a clone of it would: "
                         "the program view scans for callers only inside a project")
    args = ap.parse_args(argv)

    projects = load_projects(args.projects)
    labels = load_labels(args.labels, {p["id"] for p in projects})
    if args.only:
        unknown = set(args.only) - {p["id"] for p in projects}
        if unknown:
            ap.error(f"unknown project ids: {sorted(unknown)}")
        projects = [p for p in projects if p["id"] in args.only]
    if args.sets:
        unknown = set(args.sets) - {set_of(p) for p in projects}
        if unknown:
            ap.error(f"no project in sets: {sorted(unknown)}")
        projects = [p for p in projects if set_of(p) in args.sets]
    cmd = shlex.split(args.sigpipe_lint)
    root = args.root.resolve()
    if args.as_clones:
        import atexit
        import tempfile

        clones = Path(tempfile.mkdtemp(prefix="spl-clones-"))
        atexit.register(shutil.rmtree, clones, True)
        root = as_clones(root, clones, projects)

    errors = check_drift(root, [s for s in labels if any(s["project"] == p["id"] for p in projects)])
    sites_by_project = defaultdict(list)
    for s in labels:
        sites_by_project[s["project"]].append(s)

    version = subprocess.run(cmd + ["--version"], capture_output=True, text=True).stdout.strip()
    all_on = every_rule_on_by_default(cmd)
    out: dict = {"tool": version, "command": args.sigpipe_lint, "projects": {}, "total": {},
                 "total_by_set": {}, "errors": errors, "ran_once": []}
    per_config: dict[str, list[dict]] = {c: [] for c in CONFIGS}
    per_set: dict[str, dict[str, list[dict]]] = defaultdict(lambda: {c: [] for c in CONFIGS})
    quiet = args.json is not None and str(args.json) == "-"
    for project in projects:
        tree = root / project["id"]
        folder = tree / project.get("analyse", ".")
        if not folder.is_dir():
            errors.append(f"{project['id']}: tree missing at {folder}")
            continue
        env = dict(os.environ)
        extra_path = [str(root / d) for d in project.get("pythonpath_from", [])]
        if extra_path:
            env["PYTHONPATH"] = os.pathsep.join(extra_path + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        out["projects"][project["id"]] = {}
        once = all_on and not configures_rules(folder)  # default rules == --select SPL here
        if once:
            out["ran_once"].append(project["id"])
        res = None
        for name, extra in CONFIGS.items():
            if res is None or not once:
                findings, stderr, elapsed = run_tool(cmd, folder, extra, env)
                res = score(project, tree, sites_by_project[project["id"]], findings)
                res["not_analysed"] = [ln for ln in stderr.splitlines() if ln.strip() and not HINT.search(ln)]
                res["seconds"] = round(elapsed, 2)
                res["summary"] = summarise([res])
            per_config[name].append(res)
            per_set[set_of(project)][name].append(res)
            out["projects"][project["id"]][name] = res
    for name, parts in per_config.items():
        out["total"][name] = summarise(parts)
        out["total"][name]["recall_by_owner"] = owner_recall(parts)
    for set_name in sorted(per_set):
        out["total_by_set"][set_name] = {}
        for name, parts in per_set[set_name].items():
            out["total_by_set"][set_name][name] = summarise(parts)
            out["total_by_set"][set_name][name]["recall_by_owner"] = owner_recall(parts)

    if args.json is not None and str(args.json) != "-":
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    if quiet:
        print(json.dumps(out, indent=1))
        return 2 if errors else 0

    print(f"tool: {version}   command: {args.sigpipe_lint}")
    scored = [p["id"] for p in projects if p["id"] in out["projects"]]
    if scored and len(out["ran_once"]) == len(scored):
        print("default rules = --select SPL (every rule is on by default): ran once per project; "
              "the select-SPL column repeats the default one")
    elif out["ran_once"]:
        print(f"default rules = --select SPL for {len(out['ran_once'])} of {len(scored)} projects "
              f"(ran once there, the select-SPL column repeating the default one): {', '.join(out['ran_once'])}")
    print(f"labelled sites: {sum(len(sites_by_project[p['id']]) for p in projects)} in {len(projects)} projects")
    for set_name in sorted({set_of(p) for p in projects}):
        members = [p for p in projects if set_of(p) == set_name]
        print(f"  set {set_name}: {sum(len(sites_by_project[p['id']]) for p in members)} sites in {len(members)} projects")
    head = f"{'project':44} " + " ".join(f"{c:>27}" for c in CONFIGS)
    print("\n" + head)
    print(f"{'':44} " + " ".join(f"{'TP  FN  FP  recall  prec':>27}" for _ in CONFIGS))
    for project in projects:
        if project["id"] not in out["projects"]:
            continue
        cells = []
        for c in CONFIGS:
            s = out["projects"][project["id"]][c]["summary"]
            cells.append(f"{s['TP']:>3} {s['FN']:>3} {s['FP']:>3}  {fmt(s['recall']):>6} {fmt(s['precision']):>5}")
        print(f"{project['id']:44} " + " ".join(f"{x:>27}" for x in cells))
    cells = []
    for c in CONFIGS:
        s = out["total"][c]
        cells.append(f"{s['TP']:>3} {s['FN']:>3} {s['FP']:>3}  {fmt(s['recall']):>6} {fmt(s['precision']):>5}")
    print(f"{'TOTAL':44} " + " ".join(f"{x:>27}" for x in cells))
    for set_name, totals in out["total_by_set"].items():
        cells = []
        for c in CONFIGS:
            s = totals[c]
            cells.append(f"{s['TP']:>3} {s['FN']:>3} {s['FP']:>3}  {fmt(s['recall']):>6} {fmt(s['precision']):>5}")
        print(f"{'TOTAL set ' + set_name:44} " + " ".join(f"{x:>27}" for x in cells))
    summaries = [("", out["total"])]
    if len(out["total_by_set"]) > 1:
        summaries += [(f"set {k}, ", v) for k, v in out["total_by_set"].items()]
    for label, totals in summaries:
        for c in CONFIGS:
            s = totals[c]
            owners = ", ".join(f"{k} {v['TP']}/{v['TP'] + v['FN']}" for k, v in s["recall_by_owner"].items())
            print(f"{label}{c}: recall {fmt(s['recall'])}, precision {fmt(s['precision'])}; found by owner: {owners}; "
                  f"{s['unlabelled']} findings on unlabelled lines of labelled files, {s['outside']} in unlabelled files")

    for c in CONFIGS:
        print(f"\n== {c}: misses (positives not reported)")
        for p in per_config[c]:
            for e in p["FN"]:
                print(f"  {e['project']}/{e['path']}:{e['line']} [{e['label']}, {e['owner']}] {e['text']}  -- {e['reason']}")
        print(f"== {c}: false positives (negatives reported)")
        for p in per_config[c]:
            for e in p["FP"]:
                print(f"  {e['project']}/{e['path']}:{e['line']} [{e['label']}] {','.join(e['codes'])} {e['text']}  -- {e['reason']}")
        print(f"== {c}: findings on unlabelled lines of labelled files (label them)")
        for p in per_config[c]:
            for e in p["unlabelled"]:
                print(f"  {e['project']}/{e['path']}:{e['line']} {','.join(e['codes'])}")
        na = [(pid, ln) for pid, r in out["projects"].items() for ln in r[c]["not_analysed"]]
        if na:
            print(f"== {c}: stderr of the tool (files not analysed)")
            for pid, ln in na:
                print(f"  {pid}: {ln}")
    if errors:
        print("\nERRORS:")
        for e in errors:
            print(f"  {e}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
