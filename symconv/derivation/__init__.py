"""program → derivation: run the program through the layer registry, symbolically.

In: an `ir.Program` (and sizes fixed from the start, if any). Out: a `model.Derivation`, the
per-layer records as sympy expressions. Imports layers, language, maths and errors/escapes;
never solving, analysis, render, frameworks, the API or the CLI (render attaches
`Derivation.render`, `to_dict` and the Jupyter forms when it is imported).
"""
