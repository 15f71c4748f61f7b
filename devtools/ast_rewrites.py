"""AST rewrites that turn a correct solution into another one that computes the same thing.

Developer tooling for devtools/generated_variants.py (not shipped). Each factory below returns a
*step*, a function that edits an `ast.Module` in place and raises `NotApplicable` when it finds
nothing it may rewrite, so that a reference solution that changed can never slip through a
rewrite that no longer applies. `where` names the part of a cell a step works on: "" (the whole
cell), "stable_softmax" (a function), "Task2" (a class, i.e. each of its methods) or
"Task2.learning_step" (one method).

Generic passes here: rename_locals, keyword_calls, positional_calls, augmented_updates,
copied_updates, reorder_independent, return_tuples, tuple_arguments_as_lists; those that change
loops and containers are in devtools/container_rewrites.py. Cell-specific rewrites are built
from replace_expr and replace_stmts, which match code by its structure (ast.dump), never by its
text. Whether statements depend on each other is devtools/def_use.py's business.
"""
import ast
import copy
import textwrap

from devtools import def_use


class NotApplicable(ValueError):
    """A rewrite found nothing to rewrite in the code it was meant for."""


# ---------------------------------------------------------------- helpers

def parse_stmts(code) -> list:
    return ast.parse(textwrap.dedent(code).strip("\n")).body if code.strip() else []


def parse_expr(code) -> ast.expr:
    return ast.parse(textwrap.dedent(code).strip(), mode="eval").body


def dump(node) -> str:
    return ast.dump(node)


def normalized(source) -> str:
    """The structure of `source` (or of a tree), without positions, comments or formatting."""
    return ast.dump(ast.parse(source if isinstance(source, str) else ast.unparse(source)))


def scope(tree, where):
    """The node `where` names in `tree` (see the module docstring)."""
    node = tree
    for part in filter(None, where.split(".")):
        found = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part]
        if len(found) != 1:
            raise NotApplicable(f"the cell has no {where}")
        node = found[0]
    return node


def functions(tree, where):
    """The function(s) `where` names: one function, or every method of a class, or every function of the cell."""
    node = scope(tree, where)
    if isinstance(node, ast.FunctionDef):
        return [node]
    return [n for n in ast.walk(node) if isinstance(n, ast.FunctionDef)]


def statement_lists(node):
    """Every list of statements under `node` (bodies of functions, loops, branches)."""
    for child in ast.walk(node):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(child, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def names(node) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}


def names_outside_comprehensions(node, skip=None) -> set:
    """Names that occur in `node` (but not in `skip`) outside any comprehension (whose variables have
    their own scope)."""
    out = set()

    def visit(n):
        if n is skip or isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return out


def changed(step_name, count):
    if not count:
        raise NotApplicable(f"{step_name}: nothing to rewrite")


def changed_each(step_name, wanted, done):
    """Raise unless each target the caller named (a path, a name) was rewritten at least once."""
    missing = [".".join(w) if isinstance(w, tuple) else w for w in wanted if w not in done]
    if missing:
        raise NotApplicable(f"{step_name}: nothing to rewrite for {', '.join(sorted(missing))}")


def path(source) -> tuple:
    return tuple(source.split("."))


# ---------------------------------------------------------------- signatures

def signatures_in(sources) -> dict:
    """{"stable_softmax": [(param, default or None), ...], "self.backprop": [...]} for every function and
    method defined in `sources` (methods without `self`, keyed as called on self). A name defined twice
    with different parameters is left out: its documented form is ambiguous."""
    found = {}
    for tree in map(ast.parse, sources):
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found.setdefault(node.name, []).append(_params(node))
            elif isinstance(node, ast.ClassDef):
                for method in node.body:
                    if isinstance(method, ast.FunctionDef) and not method.name.startswith("__"):
                        found.setdefault("self." + method.name, []).append(_params(method)[1:])
    return {name: forms[0] for name, forms in found.items()
            if all(_dump_params(f) == _dump_params(forms[0]) for f in forms)}


def _params(function):
    args = function.args.args
    defaults = [None] * (len(args) - len(function.args.defaults)) + list(function.args.defaults)
    return [(a.arg, d) for a, d in zip(args, defaults)]


def _dump_params(params):
    return [(name, default and ast.dump(default)) for name, default in params]


def call_key(call):
    """"stable_softmax", "self.backprop", "np.max", "rng.integers" for a call, or None."""
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f"{f.value.id}.{f.attr}"
    return None


# ---------------------------------------------------------------- generic passes

def rename_locals(where, mapping):
    """Rename local variables of one function (never its parameters, never onto a name it uses)."""
    def step(tree):
        function = scope(tree, where)
        params = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
        stored = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        used = names(function)
        for old, new in mapping.items():
            if old not in stored or old in params:
                raise NotApplicable(f"rename: {old} is not a local variable of {where}")
            if new in used:
                raise NotApplicable(f"rename: {where} already uses the name {new}")
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and node.id in mapping:
                node.id = mapping[node.id]
    return step


def keyword_calls(signatures, only=None, explicit_defaults=False, where=""):
    """f(a, b) -> f(x=a, y=b) for every call of a function in `signatures` (its documented parameter names);
    `explicit_defaults` also passes the omitted parameters their default values, by keyword."""
    def step(tree):
        count = 0
        for call in [n for n in ast.walk(scope(tree, where)) if isinstance(n, ast.Call)]:
            key = call_key(call)
            if key not in signatures or (only and key not in only) or _has_star(call):
                continue
            params = signatures[key]
            if len(call.args) > len(params):
                raise NotApplicable(f"{key} is called with more arguments than it has parameters")
            given = [ast.keyword(arg=name, value=value) for (name, _), value in zip(params, call.args)]
            named = {k.arg for k in call.keywords} | {k.arg for k in given}
            defaults = [ast.keyword(arg=name, value=copy.deepcopy(default)) for name, default in params
                        if explicit_defaults and default is not None and name not in named]
            if given or defaults:
                call.args, call.keywords = [], given + call.keywords + defaults
                count += 1
        changed("keyword_calls", count)
    return step


def positional_calls(signatures, only=None, explicit_defaults=False, where=""):
    """f(a, y=b) -> f(a, b): arguments passed by keyword move to their position when every parameter
    before them is given; `explicit_defaults` fills omitted trailing parameters with their defaults."""
    def step(tree):
        count = 0
        for call in [n for n in ast.walk(scope(tree, where)) if isinstance(n, ast.Call)]:
            key = call_key(call)
            if key not in signatures or (only and key not in only) or _has_star(call):
                continue
            by_name = {k.arg: k.value for k in call.keywords}
            args = list(call.args)
            for name, default in signatures[key][len(args):]:
                if name in by_name:
                    args.append(by_name.pop(name))
                elif explicit_defaults and default is not None:
                    args.append(copy.deepcopy(default))
                else:
                    break
            if len(args) != len(call.args):
                call.args = args
                call.keywords = [k for k in call.keywords if k.arg in by_name]
                count += 1
        changed("positional_calls", count)
    return step


def _has_star(call):
    return any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)


_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)


def augmented_updates(where, roots):
    """In-place updates of the state under `roots` (e.g. "self.velocity_w"): `T = T op E` -> `T op= E`,
    and `T = c * T + R` -> `T *= c; T += R` when R does not read T. Only for arrays the object owns:
    the caller names them, and the lab's text decides which may change in place."""
    roots = [path(r) for r in roots]

    def root_of(target):
        found = def_use.path_of(target)
        return next((r for r in roots if found is not None and found[:len(r)] == r), None)

    def step(tree):
        done = set()
        for function in functions(tree, where):
            aliases = def_use.alias_map(function)
            for block in statement_lists(function):
                i = 0
                while i < len(block):
                    replacement = _in_place(block[i], root_of, aliases)
                    if replacement:
                        done.add(root_of(block[i].targets[0]))
                        block[i:i + 1] = replacement
                    i += 1
        changed_each("augmented_updates", roots, done)
    return step


def _in_place(stmt, root_of, aliases):
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and root_of(stmt.targets[0])):
        return None
    target, value = stmt.targets[0], stmt.value
    if not isinstance(value, ast.BinOp) or not isinstance(value.op, _OPS):
        return None
    load = dump(as_load(target))
    if dump(value.left) == load:
        return [ast.AugAssign(target=target, op=value.op, value=value.right)]
    # T = c * T + r1 + r2 ... (a left-nested sum whose first term scales T)
    terms = []
    while isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        terms.insert(0, value.right)
        value = value.left
    if not terms or not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult)):
        return None
    factor = value.left if dump(value.right) == load else value.right if dump(value.left) == load else None
    rest = terms[0]
    for term in terms[1:]:
        rest = ast.BinOp(left=rest, op=ast.Add(), right=term)
    written = {def_use.path_of(target)}
    if factor is None or def_use.overlaps(def_use.expression_reads(rest, aliases).reads, written):
        return None
    return [ast.AugAssign(target=target, op=ast.Mult(), value=factor),
            ast.AugAssign(target=copy.deepcopy(target), op=ast.Add(), value=rest)]


def as_load(target):
    node = copy.deepcopy(target)
    for n in ast.walk(node):
        if hasattr(n, "ctx"):
            n.ctx = ast.Load()
    return node


def copied_updates(where, targets):
    """`T op= E` -> `T = T op E` for the named targets (e.g. "self.t", a counter: an int rebinds either way)."""
    targets = {path(t) for t in targets}

    def step(tree):
        done = set()
        for node in ast.walk(scope(tree, where)):
            for block in [getattr(node, name, None) for name in ("body", "orelse")]:
                for i, stmt in enumerate(block or []):
                    if isinstance(stmt, ast.AugAssign) and def_use.path_of(stmt.target) in targets:
                        block[i] = ast.Assign(targets=[stmt.target], value=ast.BinOp(
                            left=as_load(stmt.target), op=stmt.op, right=stmt.value))
                        done.add(def_use.path_of(stmt.target))
        changed_each("copied_updates", targets, done)
    return step


def reorder_independent(where):
    """Reverse every run of adjacent statements that are pairwise independent (devtools/def_use.py):
    none writes what another reads or writes, none is a barrier (an impure call, a return, ...)."""
    def step(tree):
        count = 0
        for function in functions(tree, where):
            aliases = def_use.alias_map(function)
            for block in list(statement_lists(function)):
                facts = [def_use.effects(s, aliases) for s in block]
                start = 0
                while start < len(block):
                    end = start + 1
                    while end < len(block) and all(def_use.independent(facts[k], facts[end])
                                                   for k in range(start, end)):
                        end += 1
                    if end - start >= 2:
                        block[start:end] = block[start:end][::-1]
                        facts[start:end] = facts[start:end][::-1]
                        count += 1
                    start = end
        changed("reorder_independent", count)
    return step


def return_tuples(where):
    """`return a, b` -> `return tuple(a), tuple(b)`."""
    def step(tree):
        count = 0
        for node in ast.walk(scope(tree, where)):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and all(
                    isinstance(e, ast.Name) for e in node.value.elts):
                node.value.elts = [ast.Call(func=ast.Name(id="tuple", ctx=ast.Load()), args=[e], keywords=[])
                                   for e in node.value.elts]
                count += 1
        changed("return_tuples", count)
    return step


def tuple_arguments_as_lists(where):
    """f(a, (b, c), axis=(0, 1)) -> f(a, [b, c], axis=[0, 1]) (numpy takes either sequence)."""
    def step(tree):
        count = 0
        for call in [n for n in ast.walk(scope(tree, where)) if isinstance(n, ast.Call)]:
            for arg in call.args + [k.value for k in call.keywords]:
                if isinstance(arg, ast.Tuple):
                    arg.__class__ = ast.List
                    count += 1
        changed("tuple_arguments_as_lists", count)
    return step


# ---------------------------------------------------------------- cell-specific rewrites

def replace_expr(where, old, new, count=None):
    """Replace every expression structurally equal to `old` (source) by `new` (source); raise unless
    it occurs (exactly `count` times, when given)."""
    pattern, replacement = dump(parse_expr(old)), parse_expr(new)

    def step(tree):
        hits = []

        class Replace(ast.NodeTransformer):
            def visit(self, node):
                if isinstance(node, ast.expr) and dump(as_load(node)) == pattern:
                    hits.append(node)
                    new_node = copy.deepcopy(replacement)
                    if hasattr(node, "ctx") and hasattr(new_node, "ctx"):
                        new_node.ctx = node.ctx  # a store stays a store
                    return new_node
                return self.generic_visit(node)

        Replace().visit(scope(tree, where))
        if not hits or (count is not None and len(hits) != count):
            raise NotApplicable(f"replace_expr: {old!r} occurs {len(hits)} times in {where or 'the cell'}")
    return step


def replace_stmts(where, old, new):
    """Replace the one run of statements structurally equal to `old` by `new` (both source); raise
    unless `old` occurs exactly once."""
    pattern, replacement = [dump(s) for s in parse_stmts(old)], parse_stmts(new)

    def step(tree):
        hits = []
        for block in statement_lists(scope(tree, where)):
            for i in range(len(block) - len(pattern) + 1):
                if [dump(s) for s in block[i:i + len(pattern)]] == pattern:
                    hits.append((block, i))
        if len(hits) != 1:
            raise NotApplicable(f"replace_stmts: {old.strip().splitlines()[0]!r}... occurs {len(hits)} times")
        block, i = hits[0]
        block[i:i + len(pattern)] = copy.deepcopy(replacement)
    return step
