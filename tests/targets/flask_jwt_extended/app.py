"""Flask with Flask-JWT-Extended, as the extension's documentation shows it.

The docs' basic usage (``/login`` issuing an access token for a JSON username and password,
``/protected`` behind ``@jwt_required()``, the ``"super-secret"`` key with its "Change
this!" comment) with the user table and the registration route a typical tutorial adds:
Flask-SQLAlchemy on a SQLite file, Werkzeug's password hashing. The method is PBKDF2-SHA256
with 20 000 iterations instead of Werkzeug's scrypt default (Werkzeug lets the app choose;
scrypt costs 0.4 s a login on this shared machine): still a real hash, whose cost the
login skips for an unknown username, so that difference stays measurable.

    .venv-targets/bin/python tests/targets/flask_jwt_extended/app.py --port P --data DIR
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flask import Flask, jsonify, request
from flask_jwt_extended import JWTManager, create_access_token, get_jwt_identity, jwt_required
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()
HASH_METHOD = "pbkdf2:sha256:20000"


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)


def create_app(database: Path) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    app.config["JWT_SECRET_KEY"] = "super-secret"  # Change this!
    jwt = JWTManager(app)  # noqa: F841
    db.init_app(app)
    with app.app_context():
        db.create_all()

    @app.route("/register", methods=["POST"])
    def register():
        username = request.json.get("username", None)
        password = request.json.get("password", None)
        if not username or not password:
            return jsonify({"msg": "Missing username or password"}), 400
        if User.query.filter_by(username=username).first():
            return jsonify({"msg": "User already exists"}), 409
        hashed = generate_password_hash(password, method=HASH_METHOD)
        user = User(username=username, password_hash=hashed)
        db.session.add(user)
        db.session.commit()
        return jsonify({"msg": "User created"}), 201

    @app.route("/login", methods=["POST"])
    def login():
        username = request.json.get("username", None)
        password = request.json.get("password", None)
        user = User.query.filter_by(username=username).one_or_none()
        if not user or not check_password_hash(user.password_hash, password):
            return jsonify({"msg": "Bad username or password"}), 401
        access_token = create_access_token(identity=username)
        return jsonify(access_token=access_token)

    @app.route("/protected", methods=["GET"])
    @jwt_required()
    def protected():
        current_user = get_jwt_identity()
        return jsonify(logged_in_as=current_user), 200

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True, help="directory for the database")
    args = parser.parse_args()
    app = create_app(args.data / "flask_jwt.sqlite3")
    app.run(host="127.0.0.1", port=args.port, threaded=True)


if __name__ == "__main__":
    main()
