#!/usr/bin/env python3
"""Where the time of reading full records and search items goes, and what pydantic-core costs by itself: the
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

Then it reads the 10,000 search items of ``bench_runtime.py`` one by one, from the decoded
list, through the search item as generated, its two floors and an empty model that keeps
every key (the floor ``bench_runtime.py`` prints beside them).

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


def variant_of(
    model: Any, name: str, annotation: Any, keep: Callable[[str], bool]
) -> Any:
    """``model`` with each field whose API name ``keep`` refuses typed ``annotation``."""
    from pydantic import Field, create_model

    replaced = {
        python_name: (annotation, Field(None, validation_alias=info.validation_alias))
        for python_name, info in model.model_fields.items()
        if not keep(info.validation_alias)
    }
    variant = create_model(name, __base__=model, **replaced)
    variant.model_rebuild(force=True)
    return variant


def floors(model: Any) -> dict[str, Any]:
    """``model`` with every field ``Any``, and with every field a strict ``str | int``."""
    from pydantic import Field, Strict

    typed = Annotated[
        Annotated[str, Strict()] | Annotated[int, Strict()] | None,
        Field(union_mode="left_to_right"),
    ]
    return {
        "every field Any (floor)": variant_of(
            model, "AllAny", Any, lambda alias: False
        ),
        "every field a strict str | int": variant_of(
            model, "AllTyped", typed, lambda alias: False
        ),
    }


def record_variants(record: Any, kinds: dict[str, str]) -> dict[str, Any]:
    """The record's models to compare, by what their row says."""
    found: dict[str, Any] = {
        "as generated": record,
        "built a second time": variant_of(record, "Again", Any, lambda alias: True),
    }
    counts: dict[str, int] = {}
    for kind in kinds.values():
        counts[kind] = counts.get(kind, 0) + 1
    for kind, count in sorted(counts.items(), key=lambda item: -item[1]):
        if count >= 10:
            found[f"{kind} fields ({count}) read as Any"] = variant_of(
                record,
                f"No{kind}",
                Any,
                lambda alias, kind=kind: kinds.get(alias) != kind,
            )
    return found | floors(record)


def item_variants(item: Any) -> dict[str, Any]:
    """The search item's models to compare: as generated, the floors, an empty model."""
    from pydantic import BaseModel, ConfigDict

    class Empty(BaseModel):
        model_config = ConfigDict(extra="allow")

    return (
        {"as generated": item} | floors(item) | {"an empty model (extra kept)": Empty}
    )


def compare(
    models: dict[str, Any],
    source: str,
    inputs: list[bytes],
    rounds: int,
    each_alone: bool,
) -> None:
    """Print each model's ratio against ``json.loads`` of ``inputs``, interleaved: from dicts
    and, when the inputs are each one answer (``each_alone``), from the bytes."""
    context = {"source": source}
    decoded = [json.loads(raw) for raw in inputs]
    values = (
        [value for batch in decoded for value in batch] if not each_alone else decoded
    )

    def loads() -> None:
        for raw in inputs:
            json.loads(raw)

    def reading(model: Any, data: list[Any], method: str) -> Callable[[], None]:
        validate = getattr(model.__pydantic_validator__, method)

        def read() -> None:
            for each in data:
                validate(each, context=context)

        return read

    dicts: dict[str, list[float]] = {name: [] for name in models}
    raw: dict[str, list[float]] = {name: [] for name in models}
    for (
        model
    ) in models.values():  # a first pass builds validators and fills value caches
        reading(model, values, "validate_python")()
    for _ in range(rounds):
        for name, model in models.items():
            base = timed(loads)
            validated = timed(reading(model, values, "validate_python"))
            dicts[name].append((base + validated) / base)
            if each_alone:
                validated = timed(reading(model, inputs, "validate_json"))
                raw[name].append(validated / timed(loads))
    columns = ("from dicts", "from bytes") if each_alone else ("from dicts",)
    print(f"{'variant':40s}" + "".join(f" {column:>20s}" for column in columns))
    for name in models:
        cells = [
            f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"
            for values in (dicts[name], raw[name])
            if values
        ]
        print(f"{name:40s}" + "".join(f" {cell:>20s}" for cell in cells))


def main() -> None:
    args = arguments(__doc__)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        tenant = big_package(args, work)
        module = tenant.modules[0]
        sys.path.insert(0, str(work / "out"))
        import big_crm  # type: ignore[import-not-found]

        record = getattr(big_crm, module.entity.name)
        item = getattr(big_crm, module.search_item)
        for model in (record, item):
            model.from_api({})  # builds its validator (defer_build)
        kinds = kinds_of(tenant, module)
        _, items, records = payloads(tenant, module)
        summary = ", ".join(
            f"{sum(1 for kind in kinds.values() if kind == name)} {name}"
            for name in sorted(set(kinds.values()))
        )
        print(
            f"2,000 full records of {module.entity.name} ({len(kinds)} fields: {summary}); "
            f"{args.rounds} rounds, interleaved; ratios against json.loads of the same bytes"
        )
        compare(record_variants(record, kinds), "detail", records, args.rounds, True)
        print(
            f"\n10,000 search items of {module.entity.name} ({len(item.model_fields)} fields), "
            "read one by one from the decoded list; ratios against json.loads of the list"
        )
        compare(item_variants(item), "search", [items], args.rounds, False)


if __name__ == "__main__":
    main()
