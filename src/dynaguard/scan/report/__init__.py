"""Report writers: each renders a :class:`~dynaguard.scan.findings.ScanResult`."""
