"""`opskit config check|show`: validate environments.toml and show what opskit read."""

from __future__ import annotations

import typer

from opskit.cli.common import Output, OutputOption, emit, load_config_only, print_json, progress


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Check and show environments.toml.", no_args_is_help=True)
    group.command("check")(check)
    group.command("show")(show)
    app.add_typer(group, name="config")


def check(ctx: typer.Context) -> None:
    """Validate the config: exit 0 if valid, else one line naming file, line and key (exit 3)."""
    config = load_config_only(ctx)
    envs = ", ".join(config.env_names())
    progress(
        f"{config.path}: ok ({len(config.environments)} environments: {envs}; "
        f"{len(config.clusters)} clusters; {len(config.services)} services)"
    )


def show(ctx: typer.Context, output: OutputOption = Output.table) -> None:
    """Show the config as opskit understands it (defaults filled in)."""
    config = load_config_only(ctx)
    if output is Output.json:
        data = config.model_dump(mode="json", by_alias=True)
        data["path"] = str(config.path)
        print_json(data)
        return
    rows = [
        {
            "environment": name,
            "account": env.account_id,
            "regions": env.regions,
            "protected": env.protected,
            "colour": env.colour,
            "roles": {level: config.role_name(name, level) for level in config.access},
            "services": len(config.services_in(name)),
        }
        for name in config.env_names()
        for env in [config.environments[name]]
    ]
    progress(f"{config.path} (ops account {config.ops.account_id}, login {config.ops.login})")
    emit(rows, output)
