"""Secrets out of everything bakeoff prints or writes: one list of what looks secret, and
the redaction of URLs, free text, command lines and known secret values.

Results are meant to be published next to the numbers, so whatever passes through here
must never carry a credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl, quote, unquote, urlsplit

REDACTED = "***"

# Names of query parameters (and option keys) whose value is a secret. Deliberately loose:
# hiding a harmless value costs little, publishing a password costs a lot.
_SECRET_NAME = re.compile(
    # "token" but not Cassandra's num_tokens / initial_token, which are ring settings.
    r"passw|passphrase|^pass$|pwd|secret|(?<!initial_)token(?!s)|api[-_]?key|credential",
    re.IGNORECASE,
)

# scheme://user:password@ — the password runs to an '@'. Passwords may hold '/', '?' or '#'
# unencoded, which is why the authority is not cut at those. A raw '@' in a password is
# what urlsplit (and so redis-py and others) accept too, so the password runs on to a later
# '@' as long as no '/', '?' or '#' comes between: of `redis://:p@ss@host/0`, no `ss` shows.
#
# Every pattern here must stay linear on long text without whitespace (an error message
# can carry a 2 MB workload name): a scheme is only tried at the start of a run of scheme
# characters (a later start in the same run ends at the same place), and names of query
# parameters stop at the next separator.
_SCHEME = r"(?<![A-Za-z0-9+.-])[0-9+.-]*+[A-Za-z][A-Za-z0-9+.-]*+://"
_USERINFO_HEAD = re.compile(rf"{_SCHEME}[^:@/\s]*+:")
# In free text a password ends at whitespace; a URL is one value, spaces and all.
_TEXT_PASSWORD = (re.compile(r"[@\s]"), re.compile(r"[^@/?#\s]*+@"))
_URL_PASSWORD = (re.compile(r"@"), re.compile(r"[^@/?#]*+@"))
_TEXT_SECRET_PARAM = re.compile(r"(?P<head>[?&;](?P<name>[^=&;#?\s]++)=)(?P<value>[^&;#\s]*+)")


def looks_secret(name: str) -> bool:
    """Whether a parameter or option name suggests its value is a credential."""
    return _SECRET_NAME.search(name) is not None


def redact_url(url: str) -> str:
    """The URL with its password, and any secret-looking query parameter, replaced by ***.

    The user name is kept (it tells a reader which role ran the benchmark). Works on any
    scheme://[user[:password]@]host... form, SQLAlchemy's `dialect+driver://` included.
    """
    head = _USERINFO_HEAD.match(url)
    if head:
        url = _hide_passwords(url, [head], _URL_PASSWORD)
    base, hash_sign, fragment = url.partition("#")
    base, question, query = base.partition("?")
    if not question:
        return url
    return f"{base}?{_redact_query(query)}{hash_sign}{fragment}"


def _redact_query(query: str) -> str:
    parts = re.split(r"([&;])", query)
    for i in range(0, len(parts), 2):
        name, eq, _value = parts[i].partition("=")
        if eq and looks_secret(unquote(name)):
            parts[i] = f"{name}={REDACTED}"
    return "".join(parts)


def redact_text(text: str) -> str:
    """Any URL credential embedded in free text (an error message, an argv item) hidden."""
    text = _hide_passwords(text, _USERINFO_HEAD.finditer(text), _TEXT_PASSWORD)

    def param(m: re.Match[str]) -> str:
        if m.group("value") and looks_secret(unquote(m.group("name"))):
            return f"{m.group('head')}{REDACTED}"
        return m.group(0)

    return _TEXT_SECRET_PARAM.sub(param, text)


def _hide_passwords(
    text: str, heads: Iterable[re.Match[str]], password: tuple[re.Pattern[str], re.Pattern[str]]
) -> str:
    """`text` with the password after each `scheme://user:` head replaced by ***.

    `password` is what ends a password (an '@' ends it, anything else gives it up) and what
    continues it past a raw '@'.
    """
    stops, continues = password
    out: list[str] = []
    done = 0  # text[:done] is in `out`
    dead = -1  # from a head before this, no '@' comes before whitespace or the end
    for head in heads:
        start = head.end()
        if head.start() < done or start < dead:
            continue
        stop = stops.search(text, start)
        if stop is None or stop.group() != "@":
            dead = len(text) if stop is None else stop.start()
            continue
        end = stop.start()
        if end == start:
            continue  # no password
        while (more := continues.match(text, end + 1)) is not None:
            end = more.end() - 1
        out += [text[done:start], REDACTED]
        done = end
    return "".join(out) + text[done:]


def url_secrets(url: str) -> list[str]:
    """The secrets a URL carries, in every spelling they may show up in messages."""
    parts = urlsplit(url)
    found = [parts.password or ""]
    found += [v for k, v in parse_qsl(parts.query) if looks_secret(k)]
    spellings = {s for value in found if value for s in (value, unquote(value), quote(value))}
    return sorted(spellings, key=len, reverse=True)


def redact(text: str, secret_values: Sequence[str]) -> str:
    """`text` with each of the known `secret_values` replaced by ***."""
    for value in secret_values:
        if value:
            text = text.replace(value, REDACTED)
    return text


def redact_argv(argv: Sequence[str]) -> list[str]:
    """The command line with URL credentials and values of secret-looking options hidden."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        name, eq, value = arg.partition("=")
        if arg.startswith("-") and looks_secret(name):
            if eq:
                out.append(f"{name}={REDACTED}" if value else arg)
            else:
                hide_next = True
                out.append(arg)
            continue
        out.append(redact_text(arg))
    return out
