"""A hostile tenant: every naming case of the foundation issue, unknown types, empty option maps,
a 63-bit Set, a 2,000-option enum, modules with equal or empty names, and code-injection canaries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.snapshot import Snapshot


def canary_payloads(canary: Path) -> list[str]:
    """Labels that would create ``canary`` if any generated file pasted them as code."""
    path = str(canary)
    return [
        f'"""; open({path!r}, "w"); """',
        f"'''; open({path!r}, 'w'); '''",
        f'"); open({path!r}, "w"); ("',
        f"'); open({path!r}, 'w'); ('",
        f"\\\"; open({path!r}, 'w') #",
        f"\nopen({path!r}, 'w')\n",
        f"{{{{ cycler.__init__.__globals__.os.system('touch {path}') }}}}",
        f"{{% set x = cycler.__init__.__globals__.os.system('touch {path}') %}}",
        f"#}}\nimport os; os.system('touch {path}')",
    ]


NAMES = [
    "Értékesítés",
    "Ügyfélszolgálat",
    "Привет мир",
    "客户关系管理",
    "🚀 Launch 🎉",
    "1. alkalom - kezdő",
    "class",
    "None",
    "print",
    "model_config",
    "model_dump",
    "schema",
    "copy",
    "dict",
    "json",
    "ﬁle",
    "file",
    "E-mail",
    "EMail",
    "Email",
    "",
    "   ",
    "x" * 3000,
    "quote \" and ' both",
    "back\\slash\\",
    "line\nbreak",
    "nul\x00byte",
    "{{ 7 * 7 }}",
    "{% raw %}",
    'ends with quote"',
    # Names of a search's own keywords, and of the keywords function's (issue 10).
    "Search",
    "Page",
    "Self",
    "Query",
    "Deleted",
    "Status Group",
    "Filters",
    "Sales Filters",
]


def hostile_endpoints(canary: Path) -> dict[str, Any]:
    labels = NAMES + canary_payloads(canary)
    modules = {
        str(10 + index): label
        for index, label in enumerate(
            [
                "Sales",
                "sales",
                "",
                "",
                "Client",
                "Business",
                "Sales Filters",
                "Parse Webhook",
                *labels[:12],
            ]
        )
    }
    users = {str(5000 + index): label for index, label in enumerate(labels)}
    custom: dict[str, Any] = {
        "Float1910": "Float",
        "Html": "Html",
        "Bad": "Text(abc)",
        "Empty": [],
        "EmptyMap": {},
        "Big": {str(2**bit): f"Bit {bit}" for bit in range(64)},
        "Huge": {str(100000 + index): f"Option {index}" for index in range(2000)},
        "Checkbox": {"1": "Yes"},
    }
    for index, label in enumerate(labels):
        custom[label if label not in custom else f"{label}{index}"] = {
            str(7000 + index): label,
            str(8000 + index): label,
        }
        custom[f"Enum{index}"] = {
            str(9000 + position): other for position, other in enumerate(labels)
        }
    project = {
        "Id": "Int",
        "CategoryId": modules,
        "ContactId": "Int",
        "StatusId": {str(20 + i): l for i, l in enumerate(labels)},
        "UserId": users,
        "Name": "Text(128)",
        **custom,
    }
    endpoints: dict[str, Any] = {
        "Category": modules,
        "Category?Detailed=1": {
            key: {"Id": int(key), "Name": name, "Type": "Generic"}
            for key, name in modules.items()
        },
        "Schema/Business": {
            "Id": "Int",
            "Type": {"1": "Cég", "2": "Személy"},
            **{label: "Text(64)" for label in labels},
        },
        "Schema/Person": {
            "Id": "Int",
            "Type": {"1": "Cég", "2": "Személy"},
            "UserId": users,
        },
    }
    for key in modules:
        endpoints[f"Schema/Project/{key}"] = project
    return endpoints


def hostile_snapshot(canary: Path) -> Snapshot:
    return Snapshot(
        hostile_endpoints(canary), "http://127.0.0.1:1/Api/R3", 'sys"; import os #\n'
    )
