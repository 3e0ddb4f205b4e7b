"""Pipeline stages: thin command-line entry points, one per DVC stage (`python -m stages.<name>`)."""
