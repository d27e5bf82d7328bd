"""rnnviz: small recurrent networks trained live and inspected exactly.

Plain Python + torch; never imports streamlit. See ARCHITECTURE.md for the map.
"""

from rnnviz.errors import InputError

__all__ = ["InputError"]
