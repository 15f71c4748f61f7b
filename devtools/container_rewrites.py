"""AST rewrites of loops and containers: comprehensions and loops, tuples and lists, the shape of
per-layer state (dicts keyed by layer, state created at the first step).

Developer tooling for devtools/generated_variants.py (not shipped); the conventions (steps,
`where`, `NotApplicable`) are devtools/ast_rewrites.py's. Each pass checks with def-use facts
(devtools/def_use.py) that its rewrite keeps what the code computes, and raises otherwise.
"""
import ast
import copy

from devtools import def_use
from devtools.ast_rewrites import (NotApplicable, as_load, call_key, changed, changed_each, functions, names,
                                   names_outside_comprehensions, parse_expr, scope, statement_lists)


def comprehensions_to_loops(where):
    """`T = [E for v in I]` -> `T = []` + `for v in I: T.append(E)`, unless E or I read T, or the loop
    variable (which a for loop leaks into the function) is used elsewhere in the function."""
    def step(tree):
        count = 0
        for function in functions(tree, where):
            aliases = def_use.alias_map(function)
            introduced = set()
            for block in list(statement_lists(function)):
                i = 0
                while i < len(block):
                    loop = _comprehension_as_loop(block[i], function, aliases, introduced)
                    if loop:
                        block[i:i + 1] = loop
                        count += 1
                    i += 1
        changed("comprehensions_to_loops", count)
    return step


def _comprehension_as_loop(stmt, function, aliases, introduced):
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.value, ast.ListComp)):
        return None
    target, comp = stmt.targets[0], stmt.value
    path = def_use.path_of(target)
    if path is None or isinstance(target, ast.Subscript) or len(comp.generators) != 1:
        return None
    generator = comp.generators[0]
    if generator.ifs or generator.is_async:
        return None
    loop_vars = {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
    if loop_vars & (names_outside_comprehensions(function, skip=stmt) - introduced):
        return None
    reads = def_use.expression_reads(comp, aliases)
    if reads.barrier or def_use.overlaps(reads.reads, {path}):
        return None
    introduced |= loop_vars
    append = ast.Expr(ast.Call(func=ast.Attribute(value=as_load(target), attr="append", ctx=ast.Load()),
                               args=[comp.elt], keywords=[]))
    return [ast.Assign(targets=[target], value=ast.List(elts=[], ctx=ast.Load())),
            ast.For(target=generator.target, iter=generator.iter, body=[append], orelse=[])]


def indexed_loops_to_comprehensions(where):
    """`for i in range(N): A[i] = E_A; B[i] = E_B` -> `A = [E_A for i in range(N)]; B = [...]` (also over
    enumerate). Valid when every statement stores one list at index i and reads the lists the loop
    stores only at index i (so no iteration sees another's writes), nothing in the loop is a barrier,
    no other name holds those lists, and the loop variables are not used after the loop. The loop
    must visit every entry of the lists (per-layer lists over range(self.num_layers)): the caller's
    claim, which grading checks."""
    def step(tree):
        count = 0
        for function in functions(tree, where):
            aliases = def_use.alias_map(function)
            for block in list(statement_lists(function)):
                for i, stmt in enumerate(list(block)):
                    comprehensions = _loop_as_comprehensions(stmt, function, aliases)
                    if comprehensions:
                        position = block.index(stmt)
                        block[position:position + 1] = comprehensions
                        count += 1
        changed("indexed_loops_to_comprehensions", count)
    return step


def _loop_as_comprehensions(loop, function, aliases):
    index = _loop_index(loop) if isinstance(loop, ast.For) and not loop.orelse else None
    if index is None:
        return None
    body = loop.body
    if not all(isinstance(s, ast.Assign) and len(s.targets) == 1 and _at_index(s.targets[0], index)
               and def_use.path_of(s.targets[0]) for s in body):
        return None
    stored = {def_use.path_of(s.targets[0]) for s in body}
    if any(def_use.effects(s, aliases).barrier for s in body) or def_use.expression_reads(loop.iter, aliases).barrier:
        return None
    if not all(_read_only_at_index(s.value, stored, index) for s in body):
        return None
    # No other name is a handle on a stored list (it would still see the old list afterwards).
    if any(def_use.overlaps(paths, stored) for name, paths in aliases.items() if (name,) not in stored):
        return None
    loop_vars = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    if loop_vars & (names_outside_comprehensions(function, skip=loop) | _names_of_args(function)):
        return None  # the loop variables live on after the loop; comprehension variables do not
    return [ast.Assign(targets=[s.targets[0].value], value=ast.ListComp(
        elt=s.value, generators=[ast.comprehension(target=copy.deepcopy(loop.target), iter=copy.deepcopy(loop.iter),
                                                   ifs=[], is_async=0)])) for s in body]


def _at_index(node, index):
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name) and node.slice.id == index


def _read_only_at_index(expr, stored, index):
    """Whether every use of a stored list in `expr` is `list[index]`."""
    containers = {id(n.value) for n in ast.walk(expr) if _at_index(n, index)}
    for node in ast.walk(expr):
        if (isinstance(node, (ast.Name, ast.Attribute)) and def_use.path_of(node) in stored
                and id(node) not in containers):
            return False
    return True


def _names_of_args(function):
    return {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}


def appended_lists_to_tuples(where, names):
    """Local lists only ever appended to and read become tuples: `gs = [x]` -> `gs = (x,)`,
    `gs.append(e)` -> `gs += (e,)`. Raises if a list is used any other way (sorted, stored into,
    returned)."""
    def step(tree):
        function = scope(tree, where)
        done = set()
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    pairs = (zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple)
                             and isinstance(node.value, ast.Tuple) else [(target, node.value)])
                    for t, v in pairs:
                        if isinstance(t, ast.Name) and t.id in names and isinstance(v, ast.List):
                            v.__class__ = ast.Tuple
                            done.add(t.id)
            for block in [getattr(node, name, None) for name in ("body", "orelse")]:
                for i, stmt in enumerate(block or []):
                    call = stmt.value if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) else None
                    if (call and isinstance(call.func, ast.Attribute) and call.func.attr == "append"
                            and isinstance(call.func.value, ast.Name) and call.func.value.id in names):
                        block[i] = ast.AugAssign(target=ast.Name(id=call.func.value.id, ctx=ast.Store()), op=ast.Add(),
                                                 value=ast.Tuple(elts=call.args, ctx=ast.Load()))
        for node in ast.walk(function):
            bad = (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in names
                   or isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                   and isinstance(node.value, ast.Name) and node.value.id in names
                   or isinstance(node, ast.Return) and _returns_a_name(node.value, names))
            if bad:
                raise NotApplicable(f"appended_lists_to_tuples: {ast.unparse(node)[:60]} needs a list")
        changed_each("appended_lists_to_tuples", names, done)
    return step


def _returns_a_name(value, names):
    """Whether a returned value is one of `names` itself, or a tuple or list holding one."""
    items = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
    return any(isinstance(item, ast.Name) and item.id in names for item in items)


def _self_attr(node, attrs):
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
            and node.attr in attrs)


def _state_assignments(cls, attrs):
    return [n for n in ast.walk(cls) if isinstance(n, ast.Assign) and len(n.targets) == 1
            and _self_attr(n.targets[0], attrs)]


def state_as_tuples(class_name, attrs):
    """Per-layer state lists built by comprehensions become tuples (`tuple(E for ...)`); raises if the
    class stores into them by index or mutates them (a tuple cannot be)."""
    def step(tree):
        cls = scope(tree, class_name)
        done = set()
        for assign in _state_assignments(cls, attrs):
            if isinstance(assign.value, ast.ListComp):
                comp = assign.value
                assign.value = ast.Call(func=ast.Name(id="tuple", ctx=ast.Load()), keywords=[], args=[
                    ast.GeneratorExp(elt=comp.elt, generators=comp.generators)])
                done.add(assign.targets[0].attr)
        for node in ast.walk(cls):
            if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and _self_attr(node.value, attrs)
                    or isinstance(node, ast.AugAssign) and _self_attr(node.target, attrs)
                    or isinstance(node, ast.Attribute) and _self_attr(node.value, attrs)):
                raise NotApplicable(f"state_as_tuples: {ast.unparse(node)[:60]} needs a list")
        changed_each("state_as_tuples", attrs, done)
    return step


def state_as_dict(class_name, attrs, key="layer"):
    """Per-layer state lists become dicts keyed by layer: `[E for v in I]` -> `{layer: E for layer, v in
    enumerate(I)}`. Raises unless every other use is `self.attr[i]` with i a loop index over range or
    enumerate (never negative, never a slice, never iterated)."""
    def step(tree):
        cls = scope(tree, class_name)
        done = set()
        for assign in _state_assignments(cls, attrs):
            comp = assign.value
            if isinstance(comp, ast.ListComp) and len(comp.generators) == 1 and key not in names(comp):
                generator = comp.generators[0]
                assign.value = ast.DictComp(key=ast.Name(id=key, ctx=ast.Load()), value=comp.elt, generators=[
                    ast.comprehension(target=ast.Tuple(elts=[ast.Name(id=key, ctx=ast.Store()), generator.target],
                                                       ctx=ast.Store()),
                                      iter=ast.Call(func=ast.Name(id="enumerate", ctx=ast.Load()),
                                                    args=[generator.iter], keywords=[]), ifs=[], is_async=0)])
                done.add(assign.targets[0].attr)
        assigned = {id(a.targets[0]) for a in _state_assignments(cls, attrs)}
        for function in functions(tree, class_name):
            indices = {_loop_index(n) for n in ast.walk(function) if isinstance(n, (ast.For, ast.comprehension))}
            parents = {id(c): p for p in ast.walk(function) for c in ast.iter_child_nodes(p)}
            for node in ast.walk(function):
                if _self_attr(node, attrs) and id(node) not in assigned:
                    parent = parents.get(id(node))
                    if not (isinstance(parent, ast.Subscript) and parent.value is node
                            and isinstance(parent.slice, ast.Name) and parent.slice.id in indices):
                        raise NotApplicable(f"state_as_dict: {ast.unparse(parent or node)[:60]} needs a list")
        changed_each("state_as_dict", attrs, done)
    return step


def _loop_index(loop):
    """The index variable of `for i in range(...)` or `for i, ... in enumerate(...)` (also in comprehensions)."""
    kind = call_key(loop.iter) if isinstance(loop.iter, ast.Call) else None
    if kind == "range" and isinstance(loop.target, ast.Name):
        return loop.target.id
    if kind == "enumerate" and isinstance(loop.target, ast.Tuple) and isinstance(loop.target.elts[0], ast.Name):
        return loop.target.elts[0].id
    return None


def lazy_state(class_name, attrs, method="learning_step"):
    """State created at the first call of `method` instead of in __init__: __init__ sets each attr to
    None and `method` starts with `if self.<first> is None: <the moved statements>`. Only for zero
    buffers and constants, whose value depends on nothing but the parameters' shapes."""
    def step(tree):
        init, target = scope(tree, f"{class_name}.__init__"), scope(tree, f"{class_name}.{method}")
        moved = [s for s in init.body if isinstance(s, ast.Assign) and all(_self_attr(t, attrs) for t in s.targets)]
        if {t.attr for s in moved for t in s.targets} != set(attrs):
            raise NotApplicable(f"lazy_state: __init__ does not create each of {attrs} on its own line")
        for s in moved:
            calls = {call_key(c) for c in ast.walk(s.value) if isinstance(c, ast.Call)}
            if not calls <= {"np.zeros_like"}:
                raise NotApplicable(f"lazy_state: {ast.unparse(s)[:60]} is not a zero buffer")
        position = init.body.index(moved[0])
        init.body = [s for s in init.body if s not in moved]
        init.body[position:position] = [ast.Assign(targets=[ast.Attribute(value=ast.Name(id="self", ctx=ast.Load()),
                                                                          attr=a, ctx=ast.Store()) for a in attrs],
                                                   value=ast.Constant(value=None))]
        guard = ast.Compare(left=parse_expr(f"self.{attrs[0]}"), ops=[ast.Is()], comparators=[ast.Constant(None)])
        start = 1 if target.body and isinstance(target.body[0], ast.Expr) and isinstance(
            target.body[0].value, ast.Constant) else 0
        target.body.insert(start, ast.If(test=guard, body=moved, orelse=[]))
    return step
