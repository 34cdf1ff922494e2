#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "familypairing.settings")
    # A developer's checkout sets neither variable: management commands (makemigrations, check,
    # shell) then run in development mode. A deployment sets SECRET_KEY (and DEBUG=0), so nothing
    # changes there, and wsgi/celery never take this default.
    if "SECRET_KEY" not in os.environ and "DEBUG" not in os.environ:
        os.environ["DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
