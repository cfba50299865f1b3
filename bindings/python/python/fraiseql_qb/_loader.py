"""Loads the native module, or the legacy-only stand-in when it cannot be imported.

``FRAISEQL_QB_DISABLE_NATIVE=1`` forces the stand-in (to rehearse the failure mode).
"""

from __future__ import annotations

import logging
import os

try:
    if os.environ.get("FRAISEQL_QB_DISABLE_NATIVE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise ImportError("disabled by FRAISEQL_QB_DISABLE_NATIVE")
    from . import _native as native

    NATIVE_AVAILABLE = True
except ImportError as err:  # wrong platform, broken install, or disabled on purpose
    from . import _fallback as native

    native.IMPORT_ERROR = err
    NATIVE_AVAILABLE = False
    logging.getLogger("fraiseql_qb.rollout").warning(
        "fraiseql_qb: the native compiler could not be loaded (%s); every query goes to the "
        "legacy builder and fraiseql_rust_query_builder_available is 0", err)
