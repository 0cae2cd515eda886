"""Survey answers (public: the link's token is the credential) and the property's survey list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from cloud.auth.deps import GuestDataUser, check_property
from cloud.core.deps import DbSession, request_time, services
from cloud.loyalty.feedback.service import Surveys
from cloud.loyalty.feedback.survey import COMMENT_MAX
from cloud.loyalty.models import Survey
from cloud.loyalty.schemas import SLUG

router = APIRouter(prefix="/api/v1/loyalty", tags=["loyalty"])
Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[str, int] = Field(max_length=10)
    comment: str = Field(default="", max_length=COMMENT_MAX)


class SurveyOut(BaseModel):
    id: str
    reservation_id: str
    site: str
    kind: str
    language: str
    channel: str
    created_at: datetime
    answered_at: datetime | None
    scores: dict[str, int]
    low: bool
    points: int
    comment: str = ""


def surveys_of(request: Request) -> Surveys:
    """The app's survey desk (wired with the stay history at check-out)."""
    found: Surveys | None = getattr(services(request).history, "surveys", None)
    if found is None:
        raise RuntimeError("the loyalty programme is not wired into the stay history")
    return found


def survey_out(desk: Surveys, survey: Survey, *, with_comment: bool) -> SurveyOut:
    out = SurveyOut.model_validate(survey, from_attributes=True)
    return out.model_copy(update={"comment": desk.comment_of(survey)}) if with_comment else out


@router.post("/surveys/{token}/answer", response_model=SurveyOut, status_code=201)
def answer(request: Request, db: DbSession, token: Token, body: AnswerIn) -> SurveyOut:
    """The guest's answer: scores 1-5 per department and free text; once."""
    desk = surveys_of(request)
    survey = desk.answer(db, token=token, scores=body.scores, comment=body.comment, now=request_time(request))
    return survey_out(desk, survey, with_comment=False)


@router.get("/properties/{site}/surveys", response_model=list[SurveyOut])
def surveys(
    request: Request,
    db: DbSession,
    user: GuestDataUser,
    site: Annotated[str, Path(pattern=SLUG)],
    low: bool = False,
) -> list[SurveyOut]:
    """The property's surveys, newest first (only the low-scored with ``low=true``)."""
    check_property(db, user, site)
    query = select(Survey).where(Survey.site == site).order_by(Survey.id.desc()).limit(200)
    if low:
        query = query.where(Survey.low.is_(True))
    desk = surveys_of(request)
    return [survey_out(desk, s, with_comment=True) for s in db.scalars(query)]
