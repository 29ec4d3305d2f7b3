"""The `sigpipe-lint` command: argument parsing and output only, no analysis."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from sigpipe_lint import __version__
from sigpipe_lint.config import ConfigError, Settings, load_settings, parse_per_file_ignores, split_codes, validate_codes
from sigpipe_lint.discover import discover
from sigpipe_lint.report import FORMATS, render
from sigpipe_lint.rules import ALL_RULES, RULES_BY_CODE

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sigpipe-lint",
        description="Find the socket writes that crash a program when the peer dies.",
    )
    p.add_argument("--version", action="version", version=f"sigpipe-lint {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check files and folders")
    _add_run_arguments(check)
    check.add_argument("--output-format", choices=FORMATS, default="text")
    check.add_argument("--fix", action="store_true", help="apply safe fixes, then report what remains")
    check.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff: apply unsafe fixes too")
    check.add_argument("--diff", action="store_true", help="print a unified diff of what the fixes would change; write nothing")
    check.add_argument("--statistics", action="store_true", help="print the number of findings per rule (and how many are fixable) instead of the findings")
    check.add_argument("--add-noqa", action="store_true", help="add a `# noqa: CODE` comment to every reported line (keeps existing noqa codes)")
    check.add_argument("--output-file", "-o", metavar="FILE", help="write the output to FILE instead of standard output")

    audit = sub.add_parser("audit", help="analyse a codebase and summarise the findings for people")
    _add_run_arguments(audit)
    audit.add_argument("--report", metavar="FILE", help="also write the full report to FILE: Markdown, one self-contained HTML page (FILE.html), or JSON (FILE.json)")

    rule = sub.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("code", nargs="?")
    rule.add_argument("--all", action="store_true", help="list every rule")

    from sigpipe_lint.prove.cli import add_prove_parser

    add_prove_parser(sub)
    return p


def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments `check` and `audit` share: what to analyse, with which rules, how."""
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    p.add_argument("--select", help="rule codes or prefixes to enable (replaces the defaults), e.g. SPL or SPL001,SPL004")
    p.add_argument("--extend-select", help="rule codes or prefixes to enable on top of the defaults")
    p.add_argument("--ignore", help="rule codes or prefixes to disable")
    p.add_argument(
        "--per-file-ignores", action="append", default=[], metavar="GLOB:CODES",
        help="disable rule codes or prefixes in the files GLOB matches (relative to the project root), "
        "e.g. 'tests/*:SPL001,SPL004'; repeatable, added to per-file-ignores in pyproject.toml",
    )
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip files and folders matching GLOB (repeatable)")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("--config", help="the pyproject.toml to read (default: the nearest one)")
    p.add_argument("--jobs", "-j", type=_positive_int, default=None, metavar="N", help="worker processes (default: one per CPU; 1: no workers)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    p.add_argument("--cache-dir", metavar="DIR", help="the cache folder (default: $SIGPIPE_LINT_CACHE_DIR, else .sigpipe_lint_cache at the project root)")
    adopt = p.add_mutually_exclusive_group()
    adopt.add_argument("--baseline", metavar="FILE", help="report (and fail on) only the findings that FILE does not hold")
    adopt.add_argument("--write-baseline", metavar="FILE", help="write every current finding to FILE as the baseline, and exit 0")


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return n


def _analyse(args, settings: Settings, stats=None):
    """Discover and analyse, the one way `check` and `audit` both do it: (results, problems)."""
    from sigpipe_lint.cache import default_cache_dir

    cache_dir = None if args.no_cache else default_cache_dir(settings.project_root, args.cache_dir)
    if (cache_dir is None or not os.path.isdir(cache_dir)) and any(os.path.isdir(p) for p in args.paths):
        from sigpipe_lint.runner import discard_prestarted, prestart

        prestart(args.jobs)  # a cold run of a folder: the workers import while we discover
        try:
            return _discover_and_run(args, settings, stats, cache_dir)
        finally:
            # The run takes them; a command stopped before it (an unreadable baseline) must
            # not leave them to the next command in this process: they were forked in this
            # one's working folder and state.
            discard_prestarted()
    return _discover_and_run(args, settings, stats, cache_dir)


def _discover_and_run(args, settings: Settings, stats, cache_dir):
    from sigpipe_lint.cache import Cache
    from sigpipe_lint.runner import run

    files, problems = discover(args.paths, settings.exclude)
    fix = None
    held = None
    if getattr(args, "fix", False) or getattr(args, "diff", False):
        fix = "unsafe" if args.unsafe_fixes else "safe"
        held = _fix_baseline(args, settings, files)
    options = _run_options(settings, fix=fix, diff=getattr(args, "diff", False), summary_cache=cache_dir, baseline=held)
    cache = None
    if cache_dir is not None:
        cache = Cache(cache_dir, options.codes, per_file_ignores=options.per_file_ignores)
    results = run(files, options, jobs=args.jobs, cache=cache, progress=True, stats=stats)
    return results, problems


def _run_options(settings: Settings, **kwargs):
    """The runner's options for these settings: the rules, everywhere and per file."""
    from sigpipe_lint.runner import RunOptions

    return RunOptions(
        codes=tuple(settings.enabled_codes()), per_file_ignores=tuple(settings.per_file_ignores),
        root=settings.project_root, **kwargs,
    )


def _fix_baseline(args, settings: Settings, files):
    """--fix/--diff with --baseline: what the baseline holds per file, so that the engine
    fixes only what is reported. Read before the run: a baseline that cannot be read stops
    it before any file is written."""
    if not getattr(args, "baseline", None):
        return None
    from sigpipe_lint.baseline import BaselineError, for_files, load_baseline

    try:
        return for_files(load_baseline(args.baseline), files, settings.project_root)
    except BaselineError as e:
        raise ConfigError(str(e)) from None


def _with_declined(args, settings: Settings, results, baseline):
    """Report-only runs with --baseline: the fixes --fix would decline say so (baseline.with_declined)."""
    from sigpipe_lint.baseline import with_declined
    from sigpipe_lint.cache import default_cache_dir

    cache_dir = None if args.no_cache else default_cache_dir(settings.project_root, args.cache_dir)
    options = _run_options(settings, summary_cache=cache_dir)
    return with_declined(results, baseline, settings.project_root, options, jobs=args.jobs)


def _with_fix_edits(args, settings: Settings, results):
    """Each fixable finding's own diff, for the audit report and SARIF (cached apart)."""
    from sigpipe_lint.cache import default_cache_dir
    from sigpipe_lint.runner import with_fix_edits

    cache_dir = None if args.no_cache else default_cache_dir(settings.project_root, args.cache_dir)
    options = _run_options(settings)
    return with_fix_edits(results, options, jobs=args.jobs, cache_dir=cache_dir)


def _status(args, results, problems) -> int:
    status = EXIT_CLEAN
    for path, reason in problems:
        print(f"sigpipe-lint: error: {path}: {reason}", file=sys.stderr)
        status = EXIT_ERROR
    for r in results:
        if r.error:
            print(f"sigpipe-lint: error: {r.path}: {r.error}", file=sys.stderr)
            status = EXIT_ERROR
    if status == EXIT_CLEAN and any(r.findings for r in results) and not args.exit_zero:
        status = EXIT_FINDINGS
    return status


def _adopt(args, settings: Settings, results, problems):
    """--write-baseline / --baseline: (results to report, exit status if the run ends here)."""
    from sigpipe_lint.baseline import BaselineError, apply_baseline, load_baseline, write_baseline

    root = settings.project_root
    if args.write_baseline:
        try:
            n = write_baseline(args.write_baseline, results, root)
        except OSError as e:
            print(f"sigpipe-lint: error: --write-baseline {args.write_baseline}: {e.strerror or e}", file=sys.stderr)
            return results, EXIT_ERROR
        print(f"Wrote {n} finding{'s' if n != 1 else ''} to the baseline {args.write_baseline}.", file=sys.stderr)
        status = _status(args, [r for r in results if r.error], problems)
        return results, status
    if args.baseline:
        try:
            baseline = load_baseline(args.baseline)
        except BaselineError as e:
            print(f"sigpipe-lint: error: {e}", file=sys.stderr)
            return results, EXIT_ERROR
        results, dropped = apply_baseline(results, baseline, root)
        if dropped:
            print(f"{dropped} finding{'s are' if dropped != 1 else ' is'} in the baseline and not shown.", file=sys.stderr)
        if not (getattr(args, "fix", False) or getattr(args, "diff", False) or getattr(args, "add_noqa", False)):
            results = _with_declined(args, settings, results, baseline)
    return results, None


def _add_noqa(args, results, problems) -> int:
    from sigpipe_lint.fixes.write import FileChanged, write_atomically
    from sigpipe_lint.noqa import NoqaFailed, add_noqa

    status = _status(args, [r for r in results if r.error], problems)
    added = 0
    for r in results:
        if r.path == "-":  # as ruff's --fix does on stdin: the new source to stdout
            new = r.source or b""
            try:
                new, edited = add_noqa(new, [(f.line, f.code) for f in r.findings])
                added += edited
            except NoqaFailed as e:
                print(f"sigpipe-lint: error: -: no noqa added: {e}", file=sys.stderr)
                status = EXIT_ERROR
            _write_stdout_bytes(new)
            continue
        if not r.findings:
            continue
        try:
            with open(r.path, "rb") as f:
                source = f.read()
            new, edited = add_noqa(source, [(f.line, f.code) for f in r.findings])
            if new != source:
                write_atomically(r.path, new, source)
            added += edited
        except (NoqaFailed, FileChanged, OSError) as e:
            print(f"sigpipe-lint: error: {r.path}: no noqa added: {e}", file=sys.stderr)
            status = EXIT_ERROR
    print(f"Added {added} noqa directive{'s' if added != 1 else ''}.", file=sys.stderr)
    return status


def _say_declined(args, results) -> None:
    """--fix/--diff with --baseline: how many reported findings kept their fix back, because
    it would make a new finding appear on a line the baseline holds (engine._fix)."""
    if not args.baseline:
        return
    from sigpipe_lint.baseline import DECLINED

    n = sum(1 for r in results for f in r.findings if f.fix is not None and any(x.startswith(DECLINED) for x in f.fix.reasons))
    if n:
        done = "were not applied" if n != 1 else "was not applied"
        if not (args.fix or args.diff):
            done = "are not applied by --fix" if n != 1 else "is not applied by --fix"
        print(
            f"{n} fix{'es' if n != 1 else ''} {done}: {'they' if n != 1 else 'it'} would make new "
            "findings appear on lines the baseline holds (--output-format json says where).",
            file=sys.stderr,
        )


def _stdin_gives_source(args) -> bool:
    """`--fix -` and `--add-noqa -`: the new source goes to stdout, as ruff's `--fix -` does
    (an editor pipes its buffer through), and the report to stderr."""
    return "-" in args.paths and (args.add_noqa or (args.fix and not args.diff))


def _write_stdout_bytes(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _write_output(args, text: str) -> int:
    if not getattr(args, "output_file", None):
        sys.stdout.write(text)
        return EXIT_CLEAN
    try:
        with open(args.output_file, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        print(f"sigpipe-lint: error: --output-file {args.output_file}: {e.strerror or e}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_CLEAN


def _audit(args) -> int:
    import time

    from sigpipe_lint.report.audit import render_audit_text, summarize

    start = time.monotonic()
    settings = _settings(args)
    results, problems = _analyse(args, settings)
    results, done = _adopt(args, settings, results, problems)
    if done is not None:
        return done
    if args.report:
        results = _with_fix_edits(args, settings, results)
    summary = summarize(results, args.paths, elapsed=time.monotonic() - start, problems=problems)
    sys.stdout.write(render_audit_text(summary))
    if args.report:
        from sigpipe_lint.report.audit import render_audit_markdown

        if args.report.lower().endswith((".html", ".htm")):
            from sigpipe_lint.report.audit_html import render_audit_html as render_report
        elif args.report.lower().endswith(".json"):
            from sigpipe_lint.report.audit import render_audit_json as render_report
        else:
            render_report = render_audit_markdown
        try:
            with open(args.report, "w", encoding="utf-8") as f:
                f.write(render_report(summary))
        except OSError as e:
            print(f"sigpipe-lint: error: --report {args.report}: {e.strerror or e}", file=sys.stderr)
            return EXIT_ERROR
    return _status(args, results, problems)


def _settings(args) -> Settings:
    settings = load_settings(args.paths, args.config)
    if args.select is not None:
        settings.select = validate_codes(split_codes(args.select), "--select")
    if args.extend_select:
        settings.extend_select += validate_codes(split_codes(args.extend_select), "--extend-select")
    if args.ignore:
        settings.ignore += validate_codes(split_codes(args.ignore), "--ignore")
    settings.per_file_ignores += parse_per_file_ignores(args.per_file_ignores, "--per-file-ignores")
    settings.exclude += args.exclude
    return settings


def _check(args) -> int:
    if args.add_noqa and (args.fix or args.diff):
        print("sigpipe-lint: error: --add-noqa cannot be combined with --fix or --diff", file=sys.stderr)
        return EXIT_ERROR
    to_stdout = _stdin_gives_source(args)
    if to_stdout and len(args.paths) > 1:
        print("sigpipe-lint: error: with --fix or --add-noqa, - (standard input) must be the only path", file=sys.stderr)
        return EXIT_ERROR
    settings = _settings(args)
    results, problems = _analyse(args, settings)
    results, done = _adopt(args, settings, results, problems)
    if done is not None:
        return done
    if args.add_noqa:
        return _add_noqa(args, results, problems)
    if args.diff:
        diffs = [r.diff for r in results if r.diff]
        sys.stdout.write("".join(diffs))
        _say_declined(args, results)
        status = _status(args, results, problems)
        return EXIT_FINDINGS if diffs and status == EXIT_CLEAN and not args.exit_zero else status
    if args.statistics:
        from sigpipe_lint.report.statistics import render_statistics

        text = render_statistics(results, "json" if args.output_format == "json" else "text")
    else:
        if args.output_format == "sarif":
            results = _with_fix_edits(args, settings, results)
        text = render(args.output_format, results, project_root=settings.project_root)
    if to_stdout:  # --fix -: the fixed source (or the input as it was) to stdout, the report to stderr
        _write_stdout_bytes(b"".join(r.fixed_source or r.source or b"" for r in results))
        if not args.output_file:
            sys.stderr.write(text)
    if (not to_stdout or args.output_file) and _write_output(args, text) != EXIT_CLEAN:
        return EXIT_ERROR
    fixed = sum(1 for r in results if r.fixed_source is not None)
    if args.fix and fixed:
        print(f"Fixed {fixed} file{'s' if fixed != 1 else ''}.", file=sys.stderr)
    _say_declined(args, results)
    # What is reported (after --baseline, from the cache too) and has an unsafe part held
    # back, also where a safe one comes with it (SPL001: MSG_NOSIGNAL, then the wrap).
    held = sum(1 for r in results for f in r.findings if f.fix is not None and f.fix.has_unsafe_part)
    if held and not args.unsafe_fixes:
        print(
            f"{held} unsafe fix{'es are' if held != 1 else ' is'} available with --fix --unsafe-fixes.",
            file=sys.stderr,
        )
    return _status(args, results, problems)


def _rule(args) -> int:
    if args.all:
        for r in ALL_RULES:
            state = "on " if r.default_enabled else "off"
            print(f"{r.code}  {state}  {r.name}: {r.summary}")
        return EXIT_CLEAN
    if not args.code:
        print("sigpipe-lint rule: give a rule code, or --all", file=sys.stderr)
        return EXIT_ERROR
    rule = RULES_BY_CODE.get(args.code.upper())
    if rule is None:
        print(f"sigpipe-lint rule: unknown rule {args.code!r}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule.page())
    return EXIT_CLEAN


def main(argv: Optional[Sequence[str]] = None) -> int:
    from sigpipe_lint.program import forget_program

    forget_program()  # one command, one reading of the program (its workers fork after this)
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(e.code or 0)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "rule":
            return _rule(args)
        if args.command == "prove":
            from sigpipe_lint.prove.cli import prove

            return prove(args)
        parser.print_help()
        return EXIT_ERROR
    except ConfigError as e:
        print(f"sigpipe-lint: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # our own output piped into `head`
        return EXIT_CLEAN
