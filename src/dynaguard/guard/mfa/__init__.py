"""Multi-factor authentication (CWE-308, CWE-309): TOTP, recovery codes, passkeys, step-up.

Import the submodules directly; this package module stays empty so that the login flow
can use the policy and the tickets without an import cycle.
"""
