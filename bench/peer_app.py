"""The peer: fastapi-users with the fastapi-users-db-dynamodb adapter and its JWT strategy.

Built the way its documentation shows, with one change for a fair comparison: pwdlib's
Argon2 hasher gets dynaguard's Argon2id parameters instead of its own defaults.

The peer runs in its own virtual environment (``.venv-peer``, made by ``bench/peer_env.py``):
fastapi-users-db-dynamodb 1.0.5 needs as-aiopynamodb, which imports a name that
aiobotocore removed in 3.8, so it cannot share our newer aiobotocore. FastAPI, Pydantic,
uvicorn and argon2-cffi are pinned there to the versions of our own environment.

    .venv-peer/bin/python -m bench.peer_app --port P --endpoint URL --table NAME
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.password import PasswordHelper
from fastapi_users_db_dynamodb import DynamoDBBaseUserTableUUID, DynamoDBUserDatabase
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from bench.uvicorn_options import UVICORN

__all__ = ["create_peer_app"]


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


class UserCreate(schemas.BaseUserCreate):
    pass


class UserUpdate(schemas.BaseUserUpdate):
    pass


def create_peer_app(
    endpoint: str, table: str, argon2: tuple[int, int, int], secret: str
) -> FastAPI:
    """The peer service on the DynamoDB engine at ``endpoint``."""

    class User(DynamoDBBaseUserTableUUID):
        class Meta:
            table_name = table
            region = "us-east-1"
            host = endpoint
            billing_mode = "PAY_PER_REQUEST"
            aws_access_key_id = "local"
            aws_secret_access_key = "local"

    time_cost, memory_cost, parallelism = argon2
    helper = PasswordHelper(PasswordHash((Argon2Hasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism),)))

    class UserManager(UUIDIDMixin, BaseUserManager[Any, uuid.UUID]):
        reset_password_token_secret = secret
        verification_token_secret = secret

    async def get_user_db() -> AsyncIterator[DynamoDBUserDatabase[Any, uuid.UUID]]:
        yield DynamoDBUserDatabase(User)

    async def get_user_manager(
        user_db: DynamoDBUserDatabase[Any, uuid.UUID] = Depends(get_user_db),  # noqa: B008
    ) -> AsyncIterator[UserManager]:
        yield UserManager(user_db, helper)

    def get_jwt_strategy() -> JWTStrategy[Any, uuid.UUID]:
        return JWTStrategy(secret=secret, lifetime_seconds=300)

    backend = AuthenticationBackend(name="jwt", transport=BearerTransport("auth/jwt/login"),
                                    get_strategy=get_jwt_strategy)
    users = FastAPIUsers[Any, uuid.UUID](get_user_manager, [backend])
    app = FastAPI(title="fastapi-users peer")
    app.include_router(users.get_auth_router(backend), prefix="/auth/jwt")
    app.include_router(users.get_register_router(UserRead, UserCreate), prefix="/auth")
    app.include_router(users.get_users_router(UserRead, UserUpdate), prefix="/users")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the peer for the benchmarks.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--argon2", required=True, help="time_cost,memory_kib,parallelism")
    args = parser.parse_args()
    t, m, p = (int(v) for v in args.argon2.split(","))
    app = create_peer_app(args.endpoint, args.table, (t, m, p), secret=os.urandom(32).hex())
    uvicorn.run(app, port=args.port, **UVICORN)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
