"""The business systems are separate applications: they reach the portal over HTTP only and
never import its code (issue 4; README "The pieces")."""
from __future__ import annotations

import subprocess
import sys

from mock_systems import SYSTEMS
from mock_systems.common.settings import PROJECT_ROOT


def test_no_business_system_imports_the_portal():
    imports = "; ".join(f"import mock_systems.{name}" for name in SYSTEMS)
    check = ("import sys; " + imports + "; import mock_systems.common.app; "
             "leaked = sorted(m for m in sys.modules if m == 'idp' or m.startswith('idp.')); "
             "print(leaked); sys.exit(1 if leaked else 0)")
    result = subprocess.run([sys.executable, "-c", check], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
