"""The forms of 用户解锁 are those of 忘记密码's by-code step."""
from idp.flows.recovery.forms import ContactForm, field, parse_captcha, parse_code, parse_contact

__all__ = ["ContactForm", "field", "parse_captcha", "parse_code", "parse_contact"]
