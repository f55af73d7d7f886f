"""The store: SQL tables for the contract and the application, read back as typed frames; the import.

Above ``analytics.contract``; below everything that reads or writes records.
"""
