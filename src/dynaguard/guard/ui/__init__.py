"""The hosted sign-in pages under ``/ui``: sign in (password, second factor, passkey),
register, password recovery, the account, its second factors and its sessions.

Server-rendered HTML forms that work without JavaScript; only the WebAuthn ceremonies use
a small script of our own. Every page calls the flow functions the JSON API calls.
"""
