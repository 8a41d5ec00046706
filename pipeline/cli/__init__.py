"""The command line: the parser and its errors (``main``), the commands (``commands``) and ``serve``."""
