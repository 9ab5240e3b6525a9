"""What the four business systems share, written once: see README.md beside this package."""
from mock_systems.common.app import create_system_app
from mock_systems.common.profile import DEMO_LOCAL_PASSWORD, DemoAccount, SystemProfile, demo_accounts
from mock_systems.common.settings import SystemSettings, settings_for

__all__ = ["DEMO_LOCAL_PASSWORD", "DemoAccount", "SystemProfile", "SystemSettings", "create_system_app",
           "demo_accounts", "settings_for"]
