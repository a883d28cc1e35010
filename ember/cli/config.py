"""Options from a JSON or TOML file (`--config`), merged under the command-line flags.

A file's keys are the option names without the leading dashes (`batch-size` or `batch_size`):

    # train.toml
    model = "lstm"
    epochs = 4
    batch-size = 64

Precedence, lowest first: the command's defaults, the file, the flags given on the command line.
"""
import argparse
import json
import os
import tomllib

__all__ = ["ConfigError", "read_config", "config_values"]


class ConfigError(Exception):
    """A config file that cannot be used; the message says which file, which key and what to do."""


def read_config(path):
    """The mapping in a `.json` or `.toml` file."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".json", ".toml"):
        raise ConfigError(f"config file {path}: expected a .json or .toml file, got {ext or 'no extension'!r}")
    try:
        if ext == ".toml":
            with open(path, "rb") as f:
                data = tomllib.load(f)
        else:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: no such file") from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"config file {path}: not valid {ext[1:].upper()}: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a table of option names to values at the top level, "
                          f"got a {type(data).__name__}")
    return data


def _options(parser):
    """{dest: action} for the options a file may set (not --help, not --config itself)."""
    return {a.dest: a for a in parser._actions
            if a.option_strings and a.dest not in ("help", "config") and not isinstance(a, argparse._HelpAction)}


def _check(path, key, action, value):
    flag = action.option_strings[-1]
    if action.type is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"config file {path}: {key!r} ({flag}) must be an integer, got {value!r}")
    if action.type in (None, str) and not isinstance(value, str):
        raise ConfigError(f"config file {path}: {key!r} ({flag}) must be a string, got {value!r}")
    if action.choices is not None and value not in action.choices:
        choices = ", ".join(repr(c) for c in action.choices)
        raise ConfigError(f"config file {path}: {key!r} ({flag}) must be one of {choices}, got {value!r}")
    return value


def config_values(parser, path):
    """The options set by the file at `path`, as {dest: value}, each checked as its flag would be."""
    options = _options(parser)
    values = {}
    for key, value in read_config(path).items():
        dest = str(key).replace("-", "_")
        if dest not in options:
            known = ", ".join(sorted(d.replace("_", "-") for d in options))
            raise ConfigError(f"config file {path}: unknown key {key!r}; the known keys are: {known}")
        values[dest] = _check(path, key, options[dest], value)
    return values
