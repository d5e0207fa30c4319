"""Hostile strings the suite pushes through every input and looks for in every output."""

#: Classic cross-site scripting strings. Each fits a one-line field of 120 characters and passes
#: the text validators (the bidi one only in multi-line text; it is stored by the factories):
#: they must come out as text, never as markup.
XSS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</script><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<a href="javascript:alert(1)">click</a>',
    "<!-- --><iframe src=//evil.example>",
    "{{ request.user }} {% debug %} ${7*7}",
    "]]></summary><x:evil xmlns:x='urn:x'/><![CDATA[",
    "Smith & Sons <b>bold</b> &amp; &lt;",
    "\u202etxt.exe <i>bidi</i>",
    "' OR '1'='1'; DROP TABLE directory_organization; --",
]

#: What a spreadsheet would run as a formula if a CSV cell started with it.
CSV_FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","click")',
]

PAYLOADS = XSS + CSV_FORMULAS

#: Characters no text field may store (see directory/validators.py), one per family.
UNSTORABLE = {
    "NUL": "\x00",
    "BEL": "\x07",
    "ESC": "\x1b",
    "DEL": "\x7f",
    "C1": "\x9b",
    "replacement": "\ufffd",
    "non-character": "\uffff",
}

#: Values for query parameters and path segments that have broken parsers and queries.
ODD_VALUES = [
    "' OR 1=1 --",
    "%_%",
    "\\",
    "a\x00b",
    "١٢٣٤٥",
    "80302\n",
    "-1",
    "1e309",
    "9" * 40,
    "[]",
    "<script>alert(1)</script>",
    "\ufffd",
    "2026-01-01T25:00:00Z",
    "x" * 3000,
]
