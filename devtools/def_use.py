"""Def-use facts of Python statements: what each one reads and writes, so that a rewrite can tell
whether two statements may swap or a loop may be split (devtools/ast_rewrites.py).

    from devtools.def_use import alias_map, effects, independent

A *path* names a location by its access chain, as a tuple: `self.velocity_w[i] = ...` writes
("self", "velocity_w"), `w.T` reads ("w", "T"). Two paths overlap when one is a prefix of the other.

Names can share objects with other locations: after `params = self.weights + self.biases` or
`for w, b in zip(self.weights, self.biases)`, writing *through* params or w (params[i] = ...,
w -= ..., params.append(...)) may write the lists or arrays of self.weights. `alias_map` records,
per name, every path its value may share objects with (over-approximated: anything read while
computing it, except through operations known to build new objects), and reads and writes
through a name count for those paths too. Rebinding a name (`w = ...`) writes the name only.

Whatever this module cannot see through is a *barrier* that nothing moves across: a call of a
function it does not know to be pure (self.backprop, self.dropout_mask, rng.integers,
super().__init__), a return, an assert, a docstring. Over-approximating is always safe here:
it only leaves more statements where they are.
"""
import ast
from dataclasses import dataclass, field

# Functions of the lab and builtins that neither mutate their arguments nor draw random numbers.
PURE_FUNCTIONS = {"len", "range", "zip", "enumerate", "reversed", "tuple", "list", "abs", "min", "max", "sum",
                  "float", "int", "sigmoid", "sigmoid_prime", "stable_softmax", "unstable_softmax"}
# ... and those whose result shares no object with their arguments, or with the object whose method
# they are: the lab documents that backprop returns new gradients and dropout_mask "a new array"
# (both stay barriers: they count calls and draw random numbers).
FRESH_FUNCTIONS = {"len", "range", "float", "int", "abs", "sigmoid", "sigmoid_prime", "stable_softmax",
                   "unstable_softmax", "self.backprop", "self.feedforward", "self.dropout_mask"}
# numpy functions (np.<name>, never np.random) are pure unless given out=; these return new arrays.
FRESH_NUMPY = {"exp", "log", "sqrt", "square", "zeros", "zeros_like", "ones", "ones_like", "sum", "max", "min",
               "roll", "stack", "where", "einsum", "outer", "dot", "array", "copy"}
PURE_METHODS = {"sum", "max", "min", "mean", "reshape", "copy", "astype", "transpose"}
MUTATING_METHODS = {"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear", "update",
                    "setdefault", "fill"}


@dataclass
class Effects:
    reads: set = field(default_factory=set)
    writes: set = field(default_factory=set)
    barrier: bool = False


def path_of(node):
    """The access path of a Name, Attribute or Subscript chain (a subscript stands for its container), or None."""
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        base = path_of(node.value)
        return base + (node.attr,) if base else None
    if isinstance(node, ast.Subscript):
        return path_of(node.value)
    return None


def overlaps(paths, others) -> bool:
    return any(p[:len(q)] == q or q[:len(p)] == p for p in paths for q in others)


def expand(path, aliases, seen=None) -> set:
    """`path` and every path its root name may share objects with (transitively)."""
    seen = set() if seen is None else seen
    out = {path}
    root = path[0]
    if root in aliases and root not in seen:
        seen.add(root)
        for other in aliases[root]:
            out |= expand(other, aliases, seen)
    return out


def _call_name(call):
    """"len", "np.exp", "self.backprop", "x.append" ... for a call, or None (e.g. super().__init__)."""
    path = path_of(call.func) if isinstance(call.func, (ast.Name, ast.Attribute)) else None
    return ".".join(path) if path else None


def _is_pure_numpy(call):
    name = _call_name(call)
    return (name is not None and name.startswith("np.") and not name.startswith("np.random")
            and not any(k.arg == "out" for k in call.keywords))


def sources(expr) -> set:
    """The paths whose objects the value of `expr` may share (see the module docstring)."""
    if expr is None or isinstance(expr, ast.Constant):
        return set()
    path = path_of(expr) if isinstance(expr, (ast.Name, ast.Attribute, ast.Subscript)) else None
    if path:
        return {path}
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(sources(e) for e in expr.elts)) if expr.elts else set()
    if isinstance(expr, ast.Starred):
        return sources(expr.value)
    if isinstance(expr, ast.BinOp):
        # list + list and list * n share elements; arithmetic on numbers and arrays builds new ones.
        return sources(expr.left) | sources(expr.right) if isinstance(expr.op, (ast.Add, ast.Mult)) else set()
    if isinstance(expr, (ast.UnaryOp, ast.Compare)):
        return set()
    if isinstance(expr, ast.Call):
        name = _call_name(expr)
        if name in FRESH_FUNCTIONS or (_is_pure_numpy(expr) and name.split(".")[-1] in FRESH_NUMPY):
            return set()
        receiver = sources(expr.func.value) if isinstance(expr.func, ast.Attribute) else set()
        return receiver.union(*(sources(a) for a in expr.args), *(sources(k.value) for k in expr.keywords))
    out = set()
    for child in ast.iter_child_nodes(expr):
        if isinstance(child, ast.expr):
            out |= sources(child)
        elif isinstance(child, ast.comprehension):
            out |= sources(child.iter)
    return out


def _bind(target, value_sources, aliases):
    for node in ast.walk(target):
        if isinstance(node, ast.Name):
            aliases.setdefault(node.id, set()).update(value_sources)


def alias_map(function) -> dict:
    """name -> paths its value may share objects with, over every binding in `function` (flow-insensitive)."""
    aliases = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = (zip(target.elts, node.value.elts)
                         if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                         and len(target.elts) == len(node.value.elts) else [(target, node.value)])
                for t, v in pairs:
                    if not isinstance(t, (ast.Attribute, ast.Subscript)):
                        _bind(t, sources(v), aliases)
        elif isinstance(node, ast.For):
            _bind(node.target, sources(node.iter), aliases)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            _bind(node.target, sources(node.value), aliases)
    return aliases


class _Collector:
    def __init__(self, aliases):
        self.aliases = aliases
        self.effects = Effects()

    def read(self, path):
        self.effects.reads |= expand(path, self.aliases)

    def write_through(self, path):
        """An object reached by `path` changes: its aliases change with it."""
        self.effects.writes |= expand(path, self.aliases)

    # ---- statements
    def statement(self, node):
        if isinstance(node, ast.Assign):
            self.expr(node.value)
            for target in node.targets:
                self.store(target)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value)
            self.expr(node.target)
            self.store(node.target, in_place=True)
        elif isinstance(node, ast.For):
            self.expr(node.iter)
            self.store(node.target)
            for child in node.body + node.orelse:
                self.statement(child)
        elif isinstance(node, (ast.If, ast.While)):
            self.expr(node.test)
            for child in node.body + node.orelse:
                self.statement(child)
        elif isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
            self.expr(node.value)
        else:  # return, assert, raise, docstring, nested def, with, try, break, ...
            self.effects.barrier = True

    def store(self, target, in_place=False):
        if isinstance(target, ast.Name):
            self.effects.writes.add((target.id,))
            if in_place:  # `w -= ...` may change the array w shares with another location
                self.write_through((target.id,))
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            path = path_of(target)
            if path is None:
                self.effects.barrier = True
                return
            self.write_through(path)
            if isinstance(target, ast.Subscript):
                self.expr(target.slice)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.store(elt, in_place)
        elif isinstance(target, ast.Starred):
            self.store(target.value, in_place)
        else:
            self.effects.barrier = True

    # ---- expressions
    def expr(self, node):
        if node is None:
            return
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            path = path_of(node)
            if path is not None:
                self.read(path)
                if isinstance(node, ast.Subscript):
                    self.expr(node.slice)
                return
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, (ast.Lambda, ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr)):
            self.effects.barrier = True
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child)
            elif isinstance(child, ast.comprehension):
                self.expr(child.iter)
                for condition in child.ifs:
                    self.expr(condition)

    def call(self, node):
        name = _call_name(node)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        receiver = path_of(node.func.value) if method else None
        if name in PURE_FUNCTIONS or _is_pure_numpy(node):
            pass
        elif method in PURE_METHODS:
            self.expr(node.func.value)
        elif method in MUTATING_METHODS and receiver:
            self.read(receiver)
            self.write_through(receiver)
        else:
            self.effects.barrier = True
        for arg in node.args:
            self.expr(arg)
        for keyword in node.keywords:
            self.expr(keyword.value)


def effects(statement, aliases) -> Effects:
    """What `statement` reads and writes (paths), or a barrier, given its function's `alias_map`."""
    collector = _Collector(aliases)
    collector.statement(statement)
    return collector.effects


def expression_reads(expr, aliases) -> Effects:
    """What evaluating `expr` reads (and whether it calls something impure: a barrier)."""
    collector = _Collector(aliases)
    collector.expr(expr)
    return collector.effects


def independent(a: Effects, b: Effects) -> bool:
    """Whether two statements with these effects give the same result in either order."""
    return (not a.barrier and not b.barrier and not overlaps(a.writes, b.reads | b.writes)
            and not overlaps(b.writes, a.reads))
