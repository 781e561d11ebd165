"""text → program: the `.arch` language.

In: text (an `errors.Source`). Out: an `ir.Program`, frozen dataclasses with source spans; its
values become sympy only through `values`. Imports maths and errors/escapes only; the one
package that imports lark (a future `importers/` front end will produce the same IR).
"""
