"""Views: what a person set on each page of the app, as typed values that travel in links and lesson files.

Declared in aelab.views.pages (one frozen dataclass per page); their fields' link formats in aelab.views.codecs and
aelab.views.values. The app binds them to its widgets (ui/common/view_state.py); the CLI reads them from a query
string (parse_query)."""
from aelab._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".base": "View parse_query query_text",
    ".pages": "AppView PAGE_VIEWS VIEWS_BY_SCOPE",
    ".values": "Bitmap ImageRef Selection",
})
__all__ = __dir__()
