"""``python -m dancegen`` runs the CLI (torchrun uses ``torchrun … -m dancegen train …``)."""

from dancegen.cli import main

if __name__ == "__main__":
    main()
