"""The dossier transitions as functions (mock_systems/drug/dossier_transitions.py): each checks
the state and the revision in one conditional UPDATE, so of two concurrent submits, changes,
deletes (or a submit and a delete) exactly one wins and the loser is told why."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from mock_systems.drug.access import Actor
from mock_systems.drug.dossier_transitions import (
    DossierRefused,
    change_dossier,
    create_draft,
    delete_draft,
    edit_draft,
    submit_dossier,
)
from mock_systems.drug.models import DossierEvent, ExportDossier, ExportDossierVersion
from tests.mock_systems.drug.conftest import LEGAL

CODE = "91110105PDY0001752"
VALUES = {"generic_name": "阿莫西林胶囊", "english_name": "", "dosage_form": "胶囊剂", "strength": "0.25g",
          "approval_number": "国药准字H20000001", "holder": "", "manufacturer": "示例药业股份有限公司",
          "manufacturing_address": "", "destination": "越南", "package_spec": "24粒/盒", "remarks": ""}
ROUNDS = 4


@pytest.fixture
async def actor(drug) -> Actor:
    account = await drug.bind(LEGAL)
    return Actor(account_id=account.id, account_type="legal_person", enterprise_code=CODE, enterprise_name="",
                 name="李四", csrf_token="unused")


async def run(drug, transition, *args):
    """One transition in a transaction of its own: the dossier, or the refusal's message id."""
    try:
        async with drug.system.sessionmaker.begin() as db:
            return await transition(db, *args)
    except DossierRefused as refused:
        return refused.message_id


async def new_draft(drug, actor) -> ExportDossier:
    return await run(drug, create_draft, actor, dict(VALUES))


async def scalar(drug, query):
    async with drug.system.sessionmaker() as db:
        return await db.scalar(query)


async def test_each_transition_checks_the_state_first(drug, actor):
    draft = await new_draft(drug, actor)
    assert (draft.state, draft.revision, draft.current_version) == ("draft", 1, 1)
    assert await run(drug, change_dossier, actor, draft.id, 1, {**VALUES, "strength": "1g"}, "x") \
        == "drug.dossier.change_not_submitted"
    edited = await run(drug, edit_draft, actor, draft.id, 1, {**VALUES, "strength": "0.5g"})
    assert edited.revision == 2
    submitted = await run(drug, submit_dossier, actor, draft.id, 2)
    assert (submitted.state, submitted.revision) == ("submitted", 3)
    assert await run(drug, delete_draft, actor, draft.id, 3) == "drug.dossier.delete_not_draft"
    assert await run(drug, edit_draft, actor, draft.id, 3, VALUES) == "drug.dossier.edit_not_draft"
    assert await run(drug, submit_dossier, actor, draft.id, 3) == "drug.dossier.submit_not_draft"
    changed = await run(drug, change_dossier, actor, draft.id, 3, {**VALUES, "strength": "1g"}, "规格调整")
    assert (changed.state, changed.current_version, changed.revision) == ("submitted", 2, 4)
    stale = await run(drug, change_dossier, actor, draft.id, 3, {**VALUES, "strength": "2g"}, "x")
    assert stale == "drug.dossier.stale"
    # Another enterprise's actor finds nothing.
    stranger = Actor(**{**actor.__dict__, "enterprise_code": "91310000MA1FL0000X"})
    assert await run(drug, change_dossier, stranger, draft.id, 4, VALUES, "x") == "drug.dossier.not_found"
    gone = await new_draft(drug, actor)
    assert (await run(drug, delete_draft, actor, gone.id, 1)).state == "deleted"
    assert await run(drug, submit_dossier, actor, gone.id, 2) == "drug.dossier.not_found"


async def race(drug, *calls) -> list:
    return await asyncio.gather(*(run(drug, transition, *args) for transition, *args in calls))


def winners(results) -> list:
    return [r for r in results if isinstance(r, ExportDossier)]


async def test_two_concurrent_submits_one_wins(drug, actor):
    for _ in range(ROUNDS):
        draft = await new_draft(drug, actor)
        results = await race(drug, (submit_dossier, actor, draft.id, 1), (submit_dossier, actor, draft.id, 1))
        assert len(winners(results)) == 1 and "drug.dossier.submit_not_draft" in results, results
        assert await scalar(drug, select(func.count()).where(DossierEvent.dossier_id == draft.id,
                                                             DossierEvent.action == "提交")) == 1


async def test_two_concurrent_changes_make_one_version(drug, actor):
    for _ in range(ROUNDS):
        draft = await new_draft(drug, actor)
        await run(drug, submit_dossier, actor, draft.id, 1)
        results = await race(drug, (change_dossier, actor, draft.id, 2, {**VALUES, "destination": "泰国"}, "甲"),
                             (change_dossier, actor, draft.id, 2, {**VALUES, "destination": "老挝"}, "乙"))
        assert len(winners(results)) == 1 and "drug.dossier.stale" in results, results
        versions = await scalar(drug, select(func.count()).where(ExportDossierVersion.dossier_id == draft.id))
        assert versions == 2
        current = await scalar(drug, select(ExportDossier).where(ExportDossier.id == draft.id))
        assert current.current_version == 2 and current.revision == 3


async def test_two_concurrent_deletes_one_wins(drug, actor):
    for _ in range(ROUNDS):
        draft = await new_draft(drug, actor)
        results = await race(drug, (delete_draft, actor, draft.id, 1), (delete_draft, actor, draft.id, 1))
        assert len(winners(results)) == 1 and "drug.dossier.not_found" in results, results


async def test_a_submit_racing_a_delete_leaves_one_outcome(drug, actor):
    outcomes = set()
    for _ in range(ROUNDS):
        draft = await new_draft(drug, actor)
        results = await race(drug, (submit_dossier, actor, draft.id, 1), (delete_draft, actor, draft.id, 1))
        (winner,) = winners(results)
        state = await scalar(drug, select(ExportDossier.state).where(ExportDossier.id == draft.id))
        assert state == winner.state
        assert ("drug.dossier.delete_not_draft" if state == "submitted" else "drug.dossier.not_found") in results
        outcomes.add(state)
    assert outcomes <= {"submitted", "deleted"}
