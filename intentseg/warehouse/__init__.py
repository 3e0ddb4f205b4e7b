"""Databases in and out: snapshots of SQL queries as Parquet, and the export written back as a table."""
