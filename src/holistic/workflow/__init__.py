"""The workflow spec shared by the Snakefile and dvc.yaml (see ``spec``): job grid, params keys,
code dependencies. ``stage`` (the Stage type) and ``codedeps`` import no study."""
