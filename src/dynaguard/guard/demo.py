"""The demo resource ``/notes``: a user sees and deletes only their own notes."""


from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from dynaguard.errors import NotFound
from dynaguard.guard.openapi import PROBLEM_RESPONSES
from dynaguard.guard.principal import Principal
from dynaguard.guard.services import Services
from dynaguard.store.items import NoteItem

__all__ = ["build_notes_router"]


class NewNote(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


class Note(BaseModel):
    id: str
    text: str
    created_at: int

    @classmethod
    def of(cls, item: NoteItem) -> "Note":
        return cls(id=item.id, text=item.text, created_at=item.created_at)


def build_notes_router(services: Any, reader: Any, writer: Any) -> APIRouter:
    """``reader`` and ``writer`` are auth markers demanding ``notes:read`` / ``notes:write``."""
    router = APIRouter(prefix="/notes", tags=["notes"], responses=PROBLEM_RESPONSES)
    Svc = Annotated[Services, Depends(services)]  # noqa: N806 -- a type alias
    Reader = Annotated[Principal, reader]  # noqa: N806
    Writer = Annotated[Principal, writer]  # noqa: N806

    @router.get("", response_model=list[Note])
    async def list_notes(user: Reader, svc: Svc) -> list[Note]:
        return [Note.of(n) for n in await svc.notes.for_user(user.id)]

    @router.post("", response_model=Note, status_code=201)
    async def add_note(body: NewNote, user: Writer, svc: Svc) -> Note:
        return Note.of(await svc.notes.add(user.id, body.text))

    @router.get("/{note_id}", response_model=Note)
    async def get_note(note_id: str, user: Reader, svc: Svc) -> Note:
        note = await svc.notes.get(user.id, note_id[:64])
        if note is None:
            raise NotFound("No such note.")
        return Note.of(note)

    @router.delete("/{note_id}", status_code=204)
    async def delete_note(note_id: str, user: Writer, svc: Svc) -> Response:
        if not await svc.notes.delete(user.id, note_id[:64]):
            raise NotFound("No such note.")
        return Response(status_code=204)

    return router
