"""The forms of 用户解锁: those of the by-code step it shares with 忘记密码 (idp.flows.contact_forms)."""
from idp.flows.contact_forms import ContactForm, field, parse_captcha, parse_code, parse_contact

__all__ = ["ContactForm", "field", "parse_captcha", "parse_code", "parse_contact"]
