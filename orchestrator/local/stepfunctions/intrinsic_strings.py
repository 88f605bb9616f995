"""String literals of intrinsic functions and `States.Format`, as AWS reads them.

https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html ("Reserved characters in intrinsic
functions"): `'`, `{`, `}` and `\\` are reserved in an intrinsic's string literal and escaped with a backslash: `\\'`
is `'`, `\\{` is `{`, `\\}` is `}`, `\\\\` is `\\`; in the JSON of a definition each backslash is written twice.
`States.Format` replaces each `{}` of its template with the next argument, so an escaped `\\{\\}` stays a literal
pair of braces.

moto 5.2.5 differs three times over (the seams are declared in orchestrator/local/seams/services.py):

- it parses the intrinsic from the field's JSON text with its JSON escapes left in (`preprocessor.py:1661`), so the
  intrinsic parser sees `\\\\'` where the definition means `\\'`: the literal ends early and the rest fails to lex;
- its literal unescaping (`intrinsic/preprocessor.py`, `_text_of_str`) keeps `\\'`, `\\{`, `\\}` and `\\\\` as
  written;
- `StringFormat` formats with Python's `str.format`, where any brace is a field: an escaped brace (or `{name}`) of a
  template fails with KeyError or IndexError (States.Runtime), and the escapes, already gone, cannot tell a literal
  `{}` from a placeholder.

So a literal keeps the text it was written with (`local_escaped`), and `States.Format` reads a literal template
from that text; a template from a path or variable has no escapes, only `{}` placeholders.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from orchestrator.local import seams
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

_P: Final[str] = "moto.stepfunctions.parser.asl"

# moto reads \n, \t and \r in a literal as the control characters (AWS does too: aws-cdk issue 27304); AWS's
# reserved characters stand for themselves once escaped, as does a letter; any other escape is kept as written.
_CONTROL: Final[dict[str, str]] = {"n": "\n", "t": "\t", "r": "\r"}
_RESERVED: Final[str] = "'{}\\\""
_ESCAPE: Final = re.compile(r"\\(.)", re.DOTALL)
_ESCAPE_OR_PLACEHOLDER: Final = re.compile(r"\\(.)|\{\}", re.DOTALL)
_PLACEHOLDER: Final = re.compile(r"\{\}")


def unescape(text: str) -> str:
    """An intrinsic's string literal (between its quotes) as the value it stands for."""
    return _ESCAPE.sub(lambda match: _escaped(match[1]), text)


def _escaped(character: str) -> str:
    if character in _CONTROL:
        return _CONTROL[character]
    return character if character in _RESERVED or character.isalpha() else "\\" + character


def format_template(template: str, values: list[str], *, escaped: bool) -> str:
    """`template` with each `{}` replaced by the next of `values`; `escaped`: a literal as written, whose escapes
    are read (an escaped brace is never a placeholder). Raises ValueError unless there is one value per `{}`."""
    remaining = iter(values)

    def substitute(match: re.Match[str]) -> str:
        if match[0] != "{}":
            return _escaped(match[1])
        try:
            return next(remaining)
        except StopIteration:
            raise ValueError(f"States.Format: more {{}} in '{template}' than the {len(values)} values given") from None

    result = (_ESCAPE_OR_PLACEHOLDER if escaped else _PLACEHOLDER).sub(substitute, template)
    if next(remaining, None) is not None:
        raise ValueError(f"States.Format: fewer {{}} in '{template}' than the {len(values)} values given")
    return result


def bind_intrinsic_strings(seam_set: SeamSet) -> None:
    """Binds the intrinsic-string fixes into `seam_set` (parse time: the parse cache keys on this module's text)."""
    intrinsic_parser = seams.read(f"{_P}.parse.intrinsic.intrinsic_parser.IntrinsicParser")
    string_intrinsic_function = seams.read(f"{_P}.component.common.string.string_expression.StringIntrinsicFunction")
    argument_literal = seams.read(f"{_P}.component.intrinsic.argument.argument.ArgumentLiteral")

    def visit_string_intrinsic_function(_preprocessor: Any, ctx: Any) -> Any:
        text = ctx.STRINGINTRINSICFUNC().getText()
        try:
            derivation = json.loads(text)  # the field's value, its JSON escapes read
        except ValueError:
            derivation = text[1:-1]  # moto's reading
        function, _ = intrinsic_parser.parse(derivation)
        return string_intrinsic_function(intrinsic_function_derivation=derivation, function=function)

    def visit_func_arg_string(_preprocessor: Any, ctx: Any) -> Any:
        written = ctx.STRING().getText()[1:-1]
        literal = argument_literal(definition_value=unescape(written))
        literal.local_escaped = written  # for States.Format: which braces were escaped
        return literal

    def format_eval_body(string_format: Any, env: Any) -> None:
        string_format.argument_list.eval(env=env)
        template, *values = env.stack.pop()
        written = getattr(string_format.argument_list.arguments[0], "local_escaped", None)
        text_values = [string_format._to_str_repr(value) for value in values]
        env.stack.append(
            format_template(written if written is not None else template, text_values, escaped=written is not None)
        )

    seam_set.replace(declared.INTRINSIC_FIELD_DECODED, visit_string_intrinsic_function)
    seam_set.replace(declared.INTRINSIC_LITERAL_ESCAPES, visit_func_arg_string)
    seam_set.replace(declared.FORMAT_PLACEHOLDERS, format_eval_body)
