"""Constant expressions that could never run, refused at deploy rather than at the first run.

`9 ** 9 ** 9`, `1 << 10**9` or `'a' * 10**10` would be stopped by the operator guards when they
run; spotting them in the diagram lets the deploy refuse it and name the element. Only literal
numbers, strings, lists and tuples are followed; anything else is left to the guards.
"""

import ast
import math

from .limits import MAX_INT_BITS, MAX_OP_COST


def static_problems(tree) -> list[str]:
    """Why each too-large constant expression in `tree` is refused, by line."""
    problems = []
    _Folder(problems).visit(tree)
    return problems


class _Folder(ast.NodeVisitor):
    """Finds each BinOp's size from its operands': ("int", bits, value or None) or ("seq", length)."""

    def __init__(self, problems):
        self.problems = problems
        self.sizes = {}

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = self.sizes.get(id(node.left)) or _literal(node.left), \
            self.sizes.get(id(node.right)) or _literal(node.right)
        if left is None or right is None:
            return
        size = _combine(node.op, left, right)
        if size is None:
            return
        if size[0] == "int" and size[1] > MAX_INT_BITS:
            self.problems.append(f"第 {node.lineno} 行：整数常量过大（超过 {MAX_INT_BITS} 位二进制）")
        elif size[0] == "seq" and size[1] > MAX_OP_COST:
            self.problems.append(f"第 {node.lineno} 行：常量过长（超过 {MAX_OP_COST:,} 项）")
        else:
            self.sizes[id(node)] = size


def _literal(node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    if isinstance(node, ast.Constant):
        value = node.value
        if type(value) in (int, bool):
            return "int", value.bit_length(), abs(value)
        if isinstance(value, str):
            return "seq", len(value)
    if isinstance(node, ast.List | ast.Tuple) and not any(isinstance(e, ast.Starred) for e in node.elts):
        return "seq", len(node.elts)
    return None


def _combine(op, left, right):
    if left[0] == "int" and right[0] == "int":
        bits, value = right[1], right[2]
        if isinstance(op, ast.Pow):
            if left[2] is not None and left[2] <= 1:
                return "int", 1, left[2]
            if value is None:
                return "int", MAX_INT_BITS + 1, None
            bits = power_bits(left[1], left[2], value)
            return "int", bits, left[2] ** value if left[2] is not None and bits <= 64 else None
        if isinstance(op, ast.Mult):
            return "int", left[1] + bits, _product(left[2], value)
        if isinstance(op, ast.LShift):
            if value is None:
                return "int", MAX_INT_BITS + 1, None
            bits = left[1] + value
            return "int", bits, left[2] << value if left[2] is not None and bits <= 64 else None
        if isinstance(op, ast.Add):
            return "int", max(left[1], bits) + 1, None
        return None
    if isinstance(op, ast.Mult) and {left[0], right[0]} == {"int", "seq"}:
        seq, times = (left, right) if left[0] == "seq" else (right, left)
        count = times[2] if times[2] is not None else MAX_OP_COST + 1
        return "seq", seq[1] * count
    if isinstance(op, ast.Add) and left[0] == right[0] == "seq":
        return "seq", left[1] + right[1]
    return None


def _product(a, b):
    return a * b if a is not None and b is not None and a.bit_length() + b.bit_length() <= 64 else None


def power_bits(bits: int, base: int | None, exponent: int) -> int:
    """About how many bits `base ** exponent` has, from the base's bit length when its value is unknown."""
    return math.ceil(exponent * math.log2(base)) + 1 if base else bits * exponent
