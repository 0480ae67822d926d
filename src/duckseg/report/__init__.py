"""Comparative segment reports: tables (Parquet), a self-contained HTML page, a notebook view."""

from duckseg.report.build import build_report, choose_snapshots
from duckseg.report.config import ReportConfig, load_report_config
from duckseg.report.result import Report
from duckseg.report.schemas import SCHEMAS

__all__ = [
    "SCHEMAS",
    "Report",
    "ReportConfig",
    "build_report",
    "choose_snapshots",
    "load_report_config",
]
