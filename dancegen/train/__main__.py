"""``python -m dancegen.train …`` (and ``torchrun … -m dancegen.train …``): the ``dancegen train`` command."""

from dancegen.train.commands import main

if __name__ == "__main__":
    main()
