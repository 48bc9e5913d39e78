"""Domain services: `do_*` acts, `check_*` validates, `access_*` fetches with a permission check.

Services take a session and keyword arguments and never commit: the caller owns the transaction.
"""
