"""The Applications page's views, one module per section: compression, super-resolution, watermark removal,
memorisation (pages/applications.py calls them; aelab.lessons.applications computes)."""
from ui.applications.common import SECTIONS, section_picker
from ui.applications.compression import compression_section
from ui.applications.memorisation import memorisation_section
from ui.applications.superres import superres_section, watermark_section

__all__ = ["SECTIONS", "compression_section", "memorisation_section", "section_picker",
           "superres_section", "watermark_section"]
