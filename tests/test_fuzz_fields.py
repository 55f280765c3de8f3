"""Property-based fuzzing of the parsers behind every option and form field: any text
gives a value or the parser's own error naming the field, never another exception."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from damon_tui.damos.io import parse_one_line
from damon_tui.damos.presets import get_preset, parse_params
from damon_tui.errors import UserError
from damon_tui.tui.scheme_form import SchemeForm
from damon_tui.units import ULONG_MAX, UnitError, parse_number, parse_size, parse_time_us

#: texts shaped like numbers with units, plus anything at all
NUMBERISH = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"-?[0-9]{0,60}(\.[0-9]{0,5})?(e-?[0-9]{1,4})?\s?(ns|us|ms|s|m|h|d|K|M|G|"
                  r"T|%|aggr_intervals|samples)?", fullmatch=True),
    st.sampled_from(["inf", "-inf", "nan", "1e400", "9" * 5000, "max", "min", "0x1f"]),
)
FIELDS = [n for n in SchemeForm().names() if n not in ("extra",)]
PARAMS = [p.name for p in get_preset("reclaim").params if not p.readonly]


@settings(max_examples=300, deadline=None)
@given(NUMBERISH)
def test_unit_parsers_give_bounded_values_or_unit_errors(text):
    for parse in (parse_time_us, parse_size):
        try:
            value = parse(text, "f")
        except UnitError as e:
            assert str(e).startswith("f:") and "\n" not in str(e) and len(str(e)) < 300
        else:
            assert isinstance(value, int) and 0 <= value <= ULONG_MAX
    try:
        n = parse_number(text, "f")
    except UnitError:
        pass
    else:
        assert math.isfinite(n)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FIELDS), NUMBERISH)
def test_scheme_form_fields_never_raise(name, text):
    scheme, errors = SchemeForm().set(name, text).build()
    assert (scheme is None) != (errors is None)
    if errors:
        assert all(isinstance(v, str) and "\n" not in v for v in errors.values())


@settings(max_examples=200, deadline=None)
@given(st.lists(NUMBERISH, min_size=1, max_size=18))
def test_one_line_schemes_only_raise_user_errors(words):
    try:
        parse_one_line(" ".join(w.replace(";", "") or "0" for w in words))
    except UserError as e:
        assert "\n" not in str(e)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PARAMS), NUMBERISH)
def test_preset_params_only_raise_user_errors(name, text):
    try:
        params = parse_params(get_preset("reclaim"), [f"{name}={text}"])
    except UserError as e:
        assert name in str(e) or "--param" in str(e)
    else:
        value = params[name]
        assert not isinstance(value, int) or -1 <= value <= ULONG_MAX
