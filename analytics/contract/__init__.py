"""The data contract (``shared/DATA_CONTRACT.md``) as data: tables, codes, typed frames, user errors, templates.

The bottom layer: imports nothing else of ``analytics``.
"""
