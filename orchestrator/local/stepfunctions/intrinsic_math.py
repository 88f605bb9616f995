"""`States.MathRandom(start, end[, seed])` as the intrinsic-functions page defines it: "a random number between the
specified start number (inclusive) and end number (exclusive)"
(https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html). moto drew with `randint`, whose end
is inclusive: `States.MathRandom(1, 2)` could answer 2. Found by `orch local conformance`."""

from __future__ import annotations

import random
from typing import Any

from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared


def bind_intrinsic_math(seam_set: SeamSet) -> None:
    def eval_body(function: Any, env: Any) -> None:
        function.argument_list.eval(env=env)
        args = env.stack.pop()
        seed = None
        if function.argument_list.size == 3:
            seed = args.pop()
            function._validate_integer_value(seed, "seed")
        end = function._validate_integer_value(args.pop(), "end")
        start = function._validate_integer_value(args.pop(), "start")
        env.stack.append(random.Random(seed).randrange(start, end))  # noqa: S311 - not for secrets: the ASL's dice

    seam_set.replace(declared.MATH_RANDOM_END_EXCLUSIVE, eval_body)
