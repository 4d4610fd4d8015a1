"""``dynaguard audit``: a read-only, white-box audit of a DynamoDB user table.

It reports in the scanner's terms (findings with CWE, OWASP and SOC 2, a score and a
grade) so every report writer and CI gate of ``dynaguard scan`` works on it unchanged.
"""

from dynaguard.audit.engine import AuditConfig, run_audit

__all__ = ["AuditConfig", "run_audit"]
