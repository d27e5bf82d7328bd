"""Backends of single lessons: the numbers a lesson page shows, computed without streamlit."""
