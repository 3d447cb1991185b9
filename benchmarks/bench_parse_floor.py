#!/usr/bin/env python3
"""Where the time of reading full records goes, and what pydantic-core costs by itself: the
evidence behind the parse rows of ``bench_runtime.py`` that miss their targets.

It generates the large synthetic tenant's package (as ``bench_runtime.py`` does), takes the
first module's record, and reads the same 2,000 full GET records through variants of that
record's model, round after round, interleaved, each as a ratio against ``json.loads`` of the
same bytes: from dicts (``json.loads``, then the validator) and from the bytes (the validator's
``validate_json``). The validator is called directly, with the detail context, in every variant.

- the record as generated, and the same model built a second time: two builds of one schema
  differ only by where their validators land in memory, so their difference is the noise of
  any comparison between two builds;
- the record with the fields of one kind read as ``Any``: what reading that kind costs;
- every field ``Any`` (the floor of any model of these fields), and every field a strict
  ``str | int`` check (the floor of any model that checks its values' types at all).

    python benchmarks/bench_parse_floor.py [--rounds 5] [--modules 30] [--fields 300]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_runtime import arguments, big_package, payloads, timed  # noqa: E402

from generator.model import Module, Tenant  # noqa: E402

CONTEXT = {"source": "detail"}


def kinds_of(tenant: Tenant, module: Module) -> dict[str, str]:
    """Each field's API name -> its kind: ``Enum`` and ``Set`` for option fields, else the
    schema's type (``DateTime``, ``Int``, ``Text``, ``File``, …)."""
    styles = {choice.name: choice.style for choice in tenant.choice_types}
    kinds = {}
    for field in module.entity.fields:
        style = styles.get(field.choice) if field.choice is not None else None
        if style is not None:
            kinds[field.api_name] = "Set" if style == "flag" else "Enum"
        else:
            kinds[field.api_name] = str(field.kind)
    return kinds


def variants(record: Any, kinds: dict[str, str]) -> dict[str, Any]:
    """The models to compare, by what their row says."""
    from pydantic import Field, Strict, create_model

    def with_fields(name: str, annotation: Any, keep: Callable[[str], bool]) -> Any:
        replaced = {
            python_name: (
                annotation,
                Field(None, validation_alias=info.validation_alias),
            )
            for python_name, info in record.model_fields.items()
            if not keep(info.validation_alias)
        }
        model = create_model(name, __base__=record, **replaced)
        model.model_rebuild(force=True)
        return model

    found: dict[str, Any] = {
        "as generated": record,
        "built a second time": with_fields("Again", Any, lambda alias: True),
    }
    counts: dict[str, int] = {}
    for kind in kinds.values():
        counts[kind] = counts.get(kind, 0) + 1
    for kind, count in sorted(counts.items(), key=lambda item: -item[1]):
        if count >= 10:
            found[f"{kind} fields ({count}) read as Any"] = with_fields(
                f"No{kind}", Any, lambda alias, kind=kind: kinds.get(alias) != kind
            )
    found["every field Any (floor)"] = with_fields("AllAny", Any, lambda alias: False)
    found["every field a strict str | int"] = with_fields(
        "AllTyped",
        Annotated[
            Annotated[str, Strict()] | Annotated[int, Strict()] | None,
            Field(union_mode="left_to_right"),
        ],
        lambda alias: False,
    )
    return found


def main() -> None:
    args = arguments(__doc__)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        tenant = big_package(args, work)
        module = tenant.modules[0]
        sys.path.insert(0, str(work / "out"))
        import big_crm  # type: ignore[import-not-found]

        record = getattr(big_crm, module.entity.name)
        record.from_api({})  # builds its validator (defer_build)
        kinds = kinds_of(tenant, module)
        _, _, records = payloads(tenant, module)
        decoded = [json.loads(raw) for raw in records]
        models = variants(record, kinds)
        summary = ", ".join(
            f"{sum(1 for kind in kinds.values() if kind == name)} {name}"
            for name in sorted(set(kinds.values()))
        )
        print(
            f"2,000 full records of {module.entity.name} ({len(kinds)} fields: {summary}); "
            f"{args.rounds} rounds, interleaved; ratios against json.loads of the same bytes"
        )

        def loads() -> None:
            for raw in records:
                json.loads(raw)

        def reading(model: Any, inputs: list[Any], method: str) -> Callable[[], None]:
            validate = getattr(model.__pydantic_validator__, method)

            def read() -> None:
                for each in inputs:
                    validate(each, context=CONTEXT)

            return read

        dicts: dict[str, list[float]] = {name: [] for name in models}
        raw: dict[str, list[float]] = {name: [] for name in models}
        for name, model in models.items():  # a first pass fills the value caches
            reading(model, decoded, "validate_python")()
            reading(model, records, "validate_json")()
        for _ in range(args.rounds):
            for name, model in models.items():
                base = timed(loads)
                validated = timed(reading(model, decoded, "validate_python"))
                dicts[name].append((base + validated) / base)
                validated = timed(reading(model, records, "validate_json"))
                raw[name].append(validated / timed(loads))
        print(f"{'variant':40s} {'from dicts':>20s} {'from bytes':>20s}")
        for name in models:
            cells = [
                f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"
                for values in (dicts[name], raw[name])
            ]
            print(f"{name:40s} {cells[0]:>20s} {cells[1]:>20s}")


if __name__ == "__main__":
    main()
