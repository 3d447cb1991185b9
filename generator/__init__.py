"""minicrm-codegen: a typed Python client generator for MiniCRM (R3 API) systems.

The pipeline runs one way, one module a stage::

    fetch (live system) -> snapshot (lock file) -> build_model (intermediate model)
        -> render (templates) -> write (safe output folder)
"""

__version__ = "0.1.0"
