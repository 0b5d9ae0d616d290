"""The workflow spec shared by the Snakefile and dvc.yaml (see ``spec``, which re-exports its
modules: ``paths``, ``generic``, ``grid``, ``checks``, ``deps``, ``resources``): job grid, params
keys, code dependencies. Only the entry points (``spec``, ``dvc``, ``__main__``) import studies."""
