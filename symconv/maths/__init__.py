"""What every stage shares: the symbols for sizes, window arithmetic, exact integer evaluation
and how a formula prints.

In and out: sympy expressions and Python integers. Imports no other symconv package (errors and
escapes at most), so that every stage may import it.
"""
