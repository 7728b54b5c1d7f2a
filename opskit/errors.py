"""Every error opskit reports to a user, and the exit code each one maps to.

One table, one place: front ends catch ``OpskitError`` and print ``str(error)`` as a
single line, then exit with ``error.exit_code``. Nothing else decides exit codes.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes (README, "Exit codes")."""

    OK = 0
    FAILURE = 1  # unexpected failure (a bug, or something we could not classify)
    USAGE = 2  # bad command line, bad parameter, unknown environment or service
    CONFIG = 3  # environments.toml missing or invalid
    AUTH = 4  # no credentials, MFA failed, role assumption denied, AccessDenied
    AWS = 5  # AWS (or the sandbox) failed: throttled past retries, 5xx, unreachable
    PARTIAL = 6  # some environments answered, some failed: the result is partial
    REFUSED = 7  # a guard refused the change: protected env, read-only, freeze, stale plan, lock
    CHANGE_FAILED = 8  # a change was applied but failed verification (rolled back or not)
    DRIFT = 9  # `opskit drift` found differences (the report is on stdout): CI gates on it
    INTERRUPTED = 130  # Ctrl-C
    PIPE_CLOSED = 141  # stdout closed by its reader (`| head`): 128 + SIGPIPE, as git log does


class OpskitError(Exception):
    """Base of every error a user may see. ``str()`` is the one line we print."""

    exit_code: ExitCode = ExitCode.FAILURE


class UsageError(OpskitError):
    exit_code = ExitCode.USAGE


class ConfigError(OpskitError):
    """environments.toml is missing or invalid; the message names file, line and key."""

    exit_code = ExitCode.CONFIG


class AuthError(OpskitError):
    """Credentials are missing, MFA failed, or AWS denied the caller."""

    exit_code = ExitCode.AUTH


class AwsError(OpskitError):
    """AWS (or an AWS-compatible endpoint) failed in a way retries did not cure."""

    exit_code = ExitCode.AWS


class PartialResult(OpskitError):
    exit_code = ExitCode.PARTIAL


class RefusedError(OpskitError):
    """A guard refused a change before anything was touched."""

    exit_code = ExitCode.REFUSED


class ChangeFailed(OpskitError):
    """A change was applied and then failed (and was rolled back where possible)."""

    exit_code = ExitCode.CHANGE_FAILED


class Interrupted(OpskitError):
    exit_code = ExitCode.INTERRUPTED


class PipeClosed(OpskitError):
    """The reader of stdout went away (``opskit audit log | head -1``): end quietly."""

    exit_code = ExitCode.PIPE_CLOSED


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code for any exception, including ones from outside opskit.

    The one mapping every front end uses (the CLI's ``opskit.cli.main.invoke``): command-line
    parser errors reach it already turned into ``UsageError``.
    """
    if isinstance(error, OpskitError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, BrokenPipeError):
        return ExitCode.PIPE_CLOSED
    return ExitCode.FAILURE


def one_line(error: BaseException) -> str:
    """``str(error)`` on one line (what a user sees: never a traceback, never a newline)."""
    return " ".join(str(error).split()) or type(error).__name__
