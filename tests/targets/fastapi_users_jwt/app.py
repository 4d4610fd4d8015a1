"""fastapi-users with its JWT strategy on SQLite, as the library's documentation shows it.

The "full example" of the fastapi-users docs (SQLAlchemy, bearer transport, JWT strategy),
with three changes: the database is a SQLite file given on the command line, the JWT secret
is random per process (the docs' placeholder ``"SECRET"`` would make the target a weak-secret
demo), and the password hasher is pwdlib's Argon2 with its cheapest parameters (the stack
lets us choose; it keeps the corpus fast). Nothing else is shaped for the scanner.

    .venv-targets/bin/python tests/targets/fastapi_users_jwt/app.py --port P --data DIR
"""

# Written the way the library's docs write it: dependencies as argument defaults.
# ruff: noqa: B008

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.db import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from fastapi_users.password import PasswordHelper
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

SECRET = os.urandom(32).hex()


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


class UserCreate(schemas.BaseUserCreate):
    pass


class UserUpdate(schemas.BaseUserUpdate):
    pass


def create_app(database: Path) -> FastAPI:
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}")
    session_maker = async_sessionmaker(engine, expire_on_commit=False)
    cheapest = Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1)
    helper = PasswordHelper(PasswordHash((cheapest,)))

    async def get_async_session() -> AsyncGenerator[AsyncSession, None]:
        async with session_maker() as session:
            yield session

    async def get_user_db(session: AsyncSession = Depends(get_async_session)):
        yield SQLAlchemyUserDatabase(session, User)

    class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
        reset_password_token_secret = SECRET
        verification_token_secret = SECRET

        async def on_after_register(self, user: User, request: Request | None = None) -> None:
            print(f"User {user.id} has registered.")

        async def on_after_forgot_password(
            self, user: User, token: str, request: Request | None = None
        ) -> None:
            print(f"User {user.id} has forgot their password.")

        async def on_after_request_verify(
            self, user: User, token: str, request: Request | None = None
        ) -> None:
            print(f"Verification requested for user {user.id}.")

    async def get_user_manager(user_db=Depends(get_user_db)):
        yield UserManager(user_db, helper)

    bearer_transport = BearerTransport(tokenUrl="auth/jwt/login")

    def get_jwt_strategy() -> JWTStrategy:
        return JWTStrategy(secret=SECRET, lifetime_seconds=3600)

    auth_backend = AuthenticationBackend(
        name="jwt", transport=bearer_transport, get_strategy=get_jwt_strategy)
    fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])
    current_active_user = fastapi_users.current_user(active=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield

    app = FastAPI(lifespan=lifespan)
    app.include_router(fastapi_users.get_auth_router(auth_backend),
                       prefix="/auth/jwt", tags=["auth"])
    app.include_router(fastapi_users.get_register_router(UserRead, UserCreate),
                       prefix="/auth", tags=["auth"])
    app.include_router(fastapi_users.get_reset_password_router(), prefix="/auth", tags=["auth"])
    app.include_router(fastapi_users.get_verify_router(UserRead), prefix="/auth", tags=["auth"])
    app.include_router(fastapi_users.get_users_router(UserRead, UserUpdate),
                       prefix="/users", tags=["users"])

    @app.get("/authenticated-route")
    async def authenticated_route(user: User = Depends(current_active_user)):
        return {"message": f"Hello {user.email}!"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True, help="directory for the database")
    args = parser.parse_args()
    app = create_app(args.data / "fastapi_users.sqlite3")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
