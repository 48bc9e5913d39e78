"""The panel's routes, one module per page family."""
