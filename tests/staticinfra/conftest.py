"""Fixtures for the staticinfra tests (the Molecule scenario's stand-ins live in ebs_lab.py)."""
