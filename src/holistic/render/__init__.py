"""Presentation: the one place for number formats, CSV and Markdown tables (``tables``),
PNG figures (``figures``), metric labels (``labels``) and HTML pages (``html``).

Every result document of the platform is written through these helpers, so the same
number is printed the same way everywhere and every file is byte-for-byte reproducible.
"""
