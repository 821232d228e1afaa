"""A module push_code.py imports: bundled with it, found when the function runs."""


def total(a: int, b: int) -> int:
    return a + b
