"""FastAPI's own tutorial "OAuth2 with Password (and hashing), Bearer with JWT tokens".

The docs' app (``OAuth2PasswordRequestForm`` at ``POST /token``, PyJWT HS256 tokens of 30
minutes, pwdlib hashing, a dummy hash verified for unknown users, ``/users/me/`` and
``/users/me/items/``) with the two things a real app built from it adds: users keyed by
email (the form's ``username`` field holds the email) and a JSON registration whose schema
says ``email`` (``EmailStr``), kept in a SQLite file. The secret is random per process
(the docs tell you to make one with ``openssl rand -hex 32``); the Argon2 parameters are
pwdlib's cheapest (the stack lets us choose; it keeps the corpus fast).

    .venv-targets/bin/python tests/targets/fastapi_oauth2_email/app.py --port P --data DIR
"""

import argparse
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from jwt.exceptions import InvalidTokenError
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pydantic import BaseModel, EmailStr

SECRET_KEY = os.urandom(32).hex()
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 30

password_hash = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
DUMMY_HASH = password_hash.hash("dummypassword")


class Token(BaseModel):
    access_token: str
    token_type: str


class TokenData(BaseModel):
    username: str | None = None


class User(BaseModel):
    email: EmailStr
    full_name: str | None = None
    disabled: bool | None = None


class UserCreate(BaseModel):
    email: EmailStr
    password: str
    full_name: str | None = None


class UserInDB(User):
    hashed_password: str


class Item(BaseModel):
    item_id: str
    owner: EmailStr


def create_app(database: Path) -> FastAPI:
    conn = sqlite3.connect(database, check_same_thread=False)
    conn.execute("CREATE TABLE IF NOT EXISTS users (email TEXT PRIMARY KEY, full_name TEXT,"
                 " hashed_password TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0)")
    oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

    def verify_password(plain_password: str, hashed_password: str) -> bool:
        return password_hash.verify(plain_password, hashed_password)

    def get_password_hash(password: str) -> str:
        return password_hash.hash(password)

    def get_user(email: str) -> UserInDB | None:
        row = conn.execute("SELECT email, full_name, hashed_password, disabled FROM users"
                           " WHERE email = ?", (email,)).fetchone()
        if row is None:
            return None
        return UserInDB(email=row[0], full_name=row[1], hashed_password=row[2],
                        disabled=bool(row[3]))

    def authenticate_user(email: str, password: str) -> UserInDB | bool:
        user = get_user(email)
        if not user:
            verify_password(password, DUMMY_HASH)
            return False
        if not verify_password(password, user.hashed_password):
            return False
        return user

    def create_access_token(data: dict, expires_delta: timedelta | None = None) -> str:
        to_encode = data.copy()
        expire = datetime.now(UTC) + (expires_delta or timedelta(minutes=15))
        to_encode.update({"exp": expire})
        return jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)

    async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> UserInDB:
        credentials_exception = HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
        try:
            payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
            username = payload.get("sub")
            if username is None:
                raise credentials_exception
            token_data = TokenData(username=username)
        except InvalidTokenError:
            raise credentials_exception from None
        user = get_user(email=token_data.username)
        if user is None:
            raise credentials_exception
        return user

    async def get_current_active_user(
        current_user: Annotated[User, Depends(get_current_user)],
    ) -> User:
        if current_user.disabled:
            raise HTTPException(status_code=400, detail="Inactive user")
        return current_user

    app = FastAPI()

    @app.post("/users/", response_model=User, status_code=201)
    async def create_user(user: UserCreate) -> User:
        if get_user(user.email):
            raise HTTPException(status_code=400, detail="Email already registered")
        conn.execute("INSERT INTO users (email, full_name, hashed_password) VALUES (?, ?, ?)",
                     (user.email, user.full_name, get_password_hash(user.password)))
        conn.commit()
        return User(email=user.email, full_name=user.full_name, disabled=False)

    @app.post("/token")
    async def login_for_access_token(
        form_data: Annotated[OAuth2PasswordRequestForm, Depends()],
    ) -> Token:
        user = authenticate_user(form_data.username, form_data.password)
        if not user:
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Incorrect username or password",
                headers={"WWW-Authenticate": "Bearer"},
            )
        access_token_expires = timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
        access_token = create_access_token(
            data={"sub": user.email}, expires_delta=access_token_expires
        )
        return Token(access_token=access_token, token_type="bearer")

    @app.get("/users/me/", response_model=User)
    async def read_users_me(
        current_user: Annotated[User, Depends(get_current_active_user)],
    ) -> User:
        return current_user

    @app.get("/users/me/items/")
    async def read_own_items(
        current_user: Annotated[User, Depends(get_current_active_user)],
    ) -> list[Item]:
        return [Item(item_id="Foo", owner=current_user.email)]

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True, help="directory for the database")
    args = parser.parse_args()
    app = create_app(args.data / "fastapi_oauth2.sqlite3")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
