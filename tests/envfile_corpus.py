"""Tricky values for the env-file writer: what secrets and config really hold.

Every value here is something a real env file has been seen to carry (or to
mangle): quotes of each kind, backslashes, every ``$`` form the readers treat
specially, backticks, ``#``, whitespace including unicode spaces, line breaks
of each style, PEM keys, JSON, right-to-left and zero-width text, control
characters, and a 64 KiB value.  A seeded mix of the dangerous characters
adds the combinations nobody would think to write by hand.

The corpus is data, not a test: the round-trip tests write each value with
each ``readers`` setting and read it back with the real programs.
"""

from __future__ import annotations

import random

PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
    "NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n"
    "-----END PRIVATE KEY-----"
)

QUOTES = [
    "'", '"', "`", "''", '""', "``", "'\"", "\"'", "'\"`",
    "it's", 'say "hi"', "`tick`", "'quoted'", '"dq"', "a'b", 'a"b', "a`b",
    "'lead", "trail'", '"lead', 'trail"', "`lead", "trail`",
    "it's \"both\"", "'both' \"kinds\" `three`", "don't # stop", '"x" # y',
    "'a b'", '"a b"', "' padded '", "it's ", " 'x'", "x'y'z", 'x"y"z',
    "O'Brien", "she said \"it's fine\"", "''''", '""""', "'\"'\"",
]

BACKSLASHES = [
    "\\", "\\\\", "\\\\\\", "ends\\", "ends\\\\", "\\start", "a\\b", "C:\\new\\table",
    "C:\\Users\\me\\", "a\\nb", "a\\rb", "a\\tb", "\\n", "\\r\\n", "x\n\\n",
    "a\\_b", "\\_", "\\{", "\\}", "\\{x\\}", "a\\qb", "\\$", "\\$HOME", "a\\'b",
    'a\\"b', "\\'", '\\"', "\\0", "\\012", "\\x41", "\\u00e9", "\\U0001F600", "\\a\\b\\f\\v",
    "^\\d+\\.\\d+$", "\\\\server\\share", "it's\\", "\\#", "a\\ b", "\\`", "# \\",
]

DOLLARS = [
    "$", "$$", "$$$", "a$", "$a", "$1", "$0", "$_", "$-", "$?", "$!", "$#", "$@", "$*",
    "$HOME", "$HOME/x", "${HOME}", "${HOME}/x", "${", "a${b", "${HOME", "}${", "$}",
    "${}", "${ }", "${X:-d}", "${X-d}", "${X:+a}", "${X+a}", "${a}b${c}", "${X:-}",
    "$(id)", "$(echo hi)", "a$(b", "$()", "$((1+1))", "`id`", "$'a\\nb'", "$'a\nb'",
    "$\"x\"", "$ $", "$'x", "p$w0rd", "pa$$word", "$$HOME", "\\$$", "$\\",
    "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
    "$6$rounds=5000$salt$hash", "cost $5", "USD$", "$ 5", "a$ b", "$.x", "$-x",
    "${X}$", "$${X}", "$\n", "${\n}", "$'", "$\"", "$`", "${a:b}", "${a\nb}",
]

#: Values that run a command if a reader evaluates them; the tests check that no
#: ``ran-*`` file appears in the readers' working directory.
COMMANDS = [
    "$(touch ran-dollar)", "`touch ran-tick`", "x;touch ran-semicolon", "x|touch ran-pipe",
    "x&&touch ran-and", '"$(touch ran-dq)"', "'$(touch ran-sq)'", "it's $(touch ran-q)",
    "$(touch ran-nl)\n", "x\n`touch ran-multi`", "\\$(touch ran-bs)",
]

HASHES = [
    "#", "##", "a#b", "a #b", "a\t#b", "#start", "# comment", "x # y", "p#ss # not a comment",
    "#!", "#'", '#"', "a#", "# ", " #", "#\n#",
]

WHITESPACE = [
    "", " ", "  ", "\t", " leading", "trailing ", "\ttab\t", "two words", "a  b",
    "a\tb", "\v", "\f", "a\vb", "a\fb", "\u00a0", "\u00a0nbsp\u00a0", "em\u2003space",
    "\u2003lead", "trail\u2003", "\u3000ideo", "\u1680ogham", "a\u202fb", "a\u205fb",
    "\u0085nel", "a\u0085b", "line\u2028sep", "para\u2029sep", "\u2028", "\u200a",
]

LINE_BREAKS = [
    "\n", "\r", "\r\n", "\n\n", "a\nb", "a\rb", "a\r\nb", "a\n", "\na", "a\r", "\ra",
    "a\r\n", "line1\nline2\nline3", "a\n\nb", "a\r\rb", "a\n\rb", "mixed\r\nand\nlf",
    "multi\nit's", 'multi\n"dq"', "multi\n'\"", "multi\n#x", "multi\n$x", "multi\n${x}",
    "multi\n`x`", "multi\n\\", "multi\\\nx", " \n ", "\t\n\t",
]

STRUCTURED = [
    PEM, PEM + "\n", PEM.replace("\n", "\r\n"), PEM.replace("\n", "\\n"),
    '{"a":1}', '{"a": "b", "c": [1, 2, 3]}', '{"nested":{"k":"v"}}', '{"p":"$x"}',
    '{"s":"line\\nbreak"}', '{"q":"it\'s"}', "[1,2,3]", '["a", "b"]', "{}",
    "postgres://user:p%40ss@db.example.com:5432/app?sslmode=require",
    "mongodb+srv://u:p@cluster0.example.net/?retryWrites=true&w=majority",
    "https://example.com/path?a=1&b=2#frag", "redis://:secret@localhost:6379/0",
    "amqp://guest:guest@localhost:5672/%2f", "key=value;other=thing", "a=b=c", "=",
    "==", "base64/abc+def==", "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_", "~", "~/x", "a~b", "*", "?", "[a]",
    "{a,b}", ";", "|", "&", ">", "<", "!", "!!", "(", ")", "%", "^", "@", "a;b",
    "a|b", "a&b", "a>b", "<a>", "a!b", "x*y", "(a)", "1", "0", "-1", "true", "null",
    "--flag=value", "-", "'$HOME'", '"$HOME"', "'${X}'",
]

UNICODE = [
    "caf\u00e9", "na\u00efve", "\u00fcber", "\u65e5\u672c\u8a9e", "\u79d8\u5bc6",
    "\U0001f600", "\U0001f510 key", "\u2603", "\u05e9\u05dc\u05d5\u05dd",
    "\u0645\u0631\u062d\u0628\u0627", "abc\u202edcba", "\u202bembedded\u202c", "\u200e\u200f",
    "zero\u200bwidth", "zw\u200cnj\u200d", "\ufeffbom", "word\u2060joiner", "e\u0301",
    "\u00a9\u00ae\u2122", "\u0394\u03b5\u03bb\u03c4\u03b1", "\u041f\u0440\u0438\u0432\u0435\u0442",
    "\U0001d54f", "\u0130stanbul", "\uffff", "\ufffd",
]

CONTROL = [chr(c) for c in (1, 2, 7, 8, 0x1B, 0x1F, 0x7F)] + [
    "a\x00b", "\x00", "bell\x07", "esc\x1b[31mred\x1b[0m", "a\x1cb", "\x7fdel",
]

BIG = [
    "".join(random.Random(64).choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            for _ in range(64 * 1024)),
    ("0123456789abcdef" * 63 + "\n") * 64,
]

#: Characters the readers treat specially, mixed by a seeded generator.
MIX_ALPHABET = "aZ0 \t\n\r#${}()'\"`\\=:n_\u00e9\u00a0\u2603~!;|"


def _mixes(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(MIX_ALPHABET) for _ in range(rng.randint(1, 8)))
        for _ in range(count)
    ]


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


HAND_PICKED = _unique(
    QUOTES + BACKSLASHES + DOLLARS + COMMANDS + HASHES + WHITESPACE + LINE_BREAKS + STRUCTURED
    + UNICODE + CONTROL + BIG
)

#: The whole corpus: the hand-picked values, then seeded mixes of special characters.
CORPUS: list[str] = _unique(HAND_PICKED + _mixes(120, seed=20261130))
