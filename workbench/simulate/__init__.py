"""Simulation: the conversation loop and the run engine (async, concurrent, resumable).

    from workbench.simulate import RunConfig, plan_checked_run, execute_run
    run = plan_checked_run(store, library, RunConfig(personas=[...], patient_model=...,
                                                     clinician=...))
    summary = await execute_run(store.path, run.id)

Importing this package loads no model SDK (the backends import theirs on first use).
"""

from workbench.simulate.conversation import Conversation, ConversationPlan, EndedBy, Outcome
from workbench.simulate.calls import RetryPolicy
from workbench.simulate.engine import execute_run, resume_run
from workbench.simulate.progress import ExecutionProgress, RunAborted, RunSummary
from workbench.simulate.writer import stored_plan
from workbench.simulate.plan import (
    PlanError,
    RunConfig,
    check_clinician,
    check_run,
    check_levels,
    parse_levels,
    plan_checked_run,
    plan_run,
    preflight,
    select_personas,
)

__all__ = [
    "Conversation",
    "ConversationPlan",
    "EndedBy",
    "ExecutionProgress",
    "Outcome",
    "PlanError",
    "RetryPolicy",
    "RunAborted",
    "RunConfig",
    "RunSummary",
    "check_clinician",
    "check_levels",
    "check_run",
    "execute_run",
    "parse_levels",
    "plan_checked_run",
    "plan_run",
    "preflight",
    "resume_run",
    "select_personas",
    "stored_plan",
]
