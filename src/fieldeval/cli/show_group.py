"""A command group whose default command is `show`: `fieldeval failures SUITE` shows it."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click.core import Context  # typer's own click, which TyperGroup builds on


class ShowByDefault(TyperGroup):
    """A group whose first argument, when it is not a command, is the suite to `show`."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            first = args[0]
            close = difflib.get_close_matches(first, list(self.commands), n=1, cutoff=0.75)
            if close and not Path(first).exists():
                from fieldeval.errors import UserError

                # `failures sugest x.yaml` is a typo, not a suite called "sugest"
                raise UserError(
                    f"no command {first!r} in `fieldeval {ctx.info_name}`",
                    hint=f"did you mean {close[0]!r}? (commands: {', '.join(self.commands)})",
                )
            args = ["show", *args]
        return super().parse_args(ctx, args)
