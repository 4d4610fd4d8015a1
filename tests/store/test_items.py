"""Stored-item models: a faithful item parses back to itself, an unfaithful one is corrupt."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from dynaguard.errors import CorruptItem
from dynaguard.store.codec import encode_item
from dynaguard.store.items import (
    AccountState,
    EmailClaimItem,
    KeyItem,
    NoteItem,
    OneTimeTokenItem,
    RefreshItem,
    SessionItem,
    SessionState,
    StoredItem,
    UserItem,
    corrupt_item_count,
    parse_gate,
    parse_item,
)

SECRET_HASH = "$argon2id$v=19$m=8,t=1,p=1$c2VjcmV0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA"

SAMPLES: list[StoredItem] = [
    UserItem(pk="USER#u1", sk="PROFILE", gsi1pk="USERS", gsi1sk="a@example.com", id="u1",
             email="a@example.com", password_hash=SECRET_HASH, enabled=True,
             email_verified=False, scopes=["notes:read"], credentials_version=3,
             mfa_enabled=False, created_at=1_700_000_000),
    EmailClaimItem(pk="EMAIL#a@example.com", sk="CLAIM", user_id="u1"),
    SessionItem.open(
        SessionState(id="s1", user_id="u1", scopes=[], amr=["pwd"], expires_at=3,
                     account=AccountState(id="u1", email="a@example.com", email_verified=True,
                                          scopes=["notes:read"], mfa_enabled=False,
                                          credentials_version=0, created_at=1)),
        created_at=1, user_agent="ua", address="127.0.0.1"),
    RefreshItem(pk="REFRESH#h", sk="REFRESH", session_id="s1", user_id="u1", used=True,
                created_at=1, expires_at=2),
    OneTimeTokenItem(pk="TOKEN#h", sk="TOKEN", purpose="verify-email", user_id="u1",
                     used=False, created_at=1, expires_at=2),
    KeyItem(pk="KEYRING", sk="KEY#k", kid="k", alg="EdDSA", public_key="cHVi",
            private_key_encrypted=b"\x00\x01sealed", created_at=1),
    NoteItem(pk="USER#u1", sk="NOTE#n1", id="n1", user_id="u1", text="hello", created_at=1),
]


def _int_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, field in model.model_fields.items()
            if field.annotation in (int, int | None)]


@pytest.mark.parametrize("item", SAMPLES, ids=lambda item: type(item).__name__)
def test_stored_item_parses_back_to_itself(item: StoredItem) -> None:
    """Every model survives encode → DynamoDB attribute values → parse unchanged."""
    assert parse_item(type(item), encode_item(item.model_dump())) == item


@pytest.mark.parametrize(("model", "field"), [
    pytest.param(type(item), field, id=f"{type(item).__name__}.{field}")
    for item in SAMPLES for field in _int_fields(type(item))
])
@pytest.mark.parametrize("number", ["1.5", "0.5", "-2.25", "1700000000.000001"])
def test_fractional_number_in_an_int_field_is_corrupt(
    model: type[StoredItem], field: str, number: str,
) -> None:
    """A Decimal that is not a whole number is refused, never rounded into an int."""
    (sample,) = [item for item in SAMPLES if type(item) is model]
    raw = encode_item(sample.model_dump())
    raw[field] = {"N": number}
    before = corrupt_item_count()
    with pytest.raises(CorruptItem):
        parse_item(model, raw)
    assert corrupt_item_count() == before + 1


def test_int_fields_are_found() -> None:
    """The parametrization above covers the int fields that decide expiry and revocation."""
    assert {"credentials_version", "created_at", "expires_at"} <= set(_int_fields(UserItem))
    assert {"last_used_at", "created_at"} <= set(_int_fields(SessionItem))
    assert {"credentials_version", "created_at"} <= set(_int_fields(AccountState))


@pytest.mark.parametrize(("field", "value"), [
    ("enabled", {"S": "true"}), ("enabled", {"N": "1"}), ("email", {"N": "1"}),
    ("credentials_version", {"S": "0"}), ("credentials_version", {"BOOL": False}),
    ("scopes", {"S": "admin"}), ("id", {"S": "u2"}), ("pk", {"S": "USER#u2"}),
])
def test_strict_models_refuse_coercion_and_foreign_keys(field: str, value: Any) -> None:
    """No coercion ("true" is not True) and a user item must sit under its own key."""
    raw = encode_item(SAMPLES[0].model_dump())
    raw[field] = value
    with pytest.raises(CorruptItem):
        parse_item(UserItem, raw)


def test_corrupt_item_log_names_fields_never_values(capsys: pytest.CaptureFixture[str]) -> None:
    """The log line of a corrupt item says which fields are wrong, not what they held."""
    raw = encode_item(SAMPLES[0].model_dump())
    raw["enabled"] = {"S": "definitely-not-a-bool"}
    raw["password_hash"] = {"N": "314159"}
    with pytest.raises(CorruptItem):
        parse_item(UserItem, raw)
    logged = capsys.readouterr().out
    assert "corrupt_item" in logged
    assert "enabled" in logged
    for value in ("definitely-not-a-bool", "314159", "a@example.com", "u1"):
        assert value not in logged


SESSION = next(item for item in SAMPLES if isinstance(item, SessionItem))


@pytest.mark.parametrize(("change", "value"), [
    ("revoked", {"BOOL": True}),  # revoked, yet with a gate
    ("gate", {"S": SESSION.gate.replace('"s1"', '"s2"') if SESSION.gate else ""}),
    ("gate", {"S": SESSION.gate.replace('"u1"', '"u2"') if SESSION.gate else ""}),
    ("gate", {"S": SESSION.gate.replace('"expires_at":3', '"expires_at":4')
              if SESSION.gate else ""}),
    ("gate", {"S": "{}"}),
    ("gate", {"N": "1"}),
])
def test_a_session_gate_must_name_its_session(change: str, value: Any) -> None:
    """The gate is present exactly while the session is live, and names that session."""
    raw = encode_item(SESSION.model_dump())
    raw[change] = value
    with pytest.raises(CorruptItem):
        parse_item(SessionItem, raw)


def test_a_live_session_without_its_gate_is_corrupt() -> None:
    raw = encode_item(SESSION.model_dump())
    del raw["gate"]
    with pytest.raises(CorruptItem):
        parse_item(SessionItem, raw)
    revoked = parse_item(SessionItem, {**raw, "revoked": {"BOOL": True}})
    assert revoked.state() is None
    assert revoked.scopes == []


@pytest.mark.parametrize("gate", [
    {"S": "not json"}, {"S": '{"id": "s1"}'}, {"N": "1"}, {"L": []},
    {"S": (SESSION.gate or "").replace('"email_verified":true', '"email_verified":"true"')},
    {"S": (SESSION.gate or "").replace('"amr":["pwd"]', '"amr":["pwd"],"admin":true')},
])
def test_a_damaged_gate_read_alone_is_corrupt(gate: Any) -> None:
    """What a request reads by projection is validated as strictly as the whole item."""
    before = corrupt_item_count()
    with pytest.raises(CorruptItem):
        parse_gate({"gate": gate})
    assert corrupt_item_count() == before + 1


def test_the_gate_read_alone_is_the_sessions_state() -> None:
    assert SESSION.gate is not None
    assert parse_gate({"gate": {"S": SESSION.gate}}) == SESSION.state()
    assert parse_gate({}) is None
