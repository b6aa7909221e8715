"""Pure planning code: earliest-slot search and backlog recovery (plain data in, plain data out).

Nothing here imports Django or another geste package: services build the inputs from the
database, call these functions and write the results themselves.
"""
