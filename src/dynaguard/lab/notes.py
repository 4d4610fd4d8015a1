"""The demo resource ``/notes`` and the admin route ``/admin/users``.

Notes are keyed by their own id (``NOTE#<id>``) with the owner as an attribute, the
design in which forgetting the owner check is easy.
``bola``: GET /notes/{id} never compares the owner with the caller.
``missing_route_auth``: DELETE /notes/{id} was written without its auth dependency.
``bfla``: GET /admin/users asks only for a signed-in caller, not for the admin scope.
"""

# No `from __future__ import annotations`: FastAPI must see the Annotated dependencies.

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from dynaguard.lab.attributes import int_attr, str_attr
from dynaguard.lab.auth import Caller, LabAuth
from dynaguard.lab.errors import LabError
from dynaguard.lab.schemas import NewNote
from dynaguard.lab.state import Lab
from dynaguard.lab.store import RawItem

__all__ = ["build_admin_router", "build_notes_router"]

NoteId = Annotated[str, Path(min_length=1, max_length=64)]


def _note(item: RawItem) -> dict[str, Any]:
    return {"id": str_attr(item, "id"), "owner": str_attr(item, "owner"),
            "text": str_attr(item, "text"), "created_at": int_attr(item, "created_at")}


def _not_found() -> LabError:
    return LabError(404, "Not found", "No such note.")


def build_notes_router(lab: Lab, auth: LabAuth) -> APIRouter:
    router = APIRouter(prefix="/notes", tags=["notes"])
    Reader = Annotated[Caller, auth.require("notes:read")]  # noqa: N806 -- a type alias
    Writer = Annotated[Caller, auth.require("notes:write")]  # noqa: N806

    @router.get("")
    async def list_notes(caller: Reader) -> list[dict[str, Any]]:
        return [_note(n) for n in await lab.store.notes_of(caller.user_id)]

    @router.post("", status_code=201)
    async def add_note(body: NewNote, caller: Writer) -> dict[str, Any]:
        return _note(await lab.store.add_note(caller.user_id, body.text))

    @router.get("/{note_id}")
    async def get_note(note_id: NoteId, caller: Reader) -> dict[str, Any]:
        note = await lab.store.get_note(note_id)
        if note is None:
            raise _not_found()
        if not lab.on("bola") and str_attr(note, "owner") != caller.user_id:
            raise _not_found()
        return _note(note)

    if lab.on("missing_route_auth"):
        @router.delete("/{note_id}", status_code=204)
        async def delete_any_note(note_id: NoteId) -> Response:
            if not await lab.store.delete_note(note_id):
                raise _not_found()
            return Response(status_code=204)
    else:
        @router.delete("/{note_id}", status_code=204)
        async def delete_note(note_id: NoteId, caller: Writer) -> Response:
            note = await lab.store.get_note(note_id)
            if note is None or str_attr(note, "owner") != caller.user_id:
                raise _not_found()
            await lab.store.delete_note(note_id)
            return Response(status_code=204)

    return router


def build_admin_router(lab: Lab, auth: LabAuth) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["admin"])
    # The bfla flaw: "only staff know this URL", so any signed-in caller will do.
    guard = auth.current if lab.on("bfla") else auth.admin()
    Admin = Annotated[Caller, guard]  # noqa: N806 -- a type alias

    @router.get("/users")
    async def list_users(caller: Admin) -> list[dict[str, Any]]:
        """Every account (scope ``admin``, and MFA unless the flaw is on)."""
        return [{"id": str_attr(u, "id"), "email": str_attr(u, "email")}
                for u in await lab.store.list_users()]

    return router
