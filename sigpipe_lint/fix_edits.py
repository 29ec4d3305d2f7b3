"""Each finding's own share of the fix, as a diff and as line replacements.

For the audit report and SARIF `fixes`. No second fixer: the plans the rules attached are
applied by `sigpipe_lint.fixes.apply_fixes`, exactly as `--fix`/`--diff` apply them, once
with the safe plans and once with all of them (libcst transforms the whole module: one
application per finding measured 2.9 s on test_ssl.py, one for all of its 49 findings
3.3 s). The changed blocks of the result are then handed to the findings whose planned
nodes they touch; blocks that touch none (the imports a fix adds) go to the findings whose
plans asked for imports. Findings reported on the same statement share its blocks.
"""

from __future__ import annotations

import difflib
from typing import Dict, List, Sequence, Tuple

from sigpipe_lint.findings import Finding, FixEdit, FixInfo
from sigpipe_lint.fixes import SAFE, UNSAFE, FixFailed, apply_fixes
from sigpipe_lint.fixes.write import unified_diff
from sigpipe_lint.positions import module_text, positions

Block = Tuple[int, int, List[bytes]]  # old lines [i1, i2) (0-based), new lines


def _blocks(old: List[bytes], new: List[bytes]) -> List[Block]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(i1, i2, new[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _touches(block: Block, span: Tuple[int, int]) -> bool:
    i1, i2, _ = block
    first, last = span  # 1-based, inclusive
    if i1 == i2:  # an insertion before 1-based line i1 + 1
        return first <= i1 + 1 <= last + 1
    return i1 + 1 <= last and i2 >= first


def _own_text(old: List[bytes], blocks: Sequence[Block]) -> bytes:
    out: List[bytes] = []
    at = 0
    for i1, i2, new in sorted(blocks, key=lambda b: (b[0], b[1])):
        out.extend(old[at:i1])
        out.extend(new)
        at = i2
    out.extend(old[at:])
    return b"".join(out)


def _batches(units: Dict[int, List[Tuple[int, int]]], target_ids: Dict[int, frozenset]) -> List[List[int]]:
    """Findings split so that no two in a batch change touching lines (their blocks would
    merge into one); findings changing the same nodes share a batch (and their blocks)."""
    batches: List[List[int]] = []
    for i in sorted(units, key=lambda i: min(units[i], default=(0, 0))):
        for batch in batches:
            if all(
                target_ids[j] == target_ids[i]
                or not any(a[0] <= b[1] + 1 and b[0] <= a[1] + 1 for a in units[i] for b in units[j])
                for j in batch
            ):
                batch.append(i)
                break
        else:
            batches.append([i])
    return batches


def attach_edits(module, source: bytes, path: str, pairs: Sequence[Tuple[Finding, Sequence]]) -> List[Finding]:
    """The findings of `pairs` ((finding, its fix plans)), each fix carrying its edits."""
    with_fix = {i: list(plans) for i, (f, plans) in enumerate(pairs) if plans and f.fix is not None}
    out = [f for f, _ in pairs]
    if not with_fix:
        return out
    # A wrap covers its target statement through `data["last"]` (the owner's range).
    pos = positions(
        module,
        [n for plans in with_fix.values() for p in plans for part in p.parts() for n in (part.target, part.data.get("last")) if n is not None],
        module_text(module, source),
    )
    old = source.splitlines(keepends=True)
    edits: Dict[int, List[FixEdit]] = {}
    for level in (SAFE, UNSAFE):
        # safe: what --fix applies; unsafe: what --fix --unsafe-fixes applies (all plans).
        # Only findings with an unsafe part get an unsafe edit (else it equals the safe one).
        chosen = {
            i: [p for p in plans if p.applicability in (SAFE, UNSAFE) and (level == UNSAFE or p.applicability == SAFE)]
            for i, plans in with_fix.items()
            if (level == SAFE and any(p.applicability == SAFE for p in plans))
            or (level == UNSAFE and any(p.applicability == UNSAFE for p in plans))
        }
        parts = {i: [part for p in plans for part in p.parts()] for i, plans in chosen.items()}
        spans = {i: [(pos[id(t.target)][0], pos[id(t.data.get("last", t.target))][2]) for t in ps if id(t.target) in pos] for i, ps in parts.items()}
        ids = {i: frozenset(id(t.target) for t in ps) for i, ps in parts.items()}
        for batch in _batches(spans, ids):
            unique = list({id(p): p for i in batch for p in chosen[i]}.values())
            try:
                fixed = apply_fixes(module, unique)
            except FixFailed:
                continue
            mine: Dict[int, List[Block]] = {i: [] for i in batch}
            wants_imports = [i for i in batch if any(t.imports for t in parts[i])]
            for block in _blocks(old, fixed.splitlines(keepends=True)):
                holders = [i for i in batch if any(_touches(block, span) for span in spans[i])]
                for i in holders or wants_imports or batch:  # untouched: an import a fix added
                    mine[i].append(block)
            for i, own in mine.items():
                if own:
                    description = "; ".join(dict.fromkeys(p.message for p in chosen[i]))
                    replacements = tuple((i1 + 1, i2 + 1, b"".join(new).decode("utf-8", "replace")) for i1, i2, new in own)
                    edits.setdefault(i, []).append(FixEdit(level, description, unified_diff(path, source, _own_text(old, own)), replacements))
    for i, found in edits.items():
        f = out[i]
        out[i] = Finding(
            f.path, f.line, f.column, f.end_line, f.end_column, f.code, f.message,
            FixInfo(f.fix.applicability, f.fix.message, tuple(found)),
        )
    return out

