"""``python -m dancegen.lifecycle …``: the ``dancegen pipeline`` commands."""

from dancegen.lifecycle.commands import main

if __name__ == "__main__":
    main()
