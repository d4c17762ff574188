"""Intake's citizen-facing web form (Bahasa Indonesia): form, confirmation, cek status."""

from services.intake.web.routes import WebForm, build_web_router, problem_page_html

__all__ = ["WebForm", "build_web_router", "problem_page_html"]
