"""Step 6 of the pipeline: the transformations rules share, and their application.

A rule attaches `FixPlan`s to a report (safe first). Plans name the original libcst nodes
they change; `apply_fixes` runs one transformer over the module, adds the imports the
plans need once, and returns the new source only if it parses.

- `extend_except`: `except BrokenPipeError:` -> `except (BrokenPipeError, ConnectionResetError):`
- `add_nosignal`: `sock.send(data)` -> `sock.send(data, getattr(socket, "MSG_NOSIGNAL", 0))`,
  merged with existing flags by `|`; never planned for a socket that may be TLS.
- `quiet_stdout`: `signal.signal(SIGPIPE, SIG_DFL)` -> an excepthook that exits quietly
  only when stdout's reader is gone (the `| head` behaviour the reset was written for).
- `wrap`: the owner of the write's connection (the code that makes or accepts it and uses
  it until it closes, or the entry a thread or server runs) gets its statements from the
  first use of the connection to the last one in
  `try: ... except (BrokenPipeError, ConnectionResetError) as exc: <say so>; <close>`;
  `fixes.conversation` finds the owner and the range.

Where a transformation cannot be offered (a socket that may be TLS, no owner in sight, a
shape the fix cannot rewrite), the planner returns a plan of applicability "none" whose
message says why (`no_fix`); nothing is changed, and the finding's fix carries the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from sigpipe_lint.facts import FLAG_METHODS, ModuleFacts, Write, dotted, positional_args
from sigpipe_lint.findings import NO_FIX
from sigpipe_lint.fixes.conversation import NoOwner, conversations

SAFE, UNSAFE, NONE = "safe", "unsafe", "none"  # none: no automatic fix, and why
NOSIGNAL_EXPR = 'getattr({mod}, "MSG_NOSIGNAL", 0)'


@dataclass
class FixPlan:
    applicability: str
    message: str
    kind: str  # extend_except, nosignal, quiet_stdout, wrap
    target: cst.CSTNode  # the original node to change
    data: Dict[str, object] = field(default_factory=dict)
    imports: Tuple[Tuple[str, Optional[str]], ...] = ()  # (module, asname)
    extra: Tuple["FixPlan", ...] = ()  # more edits of the same fix (every looped call site)

    def parts(self) -> List["FixPlan"]:
        return [self, *self.extra]


class FixFailed(Exception):
    """The fixed code would not parse: nothing is written."""


# ---------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------


def plan_extend_except(handler_type: Optional[cst.BaseExpression], add: str = "ConnectionResetError") -> Optional[FixPlan]:
    if isinstance(handler_type, (cst.Name, cst.Attribute, cst.Tuple)):
        return FixPlan(SAFE, f"also catch {add}", "extend_except", handler_type, {"add": add})
    return None


def _socket_module_name(facts: ModuleFacts) -> Tuple[str, Tuple[Tuple[str, Optional[str]], ...]]:
    """A name under which the socket module is reachable at module level, and imports needed."""
    for name, bindings in facts.module_scope.bindings.items():
        if len(bindings) == 1 and bindings[0].kind == "import" and bindings[0].qname == "socket":
            return name, ()
    if "socket" not in facts.module_scope.bindings:
        return "socket", (("socket", None),)
    return "_socket_module", (("socket", "_socket_module"),)


def no_fix(reason: str, target: cst.CSTNode) -> FixPlan:
    """A plan that offers nothing, and says why (shown in JSON, SARIF and the audit)."""
    return FixPlan(NONE, NO_FIX + reason, "none", target)


def plan_nosignal(facts: ModuleFacts, write: Write) -> FixPlan:
    """MSG_NOSIGNAL in the call's flags, or a plan of applicability "none" saying why not."""
    call = write.call
    why = "MSG_NOSIGNAL is not passed"
    if write.receiver.tls:
        return no_fix(
            f"{why}: {write.label} may write to a TLS socket, whose send methods raise "
            f"ValueError for any flags",
            call,
        )
    if write.method not in FLAG_METHODS:
        return no_fix(f"{why}: {write.label} takes no flags", call)
    if write.via:  # flags go to the socket method's own call
        return no_fix(f"{why}: {write.label} is not the socket method's own call, where flags go", call)
    if any(a.star for a in call.args):
        return no_fix(f"{why}: {write.label} unpacks its arguments (* or **), so where its flags go is unknown", call)
    odd = no_fix(f"{why}: the arguments of {write.label} leave no clear place for its flags", call)
    index = FLAG_METHODS[write.method]
    pos = positional_args(call)
    if write.method == "sendto":
        if len(pos) == 2:
            mode = "insert_at_1"  # sendto(data, address) -> sendto(data, flags, address)
        elif len(pos) == 3:
            mode = "merge_at_1"
        else:
            return odd
    elif write.method == "sendmsg":
        if len(pos) >= 3:
            mode = "merge_at_2"
        elif len(pos) == 1 and keyword_count(call) == 0:
            mode = "append_ancdata"  # sendmsg(buffers) -> sendmsg(buffers, (), flags)
        else:
            return odd
    else:
        if keyword_count(call, "flags"):
            mode = "merge_keyword"
        elif len(pos) > index:
            mode = f"merge_at_{index}"
        elif len(pos) == index and keyword_count(call) == 0:
            mode = "append"
        else:
            return odd
    mod, imports = _socket_module_name(facts)
    return FixPlan(
        SAFE,
        "pass MSG_NOSIGNAL (stops the signal, not the exception)",
        "nosignal",
        call,
        {"mode": mode, "flag": NOSIGNAL_EXPR.format(mod=mod)},
        imports,
    )


def keyword_count(call: cst.Call, name: Optional[str] = None) -> int:
    return sum(1 for a in call.args if a.keyword is not None and (name is None or a.keyword.value == name))


def plan_wrap(facts: ModuleFacts, write: Write) -> Optional[FixPlan]:
    """End the conversation where its owner can stop it (see `fixes.conversation`).

    One plan part per owner on the call paths to the write; a plan of applicability
    "none" with the reason when no owner is in sight; None when every path is handled.
    """
    if write.raises != ("BrokenPipeError", "ConnectionResetError"):  # loop.sendfile()
        what = " and ".join(write.raises)
        return no_fix(f"{write.label} raises {what}, which the wrap does not catch", write.call)
    if write.via == "partial":  # the write happens wherever the partial is called, not here
        return no_fix(f"the write happens where {write.label} is called, and nothing in this module calls it", write.call)
    if write.ctx.func is not None and facts.is_test_function(write.ctx.func):
        return no_fix(
            f"{write.label} is in a test that a runner calls: a dead peer there is the test's "
            "error to report, and a wrap would hide it",
            write.call,
        )
    expecting = facts.expectation_around(write.ctx)
    if expecting is not None:
        return no_fix(
            f"{write.label} is inside `{dotted(expecting.func) or 'raises'}(...)`: the test expects an exception "
            "there, and a wrap would catch it first; let it expect both (BrokenPipeError, ConnectionResetError)",
            write.call,
        )
    try:
        convs = conversations(facts, write)
    except NoOwner as e:
        return no_fix(str(e), write.call)
    if not convs:
        return None
    plans = [
        FixPlan(
            UNSAFE,
            "",
            "wrap",
            c.first,
            {"last": c.last, "container": c.container, "except": c.except_lines},
            c.imports,
        )
        for c in convs
    ]
    first = plans[0]
    first.extra = tuple(plans[1:])
    # One wording for every owner: the audit shows a change made the same way once.
    first.message = (
        "catch BrokenPipeError and ConnectionResetError where the connection's owner can end "
        "the conversation, say so on stderr and go on after it"
    )
    return first


QUIET_STDOUT_NAME = "_sigpipe_lint_quiet_stdout"
QUIET_STDOUT_DEF = '''def {name}(exc_type, exc, tb, _previous=sys.excepthook):
    """`cli | head`: exit quietly once stdout's reader is gone; report anything else as before."""
    if issubclass(exc_type, BrokenPipeError):
        try:
            poller = select.poll()
            poller.register(sys.stdout.fileno(), select.POLLOUT)
            broken = any(event & select.POLLERR for _, event in poller.poll(0))
        except (AttributeError, OSError, ValueError):
            broken = False
        if broken:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
    _previous(exc_type, exc, tb)
'''


def plan_quiet_stdout(ctx, call: cst.Call) -> FixPlan:
    """Replace `signal.signal(SIGPIPE, SIG_DFL)` by an excepthook that is quiet only for stdout.

    SIGPIPE stays ignored, so a dead socket peer raises an exception that code can handle;
    a reader of stdout that goes away (`| head`) still ends the program without a traceback
    (exit status 1 instead of 141, as the signal module's documentation recommends).
    """
    stmt = ctx.stmt
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return no_fix("the reset shares its line with other code, and the fix replaces the whole line", call)
    only = stmt.body[0]
    if not isinstance(only, cst.Expr) or only.value is not call:
        return no_fix("the reset's return value is used, and the fix replaces the whole statement", call)
    return FixPlan(
        UNSAFE,
        "keep SIGPIPE ignored; install an excepthook that exits quietly when stdout's reader is gone",
        "quiet_stdout",
        stmt,
        {},
        (("os", None), ("select", None), ("sys", None)),
    )


def _quiet_stdout(module: cst.Module, stmt: cst.SimpleStatementLine):
    nl = module.default_newline
    code = QUIET_STDOUT_DEF.format(name=QUIET_STDOUT_NAME).replace("    ", module.default_indent)
    func = cst.parse_statement(code.replace("\n", nl), config=module.config_for_parsing)
    assign = cst.parse_statement(f"sys.excepthook = {QUIET_STDOUT_NAME}{nl}", config=module.config_for_parsing)
    # Keep the comment that stood on the reset line, on the line that replaces it.
    assign = assign.with_changes(trailing_whitespace=stmt.trailing_whitespace)
    return cst.FlattenSentinel([func.with_changes(leading_lines=stmt.leading_lines), assign])


# ---------------------------------------------------------------------------------------
# Application
# ---------------------------------------------------------------------------------------


def _flag_arg(flag_code: str) -> cst.Arg:
    return cst.Arg(cst.parse_expression(flag_code))


class _Applier(cst.CSTTransformer):
    def __init__(self, module: cst.Module, plans: Sequence[FixPlan]):
        super().__init__()
        self.module = module
        self.by_target: Dict[int, FixPlan] = {}
        self.ranges: Dict[int, List[FixPlan]] = {}  # id(container) -> its wrap plans
        self.new: Dict[int, object] = {}  # id(original statement) -> what replaced it
        for plan in plans:
            for p in plan.parts():
                if p.kind == "wrap":
                    self.ranges.setdefault(id(p.data["container"]), []).append(p)
                elif p.kind != "none":
                    self.by_target.setdefault((id(p.target), p.kind), p)

    def on_leave(self, original, updated):
        result = super().on_leave(original, updated)
        if isinstance(original, cst.BaseStatement):
            self.new[id(original)] = result
        return result

    def _plan(self, node, kind) -> Optional[FixPlan]:
        return self.by_target.get((id(node), kind))

    def leave_ExceptHandler(self, original, updated):
        plan = self._plan(original.type, "extend_except") if original.type is not None else None
        if plan is not None:
            new_type = _extend(updated.type, plan.data.get("add", "ConnectionResetError"))
            ws = updated.whitespace_after_except
            if isinstance(ws, cst.SimpleWhitespace) and ws.value == "":
                ws = cst.SimpleWhitespace(" ")
            return updated.with_changes(type=new_type, whitespace_after_except=ws)
        return updated

    def leave_Call(self, original, updated):
        plan = self._plan(original, "nosignal")
        if plan is None:
            return updated
        mode = plan.data["mode"]
        flag = plan.data["flag"]
        args = list(updated.args)
        if mode == "append":
            args = _with_trailing_comma(args) + [_flag_arg(flag)]
        elif mode == "append_ancdata":
            args = _with_trailing_comma(args) + [
                cst.Arg(cst.Tuple([]), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                _flag_arg(flag),
            ]
        elif mode == "insert_at_1":
            new = cst.Arg(cst.parse_expression(flag), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            args = args[:1] + [new] + args[1:]
        elif mode.startswith("merge_at_"):
            i = int(mode.rsplit("_", 1)[1])
            args[i] = args[i].with_changes(value=_merge_flags(args[i].value, flag))
        elif mode == "merge_keyword":
            for i, a in enumerate(args):
                if a.keyword is not None and a.keyword.value == "flags":
                    args[i] = a.with_changes(value=_merge_flags(a.value, flag))
        return updated.with_changes(args=args)

    def leave_SimpleStatementLine(self, original, updated):
        if self._plan(original, "quiet_stdout") is not None:
            return _quiet_stdout(self.module, updated)
        return updated

    def _leave_block(self, original, updated):
        plans = self.ranges.get(id(original))
        if not plans:
            return updated
        return updated.with_changes(body=_wrap_ranges(self.module, original.body, self.new, plans))

    leave_IndentedBlock = _leave_block
    leave_Module = _leave_block


def _with_trailing_comma(args: List[cst.Arg]) -> List[cst.Arg]:
    if not args:
        return args
    last = args[-1]
    if last.comma is cst.MaybeSentinel.DEFAULT or not isinstance(last.comma, cst.Comma):
        args = args[:-1] + [last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))]
    return args


def _merge_flags(value: cst.BaseExpression, flag: str) -> cst.BaseExpression:
    left = value
    if isinstance(value, (cst.IfExp, cst.Lambda, cst.NamedExpr, cst.BooleanOperation)):
        left = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.BinaryOperation(
        left=left,
        operator=cst.BitOr(
            whitespace_before=cst.SimpleWhitespace(" "), whitespace_after=cst.SimpleWhitespace(" ")
        ),
        right=cst.parse_expression(flag),
    )


def _extend(t: cst.BaseExpression, add: str) -> cst.BaseExpression:
    new_el = cst.Element(cst.Name(add))
    if isinstance(t, cst.Tuple):
        elements = list(t.elements)
        if elements:
            last = elements[-1]
            if not isinstance(last.comma, cst.Comma):
                elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return t.with_changes(elements=elements + [new_el])
    return cst.Tuple(
        [
            cst.Element(t.with_changes(lpar=[], rpar=[]) if hasattr(t, "lpar") else t,
                        comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            new_el,
        ]
    )


def _wrap_ranges(module: cst.Module, originals, new: Dict[int, object], plans: Sequence[FixPlan]) -> list:
    """The block's statements with each planned range in one `try` (overlapping ranges merged)."""
    index = {id(stmt): i for i, stmt in enumerate(originals)}
    spans: List[List[object]] = []
    for p in plans:
        a, b = index[id(p.target)], index[id(p.data["last"])]
        spans.append([a, b, list(p.data["except"])])
    spans.sort(key=lambda s: (s[0], s[1]))
    merged: List[List[object]] = []
    for a, b, lines in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
            merged[-1][2] += [x for x in lines if x not in merged[-1][2]]
        else:
            merged.append([a, b, lines])
    starts = {a: (b, lines) for a, b, lines in merged}

    def replaced(stmt) -> list:
        r = new.get(id(stmt), stmt)
        if isinstance(r, cst.FlattenSentinel):
            return list(r.nodes)
        if isinstance(r, cst.RemovalSentinel):
            return []
        return [r]

    out: list = []
    i = 0
    while i < len(originals):
        if i in starts:
            b, lines = starts[i]
            stmts = [x for stmt in originals[i:b + 1] for x in replaced(stmt)]
            out.append(_wrap(module, stmts, lines))
            i = b + 1
        else:
            out.extend(replaced(originals[i]))
            i += 1
    return out


def _wrap(module: cst.Module, stmts: Sequence[cst.BaseStatement], except_lines: Sequence[str]) -> cst.Try:
    """try: <stmts> except (BrokenPipeError, ConnectionResetError) as exc: say so; <except_lines>.

    Built as a tree around the statements' own nodes, so their text (multi-line strings,
    comments, continuation lines) is kept byte for byte.
    """
    indent = module.default_indent
    nl = module.default_newline
    lines = [
        "try:",
        f"{indent}pass",
        "except (BrokenPipeError, ConnectionResetError) as exc:",
        f'{indent}print(f"sigpipe-lint: the peer closed the connection: {{exc!r}}", file=sys.stderr)',
    ]
    for extra in except_lines:
        for line in extra.split("\n"):
            lines.append(f"{indent}{line.replace('    ', indent)}")
    try:
        template = cst.parse_statement(nl.join(lines) + nl, config=module.config_for_parsing)
    except cst.ParserSyntaxError as e:
        raise FixFailed(f"could not build the wrapped statement: {e.message}") from None
    assert isinstance(template, cst.Try)
    first = stmts[0]
    # A blank line inside the new block carries no indentation (no trailing whitespace).
    rest = [
        s.with_changes(leading_lines=[ln.with_changes(indent=False) if ln.comment is None else ln for ln in s.leading_lines])
        for s in stmts[1:]
    ]
    body = template.body.with_changes(body=[first.with_changes(leading_lines=()), *rest])
    return template.with_changes(body=body, leading_lines=first.leading_lines)


def _add_imports(module: cst.Module, imports) -> cst.Module:
    """Add `import X` / `import X as Y` once, after the docstring, __future__ and other imports."""
    needed = []
    for mod, asname in dict.fromkeys(imports):
        local = asname or mod
        bound = False
        for stmt in module.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Import):
                        for alias in small.names:
                            name = dotted(alias.name)
                            a = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else None
                            if name == mod and (a or name) == local:
                                bound = True
        if not bound:
            needed.append((mod, asname))
    if not needed:
        return module
    body = list(module.body)
    insert_at = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and stmt.body:
            first = stmt.body[0]
            if (i == 0 and isinstance(first, cst.Expr) and isinstance(first.value, (cst.SimpleString, cst.ConcatenatedString))) or isinstance(first, (cst.Import, cst.ImportFrom)):
                insert_at = i + 1
                continue
        break
    new_stmts = []
    for mod, asname in needed:
        text = f"import {mod}" + (f" as {asname}" if asname else "")
        new_stmts.append(cst.parse_statement(text + module.default_newline, config=module.config_for_parsing))
    return module.with_changes(body=body[:insert_at] + new_stmts + body[insert_at:])


def apply_fixes(module: cst.Module, plans: Sequence[FixPlan]) -> bytes:
    """The module's bytes with the plans applied; raises FixFailed if the result won't parse."""
    new = module.visit(_Applier(module, plans))
    imports = [i for plan in plans for p in plan.parts() for i in p.imports]
    new = _add_imports(new, imports)
    data = new.bytes
    try:
        cst.parse_module(data)
    except Exception as e:  # noqa: BLE001 - any failure means: do not write
        raise FixFailed(f"the fixed code does not parse ({type(e).__name__}); nothing was written") from None
    return data
