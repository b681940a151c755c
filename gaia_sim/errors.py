"""User-facing errors: the CLI prints these as one readable line and exits with status 2."""


class UserError(Exception):
    """Bad input from the user (file, key, value). Message names the file, the key path and what is allowed."""

    exit_code = 2
